"""Third step: match the article against every topic (one compiled automaton for all),
off the reactor when worker processes are configured."""

from __future__ import annotations

from scrapy.crawler import Crawler

from spiders.items import ArticleItem
from vedette.context import CrawlContext
from vedette.matching import ArticleText


class MatchPipeline:
    def __init__(self, context: CrawlContext) -> None:
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MatchPipeline:
        return cls(CrawlContext.from_settings(crawler.settings))

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.alertable:
            text = ArticleText(title=item.title, summary=item.summary, body=item.body,
                               language=item.language)
            item.matches = await self.context.cpu.match(text)
        return item
