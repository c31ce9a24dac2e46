"""The machine-readable digest: what the `file` channel writes as JSON."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from vedette.store import PendingItem


def digest_data(
    digest_name: str, items: Sequence[PendingItem], generated_at: datetime
) -> dict[str, Any]:
    """The machine-readable digest (values as stored): its name, when it was generated and,
    per match, topic, URL, title, source, publication time, terms and snippet; plus where
    each term hit ("hits") and every snippet with its highlights ("snippets")."""
    return {
        "digest": digest_name,
        "generated_at": _iso(generated_at),
        "matches": [
            {"topic": item.topic_name, "topic_id": item.topic_id, "url": item.url,
             "title": item.title, "source": item.source,
             "published": _iso(item.published) if item.published else None,
             "terms": list(item.terms), "snippet": item.snippet,
             # Matches stored by an older Vedette know their terms but not the fields.
             "hits": [{"term": term, "fields": list(fields)} for term, fields
                      in itertools.zip_longest(item.terms, item.term_fields, fillvalue=())],
             "snippets": [
                 {"field": field, "text": text, "highlights": [list(h) for h in highlights]}
                 for field, text, highlights in (
                     (item.snippet_field, item.snippet, item.highlights),
                     *((s.field, s.text, s.highlights) for s in item.more_snippets))]}
            for item in items
        ],
    }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
