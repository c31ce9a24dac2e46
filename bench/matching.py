"""Matching throughput: Vedette's one-automaton matcher against a per-term regex loop, and
what a fresh process (a cron run) pays on its first pass, with and without the matching
cache beside the state (compiled topics, keys of costly words).

    python bench/matching.py [--passes 3] [--regex-budget 20]

Text: the full article texts of the article-extraction benchmark
(../shared/corpus/truth/aeb-ground-truth.json, ~0.9 MB: 177 English pages and 4 Russian
ones, all labelled English, so their Cyrillic words are read both as Ukrainian and as
Russian), or generated English when that folder is absent, plus 40 generated Ukrainian
articles (random inflected forms of some 70 words from pymorphy3's dictionary: every word
is a dictionary word and the vocabulary is small, under 1,000 forms, where real news has names
and many more words). Terms: topics of 5–10 terms each, mostly multi-word English
phrases, with Ukrainian, Russian and Lithuanian terms mixed in; 1 % of them
(`--from-text`) are content-word phrases taken from the text, so they hit: at 10,000 terms
about one matching topic per article. Extra 10,000-term runs (`--dense`) take 10 % and
30 % from the text: about 4 and 10 matching topics per article, to show what each match
costs. MB are UTF-8 bytes of title + body.

Vedette, per term count, in rounds (one of each per round, so the machine's slow spells
weigh on every column alike; each figure is the best of `--passes` rounds; pymorphy3's
dictionary is loaded before any timing):
- *compile*: building a Matcher without a cache file; *stored*: with a cache file that
  holds the compiled topics (neither is part of any MB/s figure);
- *cold*, *fresh*, *cached*: the first pass of a fresh Matcher over each half of the
  articles (a cron run matches a share of what is published; the figure is for both
  halves), without a cache file (*cold*), with one written by an earlier matcher over the
  other half (*fresh*: what a cron run meets, words new to the file unless the other half
  had them too), or over the same half (*cached*);
- *warm*: a further pass of the cached matcher.
At 10,000 terms, the figures per part of the text (English, the Russian pages, the
Ukrainian articles), and a small run: 20 articles, the cache written over all the others.
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
from vedette.matching import ArticleText  # noqa: E402
from vedette.matching.engine import Matcher  # noqa: E402
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


def part_of(article: ArticleText) -> str:
    """Which part of the text an article belongs to, for the per-language figures."""
    if article.language == "uk":
        return "Ukrainian (generated)"
    if _CYRILLIC.search(article.title + article.body[:2000]):
        # Four pages of the English corpus are Russian, labelled English: their Cyrillic
        # words are read both as Ukrainian (pymorphy3 guesses most of them) and Russian.
        return "Russian, labelled English"
    return "English"


_CYRILLIC = re.compile("[\u0400-\u04ff]")


class Pass(NamedTuple):
    """One timed first pass: a matcher built with `cache` (None: none) matches `articles`."""

    articles: list[ArticleText]
    cache: Path | None


class Timing(NamedTuple):
    build: float
    """Seconds to build the matcher."""
    seconds: dict[str, float]
    """Seconds per part of the text (`part_of`)."""
    matches: int


COLUMNS = ("cold", "fresh", "cached", "warm")
"""cold: no cache file; fresh: a cache file written over other articles (a cron run's new
articles); cached: a cache file written over the same articles; warm: a further pass."""


def _pass(topics: list[Topic], spec: Pass, warm: bool = False) -> tuple[Timing, Timing | None]:
    # Matchers built and dropped before leave garbage whose collection would land in
    # whichever pass came next: collect it first, as `timeit` keeps it out too.
    gc.collect()
    start = time.perf_counter()
    matcher = Matcher(topics, spec.cache)
    build = time.perf_counter() - start

    def timed() -> Timing:
        seconds: dict[str, float] = {}
        matches = 0
        for article in spec.articles:
            start = time.perf_counter()
            matches += len(matcher.match(article))
            part = part_of(article)
            seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - start
        return Timing(build, seconds, matches)

    first = timed()
    if not warm:
        return first, None
    gc.collect()
    return first, timed()


class Figures(NamedTuple):
    compile: float
    """Seconds to build a matcher without a cache file."""
    stored: float
    """Seconds to build one whose cache file holds the compiled topics."""
    seconds: dict[str, dict[str, float]]
    """Per column, per part of the text: the best seconds of the rounds."""
    matches: int
    """Matching topics per pass."""


def bench_vedette(runs: dict[str, list[Topic]], articles: list[ArticleText], small: str | None,
                  passes: int, folder: Path) -> dict[str, Figures]:
    """The figures of each run (a set of topics) over `articles`, and for the run named
    `small` also over 20 of them (named "small"), each the best of `passes` rounds.

    Every first pass is a fresh matcher's over one half of the articles, as a cron run
    matches a share of what is published, and each column's figure is for the two halves
    together: the whole text. Cache files are written once, before the rounds, by
    matchers over the articles they stand for: each half, and all articles but the small
    run's. Each round times every column of every run once, so a slow spell of the
    machine weighs on all of them alike."""
    halves = articles[::2], articles[1::2]
    few = articles[1:41:2]
    others = [a for a in articles if not any(a is b for b in few)]

    def primed(name: str, topics: list[Topic], texts: list[ArticleText]) -> Path:
        path = folder / f"{name}.cache"
        matcher = Matcher(topics, path)
        for article in texts:
            matcher.match(article)
        matcher.save_word_keys()
        return path

    plans: dict[str, dict[str, list[Pass]]] = {}
    for name, topics in runs.items():
        key = name.replace(" ", "-")
        first, second = (primed(f"{key}-half{n}", topics, half) for n, half in enumerate(halves))
        plans[name] = {"cold": [Pass(halves[0], None), Pass(halves[1], None)],
                       "fresh": [Pass(halves[0], second), Pass(halves[1], first)],
                       "cached": [Pass(halves[0], first), Pass(halves[1], second)]}
    if small is not None:
        runs = {**runs, "small": runs[small]}
        plans["small"] = {"cold": [Pass(few, None)],
                          "fresh": [Pass(few, primed("small", runs[small], others))]}

    best: dict[str, dict[str, dict[str, float]]] = {
        name: {column: {} for column in COLUMNS} for name in runs}
    builds = {name: [float("inf"), float("inf")] for name in runs}
    matches = dict.fromkeys(runs, 0)
    for _ in range(passes):
        for name, topics in runs.items():
            warm_after = "fresh" if name == "small" else "cached"  # a further pass of that one
            for column, specs in plans[name].items():
                timings: list[Timing] = []
                warms: list[Timing] = []
                for spec in specs:
                    first, warm = _pass(topics, spec, warm=column == warm_after)
                    timings.append(first)
                    warms.extend([warm] if warm is not None else [])
                _keep_best(best[name][column], timings)
                if warms:
                    _keep_best(best[name]["warm"], warms)
                if column == "cold":
                    builds[name][0] = min(builds[name][0], timings[0].build)
                    matches[name] = sum(timing.matches for timing in timings)
                elif column == "cached" or name == "small":
                    builds[name][1] = min(builds[name][1], timings[0].build)
    return {name: Figures(*builds[name], best[name], matches[name]) for name in runs}


def _keep_best(best: dict[str, float], timings: list[Timing]) -> None:
    """Per part of the text, the least seconds seen (summed over the passes that together
    cover the text)."""
    total: dict[str, float] = {}
    for timing in timings:
        for part, seconds in timing.seconds.items():
            total[part] = total.get(part, 0.0) + seconds
    for part, seconds in total.items():
        best[part] = min(best.get(part, float("inf")), seconds)


def rate(figures: Figures, column: str, articles: Sequence[ArticleText],
         part: str | None = None) -> float:
    """MB/s of a column, over the whole text or one part of it."""
    seconds = figures.seconds[column]
    chosen = [a for a in articles if part is None or part_of(a) == part]
    total = seconds.get(part, 0.0) if part is not None else sum(seconds.values())
    return _mb(chosen) / total if total else float("nan")


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
    runs = {str(count): make_topics(random.Random(count), count, articles, args.from_text)
            for count in args.terms}
    dense = [share for share in args.dense if 10_000 in args.terms]
    for share in dense:
        # The same 10,000 terms with more of them cut from the articles: more matching
        # topics per article, each with its snippet and report.
        runs[f"dense {share}"] = make_topics(random.Random(10_000), 10_000, articles, share)
    with tempfile.TemporaryDirectory() as folder:
        results = bench_vedette(runs, articles, "10000" if 10_000 in args.terms else None,
                                args.passes, Path(folder))
    print(f"{'terms':>7} {'topics':>6} {'compile s':>9} {'stored s':>8} {'cold MB/s':>9} "
          f"{'fresh MB/s':>10} {'cached MB/s':>11} {'warm MB/s':>9} {'fresh÷cold':>10} "
          f"{'fresh÷warm':>10} {'regex MB/s':>10} {'warm÷regex':>10}  matches  regex sample")
    warm_of: dict[int, float] = {}
    regex_of: dict[int, float] = {}
    for count in args.terms:
        found = results[str(count)]
        cold, fresh, cached, warm = (rate(found, column, articles) for column in COLUMNS)
        regex, share = bench_regex(runs[str(count)], articles, args.regex_budget)
        warm_of[count], regex_of[count] = warm, regex
        print(f"{count:>7} {len(runs[str(count)]):>6} {found.compile:>9.2f} {found.stored:>8.2f} "
              f"{cold:>9.2f} {fresh:>10.2f} {cached:>11.2f} {warm:>9.2f} {fresh / cold:>9.1f}× "
              f"{fresh / warm:>9.2f}× {regex:>10.3f} {warm / regex:>9.0f}×  "
              f"{found.matches:>7}  {share:>5.0%} of articles")
    print(f"(matches: matching topics over the {len(articles)} articles of one pass; compile s "
          "without a cache file, stored s with one that holds the compiled topics)")
    if 10_000 in args.terms:
        found = results["10000"]
        print("10,000 terms, MB/s per part of the text (cold / fresh / cached / warm):")
        for part in sorted({part_of(a) for a in articles}):
            chosen = [a for a in articles if part_of(a) == part]
            print(f"  {part}: {len(chosen)} articles, {_mb(chosen):.2f} MB: "
                  + " / ".join(f"{rate(found, c, articles, part):.2f}" for c in COLUMNS))
        few = results["small"]
        small_articles = articles[1:41:2]
        print(f"10,000 terms, 20 articles ({_mb(small_articles):.2f} MB), the cache written over "
              f"all the others: cold {rate(few, 'cold', small_articles):.2f}, fresh "
              f"{rate(few, 'fresh', small_articles):.2f}, warm "
              f"{rate(few, 'warm', small_articles):.2f} MB/s")
        before = few.compile + sum(few.seconds["cold"].values())
        after = few.stored + sum(few.seconds["fresh"].values())
        print(f"  a cron run's matching of those 20 (building the matcher, then its first pass): "
              f"{before:.2f} s without a cache file, {after:.2f} s with one "
              f"({before / after:.1f}× less)")
        fresh = rate(found, "fresh", articles)
        print(f"Vedette at 10,000 terms, first pass of a fresh process over new text (the cache "
              f"written over other articles): {fresh:.2f} MB/s (target ≥ 10 MB/s); "
              f"{rate(found, 'cold', articles):.2f} without a cache file, "
              f"{rate(found, 'cached', articles):.2f} with one written over the same text")
        print(f"Compiling 10,000 terms: {found.compile:.2f} s; {found.stored:.2f} s from the "
              f"cache file ({found.compile / found.stored:.0f}× less)")
    if 10 in warm_of and 10_000 in warm_of:
        print(f"Vedette at 10 terms / at 10,000 terms: {warm_of[10] / warm_of[10_000]:.2f}× "
              "slower (target: within 2×)")
        print(f"Vedette at 10,000 terms: {warm_of[10_000]:.2f} MB/s warm (target ≥ 10 MB/s)")
    if 1_000 in warm_of:
        print(f"Vedette ÷ regex at 1,000 terms: {warm_of[1_000] / regex_of[1_000]:.0f}× "
              "(target ≥ 100×)")
    if dense:
        print("At 10,000 terms with more matches (each costs a snippet and a report):")
    for share in dense:
        found = results[f"dense {share}"]
        warm = rate(found, "warm", articles)
        print(f"  {share:.0%} of the terms from the text: {warm:.2f} MB/s warm, "
              f"{rate(found, 'fresh', articles):.2f} fresh, {rate(found, 'cold', articles):.2f} "
              f"cold, {found.matches / len(articles):.1f} matching topics per article"
              + (f", {warm_of[10] / warm:.2f}× slower than 10 terms" if 10 in warm_of else ""))


if __name__ == "__main__":
    main()
