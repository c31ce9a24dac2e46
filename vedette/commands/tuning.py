"""`vedette test-topic` and `vedette schema`: tools for writing keywords.yaml."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from vedette.config import Config
from vedette.config.schema import json_schema
from vedette.matching import ArticleText, Snippet
from vedette.matching.engine import Matcher
from vedette.output import Output
from vedette.store import Store

EXIT_OK, EXIT_USAGE = 0, 2


def test_topic(config: Config, name: str, days: int, samples: int, out: Output) -> int:
    """Run one topic, as it is written now, over the articles stored in the last `days`."""
    topics = [t for t in config.topics if name in (t.name, t.id)]
    if not topics:
        known = ", ".join(repr(t.name) for t in config.topics) or "none"
        out.error(f"no topic named {name!r} (configured: {known})")
        return EXIT_USAGE
    topic = topics[0]
    matcher = Matcher([topic])
    since = datetime.now(UTC) - timedelta(days=days)
    with Store(config.settings.state) as store:
        articles = store.articles.recent(since)
    hits = []
    for row in articles:
        found = matcher.match(ArticleText(title=row["title"], summary=row["summary"],
                                          body=row["body"], language=row["language"]))
        if found:
            hits.append((row, found[0]))
    out.line(f"topic {topic.name!r}: {len(hits)} of {len(articles)} articles from the last "
             f"{days} days match")
    terms = Counter(term for _, match in hits for term in match.terms)
    if terms:
        out.line("terms that hit: " + ", ".join(f"{t} ({n})" for t, n in terms.most_common()))
    sources = Counter(row["source"] for row, _ in hits)
    if sources:
        out.line("by source: " + ", ".join(f"{s} ({n})" for s, n in sources.most_common()))
    for row, match in hits[:samples]:
        out.line("")
        out.line(f"* {row['title']}  [{row['source']}, {row['fetched_at'][:10]}]")
        out.line(f"  {row['url']}")
        out.line("  matched: " + ", ".join(
            f"{term} ({', '.join(fields)})"
            for term, fields in zip(match.terms, match.term_fields, strict=True)))
        for snippet in (match.snippet, *match.more_snippets):
            out.line(f"  {snippet.field}: {_marked(snippet)}")
    return EXIT_OK


def _marked(snippet: Snippet) -> str:
    """The snippet on one line, its highlights between ** and **."""
    text = snippet.text
    marked, position = "", 0
    for start, end in snippet.highlights:
        marked += text[position:start] + "**" + text[start:end] + "**"
        position = end
    marked += text[position:]
    return " ".join(marked.split())


def print_schema(out: Output) -> int:
    out.line(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK
