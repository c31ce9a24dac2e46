"""Hostile servers and content (RELIABILITY items 1–7, 14): bounded, refused, never a crash.

Each case serves one story whose page misbehaves; the right outcome is that the page is
skipped and counted, the story is matched on its feed text instead, and the run is clean.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.pages import Story, recent, rss_feed
from tests.support.site import LocalSite, Route, drip, endless

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
TOPICS = [{"name": "Joint production", "any": ["joint production"]}]
STORY = Story(slug="story", title="Joint production deal", paragraphs=["-"],
              published=recent(1), summary="They agreed on joint production.")


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


def assert_fell_back(ws: Workspace, result: object) -> None:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    assert ws.query("SELECT text_source FROM articles") == [("feed",)]
    assert ws.query("SELECT fallbacks FROM runs") == [(1,)]
    assert ws.query("SELECT count(*) FROM matches") == [(1,)]


@pytest.mark.parametrize("encoding,fixture", [
    ("gzip", "bomb-64mib.gz"), ("br", "bomb-64mib.br"), ("deflate", "bomb-64mib.deflate"),
])
def test_decompression_bomb_is_stopped_at_the_size_cap(
        workspace: Workspace, site: LocalSite, encoding: str, fixture: str) -> None:
    serve_feed(site)
    site.add("/news/story", (HOSTILE / fixture).read_bytes(), Content_Encoding=encoding)
    setup(workspace, site)

    assert_fell_back(workspace, workspace.run("crawl"))


def test_slow_drip_body_hits_the_request_timeout(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    site.routes["/news/story"] = Route(handler=drip(chunks=60, pause=0.1))
    setup(workspace, site, request_timeout="1s")

    assert_fell_back(workspace, workspace.run("crawl"))


def test_endless_body_hits_the_size_cap(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    site.routes["/news/story"] = Route(handler=endless())
    setup(workspace, site)

    assert_fell_back(workspace, workspace.run("crawl"))


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "s3://bucket/key"])
def test_redirect_to_another_scheme_is_refused(
        workspace: Workspace, site: LocalSite, target: str) -> None:
    serve_feed(site)
    site.routes["/news/story"] = redirect_to(target)
    setup(workspace, site)

    result = workspace.run("crawl")

    assert_fell_back(workspace, result)
    assert workspace.query("SELECT body FROM articles") == [("",)]


def test_cross_host_redirect_carries_no_cookies(workspace: Workspace, site: LocalSite) -> None:
    other = LocalSite(host="localhost").start()
    try:
        other.add("/landing", "<html><body><article><p>" + "They agreed on joint production "
                  "of shells. " * 20 + "</p></article></body></html>")

        def set_cookie_and_redirect(request: BaseHTTPRequestHandler) -> None:
            request.send_response(302)
            request.send_header("Set-Cookie", "session=secret-value; Path=/")
            request.send_header("Location", other.url("/landing"))
            request.send_header("Content-Length", "0")
            request.end_headers()

        serve_feed(site)
        site.add("/warmup", "<html><body>hi</body></html>")
        site.routes["/news/story"] = Route(handler=set_cookie_and_redirect)
        setup(workspace, site)

        result = workspace.run("crawl")

        assert result.returncode == 0, result.stderr
        landing = [hit for hit in other.hits if hit.path == "/landing"]
        assert landing, "the redirect was not followed"
        assert all("Cookie" not in hit.headers for hit in landing)
        assert all("Authorization" not in hit.headers for hit in landing)
    finally:
        other.stop()


def test_pdf_where_html_was_expected_is_skipped(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    site.add("/news/story", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
             content_type="application/pdf")
    setup(workspace, site)

    assert_fell_back(workspace, workspace.run("crawl"))


def test_lying_charset_is_decoded_with_replacement(workspace: Workspace, site: LocalSite) -> None:
    serve_feed(site)
    page = ("<html><head><meta charset='utf-8'></head><body><article>"
            + "<p>Спільне виробництво: joint production of drones agreed. </p>" * 30
            + "</article></body></html>").encode("cp1251")
    site.add("/news/story", page, content_type="text/html; charset=utf-8")
    setup(workspace, site)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]


@pytest.mark.parametrize("fixture,expected", [
    ("xxe-feed.xml", "declares XML entities"),
    ("billion-laughs-feed.xml", "declares XML entities"),
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
