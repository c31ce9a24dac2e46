"""The matcher: scans an article's fields once per language stream and decides topics."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path

from vedette.matching.cachefile import CacheFile
from vedette.matching.compiler import Compiled, TopicPlan, WildTerm
from vedette.matching.encoding import PrefixMarker, StreamEncoder
from vedette.matching.languages import EXACT, SLOT, article_languages, field_languages
from vedette.matching.locate import HitOffsets, Scan
from vedette.matching.models import ArticleText, HasRule, TopicMatch, TopicRule, rules_of
from vedette.matching.report import MatchReport
from vedette.matching.rules import Evidence, Hit, Hits, evidence, holds
from vedette.matching.stemming import Analyzer
from vedette.matching.stored import compiled_topics
from vedette.matching.tokens import scripts_in
from vedette.matching.wordkeys import StoredKeys

log = logging.getLogger(__name__)

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

    def __init__(self, topics: Sequence[TopicRule | HasRule], cache: Path | None = None) -> None:
        """`cache`: a file that keeps what a fresh process would otherwise work out again,
        the compiled topics and costly word keys (see `cachefile`)."""
        self._cache = CacheFile(cache) if cache is not None else None
        self._memory = StoredKeys(self._cache) if self._cache is not None else None
        self._compiled: Compiled = compiled_topics(
            rules_of(topics), Analyzer(self._memory, lexicons=self._cache), self._cache)
        compiled = self._compiled
        for warning in compiled.warnings:
            log.warning("%s", warning)
        # Text words need only the dictionary forms these topics use (`lemmas`).
        text_keys = Analyzer(self._memory, compiled.lemma_tables)
        self._encoder = StreamEncoder(
            text_keys, compiled.vocabulary, compiled.other, len(SLOT) + 1
        )
        self._marker = PrefixMarker(compiled.folded_prefixes, compiled.exact_prefixes)

    def save_word_keys(self) -> None:
        """Store the costly word keys learnt so far in the cache file, if there is one."""
        if self._memory is not None:
            self._memory.save()

    def match(self, article: ArticleText) -> list[TopicMatch]:
        """Every topic the article matches, in config order."""
        if self._compiled.empty:
            return []
        texts = (article.title or "", article.summary or "", article.body or "")
        langs = article_languages(article.language, texts, self._compiled.forced)
        hits: dict[int, list[Hit]] = {}
        scanned: dict[int, Scan] = {}
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
        reports = [MatchReport(plan, self._evidence(plan, hits)) for plan in matched]
        offsets = HitOffsets(scanned, self._compiled.width, self._encoder)
        for report in reports:
            # The first sentences' words, located in one pass per field for all topics.
            offsets.want(report.field, report.words_in_reach(report.field, report.anchor))
        return [report.build(texts, offsets) for report in reports]

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
        scanned: dict[int, Scan],
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
            self._scan_wild(self._encoder.words(chunks), streams, found)
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
