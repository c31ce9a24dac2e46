"""Scrapy spiders, one per source type; `SourceSpider.registry` maps `type:` to its spider."""

from spiders.base import SourceSpider
from spiders.feed import FeedSpider

__all__ = ["FeedSpider", "SourceSpider"]
