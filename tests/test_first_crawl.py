"""A new source's first crawl alerts only what is recent (settings.first_crawl_window, per
source `backfill:`): adding a source never floods the next digest with its back catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, rss_feed
from tests.support.site import LocalSite

TOPICS = [{"name": "Drones", "any": ["drones"]}]
NOW = datetime.now(UTC).replace(microsecond=0)
AGES: dict[str, timedelta | None] = {
    "fresh": timedelta(hours=1), "yesterday": timedelta(hours=30),
    "last-week": timedelta(days=5), "undated": None,
}


def publish(site: LocalSite, ages: dict[str, timedelta | None]) -> None:
    items = []
    for slug, age in ages.items():
        story = Story(slug=slug, title=f"Drones story {slug}",
                      paragraphs=[f"Officials spoke about drones ({slug})."],
                      published=NOW - age if age is not None else None)
        site.add(f"/news/{slug}", article_page(story))
        items.append((site.url(f"/news/{slug}"), story))
    site.add("/feed.xml", rss_feed(site.base, items), content_type="application/rss+xml")


def alerted(workspace: Workspace) -> list[str]:
    rows = workspace.query("SELECT a.url FROM matches m JOIN articles a ON a.id = m.article_id")
    return sorted(url.rsplit("/", 1)[-1] for (url,) in rows)


def setup(workspace: Workspace, site: LocalSite, **source: Any) -> None:
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml"),
                              **source}], topics=TOPICS)


def test_first_crawl_alerts_only_the_last_day_and_stores_the_rest_as_seen(
        workspace: Workspace, site: LocalSite) -> None:
    publish(site, AGES)
    setup(workspace, site)

    first = workspace.run("crawl")

    assert first.returncode == 0, first.stderr
    assert alerted(workspace) == ["fresh"]
    assert workspace.query("SELECT count(*), sum(alertable) FROM articles") == [(4, 1)]
    assert site.article_requests() == 1  # the back catalogue costs no page fetches
    assert "crawled s: 4 items, 4 new, 1 matches, 3 older items stored as seen" in first.stdout

    # After the first crawl, new items alert as usual: within max_age, dated or not.
    publish(site, {**AGES, "late-wire": timedelta(days=2), "late-undated": None})
    second = workspace.run("crawl")

    assert second.returncode == 0, second.stderr
    assert alerted(workspace) == ["fresh", "late-undated", "late-wire"]


def test_backfill_widens_or_closes_the_first_crawl_window(
        workspace: Workspace, site: LocalSite) -> None:
    publish(site, AGES)
    setup(workspace, site, backfill="7d")
    assert workspace.run("crawl").returncode == 0
    assert alerted(workspace) == ["fresh", "last-week", "yesterday"]


def test_backfill_0s_alerts_nothing_already_there(workspace: Workspace, site: LocalSite) -> None:
    publish(site, AGES)
    setup(workspace, site, backfill="0s")
    assert workspace.run("crawl").returncode == 0
    assert alerted(workspace) == []


def test_settings_window_applies_to_every_source(workspace: Workspace, site: LocalSite) -> None:
    publish(site, AGES)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS, settings={"first_crawl_window": "2d"})
    assert workspace.run("crawl").returncode == 0
    assert alerted(workspace) == ["fresh", "yesterday"]


def test_a_first_crawl_that_failed_does_not_end_the_first_crawl(
        workspace: Workspace, site: LocalSite) -> None:
    setup(workspace, site)
    assert workspace.run("crawl").returncode == 1  # no feed yet: HTTP 404
    publish(site, AGES)
    assert workspace.run("crawl").returncode == 0
    assert alerted(workspace) == ["fresh"]
