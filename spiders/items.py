"""The item a spider hands to the pipelines: one article, as read from its page or its feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vedette.matching import TopicMatch


@dataclass
class ArticleItem:
    url: str                       # canonical URL (the dedup key)
    link: str                      # the link as the feed gave it
    source: str
    title: str
    summary: str = ""
    body: str = ""
    language: str | None = None
    published: datetime | None = None
    text_source: str = "page"      # "page", or "feed" when the page failed or was not followed
    alertable: bool = True
    fingerprint: str | None = None
    matches: list[TopicMatch] = field(default_factory=list)
