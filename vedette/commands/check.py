"""`vedette check`: the config as Vedette understood it, with the next run times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from vedette.config import Config, SourceBase, TermSpec
from vedette.config.reference import duration_text
from vedette.output import Output
from vedette.store import path_problem

FIRST_CRAWL_NOTE = (
    "first crawl: a new source alerts only items published within its window "
    "(settings.first_crawl_window, per source backfill:); older and undated items are "
    "stored as seen and never alerted.")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else "-"


def check(config: Config, out: Output) -> int:
    now = datetime.now(UTC)
    tz = ZoneInfo(config.settings.timezone)
    problem = path_problem(config.settings.state)
    if problem is not None:  # a folder, say: every command that opens the state would fail
        where = config.files.get("settings", config.directory)
        out.error(f"{where}: settings.state: {problem}")
        return 2
    for warning in config.warnings:  # never changes the exit status
        out.warning(warning)
    out.line(f"config: {config.directory} — valid")
    out.line(f"state:  {config.settings.state}")
    out.table("Sources", ["name", "type", "url", "schedule", "next run", "max age",
                          "first crawl"], [
        (s.name, s.type, s.target(), s.effective_schedule,
         _when(s.effective_schedule.next_run(now, tz)),
         duration_text(s.max_age), _first_crawl(config, s))
        for s in config.sources
    ])
    if config.sources:
        out.line(FIRST_CRAWL_NOTE)
    out.table("Topics", ["name", "id", "query", "any", "all", "none", "languages"], [
        (t.name, t.id, " ".join((t.query or "").split()), _terms(t.any), _terms(t.all),
         _terms(t.none), ", ".join(t.languages))
        for t in config.topics
    ])
    out.table("Channels", ["name", "type", "target"], [
        (name, channel.type, channel.target()) for name, channel in config.channels.items()
    ])
    rows = []
    for digest in config.digests:
        zone = ZoneInfo(config.digest_timezone(digest))
        rows.append((digest.name, digest.schedule, config.digest_timezone(digest),
                     _when(digest.schedule.next_run(now, zone)),
                     ", ".join(t.name for t in config.digest_topics(digest)),
                     ", ".join(digest.channels)))
    out.table("Digests", ["name", "schedule", "timezone", "next run", "topics", "channels"], rows)
    return 0


def _first_crawl(config: Config, source: SourceBase) -> str:
    """What the source's first crawl alerts: its backfill, else the settings' window,
    never more than max_age (older items never alert at all)."""
    window = source.backfill if source.backfill is not None else config.settings.first_crawl_window
    if window > source.max_age:
        return f"alerts last {duration_text(source.max_age)} (max_age)"
    return f"alerts last {duration_text(window)}" if window else "alerts none"


def _terms(terms: list[TermSpec]) -> str:
    return ", ".join(("=" if t.exact else "") + t.term for t in terms)

