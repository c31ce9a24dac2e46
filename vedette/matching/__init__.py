"""The matching engine: which keyword topics an article mentions, where, and in what words.

All topics are compiled once into one Aho-Corasick automaton over normalised, stemmed word
streams (docs/matching.md says what matches what).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vedette.matching.engine import Matcher
    from vedette.matching.models import ArticleText, Snippet, TopicMatch

__all__ = ["ArticleText", "Matcher", "Snippet", "TopicMatch"]


def __getattr__(name: str) -> Any:
    # Imported lazily: the config schema uses the query parser in this package, and the
    # engine uses the config schema; eager imports here would make that a cycle.
    if name == "Matcher":
        from vedette.matching.engine import Matcher

        return Matcher
    if name in ("ArticleText", "Snippet", "TopicMatch"):
        from vedette.matching import models

        return getattr(models, name)
    raise AttributeError(name)
