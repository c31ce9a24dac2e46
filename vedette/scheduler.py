"""The daemon: one loop (Twisted's asyncio reactor) running APScheduler jobs — one per
source (crawl), one per digest (send) — until SIGTERM/SIGINT.

Catch-up: a digest that fell due while the daemon was down is sent once at start; overdue
sources are crawled soon after start, spread out. The config folder is watched: a valid
edit is applied without a restart (SIGHUP applies it at once), an invalid one is logged
and the running config stays.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.digest import ChannelOutcome
from vedette.app import App
from vedette.config import Config, ConfigError, load_config
from vedette.config.reload import refused_reload
from vedette.config.secrets import loaded_secrets
from vedette.config_watch import ConfigWatch
from vedette.crawling import make_runner
from vedette.errors import StateError

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(minutes=10)
CATCH_UP_SPREAD = timedelta(seconds=2)
STOP_DEADLINE = 30.0


def source_job(name: str) -> str:
    return f"source:{name}"


def digest_job(name: str) -> str:
    return f"digest:{name}"


def _due_since(trigger: Any, last: datetime, now: datetime) -> bool:
    """Did `trigger` fire (or should it have) between `last` and `now`?"""
    if isinstance(trigger, IntervalTrigger):
        # An interval trigger counts from its start date (now), not from the last run.
        return bool(last + trigger.interval <= now)
    fire = trigger.get_next_fire_time(None, last)
    return fire is not None and fire <= now


class Daemon:
    def __init__(self, config: Config, log_level: str = "WARNING",
                 watch_interval: float = 2.0,
                 on_fault: Callable[[], None] | None = None,
                 redact: Callable[[Iterable[str]], None] | None = None) -> None:
        self.config = config
        self.log_level = log_level
        self.runner = make_runner(None)  # each crawl brings its context's settings
        self.app = App(config, log_level=log_level, runner=self.runner)
        self.watch = ConfigWatch(config.directory)
        self.watch_interval = watch_interval
        self.scheduler: AsyncIOScheduler | None = None
        self.stopping = False
        # The state failed (read-only, full, damaged, replaced): the daemon stops, and
        # `on_fault` ends the process (its exit status is the fault's).
        self.fault: StateError | None = None
        self.on_fault = on_fault
        # Adds values to the log's redaction: a reload can bring secrets start-up never saw.
        self.redact = redact
        # Apps a reload replaced, each closed once no crawl uses it (crawls in use, by
        # id(app)): a crawl under way finishes with the config it started with.
        self._retired: list[App] = []
        self._crawls: dict[int, int] = {}

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Called inside the running loop (APScheduler binds to it)."""
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds())})
        self._schedule(catch_up=True)
        self.scheduler.add_job(self.reload_if_changed, IntervalTrigger(
            seconds=self.watch_interval), id="config-watch")
        self.scheduler.start()
        if any(d.schedule.immediate for d in self.config.digests):
            # Matches stored before a stop (or a crash) but not yet sent go out now.
            self.scheduler.add_job(self._send_immediate, id="immediate-catch-up")
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
        log.warning("daemon started: %d sources, %d digests", len(self.config.sources),
                    len(self.config.digests))

    async def stop(self) -> None:
        """Stop scheduling, let running crawls stop cleanly (bounded), flush state."""
        self.stopping = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        try:
            await asyncio.wait_for(self._stop_crawls(), STOP_DEADLINE)
        except TimeoutError:
            log.error("crawls did not stop within %.0f s; exiting anyway", STOP_DEADLINE)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for app in self._retired:
            app.close_pool()
        self.app.close()
        log.warning("daemon stopped")

    async def _stop_crawls(self) -> None:
        await self.runner.stop()
        await self.runner.join()

    # -- jobs ----------------------------------------------------------------------------

    def _schedule(self, catch_up: bool) -> None:
        """Add, change or remove jobs so they match self.config."""
        assert self.scheduler is not None
        now = datetime.now(UTC)
        store = self.app.store
        wanted: dict[str, tuple[Callable[..., Any], Any, str]] = {}
        default_zone = ZoneInfo(self.config.settings.timezone)
        for source in self.config.sources:
            schedule = source.effective_schedule
            wanted[source_job(source.name)] = (self.crawl_job, schedule.trigger(default_zone),
                                               str(schedule))
        for digest in self.config.digests:
            if not digest.schedule.immediate:
                zone = ZoneInfo(self.config.digest_timezone(digest))
                wanted[digest_job(digest.name)] = (
                    self.digest_job, digest.schedule.trigger(zone),
                    f"{digest.schedule} {zone.key}")
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("source:", "digest:")) and job.id not in wanted:
                job.remove()
                log.warning("unscheduled %s", job.id)
        overdue = 0
        for job_id, (function, trigger, label) in wanted.items():
            existing = self.scheduler.get_job(job_id)
            if existing is not None and existing.name == label:
                continue  # unchanged: keep its place in time
            next_run = trigger.get_next_fire_time(None, now)
            last = store.daemon.last_job_run(job_id)
            if catch_up and existing is None:
                if last is None and job_id.startswith("digest:"):
                    store.daemon.record_job_run(job_id, now)  # from now on, a missed slot is known
                elif last is None or _due_since(trigger, last, now):
                    next_run = now + CATCH_UP_SPREAD * overdue
                    overdue += 1
                    log.warning("%s is overdue: running it at start", job_id)
            self.scheduler.add_job(function, trigger, args=[job_id.split(":", 1)[1]],
                                   id=job_id, name=label, next_run_time=next_run,
                                   replace_existing=True)

    async def crawl_job(self, name: str) -> None:
        if self.stopping:
            return
        try:
            source = self.config.source(name)
        except KeyError:
            return
        app = self.app
        self._crawls[id(app)] = self._crawls.get(id(app), 0) + 1
        try:
            app.store.daemon.record_job_run(source_job(name), datetime.now(UTC))
            [outcome] = await app.crawl([source])
            if outcome.ok and outcome.run is not None:
                log.info("crawled %s: %d new, %d matches", name, outcome.run.new_articles,
                         outcome.run.matches)
            else:
                log.error("source %s: %s", name, outcome.error)
            # What follows goes by the config as it is now (a reload during the crawl may
            # have added a channel); the immediate digests also retry what an earlier send
            # left pending.
            current = self.app
            sent = await current.after_crawl([name], immediate=not self.stopping)
            self._log_deliveries(sent)
            if not self.stopping:
                for digest in current.config.digests:
                    if digest.schedule.immediate:
                        current.store.daemon.record_job_run(digest_job(digest.name), datetime.now(UTC))
        except StateError as exc:
            self._state_failed(exc)
        finally:
            self._crawls[id(app)] -= 1
            if not self._crawls[id(app)]:
                del self._crawls[id(app)]
            self._close_retired()

    async def digest_job(self, name: str) -> None:
        if self.stopping:
            return
        try:
            digest = self.config.digest(name)
        except KeyError:
            return
        try:
            self._log_deliveries(await self.app.send_digests([digest]))
            self.app.store.daemon.record_job_run(digest_job(name), datetime.now(UTC))
        except StateError as exc:
            self._state_failed(exc)

    @staticmethod
    def _log_deliveries(outcomes: list[ChannelOutcome]) -> None:
        for outcome in outcomes:
            if outcome.failed:
                log.error("digest %s via %s: %s", outcome.digest, outcome.channel,
                          outcome.error)
            elif outcome.status == "sent":
                log.info("digest %s via %s: %d matches sent", outcome.digest, outcome.channel,
                         outcome.items)

    def _state_failed(self, exc: StateError) -> None:
        """One line, then a clean stop: with its state failed the daemon can record nothing,
        and going on would send what it can't record or alert again what it forgot."""
        self.stopping = True
        if self.fault is None:
            self.fault = exc
            log.error("%s", exc)
            if self.on_fault is not None:
                self.on_fault()

    async def _send_immediate(self) -> None:
        for digest in self.config.digests:
            if digest.schedule.immediate:
                await self.digest_job(digest.name)

    # -- reload --------------------------------------------------------------------------

    def _on_sighup(self) -> None:
        log.warning("SIGHUP: reloading the config")
        asyncio.get_running_loop().create_task(self.reload_if_changed(force=True))

    async def reload_if_changed(self, force: bool = False) -> None:
        """Apply the edited config folder, or keep running the config as it is: an invalid
        or hostile edit (an alias bomb, a file emptied by accident) is one log line per
        problem, never the end of the daemon."""
        if self.stopping or not (self.watch.changed() or force):
            return
        try:
            config = load_config(self.config.directory)
            if self.redact is not None:
                # Before anything can log them, whether or not this config is applied; the
                # old secrets stay redacted too (a crawl may still run with them).
                self.redact(loaded_secrets(config))
            problems = refused_reload(self.config, config)
            if not problems:
                app = App(config, store=self.app.store, log_level=self.log_level,
                          runner=self.runner, digest_locks=self.app.digest_locks)
        except ConfigError as exc:
            problems = exc.problems
        except Exception as exc:  # a fault of ours: the old config keeps running all the same
            # The type only: a message could quote a value from the files (a secret).
            log.error("config not reloaded: reading it failed (%s); the running config stays",
                      type(exc).__name__)
            return
        if problems:
            for problem in problems:
                log.error("config not reloaded: %s", problem)
            return
        self._retired.append(self.app)
        self.config = config
        self.app = app
        self._schedule(catch_up=False)
        self._close_retired()
        log.warning("config reloaded: %d sources, %d digests", len(config.sources),
                    len(config.digests))

    def _close_retired(self) -> None:
        """Close the worker pools of replaced configs that no crawl uses any more, and let
        go of them (and their compiled topics)."""
        unused = [a for a in self._retired if id(a) not in self._crawls]
        for app in unused:
            app.close_pool()
            log.info("closed the worker pool of a replaced config")
        self._retired = [a for a in self._retired if id(a) in self._crawls]
