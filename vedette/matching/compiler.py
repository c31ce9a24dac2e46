"""Compiling every topic's terms into one Aho-Corasick automaton.

The automaton runs over *streams*: a field's words for one language slot, one code
per word key (see `encoding`). A term becomes the pattern of its keys' codes, so a
hit always starts and ends on word boundaries, and matching costs one pass over the
text whatever the number of terms. A pattern's value says which terms it stands for in
which slot, because the same key can mean different things in different slots (an
exact "drone" and the English stem "drone").

Terms with a wildcard word (`drone*`) cannot be a fixed pattern: they are kept aside as
a sequence of elements (a prefix, or the codes a plain word may take per slot) and
checked only where a word of the text starts with one of their prefixes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from vedette.matching.encoding import Vocabulary
from vedette.matching.languages import EXACT, LANGUAGES, SLOT, languages_for_script
from vedette.matching.lemmas import LEMMATISED
from vedette.matching.models import TopicRule
from vedette.matching.query import AllOf, AnyOf, InField, Near, Not, Term
from vedette.matching.rules import Ref, refs_of, topic_rule
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import exact_form, folded_form, script_of, term_words

log = logging.getLogger(__name__)

PatternValue = tuple[int, dict[int, tuple[int, ...]]]
"""(number of words, {slot: term ids}) stored in the automaton for each pattern."""

Element = int | dict[int, frozenset[str]]
"""One word of a wildcard term: a prefix id, or the codes a plain word may have per slot."""


@dataclass(frozen=True)
class TopicPlan:
    """One topic reduced to term ids: what the decision needs."""

    index: int
    topic: TopicRule
    rule: object
    """The topic's rule tree (see `rules`), with `Ref` leaves."""
    refs: tuple[Ref, ...]
    """The refs of the rule that can explain a match (see `refs_of`), in the order
    written: a match lists those in its evidence."""
    flat: tuple[tuple[int, ...], ...] | None = None
    """(any, all, none) term ids of a topic written as lists only: decided with set
    lookups, without walking the rule (most topics, and the hot path with many)."""


@dataclass(frozen=True)
class WildTerm:
    term: int
    elements: tuple[Element, ...]
    slots: tuple[int, ...]
    """The slots the plain words were compiled for (EXACT for an exact term)."""
    anchor: int
    """Index of the first prefix element: hits are looked for from there."""


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
    forced: tuple[str, ...] = ()
    """Languages some topic asks for (`languages:`): every article is scanned in them."""
    wild_terms: tuple[WildTerm, ...] = ()
    folded_prefixes: dict[str, int] = field(default_factory=dict)
    exact_prefixes: dict[str, int] = field(default_factory=dict)
    """Prefix → prefix id, compared with a word's folded (or exact) form."""
    wild_by_prefix: tuple[tuple[int, ...], ...] = ()
    """For each prefix id, the wildcard terms anchored on it."""
    warnings: tuple[str, ...] = ()
    """What the user should hear about the topics each time they are loaded."""
    lemma_tables: dict[str, dict[str, str]] = field(default_factory=dict)
    """For English and Lithuanian text words, the forms whose key is not their stem, cut
    to those that matter to these terms (`lemmas.Lexicon.table`)."""

    @property
    def empty(self) -> bool:
        """Nothing can ever match (no topics, or only terms without words)."""
        return not self.has_patterns and not self.wild_terms

    @property
    def has_patterns(self) -> bool:
        return self.automaton.kind == ahocorasick.AHOCORASICK


