"""A state file that can't be used or written (RELIABILITY 35, 36): each form is one `error:`
line naming the file and what to do, with exit 2 when the file must be put right (damaged,
not Vedette's, newer, a folder) and 1 when it can't be written now (read-only, full disk,
lock); nothing is sent that can't be recorded, and nothing is lost: once the fault is
gone the pending digest goes out, once. See tests/support/faults.py for how a read-only
file and a full disk are made for real, as root."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.conftest import SmtpServer, Workspace
from tests.support.faults import filled, immutable, small_disk
from tests.support.pages import one_story_site
from tests.support.site import LocalSite

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def setup(workspace: Workspace, site: LocalSite, smtp: SmtpServer,
          state: Path | None = None) -> None:
    one_story_site(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org",
                           "to": ["a@example.org"], "retries": 0}},
        settings={"state": str(state or workspace.state)})


def one_error(stderr: str) -> str:
    """The single line a failure must be."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


# -- a ledger that can't be written (item 35) ------------------------------------------------

@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_state_sends_nothing_and_loses_nothing(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, read_only: str) -> None:
    setup(workspace, site, smtp)
    assert workspace.run("crawl").returncode == 0

    with immutable(workspace.state if read_only == "file" else workspace.state.parent):
        runs = [workspace.run("digest") for _ in range(3)]

    assert smtp.messages == [], "sent what could not be recorded"
    for run in runs:
        assert run.returncode == 1
        line = one_error(run.stderr)
        assert line.startswith(f"error: {workspace.state}: cannot write the state file: ")
        assert ("it is read-only" if read_only == "file" else "its folder is read-only") in line
        assert "writable by the user running Vedette" in line
    sent = workspace.run("digest")
    again = workspace.run("digest")
    assert sent.returncode == 0 and again.returncode == 0, sent.stderr + again.stderr
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("in_use", [False, True], ids=["idle", "held-open"])
def test_a_full_disk_sends_nothing_and_loses_nothing(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, tmp_path: Path,
        in_use: bool) -> None:
    """Idle, the state can't even be opened on a full disk (SQLite's -shm needs a page).
    Held open by a reader (`vedette status`, an sqlite3 shell), its -wal and -shm exist and
    opening works: then it is the ledger's check before sending that meets the full disk."""
    with small_disk(tmp_path / "disk") as disk:
        state = disk / "state" / "vedette.db"
        setup(workspace, site, smtp, state)
        assert workspace.run("crawl").returncode == 0
        with closing(sqlite3.connect(state)) as reader:
            if in_use:
                reader.execute("SELECT count(*) FROM deliveries").fetchone()
            with filled(disk):
                runs = [workspace.run("digest") for _ in range(3)]
                crawled = workspace.run("crawl")
            sent_while_full = len(smtp.messages)
        sent = workspace.run("digest")

    assert sent_while_full == 0, "sent what could not be recorded"
    for run in [*runs, crawled]:
        assert run.returncode == 1
        line = one_error(run.stderr)
        assert line.startswith(f"error: {state}: cannot write the state file: the disk is full")
        assert "free space on the disk" in line
    assert sent.returncode == 0, sent.stderr
    assert len(smtp.messages) == 1


# -- each form of a broken state (item 36) ---------------------------------------------------

def _truncate(size: Callable[[int], int]) -> Callable[[Workspace], Iterator[None]]:
    def fault(workspace: Workspace) -> Iterator[None]:
        with open(workspace.state, "r+b") as handle:
            handle.truncate(size(workspace.state.stat().st_size))
        yield
    return fault


def _foreign(workspace: Workspace) -> Iterator[None]:
    workspace.state.unlink()
    with closing(sqlite3.connect(workspace.state)) as db:
        db.execute("CREATE TABLE people (name TEXT)")
        db.commit()
    yield


def _newer(workspace: Workspace) -> Iterator[None]:
    workspace.query("PRAGMA user_version = 99")
    yield


def _folder(workspace: Workspace) -> Iterator[None]:
    workspace.write("settings.yaml", {"settings": {"state": str(workspace.state.parent),
                                                   "extraction_workers": 1}})
    yield


