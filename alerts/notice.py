"""Operator notices (a source failing, stale or recovered), sent through any channel."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup

from alerts.channels.base import Channel, DeliveryError
from alerts.render import RenderedDigest
from alerts.safetext import clean_line
from vedette.config import Config
from vedette.health import due_notices
from vedette.store import Store

log = logging.getLogger(__name__)


def render_notice(kind: str, subject: str, lines: Sequence[str],
                  generated_at: datetime) -> RenderedDigest:
    """A short message with no matches: `subject` plus a few plain-text lines."""
    subject = clean_line(subject)
    body = [clean_line(line) for line in lines]
    html = Markup(
        "<!DOCTYPE html><html><body style=\"font-family:Helvetica,Arial,sans-serif;\">"
        "<h2 style=\"font-size:17px;\">{}</h2>{}</body></html>"
    ).format(subject, Markup("").join(Markup("<p>{}</p>").format(line) for line in body))
    key = f"{kind}\n{subject}\n{generated_at.isoformat()}"
    return RenderedDigest(
        digest=kind,
        batch_id=hashlib.sha256(key.encode()).hexdigest()[:24],
        generated_at=generated_at,
        subject=subject,
        text="\n".join([subject, "", *body]) + "\n",
        html=str(html),
        data={"notice": kind, "subject": subject, "lines": body,
              "generated_at": generated_at.isoformat(timespec="seconds")},
        items=(),
        delivery_ids=(),
    )


async def send_health_notices(config: Config, store: Store, source: str) -> None:
    """Send each notice due for `source` (vedette.health decides) once through the ops
    channel; one that fails to send is one error line and is not recorded, so the next
    crawl tries again. Whatever it failed with: the crawl job goes on to prune and send
    its immediate digests."""
    now = datetime.now(UTC)
    for kind, on, subject, lines in due_notices(config, store, source, now):
        log.warning("%s", subject)
        channel_name = config.settings.health.channel
        if channel_name is not None:
            channel: Channel | None = None
            try:
                channel = Channel.create(channel_name, config.channels[channel_name])
                await channel.send(render_notice(f"health-{kind}", subject, lines, now))
            except DeliveryError as exc:
                log.error("health notice via %s: %s", channel_name, exc)
                continue
            except Exception as exc:  # a fault outside the channel's own failures
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if channel is not None:
                    cause = channel.redact(cause)
                log.error("health notice via %s: %s", channel_name, " ".join(cause.split()))
                continue
        store.daemon.set_notice(source, kind, on)


__all__ = ["render_notice", "send_health_notices"]
