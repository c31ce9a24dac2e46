"""The commands' units of work, on an `App`: crawl sources, send digests, or both (cron)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alerts.digest import ChannelOutcome
from vedette.app import App
from vedette.config import Digest, SourceBase
from vedette.crawling import CrawlOutcome


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


async def crawl(app: App, sources: Sequence[SourceBase], report: Report) -> None:
    """`vedette crawl`: crawl and store; send nothing."""
    report.crawls.extend(await app.crawl(sources))
    app.prune()


async def send_digests(app: App, digests: Sequence[Digest], report: Report, *,
                       dry_run: bool = False, preview: Path | None = None) -> None:
    report.deliveries.extend(await app.send_digests(digests, dry_run=dry_run, preview=preview))


async def run_once(app: App, report: Report) -> None:
    """`vedette run --once`: every source once, what follows a crawl (as the daemon does
    it), then every other digest that has something pending."""
    config = app.config
    report.crawls.extend(await app.crawl(config.sources))
    report.deliveries.extend(await app.after_crawl([s.name for s in config.sources]))
    report.deliveries.extend(await app.send_digests(
        [d for d in config.digests if not d.schedule.immediate]))
