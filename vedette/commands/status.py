"""`vedette status`: each source's health and last crawl, when each job runs next, and what
is still waiting to be delivered. Exit 1 when something needs the operator (a source failing
or stale, a delivery still pending after its retries failed), 0 when healthy: fit for
monitoring and a container's HEALTHCHECK."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vedette.config import Config, Schedule
from vedette.errors import StateError
from vedette.health import SourceHealth, source_health
from vedette.lock import StateLock
from vedette.output import Output
from vedette.store import Store

EXIT_OK, EXIT_UNHEALTHY = 0, 1


def next_run(schedule: Schedule, last: datetime | None, now: datetime, zone: tzinfo) -> datetime | None:
    """When a job on `schedule` that last ran at `last` runs next, daemon or not: an interval
    counts from the last run (now when it never ran or is overdue), a cron expression fires
    at its next slot; `immediate` digests have no time of their own (None)."""
    if schedule.immediate:
        return None
    if schedule.interval is not None:
        return now if last is None else max(now, last + schedule.interval)
    return schedule.next_run(now, zone)


@dataclass
class Status:
    """Everything `status` shows, in the configured timezone; `problems` decide the exit."""

    zone: ZoneInfo
    state: dict[str, Any]
    sources: list[dict[str, Any]] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def when(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.zone).isoformat(timespec="seconds") if moment else None

    def as_dict(self) -> dict[str, Any]:
        return {"healthy": not self.problems, "problems": self.problems,
                "timezone": self.zone.key, "state": self.state, "sources": self.sources,
                "digests": self.digests}


def gather(config: Config, now: datetime) -> Status:
    path = config.settings.state
    holder = StateLock(path).holder()
    found = Status(ZoneInfo(config.settings.timezone),
                   {"path": str(path), "exists": path.exists(), "in_use_by": holder})
    if not path.exists():
        # Nothing has run yet: show the schedules without creating the state file.
        for source in config.sources:
            found.sources.append(_source(found, config, source.name, None, None, now))
        for digest in config.digests:
            found.digests.append(_digest(found, config, digest.name, None, now))
        return found
    with Store(path) as store:
        # A damaged page can lie where no query below goes (an index, an old article), and
        # status would look fine while a crawl or a backup meets it later.
        damage = store.integrity_problems()
        found.state["integrity"] = damage or "ok"
        if damage:
            found.problems.append(_damaged(path, damage))
        try:
            _gather_state(found, config, store, now)
        except StateError:
            if not damage:
                raise
            # What the damage hides stays unshown; the one line above says what to do.
    return found


def _gather_state(found: Status, config: Config, store: Store, now: datetime) -> None:
    for source in config.sources:
        health = source_health(config, store, source.name, now)
        found.sources.append(_source(found, config, source.name, health,
                                     store.daemon.last_job_run(f"source:{source.name}"), now))
        if health.problem:
            found.problems.append(f"source {source.name}: {health.problem}")
    for digest in config.digests:
        found.digests.append(_digest(found, config, digest.name, store, now))
    configured = {d.name for d in config.digests}
    for name, count in sorted(store.deliveries.pending_counts().items()):
        if name not in configured:
            found.problems.append(
                f"{count} deliveries are pending for digest {name!r}, which is no longer "
                "configured (renamed?): restore its name to send them")


def _damaged(path: Path, damage: list[str]) -> str:
    """SQLite's quick_check findings as one line (its first finding, and how many more)."""
    first = " ".join(damage[0].replace("*** in database main ***", "").split())
    more = ", and more" if len(damage) > 1 else ""
    return (f"state {path}: the file is damaged (integrity check: {first}{more}): stop "
            "Vedette and restore a backup (docs/operations.md, \"Restoring the state\")")


def _source(found: Status, config: Config, name: str, health: SourceHealth | None,
            last_job: datetime | None, now: datetime) -> dict[str, Any]:
    source = config.source(name)
    run = health.last_run if health else None
    last = last_job or (run.started_at if run else None)
    return {
        "name": name, "type": source.type,
        "health": health.label if health else "never crawled",
        "consecutive_failures": health.failures if health else 0,
        "last_new_item": found.when(health.last_new) if health and run else None,
        "last_run": None if run is None else {
            "started_at": found.when(run.started_at), "finished_at": found.when(run.finished_at),
            "outcome": run.status, "items": run.items, "new": run.new_articles,
            "matches": run.matches, "capped": run.capped, "fallbacks": run.fallbacks,
            "redecoded": run.redecoded, "extraction_timeouts": run.extraction_timeouts,
            "error": run.last_error},
        "schedule": str(source.effective_schedule),
        "next_run": found.when(next_run(source.effective_schedule, last, now, found.zone)),
    }


