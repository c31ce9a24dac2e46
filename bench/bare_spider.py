"""The baseline for bench/pipeline.py: a bare Scrapy spider that reads the same feed,
fetches every page and extracts it with trafilatura, and does nothing else.

Run: python bench/bare_spider.py FEED_URL
"""

from __future__ import annotations

import sys
from typing import Any

import feedparser
import scrapy
import trafilatura
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, feed: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed = feed
        self.extracted = 0

    async def start(self):  # type: ignore[no-untyped-def]
        yield scrapy.Request(self.feed, callback=self.parse_feed)

    def parse_feed(self, response):  # type: ignore[no-untyped-def]
        for entry in feedparser.parse(response.body).entries:
            yield scrapy.Request(entry.link, callback=self.parse_page)

    def parse_page(self, response):  # type: ignore[no-untyped-def]
        document = trafilatura.bare_extraction(response.text, url=response.url,
                                               include_comments=False, include_tables=True,
                                               favor_precision=True)
        if document is not None and document.text:
            self.extracted += 1

    def closed(self, reason: str) -> None:
        print(f"extracted {self.extracted}")


if __name__ == "__main__":
    settings = get_project_settings()  # the same politeness and limits as Vedette's spiders
    settings.set("ITEM_PIPELINES", {})
    settings.set("DOWNLOADER_MIDDLEWARES", {})
    settings.set("LOG_LEVEL", "WARNING")
    process = CrawlerProcess(settings)
    process.crawl(BareSpider, feed=sys.argv[1])
    process.start()
