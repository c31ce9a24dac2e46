"""What the store takes and gives back: an article to save and what saving it did, a match
waiting in a digest, a crawl's run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vedette.matching.models import Snippet


@dataclass(frozen=True)
class NewArticle:
    url: str
    source: str
    title: str
    summary: str
    body: str
    language: str | None
    published: datetime | None
    text_source: str
    fingerprint: str | None
    alertable: bool


@dataclass(frozen=True)
class SaveResult:
    article_id: int | None
    stored: bool          # False: the URL was already known (another feed or a re-crawl)
    duplicate_of: int | None
    matches: int
    deliveries: int


@dataclass(frozen=True)
class PendingItem:
    """One match waiting to go out in one digest."""

    delivery_id: int
    match_id: int
    topic_id: str
    topic_name: str
    url: str
    title: str
    source: str
    published: datetime | None
    terms: tuple[str, ...]
    fields: tuple[str, ...]
    snippet: str
    snippet_field: str
    highlights: tuple[tuple[int, int], ...]
    matched_at: datetime
    also: tuple[tuple[str, str], ...] = ()
    """(source, url) of the story's other articles (syndicated copies; the original too,
    when a copy is the one that alerts) seen before it was delivered."""
    term_fields: tuple[tuple[str, ...], ...] = ()
    """For each of `terms`, the fields it hit in (empty for matches stored by an older Vedette)."""
    more_snippets: tuple[Snippet, ...] = ()
    """Sentences of the terms the first snippet does not show."""


@dataclass(frozen=True)
class RunRecord:
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    items: int
    new_articles: int
    matches: int
    fallbacks: int
    errors: int
    last_error: str | None
    not_alerted: int = 0       # stored as seen: older than max_age or the first-crawl window
    capped: int = 0            # matching articles past settings.max_matches_per_crawl: no alert
    redecoded: int = 0         # pages and feeds declared UTF-8 that were not: charset detection
    extraction_timeouts: int = 0   # pages past settings.extraction_timeout (feed text used)
