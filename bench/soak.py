"""Daemon soak: `vedette run` crawling a local feed every second, watching memory and timing.

A local site (LocalSite, in this process) serves one RSS feed of the 20 newest stories,
their pages (30–100 KB each, with navigation, sidebars and footers) and robots.txt. Every
`--new-every` feed requests (default 5) a new story is published before the feed is served;
two of every three new stories mention a topic, so matching, storing and an `immediate`
digest to a `file` channel (a temporary folder) happen through the run. The feed carries no
ETag or Last-Modified: every crawl downloads and parses the whole feed.

The daemon is `python -m vedette --config DIR -v --log-format json run`, a subprocess in its
own session, with the source on `schedule: "every 1s"` and `extraction_workers` left at its
default (0 = one process per core, in a forkserver pool). A cycle is one request for
/feed.xml seen by the server. After `--cycles` of them (default 200) and once that crawl
is logged, the daemon gets SIGTERM (between crawls, as an operator's usually lands) and
must exit with status 0.

Memory: VmRSS from /proc/PID/status of the daemon process, and of the daemon plus every
descendant (the forkserver, its extraction workers and multiprocessing's resource tracker),
read when the server sees cycles 10, N/2 and N. The sum counts pages shared between the
processes once per process, so it overstates the total; its growth is what matters.

Scheduling delay: APScheduler plans the first crawl for the moment the daemon schedules
the job (the daemon logs "source:bench is overdue: running it at start" then; the JSON log
line's millisecond timestamp is taken as the first planned start, at most a millisecond or
two after the real one), and every later one 1 s after the previous plan. The actual start
of a crawl is when the server receives its /feed.xml request (same machine, same wall
clock; `-v` logs no line when a crawl starts, only when it ends). Delay = actual start −
planned start; it therefore includes the crawl's start-up (a new Scrapy crawler, the
robots.txt request). A delay of 1 s or more means the scheduler dropped a slot (the crawl
before was still running: one instance at a time) or the loop was blocked; such a crawl
counts with its whole delay, the dropped slots are counted, and later plans continue
from the slot the scheduler used. The crawl duration (feed request to the daemon's
"crawled bench" log line) is printed beside it.

Targets: RSS growth from cycle 10 to the last < 10 %; delay p95 < 1 s.

Run from the repository root: python bench/soak.py [--cycles 200]
(about 4–5 minutes for 200 cycles; e.g. --cycles 30 for a quick run)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from vedette.demo.pages import Story, article_page, recent, rss_feed
from vedette.demo.site import LocalSite, Route

ROOT = Path(__file__).resolve().parent.parent
FEED_SIZE = 20
INTERVAL = 1.0
GROWTH_TARGET = 0.10
DELAY_TARGET = 1.0
STALL = 60.0
WORDS = (
    "defence ministry contract artillery brigade factory production army shells procurement "
    "budget minister parliament agreement Ukraine Lithuania Poland NATO air missile radar "
    "frontline officials said Tuesday programme industry partners"
).split()
MENTIONS = ("The partners agreed on joint production of long-range drones.",
            "Officials confirmed the joint production line will open next year.")


def make_story(number: int, rng: random.Random, *, mentions: bool) -> tuple[Story, str]:
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))) + "."
                  for _ in range(rng.randint(4, 10))]
    if mentions:
        paragraphs.insert(1, MENTIONS[number % len(MENTIONS)])
    story = Story(slug=f"s{number}", title=f"Story {number}: " + " ".join(rng.sample(WORDS, 6)),
                  paragraphs=paragraphs, published=recent(0.01),
                  summary=" ".join(rng.sample(WORDS, 12)),
                  sidebar=[" ".join(rng.sample(WORDS, 8)) for _ in range(12)])
    return story, article_page(story, padding_paragraphs=rng.randint(110, 480))


@dataclass
class Newsroom:
    """The site's state: a feed that grows by one story every `new_every` requests."""

    site: LocalSite
    new_every: int
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    published: list[tuple[str, Story]] = field(default_factory=list)
    feed_times: list[float] = field(default_factory=list)
    robots_times: list[float] = field(default_factory=list)
    page_bytes: int = 0
    _feed: bytes = b""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for _ in range(FEED_SIZE):
            self.publish()
        self.site.routes["/feed.xml"] = Route(handler=self.serve_feed)
        self.site.routes["/robots.txt"] = Route(handler=self.serve_robots)

    @property
    def cycles(self) -> int:
        with self._lock:
            return len(self.feed_times)

    def publish(self) -> None:
        number = len(self.published)
        story, page = make_story(number, self.rng, mentions=number % 3 != 2)
        self.page_bytes += len(page)
        path = f"/news/{story.slug}"
        self.site.add(path, page)  # the page exists before the feed links to it
        self.published.append((self.site.url(path), story))
        newest = list(reversed(self.published[-FEED_SIZE:]))
        self._feed = rss_feed(self.site.base, newest).encode()

    def serve_feed(self, request: BaseHTTPRequestHandler) -> None:
        now = time.time()
        with self._lock:
            self.feed_times.append(now)
            if len(self.feed_times) % self.new_every == 0:
                self.publish()
            body = self._feed
        _reply(request, body, "application/rss+xml")

    def serve_robots(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.robots_times.append(time.time())
        _reply(request, b"User-agent: *\nAllow: /\n", "text/plain")


def _reply(request: BaseHTTPRequestHandler, body: bytes, content_type: str) -> None:
    request.send_response(200)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


# -- the daemon's processes ----------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren, …), from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop()
        found.append(child)
        queue += children.get(child, [])
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Memory:
    cycle: int
    daemon: int
    total: int
    processes: int


def measure(pid: int, cycle: int) -> Memory:
    others = descendants(pid)
    daemon = rss_kib(pid)
    return Memory(cycle, daemon, daemon + sum(rss_kib(p) for p in others), 1 + len(others))


# -- the daemon's log ------------------------------------------------------------------------

def log_entries(path: Path) -> list[dict[str, str]]:
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return entries


def log_time(entry: dict[str, str]) -> float:
    return datetime.fromisoformat(entry["time"]).timestamp()


@dataclass(frozen=True)
class Delays:
    delays: list[float]
    dropped: int


def scheduling_delays(first_plan: float, starts: Sequence[float]) -> Delays:
    """Actual start − planned start per crawl; plans 1 s apart, continued past dropped slots."""
    planned = first_plan - INTERVAL
    delays, dropped = [], 0
    for actual in starts:
        planned += INTERVAL
        delay = actual - planned
        delays.append(delay)
        if delay >= INTERVAL:
            missed = math.floor(delay / INTERVAL)
            dropped += missed
            planned += missed * INTERVAL
    return Delays(delays, dropped)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def summary(values: Sequence[float]) -> str:
    return (f"p50 {statistics.median(values) * 1000:6.0f} ms   p95 "
            f"{percentile(values, 0.95) * 1000:6.0f} ms   max {max(values) * 1000:6.0f} ms")


# -- the run -----------------------------------------------------------------------------------

def write_config(folder: Path, site: LocalSite) -> Path:
    config = folder / "config"
    config.mkdir()
    (config / "all.yaml").write_text(yaml.safe_dump({
        "settings": {"state": str(folder / "state.db")},
        "sources": [{"name": "bench", "type": "feed", "url": site.url("/feed.xml"),
                     "schedule": "every 1s"}],
        "topics": [{"name": "Joint production", "any": ["joint production"]},
                   {"name": "Long-range drones", "any": ["long-range drones"]}],
        "channels": {"archive": {"type": "file", "directory": str(folder / "outbox")}},
        "digests": [{"name": "alerts", "schedule": "immediate", "channels": ["archive"]}],
    }))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=200, help="feed requests to wait for")
    parser.add_argument("--new-every", type=int, default=5,
                        help="publish a new story every N feed requests")
    args = parser.parse_args()
    if args.cycles < 10:
        parser.error("--cycles must be at least 10")
    checkpoints = sorted({10, max(10, args.cycles // 2), args.cycles})

    site = LocalSite().start()
    newsroom = Newsroom(site, args.new_every)
    newsroom.start()
    print(f"site: feed of {FEED_SIZE} stories, pages {newsroom.page_bytes / FEED_SIZE / 1024:.0f} KB "
          f"on average; a new story every {args.new_every} feed requests; {args.cycles} cycles")

    with tempfile.TemporaryDirectory(prefix="vedette-soak-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, site)
        log_path = folder / "daemon.log"
        with open(log_path, "w", encoding="utf-8") as log_file:
            began = time.monotonic()
            daemon = subprocess.Popen(
                [sys.executable, "-m", "vedette", "--config", str(config), "-v",
                 "--log-format", "json", "run"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True)
            samples: list[Memory] = []
            trend: list[Memory] = []  # every tenth of the run, to see where growth happens
            step = max(1, args.cycles // 10)
            try:
                last_cycle, last_change = 0, time.monotonic()
                while len(samples) < len(checkpoints):
                    cycle = newsroom.cycles
                    if cycle >= checkpoints[len(samples)]:
                        samples.append(measure(daemon.pid, checkpoints[len(samples)]))
                    if cycle >= step * (len(trend) + 1):
                        trend.append(measure(daemon.pid, step * (len(trend) + 1)))
                    if cycle != last_cycle:
                        last_cycle, last_change = cycle, time.monotonic()
                    if daemon.poll() is not None or time.monotonic() - last_change > STALL:
                        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
                        raise SystemExit(f"daemon stopped or stalled at cycle {cycle} "
                                         f"(exit status {daemon.returncode}):\n{tail}")
                    time.sleep(0.01)
                elapsed = time.monotonic() - began
                # Stop between crawls: wait for the last cycle's crawl to be logged.
                crawls = sum(1 for e in log_entries(log_path)
                             if e.get("message", "").startswith("crawled bench:"))
                deadline = time.monotonic() + 10
                while crawls < last_cycle and time.monotonic() < deadline:
                    time.sleep(0.01)
                    crawls = sum(1 for e in log_entries(log_path)
                                 if e.get("message", "").startswith("crawled bench:"))
                stopping = time.monotonic()
                daemon.send_signal(signal.SIGTERM)
                status = daemon.wait(60)
                stopped = time.monotonic() - stopping
            finally:
                if daemon.poll() is None:
                    os.killpg(daemon.pid, signal.SIGKILL)
                    daemon.wait(10)
        entries = log_entries(log_path)
        digests = len(list((folder / "outbox").glob("*.json")))
    site.stop()

    overdue = [e for e in entries if "source:bench is overdue" in e.get("message", "")]
    crawled = [log_time(e) for e in entries if e.get("message", "").startswith("crawled bench:")]
    skipped = sum(1 for e in entries if "maximum number of running instances" in e.get("message", ""))
    errors = [e["message"] for e in entries if e.get("level") in ("error", "critical")]
    starts = newsroom.feed_times[:args.cycles]

    print(f"\nran {elapsed:.0f} s; {len(newsroom.feed_times)} feed requests, "
          f"{len(newsroom.robots_times)} robots.txt requests, "
          f"{site.article_requests()} article requests, {len(newsroom.published)} stories "
          f"published, {digests} immediate digests written; {len(errors)} error log lines")
    for message in errors[:5]:
        print(f"  error: {message[:200]}")

    print("\nmemory (VmRSS; 'all' = daemon + forkserver + extraction workers + resource tracker)")
    print(f"{'cycle':>6} {'daemon':>10} {'all':>10} {'processes':>10}")
    for sample in samples:
        print(f"{sample.cycle:6d} {sample.daemon / 1024:8.1f}MB {sample.total / 1024:8.1f}MB "
              f"{sample.processes:10d}")
    print("trend, daemon / all in MB: " + ", ".join(
        f"{m.cycle}: {m.daemon / 1024:.1f}/{m.total / 1024:.1f}" for m in trend))
    first, last = samples[0], samples[-1]
    for label, before, after in (("daemon", first.daemon, last.daemon),
                                 ("all", first.total, last.total)):
        growth = (after - before) / before
        verdict = "PASS" if growth < GROWTH_TARGET else "FAIL"
        print(f"growth {label:6} cycle {first.cycle} → {last.cycle}: {growth * 100:+5.1f} % "
              f"(target < {GROWTH_TARGET * 100:.0f} %) {verdict}")

    print("\nscheduling delay (feed request − planned start; plans 1 s apart from the daemon's "
          "first)")
    if not overdue:
        print("  no 'overdue: running it at start' line in the log: cannot anchor the plan")
    else:
        result = scheduling_delays(log_time(overdue[0]), starts)
        verdict = "PASS" if percentile(result.delays, 0.95) < DELAY_TARGET else "FAIL"
        print(f"  all {len(starts)} crawls:   {summary(result.delays)}   "
              f"(target p95 < {DELAY_TARGET * 1000:.0f} ms) {verdict}")
        if len(result.delays) > 20:
            print(f"  from cycle 11:     {summary(result.delays[10:])}")
        robots = newsroom.robots_times[:len(starts)]
        if len(robots) == len(starts):
            early = scheduling_delays(log_time(overdue[0]), robots)
            print(f"  to the crawl's first request (robots.txt): {summary(early.delays)}")
        print(f"  first crawl {result.delays[0] * 1000:.0f} ms after its plan; slots dropped: "
              f"{result.dropped} (APScheduler 'max instances' skips logged: {skipped})")
    ends = [min((t for t in crawled if t >= start), default=math.nan) for start in starts]
    durations = [end - start for start, end in zip(starts, ends, strict=True) if end == end]
    if durations:
        print(f"  crawl duration (feed request → 'crawled' log line): {summary(durations)}; "
              f"first {durations[0] * 1000:.0f} ms")

    print(f"\nSIGTERM: exit status {status} after {stopped:.1f} s "
          f"({'PASS' if status == 0 else 'FAIL'}: expected 0)")


if __name__ == "__main__":
    main()
