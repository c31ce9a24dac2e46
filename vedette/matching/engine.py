"""The matcher: scans an article's fields once per language stream and decides topics."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Sequence

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
        scanned: dict[int, _Scanned] = {}
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
        offsets = {field: scanned[field].offsets(words) for field, words in wanted.items()}
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
        scanned: dict[int, _Scanned],
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
        for slot in slots:
            stream = self._encoder.encode(chunks, slot)
            streams[slot] = stream
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
            scanned[field] = _Scanned(text, chunks, self._encoder)
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


# White space longer than one character between two chunks: paragraph breaks, mostly, a
# few per text. (Written \s\s+: sre scans for it several times faster than \s{2,}.)
_LONG_SPACE = re.compile(r"\s\s+")


class _Scanned:
    """What locating a field's words needs, kept until the matches are known."""

    def __init__(self, text: str, chunks: list[str], encoder: StreamEncoder) -> None:
        self._args = (text, chunks, encoder)

    def offsets(self, words: set[int]) -> dict[int, tuple[int, int]]:
        locator = _Locator(*self._args)
        return {index: locator.span(index) for index in sorted(words)}


_CHARS = (1 << 32) - 1


class _Locator:
    """Offsets in a field's text of words counted across its chunks.

    Asked for word indexes in increasing order, it walks a cursor through the chunks with
    C-level sums over slices of each chunk's cached measure (words << 32 | characters), so
    only the text up to the last wanted word is measured and no per-chunk list is built.
    Were every gap one character, chunk c would start at (length of the chunks before) + c;
    each longer run of white space shifts the chunks after it.
    """

    def __init__(self, text: str, chunks: list[str], encoder: StreamEncoder) -> None:
        self._chunks = chunks
        self._encoder = encoder
        self._chunk = self._words = self._chars = 0  # the cursor: chunks before it, …
        self._extra = len(text) - len(text.lstrip())  # …and white space beyond single gaps
        single = sum(map(len, chunks)) + len(chunks) - 1 + self._extra == len(text)
        # Longer runs of white space, found only as far as the cursor goes.
        self._runs: Iterator[re.Match[str]] = iter(()) if single else _LONG_SPACE.finditer(
            text, self._extra)
        self._run = next(self._runs, None)

    def span(self, index: int) -> tuple[int, int]:
        """[start, end) of word `index`; indexes must not decrease between calls."""
        chunks, encoder = self._chunks, self._encoder
        while True:
            deficit = index - self._words
            # Most chunks hold one word: guess that the word's chunk is `deficit` chunks on.
            step = max(1, deficit)
            segment = chunks[self._chunk:self._chunk + step]
            measured = encoder.measure(segment)
            if measured >> 32 > deficit:
                # The word's chunk is inside the segment (a chunk of several words before
                # it): find it exactly, once.
                before = list(itertools.accumulate(encoder.measures(segment)))
                step = bisect.bisect_left(before, (deficit + 1) << 32)
                if not step:
                    break
                measured = before[step - 1]
            self._chunk += step
            self._words += measured >> 32
            self._chars += measured & _CHARS
        start = self._chars + self._chunk + self._extra
        while self._run is not None and self._run.start() < start:
            run_start, run_end = self._run.span()
            self._extra += run_end - run_start - 1
            start += run_end - run_start - 1
            self._run = next(self._runs, None)
        _, word_start, word_end = encoder.layout(chunks[self._chunk])[index - self._words]
        return start + word_start, start + word_end
