"""The composition root: what every command and the daemon work with, built once per config.

An `App` owns the store, the CPU pool (with the compiled topics) and the crawler runner of
one loaded config, opens them once and closes them once, and holds the steps both modes
share: `crawl`, then `after_crawl` (health notices, pruning, `immediate` digests), and
`send_digests`. `vedette run --once` (cron) and the daemon's jobs call the same steps, so
what one mode does after a crawl the other does too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vedette.config import Config, Digest, SourceBase
from vedette.context import CrawlContext
from vedette.store import Store

if TYPE_CHECKING:
    from scrapy.crawler import AsyncCrawlerRunner

    from alerts.digest import ChannelOutcome
    from vedette.crawling import CrawlOutcome

log = logging.getLogger(__name__)


class App:
    def __init__(self, config: Config, *, store: Store | None = None,
                 log_level: str = "WARNING", runner: AsyncCrawlerRunner | None = None,
                 digest_locks: dict[str, asyncio.Lock] | None = None) -> None:
        """`store`: an open store to share (a reload keeps the daemon's); `runner`: a
        long-lived crawler runner (the daemon's), else one per crawl; `digest_locks`: one
        send of a digest at a time, shared by the apps of successive configs."""
        self.config = config
        self.context = CrawlContext.build(config, store)
        self.log_level = log_level
        self._runner = runner
        self.digest_locks = digest_locks if digest_locks is not None else {}

    @property
    def store(self) -> Store:
        return self.context.store

    async def crawl(self, sources: Sequence[SourceBase]) -> list[CrawlOutcome]:
        """Crawl each source once; one failing never stops the others."""
        from vedette.crawling import crawl_sources

        return await crawl_sources(self.context, sources, self.log_level, self._runner)

    async def after_crawl(self, sources: Sequence[str], *,
                          immediate: bool = True) -> list[ChannelOutcome]:
        """What follows a crawl in every mode: the health notices of the crawled sources
        (a source that died is heard of from cron too), pruning, and with `immediate` the
        `immediate` digests (also what an earlier immediate send left pending)."""
        from alerts.notice import send_health_notices

        for name in sources:
            await send_health_notices(self.config, self.store, name)
        self.prune()
        if not immediate:
            return []
        return await self.send_digests([d for d in self.config.digests if d.schedule.immediate])

    def prune(self) -> None:
        """Keep article text only as long as `settings.keep_text` says."""
        cutoff = datetime.now(UTC) - self.config.settings.keep_text
        pruned = self.store.articles.prune_text(cutoff)
        if pruned:
            log.info("dropped the text of %d articles older than %s", pruned, cutoff.date())

    async def send_digests(self, digests: Sequence[Digest], *, dry_run: bool = False,
                           preview: Path | None = None) -> list[ChannelOutcome]:
        """Send each digest that has something pending, one send of a digest at a time:
        two crawls finishing together must not both read the same pending matches."""
        from alerts.digest import send_digest

        outcomes: list[ChannelOutcome] = []
        for digest in digests:
            lock = self.digest_locks.setdefault(digest.name, asyncio.Lock())
            async with lock:
                outcomes += await send_digest(self.config, self.store, digest,
                                              dry_run=dry_run, preview=preview)
        return outcomes

    def close_pool(self) -> None:
        """Close the CPU pool (worker processes, compiled topics); the store stays open."""
        self.context.cpu.close()

    def close(self) -> None:
        self.close_pool()
        self.store.close()
