"""Fuzz target: bytes as a feed response → `spiders.feeds.parse_feed` (entity guard included).

The answer must be a list of entries, each with an http(s) link that `canonical_url` either
reads or refuses with ValueError (what the spider counts as one bad link), or FeedError with
a one-line reason. An input starting with a `Content-Type: …` line gives that header, the
rest being the body (a charset in the header and another in the document is a classic).

    python tests/fuzz/feed.py [-max_total_time=600] [CORPUS_DIR]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

if not __package__:  # run as a script: the project's root on the path, for `tests.fuzz`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.harness import CORPUS, FIXTURES, Broken, files, fuzz, instrumented, one_line

with instrumented(__name__, ["spiders", "vedette", "feedparser", "sgmllib", "w3lib", "defusedxml"]):
    from spiders.feeds import FeedError, parse_feed
    from vedette.urls import canonical_url

TARGET = "feed"
_HEADER = b"content-type:"


def split(data: bytes) -> tuple[bytes, dict[str, str] | None]:
    """The body and the response headers an input stands for."""
    if data[:len(_HEADER)].lower() != _HEADER:
        return data, None
    line, _, body = data.partition(b"\n")
    return body, {"Content-Type": line[len(_HEADER):].strip().decode("latin-1")}


def check(data: bytes) -> None:
    body, headers = split(data)
    try:
        entries = parse_feed(body, headers)
    except FeedError as exc:
        one_line(str(exc), "FeedError")
        return
    for entry in entries:
        if not entry.link.startswith(("http://", "https://")):
            raise Broken(f"entry link is not http(s): {entry.link!r}")
        with contextlib.suppress(ValueError):  # the spider skips the item, counts a bad link
            canonical_url(entry.link)


def seeds() -> Iterator[bytes]:
    yield from files(FIXTURES / "hostile", pattern="*.xml")
    yield from files(FIXTURES / "hostile", pattern="*.json")
    yield from files(CORPUS / "feeds", CORPUS / "bad-feeds")
    yield b"Content-Type: application/rss+xml; charset=koi8-r\n" \
          b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><item>" \
          b"<title>\xc3\xa9</title><link>http://example.org/a</link></item></channel></rss>"
    yield b'{"version": "https://jsonfeed.org/version/1.1", "items": ' \
          b'[{"url": "https://example.org/1", "title": "t", "date_published": "2024-01-01T00:00:00Z"}]}'


if __name__ == "__main__":
    fuzz(TARGET, check, seeds, max_len=65536, words=[
        b"<?xml version='1.0' encoding='", b"<rss version='2.0'>", b"<channel>", b"<item>",
        b"</item>", b"<link>", b"</link>", b"<title>", b"<description>", b"<guid>", b"<pubDate>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'>", b"<entry>", b"<link href='", b"<content",
        b"<rdf:RDF", b"<!DOCTYPE", b"<!ENTITY", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"&amp;",
        b"&#", b"http://", b"https://", b"Content-Type: ", b"charset=", b'"items": [', b'"url": "',
        b"<dc:date>", b"xml:base='", b"xml:lang='"])
