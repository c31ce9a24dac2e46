"""The state store's record of crawls and of the daemon: runs, feed validators, job
times and source-health notices (a part of `Store`, kept in its own module)."""

from __future__ import annotations

from datetime import datetime

from vedette.store.codec import from_iso, iso, run_record, utcnow
from vedette.store.guard import StorePart, guarded
from vedette.store.models import RunRecord


class RunsMixin(StorePart):

    # -- crawl runs and feed validators ------------------------------------------------------

    @guarded
    def start_run(self, source: str) -> int:
        with self._transaction() as db:
            return int(db.execute(
                "INSERT INTO runs (source, started_at, status) VALUES (?,?,'running')",
                (source, iso(utcnow()))).lastrowid or 0)

    @guarded
    def finish_run(self, run_id: int, *, status: str, items: int, new_articles: int,
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
    def has_completed_run(self, source: str) -> bool:
        """Whether a crawl of `source` has ever ended well (its first crawl is behind it)."""
        return self._db.execute(
            "SELECT 1 FROM runs WHERE source=? AND status='ok' LIMIT 1", (source,)
        ).fetchone() is not None

    @guarded
    def last_run(self, source: str) -> RunRecord | None:
        row = self._db.execute(
            "SELECT * FROM runs WHERE source=? ORDER BY id DESC LIMIT 1", (source,)).fetchone()
        if row is None:
            return None
        return run_record(row)

    @guarded
    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute(
            "SELECT etag, last_modified FROM feed_validators WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    @guarded
    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO feed_validators (url, etag, last_modified, updated_at)"
                " VALUES (?,?,?,?)", (url, etag, last_modified, iso(utcnow())))

    # -- the daemon's memory -----------------------------------------------------------------

    @guarded
    def last_job_run(self, job: str) -> datetime | None:
        row = self._db.execute("SELECT last_run FROM job_runs WHERE job=?", (job,)).fetchone()
        return from_iso(row[0]) if row else None

    @guarded
    def record_job_run(self, job: str, at: datetime) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO job_runs (job, last_run) VALUES (?,?)",
                       (job, iso(at)))

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

    @guarded
    def notices(self, source: str) -> set[str]:
        return {row[0] for row in self._db.execute(
            "SELECT kind FROM health_notices WHERE source=?", (source,))}

    @guarded
    def set_notice(self, source: str, kind: str, on: bool) -> None:
        with self._transaction() as db:
            if on:
                db.execute("INSERT OR REPLACE INTO health_notices (source, kind, sent_at)"
                           " VALUES (?,?,?)", (source, kind, iso(utcnow())))
            else:
                db.execute("DELETE FROM health_notices WHERE source=? AND kind=?", (source, kind))
