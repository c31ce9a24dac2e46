"""The units of work the CLI and the daemon schedule: crawl sources, send digests."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alerts.digest import ChannelOutcome, send_digest
from vedette.config import Config, Digest, FeedSource
from vedette.context import CrawlContext
from vedette.crawling import CrawlOutcome, crawl_sources

log = logging.getLogger(__name__)


@dataclass
class Report:
    """What a command did, for its summary and its exit status."""

    crawls: list[CrawlOutcome] = field(default_factory=list)
    deliveries: list[ChannelOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        lines = [f"source {c.source}: {c.error}" for c in self.crawls if not c.ok]
        lines += [f"digest {d.digest} via {d.channel}: {d.error}" for d in self.deliveries
                  if d.failed]
        return lines


async def crawl(context: CrawlContext, sources: Sequence[FeedSource], report: Report,
                log_level: str = "WARNING") -> None:
    report.crawls.extend(await crawl_sources(context, sources, log_level))
    prune(context)


def prune(context: CrawlContext) -> None:
    """Keep article text only as long as `settings.keep_text` says."""
    cutoff = datetime.now(UTC) - context.config.settings.keep_text
    pruned = context.store.articles.prune_text(cutoff)
    if pruned:
        log.info("dropped the text of %d articles older than %s", pruned, cutoff.date())


async def send_digests(context: CrawlContext, digests: Sequence[Digest], report: Report, *,
                       dry_run: bool = False, preview: Path | None = None) -> None:
    for digest in digests:
        report.deliveries.extend(await send_digest(
            context.config, context.store, digest, dry_run=dry_run, preview=preview))


async def run_once(context: CrawlContext, report: Report, log_level: str = "WARNING") -> None:
    """Crawl every source once, then send every digest that has something pending."""
    config: Config = context.config
    await crawl(context, config.sources, report, log_level)
    await send_digests(context, config.digests, report)
