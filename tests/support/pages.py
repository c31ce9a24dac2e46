"""Realistic article pages and feeds (shared with `vedette demo`)."""

from vedette.demo.pages import Story, article_page, recent, rss_feed

__all__ = ["Story", "article_page", "recent", "rss_feed"]
