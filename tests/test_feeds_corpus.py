"""Real feeds, well-formed and broken (../shared/corpus): parsed, or one clear error; never
a crash. Skipped when the corpus folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders.feeds import FeedError, parse_feed
from tests.conftest import CORPUS


def corpus_files(folder: str) -> list[Path]:
    path = CORPUS / folder
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else []


def parse_or_error(path: Path) -> tuple[int, str | None]:
    try:
        return len(parse_feed(path.read_bytes())), None
    except FeedError as exc:
        return 0, str(exc)


@pytest.mark.parametrize("path", corpus_files("feeds"), ids=lambda p: p.name)
def test_real_feeds_parse(corpus: Path, path: Path) -> None:
    entries, error = parse_or_error(path)
    if "sitemap" in path.name:  # sitemaps are not feeds: a clear refusal is right
        assert (entries, error) == (0, "not a feed (no RSS, RDF or Atom root element)")
        return
    assert error is None, error
    assert entries >= 1
    for entry in parse_feed(path.read_bytes()):
        assert entry.link.startswith(("http://", "https://"))
        assert "\n" not in entry.title


# Broken feeds keep yielding what they always did: these items are recovered, and the
# documents below are broken XML with nothing usable in them, so their runs fail with the
# reason (RELIABILITY 44). Every other broken feed parses without error to no usable item.
RECOVERED = {
    "feedparser-illformed-rdf_channel_empty_textinput.xml": ["http://example.com/1"],
    "feedparser-illformed-rss_item_link_corrupted_ampersands.xml": ["http://link/get?a=1&b=2"],
}
NOTHING_USABLE = {
    "feed-rs-rss_2.0_invalid_1.xml": "no element found",  # cut short by a server error
    "feedparser-encoding-bozo_bogus_encoding.xml": "document declared as bogus",
    "feedparser-encoding-bozo_double-encoded-html.xml": "undefined entity",
    "feedparser-encoding-bozo_invalid-bytes-with-bom.xml": "unclosed token",
    "feedparser-illformed-aaa_illformed.xml": "unclosed token",
    "feedparser-illformed-rss_empty_document.xml": "no element found",
    "feedparser-illformed-rss_incomplete_cdata.xml": "not at start of entity",
    "feedparser-illformed-undeclared_namespace.xml": "unbound prefix",
    "rss-parser-unrecognized.rss": "junk after document element",
}


@pytest.mark.parametrize("path", corpus_files("bad-feeds"), ids=lambda p: p.name)
def test_broken_feeds_give_entries_or_one_clear_error(corpus: Path, path: Path) -> None:
    _, error = parse_or_error(path)
    if error is not None:
        assert error.startswith(("not a feed", "empty document", "the document declares"))
        assert "\n" not in error and len(error) < 300
    if path.name in NOTHING_USABLE:
        assert error is not None and NOTHING_USABLE[path.name] in error, error
    else:
        assert error is None, error
        links = [entry.link for entry in parse_feed(path.read_bytes())]
        assert links == RECOVERED.get(path.name, [])


def test_external_dtd_is_neither_read_nor_refused() -> None:
    """Old RSS 0.91 feeds name Netscape's DTD: never fetched, and the feed still parses."""
    entries = parse_feed(
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
        b'0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91">'
        b"<channel><title>Old</title><item><title>Joint production</title>"
        b"<link>https://example.org/a</link></item></channel></rss>")
    assert [(e.link, e.title) for e in entries] == [("https://example.org/a", "Joint production")]


def test_entity_declarations_are_found_by_parsing_not_by_scanning() -> None:
    """The guard reads the prolog as XML: neither a comment naming the root element nor
    "<!ENTITY" inside a comment or a CDATA section decides it."""
    refused = (b'<?xml version="1.0"?><!-- <rss> --><!DOCTYPE rss [<!ENTITY a "b">]>'
               b"<rss version=\"2.0\"><channel><title>&a;</title></channel></rss>")
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(refused)
    harmless = (b'<?xml version="1.0"?><!-- no <!ENTITY here --><rss version="2.0"><channel>'
                b"<title>T</title><item><title><![CDATA[<!ENTITY x>]]></title>"
                b"<link>https://example.org/b</link></item></channel></rss>")
    assert [e.link for e in parse_feed(harmless)] == ["https://example.org/b"]


def test_empty_document_is_an_error() -> None:
    with pytest.raises(FeedError, match="empty document"):
        parse_feed(b"   ")


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>")


def test_json_feed_is_read() -> None:
    entries = parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
                         b'{"url": "https://example.org/a", "title": "A <b>bold</b> move",'
                         b' "date_published": "2026-11-25T10:00:00Z", "content_text": "x"}]}')
    assert [(e.link, e.title, e.published.isoformat()) for e in entries] == [
        ("https://example.org/a", "A bold move", "2026-11-25T10:00:00+00:00")]


def test_corpus_feeds_through_the_crawler(corpus: Path, tmp_path: Path) -> None:
    """The whole spider on every corpus feed, served locally: one clear error per broken
    feed, never a crash, and the run always records an outcome."""
    from tests.conftest import Workspace
    from tests.support.site import LocalSite

    site = LocalSite().start()
    try:
        files = corpus_files("feeds") + corpus_files("bad-feeds")
        sources = []
        for number, path in enumerate(files):
            site.add(f"/f{number}", path.read_bytes(), content_type="application/xml")
            sources.append({"name": f"f{number}", "type": "feed", "url": site.url(f"/f{number}"),
                            "follow": False})
        workspace = Workspace(tmp_path)
        workspace.setup(sources=sources, topics=[{"name": "Any", "any": ["the"]}])
        result = workspace.run("crawl", timeout=300)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        outcomes = workspace.query("SELECT status, count(*) FROM runs GROUP BY status")
        assert sum(count for _, count in outcomes) == len(files)
        assert dict(outcomes).get("running") is None
    finally:
        site.stop()
