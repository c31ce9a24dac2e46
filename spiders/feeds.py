"""Feed documents to entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

Broken feeds yield what can be recovered; a document with nothing recoverable, or one that
declares XML entities (the vehicle of XXE and billion-laughs attacks), raises FeedError.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser
from defusedxml import DefusedXmlException
from w3lib.html import remove_tags, replace_entities

from spiders import xmlguard

_SPACE = re.compile(r"\s+")


class FeedError(Exception):
    """Nothing usable could be read from the document."""


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str
    summary: str
    published: datetime | None
    language: str | None


def html_to_text(fragment: str) -> str:
    text = replace_entities(remove_tags(fragment or ""))
    return _SPACE.sub(" ", text).strip()


def parse_feed(body: bytes, headers: Mapping[str, str] | None = None) -> list[FeedEntry]:
    """Entries of a feed document, in document order; raises FeedError when there are none
    and the document is not a valid empty feed."""
    if not body.strip():
        raise FeedError("empty document")
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        return _parse_json_feed(stripped)
    try:
        xmlguard.check_prolog(body)
        with xmlguard.refusing_entities():
            parsed = _feedparser(body, headers)
    except xmlguard.Refused as exc:
        raise FeedError(str(exc)) from None
    entries = _entries(parsed)
    if entries:
        return entries
    error = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if error is not None and not isinstance(error, _NOTICES):
        # Broken XML from which nothing was recovered (unclosed tags, a server error page
        # cut short): a source problem, not an "ok" run with 0 items.
        raise FeedError(f"not a feed (broken XML, no usable item: {_parse_error(error)})")
    if error is not None and not parsed.entries and not parsed.feed:
        raise FeedError(f"not a feed ({_parse_error(error)})")  # a notice, and nothing else
    if not parsed.get("version"):
        raise FeedError("not a feed (no RSS, RDF or Atom root element)")
    return []  # a well-formed feed with no items (yet)


def _feedparser(body: bytes, headers: Mapping[str, str] | None) -> feedparser.FeedParserDict:
    """feedparser's reading of `body`; what it raises on a document is FeedError."""
    try:
        # A stream, never the bytes themselves: feedparser opens a str or bytes argument
        # that names a file (/etc/passwd, /dev/zero) and fetches a str that is a URL.
        return feedparser.parse(
            io.BytesIO(body),
            response_headers={k.lower(): v for k, v in (headers or {}).items()},
            sanitize_html=False,
            resolve_relative_uris=True,
        )
    except DefusedXmlException:
        raise  # the entity guard's refusal: `xmlguard.refusing_entities` words it
    except Exception as exc:
        # feedparser records what it finds wrong in `bozo_exception`, but some broken
        # documents make it raise, and they are only broken documents: its loose parser's
        # KeyError 'links' for a <link> closed where none was opened, a ValueError from
        # Python's codecs for a declared encoding named with a NUL byte (both found by
        # fuzzing: tests/fixtures/fuzz/feed/). The source's run fails with one line.
        raise FeedError(f"not a feed (the feed parser failed on it: "
                        f"{type(exc).__name__}: {_one_line(exc) or 'no message'})") from None


# feedparser's bozo notices that leave the document well-formed and fully parsed (a charset
# that had to be guessed or overridden, an undeclared namespace, a text/plain Content-Type).
_NOTICES = (feedparser.ThingsNobodyCaresAboutButMe,)


def _parse_error(error: object) -> str:
    # Without the parser's line and column: they count the XML declaration feedparser
    # puts in front of a document that had none, so they can point one line too far.
    if isinstance(error, SAXParseException):
        return _one_line(error.getMessage())
    return _one_line(error) or "unrecognised document"


def _entries(parsed: feedparser.FeedParserDict) -> list[FeedEntry]:
    """The entries with a usable (http/https) link, in document order."""
    language = (parsed.feed.get("language") or "").split("-")[0].lower() or None
    entries = []
    for entry in parsed.entries:
        link = _entry_link(entry)
        if not link:
            continue
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value", "")
        entries.append(FeedEntry(
            link=link,
            title=html_to_text(entry.get("title") or ""),
            summary=html_to_text(summary),
            published=_entry_time(entry),
            language=language,
        ))
    return entries


def _entry_link(entry: Mapping[str, Any]) -> str:
    link = str(entry.get("link") or "").strip()
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
                link = str(candidate["href"]).strip()
                break
    if not link:
        guid = str(entry.get("id") or "")
        if guid.startswith(("http://", "https://")):
            link = guid
    return link if link.startswith(("http://", "https://")) else ""


def _entry_time(entry: dict[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # bypass feedparser's key aliasing
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _parse_json_feed(body: bytes) -> list[FeedEntry]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise FeedError(f"not a feed (invalid JSON: {_one_line(exc)})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("not a feed (JSON without an `items` list)")
    language = str(document.get("language") or "").split("-")[0].lower() or None
    entries = []
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "").strip()
        if not link.startswith(("http://", "https://")):
            continue
        summary = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        entries.append(FeedEntry(
            link=link,
            title=html_to_text(str(item.get("title") or "")),
            summary=html_to_text(str(summary)),
            published=_json_time(item.get("date_published") or item.get("date_modified")),
            language=str(item.get("language") or "").split("-")[0].lower() or language,
        ))
    return entries


def _json_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _one_line(value: object) -> str:
    return _SPACE.sub(" ", str(value or "")).strip()[:200]
