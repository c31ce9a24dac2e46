"""One article page, from the bytes the server sent to its main text, within a deadline:
decoded (charset detection when the declared UTF-8 is not), then extracted. Runs where
extraction runs: in a worker process, or in the in-process extraction thread."""

from __future__ import annotations

from dataclasses import dataclass

from vedette.charsets import decode_page
from vedette.deadline import DeadlineExceeded, deadline
from vedette.extract import Extracted, extract_article


@dataclass(frozen=True)
class PageResult:
    extracted: Extracted | None   # None: no main text, or out of time
    redecoded: bool = False       # decoded by charset detection (declared UTF-8, but not)
    timed_out: bool = False       # stopped at the extraction deadline


def read_page(body: bytes, content_type: str, url: str, with_metadata: bool,
              timeout: float) -> PageResult:
    """The page's text extracted within `timeout` seconds (decoding included)."""
    redecoded = False
    try:
        with deadline(timeout):
            decoded = decode_page(body, content_type)
            redecoded = decoded.redecoded
            return PageResult(extract_article(decoded.text, url, with_metadata), redecoded)
    except DeadlineExceeded:  # by name: a BaseException, which nothing else here catches
        # Answered as a result, not raised: this is the function the worker runs, and a
        # BaseException would cross into the reactor as one (Scrapy's Twisted code only
        # expects Exceptions there).
        return PageResult(None, redecoded, timed_out=True)
