"""Hostile text (RELIABILITY items 42, 43): a page or feed declared UTF-8 that is not is
decoded by charset detection and counted; a page whose extraction runs too long is given
up at the deadline, counted, and its story matched on the feed's text."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite
from tests.support.stuck import blocked_in_c, waiting_for
from vedette.cpu import CpuPool, Stuck
from vedette.page import PageResult

UA_TOPIC = [{"name": "Спільне виробництво", "any": ["спільне виробництво дронів"]}]
UA_STORY = Story(
    slug="ua", lang="uk", published=recent(1),
    title="Литва й Україна домовилися",            # neither the title nor the summary
    summary="Новина дня.",                          # holds the topic: only the page can match
    paragraphs=["Україна та Литва домовилися про спільне виробництво дронів великої "
                "дальності; перші зразки будуть готові до кінця року.",
                "Міністр оборони заявив, що виробництво розгорнуть на підприємствах обох "
                "країн, а фінансування вже передбачене бюджетом."],
)


def serve(site: LocalSite, page: bytes, content_type: str) -> None:
    site.add("/news/ua", page, content_type=content_type)
    site.add("/feed.xml", rss_feed(site.base, [(site.url("/news/ua"), UA_STORY)]),
             content_type="application/rss+xml; charset=utf-8")


def setup(ws: Workspace, site: LocalSite, topics: list[dict[str, object]],
          follow: bool = True, **settings: object) -> None:
    ws.setup(sources=[{"name": "ua-news", "type": "feed", "url": site.url("/feed.xml"),
                       "follow": follow}],
             topics=topics, settings=settings)


@pytest.mark.parametrize("content_type,meta", [
    ("text/html; charset=utf-8", True),    # the HTTP header says UTF-8 (and the page too)
    ("text/html", True),                   # only <meta charset="utf-8"> says it
    ("text/html", False),                  # nothing says anything: UTF-8 is tried first
], ids=["header", "meta", "undeclared"])
def test_cp1251_page_declared_utf8_is_redecoded_matched_and_counted(
        workspace: Workspace, site: LocalSite, content_type: str, meta: bool) -> None:
    page = article_page(UA_STORY, padding_paragraphs=40)
    if not meta:
        page = page.replace('<meta charset="utf-8">', "")
    serve(site, page.encode("cp1251"), content_type)
    setup(workspace, site, UA_TOPIC)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT text_source FROM articles") == [("page",)]
    body = workspace.query("SELECT body FROM articles")[0][0]
    assert "спільне виробництво дронів" in body and "\ufffd" not in body
    assert workspace.query("SELECT topic_name FROM matches") == [("Спільне виробництво",)]
    assert workspace.query("SELECT redecoded, fallbacks FROM runs") == [(1, 0)]
    assert "1 re-decoded" in result.stdout


def test_run_once_delivers_the_redecoded_match(workspace: Workspace, site: LocalSite) -> None:
    serve(site, article_page(UA_STORY).encode("cp1251"), "text/html; charset=utf-8")
    setup(workspace, site, UA_TOPIC)

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert "1 re-decoded" in result.stdout
    sent = "".join(p.read_text(encoding="utf-8") for p in workspace.outbox.glob("*.txt"))
    assert "Литва й Україна домовилися" in sent


def test_valid_utf8_page_is_not_redecoded(workspace: Workspace, site: LocalSite) -> None:
    serve(site, article_page(UA_STORY).encode("utf-8"), "text/html; charset=utf-8")
    setup(workspace, site, UA_TOPIC)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]
    assert workspace.query("SELECT redecoded FROM runs") == [(0,)]
    assert "re-decoded" not in result.stdout


def test_page_declaring_its_real_charset_is_decoded_as_declared(
        workspace: Workspace, site: LocalSite) -> None:
    page = article_page(UA_STORY).replace('<meta charset="utf-8">', "")
    serve(site, page.encode("cp1251"), "text/html; charset=windows-1251")
    setup(workspace, site, UA_TOPIC)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]
    assert workspace.query("SELECT redecoded FROM runs") == [(0,)]


FEED_TOPIC = [{"name": "Спільне виробництво", "any": ["спільне виробництво"]}]
FEED_STORY = Story(slug="f", title="Литва та Україна: спільне виробництво дронів",
                   paragraphs=["-"], published=recent(1),
                   summary="Міністри домовилися про спільне виробництво далекобійних дронів.")


@pytest.mark.parametrize("header,declaration,redecoded", [
    ("application/rss+xml; charset=utf-8", "utf-8", 1),   # both say UTF-8
    ("application/rss+xml", "utf-8", 1),                   # the XML declaration says it
    ("application/rss+xml", "windows-1251", 0),            # the truth: parsed as declared
], ids=["header", "xml-declaration", "declared-cp1251"])
def test_cp1251_feed_declared_utf8_is_redecoded_and_counted(
        workspace: Workspace, site: LocalSite, header: str, declaration: str,
        redecoded: int) -> None:
    feed = rss_feed(site.base, [(site.url("/news/f"), FEED_STORY)])
    feed = feed.replace('encoding="utf-8"', f'encoding="{declaration}"')
    site.add("/feed.xml", feed.encode("cp1251"), content_type=header)
    setup(workspace, site, FEED_TOPIC, follow=False)

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT title FROM articles") == [(FEED_STORY.title,)]
    assert workspace.query("SELECT count(*) FROM matches") == [(1,)]
    assert workspace.query("SELECT redecoded FROM runs") == [(redecoded,)]


def test_redecoded_feed_still_meets_the_entity_guard(workspace: Workspace, site: LocalSite) -> None:
    feed = rss_feed(site.base, [(site.url("/news/f"), FEED_STORY)]).replace(
        "<rss", '<!DOCTYPE rss [<!ENTITY x "спільне виробництво">]><rss', 1)
    site.add("/feed.xml", feed.encode("cp1251"), content_type="application/rss+xml")
    setup(workspace, site, FEED_TOPIC, follow=False)

    result = workspace.run("crawl")

    assert result.returncode == 1
    assert "declares XML entities" in result.stderr
    assert workspace.query("SELECT count(*) FROM articles") == [(0,)]


# -- item 43: extraction bounded in time ------------------------------------------------------

EN_TOPIC = [{"name": "Joint production", "any": ["joint production"]}]
WORDS = "Officials described the programme and its budget in a long sentence here. "


def pathological_page() -> str:
    """200 nested blocks, each a paragraph of 50 links: trafilatura's link-density and
    nesting checks make this quadratic (≈ 7 s for 1 MB here; a real site's 16 s page had
    the same shape)."""
    links = "".join(f'<a href="/l/{j}">link {j}</a> {WORDS}' for j in range(50))
    return ("<html lang='en'><body>"
            + "".join(f"<div class='c{i}'><p>{WORDS}{links}</p>" for i in range(200))
            + "</div>" * 200 + "</body></html>")


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "worker-processes"])
def test_pathological_page_is_given_up_at_the_deadline_and_matched_on_feed_text(
        workspace: Workspace, site: LocalSite, workers: int) -> None:
    slow = Story(slug="slow", title="Joint production deal", paragraphs=["-"],
                 published=recent(1), summary="They agreed on joint production of shells.")
    normal = [Story(slug=f"n{i}", title=f"Briefing {i}", published=recent(1), summary="",
                    paragraphs=[f"Story {i}: the allies agreed on joint production of drones."])
              for i in range(3)]
    site.add("/news/slow", pathological_page())
    for story in normal:
        site.add(f"/news/{story.slug}", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{s.slug}"), s)
                                               for s in [slow, *normal]]),
             content_type="application/rss+xml")
    setup(workspace, site, EN_TOPIC, extraction_workers=workers, extraction_timeout="0.5s")

    result = workspace.run("crawl")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT extraction_timeouts, fallbacks FROM runs") == [(1, 1)]
    assert "1 pages past the extraction time limit" in result.stdout
    sources = dict(workspace.query("SELECT title, text_source FROM articles"))
    assert sources == {"Joint production deal": "feed",
                       **{s.title: "page" for s in normal}}
    assert workspace.query("SELECT count(*) FROM matches") == [(4,)]


def test_extraction_timeout_that_would_disable_the_limit_is_refused(
        workspace: Workspace, site: LocalSite) -> None:
    for value, why in [("0s", "must be above 0"), ("10m", "too long")]:
        setup(workspace, site, EN_TOPIC, extraction_timeout=value)
        result = workspace.run("check")
        assert result.returncode == 2
        assert "extraction_timeout" in result.stderr and why in result.stderr


def test_worker_that_ignores_its_deadline_is_killed_and_the_pool_replaced(tmp_path: Path) -> None:
    pid_file = tmp_path / "stuck.pid"
    page = article_page(Story(slug="a", title="t", paragraphs=[
        "The allies agreed on joint production of drones. " * 20])).encode()

    async def scenario() -> PageResult:
        pool = CpuPool(2, [], extraction_timeout=0.5)
        try:
            with pytest.raises(Stuck):
                await pool.run(blocked_in_c, str(pid_file), limit=1.0)
            return await pool.extract(page, "text/html; charset=utf-8", "http://x/a", False)
        finally:
            pool.close()

    after = asyncio.run(scenario())

    assert after.extracted is not None and "joint production" in after.extracted.text
    pid = int(pid_file.read_text())
    assert not _alive(pid), "the stuck worker was left running"


def test_extraction_thread_that_ignores_its_deadline_is_replaced() -> None:
    release = threading.Event()
    page = article_page(Story(slug="a", title="t", paragraphs=[
        "The allies agreed on joint production of drones. " * 20])).encode()

    async def scenario() -> PageResult:
        pool = CpuPool(1, [], extraction_timeout=0.5)
        try:
            with pytest.raises(Stuck):
                await pool.run(waiting_for, release, limit=1.0)
            return await pool.extract(page, "text/html", "http://x/a", False)
        finally:
            release.set()
            pool.close()

    after = asyncio.run(scenario())

    assert after.extracted is not None


def _alive(pid: int) -> bool:
    """Whether `pid` still runs, allowing the kill a moment to be reaped."""
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1]
        except (FileNotFoundError, IndexError):
            return False
        if state.startswith("Z"):  # killed, not yet reaped
            return False
        threading.Event().wait(0.05)
    return True
