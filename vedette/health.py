"""Source health: after a crawl, decide whether a "failing", "stale" or "recovered" notice
is due, and send it once through the ops channel (never the analysts' digests)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from alerts.channels.base import Channel, DeliveryError
from alerts.notice import render_notice
from vedette.config import Config
from vedette.store import Store

log = logging.getLogger(__name__)


def due_notices(config: Config, store: Store, source: str,
                now: datetime) -> list[tuple[str, bool, str, list[str]]]:
    """The one place that decides: (kind, on/off, subject, lines) for each change due."""
    rules = config.settings.health
    sent = store.notices(source)
    due: list[tuple[str, bool, str, list[str]]] = []
    failures = store.consecutive_failures(source)
    run = store.last_run(source)
    if failures >= rules.failures and "failing" not in sent:
        error = run.last_error if run else None
        due.append(("failing", True, f"Source failing: {source}",
                    [f"{failures} crawls of {source} in a row failed.",
                     f"Last error: {error or 'unknown'}",
                     "Run `vedette status` for details; one notice is sent when it recovers."]))
    elif failures == 0 and "failing" in sent:
        due.append(("failing", False, f"Source recovered: {source}",
                    [f"{source} was crawled successfully again."]))
    last_new = store.last_new_article(source)
    stale = last_new is not None and now - last_new > rules.stale
    if stale and failures == 0 and "stale" not in sent:
        due.append(("stale", True, f"Source stale: {source}",
                    [f"{source} has had no new item since {last_new:%Y-%m-%d %H:%M} UTC, "
                     f"although it is crawled without errors.",
                     "Its feed may have moved: check the site."]))
    elif not stale and "stale" in sent:
        due.append(("stale", False, f"Source has new items again: {source}",
                    [f"{source} publishes new items again."]))
    return due


async def report_health(config: Config, store: Store, source: str) -> None:
    now = datetime.now(UTC)
    for kind, on, subject, lines in due_notices(config, store, source, now):
        log.warning("%s", subject)
        channel_name = config.settings.health.channel
        if channel_name is not None:
            channel = Channel.create(channel_name, config.channels[channel_name])
            try:
                await channel.send(render_notice(f"health-{kind}", subject, lines, now))
            except DeliveryError as exc:
                log.error("health notice via %s: %s", channel_name, exc)
                continue  # not recorded: the next crawl tries again
        store.set_notice(source, kind, on)
