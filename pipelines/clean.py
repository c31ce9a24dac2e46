"""First pipeline step: tidy the text and fingerprint it for syndicated-copy detection."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from scrapy.crawler import Crawler

from spiders.items import ArticleItem

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
_INLINE_SPACE = re.compile(r"[ \t\u00a0]+")
_WORDS = re.compile(r"\w+")
MAX_BODY_CHARS = 500_000
MAX_TITLE_CHARS = 1_000
# A fingerprint of a short text would call unrelated briefs copies of each other.
MIN_FINGERPRINT_WORDS = 80


def tidy(text: str, limit: int) -> str:
    text = _CONTROL.sub("", text or "")
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:limit]


def fingerprint(text: str) -> str | None:
    """Same words in the same order, whatever the markup, case and punctuation."""
    words = _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < MIN_FINGERPRINT_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


class CleanPipeline:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        return cls()

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        item.title = " ".join(tidy(item.title, MAX_TITLE_CHARS).split())
        item.summary = tidy(item.summary, MAX_BODY_CHARS)
        item.body = tidy(item.body, MAX_BODY_CHARS)
        item.fingerprint = fingerprint(item.body) if item.text_source == "page" else None
        return item
