"""The matching engine: data-driven cases (matching_cases.yaml) plus snippet and scale tests."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from vedette.config.schema import Topic
from vedette.matching import ArticleText, Snippet, TopicMatch
from vedette.matching.engine import Matcher

CASES_FILE = Path(__file__).with_name("matching_cases.yaml")
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def topic(name: str = "Topic", **terms: Any) -> Topic:
    return Topic.model_validate({"name": name, **terms})


def article(case: dict[str, Any]) -> ArticleText:
    return ArticleText(
        title=case["title"],
        summary=case.get("summary", ""),
        body=case.get("body", ""),
        language=case.get("language"),
    )


def highlighted(snippet: Snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.highlights]


# --- the case table ---------------------------------------------------------------------


def test_case_table_is_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 150
    assert len(ids) == len(set(ids)), "case ids must be unique"
    allowed = {"id", "topic", "title", "summary", "body", "language", "expected", "terms",
               "fields", "highlights", "term_fields", "more_highlights", "snippet"}
    for case in CASES:
        assert set(case) <= allowed, case["id"]
        assert isinstance(case["expected"], bool), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    spec = {"name": case["id"], **case["topic"]}
    matches = Matcher([Topic.model_validate(spec)]).match(article(case))
    assert bool(matches) is case["expected"], matches
    if not matches:
        return
    (match,) = matches
    assert match.topic_name == case["id"]
    if "terms" in case:
        assert list(match.terms) == case["terms"]
    if "fields" in case:
        assert list(match.fields) == case["fields"]
    if "highlights" in case:
        assert highlighted(match.snippet) == case["highlights"]
    if "snippet" in case:
        assert match.snippet.text == case["snippet"]
    if "term_fields" in case:
        assert dict(zip(match.terms, map(list, match.term_fields), strict=True)) == case[
            "term_fields"]
    if "more_highlights" in case:
        assert [highlighted(s) for s in match.more_snippets] == case["more_highlights"]
    # Whatever the case, each snippet shows the article's own characters around a real hit.
    assert len(match.term_fields) == len(match.terms)
    for snippet in (match.snippet, *match.more_snippets):
        source = getattr(article(case), snippet.field)
        assert snippet.highlights
        for text in highlighted(snippet):
            assert text and text in source


# --- TopicMatch: terms, fields, order ---------------------------------------------------


def test_topic_match_reports_terms_fields_and_ids() -> None:
    topics = [
        topic("Joint production", any=["joint production", "co-production", "=HIMARS"],
              none=["film production"]),
    ]
    text = ArticleText(
        title="HIMARS co-production talks",
        summary="Nothing relevant here.",
        body="Officials discussed joint production of launchers.",
    )
    (match,) = Matcher(topics).match(text)
    assert match == TopicMatch(
        topic_id="joint-production",
        topic_name="Joint production",
        terms=("joint production", "co-production", "HIMARS"),
        fields=("title", "body"),
        snippet=Snippet(
            field="body",
            text="Officials discussed joint production of launchers.",
            highlights=((20, 36),),
        ),
        # Both title terms are in the headline above the snippet: no further sentence.
        term_fields=(("body",), ("title",), ("title",)),
    )


def test_matches_come_in_config_order_and_only_matching_topics() -> None:
    topics = [
        topic("Zeta drones", any=["drones"]),
        topic("Alpha shells", any=["shells"]),
        topic("Tanks", any=["tanks"]),
        topic("Mid shells", id="mid", all=["shells", "drones"]),
    ]
    found = Matcher(topics).match(ArticleText(title="Drones and shells"))
    assert [m.topic_id for m in found] == ["zeta-drones", "alpha-shells", "mid"]


def test_term_shared_by_topics_and_roles() -> None:
    # The same term in several topics and in `none` of another is compiled once and
    # decided per topic.
    topics = [
        topic("A", any=["drones"]),
        topic("B", any=["shells"], none=["drones"]),
        topic("C", any=["drones", "shells"]),
    ]
    found = Matcher(topics).match(ArticleText(title="Drones and shells"))
    assert [(m.topic_id, m.terms) for m in found] == [("a", ("drones",)),
                                                       ("c", ("drones", "shells"))]


def test_terms_deduplicated_when_written_twice() -> None:
    topics = [topic("T", any=["drones"], all=["drones"])]
    (match,) = Matcher(topics).match(ArticleText(title="Drones"))
    assert match.terms == ("drones",)


def test_no_topics_and_empty_article() -> None:
    assert Matcher([]).match(ArticleText(title="Drones")) == []
    assert Matcher([topic(any=["drones"])]).match(ArticleText(title="")) == []
    assert Matcher([topic(any=["drones"])]).match(ArticleText(title="— … !!")) == []


def test_term_without_letters_never_matches(caplog: pytest.LogCaptureFixture) -> None:
    matcher = Matcher([topic(any=["—", "drones"]), topic("Other", any=["++"])])
    assert "will never match" in caplog.text
    assert [m.terms for m in matcher.match(ArticleText(title="— drones ++"))] == [("drones",)]
    # Only such terms: nothing to compile, nothing ever matches, nothing breaks.
    assert Matcher([topic(any=["—"])]).match(ArticleText(title="— drones")) == []


def test_numbers_only_term_in_any_language() -> None:
    matcher = Matcher([topic(any=["1000"])])
    assert matcher.match(ArticleText(title="Передано 1000 дронів", language="uk"))
    assert matcher.match(ArticleText(title="1000 drones", language="en"))
    assert not matcher.match(ArticleText(title="10000 drones"))


# --- snippets ---------------------------------------------------------------------------


def test_snippet_is_the_sentence_with_all_hits_highlighted() -> None:
    body = ("Earlier news first. Kyiv said long\u2011range drones hit two depots, and more "
            "long range drones are coming! The rest is unrelated.")
    (match,) = Matcher([topic(any=["long-range drones"])]).match(
        ArticleText(title="Update", body=body))
    assert match.snippet.field == "body"
    assert match.snippet.text == ("Kyiv said long\u2011range drones hit two depots, and more "
                                  "long range drones are coming!")
    assert highlighted(match.snippet) == ["long\u2011range drones", "long range drones"]


def test_snippet_highlights_every_term_of_the_topic_in_the_sentence() -> None:
    body = "Intro. The HIMARS and two IRIS-T units arrived; drones too.\nNext line."
    topics = [topic(any=["=HIMARS", "=IRIS-T", "drone"], none=["balloon"])]
    (match,) = Matcher(topics).match(ArticleText(title="x", body=body))
    assert match.snippet.text == "The HIMARS and two IRIS-T units arrived; drones too."
    assert highlighted(match.snippet) == ["HIMARS", "IRIS-T", "drones"]


def test_snippet_prefers_body_then_summary_then_title() -> None:
    matcher = Matcher([topic(any=["drones"])])
    both = matcher.match(ArticleText(title="Drones!", summary="Drones, again.",
                                     body="Nothing. Then drones came."))
    assert both[0].snippet.field == "body"
    assert both[0].snippet.text == "Then drones came."
    assert both[0].fields == ("title", "summary", "body")
    summary = matcher.match(ArticleText(title="Drones!", summary="Swarms of drones.",
                                        body="Nothing relevant."))
    assert summary[0].snippet == Snippet("summary", "Swarms of drones.", ((10, 16),))
    title = matcher.match(ArticleText(title="Drones over Kyiv", body="Quiet night."))
    assert title[0].snippet == Snippet("title", "Drones over Kyiv", ((0, 6),))


def test_snippet_keeps_original_characters_of_cyrillic_text() -> None:
    body = "Вступ. Уночі дро\u0301ни атакували об\u02bcєкти в Харкові. Кінець."
    (match,) = Matcher([topic(any=["дрони", "об'єкт"])]).match(
        ArticleText(title="Новини", body=body, language="uk"))
    assert match.snippet.text == "Уночі дро\u0301ни атакували об\u02bcєкти в Харкові."
    assert highlighted(match.snippet) == ["дро\u0301ни", "об\u02bcєкти"]


def test_snippet_does_not_split_on_abbreviations_or_decimals() -> None:
    body = "Intro. The U.S. Army and Gen. Smith tested 3.5 km long-range drones. Next."
    (match,) = Matcher([topic(any=["long-range drones"])]).match(
        ArticleText(title="x", body=body))
    assert match.snippet.text == "The U.S. Army and Gen. Smith tested 3.5 km long-range drones."


def test_snippet_splits_on_newlines_and_other_enders() -> None:
    body = "Headline without stop\nAre drones coming? Yes… drones are here\nFooter"
    (match,) = Matcher([topic(any=["drones"])]).match(ArticleText(title="x", body=body))
    assert match.snippet.text == "Are drones coming?"


def test_long_sentence_is_trimmed_around_the_first_hit() -> None:
    filler = " ".join(["word"] * 200)
    body = f"{filler} the long-range drones struck {filler} and more drones."
    (match,) = Matcher([topic(any=["long-range drones"])]).match(
        ArticleText(title="x", body=body))
    snippet = match.snippet
    assert len(snippet.text) <= 300
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert highlighted(snippet) == ["long-range drones"]
    # Cut between words, not inside one.
    assert snippet.text[1:].split(" ")[0] == "word" and snippet.text[:-1].endswith("word")


def test_huge_text_without_punctuation_gives_a_short_snippet() -> None:
    body = "filler " * 150_000 + "drones " + "filler " * 150_000
    (match,) = Matcher([topic(any=["drones"])]).match(ArticleText(title="x", body=body))
    assert len(match.snippet.text) <= 300
    assert highlighted(match.snippet) == ["drones"]


def test_overlapping_hits_are_one_highlight() -> None:
    (match,) = Matcher([topic(any=["long-range drones", "drones"])]).match(
        ArticleText(title="New long-range drones shown"))
    assert highlighted(match.snippet) == ["long-range drones"]
    assert match.terms == ("long-range drones", "drones")


# --- scale: the automaton, not the number of terms, sets the cost -----------------------


def _random_word(rng: random.Random, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 9)))


def test_ten_thousand_terms_give_the_same_result_as_the_relevant_ones() -> None:
    relevant = [
        topic("Long-range drones", any=["long-range drone", "далекобійні дрони"],
              none=["drone show"]),
        topic("Joint production", any=["joint production", "спільне виробництво"]),
        topic("HIMARS", any=["=HIMARS"], all=["Ukraine"]),
        topic("Vetoed", any=["shells"], none=["depot"]),
    ]
    rng = random.Random(20240601)
    cyrillic = "абвгдежзиклмнопрстуфхцчшщюяієї"
    # Near misses as well as noise: pieces of the article's words that no stemmer yields
    # (whole-word traps), reordered phrases, other-case exact terms, random words in both
    # scripts. (Not "rang" or "Ukrain": Snowball really stems "range"/"Ukraine" to those.)
    traps = ["dro", "ange", "production joint", "=himars", "=Himars", "kraine", "рон",
             "ільне", "joint drones", "long-range shells", "спільні дрони", "icials"]
    generated: list[str] = list(traps)
    while len(generated) < 10_000:
        alphabet = cyrillic if rng.random() < 0.3 else string.ascii_lowercase
        words = [_random_word(rng, alphabet) for _ in range(rng.randint(1, 3))]
        generated.append(("=" if rng.random() < 0.05 else "") + " ".join(words))
    noise = [topic(f"Noise {i}", id=f"noise-{i}", any=generated[i:i + 10])
             for i in range(0, len(generated), 10)]
    texts = [
        ArticleText(
            title="Ukraine gets HIMARS and long-range drones",
            summary="Joint production of shells was agreed at the depot.",
            body="Officials said the long-range drones were built in joint production.\n"
                 "Україна отримала далекобійних дронів; спільному виробництву — так.",
        ),
        ArticleText(title="Спільне виробництво далекобійних дронів", language="uk"),
        ArticleText(title="Drone show in Kyiv: long-range drones on display"),  # vetoed
    ]
    small, big = Matcher(relevant), Matcher([*noise[:500], *relevant, *noise[500:]])
    expected = [small.match(text) for text in texts]
    assert [len(found) for found in expected] == [3, 2, 0]
    assert [big.match(text) for text in texts] == expected


def test_results_do_not_change_when_the_word_caches_fill_and_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long-running daemon meets more distinct words than the caches hold: a full cache is
    # replaced in the middle of an article, and offsets, snippets and hits must not notice.
    topics = [
        topic("Drones", any=["long-range drone", "далекобійні дрони", "drone*"]),
        topic("Near", query='"joint production" NEAR/4 (Ukraine OR Україна) OR =HIMARS'),
    ]
    rng = random.Random(5)
    texts = []
    for n in range(60):
        noise = " ".join(_random_word(rng, string.ascii_lowercase) + rng.choice([",", "", "."])
                         for _ in range(rng.randint(5, 40)))
        texts.append(ArticleText(
            title=f"Story {n}: long-range drones",
            body=f"{noise}\n\nUkraine and  joint production — HIMARS.  {noise} "
                 f"Україна: далекобійних дронів {n}. droneshield {noise}",
        ))
    expected = [Matcher(topics).match(text) for text in texts]
    for limit in (20, 50, 90, 200):
        monkeypatch.setattr("vedette.matching.encoding._CACHE_LIMIT", limit)
        small_caches = Matcher(topics)
        assert [small_caches.match(text) for text in texts] == expected, limit
    assert all(len(found) == 2 for found in expected)


def test_chunk_layouts_survive_a_reset_caused_by_another_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vedette.matching.encoding import StreamEncoder
    from vedette.matching.stemming import Analyzer

    monkeypatch.setattr("vedette.matching.encoding._CACHE_LIMIT", 4)
    encoder = StreamEncoder(Analyzer(), {"drone": "a"}, "b", 3)
    latin = ["drone,", "strike", "F-16s"]
    stream = "".join(encoder.chunk_codes(latin, 1))
    # Cyrillic words fill the shared layouts in slot 2, whose own cache was empty.
    encoder.chunk_codes(["дрон", "удар", "ракета", "завод"], 2)
    assert stream == "abbbb"
    assert [encoder.layout(chunk) for chunk in latin] == [
        (("drone", 0, 5),), (("strike", 0, 6),), (("F", 0, 1), ("16", 2, 4), ("s", 4, 5))]


def test_word_offsets_agree_with_the_word_regex_on_random_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hits are located through white-space chunks and a cursor; the answer must be what
    # the word regex finds in the whole text, whatever the spacing and punctuation.
    from vedette.matching.encoding import StreamEncoder
    from vedette.matching.locate import Locator
    from vedette.matching.stemming import Analyzer
    from vedette.matching.tokens import TOKEN_RE

    rng = random.Random(3)
    pieces = ["drone", "F-16s", "\u2014", "'quoted'", "155mm", "long-range", "\u043f\u2019\u044f\u0442",
              "a", "(Reuters)", "...", "x-y-z-w", "U.S.", "\u0434\u0440\u043e\u0301\u043d\u0438"]
    gaps = [" ", " ", " ", "  ", "\n", "\n\n", "\t ", " \u00a0 ", "\u2003"]
    for limit in (100_000, 7):  # also with caches reset all the time
        monkeypatch.setattr("vedette.matching.encoding._CACHE_LIMIT", limit)
        encoder = StreamEncoder(Analyzer(), {}, "xy", 2)
        for _ in range(1500):
            text = (rng.choice(gaps) if rng.random() < 0.3 else "") + "".join(
                rng.choice(pieces) + rng.choice(gaps) for _ in range(rng.randint(1, 40)))
            if rng.random() < 0.5:
                text = text.rstrip()
            chunks = text.split()
            truth = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
            if not truth:
                continue
            wanted = sorted(rng.sample(range(len(truth)), rng.randint(1, len(truth))))
            locator = Locator(text, chunks, encoder.chunk_codes(chunks, 1), 2, encoder)
            assert [locator.span(i) for i in wanted] == [truth[i] for i in wanted], text


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("uk", "Russia said", ("en", "uk")),
    ("ru", "Україна", ("en", "ru")),
    (None, "Сили оборони збили дрони над Києвом.", ("en", "uk")),
    (None, "Силы обороны сбили беспилотники, сообщил штаб.", ("en", "ru")),
    (None, "Він сказав: «Мы этого не допустим».", ("en", "uk", "ru")),  # a quote
    (None, "Дрони", ("en", "uk", "ru")),  # too short to tell
    (None, "Vilniuje pasirašyta sutartis dėl dronų gamybos.", ("en", "lt", "uk", "ru")),
    (None, "Umowa o produkcji dronów dalekiego zasięgu.", ("en", "pl", "uk", "ru")),
    # A label naming neither Cyrillic language leaves the Cyrillic words to their letters.
    ("en", "Силы обороны сбили беспилотники, сообщил штаб.", ("en", "ru")),
    ("en", "Сили оборони збили дрони над Києвом.", ("en", "uk")),
    ("lt", "Мы этого не допустим: «Україна вистоїть».", ("en", "lt", "uk", "ru")),
    ("en", "Дрони", ("en", "uk", "ru")),
])
def test_article_languages_come_from_the_page_or_the_letters(
        language: str | None, text: str, expected: tuple[str, ...]) -> None:
    from vedette.matching.languages import article_languages

    assert article_languages(language, [text]) == expected


def test_ukrainian_article_without_a_language_matches_through_lemmas() -> None:
    matcher = Matcher([topic(any=["далекобійні дрони"])])
    (match,) = matcher.match(ArticleText(
        title="Новини", body="Сили оборони отримали нові далекобійних дронів партію."))
    assert highlighted(match.snippet) == ["далекобійних дронів"]


def test_a_further_sentence_locates_its_words_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each pass over a field walks it from the start: one per hit near a further sentence
    # would make a long body with many hits cost seconds.
    from vedette.matching import locate

    passes = []

    class CountedLocator(locate.Locator):
        def __init__(self, *args: Any) -> None:
            passes.append(1)
            super().__init__(*args)

    monkeypatch.setattr(locate, "Locator", CountedLocator)
    body = "A drone flew. " + "The army said it was ready. " * 500 + "tank " * 150 + "."
    (match,) = Matcher([topic(all=["drone", "tank"])]).match(ArticleText(title="t", body=body))
    assert set(highlighted(match.more_snippets[0])) == {"tank"}
    assert len(passes) == 2  # the first sentence's words, then the further sentence's


def test_a_hit_cut_at_the_snippet_edge_is_highlighted_as_far_as_it_shows() -> None:
    filler = " ".join(["the army said that a drone had been seen flying low over the city"] * 4)
    body = f"A drone flew over {filler} while air defense systems were moved east."
    (match,) = Matcher([topic(any=["drone", "air defense", "defense systems"])]).match(
        ArticleText(title="Ukraine buys defense systems", body=body))
    # The window ends inside "air defense systems": the part shown is highlighted.
    assert match.snippet.text.endswith("while air…")
    assert highlighted(match.snippet)[-1] == "air"
    assert match.more_snippets == ()  # shown, so no sentence of its own


def test_a_long_sentence_is_cut_at_no_break_spaces_too() -> None:
    words = ["слово", "дрони", "оборона", "підстанція", "5\u00a0000", "м."]
    rng = random.Random(4)
    body = "\u00a0".join(rng.choice(words[:4]) for _ in range(60)) + "\u00a0далекобійних\u00a0" \
        + "\u00a0".join(rng.choice(words[:4]) for _ in range(60)) + "."
    (match,) = Matcher([topic(any=["далекобійні"])]).match(
        ArticleText(title="Новини", body=body, language="uk"))
    text = match.snippet.text
    assert text.startswith("…") and text.endswith("…")
    inner = text[1:-1]
    start = body.index(inner)
    # Cut between words: white space on the far side of each cut.
    assert body[start - 1].isspace() and body[start + len(inner)].isspace()
