"""CPU-bound work kept off the reactor: main-text extraction and topic matching.

On a crawl the reactor thread should only move bytes. Extraction (tens of milliseconds a
page) and matching (a few) run in worker processes when more than one is configured, so
both cores work; with one worker they run in a single thread beside the reactor. Each
worker compiles the topics once, at start.

Every matcher, in a worker or not, shares the matching cache beside the state file
(`vedette.matching.cachefile`): a fresh process reads the compiled topics from it instead
of compiling them, and the keys of costly words instead of working them out again.
Workers save what they learnt when they exit (and every minute while they run).

Extraction has a deadline (`settings.extraction_timeout`), kept where the work runs
(`vedette.deadline`); a worker that still hasn't answered well after it (stuck in one long
C call, where no signal lands) is killed with its pool, which is replaced; the other jobs
that kill broke are tried again on the new pool.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import multiprocessing
import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util
from pathlib import Path
from typing import Any, TypeVar

from vedette.config import Topic
from vedette.matching import ArticleText, TopicMatch
from vedette.matching.cachefile import cache_path, vet
from vedette.matching.engine import Matcher
from vedette.page import PageResult, read_page

log = logging.getLogger(__name__)
T = TypeVar("T")
_matcher: Matcher | None = None
# How long past its own deadline an extraction may take before its worker is given up
# on: twice the deadline, plus time for the page to travel and the worker to unwind.
BACKSTOP_GRACE = 2.0


class Stuck(Exception):
    """A job outlived its backstop: its worker was killed (or its thread given up on)."""


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

    def __init__(self, workers: int, topics: Sequence[Topic], state: Path | None = None,
                 extraction_timeout: float = 5.0) -> None:
        count = workers or (os.cpu_count() or 1)
        self.processes = count > 1
        # Absolute: workers must find the same file whatever directory they run in.
        self._cache = cache_path(state.absolute()) if state is not None else None
        self._local = Matcher(topics, self._cache) if not self.processes else None
        self._executor: Executor | None = None
        self._count = count
        self._topics = list(topics)
        self.extraction_timeout = extraction_timeout
        # One page per worker at a time: the backstop's clock then starts when the page can
        # start, not while it waits behind others in the executor's queue.
        self._slots = asyncio.Semaphore(count)
        # Pools the backstop killed (weak: a pool is forgotten once no job holds it).
        self._killed: weakref.WeakSet[Executor] = weakref.WeakSet()
        _live.add(self)

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

    async def run(self, function: Callable[..., T], *args: Any, limit: float | None = None) -> T:
        """`function(*args)` in the pool (a picklable module-level function). With `limit`:
        when no answer has come after that many seconds, the job's worker is killed with
        its pool (in-process: its thread is given up on) and Stuck is raised; that job is
        not tried again.

        A job whose pool broke under it is tried again on a new pool: for free when the
        backstop killed the pool for another job (this one was only in the way), once when
        a worker died on its own (it may have been this job that killed it: a job that
        crashes its worker every time then fails instead of looping)."""
        loop = asyncio.get_running_loop()
        crashes = 0
        while True:
            executor = self._pool()
            try:
                future = loop.run_in_executor(executor, function, *args)
            except BrokenProcessPool:
                # Broken before this job reached it (the failures of its running jobs not
                # yet delivered): nothing of this job ran, so nothing is counted.
                self._discard(executor)
                continue
            try:
                done, _ = await asyncio.wait({future}, timeout=limit)
                if not done:
                    future.cancel()
                    self._discard(executor, kill=True)
                    raise Stuck(f"no answer after {limit:g}s")
                return future.result()
            except BrokenProcessPool:
                self._discard(executor)
                if executor in self._killed:
                    # Collateral of the backstop: another job was stuck. Counting this
                    # against the job let a second stuck page, killing the pool again while
                    # it was on its one retry, fail it for good (a lost match).
                    log.info("a job is tried again on a new pool after its pool was killed "
                             "for another job")
                    continue
                # A worker died (out of memory, a crash in a C extension): a broken pool
                # never recovers, so start a new one and give this job one more chance.
                crashes += 1
                if crashes > 1:
                    raise
                log.error("an extraction worker died; restarting the worker pool")

    def _discard(self, executor: Executor, kill: bool = False) -> None:
        """Stop using `executor` (only it: a job retried meanwhile may have a new one)."""
        if self._executor is executor:
            self._executor = None
        if kill and isinstance(executor, ProcessPoolExecutor):
            # Marked before the kill, so every job it breaks knows it was not theirs.
            self._killed.add(executor)
            _kill_workers(executor)
        # Queued jobs are not cancelled: a killed pool fails them as broken, and they are
        # retried on the new one.
        executor.shutdown(wait=False)

    async def extract(self, body: bytes, content_type: str, url: str,
                      with_metadata: bool) -> PageResult:
        """The page decoded and its main text extracted, within the extraction deadline."""
        timeout = self.extraction_timeout
        async with self._slots:
            try:
                return await self.run(read_page, body, content_type, url, with_metadata,
                                       timeout, limit=2 * timeout + BACKSTOP_GRACE)
            except Stuck as exc:
                log.error("extraction of %s did not stop at its deadline (%s); %s", url, exc,
                          "its worker was killed and the pool replaced" if self.processes else
                          "its thread is left to finish and a new one takes the next page")
                return PageResult(None, timed_out=True)

    async def match(self, article: ArticleText) -> list[TopicMatch]:
        if self._local is not None:
            # In-process matching costs less than a thread hop for one article.
            return self._local.match(article)
        return await self.run(_match, article)

    def close(self) -> None:
        """Save what the matcher learnt and let go of it and of the workers: a daemon closes
        the pool of every config a reload replaced, and each held compiled topics."""
        if self._local is not None:
            self._local.save_word_keys()
            self._local = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        _live.discard(self)


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    kill = getattr(executor, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    # Before 3.14 the executor offers no way to stop a running job: its own table of
    # worker processes is the only handle on them.
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.kill()


_live: set[CpuPool] = set()
"""Pools not closed yet: closed at exit, so their matchers' learnt keys are saved."""


@atexit.register
def _close_all() -> None:
    for pool in list(_live):
        pool.close()
