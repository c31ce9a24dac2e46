"""Compiling every topic's terms into one Aho-Corasick automaton.

The automaton runs over *streams*: a field's words for one language slot, one code
per word key (see `encoding`). A term becomes the pattern of its keys' codes, so a
hit always starts and ends on word boundaries, and matching costs one pass over the
text whatever the number of terms. A pattern's value says which terms it stands for in
which slot, because the same key can mean different things in different slots (an
exact "drone" and the English stem "drone").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from vedette.config.schema import TermSpec, Topic
from vedette.matching.encoding import Vocabulary
from vedette.matching.languages import EXACT, SLOT, languages_for_script
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import exact_form, folded_form, script_of, tokenize

log = logging.getLogger(__name__)

PatternValue = tuple[int, dict[int, tuple[int, ...]]]
"""(number of words, {slot: term ids}) stored in the automaton for each pattern."""


@dataclass(frozen=True)
class TopicPlan:
    """One topic reduced to term ids: what the boolean decision needs."""

    index: int
    topic: Topic
    any: tuple[int, ...]
    all: tuple[int, ...]
    none: tuple[int, ...]
    positive: tuple[tuple[int, str], ...]
    """(term id, term as written) of the any then all terms, in config order."""


@dataclass(frozen=True)
class Compiled:
    automaton: ahocorasick.Automaton
    plans: tuple[TopicPlan, ...]
    topics_of_term: tuple[tuple[int, ...], ...]
    """For each term id, the indexes of the topics that use it."""
    has_exact: bool
    width: int
    """Characters per word in a stream."""
    vocabulary: dict[str, str]
    """The code of every key some term uses."""
    other: str
    """The code of every other word."""

    @property
    def empty(self) -> bool:
        """Nothing can ever match (no topics, or only terms without words)."""
        return self.automaton.kind != ahocorasick.AHOCORASICK


def compile_topics(topics: Sequence[Topic], analyzer: Analyzer) -> Compiled:
    term_ids: dict[tuple[str, bool], int] = {}
    patterns: dict[tuple[str, ...], dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    topics_of_term: list[set[int]] = []
    vocabulary = Vocabulary()

    def term_id(spec: TermSpec, topic_index: int) -> int:
        key = (spec.term, spec.exact)
        if key not in term_ids:
            term_ids[key] = len(term_ids)
            topics_of_term.append(set())
            _add_patterns(spec, term_ids[key], analyzer, vocabulary, patterns)
        found = term_ids[key]
        topics_of_term[found].add(topic_index)
        return found

    plans = []
    for index, topic in enumerate(topics):
        any_ids = tuple(term_id(spec, index) for spec in topic.any)
        all_ids = tuple(term_id(spec, index) for spec in topic.all)
        none_ids = tuple(term_id(spec, index) for spec in topic.none)
        positive = tuple(
            zip(any_ids + all_ids, [s.term for s in (*topic.any, *topic.all)], strict=True)
        )
        plans.append(TopicPlan(index, topic, any_ids, all_ids, none_ids, positive))

    width, codes, other = vocabulary.codes()
    automaton = ahocorasick.Automaton()
    for pattern, by_slot in patterns.items():
        value: PatternValue = (len(pattern), {s: tuple(sorted(ids)) for s, ids in by_slot.items()})
        automaton.add_word("".join(map(codes.__getitem__, pattern)), value)
    if patterns:
        automaton.make_automaton()
    log.debug("compiled %d topics, %d terms into %d patterns",
              len(plans), len(term_ids), len(patterns))
    return Compiled(
        automaton=automaton,
        plans=tuple(plans),
        topics_of_term=tuple(tuple(sorted(t)) for t in topics_of_term),
        has_exact=any(exact for _, exact in term_ids),
        width=width,
        vocabulary=codes,
        other=other,
    )


def _add_patterns(
    spec: TermSpec,
    term: int,
    analyzer: Analyzer,
    vocabulary: Vocabulary,
    patterns: dict[tuple[str, ...], dict[int, set[int]]],
) -> None:
    words = tokenize(spec.term)
    if not words:
        # "—" or "++": nothing a word-based matcher can find; say so instead of guessing.
        log.warning("term %r has no letters or digits and will never match", spec.term)
        return
    if spec.exact:
        patterns[vocabulary.add(exact_form(w) for w in words)][EXACT].add(term)
        return
    scripts = {script_of(folded_form(w)) for w in words} - {"none"}
    langs = sorted({lang for s in scripts or {"none"} for lang in languages_for_script(s)})
    for lang in langs:
        for keys in analyzer.term_keys(words, lang):
            patterns[vocabulary.add(keys)][SLOT[lang]].add(term)
