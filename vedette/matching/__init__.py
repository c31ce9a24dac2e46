"""The matching engine: which keyword topics an article mentions, where, and in what words.

All topics are compiled once into one Aho-Corasick automaton over normalised word keys
(lemmas and stems) of each language (docs/matching.md; the engine is
`vedette.matching.engine.Matcher`). This package root holds only the value types, so that
importing them (as the config schema and the store do) loads no analyser.
"""

from __future__ import annotations

from vedette.matching.models import (
    ArticleText,
    HasRule,
    Snippet,
    TermRule,
    TopicMatch,
    TopicRule,
)

__all__ = ["ArticleText", "HasRule", "Snippet", "TermRule", "TopicMatch", "TopicRule"]
