"""What a match records: the terms that hit and where, and the sentences that show them."""

from __future__ import annotations

from vedette.matching.compiler import TopicPlan
from vedette.matching.locate import HitOffsets
from vedette.matching.models import FIELDS, Snippet, TopicMatch
from vedette.matching.rules import Evidence
from vedette.matching.snippet import MAX_CHARS, snippet_around

MAX_SNIPPETS = 3
"""Sentences per match: the first hit's, and up to two for terms it does not show."""
_TITLE = FIELDS.index("title")
REACH = MAX_CHARS // 2
"""Words a snippet can hold at most: each has a character and a separator at least."""


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
    snippet, unshown = _snippet(shown, field, texts, offsets, set(fields_of_term))
    more: list[Snippet] = []
    # Terms the first sentence misses, in the order written: each gets its first hit's
    # sentence, unless the title (the digest's headline) or an earlier sentence shows it.
    for term in dict.fromkeys(ref.term for ref in plan.refs) if unshown else ():
        if len(more) == MAX_SNIPPETS - 1:
            break
        if term not in unshown or _TITLE in fields_of_term[term]:
            continue
        term_field = max(fields_of_term[term])
        first_hit = min((first, last) for t, f, first, last in shown
                        if t == term and f == term_field)
        extra, unshown = _snippet(shown, term_field, texts, offsets, unshown, first_hit)
        more.append(extra)
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
    unshown: set[int],
    anchor: tuple[int, int] | None = None,
) -> tuple[Snippet, set[int]]:
    """The sentence of `field` around the hit `anchor` (first, last word; else the first
    hit), every hit of the match in it highlighted; and which of the `unshown` terms it
    still does not show."""
    hits = in_reach(shown, field, anchor)
    terms = [term for term, _, _ in hits]
    spans = [offsets.span(field, first, last) for _, first, last in hits]
    snippet, (start, end) = snippet_around(
        FIELDS[field], texts[field], spans, anchor and offsets.span(field, *anchor))
    if len(unshown) == 1 and anchor is None and terms[spans.index(min(spans))] in unshown:
        return snippet, set()  # one term, and the sentence is its first hit's: the usual case
    return snippet, unshown.difference(
        term for term, (hit_start, hit_end) in zip(terms, spans, strict=True)
        if start <= hit_start and hit_end <= end)


def in_reach(
    shown: list[Evidence], field: int, anchor: tuple[int, int] | None = None
) -> list[tuple[int, int, int]]:
    """(term, first word, last word) of the hits in `field` that a snippet around `anchor`
    (else the field's first hit) could show: a snippet holds at most REACH words, so a
    term named twenty times in a long body is located near its sentence only."""
    hits = [(term, first, last) for term, f, first, last in shown if f == field]
    start = anchor[0] if anchor else min(first for _, first, _ in hits)
    return [hit for hit in hits if -REACH <= hit[1] - start <= REACH]
