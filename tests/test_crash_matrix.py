"""The crash matrix (RELIABILITY item 23): `vedette run` is killed with SIGKILL at each
crash point, from outside the process, then restarted on the same state file. Across both
runs every story must arrive (zero losses) and at most once more (one duplicate, and only
where the SMTP server had already accepted the email: then the duplicate is that same email
again, with the same Message-ID).

The daemon runs against a local news site and a real aiosmtpd server on 127.0.0.1. Each
crash point is a trap set in those servers (or in the test, watching the state file) that
fires `os.kill(pid, SIGKILL)` once, on the first daemon. Nothing waits for a clock: the
tests wait for requests seen, rows committed, emails received and log lines written.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import RecordingHandler, SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite, Route

STORIES = ["s1", "s2", "s3"]
TRAPPED = "s2"   # the article whose fetch kills the daemon
HELD = "s3"      # the article held open while the others are committed
TOPICS = [{"name": "Joint production", "any": ["joint production"]}]
TITLE = "Joint production story "


def story(slug: str) -> Story:
    return Story(slug=slug, title=f"{TITLE}{slug}",
                 paragraphs=[f"Story {slug}: the allies agreed on joint production of shells."],
                 published=recent(0.5))


def page(slug: str) -> bytes:
    return article_page(story(slug)).encode()


def publish(site: LocalSite) -> None:
    for slug in STORIES:
        site.add(f"/news/{slug}", page(slug))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{s}"), story(s)) for s in STORIES]),
             content_type="application/rss+xml")


def serve(request: BaseHTTPRequestHandler, body: bytes) -> None:
    try:
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        request.wfile.flush()
    except OSError:
        pass  # the daemon is gone


# -- the servers' traps ---------------------------------------------------------------------

class Crash:
    """SIGKILL for the first daemon, fired once from wherever its crash point is seen."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.fired = threading.Event()
        self._lock = threading.Lock()

    @property
    def armed(self) -> bool:
        return self.pid is not None and not self.fired.is_set()

    def fire(self) -> bool:
        """Kill the daemon if armed; True when this call did it."""
        with self._lock:
            if not self.armed:
                return False
            assert self.pid is not None
            os.kill(self.pid, signal.SIGKILL)
            self.fired.set()
            return True


