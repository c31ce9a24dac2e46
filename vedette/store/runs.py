"""The record of crawls: one run per crawl of a source, started and finished, and what
the health checks ask of them."""

from __future__ import annotations

from datetime import datetime

from vedette.store.codec import from_iso, iso, run_record, utcnow
from vedette.store.database import Part
from vedette.store.guard import guarded
from vedette.store.models import RunRecord


class Runs(Part):
    """`runs`."""

    @guarded
    def start(self, source: str) -> int:
        with self._transaction() as db:
            return int(db.execute(
                "INSERT INTO runs (source, started_at, status) VALUES (?,?,'running')",
                (source, iso(utcnow()))).lastrowid or 0)

    @guarded
    def finish(self, run_id: int, *, status: str, items: int, new_articles: int,
               matches: int, fallbacks: int, errors: int, last_error: str | None,
               not_alerted: int = 0, capped: int = 0, redecoded: int = 0,
               extraction_timeouts: int = 0) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, items=?, new_articles=?, matches=?,"
                " fallbacks=?, errors=?, last_error=?, not_alerted=?, capped=?, redecoded=?,"
                " extraction_timeouts=? WHERE id=?",
                (iso(utcnow()), status, items, new_articles, matches, fallbacks, errors,
                 last_error, not_alerted, capped, redecoded, extraction_timeouts, run_id))

    @guarded
    def has_completed(self, source: str) -> bool:
        """Whether a crawl of `source` has ever ended well (its first crawl is behind it)."""
        return self._db.execute(
            "SELECT 1 FROM runs WHERE source=? AND status='ok' LIMIT 1", (source,)
        ).fetchone() is not None

    @guarded
    def last(self, source: str) -> RunRecord | None:
        row = self._db.execute(
            "SELECT * FROM runs WHERE source=? ORDER BY id DESC LIMIT 1", (source,)).fetchone()
        if row is None:
            return None
        return run_record(row)

    @guarded
    def unfinished(self, source: str) -> int | None:
        """The id of `source`'s latest run if it never finished (its crawl ended before it
        could record how), else None."""
        row = self._db.execute(
            "SELECT id, status FROM runs WHERE source=? ORDER BY id DESC LIMIT 1",
            (source,)).fetchone()
        return int(row["id"]) if row is not None and row["status"] == "running" else None

    @guarded
    def consecutive_failures(self, source: str) -> int:
        """Failed runs of `source` since its last successful one."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM runs WHERE source=? AND status='failed' AND id > "
            "COALESCE((SELECT MAX(id) FROM runs WHERE source=? AND status='ok'), 0)",
            (source, source)).fetchone()
        return int(row[0])

    @guarded
    def last_new_article(self, source: str) -> datetime | None:
        """When a crawl of `source` last found a new article (or, never, its first run)."""
        row = self._db.execute(
            "SELECT MAX(started_at) FROM runs WHERE source=? AND new_articles > 0",
            (source,)).fetchone()
        if row[0]:
            return from_iso(row[0])
        first = self._db.execute("SELECT MIN(started_at) FROM runs WHERE source=?",
                                 (source,)).fetchone()
        return from_iso(first[0])
