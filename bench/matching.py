"""Matching throughput: Vedette's one-automaton matcher against a per-term regex loop.

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

Vedette: one Matcher per term count (compiling is not timed); the first pass over the
text with a fresh Matcher is the *cold* pass (empty word-key cache; pymorphy3's dictionary
is loaded before any timing); the reported figure is the best of `--passes` warm passes,
taken in rounds (one pass of each term count per round) so the machine's slow spells
weigh on every term count alike.
Regex: `re.compile(r"\\b" + re.escape(term) + r"\\b", re.I)` per term, `search` over each
article; when the whole loop would exceed `--regex-budget` seconds it runs on a sample of
the articles (MB/s is per byte, so a sample measures the same rate).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

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


def bench_vedette(runs: dict[str, tuple[list[Topic], list[ArticleText]]], passes: int
                  ) -> dict[str, tuple[float, float, int]]:
    """(cold MB/s, best warm MB/s, matches per pass) of each named run.

    The warm passes of all runs are interleaved, round after round, so a slow spell of the
    machine slows every run alike and the ratios between them stay true."""
    matchers = {name: Matcher(topics) for name, (topics, _) in runs.items()}

    def run(name: str) -> int:
        matcher, articles = matchers[name], runs[name][1]
        return sum(len(matcher.match(a)) for a in articles)

    cold = {name: _timed(lambda name=name: run(name)) for name in runs}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(passes):
        for name in runs:
            best[name] = min(best[name], _timed(lambda name=name: run(name)))
    return {name: (_mb(runs[name][1]) / cold[name], _mb(runs[name][1]) / best[name], run(name))
            for name in runs}


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
    runs = {str(count): (make_topics(random.Random(count), count, articles, args.from_text),
                         articles) for count in args.terms}
    dense = [share for share in args.dense if 10_000 in args.terms]
    for share in dense:
        # The same 10,000 terms with more of them cut from the articles: more matching
        # topics per article, each with its snippet and report.
        runs[f"dense {share}"] = (make_topics(random.Random(10_000), 10_000, articles, share),
                                  articles)
    results = bench_vedette(runs, args.passes)
    print(f"{'terms':>7} {'topics':>6} {'cold MB/s':>10} {'Vedette MB/s':>13} "
          f"{'regex MB/s':>11} {'ratio':>8}  matches  regex sample")
    warm_of: dict[int, float] = {}
    regex_of: dict[int, float] = {}
    for count in args.terms:
        topics = runs[str(count)][0]
        cold, warm, matches = results[str(count)]
        regex, share = bench_regex(topics, articles, args.regex_budget)
        warm_of[count], regex_of[count] = warm, regex
        print(f"{count:>7} {len(topics):>6} {cold:>10.2f} {warm:>13.2f} {regex:>11.3f} "
              f"{warm / regex:>7.0f}×  {matches:>7}  {share:>5.0%} of articles")
    print(f"(matches: matching topics over the {len(articles)} articles of one pass)")
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
        _, warm, matches = results[f"dense {share}"]
        print(f"  {share:.0%} of the terms from the text: {warm:.2f} MB/s, "
              f"{matches / len(articles):.1f} matching topics per article"
              + (f", {warm_of[10] / warm:.2f}× slower than 10 terms" if 10 in warm_of else ""))


if __name__ == "__main__":
    main()
