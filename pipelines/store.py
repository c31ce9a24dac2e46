"""Last step: article, matches and pending deliveries in one transaction."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from spiders.base import state_failed
from spiders.items import ArticleItem
from vedette.context import CrawlContext
from vedette.errors import StateError
from vedette.store import NewArticle

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, context: CrawlContext, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.context = context
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(CrawlContext.from_settings(crawler.settings), crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        digests = self.context.digests_by_topic
        alerting = item.alertable and any(m.topic_id in digests for m in item.matches)
        # One crawl of one source alerts at most max_matches_per_crawl articles: past it, a
        # flood is stored (its URLs known, never alerted later) and counted, not delivered.
        capped = alerting and int(self.stats.get_value("vedette/alerted", 0)) >= \
            self.context.config.settings.max_matches_per_crawl
        try:
            result = self.context.store.articles.save(
                NewArticle(
                    url=item.url, source=item.source, title=item.title, summary=item.summary,
                    body=item.body, language=item.language, published=item.published,
                    text_source=item.text_source, fingerprint=item.fingerprint,
                    alertable=item.alertable,
                ),
                item.matches,
                {} if capped else digests,
            )
        except StateError:
            raise state_failed(self.crawler) from None
        # Counted for every item, new or not: the spider's run judgement compares it with
        # the items that left the spider, so a crawl without this pipeline can't pass as ok.
        self.stats.inc_value("vedette/store_handled")
        if result.stored and not item.alertable:
            self.stats.inc_value("vedette/not_alerted")
        if result.stored:
            self.stats.inc_value("vedette/new_articles")
            self.stats.inc_value("vedette/matches", result.matches)
            if result.duplicate_of:
                self.stats.inc_value("vedette/syndicated_copies")
            if result.deliveries:
                self.stats.inc_value("vedette/alerted")
            elif capped and result.matches:
                self.stats.inc_value("vedette/capped")
            if result.matches:
                log.info("%s: %s matched %s", item.source, item.url,
                         ", ".join(m.topic_name for m in item.matches))
        return item
