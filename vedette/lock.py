"""One Vedette at a time per state file: an advisory lock beside it, naming its holder."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from typing import IO

from vedette.errors import StateError, StateWriteError


class LockHeld(Exception):
    """Another process holds the lock; the message names it."""


class StateLock:
    def __init__(self, state: Path) -> None:
        self.path = state.with_name(state.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> StateLock:
        """Take the lock; LockHeld names the holder, a StateError says why it can't be taken."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise self._fault(exc) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LockHeld(f"{self.path}: state is in use by {holder}") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        except OSError as exc:  # a full disk: the holder's name can't be written
            handle.close()
            raise self._fault(exc) from exc
        self._file = handle
        return self

    def _fault(self, exc: OSError) -> StateError:
        """Exit 2 when the path can't hold a lock file (a file where its folder should be),
        exit 1 when it could but can't now (permissions, a read-only or full disk)."""
        where = exc.filename or self.path
        reason = exc.strerror or str(exc)
        message = f"{where}: cannot create the state's lock file: {reason}"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StateWriteError(f"{message}: free space on the disk that holds "
                                   f"{self.path.parent}")
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StateWriteError(f"{message}: make it writable by the user running Vedette")
        return StateError(message)

    def holder(self) -> str | None:
        """Who holds the lock now, or None when it is free."""
        if not self.path.exists():
            return None
        with open(self.path, encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "another process"
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
