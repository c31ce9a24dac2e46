"""What a match records: the terms that hit and where, and the sentences that show them."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator

from vedette.matching.compiler import TopicPlan
from vedette.matching.locate import HitOffsets
from vedette.matching.models import FIELDS, Snippet, TopicMatch
from vedette.matching.rules import Evidence
from vedette.matching.snippet import MAX_CHARS, snippet_around

MAX_SNIPPETS = 3
"""Sentences per match: the first, and up to two for terms it does not show."""
_TITLE = FIELDS.index("title")
_TRIES = 5  # hits tried as the anchor of a sentence that shows every term
REACH = MAX_CHARS
"""Words a snippet can hold at most: each has a character at least ("155mm" is two)."""

Span = tuple[int, int]
"""(first word, last word) of a hit."""


class MatchReport:
    """The hits that explain one matched topic, grouped to build its report: which terms
    hit where, and the sentences to show.

    Terms count by how they are written (HIMARS and =HIMARS are one term to a reader). A
    term that hit in the title needs no sentence: the digest shows the title. The first
    sentence is the first hit's of a term that needs one, in the body where such a term
    hit there (else the summary, else the title); when it misses such a term, a later
    sentence showing them all replaces it, or else each missing term adds its first hit's
    sentence.
    """

    def __init__(self, plan: TopicPlan, shown: list[Evidence]) -> None:
        self._plan = plan
        hits: dict[int, dict[int, list[Span]]] = {}  # term → field → its hits, in order
        for term, field, first, last in shown:
            hits.setdefault(term, {}).setdefault(field, []).append((first, last))
        for by_field in hits.values():
            for field, found in by_field.items():
                if len(found) > 1:  # a rule's evidence may repeat a hit or mix their order
                    by_field[field] = sorted(set(found))
        self._hits = hits
        # Terms as written, in the order written: one written form may stand for several
        # ids ("drone" and "Drone"), and one id for several forms.
        self._ids: dict[str, set[int]] = {}
        for ref in plan.refs:
            if ref.term in hits:
                self._ids.setdefault(ref.written, set()).add(ref.term)
        self._fields = {written: set().union(*(hits[i] for i in ids))
                        for written, ids in self._ids.items()}
        self._needed = {written: ids for written, ids in self._ids.items()
                        if _TITLE not in self._fields[written]}
        # The sentence's field: the last of those where terms needing a sentence hit.
        self.field = max(max(self._fields[written]) for written in self._needed or self._ids)
        # Every hit of the field, in word order, for the sentences' highlights.
        self._in_field = self._hits_in(self.field)
        self._firsts = [first for first, _, _ in self._in_field]
        needing = {i for ids in self._needed.values() for i in ids}
        self.anchor: Span = next(((first, last) for first, last, term in self._in_field
                                  if term in needing), self._in_field[0][:2])

    def words_in_reach(self, field: int, anchor: Span) -> Iterator[int]:
        """The words to locate for a sentence of `field` around `anchor`."""
        for first, last, _ in self._reach(field, anchor):
            yield first
            yield last

    def build(self, texts: tuple[str, str, str], offsets: HitOffsets) -> TopicMatch:
        snippet, seen = self._snippet(self.field, self.anchor, texts, offsets)
        # One term: its first hit's sentence shows it (the usual case, and the quick one).
        missing = [ids for ids in self._needed.values() if not ids & seen] if len(
            self._needed) > 1 else []
        if missing:
            whole = self._whole_sentence(missing, texts, offsets)
            if whole is not None:
                snippet, seen = whole
        more: list[Snippet] = []
        for written, ids in self._needed.items() if missing else ():
            if len(more) == MAX_SNIPPETS - 1:
                break
            if ids & seen:
                continue
            field = max(self._fields[written])
            extra, also_seen = self._snippet(field, self._first_hits(ids, field)[0], texts,
                                             offsets)
            more.append(extra)
            seen |= also_seen
        fields = sorted(set().union(*self._fields.values()))
        return TopicMatch(
            topic_id=self._plan.topic.id,
            topic_name=self._plan.topic.name,
            terms=tuple(self._ids),
            fields=tuple(FIELDS[i] for i in fields),
            snippet=snippet,
            term_fields=tuple(tuple(FIELDS[i] for i in sorted(found))
                              for found in self._fields.values()),
            more_snippets=tuple(more),
        )

    def _whole_sentence(
        self, missing: list[set[int]], texts: tuple[str, str, str], offsets: HitOffsets
    ) -> tuple[Snippet, set[int]] | None:
        """A later sentence of the field that shows every needed term, looked for around
        the first hits of the rarest missing one (any such sentence holds one of them);
        None when there is none there."""
        rarest: list[Span] = []
        for ids in missing:
            found = self._first_hits(ids, self.field)
            if not found:
                return None  # that term is not in this field at all
            if not rarest or len(found) < len(rarest):
                rarest = found
        for anchor in rarest[:_TRIES]:
            snippet, seen = self._snippet(self.field, anchor, texts, offsets)
            if all(ids & seen for ids in self._needed.values()):
                return snippet, seen
        return None

    def _snippet(
        self, field: int, anchor: Span, texts: tuple[str, str, str], offsets: HitOffsets
    ) -> tuple[Snippet, set[int]]:
        """The sentence of `field` around the hit `anchor`, every hit of the match in it
        highlighted; and the terms it shows (a hit cut at its edge counts)."""
        hits = self._reach(field, anchor)
        offsets.want(field, (word for first, last, _ in hits for word in (first, last)))
        spans = [offsets.span(field, first, last) for first, last, _ in hits]
        snippet, (start, end) = snippet_around(
            FIELDS[field], texts[field], spans, offsets.span(field, *anchor))
        return snippet, {term for (_, _, term), (hit_start, hit_end) in zip(hits, spans, strict=True)
                         if hit_start < end and start < hit_end}

    def _reach(self, field: int, anchor: Span) -> list[tuple[int, int, int]]:
        """(first, last, term) of the hits of `field` a sentence around `anchor` could show:
        a snippet holds at most REACH words, so a term named twenty times in a long body
        is located near the sentence only."""
        if field == self.field:
            in_field, firsts = self._in_field, self._firsts
        else:
            in_field = self._hits_in(field)
            firsts = [first for first, _, _ in in_field]
        low = bisect.bisect_left(firsts, anchor[0] - REACH)
        return in_field[low:bisect.bisect_right(firsts, anchor[0] + REACH)]

    def _hits_in(self, field: int) -> list[tuple[int, int, int]]:
        """(first, last, term) of every hit in `field`, in word order."""
        if len(self._hits) == 1:
            ((term, by_field),) = self._hits.items()
            return [(first, last, term) for first, last in by_field.get(field, ())]
        return sorted((first, last, term) for term, by_field in self._hits.items()
                      for first, last in by_field.get(field, ()))

    def _first_hits(self, ids: set[int], field: int) -> list[Span]:
        """The hits in `field` of a term written one way, in word order."""
        if len(ids) == 1:
            (only,) = ids
            return self._hits[only].get(field, [])
        return list(heapq.merge(*(self._hits[i].get(field, []) for i in ids)))
