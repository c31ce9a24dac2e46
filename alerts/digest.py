"""A digest job: take what is pending for a digest, render it, send it through each channel,
and mark it sent only after the channel accepted it.

Channels are independent: each asks the store for what *it* has not yet accepted, so an
email already sent is never sent again because Slack failed. Each channel's digest is
capped (alerts/fitting.py): past its caps, the matches it leaves out are counted by source
and recorded as summarised for that channel. A refusal for size is answered with a smaller
digest, never recorded as a rejection of the content.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import TemplateError

from alerts.channels.base import Channel, DeliveryError
from alerts.fitting import EntryTooBig, Fitter, RenderCache
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
    summarised: int = 0
    """Matches counted by source in the digest instead of shown (past the channel's caps)."""

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "rejected")


def render_for(config: Config, digest: Digest, items: Sequence[PendingItem],
               now: datetime | None = None, *, summarised: Sequence[PendingItem] = (),
               full_record: Sequence[str] = ()) -> RenderedDigest:
    """The one place a digest's rendering inputs (timezone, topic order) are decided."""
    topics = config.digest_topics(digest)
    return render_digest(
        digest.name, items,
        timezone=config.digest_timezone(digest),
        generated_at=now or datetime.now(UTC),
        topic_order=[t.id for t in topics],
        covers=[t.name for t in topics],
        templates=config.settings.templates,
        summarised=summarised,
        full_record=full_record,
    )


def is_due(items: Sequence[PendingItem], digest: Digest) -> bool:
    """Send when something is pending, or always when the digest asks for empty sends."""
    return bool(items) or digest.send_empty


def full_record(config: Config, digest: Digest, channel: str) -> tuple[str, ...]:
    """The digest's other channels that keep a full record: where matches this channel
    leaves out can be read."""
    return tuple(name for name in digest.channels
                 if name != channel and config.channels[name].full_record)


def fitter_for(config: Config, digest: Digest, name: str, items: Sequence[PendingItem],
               now: datetime | None, cache: RenderCache | None = None) -> Fitter:
    """The fitter of `digest` for the channel `name` (its caps, its summary's pointer)."""
    record = full_record(config, digest, name)

    def render(shown: Sequence[PendingItem], left: Sequence[PendingItem]) -> RenderedDigest:
        return render_for(config, digest, shown, now, summarised=left, full_record=record)

    channel = Channel.create(name, config.channels[name])
    return Fitter(items, channel, render, cache, variant=record)


async def send_digest(
    config: Config, store: Store, digest: Digest, *, dry_run: bool = False,
    preview: Path | None = None, now: datetime | None = None,
) -> list[ChannelOutcome]:
    """Deliver `digest` on each of its channels; dry runs and previews send and mark nothing.

    A preview shows the digest as the digest's first channel would get it (its caps)."""
    outcomes: list[ChannelOutcome] = []
    if preview is not None:
        try:
            rendered = fitter_for(config, digest, digest.channels[0],
                                  store.deliveries.pending(digest.name), now).fit()
        except EntryTooBig as exc:
            return [ChannelOutcome(digest.name, "preview", 0, "failed",
                                   error=f"{digest.channels[0]}: {exc}")]
        preview.parent.mkdir(parents=True, exist_ok=True)
        preview.write_text(rendered.html, encoding="utf-8")
        return [ChannelOutcome(digest.name, "preview", len(rendered.items), "dry-run",
                               note=f"HTML written to {preview}",
                               summarised=len(rendered.summarised_ids))]
    renders: RenderCache = {}
    for name in digest.channels:
        items = store.deliveries.pending(digest.name, name)
        if not is_due(items, digest):
            outcomes.append(ChannelOutcome(digest.name, name, 0, "nothing"))
            continue
        try:
            fitter = fitter_for(config, digest, name, items, now, renders)
            rendered = fitter.fit()
        except EntryTooBig as exc:
            # Loud and pending: recorded as summarised, the matches would be shown nowhere.
            message = f"{name}: {exc}"
            log.error("%s via %s: %s", digest.name, name, message)
            outcomes.append(ChannelOutcome(digest.name, name, len(items), "failed", error=message))
            continue
        except TemplateError as exc:
            # A broken user template fails this channel's send, loudly, and loses nothing.
            message = f"template error: {type(exc).__name__}: {' '.join(str(exc).split())}"
            log.error("%s via %s: %s", digest.name, name, message)
            outcomes.append(ChannelOutcome(digest.name, name, len(items), "failed", error=message))
            continue
        except Exception as exc:
            # A bug or an unexpected library error: this channel fails, the others go on.
            log.exception("%s via %s: unexpected error", digest.name, name)
            message = f"{name}: unexpected error: {type(exc).__name__}"
            outcomes.append(ChannelOutcome(digest.name, name, len(items), "failed", error=message))
            continue
        if dry_run:
            outcomes.append(ChannelOutcome(digest.name, name, len(rendered.items), "dry-run",
                                           note=rendered.subject,
                                           summarised=len(rendered.summarised_ids)))
            continue
        outcomes.append(await _deliver(store, digest, fitter, rendered))
    if not dry_run:
        store.deliveries.complete(digest.name, digest.channels)
    return outcomes


