"""Matching throughput: Vedette's one-automaton matcher against a per-term regex loop, and
what a fresh process (a cron run) pays on its first pass, with and without the word-key
cache.

    python bench/matching.py [--passes 3] [--regex-budget 20]

Text: the full article texts of the article-extraction benchmark
(../shared/corpus/truth/aeb-ground-truth.json, ~0.9 MB of real English), or generated
English when that folder is absent, plus generated Ukrainian news text (real inflected word
forms from pymorphy3's dictionary). Terms: topics of 5–10 terms each, mostly multi-word
English phrases, with Ukrainian, Russian and Lithuanian terms mixed in; 1 % of them
(`--from-text`) are content-word phrases taken from the text, so they hit: at 10,000 terms
about one matching topic per article. Extra 10,000-term runs (`--dense`) take 10 % and
30 % from the text: about 4 and 10 matching topics per article, to show what each match
costs. MB are UTF-8 bytes of title + body.

Vedette, per term count, in rounds (one of each per round, so the machine's slow spells
weigh on every column alike; each figure is the best of `--passes` rounds):
- *compile*: building a Matcher (not part of any MB/s figure);
- *cold*: the first pass of a fresh Matcher without a word-key cache: what every cron run
  paid before the cache (pymorphy3's dictionary is loaded before any timing);
- *cached*: the first pass of a fresh Matcher whose cache file was written by an earlier
  matcher over the same articles: reading the file and coding its chunks are timed;
- *warm*: a further pass of that matcher.
Two last lines do the same at 10,000 terms as a cron run meets text: over every other
article, with the cache written over the articles in between (earlier runs saw some of the
words and chunks, not all: here 37 % of the English chunks and 76 % of the Ukrainian ones;
a cache filled by weeks of runs knows more), and over 20 articles, with the cache written
over all the others (a small run, as most cron runs are).
Regex: `re.compile(r"\\b" + re.escape(term) + r"\\b", re.I)` per term, `search` over each
article; when the whole loop would exceed `--regex-budget` seconds it runs on a sample of
the articles (MB/s is per byte, so a sample measures the same rate).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vedette.config.schema import Topic  # noqa: E402
from vedette.matching import ArticleText, Matcher  # noqa: E402
from vedette.matching.stemming import _morph_uk  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus" / "truth" / "aeb-ground-truth.json"
TERM_COUNTS = (10, 100, 1_000, 10_000)

_UK_LEMMAS = (
    "дрон безпілотник ракета удар оборона фронт війна армія місто область село завод "
    "паливо склад техніка танк гармата снаряд виробництво партнер уряд міністр президент "
    "країна союзник допомога постачання система ППО атака ніч день тиждень місяць рік "
    "людина солдат командир бригада позиція наступ напрямок енергетика підстанція "
    "далекобійний новий великий важкий російський український західний спільний "
    "повітряний морський зенітний бойовий цивільний критичний ударний стратегічний "
    "збити знищити запустити атакувати оголосити передати виготовити повідомити "
    "вразити захистити постачати отримати домовитися"
).split()
_STOPWORDS = frozenset((
    "that with this from have were they their there which would about been will what when "
    "than them then into more some such also only other said says could these those most "
    "after over just like even very much many where while being does each"
).split())
_UK_GLUE = "і та в у на з із до після через під час що але як також вже ще".split()
_EN_WORDS = (
    "the of and to in a is that for on with as was by at from it an be are this which "
    "drone missile defense army air force strike attack production contract supply "
    "government minister said officials company military range system new long joint "
    "war front city region report plant fuel artillery shell tank border support"
).split()
_EN_MODIFIERS = (
    "long-range short-range heavy light naval air-launched ground-based joint mobile "
    "armored unmanned anti-ship anti-tank precision-guided loitering ballistic cruise "
    "hypersonic stealth coastal tactical strategic electronic low-cost autonomous"
).split()
_EN_NOUNS = (
    "drone drones missile rocket interceptor radar launcher howitzer shell munition "
    "vessel submarine frigate helicopter fighter jet bomber satellite sensor jammer "
    "battery brigade battalion convoy depot refinery plant factory supplier contract "
    "production strike attack system platform warhead engine turbine component"
).split()
_OTHER_TERMS = (
    "далекобійні дрони|удар по НПЗ|спільне виробництво|системи ППО|енергетична "
    "інфраструктура|ракетний удар|зенітна ракета|беспилотный летательный аппарат|"
    "ракетный удар|противовоздушная оборона|nuolatinė parama|karinė pagalba|"
    "oro gynyba|tolimojo nuotolio dronai|bendra gamyba|obrona powietrzna"
).split("|")


def _uk_forms() -> list[str]:
    morph = _morph_uk()
    forms: list[str] = []
    for lemma in _UK_LEMMAS:
        parses = morph.parse(lemma)
        forms.extend(sorted({f.word for f in parses[0].lexeme}) if parses else [lemma])
    return forms


def _sentences(rng: random.Random, words: Sequence[str], glue: Sequence[str], n: int) -> str:
    out = []
    for _ in range(n):
        size = rng.randint(8, 22)
        sent = [rng.choice(words) if rng.random() < 0.6 else rng.choice(glue)
                for _ in range(size)]
        out.append(" ".join(sent).capitalize() + ".")
    return " ".join(out)


def load_articles(rng: random.Random) -> tuple[list[ArticleText], str]:
    articles: list[ArticleText] = []
    if CORPUS.exists():
        data = json.loads(CORPUS.read_text(encoding="utf-8"))
        for item in data.values():
            body = item.get("articleBody", "")
            title, _, rest = body.partition("\n")
            articles.append(ArticleText(title=title[:200], body=rest, language="en"))
        source = f"{len(articles)} real English articles ({CORPUS.name})"
    else:
        for _ in range(180):
            articles.append(ArticleText(
                title=_sentences(rng, _EN_WORDS, _EN_WORDS[:20], 1),
                body=_sentences(rng, _EN_WORDS + _EN_NOUNS, _EN_WORDS[:20], 300),
                language="en",
            ))
        source = "180 generated English articles (corpus folder absent)"
    forms = _uk_forms()
    for _ in range(40):
        articles.append(ArticleText(
            title=_sentences(rng, forms, _UK_GLUE, 1),
            body=_sentences(rng, forms, _UK_GLUE, 70),
            language="uk",
        ))
    rng.shuffle(articles)
    return articles, source + " + 40 generated Ukrainian articles"


def make_topics(rng: random.Random, count: int, articles: Sequence[ArticleText],
                from_text: float = 0.01) -> list[Topic]:
    """`count` distinct terms over topics of 5–10 terms; `from_text` of them are phrases
    taken from the articles (so they hit)."""
    # Content words only: nobody watches for "of the".
    text_words = [w for a in articles if a.language == "en"
                  for w in re.findall(r"[A-Za-z]{4,}", a.body)
                  if w.casefold() not in _STOPWORDS]
    terms: list[str] = []
    seen: set[str] = set()

    def add(term: str) -> None:
        if term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)

    for term in _OTHER_TERMS[: max(1, count // 20)]:
        add(term)
    while len(terms) < count:
        roll = rng.random()
        if roll < from_text and text_words:  # a phrase from the text: realistic and it hits
            i = rng.randrange(len(text_words) - 3)
            add(" ".join(text_words[i: i + rng.randint(2, 3)]))
        elif roll < from_text + 0.6:
            parts = [rng.choice(_EN_MODIFIERS), rng.choice(_EN_NOUNS)]
            if rng.random() < 0.3:
                parts.insert(0, rng.choice(_EN_MODIFIERS))
            add(" ".join(parts))
        else:
            suffix = rng.choice(_EN_NOUNS)
            add(f"{rng.choice(_OTHER_TERMS)} {suffix}")
    rng.shuffle(terms)
    topics, i = [], 0
    while i < len(terms):
        size = rng.randint(5, 10)
        topics.append(Topic(name=f"Topic {len(topics)}", any=terms[i: i + size]))
        i += size
    return topics


def _mb(articles: Sequence[ArticleText]) -> float:
    return sum(len(a.title.encode()) + len(a.body.encode()) for a in articles) / 1e6


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Run(NamedTuple):
    topics: list[Topic]
    articles: list[ArticleText]
    """Matched in every pass."""
    primer: list[ArticleText]
    """Matched once, by the matcher that writes the cache file of this run."""


class Figures(NamedTuple):
    compile: float
    """Seconds to build the matcher."""
    cold: float
    cached: float
    warm: float
    """MB/s: first pass without a cache file, first pass with one, a further pass."""
    matches: int
    """Matching topics per pass."""


def bench_vedette(runs: dict[str, Run], passes: int, folder: Path) -> dict[str, Figures]:
    """The figures of each named run, each the best of `passes` rounds.

    Every round builds, for each run, a fresh matcher without a cache and one with a cache
    file (written once, before the rounds, by a matcher over the run's `primer`), and
    times their first passes and a further pass of the second: one of each per run and
    round, so a slow spell of the machine slows every run and column alike."""
    files = {name: folder / f"{name.replace(' ', '-')}.wordkeys" for name in runs}
    for name, spec in runs.items():
        primer = Matcher(spec.topics, files[name])
        for article in spec.primer:
            primer.match(article)
        primer.save_word_keys()

    def build(name: str, cache: Path | None) -> tuple[Matcher, float]:
        start = time.perf_counter()
        matcher = Matcher(runs[name].topics, cache)
        return matcher, time.perf_counter() - start

    def timed_pass(matcher: Matcher, articles: list[ArticleText]) -> tuple[float, int]:
        # The matchers built and dropped before leave garbage whose collection would land
        # in whichever pass came next: collect it first, as `timeit` keeps it out too.
        gc.collect()
        start = time.perf_counter()
        matches = sum(len(matcher.match(a)) for a in articles)
        return time.perf_counter() - start, matches

    best: dict[str, list[float]] = {name: [float("inf")] * 4 for name in runs}
    matches = dict.fromkeys(runs, 0)
    for _ in range(passes):
        for name, spec in runs.items():
            fresh, built = build(name, None)
            cold, matches[name] = timed_pass(fresh, spec.articles)
            del fresh
            cached_matcher, _ = build(name, files[name])
            cached, _ = timed_pass(cached_matcher, spec.articles)
            warm, _ = timed_pass(cached_matcher, spec.articles)
            best[name] = [min(a, b) for a, b in zip(best[name], (built, cold, cached, warm),
                                                     strict=True)]
    return {name: Figures(times[0], *(_mb(runs[name].articles) / t for t in times[1:]),
                          matches[name])
            for name, times in best.items()}


def bench_regex(topics: list[Topic], articles: list[ArticleText], budget: float
                ) -> tuple[float, float]:
    patterns = [re.compile(r"\b" + re.escape(spec.term) + r"\b", re.I)
                for t in topics for spec in t.any]
    texts = [f"{a.title}\n{a.body}" for a in articles]

    def run(sample: list[str]) -> None:
        for text in sample:
            for pattern in patterns:
                pattern.search(text)

    probe = texts[:: max(1, len(texts) // 8)][:8]
    probe_time = _timed(lambda: run(probe))
    probe_mb = sum(len(t.encode()) for t in probe) / 1e6
    share = min(1.0, budget / (probe_time / probe_mb * _mb(articles)))
    step = max(1, min(round(1 / share), len(texts) // 8))  # at least 8 articles
    sample = texts[::step]
    mb = sum(len(t.encode()) for t in sample) / 1e6
    return mb / _timed(lambda: run(sample)), len(sample) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--regex-budget", type=float, default=20.0,
                        help="seconds per regex run before sampling articles")
    parser.add_argument("--terms", type=int, nargs="*", default=list(TERM_COUNTS))
    parser.add_argument("--from-text", type=float, default=0.01,
                        help="share of terms taken from the articles' own phrases (they hit); "
                             "0.01 gives about one matching topic per article at 10,000 terms")
    parser.add_argument("--dense", type=float, nargs="*", default=[0.1, 0.3],
                        help="shares for the extra 10,000-term runs with more matches")
    args = parser.parse_args()
    rng = random.Random(7)
    articles, source = load_articles(rng)
    print(f"text: {source}: {_mb(articles):.2f} MB per pass")
    runs = {str(count): Run(make_topics(random.Random(count), count, articles, args.from_text),
                            articles, articles) for count in args.terms}
    if 10_000 in args.terms:
        # A cron run's view: the cache holds what earlier runs saw, not this run's articles.
        runs["half"] = Run(runs["10000"].topics, articles[1::2], articles[::2])
        # A small run (most cron runs): 20 articles, the cache from all the others.
        runs["small"] = Run(runs["10000"].topics, articles[1:41:2],
                            articles[::2] + articles[41::2])
    dense = [share for share in args.dense if 10_000 in args.terms]
    for share in dense:
        # The same 10,000 terms with more of them cut from the articles: more matching
        # topics per article, each with its snippet and report.
        topics = make_topics(random.Random(10_000), 10_000, articles, share)
        runs[f"dense {share}"] = Run(topics, articles, articles)
    with tempfile.TemporaryDirectory() as folder:
        results = bench_vedette(runs, args.passes, Path(folder))
    print(f"{'terms':>7} {'topics':>6} {'compile s':>9} {'cold MB/s':>9} {'cached MB/s':>11} "
          f"{'warm MB/s':>9} {'cached÷cold':>11} {'cached÷warm':>11} {'regex MB/s':>10} "
          f"{'warm÷regex':>10}  matches  regex sample")
    warm_of: dict[int, float] = {}
    regex_of: dict[int, float] = {}
    for count in args.terms:
        topics = runs[str(count)].topics
        found = results[str(count)]
        regex, share = bench_regex(topics, articles, args.regex_budget)
        warm_of[count], regex_of[count] = found.warm, regex
        print(f"{count:>7} {len(topics):>6} {found.compile:>9.2f} {found.cold:>9.2f} "
              f"{found.cached:>11.2f} {found.warm:>9.2f} {found.cached / found.cold:>10.1f}× "
              f"{found.cached / found.warm:>10.2f}× {regex:>10.3f} {found.warm / regex:>9.0f}×  "
              f"{found.matches:>7}  {share:>5.0%} of articles")
    print(f"(matches: matching topics over the {len(articles)} articles of one pass)")
    for name, what in (("half", "the cache written over the other half of the articles"),
                       ("small", "20 articles, the cache written over all the others")):
        if name in results:
            found = results[name]
            print(f"10,000 terms, {what}: cold {found.cold:.2f}, cached {found.cached:.2f}, "
                  f"warm {found.warm:.2f} MB/s (cached {found.cached / found.cold:.1f}× cold, "
                  f"{found.cached / found.warm:.2f}× warm)")
    if 10_000 in warm_of:
        found = results["10000"]
        print(f"Vedette at 10,000 terms, first pass of a fresh process: {found.cached:.2f} MB/s "
              f"with the word-key cache, {found.cold:.2f} without (target ≥ 10 MB/s)")
    if 10 in warm_of and 10_000 in warm_of:
        print(f"Vedette at 10 terms / at 10,000 terms: {warm_of[10] / warm_of[10_000]:.2f}× "
              "slower (target: within 2×)")
        print(f"Vedette at 10,000 terms: {warm_of[10_000]:.2f} MB/s (target ≥ 10 MB/s)")
    if 1_000 in warm_of:
        print(f"Vedette ÷ regex at 1,000 terms: {warm_of[1_000] / regex_of[1_000]:.0f}× "
              "(target ≥ 100×)")
    if dense:
        print("At 10,000 terms with more matches (each costs a snippet and a report):")
    for share in dense:
        found = results[f"dense {share}"]
        print(f"  {share:.0%} of the terms from the text: {found.warm:.2f} MB/s warm, "
              f"{found.cached:.2f} cached, {found.cold:.2f} cold, "
              f"{found.matches / len(articles):.1f} matching topics per article"
              + (f", {warm_of[10] / found.warm:.2f}× slower than 10 terms" if 10 in warm_of
                 else ""))


if __name__ == "__main__":
    main()
