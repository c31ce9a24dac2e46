"""Digest rendering: one context built from the pending matches feeds every format.

Scraped text is hostile input. It reaches the templates only as data, never as template
source; the HTML environment autoescapes; only http/https URLs become links; highlights
are built from escaped segments with markupsafe; single-line fields lose control
characters and line breaks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from alerts.caps import summary_by_source
from alerts.digest_data import digest_data
from alerts.safetext import (
    clean_line,
    html_highlight,
    safe_link,
    snippet_segments,
    text_highlight,
)
from vedette.store import PendingItem

SUBJECT_MAX = 150
"""Longest subject (before the channel's prefix); further topics become "+N more"."""

_HTML_TEMPLATE = "email/digest.html.j2"
_TEXT_TEMPLATE = "email/digest.txt.j2"


ALSO_SHOWN = 10
"""Other outlets named under an entry ("Also reported by"); the rest are counted ("and 40
more"). A story copied by hundreds of sites would otherwise make one entry larger than a
channel's max_bytes, and it could be shown nowhere."""


@dataclass(frozen=True)
class RenderedDigest:
    """One digest batch, rendered for every channel."""

    digest: str
    batch_id: str
    """Stable for the same digest and deliveries: a re-send is recognisable."""
    generated_at: datetime
    subject: str
    """Without any channel's prefix, e.g. "7 new: Joint production (3), Long-range drones (4)"."""
    text: str
    html: str
    data: dict[str, Any]
    """The machine-readable digest (the file channel's .json)."""
    items: tuple[PendingItem, ...]
    """In the order shown: grouped by topic, newest first within a topic."""
    delivery_ids: tuple[int, ...]
    timezone: str = "UTC"
    """The digest's timezone: every channel shows times in it."""
    context: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """The shared context the formats were rendered from (built once, reused by channels)."""
    summarised_ids: tuple[int, ...] = ()
    """Deliveries this digest only counts (past its channel's cap), by source, in its summary."""


def render_digest(
    digest_name: str,
    items: Sequence[PendingItem],
    *,
    timezone: str,
    generated_at: datetime,
    topic_order: Sequence[str] = (),
    covers: Sequence[str] = (),
    templates: Path | None = None,
    summarised: Sequence[PendingItem] = (),
    full_record: Sequence[str] = (),
) -> RenderedDigest:
    """Render `items` as the digest `digest_name` (times shown in `timezone`).

    `topic_order` (topic ids or names) orders the sections; other topics follow in order of
    first appearance. `covers` (topic names) feeds the footer, which names the digest and
    its topics and never a path on the server. Templates in `templates` are used before the shipped ones.
    `summarised` are matches left out by a channel's cap: counted by source in the digest;
    `full_record` names the channels that list them in full.
    """
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    groups = group_items(items, topic_order)
    ordered = tuple(item for _, group in groups for item in group)
    context = digest_context(digest_name, groups, zone=ZoneInfo(timezone),
                             generated_at=generated_at)
    context["covers"] = [clean_line(name) for name in covers]
    summary = summary_by_source(summarised)
    context.update(left_out_context(len(ordered), summary, full_record))
    if summarised:
        context["subject"] += f" (and {len(summarised):,} more)"
    html_env, text_env = _environments(str(templates) if templates else None)
    delivery_ids = tuple(sorted({item.delivery_id for item in items}))
    summarised_ids = tuple(sorted({item.delivery_id for item in summarised}))
    data = digest_data(digest_name, ordered, generated_at)
    if summarised:  # more keys may be added to the JSON digest: only when something was left out
        data["summarised"] = [{"source": source or None, "count": count}
                              for source, count in summary]
    return RenderedDigest(
        digest=digest_name,
        batch_id=batch_id(digest_name, delivery_ids + summarised_ids),
        generated_at=generated_at,
        subject=context["subject"],
        text=text_env.get_template(_TEXT_TEMPLATE).render(context),
        html=html_env.get_template(_HTML_TEMPLATE).render(context),
        data=data,
        items=ordered,
        delivery_ids=delivery_ids,
        timezone=timezone,
        context=context,
        summarised_ids=summarised_ids,
    )


def left_out_context(shown: int, summary: Sequence[tuple[str, int]],
                     full_record: Sequence[str]) -> dict[str, Any]:
    """What every format says about matches a cap left out: one line per source ("and 950
    more from spam-source") and where they can be read in full. Plain text, like the rest."""
    total = sum(count for _, count in summary)
    lines = [f"and {count:,} more from {clean_line(source)}" if source
             else f"and {count:,} more from other sources" for source, count in summary]
    where = ""
    if total:
        where = (f"Shown here: {shown:,} of {shown + total:,} matches, a fair share from each "
                 "source; the rest are counted below")
        names = [clean_line(name) for name in full_record]
        where += (f" and listed in full by the {', '.join(names)} file "
                  f"channel{'s' if len(names) > 1 else ''}." if names else ".")
    return {"left_out": total, "left_out_lines": lines, "left_out_note": where}


def shared_context(digest: RenderedDigest) -> dict[str, Any]:
    """The context `digest` was rendered from; built anew only for a digest made by hand."""
    if digest.context is not None:
        return digest.context
    context = digest_context(digest.digest, group_items(digest.items),
                             zone=ZoneInfo(digest.timezone), generated_at=digest.generated_at)
    context.update(left_out_context(len(digest.items), (), ()))
    return context


def batch_id(digest_name: str, delivery_ids: Iterable[int]) -> str:
    """A stable id for one batch: the same digest and deliveries give the same id."""
    key = f"{digest_name}\n{','.join(str(i) for i in sorted(set(delivery_ids)))}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def group_items(
    items: Sequence[PendingItem], topic_order: Sequence[str] = ()
) -> list[tuple[str, list[PendingItem]]]:
    """(topic name, items newest first) per topic, in `topic_order`, then first appearance."""
    groups: dict[str, list[PendingItem]] = {}
    for item in items:
        groups.setdefault(item.topic_id, []).append(item)
    rank = {key: n for n, key in reversed(list(enumerate(topic_order)))}

    def position(entry: tuple[int, str]) -> tuple[int, int]:
        appearance, topic_id = entry
        first = groups[topic_id][0]
        wanted = min(rank.get(topic_id, len(rank)), rank.get(first.topic_name, len(rank)))
        return wanted, appearance

    ordered = sorted(enumerate(groups), key=position)
    return [
        (groups[topic_id][0].topic_name, sorted(groups[topic_id], key=_newest_first))
        for _, topic_id in ordered
    ]


