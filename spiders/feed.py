"""The feed spider: reads an RSS/Atom/JSON feed, fetches each new item's page, extracts its text."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from spiders.base import SourceSpider
from spiders.feeds import FeedEntry, FeedError, parse_feed
from spiders.items import ArticleItem
from vedette.charsets import utf8_feed
from vedette.errors import StateError
from vedette.page import PageResult
from vedette.urls import canonical_url

log = logging.getLogger(__name__)

_HTML_TYPES = (b"text/html", b"application/xhtml+xml")


class FeedSpider(SourceSpider):
    """Reads one `type: feed` source: `scrapy crawl feed -a source=NAME`."""

    name = "feed"
    source_type = "feed"

    async def start_requests_for_source(self) -> AsyncIterator[Any]:
        url = str(self.source.url)
        etag, last_modified = self.context.store.feeds.validators(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.validators: tuple[str | None, str | None] | None = None
        yield Request(
            url, headers=headers, callback=self.parse_feed, errback=self.feed_failed,
            dont_filter=True, meta={"handle_httpstatus_list": [304]}, priority=10,
        )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            log.info("%s: feed not modified", self.source.name)
            return
        stats = self.crawler.stats
        assert stats is not None
        body = response.body
        repaired = utf8_feed(body, _header(response, b"Content-Type"))
        if repaired is not None:
            # Declared UTF-8 but not: read as the charset detected, and counted.
            stats.inc_value("vedette/redecoded")
            log.info("%s: feed is not the UTF-8 it declares; decoded by charset detection",
                     self.source.name)
            body = repaired
        try:
            entries = parse_feed(body, _headers(response))
        except FeedError as exc:
            self.fail(f"{response.url}: {exc}")
            return
        self.validators = (_header(response, b"ETag"), _header(response, b"Last-Modified"))
        by_url: dict[str, FeedEntry] = {}
        for entry in entries:
            try:
                by_url.setdefault(canonical_url(entry.link), entry)
            except ValueError as exc:  # a malformed link (bad port, broken IPv6) costs one item
                stats.inc_value("vedette/bad_links")
                log.warning("%s: skipping item with bad link %r: %s", self.source.name,
                            entry.link[:200], exc)
        stats.inc_value("vedette/entries", len(by_url))
        try:
            known = self.context.store.articles.known_urls(by_url)
        except StateError:
            self.stop_for_state()
            return
        stats.inc_value("vedette/known_entries", len(known))
        for url, entry in by_url.items():
            if url in known:
                continue
            alertable = self.is_alertable(entry.published)
            if self.source.follow and alertable and self.may_follow(entry.link):
                yield Request(
                    entry.link, callback=self.parse_article, errback=self.article_failed,
                    cb_kwargs={"url": url, "entry": entry}, dont_filter=True,
                )
            else:
                if self.source.follow and alertable:
                    stats.inc_value("vedette/offsite_links")
                    log.info("%s: not following %s (host not allowed)", self.source.name, entry.link)
                yield self._from_feed(url, entry, alertable)

    async def parse_article(self, response: Response, url: str, entry: FeedEntry) -> Any:
        stats = self.crawler.stats
        assert stats is not None
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        if not isinstance(response, TextResponse) or not content_type.startswith(_HTML_TYPES):
            stats.inc_value("vedette/not_html")
            return self._fallback(url, entry, f"not HTML ({content_type.decode(errors='replace')})")
        need_metadata = not entry.title or entry.published is None
        try:
            # The bytes, not response.text: decoding happens in the worker, where a page
            # declared UTF-8 that is not can go to charset detection off the reactor.
            page = await self.context.cpu.extract(response.body, content_type.decode("latin-1"),
                                                  response.url, need_metadata)
        except Exception as exc:  # a worker crash must cost one page, not the crawl
            log.warning("%s: extraction failed for %s: %s", self.source.name, response.url, exc)
            page = PageResult(None)
        if page.redecoded:
            stats.inc_value("vedette/redecoded")
            log.info("%s: %s is not the UTF-8 it declares; decoded by charset detection",
                     self.source.name, response.url)
        if page.timed_out:
            stats.inc_value("vedette/extraction_timeouts")
            return self._fallback(url, entry, "extraction took longer than "
                                  f"{self.context.cpu.extraction_timeout:g}s")
        extracted = page.extracted
        if extracted is None:
            return self._fallback(url, entry, "no main text")
        return ArticleItem(
            url=url, link=entry.link, source=self.source.name,
            title=entry.title or extracted.title,
            summary=entry.summary, body=extracted.text,
            language=extracted.language or entry.language,
            published=entry.published or extracted.published,
            text_source="page", alertable=self.is_alertable(entry.published or extracted.published),
            fingerprint=extracted.fingerprint,
        )

    def article_failed(self, failure: Failure) -> ArticleItem:
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errbacks
        reason = failure.getErrorMessage() or type(failure.value).__name__
        return self._fallback(request.cb_kwargs["url"], request.cb_kwargs["entry"], reason)

    def feed_failed(self, failure: Failure) -> None:
        reason = failure.getErrorMessage() or type(failure.value).__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        self.fail(f"{self.source.url}: {reason}")

    def _fallback(self, url: str, entry: FeedEntry, reason: str) -> ArticleItem:
        """The page could not be used: match the feed's own title and summary instead."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vedette/fallbacks")
        log.info("%s: using feed text for %s (%s)", self.source.name, entry.link, reason)
        return self._from_feed(url, entry, self.is_alertable(entry.published))

    def _from_feed(self, url: str, entry: FeedEntry, alertable: bool) -> ArticleItem:
        return ArticleItem(
            url=url, link=entry.link, source=self.source.name, title=entry.title,
            summary=entry.summary, language=entry.language, published=entry.published,
            text_source="feed", alertable=alertable,
        )

    def record_run(self, spider: Any, reason: str) -> None:
        # Save the validators only after a clean, complete pass over the feed: otherwise a
        # 304 next time would hide the items this run did not store.
        # Set with the first request: a crawl may end before it.
        validators: tuple[str | None, str | None] | None = getattr(self, "validators", None)
        if self.run_failed(reason) is None and validators:
            etag, last_modified = validators
            with contextlib.suppress(StateError):  # the store keeps it; the run isn't recorded
                self.context.store.feeds.save_validators(str(self.source.url), etag,
                                                         last_modified)
        super().record_run(spider, reason)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
