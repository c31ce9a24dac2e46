"""Source health, decided in one place: whether a source is failing or stale, for `vedette
status` (and its exit status) and for the daemon's "failing", "stale" and "recovered"
notices (sent once each through the ops channel, never the analysts' digests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vedette.config import Config
from vedette.store import RunRecord, Store


@dataclass(frozen=True)
class SourceHealth:
    source: str
    last_run: RunRecord | None
    failures: int                  # failed crawls in a row, since the last good one
    threshold: int                 # settings.health.failures
    last_new: datetime | None      # when a crawl last found a new item (else the first crawl)
    quiet: bool                    # no new item for settings.health.stale

    @property
    def stale(self) -> bool:
        """Quiet although crawled without errors (a failing source is reported as failing)."""
        return self.quiet and self.failures == 0

    @property
    def failing(self) -> bool:
        return self.failures >= self.threshold

    @property
    def healthy(self) -> bool:
        return not (self.failing or self.stale)

    @property
    def label(self) -> str:
        """One word for tables: never crawled, ok, error (below the threshold), failing, stale."""
        if self.last_run is None:
            return "never crawled"
        if self.failing:
            return "failing"
        if self.failures:
            return f"error ({self.failures} of {self.threshold})"
        return "stale" if self.stale else "ok"

    @property
    def problem(self) -> str | None:
        """Why this source is unhealthy, in one line; None when it is healthy."""
        if self.failing:
            error = self.last_run.last_error if self.last_run else None
            return (f"failing: {self.failures} crawls in a row failed; last error: "
                    f"{error or 'unknown'}")
        if self.stale and self.last_new is not None:
            return (f"stale: no new item since {self.last_new:%Y-%m-%d %H:%M} UTC although it is "
                    "crawled without errors (its feed may have moved)")
        return None


def source_health(config: Config, store: Store, source: str, now: datetime) -> SourceHealth:
    rules = config.settings.health
    failures = store.runs.consecutive_failures(source)
    last_new = store.runs.last_new_article(source)
    return SourceHealth(
        source=source, last_run=store.runs.last(source), failures=failures,
        threshold=rules.failures, last_new=last_new,
        quiet=last_new is not None and now - last_new > rules.stale)


def due_notices(config: Config, store: Store, source: str,
                now: datetime) -> list[tuple[str, bool, str, list[str]]]:
    """(kind, on/off, subject, lines) for each notice due: a change of health since the last."""
    health = source_health(config, store, source, now)
    sent = store.daemon.notices(source)
    due: list[tuple[str, bool, str, list[str]]] = []
    if health.failing and "failing" not in sent:
        error = health.last_run.last_error if health.last_run else None
        due.append(("failing", True, f"Source failing: {source}",
                    [f"{health.failures} crawls of {source} in a row failed.",
                     f"Last error: {error or 'unknown'}",
                     "Run `vedette status` for details; one notice is sent when it recovers."]))
    elif health.failures == 0 and "failing" in sent:
        due.append(("failing", False, f"Source recovered: {source}",
                    [f"{source} was crawled successfully again."]))
    if health.stale and "stale" not in sent:
        assert health.last_new is not None
        due.append(("stale", True, f"Source stale: {source}",
                    [f"{source} has had no new item since {health.last_new:%Y-%m-%d %H:%M} UTC, "
                     f"although it is crawled without errors.",
                     "Its feed may have moved: check the site."]))
    elif not health.quiet and "stale" in sent:
        due.append(("stale", False, f"Source has new items again: {source}",
                    [f"{source} publishes new items again."]))
    return due
