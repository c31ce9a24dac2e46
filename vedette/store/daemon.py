"""The daemon's memory: when each job last ran (so a slot missed while it was down is
known), and which source-health notices are out."""

from __future__ import annotations

from datetime import datetime

from vedette.store.codec import from_iso, iso, utcnow
from vedette.store.database import Part
from vedette.store.guard import guarded


class DaemonMemory(Part):
    """`job_runs` and `health_notices`."""

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
