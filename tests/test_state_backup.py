"""`vedette state backup [FILE]` (RELIABILITY 36): a whole, checked copy of the state taken
while the daemon writes to it, and the restore that docs/operations.md describes."""

from __future__ import annotations

import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.conftest import SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.pages import one_story_site
from tests.support.site import LocalSite

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def setup(workspace: Workspace, site: LocalSite, smtp: SmtpServer, **source: object) -> None:
    one_story_site(site)
    workspace.setup(
        sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"), **source}],
        topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org",
                           "to": ["a@example.org"], "retries": 0, "timeout": "5s"}},
        digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}])


def read(path: Path, sql: str) -> object:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchone()[0]


def damage(state: Path) -> None:
    """Overwrite one page of the file (an index's root) with bytes no page can hold."""
    with closing(sqlite3.connect(state)) as db:
        [root] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = "
                            "'articles_fingerprint'").fetchone()
        [size] = db.execute("PRAGMA page_size").fetchone()
    with open(state, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xff" * size)



def test_backup_while_the_daemon_runs_then_restore_as_documented(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    setup(workspace, site, smtp, schedule="every 1s")
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: len(smtp.messages) == 1, what="the first digest")
    polls = site.requested("/feed.xml")
    wait_for(lambda: site.requested("/feed.xml") > polls, what="the daemon at work")

    made = workspace.run("state", "backup")  # the daemon goes on crawling meanwhile

    assert made.returncode == 0, made.stderr
    found = re.fullmatch(rf"backed up {re.escape(str(workspace.state))} to (\S+) \(.+: 1 "
                         r"articles, 0 deliveries pending\)\n", made.stdout)
    assert found, made.stdout
    backup = Path(found[1])
    assert backup.parent == workspace.state.parent
    assert re.fullmatch(r"vedette-backup-\d{8}T\d{6}Z\.db", backup.name)
    assert read(backup, "PRAGMA quick_check") == "ok"
    assert read(backup, "PRAGMA journal_mode") == "delete"  # one file, no -wal to forget
    assert read(backup, "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL") == 1
    assert daemon.terminate() == 0

    # The state is damaged; restore it as docs/operations.md says.
    damage(workspace.state)
    assert workspace.run("status").returncode == 1
    aside = workspace.root / "damaged"
    aside.mkdir()
    for name in ("vedette.db", "vedette.db-wal", "vedette.db-shm"):
        if (workspace.state.parent / name).exists():
            shutil.move(workspace.state.parent / name, aside / name)
    shutil.copyfile(backup, workspace.state)

    status = workspace.run("status")
    again = workspace.run("run", "--once")

    assert status.returncode == 0, status.stderr
    assert again.returncode == 0, again.stderr
    assert len(smtp.messages) == 1, "the restored state alerted again what it had sent"


def test_backup_writes_only_a_whole_backup_and_never_over_another_file(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    setup(workspace, site, smtp)
    nothing = workspace.run("state", "backup")
    assert workspace.run("crawl").returncode == 0
    target = workspace.root / "backups" / "nightly.db"
    first = workspace.run("state", "backup", str(target))
    second = workspace.run("state", "backup", str(target))  # replaces the older backup
    itself = workspace.run("state", "backup", str(workspace.state))
    sources = workspace.config / "sources.yaml"
    kept = sources.read_bytes()
    other = workspace.run("state", "backup", str(sources))
    damage(workspace.state)
    damaged = workspace.run("state", "backup", str(workspace.root / "from-damaged.db"))

    assert nothing.returncode == 2
    assert nothing.stderr == f"error: {workspace.state}: no state file yet: nothing to back up\n"
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert second.stdout.startswith(f"backed up {workspace.state} to {target} (")
    assert read(target, "SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["nightly.db"]
    assert itself.returncode == 2
    assert itself.stderr == (f"error: {workspace.state}: is the state file or one of its "
                             "companions: name another file for the backup\n")
    assert other.returncode == 2
    assert other.stderr == (f"error: {sources}: exists and is not a Vedette state backup: "
                            "name another file\n")
    assert sources.read_bytes() == kept
    assert damaged.returncode == 2
    assert re.fullmatch(rf"error: {re.escape(str(workspace.state))}: the state file is damaged "
                        r"\(.+\), so a backup would be too; nothing written: restore an "
                        r"earlier backup\n", damaged.stderr), damaged.stderr
    assert not (workspace.root / "from-damaged.db").exists()
    assert [p.name for p in workspace.root.iterdir() if ".partial" in p.name] == []


def test_state_backup_has_help(workspace: Workspace) -> None:
    for command in (("state", "--help"), ("state", "backup", "--help")):
        result = workspace.run(*command)
        assert result.returncode == 0 and "usage: vedette" in result.stdout, result.stderr


def test_backup_never_replaces_a_live_state_or_a_file_that_is_not_a_backup(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, tmp_path: Path) -> None:
    setup(workspace, site, smtp)
    assert workspace.run("crawl").returncode == 0
    # Another installation's state, in use (WAL mode, its lock beside it), an empty file,
    # and another program's empty SQLite database: none of them is an old backup.
    live = tmp_path / "other" / "vedette.db"
    live.parent.mkdir()
    shutil.copy(workspace.state, live)
    with closing(sqlite3.connect(live)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.db"
    with closing(sqlite3.connect(foreign)) as db:
        db.execute("CREATE TABLE t (x)")
    kept = {path: path.read_bytes() for path in (live, empty, foreign)}

    results = {path: workspace.run("state", "backup", str(path)) for path in kept}

    for path, result in results.items():
        assert result.returncode == 2, (path, result.stdout)
        assert result.stderr == (f"error: {path}: exists and is not a Vedette state backup: "
                                 "name another file\n")
        assert path.read_bytes() == kept[path]
