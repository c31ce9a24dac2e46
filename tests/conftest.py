"""Shared fixtures: a local news site, a real SMTP server, config folders, the CLI."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from tests.support.site import LocalSite

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    server = LocalSite().start()
    yield server
    server.stop()


class RecordingHandler:
    """An SMTP server's DATA handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self.too_big_over: int | None = None
        """Refuse messages longer than this at the end of DATA, as a server without SIZE does."""
        self.refused_sizes: list[int] = []
        self.refuse_rcpt: str | None = None
        """Answer every RCPT with this reply instead of accepting the recipient."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        if self.too_big_over is not None and len(envelope.content) > self.too_big_over:
            self.refused_sizes.append(len(envelope.content))
            return "554 5.3.4 Message too big for system"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """aiosmtpd on 127.0.0.1 (its readiness check cannot use port 0: pick a free one)."""

    def __init__(self, port: int | None = None, data_size_limit: int | None = None) -> None:
        self.handler = RecordingHandler()
        self.port = port or free_port()
        # data_size_limit: announced as SIZE; a larger message is refused with 552.
        options = {} if data_size_limit is None else {"data_size_limit": data_size_limit}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **options)

    def start(self) -> SmtpServer:
        self.controller.start()
        self.running = True
        return self

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def stop(self) -> None:
        if getattr(self, "running", False):
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


class Workspace:
    """A config folder and state file in a temporary directory, and the CLI to run on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "config"
        self.config.mkdir()
        self.state = root / "state" / "vedette.db"
        self.outbox = root / "outbox"

    def write(self, name: str, data: dict[str, Any] | str) -> Path:
        path = self.config / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True,
                                                                  sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    def setup(self, *, sources: list[dict[str, Any]], topics: list[dict[str, Any]],
              channels: dict[str, Any] | None = None, digests: list[dict[str, Any]] | None = None,
              settings: dict[str, Any] | None = None) -> None:
        self.write("settings.yaml", {"settings": {
            "state": str(self.state), "extraction_workers": 1, "request_timeout": "5s",
            **(settings or {})}})
        self.write("sources.yaml", {"sources": sources})
        self.write("keywords.yaml", {"topics": topics})
        self.write("alerts.yaml", {
            "channels": channels or {"archive": {"type": "file", "directory": str(self.outbox)}},
            "digests": digests or [{"name": "daily", "schedule": "0 7 * * *",
                                    "channels": list((channels or {"archive": 0}).keys())}],
        })

    def run(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`vedette --config DIR ARGS` started from the workspace, never from the checkout
        (as cron and systemd start it: nothing may depend on the current directory)."""
        return subprocess.run(
            [sys.executable, "-m", "vedette", "--config", str(self.config), *args],
            capture_output=True, text=True, timeout=timeout, cwd=self.root,
            env={**os.environ, **(env or {})}, check=False,
        )

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.state) as db:
            return list(db.execute(sql, args))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (optional test data)")
    return CORPUS


@pytest.fixture
def daemons() -> Iterator[list[Any]]:
    """Daemons a test starts (tests/daemon_support.py's DaemonProcess): killed at its end
    whatever happened, so a failed test leaves no process behind."""
    started: list[Any] = []
    yield started
    for daemon in started:
        daemon.kill()
