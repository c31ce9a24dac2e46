"""The state store: one SQLite file with articles, matches, deliveries and crawl runs.

Every write that must not be half-done (an article with its matches and pending
deliveries; a channel's acceptance of a batch) is one transaction. WAL mode with
synchronous=FULL: a kill -9 or power loss keeps every committed delivery record.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vedette.errors import StateError
from vedette.store.codec import iso, match_columns, utcnow
from vedette.store.deliveries import DeliveriesMixin
from vedette.store.guard import (
    DAMAGED,
    FileIdentity,
    check_same_file,
    fault_of,
    guarded,
    path_problem,
)
from vedette.store.migrations import check_ours, create, migrate
from vedette.store.models import NewArticle, SaveResult
from vedette.store.runs import RunsMixin

if TYPE_CHECKING:
    from vedette.matching import TopicMatch

log = logging.getLogger(__name__)


class Store(DeliveriesMixin, RunsMixin):
    """Opens (creating and migrating) the state file; use as a context manager.

    Every fault of the file ends in one StateError (vedette/store/guard.py), after which the
    store refuses all work (`fault`); the file's identity is checked before each write."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
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
        self._db = db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- articles --------------------------------------------------------------------------

    @guarded
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` (canonical) already stored."""
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT url FROM articles WHERE url IN ({marks})", chunk)  # noqa: S608
            known.update(row[0] for row in rows)
        return known

    @guarded
    def save_article(
        self,
        article: NewArticle,
        matches: Sequence[TopicMatch],
        digests_by_topic: Mapping[str, Sequence[str]],
    ) -> SaveResult:
        """Store the article, its matches and one pending delivery per (match, digest).

        Decides, in the same transaction, whether the article is new (its URL unseen) and
        whether it is a syndicated copy of a stored one (same fingerprint): a copy is
        stored for the record and alerts only for topics no article of its story has
        alerted for (a capped one, stored without deliveries, alerted for none).
        """
        now = iso(utcnow())
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM articles WHERE url=?", (article.url,)).fetchone():
                return SaveResult(None, False, None, 0, 0)
            original = None
            if article.fingerprint:
                row = db.execute(
                    "SELECT id FROM articles WHERE fingerprint=? AND duplicate_of IS NULL"
                    " ORDER BY id LIMIT 1", (article.fingerprint,)).fetchone()
                original = row[0] if row else None
            article_id = db.execute(
                "INSERT INTO articles (url, source, title, summary, body, language, published,"
                " fetched_at, text_source, fingerprint, duplicate_of, alertable)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (article.url, article.source, article.title, article.summary, article.body,
                 article.language, iso(article.published), now, article.text_source,
                 article.fingerprint, original, int(article.alertable)),
            ).lastrowid
            stored_matches = deliveries = 0
            covered: set[str] = set()
            if original is not None:
                # A syndicated copy alerts only for topics the story has not alerted for yet:
                # those with a delivery from any article of it (the original or an earlier
                # copy). A match without one (its crawl was past max_matches_per_crawl)
                # covers nothing, so a flood's capped copy never swallows another source's
                # alert of the same story; that source's copy takes the delivery and shows
                # the others as "also reported by".
                covered = {row[0] for row in db.execute(
                    "SELECT DISTINCT m.topic_id FROM articles a"
                    " JOIN matches m ON m.article_id = a.id"
                    " WHERE a.fingerprint = ? AND EXISTS"
                    " (SELECT 1 FROM deliveries d WHERE d.match_id = m.id)",
                    (article.fingerprint,))}
            if article.alertable:
                for match in matches:
                    if match.topic_id in covered:
                        continue
                    columns = {"article_id": article_id, "topic_id": match.topic_id,
                               **match_columns(match), "created_at": now}
                    match_id = db.execute(
                        "INSERT INTO matches (article_id, topic_id, topic_name, terms, fields,"
                        " snippet, snippet_field, highlights, term_fields, more_snippets,"
                        " created_at) VALUES (:article_id, :topic_id, :topic_name, :terms,"
                        " :fields, :snippet, :snippet_field, :highlights, :term_fields,"
                        " :more_snippets, :created_at)", columns,
                    ).lastrowid
                    stored_matches += 1
                    for digest in digests_by_topic.get(match.topic_id, ()):
                        db.execute(
                            "INSERT OR IGNORE INTO deliveries (match_id, digest, created_at)"
                            " VALUES (?,?,?)", (match_id, digest, now))
                        deliveries += 1
            return SaveResult(article_id, True, original, stored_matches, deliveries)

    @guarded
    def prune_text(self, older_than: datetime) -> int:
        """Drop the text of articles fetched before `older_than`; their URLs stay known."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE articles SET body='', summary='' WHERE fetched_at < ? AND body != ''",
                (iso(older_than),)).rowcount

    @guarded
    def recent_articles(self, since: datetime) -> list[sqlite3.Row]:
        """Articles fetched since `since`, with their text, newest first."""
        return list(self._db.execute(
            "SELECT url, source, title, summary, body, language, published, fetched_at"
            " FROM articles WHERE fetched_at >= ? AND duplicate_of IS NULL"
            " ORDER BY fetched_at DESC", (iso(since),)))

    # -- plumbing ------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._check_same_file)

    def _check_same_file(self) -> None:
        check_same_file(self.path, self.identity)

    @guarded
    def check_writable(self) -> None:
        """Prove that what is about to be sent can be recorded: a committed write (file,
        folder, lock and a page of space). A rolled-back one would prove too little: SQLite
        writes its WAL only at commit, so a full disk passes it."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO write_check (id, at) VALUES (1, ?)",
                       (iso(utcnow()),))

    @guarded
    def integrity_problems(self, limit: int = 10) -> list[str]:
        """What SQLite's quick_check finds wrong with the file (its structure: pages, b-trees,
        free list; not index contents), up to `limit` messages; [] when sound."""
        found = [row[0] for row in self._db.execute(f"PRAGMA quick_check({int(limit)})")]
        return [] if found == ["ok"] else found

    @guarded
    def execute(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Read-only queries for status views and tests."""
        return list(self._db.execute(sql, args))


class _Transaction:
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
