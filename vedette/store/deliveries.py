"""The delivery ledger: what is pending per digest and channel, what each channel accepted
or refused, and each attempt.

A delivery is marked sent only after its channels accepted it; `Store.check_writable` is
called before a channel sends, so nothing is sent that can't be recorded."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from vedette.store.codec import iso, pending_item, utcnow
from vedette.store.database import Part
from vedette.store.guard import guarded
from vedette.store.models import PendingItem


class Deliveries(Part):
    """`deliveries`, `channel_sends` and `attempts`."""

    @guarded
    def pending(self, digest: str, channel: str | None = None) -> list[PendingItem]:
        """Matches not yet delivered in `digest` (and, given `channel`, not yet accepted by it)."""
        sql = (
            "SELECT d.id AS delivery_id, m.id AS match_id, m.topic_id, m.topic_name, a.url, a.id,"
            " a.duplicate_of,"
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
        copies = self._copies({row["id"]: row["duplicate_of"] for row in rows})
        return [pending_item(row, copies.get(row["id"], ())) for row in rows]

    def _copies(self, originals: dict[int, int | None]) -> dict[int, list[tuple[str, str]]]:
        """The other articles (source, url) of the story of each article in `originals`
        (article id: the original it copies, None if it is one), oldest first. The article
        that alerts is usually the original; when that one alerted nobody (capped), a copy
        does, and the original is among its others."""
        roots = {article: original or article for article, original in originals.items()}
        story: dict[int, list[tuple[int, str, str]]] = {}
        wanted = sorted(set(roots.values()))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                    f"SELECT id, COALESCE(duplicate_of, id), source, url FROM articles"  # noqa: S608
                    f" WHERE duplicate_of IN ({marks}) OR id IN ({marks}) ORDER BY id",
                    chunk + chunk):
                story.setdefault(row[1], []).append((row[0], row[2], row[3]))
        return {article: [(source, url) for other, source, url in story.get(root, ())
                          if other != article]
                for article, root in roots.items()}

    @guarded
    def record_channel_result(
        self, delivery_ids: Sequence[int], channel: str, batch_id: str, outcome: str,
        summarised: Sequence[int] = (),
    ) -> None:
        """The channel accepted (`sent`) or permanently refused (`rejected`) these deliveries;
        with `sent`, `summarised` are those the accepted digest only counted by source (past
        the channel's cap): handled, never sent again, and never called rejected."""
        now = iso(utcnow())
        rows = [(i, channel, batch_id, outcome, now) for i in delivery_ids]
        summary = "summarised" if outcome == "sent" else outcome
        rows += [(i, channel, batch_id, summary, now) for i in summarised]
        with self._transaction() as db:  # one transaction: a crash records all or none
            db.executemany(
                "INSERT OR REPLACE INTO channel_sends (delivery_id, channel, batch_id, outcome, at)"
                " VALUES (?,?,?,?,?)", rows)

    @guarded
    def complete(self, digest: str, channels: Sequence[str]) -> int:
        """Mark sent every pending delivery of `digest` that each of `channels` has handled."""
        now = iso(utcnow())
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

    @guarded
    def record_attempt(self, digest: str, channel: str, batch_id: str, items: int,
                       outcome: str, error: str | None = None, summarised: int = 0) -> None:
        """One send: `items` shown, `summarised` counted by source; outcome sent, failed,
        rejected or too-big (refused for its size; a smaller digest followed)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO attempts (digest, channel, batch_id, at, items, outcome, error,"
                " summarised) VALUES (?,?,?,?,?,?,?,?)",
                (digest, channel, batch_id, iso(utcnow()), items, outcome, error, summarised))

    @guarded
    def pending_counts(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT digest, COUNT(*) FROM deliveries WHERE sent_at IS NULL GROUP BY digest")
        return {row[0]: row[1] for row in rows}

    @guarded
    def channel_pending(self, digest: str, channel: str) -> int:
        """Deliveries of `digest` that `channel` has not accepted (or refused) yet."""
        return int(self._db.execute(
            "SELECT COUNT(*) FROM deliveries d WHERE d.digest=? AND d.sent_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM channel_sends s WHERE s.delivery_id=d.id"
            " AND s.channel=?)", (digest, channel)).fetchone()[0])

    @guarded
    def last_attempt(self, digest: str, channel: str) -> sqlite3.Row | None:
        """The latest attempt to send `digest` through `channel`: at, outcome, error, items,
        summarised."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT at, outcome, error, items, summarised FROM attempts WHERE digest=?"
            " AND channel=?"
            " ORDER BY id DESC LIMIT 1", (digest, channel)).fetchone()
        return row
