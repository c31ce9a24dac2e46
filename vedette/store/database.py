"""The state file's one connection: opened (created whole, checked as ours, migrated), one
write transaction at a time, and the first fault met, shared by every part of the store.

Every write that must not be half-done (an article with its matches and pending
deliveries; a channel's acceptance of a batch) is one transaction. WAL mode with
synchronous=FULL: a kill -9 or power loss keeps every committed delivery record.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from vedette.errors import StateError
from vedette.store.guard import DAMAGED, FileIdentity, check_same_file, fault_of, path_problem
from vedette.store.migrations import check_ours, create, migrate


class Database:
    """The open state file at `path`; `fault` is the first fault met through any part."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fault: StateError | None = None
        problem = path_problem(self.path)
        if problem is not None:
            raise problem
        db: sqlite3.Connection | None = None
        try:
            if not self.path.exists():
                create(self.path)
            elif self.path.stat().st_size == 0:
                raise StateError(f"{self.path}: not a usable state file (it is empty): restore "
                                 "a backup, or delete it to start afresh")
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.identity = FileIdentity.of(self.path)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA foreign_keys=ON")
            check_ours(db, self.path)
            migrate(db, self.path)
        except (StateError, OSError, sqlite3.Error) as exc:
            if db is not None:
                db.close()
            if isinstance(exc, StateError):
                raise
            # Whatever else SQLite says while opening, the file is not one it can use.
            raise fault_of(self.path, exc) or StateError(
                f"{self.path}: not a usable state file ({exc}): {DAMAGED}") from exc
        self.connection = db

    def close(self) -> None:
        self.connection.close()

    def transaction(self) -> Transaction:
        return Transaction(self.connection, self.check_same_file)

    def check_same_file(self) -> None:
        check_same_file(self.path, self.identity)


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception; `before` runs first (the
    check that the path still names the opened file)."""

    def __init__(self, db: sqlite3.Connection, before: Callable[[], None]) -> None:
        self._db = db
        self._before = before

    def __enter__(self) -> sqlite3.Connection:
        self._before()
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        # A COMMIT that failed for want of space has already rolled back; a second ROLLBACK
        # would raise and hide why.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


class Part:
    """One part of the store: the reads and writes of its tables, over the store's one
    database (and so its one fault: after the first, every part refuses work)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self.database.connection

    def _transaction(self) -> Transaction:
        return self.database.transaction()
