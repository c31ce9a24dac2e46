"""A crawl that failed outside its spider is recorded once: on the run it left unfinished,
or on a new run when it failed before starting one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

from scrapy.exceptions import NotConfigured

from vedette.context import CrawlContext
from vedette.crawling import _crashed
from vedette.store import Store


def test_only_the_latest_run_of_the_source_counts_as_unfinished(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        assert store.runs.unfinished("wire") is None
        first = store.runs.start("wire")
        store.runs.start("other")
        assert store.runs.unfinished("wire") == first
        store.runs.finish(first, status="ok", items=1, new_articles=1, matches=0, fallbacks=0,
                          errors=0, last_error=None)
        assert store.runs.unfinished("wire") is None


def test_a_crash_finishes_the_run_it_left_unfinished(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        context = cast(CrawlContext, SimpleNamespace(store=store))
        started = store.runs.start("wire")
        run = _crashed(context, "wire", RuntimeError("boom"))
        assert run is not None
        assert (run.status, run.errors, run.last_error) == ("failed", 1, "crawl crashed: boom")
        assert store.runs.unfinished("wire") is None
        assert store.runs.consecutive_failures("wire") == 1  # that run, not a second one
        assert store.runs.start("wire") == started + 1


def test_a_crash_before_any_run_is_recorded_on_a_new_one(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        context = cast(CrawlContext, SimpleNamespace(store=store))
        run = _crashed(context, "wire", NotConfigured("no such source type"))
        assert run is not None
        assert (run.source, run.status) == ("wire", "failed")
        assert run.last_error == "not crawled: no such source type"
        assert store.runs.consecutive_failures("wire") == 1
