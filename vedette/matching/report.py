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
        first, last = min((first, last) for t, f, first, last in shown
                          if t == term and f == term_field)
        extra, unshown = _snippet(shown, term_field, texts, offsets, unshown,
                                  offsets.span(term_field, first, last))
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
    """The sentence of `field` around `anchor` (else the first hit), every hit of the match
    in it highlighted; and which of the `unshown` terms it still does not show."""
    terms = [term for term, f, _, _ in shown if f == field]
    spans = [offsets.span(field, first, last) for _, f, first, last in shown if f == field]
    snippet, (start, end) = snippet_around(FIELDS[field], texts[field], spans, anchor)
    if len(unshown) == 1 and anchor is None and terms[spans.index(min(spans))] in unshown:
        return snippet, set()  # one term, and the sentence is its first hit's: the usual case
    return snippet, unshown.difference(
        term for term, (hit_start, hit_end) in zip(terms, spans, strict=True)
        if start <= hit_start and hit_end <= end)
