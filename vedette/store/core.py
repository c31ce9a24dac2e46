"""The state store: one SQLite file with articles, matches, deliveries and crawl runs, opened
by `Store`, which owns one part per kind of record."""

from __future__ import annotations

from pathlib import Path

from vedette.errors import StateError
from vedette.store.articles import Articles
from vedette.store.codec import iso, utcnow
from vedette.store.daemon import DaemonMemory
from vedette.store.database import Database
from vedette.store.deliveries import Deliveries
from vedette.store.feeds import Feeds
from vedette.store.guard import guarded
from vedette.store.runs import Runs


class Store:
    """Opens (creating and migrating) the state file; use as a context manager. Its parts
    hold the reads and writes: `articles`, `deliveries`, `runs`, `feeds` and `daemon`.

    Every fault of the file ends in one StateError (vedette/store/guard.py), after which the
    store refuses all work (`fault`); the file's identity is checked before each write."""

    def __init__(self, path: Path | str) -> None:
        self.database = Database(Path(path))
        self.articles = Articles(self.database)
        self.deliveries = Deliveries(self.database)
        self.runs = Runs(self.database)
        self.feeds = Feeds(self.database)
        self.daemon = DaemonMemory(self.database)

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def fault(self) -> StateError | None:
        """The first fault of the state file met through any part; None while it is sound."""
        return self.database.fault

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @guarded
    def check_writable(self) -> None:
        """Prove that what is about to be sent can be recorded: a committed write (file,
        folder, lock and a page of space). A rolled-back one would prove too little: SQLite
        writes its WAL only at commit, so a full disk passes it."""
        with self.database.transaction() as db:
            db.execute("INSERT OR REPLACE INTO write_check (id, at) VALUES (1, ?)",
                       (iso(utcnow()),))

    @guarded
    def integrity_problems(self, limit: int = 10) -> list[str]:
        """What SQLite's quick_check finds wrong with the file (its structure: pages, b-trees,
        free list; not index contents), up to `limit` messages; [] when sound."""
        found = [row[0] for row in self.database.connection.execute(
            f"PRAGMA quick_check({int(limit)})")]
        return [] if found == ["ok"] else found
