"""Realistic article pages and feeds (shared with `vedette demo`), and the one-story site
that many tests start from."""

from __future__ import annotations

from vedette.demo.pages import Story, article_page, recent, rss_feed
from vedette.demo.site import LocalSite

__all__ = ["Story", "article_page", "one_story_site", "recent", "rss_feed"]


def one_story_site(site: LocalSite, slug: str = "s1") -> None:
    """/feed.xml listing one recent "joint production" story at /news/SLUG."""
    story = Story(slug=slug, title=f"Joint production news {slug}",
                  paragraphs=["The allies agreed on joint production of drones."],
                  published=recent(1))
    site.add(f"/news/{slug}", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{slug}"), story)]),
             content_type="application/rss+xml")
