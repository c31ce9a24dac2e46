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
        assert entries == 0
        return
    assert error is None, error
    assert entries >= 1
    for entry in parse_feed(path.read_bytes()):
        assert entry.link.startswith(("http://", "https://"))
        assert "\n" not in entry.title


@pytest.mark.parametrize("path", corpus_files("bad-feeds"), ids=lambda p: p.name)
def test_broken_feeds_give_entries_or_one_clear_error(corpus: Path, path: Path) -> None:
    entries, error = parse_or_error(path)
    assert entries >= 0
    if error is not None:
        assert error.startswith(("not a feed", "empty document", "the document declares"))
        assert "\n" not in error and len(error) < 300


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
