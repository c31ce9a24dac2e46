"""Hostile servers and content (RELIABILITY items 1–7, 14, 31, 32, 44): bounded, refused,
never a crash.

Most cases serve one story whose page misbehaves; the right outcome is that the page is
skipped and counted, the story is matched on its feed text instead, and the run is clean.
Where the page holds a real article, its text would be stored had the protection failed;
each case also checks the reason given for the fallback. A feed that is itself hostile or
broken fails its source's run with one readable line.
"""

from __future__ import annotations

import gzip
import re
import resource
import subprocess
import sys
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import pytest

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite, Route, drip, endless

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
TOPICS = [{"name": "Joint production", "any": ["joint production"]}]
STORY = Story(slug="story", title="Joint production deal", paragraphs=["-"],
              published=recent(1), summary="They agreed on joint production.")
PAGE_TEXT = "The ministry signed the joint production contract for artillery shells today."
PAGE = article_page(Story(slug="story", title=STORY.title, paragraphs=[PAGE_TEXT] * 12,
                          published=STORY.published))
"""The story's page as a real article: its text is what a protection that failed would let
through (`test_the_article_page_is_read_when_served_plainly` shows it is)."""


def serve_feed(site: LocalSite) -> None:
    site.add("/feed.xml", rss_feed(site.base, [(site.url("/news/story"), STORY)]),
             content_type="application/rss+xml")


def setup(ws: Workspace, site: LocalSite, **settings: object) -> None:
    ws.setup(sources=[{"name": "hostile", "type": "feed", "url": site.url("/feed.xml")}],
             topics=TOPICS, settings={"max_response_size": "1MB", **settings})


def redirect_to(location: str) -> Route:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()
    return Route(handler=handler)


def crawl(ws: Workspace) -> subprocess.CompletedProcess[str]:
    """`crawl` at -v: the fallback's INFO line says why the page was not used."""
    return ws.run("-v", "crawl")


def assert_fell_back(ws: Workspace, result: subprocess.CompletedProcess[str]) -> str:
    """The story was matched on its feed text alone; the reason the fallback line gives."""
    assert result.returncode == 0, result.stderr
    assert ws.query("SELECT text_source, body FROM articles") == [("feed", "")]
    assert ws.query("SELECT fallbacks FROM runs") == [(1,)]
    assert ws.query("SELECT count(*) FROM matches") == [(1,)]
    [line] = [x for x in result.stderr.splitlines() if "hostile: using feed text for" in x]
    reason = re.search(r"/news/story \((.*)\)$", line)
    assert reason, line
    return reason[1]


def test_the_article_page_is_read_when_served_plainly(
        workspace: Workspace, site: LocalSite) -> None:
    """The control for the cases serving PAGE: whole and on time, its text is what is used."""
    serve_feed(site)
    site.add("/news/story", PAGE)
    setup(workspace, site)

    result = crawl(workspace)

    assert result.returncode == 0, result.stderr
    [(source, body)] = workspace.query("SELECT text_source, body FROM articles")
    assert source == "page" and PAGE_TEXT in body


def bomb(encoding: str) -> bytes:
    """PAGE with 4 MiB of blanks in a comment, compressed to a few KB: past the 1 MB cap once
    decompressed, yet short enough to be read and extracted if the cap were gone."""
    html = PAGE.replace("</body>", f"<!--{' ' * (4 << 20)}--></body>").encode()
    compress = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress}
    return compress[encoding](html)


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_decompression_bomb_is_stopped_at_the_size_cap(
        workspace: Workspace, site: LocalSite, encoding: str) -> None:
    serve_feed(site)
    site.add("/news/story", bomb(encoding), Content_Encoding=encoding)
    setup(workspace, site)

    reason = assert_fell_back(workspace, crawl(workspace))

    # The cap is the config's 1 MB, not a default: Scrapy's reason quotes it.
    assert re.fullmatch(
        rf"Ignored response <200 {re.escape(site.url('/news/story'))}> because its body "
        r"\(\d+ B compressed, \d+ B decompressed so far\) exceeded DOWNLOAD_MAXSIZE "
        r"\(1000000 B\) during decompression\.", reason), reason


