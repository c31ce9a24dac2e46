"""Run crawls in this process, on the running reactor (never one reactor per crawl)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from spiders import SourceSpider
from vedette.config import Config, SourceBase
from vedette.context import SETTING, CrawlContext
from vedette.errors import StateError
from vedette.store import RunRecord

log = logging.getLogger(__name__)

PER_CRAWL_PRIORITY = SETTINGS_PRIORITIES["cmdline"] + 10
# Crawls running at once; each is itself concurrent, this bounds memory with many sources.
PARALLEL_CRAWLS = 8


@dataclass(frozen=True)
class CrawlOutcome:
    source: str
    run: RunRecord | None

    @property
    def ok(self) -> bool:
        return self.run is not None and self.run.status == "ok"

    @property
    def error(self) -> str | None:
        if self.run is None:
            return "the crawl did not start"
        return self.run.last_error


SETTINGS_MODULE = "vedette.settings"


def vedette_settings() -> Settings:
    """Vedette's own Scrapy settings, loaded from `vedette.settings` by name.

    Never `get_project_settings()`: that looks for scrapy.cfg in the current directory, so
    from anywhere but the checkout's root (cron, systemd, an installed wheel) the item
    pipelines and the network guard would silently be left out.
    """
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    return settings


def settings_for(config: Config, context: CrawlContext, log_level: str = "WARNING") -> Settings:
    """Scrapy settings: Vedette's defaults, overlaid with the user's `settings:` section."""
    settings = vedette_settings()
    user = config.settings
    settings.setdict({
        "USER_AGENT": user.user_agent,
        "ROBOTSTXT_OBEY": user.obey_robots,
        "DOWNLOAD_TIMEOUT": user.request_timeout.total_seconds(),
        "DOWNLOAD_MAXSIZE": user.max_response_size,
        "DOWNLOAD_WARNSIZE": min(user.max_response_size, settings.getint("DOWNLOAD_WARNSIZE")),
        "CONCURRENT_REQUESTS": user.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": user.per_host_concurrency,
        "LOG_LEVEL": log_level,
        SETTING: context,
    }, priority="cmdline")
    return settings


def make_runner(context: CrawlContext | None, log_level: str = "WARNING") -> AsyncCrawlerRunner:
    """A runner for `context`'s crawls; with None, one that any context's crawls can use
    (the daemon's, which outlives every context a reload replaces: it must hold none)."""
    if context is None:
        return AsyncCrawlerRunner(vedette_settings())
    return AsyncCrawlerRunner(settings_for(context.config, context, log_level))


async def crawl_sources(
    context: CrawlContext, sources: Sequence[SourceBase], log_level: str = "WARNING",
    runner: AsyncCrawlerRunner | None = None,
) -> list[CrawlOutcome]:
    """Crawl each source once (at most PARALLEL_CRAWLS at a time); one failing never stops
    the others. Each source's run is recorded in the store. A long-lived `runner` (the
    daemon's) is given this context's settings per crawl."""
    runner = runner or make_runner(context, log_level)
    per_crawl = settings_for(context.config, context, log_level)
    gate = asyncio.Semaphore(PARALLEL_CRAWLS)

    async def crawl(source: SourceBase) -> CrawlOutcome:
        async with gate:
            if context.store.fault is not None:
                return CrawlOutcome(source.name, None)
            spider_cls = SourceSpider.registry[source.type]
            try:
                crawler = runner.create_crawler(spider_cls)
                for key, value in per_crawl.items():
                    if per_crawl.getpriority(key) == SETTINGS_PRIORITIES["cmdline"]:
                        # Above "cmdline": runner.crawl() merges the runner's own (older)
                        # values into a crawler wherever the priorities are equal.
                        crawler.settings.set(key, value, priority=PER_CRAWL_PRIORITY)
                await runner.crawl(crawler, source=source.name)
            except StateError:
                return CrawlOutcome(source.name, None)  # reported once, below
            except NotConfigured as exc:  # a refusal with its reason, not a bug: no traceback
                return CrawlOutcome(source.name, _crashed(context, source.name, exc))
            except Exception as exc:
                log.exception("%s: crawl crashed", source.name)
                return CrawlOutcome(source.name, _crashed(context, source.name, exc))
            if context.store.fault is not None:
                return CrawlOutcome(source.name, None)
            return CrawlOutcome(source.name, context.store.runs.last(source.name))

    outcomes = list(await asyncio.gather(*(crawl(s) for s in sources)))
    if context.store.fault is not None:
        # The state failed (read-only, full, damaged, replaced or deleted): nothing more can
        # be recorded, so the crawls stopped and the command (or the daemon) stops with
        # that one line, not one per source.
        raise context.store.fault.with_traceback(None)
    return outcomes


def _crashed(context: CrawlContext, source: str, exc: Exception) -> RunRecord | None:
    """Record a crawl that failed outside the spider (including before it could start)."""
    run_id = context.store.runs.unfinished(source)
    if run_id is None:
        run_id = context.store.runs.start(source)
    context.store.runs.finish(run_id, status="failed", items=0, new_articles=0, matches=0,
                              fallbacks=0, errors=1, last_error=_why(exc))
    return context.store.runs.last(source)


def _why(exc: Exception) -> str:
    if isinstance(exc, NotConfigured):
        return f"not crawled: {exc}"
    return f"crawl crashed: {exc}"
