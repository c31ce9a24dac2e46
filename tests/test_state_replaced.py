"""The state file deleted or replaced under a running process (RELIABILITY 37): noticed before
the next write, and the process stops with one line and exit 1. Unnoticed, SQLite went on
writing into the deleted file (or the one moved away), the run looked fine, and the next
run began a new state that alerted everything again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.pages import article_page
from tests.support.site import LocalSite, Route
from tests.test_daemon import publish, story

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def count(state: Path, sql: str) -> int:
    """A read-only look at the state file while Vedette runs; 0 before it exists."""
    if not state.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def copy_over(state: Path) -> None:
    """Replace the state with a consistent copy of itself, as `mv backup.db vedette.db` does."""
    copy = state.with_name("copy.db")
    with closing(sqlite3.connect(state)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    os.replace(copy, state)


def delete(state: Path) -> None:
    state.unlink()



@pytest.mark.parametrize(("change", "says"), [(delete, "was deleted"),
                                              (copy_over, "was replaced")],
                         ids=["deleted", "replaced"])
def test_state_changed_under_a_running_crawl_stops_it_with_one_line(
        workspace: Workspace, site: LocalSite, change: object, says: str) -> None:
    publish(site, ["s1", "s2"])
    release = threading.Event()
    held_body = article_page(story("s2")).encode()

    def held(request: BaseHTTPRequestHandler) -> None:  # s2 waits until the state is changed
        release.wait(30)
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(held_body)))
        request.end_headers()
        request.wfile.write(held_body)

    site.routes["/news/s2"] = Route(handler=held)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)
    crawl = subprocess.Popen(
        [sys.executable, "-m", "vedette", "--config", str(workspace.config), "crawl"],
        cwd=workspace.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: count(workspace.state, "SELECT count(*) FROM matches") == 1
                 and site.requested("/news/s2") == 1, what="s1 stored, s2 on its way")
        change(workspace.state)  # type: ignore[operator]
    finally:
        release.set()
        stdout, stderr = crawl.communicate(timeout=60)

    assert crawl.returncode == 1, stdout + stderr
    [line] = stderr.splitlines()
    assert line.startswith(f"error: {workspace.state}: the state file {says} while Vedette was "
                           "using it; stopped: ")


def test_daemon_stops_cleanly_when_its_state_is_replaced(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["s1"])
    workspace.setup(
        sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"),
                  "schedule": "every 1s"}],
        topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org",
                           "to": ["a@example.org"], "retries": 0, "timeout": "5s"}},
        digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}])
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: len(smtp.messages) == 1 and count(
        workspace.state, "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL") == 1,
             what="the first story delivered and marked sent")

    copy_over(workspace.state)
    publish(site, ["s1", "s2"])  # what it would alert next, into a file no longer the state

    wait_for(lambda: daemon.process.poll() is not None, what="the daemon to stop")
    output = daemon.output()
    assert daemon.process.returncode == 1, output
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1, output
    assert f"{workspace.state}: the state file was replaced while Vedette was using it" in errors[0]
    assert "Traceback" not in output and "daemon stopped" in output
    assert len(smtp.messages) == 1