def test_slow_drip_body_hits_the_request_timeout(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    # The whole article in 6 s: read in full, had the 1 s request_timeout not stopped it.
    site.routes["/news/story"] = Route(handler=drip(chunks=60, pause=0.1, body=PAGE.encode()))
    setup(workspace, site, request_timeout="1s")

    reason = assert_fell_back(workspace, crawl(workspace))

    assert reason == f"Getting {site.url('/news/story')} took longer than 1.0 seconds."


def test_endless_body_hits_the_size_cap(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    site.routes["/news/story"] = Route(handler=endless())
    setup(workspace, site)

    result = crawl(workspace)

    # Cut at the config's 1 MB (Scrapy's warning says so), not at the request timeout.
    assert assert_fell_back(workspace, result) == "DownloadCancelledError"
    assert "which is larger than download max size (1000000) in request <GET " \
           f"{site.url('/news/story')}>" in result.stderr


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "s3://bucket/key"])
def test_redirect_to_another_scheme_is_refused(
        workspace: Workspace, site: LocalSite, target: str) -> None:
    serve_feed(site)
    site.routes["/news/story"] = redirect_to(target)
    setup(workspace, site)

    result = crawl(workspace)

    # Not followed: the redirect itself is what came back (read as feed text, body empty).
    assert assert_fell_back(workspace, result) == "Ignoring non-200 response"
    assert "root:" not in result.stderr


def test_cross_host_redirect_carries_no_cookies(workspace: Workspace, site: LocalSite) -> None:
    """The feed's host sets a session cookie, and the article request to that host carries
    it back; the article redirects to another host, which must not get it. The first half
    is what makes the second mean something: a crawl sending no cookie at all would pass it."""
    other = LocalSite(host="localhost").start()
    try:
        other.add("/landing", PAGE)
        site.add("/feed.xml", rss_feed(site.base, [(site.url("/news/story"), STORY)]),
                 content_type="application/rss+xml", Set_Cookie="session=secret-value; Path=/")
        site.routes["/news/story"] = redirect_to(other.url("/landing"))
        setup(workspace, site)

        result = crawl(workspace)

        assert result.returncode == 0, result.stderr
        [story] = [hit for hit in site.hits if hit.path == "/news/story"]
        assert story.headers.get("Cookie") == "session=secret-value"
        [landing] = [hit for hit in other.hits if hit.path == "/landing"]
        assert "Cookie" not in landing.headers, landing.headers
        [(source, body)] = workspace.query("SELECT text_source, body FROM articles")
        assert source == "page" and PAGE_TEXT in body  # the redirect was followed and read
    finally:
        other.stop()


def test_pdf_where_html_was_expected_is_skipped(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    site.add("/news/story", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
             content_type="application/pdf")
    setup(workspace, site)

    assert assert_fell_back(workspace, crawl(workspace)) == "not HTML (application/pdf)"


def test_lying_charset_is_read_in_the_real_one(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    page = ("<html><head><meta charset='utf-8'></head><body><article>"
            + "<p>Спільне виробництво: joint production of drones agreed. </p>" * 30
            + "</article></body></html>").encode("cp1251")
    site.add("/news/story", page, content_type="text/html; charset=utf-8")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    # The page's own text, not the feed's (which matches as well): decoded, not mojibake.
    [(source, body)] = workspace.query("SELECT text_source, body FROM articles")
    assert source == "page"
    assert body.startswith("Спільне виробництво: joint production of drones agreed.")
    assert workspace.query("SELECT redecoded FROM runs") == [(1,)]
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]


def assert_source_failed(ws: Workspace, result: object, expected: str) -> None:
    assert result.returncode == 1, result.stderr  # type: ignore[attr-defined]
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]  # type: ignore[attr-defined]
    assert "source hostile" in line and expected in line, line
    assert ws.query("SELECT status FROM runs") == [("failed",)]
    assert ws.query("SELECT count(*) FROM articles") == [(0,)]


