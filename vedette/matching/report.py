"""What a match records: the terms that hit and where, and the sentences that show them."""

from __future__ import annotations

from vedette.matching.compiler import TopicPlan
from vedette.matching.locate import HitOffsets
from vedette.matching.models import FIELDS, Snippet, TopicMatch
from vedette.matching.rules import Evidence
from vedette.matching.snippet import snippet_around

MAX_SNIPPETS = 3
"""Sentences per match: the first hit's, and up to two for terms it does not show."""
_TITLE = FIELDS.index("title")


def report(
    plan: TopicPlan, shown: list[Evidence], texts: tuple[str, str, str], offsets: HitOffsets
) -> TopicMatch:
    """The match of `plan`'s topic, explained by the hits in `shown`."""
    fields_of_term: dict[int, set[int]] = {}
    for term, field, _, _ in shown:
        fields_of_term.setdefault(term, set()).add(field)
    # Terms as written, in the order written; one written form may stand for several ids.
    written: dict[str, set[int]] = {}
    for ref in plan.refs:
        if ref.term in fields_of_term:
            written.setdefault(ref.written, set()).update(fields_of_term[ref.term])
    fields = sorted({field for found in fields_of_term.values() for field in found})
    # The body's sentence says most about the story; the title is the last resort.
    field = fields[-1]
    snippet, window = _snippet(shown, field, texts, offsets)
    windows = [(field, window)]
    more: list[Snippet] = []
    for term in dict.fromkeys(ref.term for ref in plan.refs if ref.term in fields_of_term):
        if len(windows) == MAX_SNIPPETS:
            break
        if _TITLE in fields_of_term[term]:
            continue  # the headline above the snippet shows it
        hits = [(f, first, last) for t, f, first, last in shown if t == term]
        if _inside(hits, windows, offsets):
            continue
        term_field = max(f for f, _, _ in hits)
        first_hit = min((first, last) for f, first, last in hits if f == term_field)
        anchor = offsets.span(term_field, *first_hit)
        extra, extra_window = _snippet(shown, term_field, texts, offsets, anchor)
        more.append(extra)
        windows.append((term_field, extra_window))
    return TopicMatch(
        topic_id=plan.topic.id,
        topic_name=plan.topic.name,
        terms=tuple(written),
        fields=tuple(FIELDS[i] for i in fields),
        snippet=snippet,
        term_fields=tuple(tuple(FIELDS[i] for i in sorted(found)) for found in written.values()),
        more_snippets=tuple(more),
    )


def _snippet(
    shown: list[Evidence],
    field: int,
    texts: tuple[str, str, str],
    offsets: HitOffsets,
    anchor: tuple[int, int] | None = None,
) -> tuple[Snippet, tuple[int, int]]:
    """The sentence of `field` around `anchor` (else the first hit), every hit of the match
    in it highlighted; and the [start, end) of the field's text it shows."""
    spans = [offsets.span(field, first, last) for _, f, first, last in shown if f == field]
    return snippet_around(FIELDS[field], texts[field], spans, anchor)


def _inside(
    hits: list[tuple[int, int, int]], windows: list[tuple[int, tuple[int, int]]],
    offsets: HitOffsets,
) -> bool:
    """Whether one of `hits` is shown by one of the snippets' windows."""
    for field, first, last in hits:
        for shown_field, (start, end) in windows:
            if field == shown_field:
                hit_start, hit_end = offsets.span(field, first, last)
                if start <= hit_start and hit_end <= end:
                    return True
    return False
