"""Which pending matches a capped digest shows: a fair share per source, the rest counted.

A flood from one source (thousands of matching items) must never crowd out another
source's single real alert, so entries are shared between sources max-min fairly: every
source keeps all of its matches up to an equal share of the cap, and what small sources
leave unused goes to the larger ones; with fewer entries than sources, the smallest
sources get one each. What does not fit is summarised by source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from vedette.store import PendingItem

SUMMARY_SOURCES = 20
"""Sources named one by one in a digest's summary; the rest are one "other sources" line."""


@dataclass(frozen=True)
class Selection:
    """The matches a digest shows, and those it only counts."""

    shown: tuple[PendingItem, ...]
    summarised: tuple[PendingItem, ...]


def fair_share(items: Sequence[PendingItem], limit: int) -> Selection:
    """At most `limit` of `items`, shared max-min fairly between their sources; each source
    keeps its newest matches. The rest are `summarised`. Deterministic for the same input."""
    if limit >= len(items):
        return Selection(tuple(items), ())
    by_source: dict[str, list[PendingItem]] = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    allowed: dict[str, int] = {}
    room = max(0, limit)
    # Smallest sources first: each takes all it has up to an equal share of what is left,
    # so what they leave unused is shared among the larger ones. With less room than
    # sources, the equal share rounds down to none: each source then takes one while room
    # lasts, smallest first, so the sources left out are the largest (a flood's source is
    # the one to summarise, never the lone real item). Ties go by name: deterministic.
    ordered = sorted(by_source, key=lambda source: (len(by_source[source]), source))
    for index, source in enumerate(ordered):
        share = max(1, room // (len(ordered) - index)) if room > 0 else 0
        allowed[source] = min(len(by_source[source]), share)
        room -= allowed[source]
    kept: set[int] = set()
    for source, group in by_source.items():
        newest = sorted(group, key=_newest_first)[: allowed[source]]
        kept.update(item.delivery_id for item in newest)
    return Selection(tuple(i for i in items if i.delivery_id in kept),
                     tuple(i for i in items if i.delivery_id not in kept))


def summary_by_source(summarised: Sequence[PendingItem]) -> list[tuple[str, int]]:
    """(source, count) of what a digest left out, largest first; past SUMMARY_SOURCES
    sources, the rest as one ("", count) entry."""
    counts = sorted(Counter(item.source for item in summarised).items(),
                    key=lambda pair: (-pair[1], pair[0]))
    if len(counts) <= SUMMARY_SOURCES:
        return counts
    rest = counts[SUMMARY_SOURCES:]
    return [*counts[:SUMMARY_SOURCES], ("", sum(n for _, n in rest))]


def _newest_first(item: PendingItem) -> tuple[float, int]:
    moment = item.published or item.matched_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return -moment.timestamp(), item.delivery_id