@pytest.mark.parametrize("fixture,expected", [
    ("xxe-feed.xml", "declares XML entities"),
    ("billion-laughs-feed.xml", "declares XML entities"),
    # Item 32: a comment naming the root element used to end the guard's reading early.
    ("billion-laughs-behind-comment.xml", "declares XML entities"),
    # Declared UTF-7: expat can't read the prolog as sent; feedparser decodes it and then
    # parses the declarations, so its own parser must refuse them too.
    ("billion-laughs-utf7.xml", "declares XML entities"),
    ("doctype-internal-subset.xml", "internal subset"),
])
def test_entity_attacks_in_feeds_are_refused(
        workspace: Workspace, site: LocalSite, fixture: str, expected: str) -> None:
    site.add("/feed.xml", (HOSTILE / fixture).read_bytes(), content_type="application/rss+xml")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert result.returncode == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert "source hostile" in line and expected in line
    assert workspace.query("SELECT count(*) FROM articles") == [(0,)]
    assert "root:" not in result.stderr


def test_feed_body_that_is_a_file_path_is_never_opened(
        workspace: Workspace, site: LocalSite, tmp_path: Path) -> None:
    """Item 31: feedparser opens a str or bytes argument that names a file; a body holding
    the path of a feed on this machine must not get that feed read, stored and alerted."""
    local_feed = tmp_path / "local-feed.xml"
    local_feed.write_text(rss_feed(site.base, [(site.url("/news/story"), STORY)]), encoding="utf-8")
    site.add("/feed.xml", str(local_feed), content_type="application/rss+xml")
    setup(workspace, site)

    assert_source_failed(workspace, workspace.run("crawl"), "not a feed")
    assert workspace.query("SELECT count(*) FROM matches") == [(0,)]


@pytest.mark.parametrize("body", ["/etc/passwd", "file:///etc/passwd", "URL"])
def test_feed_body_that_is_a_path_or_url_is_only_text(
        workspace: Workspace, site: LocalSite, body: str) -> None:
    site.add("/inside.xml", rss_feed(site.base, [(site.url("/news/story"), STORY)]),
             content_type="application/rss+xml")
    site.add("/feed.xml", site.url("/inside.xml") if body == "URL" else body,
             content_type="application/rss+xml")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert_source_failed(workspace, result, "not a feed")
    assert site.requested("/inside.xml") == 0
    assert "root:" not in result.stderr


def test_dev_zero_as_a_feed_body_is_not_read() -> None:
    """`/dev/zero` opened as a file reads until memory runs out: the parse runs in a child
    whose address space is capped, so a regression fails here instead of taking the machine."""
    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    probe = ("from spiders.feeds import FeedError, parse_feed\n"
             "try:\n    parse_feed(b'/dev/zero')\n"
             "except FeedError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, preexec_fn=cap_memory, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("not a feed"), done.stdout


def test_feed_that_parses_to_nothing_is_a_source_problem(
        workspace: Workspace, site: LocalSite) -> None:
    """Item 44: unclosed tags (a server error cut the feed short): not an "ok" run with 0 items."""
    site.add("/feed.xml", (HOSTILE / "unclosed-feed.xml").read_bytes(),
             content_type="application/rss+xml")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert_source_failed(workspace, result, "not a feed (broken XML, no usable item")
    assert workspace.query("SELECT last_error FROM runs")[0][0].endswith("no element found)")


def test_valid_empty_feed_is_an_ok_run(workspace: Workspace, site: LocalSite) -> None:
    site.add("/feed.xml", rss_feed(site.base, []), content_type="application/rss+xml")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT status, items, last_error FROM runs") == [("ok", 0, None)]
