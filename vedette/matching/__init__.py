"""The matching engine: which keyword topics an article mentions, where, and in what words.

All topics are compiled once into one Aho-Corasick automaton over normalised, stemmed word
streams (see DESIGN.md, "Matching semantics").
"""

from vedette.matching.engine import Matcher
from vedette.matching.models import ArticleText, Snippet, TopicMatch

__all__ = ["ArticleText", "Matcher", "Snippet", "TopicMatch"]
