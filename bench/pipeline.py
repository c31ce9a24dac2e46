"""Crawl throughput: `vedette crawl` against a bare Scrapy + trafilatura spider, same run.

A generated local site of N article pages (30–100 KB each, with navigation, sidebars,
related stories and footers) behind one feed, served by a threaded server with a large
listen backlog. Prints articles/s for the bare spider and for Vedette (extraction in one
thread, and in a process pool), their ratio, and a second crawl over the unchanged site.

Run from the repository root: python bench/pipeline.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite

WORDS = (
    "defence ministry contract drone artillery brigade factory production army shells procurement "
    "budget minister parliament agreement Ukraine Lithuania Poland NATO air missile radar frontline "
    "officials said Tuesday programme industry partners"
).split()


def build_site(site: LocalSite, pages: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    items = []
    total = 0
    for number in range(pages):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))) + "."
                      for _ in range(rng.randint(4, 10))]
        if number % 10 == 0:
            paragraphs.insert(1, "The partners agreed on joint production of long-range drones.")
        story = Story(slug=f"a{number}", title=f"Story {number}: " + " ".join(rng.sample(WORDS, 6)),
                      paragraphs=paragraphs, published=recent(1),
                      sidebar=[" ".join(rng.sample(WORDS, 8)) for _ in range(12)])
        page = article_page(story, padding_paragraphs=rng.randint(110, 480))
        total += len(page)
        site.add(f"/news/a{number}", page)
        items.append((site.url(f"/news/a{number}"), story))
    site.add("/feed.xml", rss_feed(site.base, items), content_type="application/rss+xml")
    return total


def vedette_config(folder: Path, site: LocalSite, workers: int) -> Path:
    config = folder / f"config-{workers}"
    config.mkdir()
    (config / "all.yaml").write_text(yaml.safe_dump({
        "settings": {"state": str(folder / f"state-{workers}.db"), "extraction_workers": workers},
        "sources": [{"name": "bench", "type": "feed", "url": site.url("/feed.xml")}],
        "topics": [{"name": "Joint production", "any": ["joint production"]},
                   {"name": "Long-range drones", "any": ["long-range drones"]}],
        "channels": {"archive": {"type": "file", "directory": str(folder / "outbox")}},
        "digests": [{"name": "daily", "schedule": "0 7 * * *", "channels": ["archive"]}],
    }))
    return config


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    site = LocalSite().start()
    size = build_site(site, args.pages)
    print(f"site: {args.pages} pages, {size / args.pages / 1024:.0f} KB average")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = timed([sys.executable, "bench/bare_spider.py", site.url("/feed.xml")])
        print(f"bare Scrapy + trafilatura:      {args.pages / bare:6.1f} articles/s ({bare:.1f} s)")
        configs = {}
        for workers, label in ((1, "one extraction thread"), (0, "extraction process pool")):
            config = vedette_config(folder, site, workers)
            elapsed = timed([sys.executable, "-m", "vedette", "--config", str(config), "crawl"])
            configs[workers] = config
            print(f"vedette crawl, {label}: {args.pages / elapsed:6.1f} articles/s "
                  f"({elapsed:.1f} s) = {bare / elapsed:.2f} × bare")
        before = site.article_requests()
        again = timed([sys.executable, "-m", "vedette", "--config", str(configs[0]), "crawl"])
        print(f"second crawl, unchanged site:   {again:.1f} s, "
              f"{site.article_requests() - before} article requests")
    site.stop()


if __name__ == "__main__":
    main()
