"""Fuzz target: text → the `query:` parser, and a query it accepts → a topic that matches.

`vedette.matching.query.parse` must give a tree, or QuerySyntaxError with a one-line message
and an offset inside the text (the loader turns it into FILE:LINE:COLUMN). A query it
accepts must also pass the topic's validation, compile, and be matched against an article
made of the query's own text, without an error: what `vedette check` accepts must never
fail in the crawl. The input is read as UTF-8, undecodable bytes replaced.

    python tests/fuzz/query.py [-max_total_time=600] [CORPUS_DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

if not __package__:  # run as a script: the project's root on the path, for `tests.fuzz`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.harness import ROOT, Broken, fuzz, instrumented, one_line

with instrumented(__name__, ["vedette"]):
    from vedette.config.schema import Topic
    from vedette.matching import ArticleText
    from vedette.matching.engine import Matcher
    from vedette.matching.query import QuerySyntaxError, parse

TARGET = "query"


def check(data: bytes) -> None:
    query = data.decode("utf-8", errors="replace")
    try:
        parse(query)
    except QuerySyntaxError as exc:
        one_line(exc.message, "QuerySyntaxError")
        if not 0 <= exc.offset <= len(query):
            raise Broken(f"offset {exc.offset} outside a query of {len(query)} characters") \
                from exc
        return
    topic = Topic.model_validate({"name": "fuzz", "query": query})
    Matcher([topic]).match(ArticleText(title=query, summary=query[::-1], body=query * 2))


SEEDS = (
    '"joint production" AND (Ukraine OR Lithuania) NOT film',
    '"long-range" NEAR/5 (drone OR UAV)',
    'title:"joint venture" OR =HIMARS OR drone*',
    "a NEAR/1 b NEAR/2 c", "summary:(a OR b) AND body:c", '=HIMARS OR ="IRIS-T"',
    "\u201cjoint venture\u201d", "\u201ejoint venture\u201c", "\u00abспільне виробництво\u00bb",
    "drone AND NOT (toy OR hobby)", "NOT film", "a b", "a and b", "near/3", "((((a))))",
    "F-16 OR 155mm OR коси", "дрон* NEAR/3 атака", "a NEAR/101 b", "titel:a", "a)", "(a",
)


def seeds() -> Iterator[bytes]:
    for query in SEEDS:
        yield query.encode()
    for path in (ROOT / "config" / "keywords.yaml", ROOT / "tests" / "matching_cases.yaml"):
        yield from (q.encode() for q in _queries(yaml.safe_load(path.read_text("utf-8"))))


def _queries(value: object) -> Iterator[str]:
    """Every `query:` value in a YAML document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "query" and isinstance(item, str):
                yield item
            else:
                yield from _queries(item)
    elif isinstance(value, list):
        for item in value:
            yield from _queries(item)


if __name__ == "__main__":
    fuzz(TARGET, check, seeds, max_len=512, words=[
        b" AND ", b" OR ", b" NOT ", b" NEAR/", b"NEAR/100", b"title:", b"summary:", b"body:",
        b"(", b")", b"=", b"*", b'"', "\u201c".encode(), "\u201d".encode(),
        "\u201e".encode(), "\u00ab".encode(), "\u00bb".encode(), "\u2011".encode()])
