"""Running `vedette run` as a subprocess and waiting for what it does (never for a clock)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Workspace


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    """Poll `condition` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


class DaemonProcess:
    def __init__(self, workspace: Workspace, *args: str, memory_limit: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        """`memory_limit`: the daemon's address space in bytes (RLIMIT_AS), for tests whose
        regression would otherwise fill the machine's memory. `env`: added to the daemon's
        environment."""
        self.log = workspace.root / f"daemon-{time.monotonic_ns()}.log"
        self._log_file = open(self.log, "w", encoding="utf-8")  # noqa: SIM115

        def limit() -> None:
            if memory_limit is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

        self.process = subprocess.Popen(
            [sys.executable, "-m", "vedette", "--config", str(workspace.config), "-v", *args,
             "run"],
            cwd=workspace.root, stdout=subprocess.DEVNULL, stderr=self._log_file,
            env={**os.environ, **(env or {})}, start_new_session=True, preexec_fn=limit)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return Path(self.log).read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 40.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log_file.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log_file.close()
