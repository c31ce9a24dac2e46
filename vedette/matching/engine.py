"""The matcher: scans an article's fields once per language stream and decides topics."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from vedette.config.schema import Topic
from vedette.matching.compiler import Compiled, TopicPlan, WildTerm, compile_topics
from vedette.matching.encoding import PrefixMarker, StreamEncoder
from vedette.matching.languages import EXACT, SLOT, article_languages, field_languages
from vedette.matching.models import FIELDS, ArticleText, TopicMatch
from vedette.matching.rules import Evidence, Hit, Hits, evidence, holds
from vedette.matching.snippet import make_snippet
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import scripts_in

Found = set[tuple[int, int, int]]
"""(term, first word, last word) hits in one field."""
_Scan = tuple[str, list[str], list[str]]
"""A field with hits, kept for locating them: its text, chunks and each chunk's codes."""


def topic_matches(plan: TopicPlan, hits: Hits) -> bool:
    """The one place that decides whether a topic matches, given where its terms occurred."""
    if plan.flat is not None:
        any_terms, all_terms, none_terms = plan.flat
        return (
            (not any_terms or any(term in hits for term in any_terms))
            and all(term in hits for term in all_terms)
            and not any(term in hits for term in none_terms)
        )
    return holds(plan.rule, hits)


class Matcher:
    """All topics compiled once; `match` finds every topic an article matches.

    Build a new Matcher when the topics change (compiling is the costly part); matching
    does not change it, apart from caches of word keys that are safe to share.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self._analyzer = Analyzer()
        self._compiled: Compiled = compile_topics(topics, self._analyzer)
        compiled = self._compiled
        self._encoder = StreamEncoder(
            self._analyzer, compiled.vocabulary, compiled.other, len(SLOT) + 1
        )
        self._marker = PrefixMarker(compiled.folded_prefixes, compiled.exact_prefixes)

    def match(self, article: ArticleText) -> list[TopicMatch]:
        """Every topic the article matches, in config order."""
        if self._compiled.empty:
            return []
        texts = (article.title or "", article.summary or "", article.body or "")
        langs = article_languages(article.language, texts, self._compiled.forced)
        hits: dict[int, list[Hit]] = {}
        scanned: dict[int, _Scan] = {}
        for index, text in enumerate(texts):
            if text:
                self._scan(index, text, langs, hits, scanned)
        if not hits:
            return []
        candidates = {t for term in hits for t in self._compiled.topics_of_term[term]}
        matched = [plan for plan in (self._compiled.plans[i] for i in sorted(candidates))
                   if topic_matches(plan, hits)]
        if not matched:
            return []
        shown = [self._evidence(plan, hits) for plan in matched]
        # Character offsets only for the words a snippet shows: one pass per field.
        wanted: dict[int, set[int]] = {}
        for evidence_of_plan in shown:
            field = max(e[1] for e in evidence_of_plan)
            wanted.setdefault(field, set()).update(
                i for _, f, first, last in evidence_of_plan if f == field for i in (first, last))
        offsets = {}
        for field, words in wanted.items():
            locator = _Locator(*scanned[field], self._compiled.width, self._encoder)
            offsets[field] = {index: locator.span(index) for index in sorted(words)}
        return [self._report(plan, evidence_of_plan, texts, offsets)
                for plan, evidence_of_plan in zip(matched, shown, strict=True)]

    @staticmethod
    def _evidence(plan: TopicPlan, hits: Hits) -> list[Evidence]:
        if plan.flat is not None:
            return [(term, *hit) for term in (*plan.flat[0], *plan.flat[1])
                    if term in hits for hit in hits[term]]
        return evidence(plan.rule, hits)

    def _scan(
        self,
        field: int,
        text: str,
        langs: tuple[str, ...],
        hits: dict[int, list[Hit]],
        scanned: dict[int, _Scan],
    ) -> None:
        chunks = text.split()
        if not chunks:
            return
        compiled = self._compiled
        slots = [SLOT[lang] for lang in field_languages(langs, scripts_in(text))]
        if compiled.has_exact:
            slots.insert(0, EXACT)
        automaton, width = compiled.automaton, compiled.width
        found: Found = set()
        streams: dict[int, str] = {}
        codes: list[str] = []
        for slot in slots:
            codes = self._encoder.chunk_codes(chunks, slot)
            stream = streams[slot] = "".join(codes)
            if not compiled.has_patterns:
                continue
            # `width` characters per word: a hit ending at position p ends on word p // width.
            for end, (size, by_slot) in automaton.iter(stream):
                terms = by_slot.get(slot)
                if terms:
                    last = end // width
                    found.update((term, last - size + 1, last) for term in terms)
        if compiled.wild_terms:
            layouts = self._encoder.layouts(chunks)
            words = [word for layout in layouts for word, _, _ in layout]
            self._scan_wild(words, streams, found)
        if found:
            scanned[field] = (text, chunks, codes)
            for term, first, last in sorted(found):
                hits.setdefault(term, []).append((field, first, last))

    def _scan_wild(self, words: list[str], streams: dict[int, str], found: Found) -> None:
        """Wildcard terms, checked only at the words that start with one of their prefixes."""
        marks = self._marker.marks(words)
        compiled = self._compiled
        for position in itertools.compress(range(len(words)), marks):
            for prefix in marks[position]:
                for index in compiled.wild_by_prefix[prefix]:
                    wild = compiled.wild_terms[index]
                    start = position - wild.anchor
                    if _wild_fits(wild, start, marks, streams, compiled.width):
                        found.add((wild.term, start, start + len(wild.elements) - 1))

    def _report(
        self,
        plan: TopicPlan,
        shown: list[Evidence],
        texts: tuple[str, str, str],
        offsets: dict[int, dict[int, tuple[int, int]]],
    ) -> TopicMatch:
        used = {term for term, _, _, _ in shown}
        terms = list(dict.fromkeys(ref.written for ref in plan.refs if ref.term in used))
        fields = sorted({e[1] for e in shown})
        # The body's sentence says most about the story; the title is the last resort.
        field = fields[-1]
        located = offsets[field]
        spans = [(located[first][0], located[last][1])
                 for _, f, first, last in shown if f == field]
        return TopicMatch(
            topic_id=plan.topic.id,
            topic_name=plan.topic.name,
            terms=tuple(terms),
            fields=tuple(FIELDS[i] for i in fields),
            snippet=make_snippet(FIELDS[field], texts[field], spans),
        )


def _wild_fits(
    wild: WildTerm, start: int, marks: list[tuple[int, ...]], streams: dict[int, str], width: int
) -> bool:
    """Whether every element of a wildcard term agrees with the words from `start` on:
    prefixes by their marks, plain words by their code in one slot the term was compiled for."""
    if start < 0 or start + len(wild.elements) > len(marks):
        return False
    for element, mark in zip(wild.elements, marks[start:], strict=False):
        if isinstance(element, int) and element not in mark:
            return False
    plain = [(offset, e) for offset, e in enumerate(wild.elements) if not isinstance(e, int)]
    if not plain:
        return True
    for slot in wild.slots:
        stream = streams.get(slot)
        if stream is not None and all(
            stream[(start + offset) * width:(start + offset + 1) * width] in codes.get(slot, ())
            for offset, codes in plain
        ):
            return True
    return False


_RUN = 32  # chunks summed at a time beyond where a word should be


class _Locator:
    """Offsets in a field's text of words counted across its chunks.

    Asked for words in increasing order, it only does C-level work, and only as far as the
    last word asked for: running sums of the length of each chunk's codes (`width` per
    word: which chunk holds a word) and `str.split` with a count from the previous chunk
    located (where that chunk starts: what the split leaves is the text from there on).
    """

    def __init__(self, text: str, chunks: list[str], codes: list[str], width: int,
                 encoder: StreamEncoder) -> None:
        self._chunks = chunks
        self._codes = codes
        self._width = width
        self._encoder = encoder
        self._code_ends: list[int] = []  # running code length, per chunk summed so far
        self._rest = text.lstrip()  # the text from chunk `_chunk` on, which starts at…
        self._start = len(text) - len(self._rest)  # …this offset
        self._chunk = 0

    def span(self, index: int) -> tuple[int, int]:
        """[start, end) of word `index`; indexes must not decrease between calls."""
        code_ends, wanted = self._code_ends, (index + 1) * self._width
        while not code_ends or code_ends[-1] < wanted:
            # Most chunks hold one word: sum a little past where the word should be.
            done = len(code_ends)
            if done >= len(self._chunks):
                raise IndexError(index)
            end = done + index - (code_ends[-1] // self._width if code_ends else 0) + _RUN
            code_ends.extend(itertools.accumulate(
                map(len, self._codes[done:end]), initial=code_ends[-1] if code_ends else 0))
            del code_ends[done]  # `initial` repeats the previous end
        chunk = bisect.bisect_left(code_ends, wanted)
        if chunk > self._chunk:
            rest = self._rest.split(None, chunk - self._chunk)[-1]
            self._start += len(self._rest) - len(rest)
            self._rest, self._chunk = rest, chunk
        words_before = (code_ends[chunk - 1] if chunk else 0) // self._width
        _, word_start, word_end = self._encoder.layout(self._chunks[chunk])[index - words_before]
        return self._start + word_start, self._start + word_end
