"""`vedette status`: each source's last crawl and what is still waiting to be delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from vedette.config import Config
from vedette.lock import StateLock
from vedette.output import Output
from vedette.store import Store


def status(config: Config, out: Output) -> int:
    holder = StateLock(config.settings.state).holder()
    out.line(f"state: {config.settings.state} ({'in use by ' + holder if holder else 'idle'})")
    with Store(config.settings.state) as store:
        rows = []
        zone = ZoneInfo(config.settings.timezone)
        now = datetime.now(UTC)
        for source in config.sources:
            schedule = source.effective_schedule
            last_job = store.last_job_run(f"source:{source.name}")
            upcoming = schedule.next_run(max(last_job or now, now), zone) if holder else None
            next_run = upcoming.isoformat(timespec="seconds") if upcoming else "-"
            run = store.last_run(source.name)
            if run is None:
                rows.append((source.name, "never", "", "", "", "", next_run, ""))
                continue
            rows.append((source.name, run.started_at.isoformat(timespec="seconds"), run.status,
                         run.items, run.new_articles, run.matches, next_run, run.last_error or ""))
        out.table("Sources", ["source", "last run", "outcome", "items", "new", "matches",
                              "next run", "last error"], rows)
        rows = []
        for digest in config.digests:
            for channel in digest.channels:
                attempt = store.last_attempt(digest.name, channel)
                rows.append((digest.name, channel, store.channel_pending(digest.name, channel),
                             f"{attempt['outcome']} {attempt['at']}" if attempt else "never",
                             attempt["error"] if attempt and attempt["outcome"] != "sent" else ""))
        out.table("Deliveries", ["digest", "channel", "pending", "last attempt", "last error"],
                  rows)
        configured = {d.name for d in config.digests}
        for name, count in sorted(store.pending_counts().items()):
            if name not in configured:
                out.error(f"{count} deliveries are pending for digest {name!r}, which is no "
                          "longer configured (renamed?): restore its name to send them")
    return 0
