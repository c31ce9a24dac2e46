"""The matching engine's public value types: what goes in (an article) and what comes out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

FIELDS: tuple[str, ...] = ("title", "summary", "body")
"""The searched fields, in the order matches report them."""


@dataclass(frozen=True)
class TermRule:
    """One term of a topic's lists, as written (without the `=` of an exact term)."""

    term: str
    exact: bool = False


@dataclass(frozen=True)
class TopicRule:
    """A topic as the matcher needs it: the config's topics convert into this
    (`vedette.config.topics.Topic.rule`), so matching never reads the config."""

    id: str
    name: str
    any: tuple[TermRule, ...] = ()
    all: tuple[TermRule, ...] = ()
    none: tuple[TermRule, ...] = ()
    query: str | None = None
    languages: tuple[str, ...] = ()


class HasRule(Protocol):
    """Anything that converts into a `TopicRule` (a config topic)."""

    def rule(self) -> TopicRule: ...


def rules_of(topics: Sequence[TopicRule | HasRule]) -> list[TopicRule]:
    """The rules of topics given as rules or as something that converts into them."""
    return [topic if isinstance(topic, TopicRule) else topic.rule() for topic in topics]


@dataclass(frozen=True)
class ArticleText:
    """The text of one article as the matcher sees it."""

    title: str
    summary: str = ""
    body: str = ""
    language: str | None = None
    """ISO 639-1 code when known ("en", "uk", "lt", "ru", "pl"); picks the stemmers."""


@dataclass(frozen=True)
class Snippet:
    """A sentence around a topic's hit, in the article's own characters."""

    field: str
    """"title", "summary" or "body"."""
    text: str
    """The sentence, trimmed to about 300 characters with "…" where it was cut."""
    highlights: tuple[tuple[int, int], ...]
    """[start, end) offsets into `text` of every term hit inside it, sorted, not overlapping."""


@dataclass(frozen=True)
class TopicMatch:
    """One topic that an article matched."""

    topic_id: str
    topic_name: str
    terms: tuple[str, ...]
    """The configured terms (as written, without '=') that hit, in config order."""
    fields: tuple[str, ...]
    """Fields where any of those terms hit, in the order title, summary, body."""
    snippet: Snippet
    """The sentence of the first hit, in the body when a term hit there (else the summary,
    else the title)."""
    term_fields: tuple[tuple[str, ...], ...] = ()
    """For each of `terms`, the fields it hit in (same order as `fields`)."""
    more_snippets: tuple[Snippet, ...] = ()
    """Sentences of terms that `snippet` does not show and the title does not hold (an AND
    whose terms sit in different sentences), at most two, in the order of `terms`."""
