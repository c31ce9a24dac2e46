"""Work that no deadline inside a worker can stop, for the tests of the parent's backstop."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path


def blocked_in_c(pid_file: str) -> None:
    """Block the deadline's signal, say which process this is, then wait in one C call."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)


def waiting_for(release: threading.Event) -> str:
    """In the extraction thread: wait in one C call until the test releases it."""
    release.wait(600)
    return "released"
