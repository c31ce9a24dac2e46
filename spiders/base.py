"""What every source spider shares: its source from the config, the store, the guard, the run record."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from vedette.config import SourceBase
from vedette.context import CrawlContext
from vedette.errors import StateError
from vedette.netguard import NetworkGuard
from vedette.plugins import ByKind, claim
from vedette.urls import host_allowed, host_of

log = logging.getLogger(__name__)

GUARD = "spiders.middlewares.NetworkGuardMiddleware"


class SourceSpider(scrapy.Spider):
    """Base of the spiders that read one configured source (`-a source=NAME`)."""

    source_type: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[SourceSpider]]] = ByKind("spiders")
    """Spiders by source type; `type: X` is found in spiders/X.py."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.source_type:
            claim(SourceSpider.registry, cls.source_type, cls, "source type")

    context: CrawlContext
    source: SourceBase
    guard: NetworkGuard

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._bind(crawler)
        return spider

    def _bind(self, crawler: Crawler) -> None:
        name = getattr(self, "source_name", None) or getattr(self, "source", None)
        if not isinstance(name, str) or not name:
            raise NotConfigured(f"spider {self.name!r} needs -a source=NAME")
        if GUARD not in crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES"):
            # Fail closed: without the guard, links and redirects could reach this machine,
            # the local network or cloud-metadata addresses.
            raise NotConfigured("the network guard is not enabled: Scrapy settings were not "
                                "taken from vedette.settings; nothing was fetched")
        self.context = CrawlContext.from_settings(crawler.settings)
        try:
            self.source = self.context.config.source(name)
        except KeyError:
            known = ", ".join(s.name for s in self.context.config.sources) or "none"
            raise NotConfigured(f"no source named {name!r} (configured: {known})") from None
        if self.source.type != self.source_type:
            raise NotConfigured(f"source {name!r} is a {self.source.type} source, not {self.source_type}")
        self.allowed_hosts = {host_of(str(self.source.url)), *self.source.allowed_domains}
        self.fatal_error: str | None = None
        # Decided before this run is recorded: a source is new until one crawl of it ends well.
        self.first_crawl = not self.context.store.runs.has_completed(self.source.name)
        self.run_id = self.context.store.runs.start(self.source.name)
        crawler.signals.connect(self.record_run, signal=signals.spider_closed)
        crawler.signals.connect(self.item_failed, signal=signals.item_error)

    async def start(self) -> AsyncIterator[Any]:
        self.guard = await NetworkGuard.for_source(str(self.source.url))
        try:
            async for request in self.start_requests_for_source():
                yield request
        except StateError:
            self.stop_for_state()

    async def start_requests_for_source(self) -> AsyncIterator[Any]:
        """The first requests of a crawl of this source."""
        return
        yield  # pragma: no cover

    def may_follow(self, url: str) -> bool:
        """Links are followed only to the source's own host or its allowed_domains."""
        return host_allowed(host_of(url), self.allowed_hosts)

    def is_alertable(self, published: datetime | None) -> bool:
        """Whether an item may alert, the one place that decides: items older than the
        source's max_age are stored but never alerted; on a source's first crawl, only items
        published within its backfill window (settings.first_crawl_window by default) alert,
        so adding a source never floods a digest with its back catalogue. An undated item
        on a first crawl can't be shown to be recent, so it is stored as seen too."""
        limit = self.source.max_age
        if self.first_crawl:
            if published is None:
                return False
            limit = min(limit, self.backfill_window)
        if published is None:
            return True
        return datetime.now(UTC) - published <= limit

    @property
    def backfill_window(self) -> timedelta:
        """How far back a first crawl of this source alerts."""
        if self.source.backfill is not None:
            return self.source.backfill
        return self.context.config.settings.first_crawl_window

    def stop_for_state(self) -> None:
        """The state failed under this crawl (the store keeps the fault): close the spider
        now, quietly. Nothing more can be recorded, and whoever ran the crawl reports the
        fault once (vedette/crawling.py), not once per item."""
        if getattr(self, "_stopping", None) is None:
            self._stopping = asyncio.get_running_loop().create_task(self._close_now())

    async def _close_now(self) -> None:
        engine = self.crawler.engine
        with contextlib.suppress(RuntimeError):  # not open yet, or already closed
            if engine is not None:
                await engine.close_spider_async(reason="state error")

    def fail(self, message: str) -> None:
        """The source as a whole failed (its feed could not be read)."""
        self.fatal_error = message
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vedette/source_errors")
        # Not an error line here: the run's outcome carries the message, and whoever ran the
        # crawl (the CLI's summary, the daemon) reports it once.
        log.info("%s: %s", self.source.name, message)

    def run_failed(self, reason: str) -> str | None:
        """Why this run must count as failed, or None: the one place that judges a run."""
        if self.context.store.fault is not None:
            return str(self.context.store.fault)
        if self.fatal_error is not None:
            return self.fatal_error
        if reason != "finished":
            return f"crawl ended early: {reason}"
        stats = self.crawler.stats
        assert stats is not None
        crashed = sum(int(v) for k, v in stats.get_stats().items()
                      if k.startswith("spider_exceptions/") and isinstance(v, int))
        lost = int(stats.get_value("vedette/item_errors", 0))
        if crashed or lost:
            return f"{crashed + lost} items could not be processed (see the log)"
        passed = int(stats.get_value("item_scraped_count", 0))
        stored = int(stats.get_value("vedette/store_handled", 0))
        if passed > stored:
            # Items left the spider but never reached the store: the crawl ran without
            # Vedette's item pipelines (Scrapy settings not taken from vedette.settings).
            return (f"{passed - stored} of {passed} items were never stored: Vedette's item "
                    "pipelines did not run")
        return None

    def item_failed(self, item: Any, response: Any, spider: scrapy.Spider,
                    failure: Any) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vedette/item_errors")
        log.error("%s: an item failed in the pipeline: %s", self.source.name,
                  failure.getErrorMessage() if failure is not None else "unknown error")

    def record_run(self, spider: scrapy.Spider, reason: str) -> None:
        if self.context.store.fault is not None:
            return  # the state failed: this run can't be recorded (the fault is reported)
        with contextlib.suppress(StateError):  # the store keeps it; it is reported once
            self._record_run(reason)

    def _record_run(self, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        value = stats.get_value
        errors = int(value("vedette/source_errors", 0))
        error = self.run_failed(reason)
        if error is not None and self.fatal_error is None:
            errors += 1
        self.context.store.runs.finish(
            self.run_id,
            status="failed" if error else "ok",
            items=int(value("vedette/entries", 0)),
            new_articles=int(value("vedette/new_articles", 0)),
            matches=int(value("vedette/matches", 0)),
            fallbacks=int(value("vedette/fallbacks", 0)),
            errors=errors,
            last_error=error,
            not_alerted=int(value("vedette/not_alerted", 0)),
            capped=int(value("vedette/capped", 0)),
            redecoded=int(value("vedette/redecoded", 0)),
            extraction_timeouts=int(value("vedette/extraction_timeouts", 0)),
        )
        capped = int(value("vedette/capped", 0))
        if capped:
            log.warning("%s: %d matching articles past settings.max_matches_per_crawl (%d) "
                        "were stored without alerting", self.source.name, capped,
                        self.context.config.settings.max_matches_per_crawl)


def state_failed(crawler: Crawler) -> DropItem:
    """For an item pipeline that met a StateError: stop the crawl, and the DropItem to raise
    for this item (quiet: the fault is reported once, by whoever ran the crawl)."""
    if isinstance(crawler.spider, SourceSpider):
        crawler.spider.stop_for_state()
    return DropItem("the state failed", log_level="DEBUG")