def digest_context(
    digest_name: str,
    groups: Sequence[tuple[str, Sequence[PendingItem]]],
    *,
    zone: tzinfo,
    generated_at: datetime,
) -> dict[str, Any]:
    """The one context all formats are rendered from. Every string in it is plain text."""
    count = sum(len(group) for _, group in groups)
    topics: list[dict[str, Any]] = [
        {"name": clean_line(name) or "(unnamed topic)", "count": len(group),
         "articles": [_item_context(item, zone) for item in group]}
        for name, group in groups
    ]
    return {
        "digest": clean_line(digest_name),
        "subject": make_subject([(t["name"], t["count"]) for t in topics]),
        "generated": _local_time(generated_at, zone),
        "count": count,
        "topics": topics,
    }


def make_subject(counts: Sequence[tuple[str, int]]) -> str:
    """"7 new: Joint production (3), Long-range drones (4)", shortened to SUBJECT_MAX."""
    total = sum(n for _, n in counts)
    if not total:
        return "No new matches"
    parts = [f"{name} ({n})" for name, n in counts]
    for shown in range(len(parts), 0, -1):
        rest = len(parts) - shown
        subject = f"{total} new: {', '.join(parts[:shown])}" + (f", +{rest} more" if rest else "")
        if len(subject) <= SUBJECT_MAX or shown == 1:
            return subject
    return f"{total} new"


@cache
def _environments(user_templates: str | None = None) -> tuple[Environment, Environment]:
    loader: BaseLoader = PackageLoader("alerts", "templates")
    if user_templates:
        loader = ChoiceLoader([FileSystemLoader(user_templates), loader])
    options: dict[str, Any] = {"loader": loader, "undefined": StrictUndefined,
                               "trim_blocks": True, "lstrip_blocks": True,
                               "keep_trailing_newline": True}
    # Sandboxed: a user's template may be edited by someone who may not run code here.
    html = ImmutableSandboxedEnvironment(
        autoescape=select_autoescape(("html", "html.j2", "htm"), default_for_string=True,
                                     default=True),
        **options,
    )
    html.filters["highlight"] = html_highlight
    # Plain text output, never shown as HTML: escaping would turn "&" into "&amp;".
    text = ImmutableSandboxedEnvironment(autoescape=False, **options)
    text.filters["highlight"] = text_highlight
    return html, text


def _item_context(item: PendingItem, zone: tzinfo) -> dict[str, Any]:
    return {
        "title": clean_line(item.title) or "(untitled)",
        "url": clean_line(item.url),
        "link": safe_link(item.url),
        "source": clean_line(item.source),
        "published": _local_time(item.published, zone) if item.published else "time unknown",
        "terms": _term_labels(item),
        "snippet": snippet_segments(item.snippet, item.highlights),
        "more_snippets": [snippet_segments(s.text, s.highlights) for s in item.more_snippets],
        "also": [{"source": clean_line(source), "url": clean_line(url), "link": safe_link(url)}
                 for source, url in item.also[:ALSO_SHOWN]],
        "also_more": max(0, len(item.also) - ALSO_SHOWN),
    }


def _term_labels(item: PendingItem) -> list[str]:
    """Each term that hit, with the fields it hit in when known: "drones (title, body)"."""
    labels = []
    for index, term in enumerate(clean_line(t) for t in item.terms):
        if not term:
            continue
        fields = item.term_fields[index] if index < len(item.term_fields) else ()
        labels.append(f"{term} ({', '.join(map(clean_line, fields))})" if fields else term)
    return labels


def _newest_first(item: PendingItem) -> tuple[float, int]:
    moment = _aware(item.published or item.matched_at)
    return -moment.timestamp(), item.delivery_id


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_time(moment: datetime, zone: tzinfo) -> str:
    return _aware(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
