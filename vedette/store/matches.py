"""How a match is kept in the `matches` table (its JSON columns, written and read back),
and what a pending delivery of one looks like."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vedette.matching.models import Snippet, TopicMatch


@dataclass(frozen=True)
class PendingItem:
    """One match waiting to go out in one digest."""

    delivery_id: int
    match_id: int
    topic_id: str
    topic_name: str
    url: str
    title: str
    source: str
    published: datetime | None
    terms: tuple[str, ...]
    fields: tuple[str, ...]
    snippet: str
    snippet_field: str
    highlights: tuple[tuple[int, int], ...]
    matched_at: datetime
    also: tuple[tuple[str, str], ...] = ()
    """(source, url) of the story's other articles (syndicated copies; the original too,
    when a copy is the one that alerts) seen before it was delivered."""
    term_fields: tuple[tuple[str, ...], ...] = ()
    """For each of `terms`, the fields it hit in (empty for matches stored by an older Vedette)."""
    more_snippets: tuple[Snippet, ...] = ()
    """Sentences of the terms the first snippet does not show."""


def match_columns(match: TopicMatch) -> dict[str, str]:
    """The `matches` columns that describe `match` (ids and times aside)."""
    return {
        "topic_name": match.topic_name,
        "terms": json.dumps(list(match.terms), ensure_ascii=False),
        "fields": json.dumps(list(match.fields)),
        "snippet": match.snippet.text,
        "snippet_field": match.snippet.field,
        "highlights": json.dumps([list(h) for h in match.snippet.highlights]),
        "term_fields": json.dumps([list(f) for f in match.term_fields]),
        "more_snippets": json.dumps([_snippet_json(s) for s in match.more_snippets],
                                    ensure_ascii=False),
    }


def highlights_from(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((int(start), int(end)) for start, end in json.loads(text))


def term_fields_from(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(f) for f in fields) for fields in json.loads(text))


def snippets_from(text: str) -> tuple[Snippet, ...]:
    return tuple(Snippet(field=str(item["field"]), text=str(item["text"]),
                         highlights=tuple((int(a), int(b)) for a, b in item["highlights"]))
                 for item in json.loads(text))


def _snippet_json(snippet: Snippet) -> dict[str, Any]:
    return {"field": snippet.field, "text": snippet.text,
            "highlights": [list(h) for h in snippet.highlights]}


def strings_from(text: str) -> tuple[str, ...]:
    values: Sequence[Any] = json.loads(text)
    return tuple(str(v) for v in values)
