"""A copy of the state file that is consistent and sound, made while Vedette may be running.

SQLite's online backup API copies the pages as one read transaction sees them: in WAL mode
writers go on meanwhile, and the copy is the state as of one moment, never half of one
commit and half of the next (copying the file itself could catch the -wal half-applied, or
leave it out). The copy is checked (quick_check) under a temporary name and renamed into
place only when sound, so a backup that exists is always whole.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vedette.errors import StateError, StateWriteError
from vedette.store.guard import DAMAGED, fault_of, path_problem
from vedette.store.migrations import APPLICATION_ID, check_ours


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int          # bytes
    articles: int
    pending: int       # deliveries not yet sent


def default_target(state: Path, now: datetime) -> Path:
    """Beside the state, named by the time (UTC): state/vedette-backup-20260105T070000Z.db."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = state.with_name(f"{state.stem}-backup-{stamp}{state.suffix}")
    number = 2
    while target.exists():  # two backups within a second
        target = state.with_name(f"{state.stem}-backup-{stamp}-{number}{state.suffix}")
        number += 1
    return target


def backup_state(state: Path, target: Path) -> Backup:
    """Copy the state file at `state` to `target` (replacing an older backup there)."""
    problem = path_problem(state)
    if problem is not None:
        raise problem
    if not state.exists():
        raise StateError(f"{state}: no state file yet: nothing to back up")
    _refuse_target(state, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with closing(_open_state(state)) as source:
            try:
                with closing(sqlite3.connect(temp)) as copy:
                    source.backup(copy)  # all pages in one step: one consistent snapshot
            except sqlite3.Error as exc:
                if exc.sqlite_errorname.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
                    raise StateError(f"{state}: not a usable state file ({exc}): "
                                     f"{DAMAGED}") from exc
                raise _write_fault(target, exc) from exc
        try:
            with closing(sqlite3.connect(temp)) as copy:
                problems = [row[0] for row in copy.execute("PRAGMA quick_check(3)")]
                articles = copy.execute("SELECT count(*) FROM articles").fetchone()[0]
                pending = copy.execute(
                    "SELECT count(*) FROM deliveries WHERE sent_at IS NULL").fetchone()[0]
                # A backup is one file: no -wal beside it to lose when it is copied.
                copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise StateError(
                f"{state}: the state file is damaged ({' '.join(problems[0].split())}), so a "
                f"backup would be too; nothing written: restore an earlier backup")
        os.replace(temp, target)
    except OSError as exc:
        raise _write_fault(target, exc) from exc
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + end)
                                 for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size, articles, pending)


def _open_state(state: Path) -> sqlite3.Connection:
    """The state, as it is (not migrated: a backup taken before an upgrade stays as it was)."""
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(state, timeout=30)
        check_ours(db, state)
        return db
    except (sqlite3.Error, StateError) as exc:
        if db is not None:
            db.close()
        if isinstance(exc, StateError):
            raise
        raise fault_of(state, exc) or StateError(
            f"{state}: not a usable state file ({exc}): {DAMAGED}") from exc


def _refuse_target(state: Path, target: Path) -> None:
    """Never write over the state itself, its companions, or a file that is not a backup."""
    companions = {state.with_name(state.name + suffix).resolve()
                  for suffix in ("", "-wal", "-shm", "-journal", ".lock", ".cache")}
    if target.resolve() in companions:
        raise StateError(f"{target}: is the state file or one of its companions: name "
                         "another file for the backup")
    if target.is_dir():
        raise StateError(f"{target}: is a folder: name the backup file, or give no name "
                         "for one beside the state")
    if target.exists() and not _is_backup(target):
        raise StateError(f"{target}: exists and is not a Vedette state backup: name "
                         "another file")


def _is_backup(path: Path) -> bool:
    """Whether `path` is a backup this command wrote, which it may replace.

    A backup is a Vedette database (its application id) in rollback-journal mode, with no
    -wal or lock beside it. A state file in use is in WAL mode (Vedette sets it on every
    open) and has its lock file: another installation's live state, or a state restored
    and started since, is never taken for an old backup. An empty file or another
    program's database is not one either."""
    if any(path.with_name(path.name + end).exists() for end in ("-wal", ".lock")):
        return False
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError:
        return False
    # SQLite's header: the magic string; bytes 18-19 are 2 in WAL mode, 1 in rollback mode;
    # the application id is the big-endian integer at offset 68.
    return (len(header) == 100 and header.startswith(b"SQLite format 3\x00")
            and header[18] == header[19] == 1
            and int.from_bytes(header[68:72], "big") == APPLICATION_ID)


def _write_fault(target: Path, exc: OSError | sqlite3.Error) -> StateError:
    """The backup could not be written (its folder, its disk); the state is untouched."""
    if isinstance(exc, sqlite3.Error):
        message = f"{target}: cannot write the backup: {exc}"
        full = exc.sqlite_errorname.startswith("SQLITE_FULL")
        return StateWriteError(f"{message}: free space there, or name a file on another disk"
                               if full else f"{message}: name a file you may write")
    message = f"{exc.filename or target}: cannot write the backup: {exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StateWriteError(f"{message}: free space there, or name a file on another disk")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StateWriteError(f"{message}: name a file in a folder you may write")
    return StateError(message)


