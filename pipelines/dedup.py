"""Second step: drop an article whose canonical URL this crawl or the store already has."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from spiders.base import state_failed
from spiders.items import ArticleItem
from vedette.context import CrawlContext
from vedette.errors import StateError


class DedupPipeline:
    """Cheap early exit; the store's unique URL is what finally guarantees one article per URL
    (two sources crawled at the same time can both pass this step)."""

    def __init__(self, context: CrawlContext, crawler: Crawler) -> None:
        self.context = context
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(CrawlContext.from_settings(crawler.settings), crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        try:
            known = item.url in self.seen or self.context.store.articles.known_urls([item.url])
        except StateError:
            raise state_failed(self.crawler) from None
        if known:
            raise DropItem(f"already stored: {item.url}")
        self.seen.add(item.url)
        return item