async def _deliver(store: Store, digest: Digest, fitter: Fitter,
                   rendered: RenderedDigest) -> ChannelOutcome:
    channel = fitter.channel
    name = channel.name
    refusals: list[str] = []
    delivered = 0  # matches posted in parts before a refusal for size, already recorded
    while True:
        try:
            # Never send what can't be recorded: a ledger that can't be written (a read-only
            # file or folder, a full disk, a state file replaced) would let every run send
            # the same digest again. The error ends the command (the daemon stops).
            store.check_writable()
        except StateError as exc:
            raise type(exc)(f"{exc} (digest {digest.name} via {name}: nothing sent)") from exc
        ids, left = list(rendered.delivery_ids), list(rendered.summarised_ids)
        try:
            result = await channel.send(rendered)
        except Exception as exc:
            error = exc if isinstance(exc, DeliveryError) else _unexpected(digest, name, exc)
            if not error.too_big:
                return _refused(store, digest, name, rendered, error)
            # Refused for its size, not its content: the same matches go again, fewer shown.
            store.deliveries.record_attempt(digest.name, name, rendered.batch_id, len(ids),
                                            "too-big", str(error), summarised=len(left))
            if error.delivered:
                # Posted before the refusal (a split digest's earlier messages): recorded as
                # sent now, and left out of the smaller digest rather than shown twice.
                store.deliveries.record_channel_result(error.delivered, name, rendered.batch_id,
                                                       "sent")
                delivered += len(error.delivered)
            smaller = fitter.smaller(rendered, error.delivered)
            if smaller is None:
                message = (f"{error} (even the digest cut down to its count of "
                           f"{len(left):,} matches by source; they stay pending)")
                store.deliveries.record_attempt(digest.name, name, rendered.batch_id, 0, "failed",
                                                message, summarised=len(left))
                log.error("%s via %s: %s", digest.name, name, message)
                return ChannelOutcome(digest.name, name, 0, "failed", error=message)
            refusals.append(f"{len(ids)} shown")
            log.warning("%s via %s: %s; trying again with %d of %d matches shown",
                        digest.name, name, error, len(smaller.items), len(ids) + len(left))
            rendered = smaller
            continue
        break
    store.deliveries.record_channel_result(ids, name, rendered.batch_id, "sent", summarised=left)
    notes = [n for n in (getattr(result, "note", None),) if n]
    if left:
        notes.append(f"{len(left):,} more counted by source")
    if refusals:
        notes.append(f"refused as too big with {', then '.join(refusals)}")
    if delivered:
        notes.append(f"{delivered:,} of them in messages posted before a refusal")
    note = "; ".join(notes) or None
    sent = len(ids) + delivered
    store.deliveries.record_attempt(digest.name, name, rendered.batch_id, sent, "sent", note,
                                    summarised=len(left))
    log.info("%s via %s: %d matches sent, %d counted by source", digest.name, name,
             sent, len(left))
    return ChannelOutcome(digest.name, name, sent, "sent", note=note, summarised=len(left))


def _unexpected(digest: Digest, name: str, exc: Exception) -> DeliveryError:
    """A bug or an unexpected library error: this channel fails, the others go on."""
    log.error("%s via %s: unexpected error", digest.name, name, exc_info=exc)
    return DeliveryError(f"{name}: unexpected error: {type(exc).__name__}")


def _refused(store: Store, digest: Digest, name: str, rendered: RenderedDigest,
             error: DeliveryError) -> ChannelOutcome:
    ids = list(rendered.delivery_ids)
    outcome = "rejected" if error.permanent else "failed"
    if error.permanent:
        # Never accepted, never will be (every recipient refused, a revoked webhook): stop
        # retrying, keep the refusal on record, for the matches it only counted as well.
        store.deliveries.record_channel_result(ids, name, rendered.batch_id, "rejected",
                                               summarised=rendered.summarised_ids)
    store.deliveries.record_attempt(digest.name, name, rendered.batch_id, len(ids), outcome,
                                    str(error), summarised=len(rendered.summarised_ids))
    log.error("%s via %s: %s", digest.name, name, error)
    return ChannelOutcome(digest.name, name, len(ids), outcome, error=str(error))