class TrapHandler(RecordingHandler):
    """Records what it accepts, counts sends begun (MAIL FROM), and runs the traps set."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0
        # Before accepting: a reply returned here refuses the message (it is not recorded).
        self.before_data: Callable[[], str | None] | None = None
        # After recording the message, before its 250 reply is written.
        self.after_data: Callable[[], None] | None = None
        self.at_quit: Callable[[], None] | None = None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        self.sessions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.before_data is not None and (reply := self.before_data()) is not None:
            return reply
        status = await super().handle_DATA(server, session, envelope)
        if self.after_data is not None:
            self.after_data()
        return status

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.at_quit is not None:
            self.at_quit()
        return "221 Bye"


class TrapSmtp(SmtpServer):
    def __init__(self) -> None:
        super().__init__()
        self.handler = self.traps = TrapHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)


@dataclass
class Rig:
    workspace: Workspace
    site: LocalSite
    smtp: TrapSmtp
    crash: Crash = field(default_factory=Crash)
    daemons: list[DaemonProcess] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def setup(self) -> None:
        mail = {"type": "email", "host": "127.0.0.1", "port": self.smtp.port,
                "security": "none", "from": "v@example.org", "to": ["a@example.org"],
                "retries": 0, "timeout": "5s"}
        self.workspace.setup(
            sources=[{"name": "wire", "type": "feed", "url": self.site.url("/feed.xml"),
                      "schedule": "every 1s"}],
            topics=TOPICS, channels={"mail": mail},
            digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}])

    def start(self) -> DaemonProcess:
        daemon = DaemonProcess(self.workspace)
        self.daemons.append(daemon)
        return daemon

    def count(self, sql: str) -> int:
        """A read-only query of the state file; 0 until the daemon has created it."""
        if not self.workspace.state.exists():
            return 0
        try:
            with closing(sqlite3.connect(f"file:{self.workspace.state}?mode=ro", uri=True,
                                         timeout=5)) as db:
                return int(db.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0

    def received(self) -> list[tuple[str, str]]:
        """(story, Message-ID) for each story in each email received, in order."""
        found = []
        for message in self.smtp.messages:
            text = message.get_body(("plain",)).get_content()
            found += [(line.removeprefix(f"* {TITLE}").strip(), str(message["Message-ID"]))
                      for line in text.splitlines() if line.startswith(f"* {TITLE}")]
        return found


@pytest.fixture
def rig(workspace: Workspace, site: LocalSite) -> Iterator[Rig]:
    smtp = TrapSmtp().start()
    rig = Rig(workspace, site, smtp)
    try:
        yield rig
    finally:
        for cleanup in rig.cleanups:
            cleanup()
        for daemon in rig.daemons:
            daemon.kill()
            print(f"--- {daemon.log.name} (exit {daemon.process.returncode}) ---\n"
                  f"{daemon.log.read_text(encoding='utf-8', errors='replace')}")
        smtp.stop()


# -- the crash points -----------------------------------------------------------------------
# Each sets its trap and returns `strike(daemon)`: it returns once the daemon was killed at
# that point, after checking what had (and had not) happened by then.

Strike = Callable[[DaemonProcess], None]


def kill_after_article_fetched(rig: Rig) -> Strike:
    """1. After a fetch: the whole article page is sent, then the daemon dies, before the
    article is stored. (Killing it before the answer instead tests the same recovery: the
    article is not stored, so the restarted daemon fetches it again.)"""
    body = page(TRAPPED)

    def handler(request: BaseHTTPRequestHandler) -> None:
        serve(request, body)
        rig.crash.fire()
    rig.site.routes[f"/news/{TRAPPED}"] = Route(handler=handler)

    def strike(daemon: DaemonProcess) -> None:
        wait_for(rig.crash.fired.is_set, what=f"the answer to /news/{TRAPPED}")
        assert rig.smtp.traps.sessions == 0
    return strike


def kill_after_commit(rig: Rig) -> Strike:
    """2. After the commit: matches (with their pending deliveries) are stored, nothing sent.

    An immediate digest goes out as soon as the crawl that stored its matches ends, so the
    window between commit and send is as short as the rest of that crawl. Rather than
    slowing the SMTP server (the kill would then land mid-send: crash points 3 and 4) or
    using a cron digest (the kill would race its schedule), one article page is held open:
    the crawl cannot end, so the digest cannot start, while the other two articles are
    committed. The test polls the state file (read-only) for their match rows, checks that
    no send has begun, and kills.
    """
    release = threading.Event()
    body = page(HELD)

    def held(request: BaseHTTPRequestHandler) -> None:
        release.wait(30)
        serve(request, body)
    rig.site.routes[f"/news/{HELD}"] = Route(handler=held)
    rig.cleanups.append(release.set)

    def strike(daemon: DaemonProcess) -> None:
        wait_for(lambda: rig.count("SELECT count(*) FROM matches") >= len(STORIES) - 1,
                 what="the committed matches")
        pending = rig.count("SELECT count(*) FROM deliveries WHERE sent_at IS NULL")
        assert pending == len(STORIES) - 1
        assert rig.smtp.traps.sessions == 0, "the digest started before the crawl ended"
        assert rig.crash.fire()
        release.set()
    return strike


def kill_before_data_accepted(rig: Rig) -> Strike:
    """Mid-send (3 and 4 without the accept): the message is transmitted, and the daemon
    dies before the server replies 250, so the server discards it. It was never accepted:
    the restarted daemon must send it, and no duplicate is allowed."""
    def before_data() -> str | None:
        return "451 never seen: the client is dead" if rig.crash.fire() else None
    rig.smtp.traps.before_data = before_data

    def strike(daemon: DaemonProcess) -> None:
        wait_for(rig.crash.fired.is_set, what="the digest's DATA")
        assert (rig.smtp.traps.sessions, rig.smtp.messages) == (1, [])
    return strike


def kill_after_data_accepted(rig: Rig) -> Strike:
    """3. After SMTP DATA: the server records the message and writes its 250; the kill is
    queued on the server's loop, so it runs right after that write. The daemon may or may
    not have read the 250 by then, but cannot have recorded the send: it does that only
    after its QUIT is answered (or has timed out, after 5 s), and this loop runs the kill
    before it can read that QUIT."""
    def after_data() -> None:
        if rig.crash.armed:
            asyncio.get_running_loop().call_soon(rig.crash.fire)
    rig.smtp.traps.after_data = after_data

    def strike(daemon: DaemonProcess) -> None:
        wait_for(rig.crash.fired.is_set, what="the digest accepted")
        assert len(rig.smtp.messages) == 1
    return strike


def kill_before_mark_sent(rig: Rig) -> Strike:
    """4. Before mark-sent: the daemon has read the 250 (it sent QUIT, which it does only
    then) and logged the email as accepted, but has not recorded it in the state file.

    Separating this from 3 from outside the process: when the QUIT arrives, the test takes
    SQLite's write lock on the state file (BEGIN IMMEDIATE, then nothing written) and answers
    the QUIT. The daemon logs "accepted by", then blocks in the transaction that records the
    send (busy_timeout). The test waits for that log line, kills, then rolls back."""
    locks: list[sqlite3.Connection] = []

    def at_quit() -> None:
        if rig.crash.armed and not locks:
            db = sqlite3.connect(rig.workspace.state, timeout=5, isolation_level=None,
                                 check_same_thread=False)
            db.execute("BEGIN IMMEDIATE")
            locks.append(db)
    rig.smtp.traps.at_quit = at_quit

    def unlock() -> None:
        while locks:
            db = locks.pop()
            db.execute("ROLLBACK")
            db.close()
    rig.cleanups.append(unlock)

    def strike(daemon: DaemonProcess) -> None:
        wait_for(lambda: locks, what="the QUIT after the digest")
        wait_for(lambda: "accepted by" in daemon.output(), what="the send logged as accepted")
        assert len(rig.smtp.messages) == 1
        assert rig.count("SELECT count(*) FROM channel_sends") == 0
        assert rig.crash.fire()
        unlock()
    return strike


# (trap, how many extra copies of a story are allowed): one only where the server had
# accepted the email before the kill.
CRASH_POINTS = [
    pytest.param(kill_after_article_fetched, 0, id="after-fetch"),
    pytest.param(kill_after_commit, 0, id="after-commit"),
    pytest.param(kill_before_data_accepted, 0, id="mid-smtp-data"),
    pytest.param(kill_after_data_accepted, 1, id="after-smtp-data"),
    pytest.param(kill_before_mark_sent, 1, id="before-mark-sent"),
]


@pytest.mark.parametrize(("trap", "duplicates"), CRASH_POINTS)
def test_kill_9_then_restart_loses_nothing_and_duplicates_at_most_once(
        rig: Rig, trap: Callable[[Rig], Strike], duplicates: int) -> None:
    publish(rig.site)
    strike = trap(rig)
    rig.setup()
    first = rig.start()
    rig.crash.pid = first.pid

    strike(first)
    assert first.process.wait(10) == -signal.SIGKILL
    before_restart = rig.received()

    second = rig.start()
    wait_for(lambda: {slug for slug, _ in rig.received()} == set(STORIES)
             and rig.count("SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL")
             == len(STORIES), timeout=30, what="every story delivered and marked sent")
    settled = rig.received()
    polls = rig.site.requested("/feed.xml")
    wait_for(lambda: rig.site.requested("/feed.xml") >= polls + 3, what="three more cycles")
    assert rig.received() == settled, "sent again after everything was delivered"
    assert second.terminate() == 0

    copies: dict[str, list[str]] = {}
    for slug, message_id in rig.received():
        copies.setdefault(slug, []).append(message_id)
    assert sorted(copies) == STORIES, f"lost: {set(STORIES) - set(copies)}"
    for slug, message_ids in copies.items():
        assert len(message_ids) <= 1 + duplicates, (
            f"{slug} delivered {len(message_ids)} times (sent before the kill: "
            f"{before_restart})")
        assert len(set(message_ids)) == 1, f"{slug}: a duplicate that is not the same email"
    assert rig.count("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == 0
