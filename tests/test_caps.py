"""The fair share of a capped digest: every source keeps its matches up to an equal share of
the cap, and what small sources leave unused goes to the larger ones; and fitting one
channel's max_bytes never leaves a digest without an entry silently."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence

import pytest

from alerts.caps import SUMMARY_SOURCES, fair_share, summary_by_source
from alerts.channels.base import Channel
from alerts.fitting import EntryTooBig, Fitter
from alerts.render import ALSO_SHOWN, RenderedDigest, render_digest
from vedette.config.channels.email import EmailChannel as EmailConfig
from vedette.store import PendingItem

START = dt.datetime(2025, 11, 25, 5, 0, tzinfo=dt.UTC)


def items(**per_source: int) -> list[PendingItem]:
    found = []
    for source, count in per_source.items():
        for n in range(count):
            delivery = len(found) + 1
            found.append(PendingItem(
                delivery_id=delivery, match_id=delivery, topic_id="t", topic_name="T",
                url=f"https://{source}.example/{n}", title=f"{source} {n}", source=source,
                published=START + dt.timedelta(minutes=n), terms=("t",), fields=("title",),
                snippet="", snippet_field="title", highlights=(), matched_at=START))
    return found


CASES = {
    "under the cap: all shown": ({"a": 3, "b": 2}, 10, {"a": 3, "b": 2}),
    "one real item beside a flood": ({"spam": 20_000, "real": 1}, 50, {"spam": 49, "real": 1}),
    "equal floods share equally": ({"a": 100, "b": 100, "c": 100}, 10, {"a": 3, "b": 3, "c": 4}),
    "small sources first, the rest shared": ({"a": 2, "b": 50, "c": 50}, 20,
                                             {"a": 2, "b": 9, "c": 9}),
    "more sources than the cap: ties by name": ({"a": 5, "b": 5, "c": 5}, 2, {"a": 1, "b": 1}),
    "more sources than the cap: the lone real item first":
        ({"real": 1, "spam1": 100, "spam2": 100}, 2, {"real": 1, "spam1": 1}),
    "a cap of one beside a flood": ({"spam": 1000, "real": 1}, 1, {"real": 1}),
    "a cap of one, the smallest source": ({"big": 7, "mid": 3, "small": 2}, 1, {"small": 1}),
    "room for the small sources only": ({"a": 1, "b": 2, "flood": 500, "c": 1}, 3,
                                        {"a": 1, "c": 1, "b": 1}),
    "the small sources' one each, then the rest": ({"a": 1, "b": 1, "x": 50, "y": 50}, 5,
                                                   {"a": 1, "b": 1, "x": 1, "y": 2}),
    "a cap of none": ({"a": 5}, 0, {}),
}


@pytest.mark.parametrize("sources,limit,expected", CASES.values(), ids=CASES.keys())
def test_each_source_keeps_a_fair_share(sources: dict[str, int], limit: int,
                                        expected: dict[str, int]) -> None:
    pending = items(**sources)
    selection = fair_share(pending, limit)
    assert dict(Counter(i.source for i in selection.shown)) == expected
    assert len(selection.shown) + len(selection.summarised) == len(pending)
    assert {i.delivery_id for i in selection.shown}.isdisjoint(
        i.delivery_id for i in selection.summarised)


def test_each_source_keeps_its_newest_matches() -> None:
    selection = fair_share(items(a=10, b=10), 4)
    assert sorted(i.title for i in selection.shown) == ["a 8", "a 9", "b 8", "b 9"]


def test_summary_names_the_largest_sources_and_counts_the_rest() -> None:
    many = {f"s{n:02d}": n + 1 for n in range(SUMMARY_SOURCES + 5)}
    summary = summary_by_source(items(**many))
    assert len(summary) == SUMMARY_SOURCES + 1
    assert summary[0] == (f"s{SUMMARY_SOURCES + 4:02d}", SUMMARY_SOURCES + 5)
    assert summary[-1] == ("", 1 + 2 + 3 + 4 + 5)


def render(shown: Sequence[PendingItem], left: Sequence[PendingItem]) -> RenderedDigest:
    return render_digest("daily", shown, timezone="UTC", generated_at=START, summarised=left)


def email_channel() -> Channel:
    return Channel.create("mail", EmailConfig.model_validate(
        {"type": "email", "host": "127.0.0.1", "from": "v@example.org",
         "to": ["a@example.org"], "max_bytes": "16KiB"}))


def widely_copied(copies: int) -> PendingItem:
    [story] = items(real=1)
    return dataclasses.replace(story, also=tuple(
        (f"outlet-{n}", f"https://outlet-{n}.example/world/2025/11/25/allies-sign-joint-"
                        f"production-deal-for-artillery-shells-{n}") for n in range(copies)))


def test_a_story_copied_by_hundreds_names_some_outlets_and_counts_the_rest() -> None:
    rendered = render([widely_copied(ALSO_SHOWN + 190)], [])
    assert "outlet-9 " in rendered.text and "outlet-10 " not in rendered.text
    assert "; and 190 more\n" in rendered.text
    assert ", and 190 more</p>" in rendered.html


def test_a_story_copied_by_hundreds_still_fits_a_small_email() -> None:
    rendered = Fitter([widely_copied(500)], email_channel(), render).fit()
    assert len(rendered.items) == 1 and rendered.summarised_ids == ()


def test_an_entry_larger_than_max_bytes_is_a_failure_not_a_summary() -> None:
    [story] = items(real=1)
    huge = dataclasses.replace(story, snippet="joint production " * 5000)
    with pytest.raises(EntryTooBig, match=r"not even one entry fits within max_bytes "
                                          r"\(16,384 bytes"):
        Fitter([huge], email_channel(), render).fit()
