"""Sources of word keys, compared per language: what each would match, and what it costs.

    python bench/lemmas.py [--cold-mbs 10.0] [--details]

Needs simplemma and pymorphy3-dicts-ru besides Vedette's own dependencies
(`pip install simplemma pymorphy3-dicts-ru`); without them it says which is missing and
exits with status 2.

For each language and each candidate source of keys (Vedette's keys as the matcher computes
them now, "today"; Snowball stems; simplemma; pymorphy3 with the Russian or Ukrainian dictionary;
combinations that take a dictionary's lemma where the dictionary knows the word and fall
back on another source otherwise), it reports:

- *traps*: how many of tests/matching_traps.yaml's sentences of that language the
  shipped topic would match (each must not), all kinds, and the derivational neighbours
  alone (the kind lemmas can tell apart; homographs and near phrases in another sense
  have the term's own words and match under any key);
- *inflections* and *cases*: how many of tests/matching_inflections.yaml's cases and of
  the must-match list-form cases of tests/matching_cases.yaml (those without wildcards or
  queries, with a term that is not exact) of that language still match;
- *µs/word cold*: the cost of keying each distinct word of the language's text once,
  as a fresh matcher does (its caches empty; the analyser loaded beforehand), and *load
  s*: loading the analysers the source needs, once per process.

Matching is simulated at the level of word keys, as the matcher compares them: the text
is split into words as Vedette splits it (`tokens`), every word of a term must share a key
with the corresponding word of the text, consecutively, in one field; a topic matches when
an `any` term hits (and every `all` term, and no `none` term). A text word may have several
keys (a set of candidate lemmas) and so may a term word: they match when the sets meet.
Streams are those the matcher would scan (`article_languages`); only the stream of the
language being measured takes the candidate source, every other stream keeps today's keys,
so a row shows what changing that one language would do. Today's matcher is also run on
the traps, as a check that the simulation's "today" row agrees with it.

Texts for speed: English and Russian from the article-extraction benchmark
(../shared/corpus/truth/aeb-ground-truth.json: 177 English pages, 4 Russian ones), the
Ukrainian articles bench/matching.py generates (dictionary forms only), and for Lithuanian
and Polish, which have no corpus here, 20,000 word forms drawn from simplemma's own
dictionary (all known to it, so its figure is a best case) plus the words of the tables.

The recommendation line picks, per language, among the sources that keep every
must-match case of matching_cases.yaml that today's keys match, the one with the most
inflections matched less traps matched, then the least time on the language's bench text
(its distinct words at the source's µs a word, plus loading what today's source does not
load). The two cases that record today's conflations ("known-conflation") are left out
of the must-match cases: they are traps. --cold-mbs is the cold rate of
bench/matching.py at 10,000 terms today (docs/performance.md); the projected rate adds,
for each distinct word of that bench's text, the difference in cost per word.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_NEEDED = {"simplemma": "simplemma", "pymorphy3_dicts_ru": "pymorphy3-dicts-ru"}
_MISSING = [package for module, package in _NEEDED.items()
            if importlib.util.find_spec(module) is None]
if _MISSING:
    print(f"bench/lemmas.py needs {', '.join(_MISSING)}: pip install {' '.join(_MISSING)}",
          file=sys.stderr)
    sys.exit(2)

import pymorphy3  # noqa: E402
import simplemma  # noqa: E402
import Stemmer  # noqa: E402
import yaml  # noqa: E402
from simplemma.strategies.dictionaries import DefaultDictionaryFactory  # noqa: E402

from vedette.config.schema import Topic  # noqa: E402
from vedette.matching import ArticleText  # noqa: E402
from vedette.matching.compiler import _term_languages  # noqa: E402
from vedette.matching.engine import Matcher  # noqa: E402
from vedette.matching.languages import (  # noqa: E402
    LANGUAGES,
    SCRIPT,
    SLOT,
    article_languages,
    field_languages,
)
from vedette.matching.stemming import Analyzer, _morph_uk  # noqa: E402
from vedette.matching.tokens import (  # noqa: E402
    exact_form,
    folded_form,
    script_of,
    scripts_in,
    term_words,
    tokenize,
)

TESTS = ROOT / "tests"
KEYWORDS = ROOT / "config" / "keywords.yaml"
CORPUS = ROOT / ".." / "shared" / "corpus" / "truth" / "aeb-ground-truth.json"
FIELDS = ("title", "summary", "body")
_SNOWBALL = {"en": "english", "lt": "lithuanian", "pl": "polish", "ru": "russian"}

Keys = frozenset[str]


# --- sources of keys --------------------------------------------------------------------


@dataclass
class Source:
    """One way of keying the words of one language: `text` gives a text word's keys,
    `term` a term word's (a term word may take every lemma it could have). Both receive
    the folded form of a word of the language's own script."""

    name: str
    text: Callable[[str], Keys]
    term: Callable[[str], Keys]
    needs: tuple[str, ...]
    """The analysers it loads (keys of `LOADS`)."""
    batch: Callable[[list[str]], object] | None = None
    """Keys a list of words at once, where the source has a faster way than one by one."""


