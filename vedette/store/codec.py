"""How values are kept in the state's columns and read back: times as ISO 8601 text in UTC,
a match's lists as JSON, and rows as the store's models."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from vedette.matching.models import Snippet, TopicMatch
from vedette.store.models import PendingItem, RunRecord


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


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


def pending_item(row: sqlite3.Row, also: Sequence[tuple[str, str]]) -> PendingItem:
    """A row of the pending query (a delivery with its match and article), and the story's
    other articles."""
    return PendingItem(
        delivery_id=row["delivery_id"], match_id=row["match_id"],
        topic_id=row["topic_id"], topic_name=row["topic_name"], url=row["url"],
        title=row["title"], source=row["source"], published=from_iso(row["published"]),
        terms=strings_from(row["terms"]), fields=strings_from(row["fields"]),
        snippet=row["snippet"], snippet_field=row["snippet_field"],
        highlights=highlights_from(row["highlights"]),
        term_fields=term_fields_from(row["term_fields"]),
        more_snippets=snippets_from(row["more_snippets"]),
        matched_at=from_iso(row["created_at"]) or utcnow(),
        also=tuple(also),
    )


def run_record(row: sqlite3.Row) -> RunRecord:
    """A row of `runs`."""
    return RunRecord(
        source=row["source"], started_at=from_iso(row["started_at"]) or utcnow(),
        finished_at=from_iso(row["finished_at"]), status=row["status"], items=row["items"],
        new_articles=row["new_articles"], matches=row["matches"],
        fallbacks=row["fallbacks"], errors=row["errors"], last_error=row["last_error"],
        not_alerted=row["not_alerted"], capped=row["capped"], redecoded=row["redecoded"],
        extraction_timeouts=row["extraction_timeouts"])


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
