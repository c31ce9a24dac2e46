"""The state store: one SQLite file with articles, matches, deliveries and crawl runs.

Every write that must not be half-done (an article with its matches and pending
deliveries; a channel's acceptance of a batch) is one transaction. WAL mode with
synchronous=FULL: a kill -9 or power loss keeps every committed delivery record.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vedette.errors import StateError
from vedette.store_matches import (
    PendingItem,
    highlights_from,
    match_columns,
    snippets_from,
    strings_from,
    term_fields_from,
)
from vedette.store_runs import RunRecord, RunsMixin, _from_iso, _iso, utcnow
from vedette.store_schema import MIGRATIONS

if TYPE_CHECKING:
    from vedette.matching import TopicMatch

log = logging.getLogger(__name__)

__all__ = ["NewArticle", "PendingItem", "RunRecord", "SaveResult", "StateError", "Store", "utcnow"]


@dataclass(frozen=True)
class NewArticle:
    url: str
    source: str
    title: str
    summary: str
    body: str
    language: str | None
    published: datetime | None
    text_source: str
    fingerprint: str | None
    alertable: bool


@dataclass(frozen=True)
class SaveResult:
    article_id: int | None
    stored: bool          # False: the URL was already known (another feed or a re-crawl)
    duplicate_of: int | None
    matches: int
    deliveries: int


class Store(RunsMixin):
    """Opens (creating and migrating) the state file; use as a context manager."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            # A folder the user may not write (a container's volume), a file that is not a
            # state file: one line naming the file, never a traceback.
            if isinstance(exc, sqlite3.DatabaseError):
                raise StateError(
                    f"{self.path}: not a usable state file ({exc}): restore a backup, or move "
                    "it aside to start afresh") from exc
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StateError(f"{self.path}: cannot open the state file: {reason}") from exc

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(
                f"{self.path}: state file is from a newer Vedette (schema {version}); upgrade Vedette"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits; the whole step and its version bump go in one script.
            self._db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
            log.debug("state %s migrated to schema %d", self.path, number)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- articles --------------------------------------------------------------------------

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

    def save_article(
        self,
        article: NewArticle,
        matches: Sequence[TopicMatch],
        digests_by_topic: Mapping[str, Sequence[str]],
    ) -> SaveResult:
        """Store the article, its matches and one pending delivery per (match, digest).

        Decides, in the same transaction, whether the article is new (its URL unseen) and
        whether it is a syndicated copy of a stored one (same fingerprint): copies are
        stored for the record but raise no alert.
        """
        now = _iso(utcnow())
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
                 article.language, _iso(article.published), now, article.text_source,
                 article.fingerprint, original, int(article.alertable)),
            ).lastrowid
            stored_matches = deliveries = 0
            covered: set[str] = set()
            if original is not None:
                # A syndicated copy alerts only for topics its original did not match.
                covered = {row[0] for row in db.execute(
                    "SELECT topic_id FROM matches WHERE article_id=?", (original,))}
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

    def prune_text(self, older_than: datetime) -> int:
        """Drop the text of articles fetched before `older_than`; their URLs stay known."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE articles SET body='', summary='' WHERE fetched_at < ? AND body != ''",
                (_iso(older_than),)).rowcount

    def recent_articles(self, since: datetime) -> list[sqlite3.Row]:
        """Articles fetched since `since`, with their text, newest first."""
        return list(self._db.execute(
            "SELECT url, source, title, summary, body, language, published, fetched_at"
            " FROM articles WHERE fetched_at >= ? AND duplicate_of IS NULL"
            " ORDER BY fetched_at DESC", (_iso(since),)))

    # -- deliveries ------------------------------------------------------------------------

    def pending(self, digest: str, channel: str | None = None) -> list[PendingItem]:
        """Matches not yet delivered in `digest` (and, given `channel`, not yet accepted by it)."""
        sql = (
            "SELECT d.id AS delivery_id, m.id AS match_id, m.topic_id, m.topic_name, a.url, a.id,"
            " a.title, a.source, a.published, m.terms, m.fields, m.snippet, m.snippet_field,"
            " m.highlights, m.term_fields, m.more_snippets, m.created_at"
            " FROM deliveries d JOIN matches m ON m.id = d.match_id"
            " JOIN articles a ON a.id = m.article_id"
            " WHERE d.digest = ? AND d.sent_at IS NULL"
        )
        args: list[object] = [digest]
        if channel is not None:
            sql += (" AND NOT EXISTS (SELECT 1 FROM channel_sends s"
                    " WHERE s.delivery_id = d.id AND s.channel = ?)")
            args.append(channel)
        sql += " ORDER BY d.id"
        rows = list(self._db.execute(sql, args))
        copies = self._copies([row["id"] for row in rows])
        return [
            PendingItem(
                delivery_id=row["delivery_id"], match_id=row["match_id"],
                topic_id=row["topic_id"], topic_name=row["topic_name"], url=row["url"],
                title=row["title"], source=row["source"], published=_from_iso(row["published"]),
                terms=strings_from(row["terms"]), fields=strings_from(row["fields"]),
                snippet=row["snippet"], snippet_field=row["snippet_field"],
                highlights=highlights_from(row["highlights"]),
                term_fields=term_fields_from(row["term_fields"]),
                more_snippets=snippets_from(row["more_snippets"]),
                matched_at=_from_iso(row["created_at"]) or utcnow(),
                also=tuple(copies.get(row["id"], ())),
            )
            for row in rows
        ]

    def _copies(self, article_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """Syndicated copies (source, url) of each of `article_ids`."""
        found: dict[int, list[tuple[str, str]]] = {}
        wanted = sorted(set(article_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                    f"SELECT duplicate_of, source, url FROM articles"  # noqa: S608
                    f" WHERE duplicate_of IN ({marks}) ORDER BY id", chunk):
                found.setdefault(row[0], []).append((row[1], row[2]))
        return found

    def record_channel_result(
        self, delivery_ids: Sequence[int], channel: str, batch_id: str, outcome: str
    ) -> None:
        """The channel accepted (`sent`) or permanently refused (`rejected`) these deliveries."""
        now = _iso(utcnow())
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO channel_sends (delivery_id, channel, batch_id, outcome, at)"
                " VALUES (?,?,?,?,?)", [(i, channel, batch_id, outcome, now) for i in delivery_ids])

    def complete(self, digest: str, channels: Sequence[str]) -> int:
        """Mark sent every pending delivery of `digest` that each of `channels` has handled."""
        now = _iso(utcnow())
        with self._transaction() as db:
            pending = [row[0] for row in db.execute(
                "SELECT id FROM deliveries WHERE digest=? AND sent_at IS NULL", (digest,))]
            done = [
                delivery_id for delivery_id in pending
                if all(db.execute("SELECT 1 FROM channel_sends WHERE delivery_id=? AND channel=?",
                                  (delivery_id, ch)).fetchone() for ch in channels)
            ]
            db.executemany("UPDATE deliveries SET sent_at=? WHERE id=?", [(now, i) for i in done])
        return len(done)

    def record_attempt(self, digest: str, channel: str, batch_id: str, items: int,
                       outcome: str, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO attempts (digest, channel, batch_id, at, items, outcome, error)"
                " VALUES (?,?,?,?,?,?,?)",
                (digest, channel, batch_id, _iso(utcnow()), items, outcome, error))

    def pending_counts(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT digest, COUNT(*) FROM deliveries WHERE sent_at IS NULL GROUP BY digest")
        return {row[0]: row[1] for row in rows}

    def channel_pending(self, digest: str, channel: str) -> int:
        """Deliveries of `digest` that `channel` has not accepted (or refused) yet."""
        return int(self._db.execute(
            "SELECT COUNT(*) FROM deliveries d WHERE d.digest=? AND d.sent_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM channel_sends s WHERE s.delivery_id=d.id"
            " AND s.channel=?)", (digest, channel)).fetchone()[0])

    def last_attempt(self, digest: str, channel: str) -> sqlite3.Row | None:
        """The latest attempt to send `digest` through `channel`: at, outcome, error."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT at, outcome, error, items FROM attempts WHERE digest=? AND channel=?"
            " ORDER BY id DESC LIMIT 1", (digest, channel)).fetchone()
        return row

    # -- plumbing ------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def execute(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Read-only queries for status views and tests."""
        return list(self._db.execute(sql, args))


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
