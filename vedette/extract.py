"""Main-text extraction with trafilatura: the page's story without menus, footers and
related links, tidied and fingerprinted where it is produced (in a worker process)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from vedette.text import MAX_BODY_CHARS, fingerprint, tidy

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str                  # tidied main text
    language: str | None
    published: datetime | None
    fingerprint: str | None    # same story, whatever the site around it


def extract_article(html: str, url: str, with_metadata: bool = False) -> Extracted | None:
    """The page's title, main text (no menus, footers, related stories), language and date."""
    import trafilatura  # imported here so worker processes pay for it, not the CLI's start-up
    from trafilatura.settings import Document, set_date_params

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=with_metadata,
        # Dates from the page's markup only (meta tags, <time>, structured data, the URL),
        # never guessed from its text: a "© 2026" footer would date an undated story
        # 1 January and keep it from alerting.
        date_extraction_params=set_date_params(extensive=False),
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    if not isinstance(document, Document):  # None: nothing found; a dict only with as_dict=True
        return None
    text = tidy(document.text or "", MAX_BODY_CHARS)
    if not text:
        return None
    published = None
    if with_metadata and document.date:
        try:
            published = datetime.fromisoformat(document.date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    language = None
    match = _LANG.search(html[:4096])
    if match:
        language = match.group(1).lower()
    return Extracted(
        title=(document.title or "").strip() if with_metadata else "",
        text=text,
        language=language,
        published=published,
        fingerprint=fingerprint(text),
    )
