"""The articles a crawl stored: which URLs are known, saving one with its matches and
pending deliveries (the decision "is this article new?"), pruning old text, reading back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from vedette.matching.models import TopicMatch
from vedette.store.codec import iso, match_columns, utcnow
from vedette.store.database import Part
from vedette.store.guard import guarded
from vedette.store.models import NewArticle, SaveResult


class Articles(Part):
    """`articles`, and the matches and deliveries written with a new one."""

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
    def save(
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
            return _save(db, article, matches, digests_by_topic, now)

    @guarded
    def save_many(self, articles: Iterable[NewArticle]) -> int:
        """Store `articles` without matches, all in one transaction, each decided as by
        `save`; how many were new. For filling a state in bulk (bench/state.py), where a
        commit per article, each with its fsync, would take most of the time."""
        now = iso(utcnow())
        with self._transaction() as db:
            return sum(_save(db, article, (), {}, now).stored for article in articles)

    @guarded
    def prune_text(self, older_than: datetime) -> int:
        """Drop the text of articles fetched before `older_than`; their URLs stay known."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE articles SET body='', summary='' WHERE fetched_at < ? AND body != ''",
                (iso(older_than),)).rowcount

    @guarded
    def recent(self, since: datetime) -> list[sqlite3.Row]:
        """Articles fetched since `since`, with their text, newest first."""
        return list(self._db.execute(
            "SELECT url, source, title, summary, body, language, published, fetched_at"
            " FROM articles WHERE fetched_at >= ? AND duplicate_of IS NULL"
            " ORDER BY fetched_at DESC", (iso(since),)))


def _save(db: sqlite3.Connection, article: NewArticle, matches: Sequence[TopicMatch],
          digests_by_topic: Mapping[str, Sequence[str]], now: str | None) -> SaveResult:
    """`Articles.save` inside the caller's transaction `db`."""
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