LOADS: dict[str, float] = {}
"""Seconds to load each analyser, measured once, before anything else uses it."""


def _loaded(name: str, load: Callable[[], object]) -> None:
    if name not in LOADS:
        gc.collect()
        start = time.perf_counter()
        load()
        LOADS[name] = time.perf_counter() - start


def _ru(keys: Iterable[str], lang: str) -> Keys:
    # Russian writes ё as е more often than not: every key of a Russian word without it.
    return frozenset(k.replace("ё", "е") for k in keys) if lang == "ru" else frozenset(keys)


def _stemmer(lang: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(_SNOWBALL[lang])
    stemmer.maxCacheSize = 0
    return stemmer


def _morph(lang: str) -> pymorphy3.MorphAnalyzer:
    return _morph_uk() if lang == "uk" else _morph_ru()


_RU: list[pymorphy3.MorphAnalyzer] = []


def _morph_ru() -> pymorphy3.MorphAnalyzer:
    if not _RU:
        _RU.append(pymorphy3.MorphAnalyzer(lang="ru"))
    return _RU[0]


def load_all() -> None:
    """Loads every analyser once, timing each: simplemma's dictionary of each language is
    read on its first word."""
    for lang in ("en", "lt", "pl", "ru"):
        _loaded(f"snowball-{lang}", lambda lang=lang: _stemmer(lang).stemWord("a"))
    _loaded("pymorphy3-uk", _morph_uk)
    _loaded("pymorphy3-ru", _morph_ru)
    for lang in LANGUAGES:
        _loaded(f"simplemma-{lang}", lambda lang=lang: simplemma.lemmatize("a", lang=lang))


def sources(lang: str) -> list[Source]:
    """The candidate sources for `lang`, today's first. Each call makes fresh ones (empty
    caches), so that each speed measurement is cold."""
    found: list[Source] = []
    analyzer = Analyzer()
    slot = SLOT[lang]

    def today_text(word: str) -> Keys:
        return frozenset(analyzer.word_keys([word], slot))

    def today_term(word: str) -> Keys:
        return frozenset(keys[0] for keys in analyzer.term_keys([word], lang))

    def today_batch(words: list[str]) -> object:
        return analyzer.word_keys(words, slot)

    today = "Vedette's keys (as shipped)"
    found.append(Source(today, today_text, today_term,
                        ("pymorphy3-uk",) if lang == "uk" else (f"snowball-{lang}",),
                        today_batch))

    lemmatizer = simplemma.Lemmatizer()

    def lemma(word: str) -> str:
        return lemmatizer.lemmatize(word, lang=lang).casefold()

    def known(word: str) -> bool:
        return simplemma.is_known(word, lang=lang)

    def sm(word: str) -> Keys:
        return _ru([lemma(word)], lang)

    found.append(Source("simplemma", sm, sm, (f"simplemma-{lang}",)))

    if lang in _SNOWBALL:
        stemmer = _stemmer(lang)

        def stem(word: str) -> str:
            return stemmer.stemWord(word.replace("ё", "е") if lang == "ru" else word)

        def stem_only(word: str) -> Keys:
            return _ru([stem(word)], lang)

        if lang in ("en", "lt"):
            found.append(Source("Snowball (before lemmas)", stem_only, stem_only,
                                (f"snowball-{lang}",)))

        def sm_else_stem(word: str) -> Keys:
            return _ru([lemma(word) if known(word) else stem(word)], lang)

        def stem_of_lemma(word: str) -> Keys:
            return frozenset([stem(lemma(word))])

        def settled(word: str) -> str:
            # simplemma maps "defences" to "defence" and "defence" to "defense": its lemma
            # of a lemma, until it stays put (two steps at most in practice).
            for _ in range(3):
                found = lemma(word)
                if found == word:
                    break
                word = found
            return word

        def settled_else_stem(word: str) -> Keys:
            return _ru([settled(word) if known(word) else stem(word)], lang)

        found.append(Source("simplemma, else stem", sm_else_stem, sm_else_stem,
                            (f"simplemma-{lang}", f"snowball-{lang}")))
        found.append(Source("simplemma's lemma of its lemma, else stem", settled_else_stem,
                            settled_else_stem, (f"simplemma-{lang}", f"snowball-{lang}")))
        lookup = DefaultDictionaryFactory().get_dictionary(lang).get

        def looked_up(words: list[str]) -> list[str]:
            # simplemma's dictionary without its rules: a known form's lemma, and that
            # lemma's lemma when it has one ("defences" → defence → defense); Snowball
            # stems for the words it lacks, as one batch.
            found = list(map(lookup, words))
            again = list(map(lookup, (f for f in found if f is not None)))
            settled = iter(again)
            lemmas = [f if f is None else (next(settled) or f) for f in found]
            unknown = [w for w, f in zip(words, lemmas, strict=True) if f is None]
            stems = iter(stemmer.stemWords(
                [w.replace("ё", "е") for w in unknown] if lang == "ru" else unknown))
            return [next(stems) if f is None else f for f in lemmas]

        def looked_up_one(word: str) -> Keys:
            return _ru(looked_up([word]), lang)

        found.append(Source("simplemma's dictionary (lemma of lemma), else stem",
                            looked_up_one, looked_up_one,
                            (f"simplemma-{lang}", f"snowball-{lang}"), looked_up))
        found.append(Source("stem of simplemma's lemma", stem_of_lemma, stem_of_lemma,
                            (f"simplemma-{lang}", f"snowball-{lang}")))

    if lang in ("uk", "ru"):
        morph = _morph(lang)

        def first(word: str) -> Keys:
            return _ru([morph.parse(word)[0].normal_form], lang)

        def every(word: str) -> Keys:
            return _ru((p.normal_form for p in morph.parse(word)), lang)

        def dictionary(word: str) -> Keys | None:
            """The dictionary's lemmas of a word it holds, most likely first."""
            if not morph.word_is_known(word):
                return None
            return _ru(dict.fromkeys(p.normal_form for p in morph.parse(word)
                                     if p.is_known), lang)

        def dictionary_first(word: str) -> Keys | None:
            if not morph.word_is_known(word):
                return None
            return _ru([next(p.normal_form for p in morph.parse(word) if p.is_known)], lang)

        def fallback(word: str) -> Keys:
            if known(word):
                return sm(word)
            if lang == "ru":
                return frozenset([_stemmer_ru.stemWord(word.replace("ё", "е"))])
            return first(word)  # Ukrainian: pymorphy3's guess from the ending

        _stemmer_ru = _stemmer("ru")
        morph_needs = (f"pymorphy3-{lang}",)
        found.append(Source("pymorphy3", first, every, morph_needs))
        found.append(Source("pymorphy3, every lemma", every, every, morph_needs))
        fallback_name = "simplemma, else stem" if lang == "ru" else "simplemma, else guess"
        fallback_needs = (f"simplemma-{lang}",) + (("snowball-ru",) if lang == "ru" else ())
        found.append(Source(
            f"pymorphy3 dictionary, else {fallback_name}",
            lambda w: dictionary_first(w) or fallback(w),
            lambda w: dictionary(w) or fallback(w),
            morph_needs + fallback_needs))
        found.append(Source(
            f"pymorphy3 dictionary (every lemma), else {fallback_name}",
            lambda w: dictionary(w) or fallback(w),
            lambda w: dictionary(w) or fallback(w),
            morph_needs + fallback_needs))
    return found


# --- the tables ---------------------------------------------------------------------------


@dataclass
class Item:
    """A case, trap or inflection: an article, a topic and whether it must match."""

    id: str
    lang: str
    topic: Topic
    fields: dict[str, str]
    language: str | None
    must_match: bool
    kind: str = ""


def _home_language(case: dict[str, Any], topic: Topic) -> str:
    """The language a case is about: its label, else the topic's, else its letters."""
    if case.get("language"):
        return str(case["language"]).strip().lower()[:2]
    if len(topic.languages) == 1:
        return str(topic.languages[0])
    text = " ".join(str(case.get(f, "")) for f in FIELDS)
    langs = article_languages(None, [text])
    for lang in ("lt", "pl", "uk", "ru"):
        if lang in langs and ("cyrl" if lang in ("uk", "ru") else "latn") in scripts_in(text):
            return lang
    return "en"


def _fields(case: dict[str, Any]) -> dict[str, str]:
    return {f: str(case.get(f, "")) for f in FIELDS}


def shipped_topics() -> dict[str, Topic]:
    data = yaml.safe_load(KEYWORDS.read_text(encoding="utf-8"))
    return {spec["name"]: Topic.model_validate(spec) for spec in data["topics"]}


def load_traps(topics: dict[str, Topic]) -> list[Item]:
    cases = yaml.safe_load((TESTS / "matching_traps.yaml").read_text(encoding="utf-8"))
    return [Item(c["id"], c["language"], topics[c["topic"]], _fields(c), c["language"],
                 False, c["kind"]) for c in cases]


def load_must_match(name: str) -> list[Item]:
    """The must-match list-form cases of a table whose topic's keys matter: no query, no
    wildcard, at least one term that is not exact."""
    cases = yaml.safe_load((TESTS / name).read_text(encoding="utf-8"))
    items = []
    for case in cases:
        if not case["expected"] or "query" in case["topic"]:
            continue
        topic = Topic.model_validate({"name": case["id"], **case["topic"]})
        specs = [*topic.any, *topic.all, *topic.none]
        if "*" in "".join(s.term for s in specs) or all(s.exact for s in specs):
            continue
        items.append(Item(case["id"], _home_language(case, topic), topic, _fields(case),
                          case.get("language"), True))
    return items


# --- matching on keys ---------------------------------------------------------------------


@dataclass
class Keyer:
    """Keys words in every stream: `lang` with the candidate source, the others as
    today. Term words and text words are keyed once each."""

    lang: str
    source: Source
    today: dict[str, Source]
    memo: dict[tuple[str, str, bool], Keys] = field(default_factory=dict)

    def keys(self, word: str, stream: str, term: bool) -> Keys:
        found = self.memo.get((word, stream, term))
        if found is None:
            folded = folded_form(word)
            if script_of(folded) != SCRIPT[stream]:
                found = frozenset([folded])
            else:
                source = self.source if stream == self.lang else self.today[stream]
                found = (source.term if term else source.text)(folded)
            self.memo[word, stream, term] = found
        return found


def _hits(term: str, exact: bool, hint: tuple[str, ...], words: list[str], stream: str,
          keyer: Keyer) -> bool:
    written = term_words(term)
    if exact:
        wanted = [frozenset([exact_form(w)]) for w, _ in written]
        have = [frozenset([exact_form(w)]) for w in words]
    else:
        if stream not in _term_languages(written, hint):
            return False
        wanted = [keyer.keys(w, stream, True) for w, _ in written]
        have = [keyer.keys(w, stream, False) for w in words]
    size = len(wanted)
    return bool(size) and any(
        all(wanted[j] & have[i + j] for j in range(size)) for i in range(len(have) - size + 1))


def topic_matches(item: Item, keyer: Keyer) -> bool:
    topic = item.topic
    hint = tuple(topic.languages)
    langs = article_languages(item.language, item.fields.values(), hint)
    per_field = []
    for text in item.fields.values():
        if not text:
            continue
        words = tokenize(text)
        per_field.append((words, field_languages(langs, scripts_in(text))))

    def found(spec: Any) -> bool:
        return any(_hits(spec.term, spec.exact, hint, words, stream, keyer)
                   for words, streams in per_field for stream in streams)

    if topic.none and any(map(found, topic.none)):
        return False
    if topic.all and not all(map(found, topic.all)):
        return False
    return not topic.any or any(map(found, topic.any))


# --- speed ----------------------------------------------------------------------------------


def speed_words(rng: random.Random, tables: Sequence[Item]) -> dict[str, list[str]]:
    """Distinct folded words of each language's bench text, in text order."""
    words: dict[str, dict[str, None]] = {lang: {} for lang in LANGUAGES}

    def add(lang: str, text: str) -> None:
        for word in tokenize(text):
            folded = folded_form(word)
            if script_of(folded) == SCRIPT[lang]:
                words[lang][folded] = None

    if CORPUS.exists():
        for item in json.loads(CORPUS.read_text(encoding="utf-8")).values():
            body = item.get("articleBody", "")
            add("en", body)
            add("ru", body)
    sys.path.insert(0, str(ROOT / "bench"))
    from matching import load_articles  # the bench's generated Ukrainian articles

    for article in load_articles(random.Random(0))[0]:
        if article.language == "uk":
            add("uk", f"{article.title} {article.body}")
    factory = DefaultDictionaryFactory()
    for lang in ("lt", "pl"):
        forms = [f for f in factory.get_dictionary(lang) if f.isalpha()]
        for form in rng.sample(forms, 20_000):
            add(lang, form)
    for item in tables:
        for text in item.fields.values():
            add(item.lang, text)
    return {lang: list(found) for lang, found in words.items()}


def cold_us(lang: str, name: str, words: list[str]) -> float:
    """µs per word keying each word once with a fresh source (empty caches)."""
    source = next(s for s in sources(lang) if s.name == name)
    gc.collect()
    start = time.perf_counter()
    if source.batch is not None:
        source.batch(words)
    else:
        for word in words:
            source.text(word)
    return (time.perf_counter() - start) / len(words) * 1e6


def bare_simplemma(lang: str, words: list[str]) -> str:
    """simplemma's own cost, without the wrappers of the sources above: `lemmatize` on
    each word once (fresh cache), again (its cache), and the lookup in its dictionary
    alone (what a known word needs)."""
    lemmatizer = simplemma.Lemmatizer()
    figures = []
    for _ in range(2):
        gc.collect()
        start = time.perf_counter()
        for word in words:
            lemmatizer.lemmatize(word, lang=lang)
        figures.append((time.perf_counter() - start) / len(words) * 1e6)
    lookup = DefaultDictionaryFactory().get_dictionary(lang).get
    start = time.perf_counter()
    known = sum(1 for _ in filter(None, map(lookup, words)))
    figures.append((time.perf_counter() - start) / len(words) * 1e6)
    return (f"simplemma alone, µs/word: lemmatize {figures[0]:.2f} first call, "
            f"{figures[1]:.2f} repeated; dictionary lookup {figures[2]:.2f} "
            f"({known / len(words):.0%} of the words in its dictionary)")


# --- report -------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    traps: list[str]
    derivational: list[str]
    inflections: list[str]
    """ids that do NOT match (missed)."""
    cases: list[str]
    us: float
    load: float
    needs: tuple[str, ...]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold-mbs", type=float, default=10.0,
                        help="bench/matching.py's cold MB/s at 10,000 terms today")
    parser.add_argument("--details", action="store_true",
                        help="list the ids behind every figure")
    args = parser.parse_args()

    load_all()
    topics = shipped_topics()
    traps = load_traps(topics)
    inflections = load_must_match("matching_inflections.yaml")
    cases = load_must_match("matching_cases.yaml")
    # Cases that record a conflation of today's stems ("patriotic" = Patriot, "product" =
    # production) are must-match only because stems merge the words: traps in disguise.
    flips = [c for c in cases if "known-conflation" in c.id]
    cases = [c for c in cases if c not in flips]
    rng = random.Random(7)
    words = speed_words(rng, [*traps, *inflections, *cases])

    # Today's matcher on the traps, whole topics as shipped.
    actual = {t.id for t in traps if Matcher([t.topic]).match(ArticleText(
        title=t.fields["title"], summary=t.fields["summary"], body=t.fields["body"],
        language=t.language))}

    today = {lang: sources(lang)[0] for lang in LANGUAGES}
    print(f"{len(traps)} traps, {len(inflections)} inflection cases, {len(cases)} "
          f"must-match cases of matching_cases.yaml; today's matcher matches "
          f"{len(actual)} traps: {', '.join(sorted(actual)) or '-'}")
    print("left out, known conflations of today's stems: "
          + ", ".join(c.id for c in flips))
    print("loading, s: " + ", ".join(f"{k} {v:.3f}" for k, v in LOADS.items()))
    picks: dict[str, Row] = {}
    speeds: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        mine = [t for t in traps if t.lang == lang]
        infl = [c for c in inflections if c.lang == lang]
        kept = [c for c in cases if c.lang == lang]
        derivational = {t.id for t in mine if t.kind == "derivational"}
        rows: list[Row] = []
        for source in sources(lang):
            keyer = Keyer(lang, source, today)
            wrong = [t.id for t in mine if topic_matches(t, keyer)]
            rows.append(Row(
                source.name, wrong, [t for t in wrong if t in derivational],
                [c.id for c in infl if not topic_matches(c, keyer)],
                [c.id for c in kept if not topic_matches(c, keyer)],
                min(cold_us(lang, source.name, words[lang]) for _ in range(3)),
                sum(LOADS[n] for n in source.needs), source.needs))
        simulated = set(rows[0].traps)
        real = {t.id for t in mine} & actual
        if simulated != real:
            print(f"  note: simulated today {sorted(simulated)} ≠ matcher {sorted(real)}")
        print(f"\n{lang}: {len(mine)} traps ({len(derivational)} derivational), "
              f"{len(infl)} inflections, {len(kept)} cases; speed on {len(words[lang]):,} "
              "distinct words")
        print("  " + bare_simplemma(lang, words[lang]))
        print(f"  {'source':58} {'traps':>7} {'deriv.':>7} {'infl.':>7} {'cases':>7}"
              f" {'µs/word':>8} {'load s':>7}")
        for row in rows:
            print(f"  {row.name:58} {len(row.traps):>3}/{len(mine):<3} "
                  f"{len(row.derivational):>3}/{len(derivational):<3} "
                  f"{len(infl) - len(row.inflections):>3}/{len(infl):<3} "
                  f"{len(kept) - len(row.cases):>3}/{len(kept):<3} {row.us:8.2f} {row.load:7.3f}")
            if args.details:
                for label, ids in (("matches traps", row.traps),
                                   ("misses inflections", row.inflections),
                                   ("misses cases", row.cases)):
                    if ids:
                        print(f"      {label}: {', '.join(ids)}")
        speeds[lang] = {row.name: row.us for row in rows}
        keeping = [r for r in rows if not set(r.cases) - set(rows[0].cases)] or rows[:1]

        def cost(row: Row, lang: str = lang) -> float:
            # Seconds on the bench text: its distinct words, and what loading adds.
            added = sum(LOADS[n] for n in row.needs if n not in today[lang].needs)
            return len(words[lang]) * row.us / 1e6 + added

        picks[lang] = min(keeping, key=lambda r: (
            -(len(infl) - len(r.inflections) - len(r.traps)), cost(r)))

    # Projected cold rate: each distinct word of the bench text keyed at the new cost.
    total_mb = _bench_mb()
    extra = 0.0
    for lang in ("en", "uk", "ru"):
        base, pick = speeds[lang][today[lang].name], speeds[lang][picks[lang].name]
        extra += len(words[lang]) * (pick - base) / 1e6
    projected = total_mb / (total_mb / args.cold_mbs + extra)
    print("\nrecommendation: " + "; ".join(f"{lang} → {row.name}" for lang, row in picks.items()))
    print(f"projected cold rate of bench/matching.py at 10,000 terms: {projected:.1f} MB/s "
          f"(today {args.cold_mbs:.1f}; {extra * 1e3:+.0f} ms over {total_mb:.2f} MB), "
          "plus loading: " + ", ".join(
              f"{lang} {sum(LOADS[n] for n in row.needs if n not in today[lang].needs):.2f} s"
              for lang, row in picks.items() if row.name != today[lang].name))


def _bench_mb() -> float:
    """UTF-8 MB of title + body of bench/matching.py's text."""
    from matching import load_articles

    articles = load_articles(random.Random(0))[0]
    return sum(len(a.title.encode()) + len(a.body.encode()) for a in articles) / 1e6


if __name__ == "__main__":
    main()
