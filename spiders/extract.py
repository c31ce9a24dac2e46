"""Main-text extraction with trafilatura, optionally in a pool of worker processes.

Extraction is the dominant cost of a crawl (tens of milliseconds per page against a few
for Scrapy itself), so it runs beside the reactor instead of on it: in worker processes
when more than one is configured, else in a thread so the downloads keep flowing.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import re
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger(__name__)

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_pools: dict[int, Executor] = {}


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    language: str | None
    published: datetime | None


def extract_article(html: str, url: str, with_metadata: bool = False) -> Extracted | None:
    """The page's title, main text (no menus, footers, related stories), language and date."""
    import trafilatura  # imported here so worker processes pay for it, not the CLI's start-up

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=with_metadata,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    if document is None:
        return None
    text = (document.text or "").strip()
    if not text:
        return None
    published = None
    if with_metadata and document.date:
        try:
            published = datetime.fromisoformat(document.date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    language = None
    match = _LANG.search(html[:4096])
    if match:
        language = match.group(1).lower()
    return Extracted(
        title=(document.title or "").strip() if with_metadata else "",
        text=text,
        language=language,
        published=published,
    )


def _warm_up() -> None:
    import trafilatura  # noqa: F401


def extraction_pool(workers: int) -> Executor:
    """The shared executor for `workers` (0 = one process per core, 1 = a thread)."""
    count = workers or (os.cpu_count() or 1)
    pool = _pools.get(count)
    if pool is None:
        if count <= 1:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
        else:
            # forkserver: workers start from a clean process, not a fork of a threaded reactor.
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_warm_up)
        _pools[count] = pool
    return pool


async def extract_in_pool(workers: int, html: str, url: str, with_metadata: bool) -> Extracted | None:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        extraction_pool(workers), extract_article, html, url, with_metadata)


@atexit.register
def _shutdown_pools() -> None:
    for pool in _pools.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _pools.clear()
