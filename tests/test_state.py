"""State survives what processes go through (RELIABILITY 24–27): kills mid-transaction,
restarts, a second instance, and dedup records that never expire."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

from tests.conftest import ROOT, SmtpServer, Workspace
from tests.support.pages import one_story_site
from tests.support.site import LocalSite
from vedette.lock import StateLock
from vedette.store import Store

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def test_kill_9_mid_transaction_rolls_back_and_the_next_run_continues(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    Store(state).close()
    script = textwrap.dedent(f"""
        import os, sqlite3, sys
        db = sqlite3.connect({str(state)!r}, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO articles (url, source, title, fetched_at, text_source)"
                   " VALUES ('https://e.org/a', 's', 't', '2026-01-01', 'page')")
        db.execute("INSERT INTO matches (article_id, topic_id, topic_name, terms, fields,"
                   " snippet, snippet_field, highlights, created_at)"
                   " VALUES (1, 'jp', 'JP', '[]', '[]', '', 'body', '[]', '2026-01-01')")
        print("inside", flush=True)
        sys.stdin.read()
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "inside"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    with Store(state) as store:
        assert store.articles.known_urls(["https://e.org/a"]) == set()
    with closing(sqlite3.connect(state)) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM matches").fetchone()[0] == 0
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restart_with_nothing_new_sends_nothing_ever_again(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    one_story_site(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml"), "max_age": "3650d"}],
        topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org", "to": ["a@example.org"]}})
    assert workspace.run("run", "--once").returncode == 0
    # Dedup records have no expiry: however long the story stays in the feed, it is known.
    workspace.query("UPDATE articles SET fetched_at = '2020-01-01T00:00:00+00:00'")
    for _ in range(2):
        assert workspace.run("run", "--once").returncode == 0
    assert len(smtp.messages) == 1


def test_second_instance_is_refused_with_the_holder_named(
        workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)
    with StateLock(workspace.state):
        result = workspace.run("run", "--once")
        status = workspace.run("status")
    assert result.returncode == 1
    assert f"state is in use by pid {os.getpid()}" in result.stderr
    assert status.returncode == 0 and f"in use by pid {os.getpid()}" in status.stdout
    assert not workspace.state.exists()  # refused before the state was even opened
    assert site.requested("/feed.xml") == 0


def test_status_shows_health_and_pending(workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")},
                             {"name": "broken", "type": "feed", "url": site.url("/nope")}],
                    topics=TOPICS)
    assert workspace.run("crawl").returncode == 1

    result = workspace.run("status")

    assert result.returncode == 0, result.stderr
    assert "source=s" in result.stdout and "outcome=ok" in result.stdout
    assert "source=broken" in result.stdout and "HTTP 404" in result.stdout
    assert "digest=daily  channel=archive  pending=1  last attempt=never" in result.stdout


def test_preview_and_dry_run_send_and_mark_nothing(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, tmp_path: Path) -> None:
    one_story_site(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org", "to": ["a@example.org"]}})
    assert workspace.run("crawl").returncode == 0
    preview = tmp_path / "preview.html"

    shown = workspace.run("digest", "daily", "--preview", str(preview))
    dry = workspace.run("digest", "--dry-run")

    assert shown.returncode == 0 and dry.returncode == 0, shown.stderr + dry.stderr
    assert "Joint production news s1" in preview.read_text(encoding="utf-8")
    assert "would send daily via mail: 1 matches" in dry.stdout
    assert smtp.messages == []
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)]
    sent = workspace.run("digest", "daily")
    assert sent.returncode == 0 and len(smtp.messages) == 1
    html = smtp.messages[0].get_body(("html",)).get_content()
    assert "Joint production news s1" in html


def test_conditional_get_skips_an_unchanged_feed(workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    feed = site.routes["/feed.xml"]
    feed.headers["ETag"] = '"v1"'
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)
    assert workspace.run("crawl").returncode == 0

    def not_modified(request):  # type: ignore[no-untyped-def]
        assert request.headers.get("If-None-Match") == '"v1"'
        request.send_response(304)
        request.send_header("Content-Length", "0")
        request.end_headers()

    feed.handler = not_modified
    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT status FROM runs ORDER BY id") == [("ok",), ("ok",)]


def test_scrapy_crawl_works_from_the_repository_root(workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)
    env = {**os.environ, "VEDETTE_CONFIG": str(workspace.config)}
    scrapy = [sys.executable, "-m", "scrapy"]

    listed = subprocess.run([*scrapy, "list"], cwd=ROOT, capture_output=True, text=True,
                            env=env, check=False, timeout=120)
    crawled = subprocess.run([*scrapy, "crawl", "feed", "-a", "source=s"], cwd=ROOT,
                             capture_output=True, text=True, env=env, check=False, timeout=120)

    assert listed.stdout.split() == ["feed"], listed.stderr
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)]


def test_secrets_never_reach_output(workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": 9, "security": "none",
                           "username": "bot", "password": "${SMTP_PASSWORD}", "retries": 0,
                           "from": "v@example.org", "to": ["a@example.org"]}})
    secret = "s3cr3t-Pa55word"

    result = workspace.run("-vv", "run", "--once", env={"SMTP_PASSWORD": secret})
    check = workspace.run("check", env={"SMTP_PASSWORD": secret})

    assert result.returncode == 1
    assert "digest daily via mail" in result.stderr
    for output in (result.stdout, result.stderr, check.stdout, check.stderr):
        assert secret not in output
    for path in workspace.root.rglob("*"):
        if path.is_file() and path.suffix != ".db":
            assert secret not in path.read_text(errors="replace")


def test_an_unusable_state_is_one_line_and_nothing_is_done(workspace: Workspace) -> None:
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": "http://127.0.0.1:9/feed"}],
                    topics=TOPICS, settings={"state": str(workspace.root / "in-the-way" / "v.db")})
    (workspace.root / "in-the-way").write_text("a file where the state's folder should be")

    blocked = workspace.run("run", "--once")

    assert blocked.returncode == 2
    assert blocked.stderr == (f"error: {workspace.root / 'in-the-way'}: cannot create the "
                              "state's lock file: File exists\n")

    junk = workspace.root / "junk.db"
    junk.write_bytes(os.urandom(8192))
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": "http://127.0.0.1:9/feed"}],
                    topics=TOPICS, settings={"state": str(junk)})
    for command in (("run", "--once"), ("status",), ("digest",)):
        result = workspace.run(*command)
        assert result.returncode == 2, command
        assert result.stderr == (f"error: {junk}: not a usable state file (file is not a "
                                 "database): restore a backup, or move it aside to start "
                                 "afresh\n"), command
    assert junk.stat().st_size == 8192
