"""The state store's guard: every fault of the state file becomes one `StateError` line that
names the file and what to do, and a file replaced or deleted under a running process is
noticed before the next write.

Exit statuses follow the kind of fault (docs/design.md, "State"): a file that can't be
used as it is (damaged, not Vedette's, newer, a folder) is 2, like a config error; a sound
file that can't be written now (read-only, full disk) or that changed under the process
is 1.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from vedette.errors import StateError, StateWriteError

# Below this much free space, a write that failed is put down to a full disk.
LOW_SPACE = 64 * 1024
DAMAGED = "restore a backup, or move it aside to start afresh"


def path_problem(path: Path) -> StateError | None:
    """Why `path` can never be a state file (a folder, or below a file), else None."""
    if path.is_dir():
        return StateError(f"{path}: is a folder, not the state file: set settings.state to "
                          f"a file, e.g. {path / 'vedette.db'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return StateError(f"{path}: {parent} is a file, not a folder: set "
                                  "settings.state to a file in a folder")
            break
    return None


def fault_of(path: Path, exc: sqlite3.Error | OSError) -> StateError | None:
    """The StateError that `exc`, met while using the state file at `path`, stands for; None
    when it says nothing about the file (a bug, e.g. a wrong query: it keeps its traceback)."""
    if isinstance(exc, OSError):
        return _os_fault(path, exc)
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StateError(f"{path}: not a usable state file ({exc}): {DAMAGED}")
    if name.startswith("SQLITE_FULL"):
        return _full(path, exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StateWriteError(f"{path}: cannot write the state file: another program keeps "
                               f"it locked ({exc}): close that program (an sqlite3 shell?)")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")):
        return path_problem(path) or _unwritable(path, exc)
    return None


def _os_fault(path: Path, exc: OSError) -> StateError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _full(path, exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return path_problem(path) or StateError(
            f"{path}: cannot open the state file: {exc.strerror or exc}")
    return _unwritable(path, exc)


def _full(path: Path, exc: Exception) -> StateWriteError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StateWriteError(f"{path}: cannot write the state file: the disk is full ({reason}):"
                           f" free space on the disk that holds {path.parent}")


def _unwritable(path: Path, exc: Exception) -> StateWriteError:
    """Why a write failed, from what can be seen of the file, its folder and its disk.

    os.access, not the mode bits: it also answers for read-only mounts and immutable files,
    which bind even root."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return StateWriteError(
            f"{path}: cannot write the state file: its folder is read-only (SQLite keeps "
            f"{path.name}-wal and {path.name}-shm beside it; {reason}): make {folder} "
            "writable by the user running Vedette")
    if path.exists() and not os.access(path, os.W_OK):
        return StateWriteError(f"{path}: cannot write the state file: it is read-only "
                               f"({reason}): make it writable by the user running Vedette")
    try:
        space = os.statvfs(folder)
    except OSError:
        space = None
    if space is not None and space.f_bavail * space.f_frsize < LOW_SPACE:
        return _full(path, exc)
    return StateWriteError(f"{path}: cannot write the state file ({reason}): check the disk "
                           "and the permissions of the file and its folder")


@dataclass(frozen=True)
class FileIdentity:
    """Which file a path named when the store opened it (device and inode)."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity:
        found = os.stat(path)
        return cls(found.st_dev, found.st_ino)


def check_same_file(path: Path, opened: FileIdentity) -> None:
    """Raise when `path` no longer names the file the store opened.

    SQLite keeps writing to the file it opened: once that was deleted, every later write
    went nowhere, and the next run began a new state that alerts everything again; once it
    was replaced, two files would share one -wal. One stat(), ≈ 5 µs here, before each write
    (a commit costs ≈ 500 µs; docs/design.md, "State")."""
    try:
        now = FileIdentity.of(path)
    except FileNotFoundError:
        raise StateWriteError(
            f"{path}: the state file was deleted while Vedette was using it; stopped: restore "
            "a backup there, or start Vedette again to begin a new state (recent items then "
            "alert again)") from None
    if now != opened:
        raise StateWriteError(
            f"{path}: the state file was replaced while Vedette was using it; stopped: start "
            "Vedette again to use the file now there (stop Vedette before moving or restoring "
            "its state)")


class Faults(Protocol):
    """The open state file: its path, and the first fault met (None while sound)."""

    path: Path
    fault: StateError | None


class Guarded(Protocol):
    """A part of the store, or the store: what it works on holds the first fault met."""

    @property
    def database(self) -> Faults: ...


G = TypeVar("G", bound=Guarded)
P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[Concatenate[G, P], R]) -> Callable[Concatenate[G, P], R]:
    """A store method that turns a fault of the state file into its one-line StateError.

    After the first fault the store refuses all further work with that same error: a process
    whose state failed stops using it (a crawl ends, the daemon stops) instead of failing
    once per article, and never sends what it could not record. The fault is the
    database's, so one met by any part stops them all."""

    @functools.wraps(method)
    def wrapper(self: G, /, *args: P.args, **kwargs: P.kwargs) -> R:
        database = self.database
        if database.fault is not None:
            raise database.fault.with_traceback(None)
        try:
            return method(self, *args, **kwargs)
        except StateError as exc:
            database.fault = exc
            raise
        except (sqlite3.Error, OSError) as exc:
            fault = fault_of(database.path, exc)
            if fault is None:
                raise
            database.fault = fault
            raise fault from exc

    return wrapper
