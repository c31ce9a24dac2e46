"""The `query:` language: how it parses, and the errors it gives with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.test_config import GOOD, problems, write
from vedette.config.schema import Topic
from vedette.matching import ArticleText
from vedette.matching.engine import Matcher
from vedette.matching.query import (
    AllOf,
    AnyOf,
    InField,
    Near,
    Not,
    QuerySyntaxError,
    Term,
    parse,
)


def shape(node: object) -> str:
    """A compact, readable form of a tree: precedence shows as brackets."""
    match node:
        case Term(text, exact, _):
            return ("=" if exact else "") + text
        case AllOf(children):
            return "[" + " & ".join(map(shape, children)) + "]"
        case AnyOf(children):
            return "[" + " | ".join(map(shape, children)) + "]"
        case Not(child):
            return "!" + shape(child)
        case Near(left, right, distance):
            return f"[{shape(left)} ~{distance} {shape(right)}]"
        case InField(field, child):
            return f"{field}:{shape(child)}"
    raise TypeError(node)


@pytest.mark.parametrize(("query", "tree"), [
    ('"joint production" AND (Ukraine OR Lithuania) NOT film',
     "[joint production & [Ukraine | Lithuania] & !film]"),
    ("a AND b OR c", "[[a & b] | c]"),
    ("a OR b AND c", "[a | [b & c]]"),
    ("a NOT b OR c", "[[a & !b] | c]"),
    ("a AND NOT b", "[a & !b]"),
    ("a AND NOT NOT b", "[a & !!b]"),
    ('"long-range" NEAR/5 (drone OR UAV)', "[long-range ~5 [drone | UAV]]"),
    ("a NEAR/1 b NEAR/2 c", "[[a ~1 b] ~2 c]"),
    ("a AND b NEAR/3 c", "[a & [b ~3 c]]"),
    ('title:"joint venture" OR body:(drone OR UAV)',
     "[title:joint venture | body:[drone | UAV]]"),
    ("SUMMARY:drone", "summary:drone"),
    ('=HIMARS OR ="IRIS-T" OR drone*', "[=HIMARS | =IRIS-T | drone*]"),
    ("\u201cjoint venture\u201d", "joint venture"),
    ("\u201ejoint venture\u201c", "joint venture"),
    ("\u00abспільне виробництво\u00bb", "спільне виробництво"),
    ("SAMP/T OR F-16", "[SAMP/T | F-16]"),
    ("16:9", "16:9"),
    ("((a))", "a"),
    ('"NOT" NEAR/2 petya', "[NOT ~2 petya]"),
])
def test_query_trees(query: str, tree: str) -> None:
    assert shape(parse(query)) == tree


@pytest.mark.parametrize(("query", "message", "column"), [
    ("", "the query is empty", 1),
    ("   ", "the query is empty", 1),
    ('"joint production" AND', "the query ends where a term was expected", 23),
    ("drone uav", "two terms with no operator between them", 7),
    ("drone and uav", "operators are written in capitals: AND", 7),
    ("drone near/5 uav", "operators are written in capitals: NEAR/5", 7),
    ("(drone OR uav", "missing ')' for the '(' of '(drone OR uav'", 14),
    ("drone)", "')' without a matching '('", 6),
    ("()", "empty parentheses", 1),
    ("drone AND ()", "empty parentheses", 11),
    ('"joint production', "this quote is never closed", 1),
    ("drone\u201d", "closing quote \u201d without an opening one", 6),
    ("headline:drone", "unknown field 'headline'", 1),
    ("titel:drone", "did you mean title:?", 1),
    ("title: drone", "two terms with no operator", 8),
    ("title:(", "the query ends where a term was expected", 8),
    ("drone NEAR uav", "write NEAR/n", 7),
    ("drone NEAR/x uav", "write NEAR/n", 7),
    ("drone NEAR/500 uav", "NEAR/500 is too wide", 7),
    ("(a AND b) NEAR/3 c", "AND and NOT cannot be inside it", 1),
    ("a NEAR/3 NOT c", "expected a term, found NOT", 10),
    ("a NEAR/3 (b AND c)", "AND and NOT cannot be inside it", 10),
    ("NOT film", "matches articles that contain none of its terms", 1),
    ("drone OR NOT film", "matches articles that contain none of its terms", 1),
    ("dr*", "a wildcard needs at least 3 letters before '*'", 3),
    ("*drone", "'*' only ends a word", 1),
    ("dr*one", "a wildcard needs at least 3 letters", 3),
    ('"long-range *drone"', "'*' only ends a word", 13),
    ("= drone", "'=' must be followed by a term", 1),
    ('""', "empty phrase", 1),
    ('"\u2014"', "has no letters or digits", 2),
    ("OR drone", "expected a term, found OR", 1),
    ("drone AND AND uav", "expected a term, found AND", 11),
    ("(" * 60 + "drone" + ")" * 60, "nested more than 50 levels deep", 51),
    ("NOT " * 60 + "drone", "nested more than 50 levels deep", 201),
])
def test_query_errors_say_what_and_where(query: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert message in caught.value.message
    assert caught.value.offset + 1 == column


# --- errors in keywords.yaml: file, line and column ---------------------------------------


def keyword_problems(tmp_path: Path, keywords: str) -> list[str]:
    return problems(write(tmp_path / "config", {**GOOD, "keywords.yaml": keywords}))


@pytest.mark.parametrize(("keywords", "expected"), [
    pytest.param(
        "topics:\n  - name: Drones\n    query: drone AND (uav OR rocket\n",
        ["3:36: topics[0].query: missing ')' for the '(' of '(uav OR rocket'"],
        id="plain scalar"),
    pytest.param(
        # The value starts after the quote, at column 13; "headline:" is at its offset 50.
        "topics:\n  - name: Joint production\n"
        "    query: '\"joint production\" AND (Ukraine OR Lithuania) NOT headline:film'\n",
        ["3:63: topics[0].query: unknown field 'headline' (fields: title, summary, body)"],
        id="quoted scalar"),
    pytest.param(
        "topics:\n  - name: Joint production\n    query: >-\n"
        '      "joint production" AND\n'
        "      (Ukraine OR Lithuania) NOT NEAR/5 film\n",
        ["5:34: topics[0].query: expected a term, found NEAR/n"],
        id="folded block"),
    pytest.param(
        "topics:\n  - name: Drones\n"
        '    any: [drone, "=UA dr*", {term: "counter *drone"}]\n',
        ["3:25: topics[0].any[1].term: a wildcard needs at least 3 letters before '*'",
         "3:45: topics[0].any[2].term: '*' only ends a word (drone* matches drones, "
         "droning …); it cannot start or split one"],
        id="list terms"),
])
def test_errors_point_at_file_line_and_column(
    tmp_path: Path, keywords: str, expected: list[str]
) -> None:
    where = f"{tmp_path}/config/keywords.yaml:"
    assert keyword_problems(tmp_path, keywords) == [where + line for line in expected]


def test_every_bad_query_is_reported_in_one_pass(tmp_path: Path) -> None:
    found = keyword_problems(tmp_path, (
        "topics:\n"
        "  - name: One\n"
        "    query: drone uav\n"
        "  - name: Two\n"
        "    query: NOT film\n"
        "  - name: Three\n"
        "    languages: [ua]\n"
        "    query: drone\n"
    ))
    assert [line.split(": ", 2)[:2] for line in found] == [
        [f"{tmp_path}/config/keywords.yaml:3:18", "topics[0].query"],
        [f"{tmp_path}/config/keywords.yaml:5:12", "topics[1].query"],
        [f"{tmp_path}/config/keywords.yaml:7", "topics[2].languages[0]"],
    ]


def test_check_command_shows_the_column_and_exits_2(workspace: Workspace) -> None:
    write(workspace.config, {**GOOD, "keywords.yaml": (
        "topics:\n  - name: Drones\n    query: drone AND\n")})
    result = workspace.run("check")
    assert result.returncode == 2
    assert ("keywords.yaml:3:21: topics[0].query: the query ends where a term was expected"
            in result.stderr)


# --- the engine on hostile or degenerate input -------------------------------------------


def test_near_over_thousands_of_occurrences_stays_bounded() -> None:
    # 20,000 occurrences on each side: the pair search must not try every pair.
    text = " ".join(["drone", "attack"] * 20_000)
    matcher = Matcher([Topic(name="Near", query="drone NEAR/100 attack")])
    (match,) = matcher.match(ArticleText(title="x", body=text))
    assert match.terms == ("drone", "attack")
    assert len(match.snippet.text) <= 300


def test_a_long_flat_query_parses() -> None:
    query = " OR ".join(f"word{n}" for n in range(20_000))
    tree = parse(query)
    assert isinstance(tree, AnyOf) and len(tree.children) == 20_000


def test_wildcard_over_a_flood_of_distinct_words() -> None:
    words = [f"drone{n}x" for n in range(30_000)]
    matcher = Matcher([Topic(name="Wild", query="drone*")])
    (match,) = matcher.match(ArticleText(title="x", body=" ".join(words)))
    assert match.terms == ("drone*",)
