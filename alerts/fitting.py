"""Fitting a digest to one channel: at most its `max_entries`, at most its `max_bytes`, and
smaller again when the channel refuses it as too big.

Sizes are measured on what the channel would really hand over (the encoded email, the
Slack payloads), so a cap is never passed by an estimate that was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alerts.caps import fair_share
from alerts.channels.base import Channel
from alerts.render import RenderedDigest
from vedette.store import PendingItem

Render = Callable[[Sequence[PendingItem], Sequence[PendingItem]], RenderedDigest]
"""Renders (shown, summarised) as the digest."""
RenderCache = dict[tuple[object, tuple[int, ...], tuple[int, ...]], RenderedDigest]

SHRINK = 0.9
"""When a digest is over its bytes, the next try keeps this much of the proportional guess
(entries differ in size, so a guess that just fits on average often doesn't)."""


class EntryTooBig(Exception):
    """A channel's max_bytes is too small for even one entry of the pending matches."""


class Fitter:
    """Picks, for one channel, the largest fair selection of `items` within its caps."""

    def __init__(self, items: Sequence[PendingItem], channel: Channel, render: Render,
                 cache: RenderCache | None = None, variant: object = None) -> None:
        self.items = list(items)
        self.channel = channel
        self.render = render
        self.variant = variant
        """What else the rendering depends on (part of the cache key)."""
        # Channels with the same pending matches and the same selection share one render.
        self.cache: RenderCache = {} if cache is None else cache

    @property
    def max_entries(self) -> int:
        return int(self.channel.config.max_entries)

    @property
    def max_bytes(self) -> int:
        return int(self.channel.config.max_bytes)

    def fit(self, limit: int | None = None) -> RenderedDigest:
        """The digest with as many entries as the caps (and `limit`) allow; with none at
        all (only the count of what was left out) only when `limit` is 0.

        Raises EntryTooBig when matches are pending but not even one entry fits within
        max_bytes: a digest of the summary alone would record every match as summarised,
        shown nowhere, without a word."""
        entries = min(len(self.items), self.max_entries if limit is None else limit)
        while True:
            rendered = self._render(entries)
            if entries == 0:
                return rendered
            size = self.channel.size(rendered)
            if size <= self.max_bytes:
                return rendered
            if entries == 1:
                raise EntryTooBig(
                    f"not even one entry fits within max_bytes ({self.max_bytes:,} bytes; "
                    f"the digest with one takes {size:,}): raise max_bytes "
                    f"({len(self.items):,} matches stay pending)")
            entries = max(1, min(entries - 1, int(entries * self.max_bytes / size * SHRINK)))

    def smaller(self, refused: RenderedDigest,
                delivered: Sequence[int] = ()) -> RenderedDigest | None:
        """A digest about half the size of `refused` (which the channel refused as too big);
        None when `refused` already showed no entry.

        `delivered` are deliveries of `refused` the channel took before refusing the rest
        (a split digest's earlier messages): they leave this fitter's items, and the next
        digest halves what was left of `refused` instead."""
        done = set(delivered)
        if done:
            self.items = [item for item in self.items if item.delivery_id not in done]
            if not self.items:  # nothing owed any more (a refused part holds something)
                return None
            # Even when every entry was delivered, the summary that was refused with the
            # last part is still owed: a digest of the summary alone.
            return self._fit_or_summary(
                sum(item.delivery_id not in done for item in refused.items) // 2)
        shown = len(refused.items)
        if shown == 0:
            return None
        return self._fit_or_summary(shown // 2)

    def _fit_or_summary(self, limit: int) -> RenderedDigest:
        # After a refusal for size the last step down is the summary alone, as documented:
        # the refusal, not max_bytes, is what leaves the entries out.
        try:
            return self.fit(limit)
        except EntryTooBig:
            return self.fit(0)

    def _render(self, entries: int) -> RenderedDigest:
        selection = fair_share(self.items, entries)
        key = (self.variant, tuple(i.delivery_id for i in selection.shown),
               tuple(i.delivery_id for i in selection.summarised))
        if key not in self.cache:
            self.cache[key] = self.render(selection.shown, selection.summarised)
        return self.cache[key]
