"""Downloader middleware that refuses requests the network guard forbids."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from vedette.netguard import NetworkGuard, Refused

log = logging.getLogger(__name__)


class NetworkGuardMiddleware:
    """Every request, redirects included, passes the spider's NetworkGuard before it leaves."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> Any:
        spider = self.crawler.spider
        guard: NetworkGuard | None = getattr(spider, "guard", None)
        if guard is None:
            guard = await NetworkGuard.for_source(request.url)
            if spider is not None:
                spider.guard = guard  # type: ignore[attr-defined]  # any spider, not only ours
        try:
            await guard.check(request.url)
        except Refused as exc:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("vedette/refused_requests")
            log.warning("refused %s: %s", request.url, exc)
            raise IgnoreRequest(f"refused: {exc}") from exc
        return None
