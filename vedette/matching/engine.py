"""The matcher: scans an article's fields once per language stream and decides topics."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from vedette.config.schema import Topic
from vedette.matching.compiler import Compiled, TopicPlan, compile_topics
from vedette.matching.encoding import StreamEncoder
from vedette.matching.languages import EXACT, SLOT, article_languages, field_languages
from vedette.matching.models import FIELDS, ArticleText, TopicMatch
from vedette.matching.snippet import make_snippet
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import scripts_in, split_words, word_offsets

Hit = tuple[int, int, int]
"""(field index, start, end): where one term occurred, in the field's original characters."""


def topic_matches(plan: TopicPlan, hit_terms: Collection[int]) -> bool:
    """The one place that decides whether a topic matches, given the terms that occurred."""
    if plan.any and not any(term in hit_terms for term in plan.any):
        return False
    if not all(term in hit_terms for term in plan.all):
        return False
    return not any(term in hit_terms for term in plan.none)


class Matcher:
    """All topics compiled once; `match` finds every topic an article matches.

    Build a new Matcher when the topics change (compiling is the costly part); matching
    does not change it, apart from a cache of word keys that is safe to share.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self._analyzer = Analyzer()
        self._compiled: Compiled = compile_topics(topics, self._analyzer)
        compiled = self._compiled
        self._encoder = StreamEncoder(
            self._analyzer, compiled.vocabulary, compiled.other, len(SLOT) + 1
        )

    def match(self, article: ArticleText) -> list[TopicMatch]:
        """Every topic the article matches, in config order."""
        if self._compiled.empty:
            return []
        texts = (article.title or "", article.summary or "", article.body or "")
        langs = article_languages(article.language, texts)
        hits: dict[int, list[Hit]] = {}
        for index, text in enumerate(texts):
            if text:
                self._scan(index, text, langs, hits)
        if not hits:
            return []
        candidates = {t for term in hits for t in self._compiled.topics_of_term[term]}
        return [
            self._report(plan, hits, texts)
            for plan in (self._compiled.plans[i] for i in sorted(candidates))
            if topic_matches(plan, hits)
        ]

    def _scan(
        self, field: int, text: str, langs: tuple[str, ...], hits: dict[int, list[Hit]]
    ) -> None:
        parts = split_words(text)
        words = parts[1::2]
        if not words:
            return
        slots = [SLOT[lang] for lang in field_languages(langs, scripts_in(text))]
        if self._compiled.has_exact:
            slots.insert(0, EXACT)
        automaton, width = self._compiled.automaton, self._compiled.width
        found: set[tuple[int, int, int]] = set()  # (term, first word, last word)
        for slot in slots:
            # `width` characters per word: a hit ending at position p ends on word p // width.
            for end, (size, by_slot) in automaton.iter(self._encoder.encode(words, slot)):
                terms = by_slot.get(slot)
                if terms:
                    last = end // width
                    found.update((term, last - size + 1, last) for term in terms)
        if found:
            offsets = word_offsets(parts, {i for _, first, last in found
                                           for i in (2 * first + 1, 2 * last + 2)})
            for term, first, last in sorted(found):
                hits.setdefault(term, []).append(
                    (field, offsets[2 * first + 1], offsets[2 * last + 2])
                )

    def _report(
        self, plan: TopicPlan, hits: dict[int, list[Hit]], texts: tuple[str, str, str]
    ) -> TopicMatch:
        terms: list[str] = []
        spans: dict[int, list[tuple[int, int]]] = {}
        for term, written in plan.positive:
            if term not in hits:
                continue
            if written not in terms:
                terms.append(written)
            for field, start, end in hits[term]:
                spans.setdefault(field, []).append((start, end))
        # The body's sentence says most about the story; the title is the last resort.
        field = max(spans)
        return TopicMatch(
            topic_id=plan.topic.id,
            topic_name=plan.topic.name,
            terms=tuple(terms),
            fields=tuple(FIELDS[i] for i in sorted(spans)),
            snippet=make_snippet(FIELDS[field], texts[field], spans[field]),
        )