class _Builder:
    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.term_ids: dict[tuple[str, bool, tuple[str, ...]], int] = {}
        self.patterns: dict[tuple[str, ...], dict[int, set[int]]] = defaultdict(
            lambda: defaultdict(set))
        self.topics_of_term: list[set[int]] = []
        self.vocabulary = Vocabulary()
        self.wild: list[tuple[int, list[dict[int, frozenset[str]] | tuple[str, str]], tuple[int, ...]]] = []
        self.prefixes: dict[tuple[str, str], int] = {}
        self.read: dict[tuple[str, bool, tuple[str, ...]],
                        tuple[list[tuple[str, bool]], tuple[str, ...]]] = {}
        self.warnings: list[str] = []
        self.langs: set[str] = set()  # languages some term is compiled for

    def ref(self, term: Term, topic_index: int, hint: tuple[str, ...]) -> Ref:
        # A list-form topic's terms come here twice (its rule tree and its flat lists).
        read = self.read.get((term.text, term.exact, hint))
        if read is None:
            words = term_words(term.text)
            read = self.read[term.text, term.exact, hint] = (
                words, () if term.exact else _term_languages(words, hint))
        words, langs = read
        key = (term.text, term.exact, langs)
        if key not in self.term_ids:
            self.term_ids[key] = len(self.term_ids)
            self.topics_of_term.append(set())
            self._add(words, term, self.term_ids[key], langs)
        found = self.term_ids[key]
        self.topics_of_term[found].add(topic_index)
        return Ref(found, term.text)

    def _add(
        self, words: list[tuple[str, bool]], term: Term, term_id: int, langs: tuple[str, ...]
    ) -> None:
        if not words:
            # "—" or "++": nothing a word-based matcher can find; say so instead of guessing.
            self.warnings.append(f"term {term.text!r} has no letters or digits and will never "
                                 "match")
            return
        plain = [word for word, _ in words]
        if any(wildcard for _, wildcard in words):
            self._add_wild(words, term, term_id, langs)
        elif term.exact:
            self.patterns[self.vocabulary.add(exact_form(w) for w in plain)][EXACT].add(term_id)
        else:
            self.langs.update(langs)
            for lang in langs:
                for keys in self.analyzer.term_keys(plain, lang):
                    self.patterns[self.vocabulary.add(keys)][SLOT[lang]].add(term_id)

    def _add_wild(
        self, words: list[tuple[str, bool]], term: Term, term_id: int, langs: tuple[str, ...]
    ) -> None:
        kind = "exact" if term.exact else "folded"
        slots = (EXACT,) if term.exact else tuple(SLOT[lang] for lang in langs)
        if not term.exact:
            self.langs.update(langs)
        elements: list[dict[int, frozenset[str]] | tuple[str, str]] = []
        for word, wildcard in words:
            if wildcard:
                form = exact_form(word) if term.exact else folded_form(word)
                elements.append((kind, form))
                continue
            keys: dict[int, set[str]] = defaultdict(set)
            if term.exact:
                keys[EXACT].add(exact_form(word))
            else:
                for lang in langs:
                    for (key,) in self.analyzer.term_keys([word], lang):
                        keys[SLOT[lang]].add(key)
            for slot_keys in keys.values():
                self.vocabulary.add(slot_keys)
            elements.append({slot: frozenset(k) for slot, k in keys.items()})
        self.wild.append((term_id, elements, slots))

    def finish(self, plans: list[TopicPlan], forced: set[str]) -> Compiled:
        width, codes, other = self.vocabulary.codes()
        automaton = ahocorasick.Automaton()
        for pattern, by_slot in self.patterns.items():
            value: PatternValue = (len(pattern),
                                   {s: tuple(sorted(ids)) for s, ids in by_slot.items()})
            automaton.add_word("".join(map(codes.__getitem__, pattern)), value)
        if self.patterns:
            automaton.make_automaton()
        prefixes: dict[tuple[str, str], int] = {}
        wild_terms: list[WildTerm] = []
        for term_id, raw, slots in self.wild:
            elements: list[Element] = []
            for element in raw:
                if isinstance(element, tuple):
                    elements.append(prefixes.setdefault(element, len(prefixes)))
                else:
                    elements.append({slot: frozenset(codes[k] for k in keys)
                                     for slot, keys in element.items()})
            anchor = next(i for i, e in enumerate(elements) if isinstance(e, int))
            wild_terms.append(WildTerm(term_id, tuple(elements), slots, anchor))
        by_prefix: list[list[int]] = [[] for _ in prefixes]
        for index, wild in enumerate(wild_terms):
            by_prefix[_as_prefix(wild.elements[wild.anchor])].append(index)
        log.debug("compiled %d topics, %d terms into %d patterns and %d wildcard terms",
                  len(plans), len(self.term_ids), len(self.patterns), len(wild_terms))
        return Compiled(
            automaton=automaton,
            plans=tuple(plans),
            topics_of_term=tuple(tuple(sorted(t)) for t in self.topics_of_term),
            has_exact=any(exact for _, exact, _ in self.term_ids),
            width=width,
            vocabulary=codes,
            other=other,
            forced=tuple(lang for lang in LANGUAGES if lang in forced),
            wild_terms=tuple(wild_terms),
            folded_prefixes={p: i for (kind, p), i in prefixes.items() if kind == "folded"},
            exact_prefixes={p: i for (kind, p), i in prefixes.items() if kind == "exact"},
            wild_by_prefix=tuple(tuple(ids) for ids in by_prefix),
            warnings=tuple(self.warnings),
            lemma_tables={lang: self.analyzer.lexicon(lang).table(codes)
                          for lang in LEMMATISED if lang in self.langs},
        )


def _as_prefix(element: Element) -> int:
    assert isinstance(element, int)
    return element


def compile_topics(topics: Sequence[TopicRule], analyzer: Analyzer) -> Compiled:
    builder = _Builder(analyzer)
    plans = []
    forced: set[str] = set()
    for index, topic in enumerate(topics):
        hint = tuple(topic.languages)
        forced.update(hint)
        rule = _compile_rule(topic_rule(topic), builder, index, hint)
        flat = None
        if not topic.query:
            flat = tuple(tuple(builder.ref(Term(spec.term, spec.exact), index, hint).term
                               for spec in specs)
                         for specs in (topic.any, topic.all, topic.none))
        plans.append(TopicPlan(index, topic, rule, tuple(refs_of(rule)), flat))
    return builder.finish(plans, forced)


def _compile_rule(node: object, builder: _Builder, topic: int, hint: tuple[str, ...]) -> Any:
    match node:
        case Term():
            return builder.ref(node, topic, hint)
        case AllOf(children):
            return AllOf(tuple(_compile_rule(c, builder, topic, hint) for c in children))
        case AnyOf(children):
            return AnyOf(tuple(_compile_rule(c, builder, topic, hint) for c in children))
        case Not(child):
            return Not(_compile_rule(child, builder, topic, hint))
        case InField(name, child):
            return InField(name, _compile_rule(child, builder, topic, hint))
        case Near(left, right, distance):
            return Near(_compile_rule(left, builder, topic, hint),
                        _compile_rule(right, builder, topic, hint), distance)
    raise TypeError(node)  # pragma: no cover


def _term_languages(words: list[tuple[str, bool]], hint: tuple[str, ...]) -> tuple[str, ...]:
    """The languages a term is compiled for: those of its script, narrowed by the topic's
    `languages:` when that leaves any (a Latin name in a Ukrainian topic keeps English)."""
    scripts = {script_of(folded_form(word)) for word, _ in words} - {"none"}
    langs = sorted({lang for s in scripts or {"none"} for lang in languages_for_script(s)})
    narrowed = [lang for lang in langs if lang in hint]
    return tuple(narrowed or langs)
