"""The precision-trap and inflection tables (matching_traps.yaml, matching_inflections.yaml):
well-formed, naming what Vedette ships, and matched as they say: the shipped topics match
no trap but the few whose `limit:` says why, and every inflection case."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from vedette.config.schema import Topic
from vedette.matching import ArticleText
from vedette.matching.engine import Matcher
from vedette.matching.languages import LANGUAGES

HERE = Path(__file__).parent
KEYWORDS = HERE.parent / "config" / "keywords.yaml"


def _load(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def _shipped() -> dict[str, Topic]:
    data = yaml.safe_load(KEYWORDS.read_text(encoding="utf-8"))
    return {spec["name"]: Topic.model_validate(spec) for spec in data["topics"]}


def test_traps_are_well_formed_and_name_shipped_topics() -> None:
    traps = _load("matching_traps.yaml")
    topics = _shipped()
    assert len(traps) >= 40
    ids = [trap["id"] for trap in traps]
    assert len(ids) == len(set(ids)), "trap ids must be unique"
    allowed = {"id", "topic", "near", "kind", "why", "language", "title", "summary", "body",
               "expected", "limit"}
    for trap in traps:
        assert set(trap) <= allowed, trap["id"]
        assert {"id", "topic", "near", "kind", "why", "language", "title"} <= set(trap)
        assert trap["expected"] is False, trap["id"]
        assert trap["kind"] in {"derivational", "homograph", "near phrase"}, trap["id"]
        assert trap["language"] in LANGUAGES, trap["id"]
        topic = topics.get(trap["topic"])
        assert topic is not None, f"{trap['id']}: no shipped topic {trap['topic']!r}"
        terms = {spec.term for spec in (*topic.any, *topic.all, *topic.none)}
        assert trap["near"] in terms, f"{trap['id']}: {trap['near']!r} is not a term of it"
    assert set(Counter(trap["language"] for trap in traps)) == set(LANGUAGES)


def test_inflection_cases_are_well_formed() -> None:
    cases = _load("matching_inflections.yaml")
    assert len(cases) >= 20
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert not set(ids) & {case["id"] for case in _load("matching_cases.yaml")}
    allowed = {"id", "topic", "title", "summary", "body", "language", "expected"}
    for case in cases:
        assert set(case) <= allowed, case["id"]
        assert case["expected"] is True, case["id"]
        assert case["language"] in LANGUAGES, case["id"]
        Topic.model_validate({"name": case["id"], **case["topic"]})
    assert set(Counter(case["language"] for case in cases)) == set(LANGUAGES)


TRAPS = _load("matching_traps.yaml")
INFLECTIONS = _load("matching_inflections.yaml")


def _article(case: dict[str, Any]) -> ArticleText:
    return ArticleText(title=case["title"], summary=case.get("summary", ""),
                       body=case.get("body", ""), language=case["language"])


@pytest.fixture(scope="module")
def shipped_matchers() -> dict[str, Matcher]:
    return {name: Matcher([topic]) for name, topic in _shipped().items()}


@pytest.mark.parametrize("trap", TRAPS, ids=[trap["id"] for trap in TRAPS])
def test_shipped_topic_does_not_fall_into_the_trap(
        trap: dict[str, Any], shipped_matchers: dict[str, Matcher]) -> None:
    matched = bool(shipped_matchers[trap["topic"]].match(_article(trap)))
    # A trap with a `limit:` still matches; when it stops, the limit is gone: say so there.
    assert matched is ("limit" in trap), trap.get("limit") or trap["why"]


def test_traps_hold_at_least_forty_that_must_not_match() -> None:
    assert len([trap for trap in TRAPS if "limit" not in trap]) >= 40


@pytest.mark.parametrize("case", INFLECTIONS, ids=[case["id"] for case in INFLECTIONS])
def test_inflected_form_matches(case: dict[str, Any]) -> None:
    topic = Topic.model_validate({"name": case["id"], **case["topic"]})
    assert Matcher([topic]).match(_article(case))
