"""What decoding and the extraction deadline cost per page.

- Decoding: the strict UTF-8 decode every page now goes through, against Scrapy's
  decode with replacement it replaces; and, for a page declared UTF-8 that is cp1251,
  charset detection (only such pages pay it).
- The deadline: entering and leaving `deadline()` around a page, in a process's main
  thread (a SIGALRM timer, as in the worker processes) and in another thread (a timer
  thread, as with extraction_workers: 1); against extracting the page itself.
- A pathological page (nested blocks of links): its extraction time without a deadline.

Run from the repository root: python bench/page_text.py
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from w3lib.encoding import html_to_unicode

from vedette.charsets import decode_page
from vedette.deadline import DeadlineExceeded, deadline
from vedette.demo.pages import Story, article_page
from vedette.extract import extract_article

HEADER = "text/html; charset=utf-8"
UA = ["Україна та Литва домовилися про спільне виробництво дронів великої дальності.",
      "Міністр оборони заявив, що перші зразки будуть готові до кінця року."]


def median_us(work: Callable[[], object], rounds: int = 200) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def in_thread(work: Callable[[], float]) -> float:
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0]


def pathological() -> str:
    words = "Officials described the programme and its budget in a long sentence here. "
    links = "".join(f'<a href="/l/{j}">link {j}</a> {words}' for j in range(50))
    return ("<html lang='en'><body>"
            + "".join(f"<div class='c{i}'><p>{words}{links}</p>" for i in range(200))
            + "</div>" * 200 + "</body></html>")


def main() -> None:
    for padding in (3, 40, 400):
        html = article_page(Story(slug="ua", title="Спільне виробництво", paragraphs=UA,
                                  lang="uk"), padding_paragraphs=padding)
        utf8, cp1251 = html.encode("utf-8"), html.encode("cp1251")
        before = median_us(lambda b=utf8: html_to_unicode(HEADER, b))
        now = median_us(lambda b=utf8: decode_page(b, HEADER))
        detect = median_us(lambda b=cp1251: decode_page(b, HEADER), rounds=50)
        extract = median_us(lambda h=html: extract_article(h, "http://x/a"), rounds=20)
        print(f"page {len(utf8) / 1024:6.1f} KiB: decode valid UTF-8 {now:7.1f} µs "
              f"(Scrapy's decode {before:7.1f} µs); cp1251 declared UTF-8, detected "
              f"{detect / 1000:6.2f} ms; extraction {extract / 1000:6.1f} ms")
    empty = median_us(lambda: None, rounds=2000)

    def block() -> None:
        with deadline(5):
            pass

    main_thread = median_us(block, rounds=2000) - empty
    other_thread = in_thread(lambda: median_us(block, rounds=2000)) - empty
    print(f"deadline per page: {main_thread:.1f} µs in a worker's main thread (SIGALRM timer), "
          f"{other_thread:.1f} µs in the extraction thread (timer thread)")
    page = pathological()
    start = time.perf_counter()
    extract_article(page, "http://x/slow")
    print(f"pathological page ({len(page) / 1024:.0f} KiB, 200 nested blocks of 50 links): "
          f"{time.perf_counter() - start:.1f} s to extract without a deadline")
    start = time.perf_counter()
    try:
        with deadline(0.5):
            extract_article(page, "http://x/slow")
    except DeadlineExceeded as exc:
        print(f"with a 0.5 s deadline: {type(exc).__name__} after "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
