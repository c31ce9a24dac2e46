"""Work that no deadline inside a worker can stop, for the tests of the parent's backstop,
and the other jobs around it: one that only takes its time, one that kills its worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path


def _note_pid(pid_file: str) -> None:
    """One line per attempt: a job tried again writes a second."""
    with Path(pid_file).open("a") as file:
        file.write(f"{os.getpid()}\n")


def blocked_in_c(pid_file: str) -> None:
    """Block the deadline's signal, say which process this is, then wait in one C call."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    _note_pid(pid_file)
    time.sleep(600)


def sleeping(seconds: float) -> str:
    """A slow job that is nobody's problem: it answers when its time is up."""
    time.sleep(seconds)
    return "slept"


def crashing(pid_file: str) -> None:
    """Kill this worker, as a crash in a C extension or the OOM killer would."""
    _note_pid(pid_file)
    os.kill(os.getpid(), signal.SIGKILL)


def waiting_for(release: threading.Event) -> str:
    """In the extraction thread: wait in one C call until the test releases it."""
    release.wait(600)
    return "released"
