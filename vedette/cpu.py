"""CPU-bound work kept off the reactor: main-text extraction and topic matching.

On a crawl the reactor thread should only move bytes. Extraction (tens of milliseconds a
page) and matching (a few) run in worker processes when more than one is configured, so
both cores work; with one worker they run in a single thread beside the reactor. Each
worker compiles the topics once, at start.

Every matcher, in a worker or not, shares the matching cache beside the state file
(`vedette.matching.cachefile`): a fresh process reads the compiled topics from it instead
of compiling them, and the keys of costly words instead of working them out again.
Workers save what they learnt when they exit (and every minute while they run).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util
from pathlib import Path
from typing import Any, TypeVar

from vedette.config import Topic
from vedette.extract import Extracted, extract_article
from vedette.matching import ArticleText, Matcher, TopicMatch
from vedette.matching.cachefile import cache_path, vet

log = logging.getLogger(__name__)
T = TypeVar("T")
_matcher: Matcher | None = None


def _start_worker(topics: Sequence[Topic], cache: Path | None) -> None:
    global _matcher
    _matcher = Matcher(topics, cache)
    # A worker ends by returning from its loop, so multiprocessing's exit finalizers run
    # (atexit handlers don't in a child): the keys it learnt reach the next run.
    util.Finalize(_matcher, _matcher.save_word_keys, exitpriority=10)
    import trafilatura  # noqa: F401  - paid once per worker, not on the first page


def _match(article: ArticleText) -> list[TopicMatch]:
    assert _matcher is not None, "worker started without topics"
    return _matcher.match(article)


class CpuPool:
    """One executor per crawl context; `workers` 0 = one process per core, 1 = one thread.

    `state`: the state file, beside which the matchers keep their cache (none without
    it, as for a matcher of a single topic)."""

    def __init__(self, workers: int, topics: Sequence[Topic], state: Path | None = None) -> None:
        count = workers or (os.cpu_count() or 1)
        self.processes = count > 1
        # Absolute: workers must find the same file whatever directory they run in.
        self._cache = cache_path(state.absolute()) if state is not None else None
        self._local = Matcher(topics, self._cache) if not self.processes else None
        self._executor: Executor | None = None
        self._count = count
        self._topics = list(topics)
        _live.append(self)

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.processes:
                if self._cache is not None:
                    vet(self._cache)  # a bad cache file is reported once, not per worker
                # forkserver: workers start from a clean process, not a fork of a threaded reactor
                self._executor = ProcessPoolExecutor(
                    max_workers=self._count, mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_start_worker, initargs=(self._topics, self._cache))
            else:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vedette-cpu")
        return self._executor

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), function, *args)
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in a C extension): a broken pool never
            # recovers, so start a new one and give this job one more chance.
            log.error("an extraction worker died; restarting the worker pool")
            self.close()
            return await loop.run_in_executor(self._pool(), function, *args)

    async def extract(self, html: str, url: str, with_metadata: bool) -> Extracted | None:
        return await self._run(extract_article, html, url, with_metadata)

    async def match(self, article: ArticleText) -> list[TopicMatch]:
        if self._local is not None:
            # In-process matching costs less than a thread hop for one article.
            return self._local.match(article)
        return await self._run(_match, article)

    def close(self) -> None:
        if self._local is not None:
            self._local.save_word_keys()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_live: list[CpuPool] = []


@atexit.register
def _close_all() -> None:
    for pool in _live:
        pool.close()
