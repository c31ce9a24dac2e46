"""First pipeline step: tidy titles and summaries (page bodies arrive tidied and
fingerprinted from the extraction workers, where that work is spread over the cores)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from spiders.items import ArticleItem
from vedette.text import MAX_BODY_CHARS, MAX_TITLE_CHARS, tidy


class CleanPipeline:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        return cls()

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        item.title = " ".join(tidy(item.title, MAX_TITLE_CHARS).split())
        item.summary = tidy(item.summary, MAX_BODY_CHARS)
        if item.text_source != "page":
            item.body = tidy(item.body, MAX_BODY_CHARS)
            item.fingerprint = None
        return item
