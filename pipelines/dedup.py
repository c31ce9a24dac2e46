"""Second step: drop an article whose canonical URL this crawl or the store already has."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from spiders.items import ArticleItem
from vedette.context import CrawlContext


class DedupPipeline:
    """Cheap early exit; the store's unique URL is what finally guarantees one article per URL
    (two sources crawled at the same time can both pass this step)."""

    def __init__(self, context: CrawlContext) -> None:
        self.context = context
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(CrawlContext.from_settings(crawler.settings))

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.url in self.seen or self.context.store.known_urls([item.url]):
            raise DropItem(f"already stored: {item.url}")
        self.seen.add(item.url)
        return item
