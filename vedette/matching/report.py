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
_TRIES = 5  # hits tried as the anchor of a sentence that shows every term
REACH = MAX_CHARS
"""Words a snippet can hold at most: each has a character at least ("155mm" is two)."""


def report(
    plan: TopicPlan, shown: list[Evidence], texts: tuple[str, str, str], offsets: HitOffsets
) -> TopicMatch:
    """The match of `plan`'s topic, explained by the hits in `shown`."""
    fields_of_term: dict[int, set[int]] = {}
    for term, field, _, _ in shown:
        fields_of_term.setdefault(term, set()).add(field)
    # Terms as written, in the order written; one written form may stand for several ids
    # ("drone" and "Drone"), and one id for several forms.
    ids_of: dict[str, set[int]] = {}
    for ref in plan.refs:
        if ref.term in fields_of_term:
            ids_of.setdefault(ref.written, set()).add(ref.term)
    fields_of = {written: set().union(*(fields_of_term[i] for i in ids))
                 for written, ids in ids_of.items()}
    fields = sorted(set().union(*fields_of_term.values()))
    # The body's sentence says most about the story; the title is the last resort.
    field = fields[-1]
    snippet, seen = _snippet(shown, field, texts, offsets)
    # Terms that need a sentence: the title (the digest's headline) shows the others.
    needed = {written: ids for written, ids in ids_of.items() if _TITLE not in fields_of[written]}
    if not all(ids & seen for ids in needed.values()):
        # One sentence saying it all beats the first hit's plus one per missing term.
        whole = _whole_sentence(shown, field, texts, offsets, list(needed.values()), seen)
        if whole is not None:
            snippet, seen = whole
    more: list[Snippet] = []
    # Terms still missing, in the order written: each gets its first hit's sentence.
    for written, ids in needed.items():
        if len(more) == MAX_SNIPPETS - 1:
            break
        if ids & seen:
            continue
        term_field = max(fields_of[written])
        first_hit = min((first, last) for term, f, first, last in shown
                        if term in ids and f == term_field)
        extra, also_seen = _snippet(shown, term_field, texts, offsets, first_hit)
        more.append(extra)
        seen |= also_seen
    return TopicMatch(
        topic_id=plan.topic.id,
        topic_name=plan.topic.name,
        terms=tuple(ids_of),
        fields=tuple(FIELDS[i] for i in fields),
        snippet=snippet,
        term_fields=tuple(tuple(FIELDS[i] for i in sorted(found)) for found in fields_of.values()),
        more_snippets=tuple(more),
    )


def _snippet(
    shown: list[Evidence],
    field: int,
    texts: tuple[str, str, str],
    offsets: HitOffsets,
    anchor: tuple[int, int] | None = None,
) -> tuple[Snippet, set[int]]:
    """The sentence of `field` around the hit `anchor` (first, last word; else the first
    hit), every hit of the match in it highlighted; and the terms it shows."""
    hits = in_reach(shown, field, anchor)
    offsets.want(field, (i for _, first, last in hits for i in (first, last)))
    spans = [offsets.span(field, first, last) for _, first, last in hits]
    snippet, (start, end), (main_start, main_end) = snippet_around(
        FIELDS[field], texts[field], spans, anchor and offsets.span(field, *anchor))
    # Shown: inside the snippet, or part of the hit it is about (which is cut to fit when
    # it is longer than a snippet).
    return snippet, {term for (term, _, _), (hit_start, hit_end) in zip(hits, spans, strict=True)
                     if (start <= hit_start and hit_end <= end)
                     or (hit_start < main_end and main_start < hit_end)}


def _whole_sentence(
    shown: list[Evidence],
    field: int,
    texts: tuple[str, str, str],
    offsets: HitOffsets,
    needed: list[set[int]],
    seen: set[int],
) -> tuple[Snippet, set[int]] | None:
    """The first sentence of `field` that shows a term of every one of `needed`, looked
    for around the first hits of a term the first sentence misses (any such sentence
    holds one); None when there is none there."""
    rarest: list[tuple[int, int]] = []
    for ids in needed:
        if ids & seen:
            continue
        hits = sorted({(first, last) for term, f, first, last in shown
                       if term in ids and f == field})
        if not hits:
            return None  # that term is not in this field at all
        if not rarest or len(hits) < len(rarest):
            rarest = hits
    for anchor in rarest[:_TRIES]:
        snippet, seen_there = _snippet(shown, field, texts, offsets, anchor)
        if all(ids & seen_there for ids in needed):
            return snippet, seen_there
    return None


def in_reach(
    shown: list[Evidence], field: int, anchor: tuple[int, int] | None = None
) -> list[tuple[int, int, int]]:
    """(term, first word, last word) of the hits in `field` that a snippet around `anchor`
    (else the field's first hit) could show: a snippet holds at most REACH words, so a
    term named twenty times in a long body is located near its sentence only."""
    hits = [(term, first, last) for term, f, first, last in shown if f == field]
    start = anchor[0] if anchor else min(first for _, first, _ in hits)
    return [hit for hit in hits if -REACH <= hit[1] - start <= REACH]