def _immutable(which: Callable[[Workspace], Path]) -> Callable[[Workspace], Iterator[None]]:
    def fault(workspace: Workspace) -> Iterator[None]:
        with immutable(which(workspace)):
            yield
    return fault


def _lock(workspace: Workspace) -> Path:
    return workspace.state.with_name(workspace.state.name + ".lock")


# (fault, run --once exit, status exit or None (not its business), the file the line names,
# what the line says)
FORMS = [
    pytest.param(_truncate(lambda size: 0), 2, 2, None,
                 "not a usable state file (it is empty): restore a backup, or delete it to "
                 "start afresh", id="emptied"),
    pytest.param(_truncate(lambda size: size // 2), 2, 2, None,
                 "not a usable state file (database disk image is malformed): restore a "
                 "backup, or move it aside to start afresh", id="truncated"),
    pytest.param(_foreign, 2, 2, None,
                 "not a Vedette state file (an SQLite database with other tables (people)): "
                 "check settings.state, or move the file aside", id="not-vedettes"),
    pytest.param(_newer, 2, 2, None,
                 "state file is from a newer Vedette (schema 99); upgrade Vedette", id="newer"),
    pytest.param(_folder, 2, 2, lambda w: w.state.parent,
                 "is a folder, not the state file: set settings.state to a file, e.g. ",
                 id="a-folder"),
    pytest.param(_immutable(lambda w: w.state), 1, None, None,
                 "cannot write the state file: it is read-only (attempt to write a readonly "
                 "database): make it writable by the user running Vedette", id="read-only-file"),
    pytest.param(_immutable(lambda w: w.state.parent), 1, 1, None,
                 "cannot write the state file: its folder is read-only", id="read-only-folder"),
    pytest.param(_immutable(_lock), 1, None, _lock,
                 "cannot create the state's lock file: Operation not permitted: make it "
                 "writable by the user running Vedette", id="unwritable-lock"),
]


@pytest.mark.parametrize(("fault", "run_exit", "status_exit", "named", "says"), FORMS)
def test_each_form_of_a_broken_state_is_one_line_naming_the_file_and_the_remedy(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        fault: Callable[[Workspace], Iterator[None]], run_exit: int, status_exit: int | None,
        named: Callable[[Workspace], Path] | None, says: str) -> None:
    setup(workspace, site, smtp)
    assert workspace.run("crawl").returncode == 0
    path = named(workspace) if named else workspace.state

    with contextmanager(fault)(workspace):
        run = workspace.run("run", "--once")
        status = workspace.run("status")
        check = workspace.run("check")

    assert run.returncode == run_exit, run.stderr
    assert one_error(run.stderr).startswith(f"error: {path}: {says}")
    if status_exit is not None:
        assert status.returncode == status_exit, status.stderr
        assert one_error(status.stderr).startswith(f"error: {path}: {says}")
    # `check` reads the config, not the state; a state that is a folder is a config error.
    assert check.returncode == (2 if fault is _folder else 0), check.stderr
    if fault is _folder:
        assert one_error(check.stderr) == (
            f"error: {workspace.config / 'settings.yaml'}: settings.state: {path}: is a "
            f"folder, not the state file: set settings.state to a file, e.g. "
            f"{path / 'vedette.db'}")
    assert smtp.messages == []


def test_status_finds_a_damaged_page_that_every_query_misses(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    setup(workspace, site, smtp)
    assert workspace.run("crawl").returncode == 0
    assert workspace.run("status").returncode == 0
    # One page of the file overwritten: an index that status's queries never read.
    [(root,)] = workspace.query("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                "articles_fingerprint")
    [(page_size,)] = workspace.query("PRAGMA page_size")
    with open(workspace.state, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)

    text = workspace.run("status")
    as_json = workspace.run("status", "--json")

    assert text.returncode == 1 and as_json.returncode == 1
    assert one_error(text.stderr) == (
        f"error: state {workspace.state}: the file is damaged (integrity check: Page {root}: "
        "btreeInitPage() returns error code 11): stop Vedette and restore a backup "
        "(docs/operations.md, \"Restoring the state\")")
    assert "source=s" in text.stdout  # what the damage does not hide is still shown
    assert '"integrity": [' in as_json.stdout and '"healthy": false' in as_json.stdout