def _digest(found: Status, config: Config, name: str, store: Store | None,
            now: datetime) -> dict[str, Any]:
    digest = config.digest(name)
    zone = ZoneInfo(config.digest_timezone(digest))
    last = store.daemon.last_job_run(f"digest:{name}") if store else None
    channels = []
    for channel in digest.channels:
        attempt = store.deliveries.last_attempt(name, channel) if store else None
        pending = store.deliveries.channel_pending(name, channel) if store else 0
        channels.append({
            "channel": channel, "pending": pending,
            "last_attempt": None if attempt is None else {
                "at": found.when(datetime.fromisoformat(attempt["at"])),
                "outcome": attempt["outcome"], "items": attempt["items"],
                "summarised": attempt["summarised"], "error": attempt["error"]},
        })
        if attempt is not None and attempt["outcome"] != "sent" and (
                pending or attempt["outcome"] == "rejected"):
            found.problems.append(
                f"digest {name} via {channel}: {pending} pending; the last attempt "
                f"({attempt['outcome']}, {found.when(datetime.fromisoformat(attempt['at']))}) "
                f"gave up after its retries: {attempt['error'] or 'no reason given'}")
    return {"name": name, "schedule": str(digest.schedule), "timezone": zone.key,
            "last_run": found.when(last),
            "next_run": found.when(next_run(digest.schedule, last, now, zone)),
            "channels": channels}


def status(config: Config, out: Output, *, as_json: bool = False,
           now: datetime | None = None) -> int:
    found = gather(config, now or datetime.now(UTC))
    if as_json:
        out.line(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print(found, out)
    for problem in found.problems:
        out.error(problem)
    return EXIT_UNHEALTHY if found.problems else EXIT_OK


def _short(text: str | None) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM' (the zone is named once, above the tables)."""
    return text[:16].replace("T", " ") if text else ""


def _print(found: Status, out: Output) -> None:
    state = found.state
    use = f"in use by {state['in_use_by']}" if state["in_use_by"] else "idle"
    if not state["exists"]:
        use = "not created yet" + (f"; {use}" if state["in_use_by"] else ": Vedette has not run")
    out.line(f"state: {Path(state['path']).resolve()} ({use}); times in {found.zone.key}")
    rows: list[tuple[object, ...]] = []
    for s in found.sources:
        run = s["last_run"] or {}
        rows.append((s["name"], s["health"], _short(run.get("started_at")) or "never",
                     run.get("outcome", ""), run.get("items", ""), run.get("new", ""),
                     _matches(run), _short(s["next_run"]), run.get("error") or ""))
    out.table("Sources", ["source", "health", "last run", "outcome", "items", "new", "matches",
                          "next run", "last error"], rows)
    rows = []
    for d in found.digests:
        for c in d["channels"]:
            attempt = c["last_attempt"]
            rows.append((d["name"], c["channel"], c["pending"],
                         _attempt(attempt) if attempt else "never",
                         _short(d["next_run"]) or d["schedule"],
                         attempt["error"] if attempt and attempt["outcome"] != "sent" else ""))
    out.table("Deliveries", ["digest", "channel", "pending", "last attempt", "next run",
                             "last error"], rows)


def _matches(run: dict[str, Any]) -> str:
    """A run's matches, with those past settings.max_matches_per_crawl: "300 (+19700 capped)"."""
    if not run:
        return ""
    capped = run.get("capped")
    return f"{run['matches']} (+{capped} capped)" if capped else str(run["matches"])


def _attempt(attempt: dict[str, Any]) -> str:
    """"sent 2024-05-01 07:00", with the matches the digest only counted by source."""
    text = f"{attempt['outcome']} {_short(attempt['at'])}"
    summarised = attempt.get("summarised")
    return f"{text} ({attempt['items']} shown, {summarised} summarised)" if summarised else text
