"""A digest job: take what is pending for a digest, render it, send it through each channel,
and mark it sent only after the channel accepted it.

Channels are independent: each asks the store for what *it* has not yet accepted, so an
email already sent is never sent again because Slack failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import TemplateError

from alerts.channels.base import Channel, DeliveryError
from alerts.render import RenderedDigest, render_digest
from vedette.config import Config, Digest
from vedette.errors import StateError
from vedette.store import PendingItem, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelOutcome:
    digest: str
    channel: str
    items: int
    status: str            # sent | failed | rejected | nothing | dry-run
    error: str | None = None
    note: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "rejected")


def render_for(config: Config, digest: Digest, items: Sequence[PendingItem],
               now: datetime | None = None) -> RenderedDigest:
    """The one place a digest's rendering inputs (timezone, topic order) are decided."""
    topics = config.digest_topics(digest)
    return render_digest(
        digest.name, items,
        timezone=config.digest_timezone(digest),
        generated_at=now or datetime.now(UTC),
        topic_order=[t.id for t in topics],
        covers=[t.name for t in topics],
        templates=config.settings.templates,
    )


def is_due(items: Sequence[PendingItem], digest: Digest) -> bool:
    """Send when something is pending, or always when the digest asks for empty sends."""
    return bool(items) or digest.send_empty


async def send_digest(
    config: Config, store: Store, digest: Digest, *, dry_run: bool = False,
    preview: Path | None = None, now: datetime | None = None,
) -> list[ChannelOutcome]:
    """Deliver `digest` on each of its channels; dry runs and previews send and mark nothing."""
    outcomes: list[ChannelOutcome] = []
    if preview is not None:
        rendered = render_for(config, digest, store.pending(digest.name), now)
        preview.parent.mkdir(parents=True, exist_ok=True)
        preview.write_text(rendered.html, encoding="utf-8")
        return [ChannelOutcome(digest.name, "preview", len(rendered.items), "dry-run",
                               note=f"HTML written to {preview}")]
    renders: dict[tuple[int, ...], RenderedDigest] = {}
    for name in digest.channels:
        items = store.pending(digest.name, name)
        if not is_due(items, digest):
            outcomes.append(ChannelOutcome(digest.name, name, 0, "nothing"))
            continue
        try:
            key = tuple(item.delivery_id for item in items)
            if key not in renders:  # channels with the same pending matches share one render
                renders[key] = render_for(config, digest, items, now)
            rendered = renders[key]
        except TemplateError as exc:
            # A broken user template fails this channel's send, loudly, and loses nothing.
            message = f"template error: {type(exc).__name__}: {' '.join(str(exc).split())}"
            log.error("%s via %s: %s", digest.name, name, message)
            outcomes.append(ChannelOutcome(digest.name, name, len(items), "failed", error=message))
            continue
        if dry_run:
            outcomes.append(ChannelOutcome(digest.name, name, len(items), "dry-run",
                                           note=rendered.subject))
            continue
        outcomes.append(await _deliver(config, store, digest, name, rendered))
    if not dry_run:
        store.complete(digest.name, digest.channels)
    return outcomes


async def _deliver(config: Config, store: Store, digest: Digest, name: str,
                   rendered: RenderedDigest) -> ChannelOutcome:
    ids = list(rendered.delivery_ids)
    try:
        # Never send what can't be recorded: a ledger that can't be written (a read-only
        # file or folder, a full disk, a state file replaced) would let every run send the
        # same digest again. The error ends the command (the daemon stops).
        store.check_writable()
    except StateError as exc:
        raise type(exc)(f"{exc} (digest {digest.name} via {name}: nothing sent)") from exc
    try:
        channel = Channel.create(name, config.channels[name])
        result = await channel.send(rendered)
    except Exception as exc:
        if not isinstance(exc, DeliveryError):
            # A bug or an unexpected library error: this channel fails, the others go on.
            log.exception("%s via %s: unexpected error", digest.name, name)
            exc = DeliveryError(f"{name}: unexpected error: {type(exc).__name__}")
        outcome = "rejected" if exc.permanent else "failed"
        if exc.permanent:
            # Never accepted, never will be: stop retrying, keep the refusal on record.
            store.record_channel_result(ids, name, rendered.batch_id, "rejected")
        store.record_attempt(digest.name, name, rendered.batch_id, len(ids), outcome, str(exc))
        log.error("%s via %s: %s", digest.name, name, exc)
        return ChannelOutcome(digest.name, name, len(ids), outcome, error=str(exc))
    store.record_channel_result(ids, name, rendered.batch_id, "sent")
    note = getattr(result, "note", None)
    store.record_attempt(digest.name, name, rendered.batch_id, len(ids), "sent", note)
    log.info("%s via %s: %d matches sent", digest.name, name, len(ids))
    return ChannelOutcome(digest.name, name, len(ids), "sent", note=note)
