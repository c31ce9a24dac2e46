"""What the state's guards cost: the check that the path still names the opened file (one
stat() before each write), the ledger's write check before a channel sends, `status`'s
quick_check, and `state backup`.

Each article is one transaction with synchronous=FULL, so the commit's fsync is the cost
the identity check is compared with. Prints microseconds per article with and without the
check, the write check's cost, and quick_check and backup times for a state of N articles.

Run from the repository root: python bench/state.py [--articles 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vedette.store import NewArticle, Store, backup_state

BODY = "The allies agreed on joint production of drones and shells this week. " * 60


def article(number: int) -> NewArticle:
    return NewArticle(url=f"https://example.org/news/{number}", source="wire",
                      title=f"Story {number}", summary="", body=BODY + str(number),
                      language="en", published=None, text_source="page",
                      fingerprint=None, alertable=True)


def per_article(store: Store, start: int, count: int) -> float:
    """Microseconds per stored article (one transaction each), the median of five rounds."""
    rounds = []
    for round_number in range(5):
        first = start + round_number * count
        began = time.perf_counter()
        for number in range(first, first + count):
            store.articles.save(article(number), [], {})
        rounds.append((time.perf_counter() - began) / count * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "vedette.db"
        with Store(state) as store:
            checked = per_article(store, 0, 200)
            guard = store.database.check_same_file
            store.database.check_same_file = lambda: None  # type: ignore[method-assign]
            unchecked = per_article(store, 10_000, 200)
            store.database.check_same_file = guard  # type: ignore[method-assign]
            began = time.perf_counter()
            for _ in range(200):
                guard()
            stat = (time.perf_counter() - began) / 200 * 1e6
            began = time.perf_counter()
            for _ in range(50):
                store.check_writable()
            probe = (time.perf_counter() - began) / 50 * 1e3
            print(f"article stored:  {checked:.0f} µs with the identity check, "
                  f"{unchecked:.0f} µs without (the check alone: {stat:.1f} µs)")
            print(f"write check:     {probe:.2f} ms per channel send")
            store.articles.save_many(article(number)
                                     for number in range(20_000, 20_000 + args.articles))
            began = time.perf_counter()
            assert store.integrity_problems() == []
            check = time.perf_counter() - began
        size = state.stat().st_size / 1e6
        began = time.perf_counter()
        backup_state(state, Path(folder) / "backup.db")
        copied = time.perf_counter() - began
        print(f"quick_check:     {check:.2f} s for {size:.0f} MB (file in the page cache)")
        print(f"state backup:    {copied:.2f} s for {size:.0f} MB (copy, check, rename)")


if __name__ == "__main__":
    main()
