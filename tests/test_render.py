"""Rendering digests: grouping, times, subject, JSON data, and hostile scraped content.

Covers RELIABILITY items 11 (script, attribute breakout, javascript: links) and 12
(template syntax in scraped text is data, never compiled).
"""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from alerts import RenderedDigest, batch_id, render_digest
from alerts.safetext import clean_line, safe_link, snippet_segments
from vedette.matching import Snippet
from vedette.store import PendingItem

HOSTILE = json.loads(
    (Path(__file__).parent / "fixtures" / "hostile" / "titles.json").read_text(encoding="utf-8"))
NOW = dt.datetime(2025, 11, 25, 5, 0, tzinfo=dt.UTC)
SNIPPET = "Lithuania and Ukraine agree joint production of long-range drones in Vilnius."


def item(delivery_id: int, *, topic: str = "Joint production", title: str = "A story",
         url: str = "https://example.org/story", published: dt.datetime | None = NOW,
         snippet: str = SNIPPET, highlights: tuple[tuple[int, int], ...] | None = None,
         terms: tuple[str, ...] = ("joint production",),
         term_fields: tuple[tuple[str, ...], ...] = (),
         more_snippets: tuple[Snippet, ...] = ()) -> PendingItem:
    if highlights is None:
        start = snippet.find("joint production")
        highlights = ((start, start + 16),) if start >= 0 else ()
    return PendingItem(
        delivery_id=delivery_id, match_id=delivery_id, topic_id=topic.lower().replace(" ", "-"),
        topic_name=topic, url=url, title=title, source="defense-news", published=published,
        terms=terms, fields=("body",), snippet=snippet, snippet_field="body",
        highlights=highlights, matched_at=NOW, term_fields=term_fields,
        more_snippets=more_snippets,
    )


def render(*items: PendingItem, **options: Any) -> RenderedDigest:
    options = {"timezone": "Europe/Vilnius", "generated_at": NOW, **options}
    return render_digest("morning", items, **options)


class Structure(HTMLParser):
    """Every tag and attribute of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "a", "span",
                "strong", "mark"}


# -- structure ------------------------------------------------------------------------------

def test_groups_by_topic_in_first_appearance_order_newest_first() -> None:
    rendered = render(
        item(1, topic="Long-range drones", title="Old drones",
             published=NOW - dt.timedelta(days=1)),
        item(2, topic="Joint production", title="JV signed"),
        item(3, topic="Long-range drones", title="New drones"),
    )
    assert [i.title for i in rendered.items] == ["New drones", "Old drones", "JV signed"]
    assert rendered.text.index("== Long-range drones (2) ==") < rendered.text.index(
        "== Joint production (1) ==")
    assert rendered.text.index("New drones") < rendered.text.index("Old drones")
    assert rendered.subject == "3 new: Long-range drones (2), Joint production (1)"
    assert rendered.delivery_ids == (1, 2, 3)


def test_topic_order_by_id_or_name_wins_over_appearance() -> None:
    items = (item(1, topic="Long-range drones"), item(2, topic="Joint production"),
             item(3, topic="Air defence"))
    by_id = render(*items, topic_order=["joint-production", "air-defence"])
    by_name = render(*items, topic_order=["Joint production", "Air defence"])
    for rendered in (by_id, by_name):
        assert [i.topic_name for i in rendered.items] == [
            "Joint production", "Air defence", "Long-range drones"]


def test_times_are_shown_in_the_digest_timezone() -> None:
    rendered = render(item(1, published=dt.datetime(2025, 7, 1, 5, 30, tzinfo=dt.UTC)),
                      item(2, published=None, title="Undated"), timezone="Europe/Kyiv")
    assert "2025-07-01 08:30 EEST" in rendered.text and "2025-07-01 08:30 EEST" in rendered.html
    assert "generated 2025-11-25 07:00 EET" in rendered.text
    assert "time unknown" in rendered.text and "time unknown" in rendered.html


def test_each_article_has_link_source_terms_and_highlighted_snippet() -> None:
    rendered = render(item(1, title="Ukraine & Lithuania: JV", terms=("joint production", "JV")))
    assert '<a href="https://example.org/story"' in rendered.html
    assert "Ukraine &amp; Lithuania: JV</a>" in rendered.html
    assert "defense-news" in rendered.html and "matched: joint production, JV" in rendered.html
    assert "agree <mark" in rendered.html and ">joint production</mark> of" in rendered.html
    assert "* Ukraine & Lithuania: JV" in rendered.text
    assert "  https://example.org/story" in rendered.text
    assert "agree **joint production** of long-range drones" in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>") and "<style" not in rendered.html


def test_subject_counts_and_shortens() -> None:
    assert render().subject == "No new matches"
    many = render(*(item(n, topic=f"Topic number {n:02d} with a longish name") for n in range(9)))
    assert many.subject.startswith("9 new: Topic number 00 with a longish name (1), ")
    assert many.subject.endswith(" more") and len(many.subject) <= 150


def test_empty_digest_renders() -> None:
    rendered = render()
    assert "Nothing new matched" in rendered.text and "Nothing new matched" in rendered.html
    assert rendered.data["matches"] == [] and rendered.delivery_ids == ()


def test_batch_id_depends_on_digest_and_deliveries_only() -> None:
    first = render(item(1), item(2))
    assert render(item(2), item(1), generated_at=NOW + dt.timedelta(hours=1),
                  timezone="UTC").batch_id == first.batch_id
    assert render(item(1), item(3)).batch_id != first.batch_id
    assert render_digest("evening", first.items, timezone="UTC",
                         generated_at=NOW).batch_id != first.batch_id
    assert first.batch_id == batch_id("morning", [2, 1])


def test_data_follows_the_design_format() -> None:
    more = Snippet("body", "Talks on long-range drones continue.", ((9, 26),))
    rendered = render(item(1, title="Спільне виробництво", url="https://example.org/ua",
                           terms=("joint production", "long-range drones"),
                           term_fields=(("title", "body"), ("body",)), more_snippets=(more,)),
                      item(2, topic="Long-range drones", published=None))
    data = json.loads(json.dumps(rendered.data, ensure_ascii=False))
    start = SNIPPET.find("joint production")
    assert data == {
        "digest": "morning",
        "generated_at": "2025-11-25T05:00:00+00:00",
        "matches": [
            {"topic": "Joint production", "topic_id": "joint-production",
             "url": "https://example.org/ua", "title": "Спільне виробництво",
             "source": "defense-news", "published": "2025-11-25T05:00:00+00:00",
             "terms": ["joint production", "long-range drones"], "snippet": SNIPPET,
             # Beyond the design's keys: where each term hit, and every snippet in full.
             "hits": [{"term": "joint production", "fields": ["title", "body"]},
                      {"term": "long-range drones", "fields": ["body"]}],
             "snippets": [
                 {"field": "body", "text": SNIPPET, "highlights": [[start, start + 16]]},
                 {"field": "body", "text": more.text, "highlights": [[9, 26]]}]},
            {"topic": "Long-range drones", "topic_id": "long-range-drones",
             "url": "https://example.org/story", "title": "A story", "source": "defense-news",
             "published": None, "terms": ["joint production"], "snippet": SNIPPET,
             "hits": [{"term": "joint production", "fields": []}],  # stored before fields were
             "snippets": [
                 {"field": "body", "text": SNIPPET, "highlights": [[start, start + 16]]}]},
        ],
    }


def test_each_term_shows_its_fields_and_further_sentences_follow_the_first() -> None:
    more = Snippet("body", "Talks on long-range drones <continue>.", ((9, 26),))
    rendered = render(item(1, terms=("joint production", "long-range drones"),
                           term_fields=(("title", "body"), ("body",)), more_snippets=(more,)))
    assert "matched: joint production (title, body), long-range drones (body)" in rendered.text
    assert "matched: joint production (title, body), long-range drones (body)" in rendered.html
    lines = rendered.text.splitlines()
    first = lines.index("  " + SNIPPET.replace("joint production", "**joint production**"))
    assert lines[first + 1] == "  Talks on **long-range drones** <continue>."
    assert ('<p style="margin:4px 0 0;color:#30364a;">Talks on <mark' in rendered.html
            and "long-range drones</mark> &lt;continue&gt;." in rendered.html)


def test_naive_generated_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render(item(1), generated_at=dt.datetime(2025, 11, 25, 7, 0))


# -- highlights -----------------------------------------------------------------------------

@pytest.mark.parametrize(("highlights", "expected"), [
    (((0, 3), (4, 7)), "**abc** **def** ghi"),
    (((0, 5), (2, 7)), "**abc def** ghi"),
    (((-5, 3), (8, 99)), "**abc** def **ghi**"),
    (((5, 2), (3, 3)), "abc def ghi"),
], ids=["two", "overlapping", "out-of-range", "empty-or-inverted"])
def test_highlight_spans_are_clamped_and_merged(
    highlights: tuple[tuple[int, int], ...], expected: str
) -> None:
    segments = snippet_segments("abc def ghi", highlights)
    assert "".join(f"**{s.text}**" if s.mark else s.text for s in segments) == expected


def test_highlighted_markup_in_a_snippet_is_escaped() -> None:
    snippet = 'Plan <b onclick="x()">joint production</b> & <script>alert(1)</script>'
    start, end = snippet.index("<b"), snippet.index("</b>") + 4
    rendered = render(item(1, snippet=snippet, highlights=((start, end),)))
    assert "<b onclick" not in rendered.html and "<script>" not in rendered.html
    assert "&lt;b onclick=&#34;x()&#34;&gt;joint production&lt;/b&gt;</mark>" in rendered.html
    assert "&amp; &lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert '**<b onclick="x()">joint production</b>** & <script>' in rendered.text


# -- hostile titles and URLs ----------------------------------------------------------------

@pytest.mark.parametrize("case", HOSTILE, ids=[c["id"] for c in HOSTILE])
def test_hostile_title_and_url_are_inert(case: dict[str, str]) -> None:
    rendered = render(item(1, title=case["title"], url=case["url"], topic=case["title"],
                           snippet=case["title"], highlights=((0, 5),)))
    title = clean_line(case["title"])
    # HTML: only our own tags, no event handlers, links only to http(s).
    structure = Structure(rendered.html)
    assert {tag for tag, _ in structure.tags} <= ALLOWED_TAGS
    for tag, attrs in structure.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "a":
            assert (attrs["href"] or "").startswith(("http://", "https://"))
    assert str(escape(title)) in rendered.html
    # Template syntax is data: shown literally, never evaluated.
    assert f"* {title}" in rendered.text
    assert "49" not in rendered.text + rendered.html
    # A title never starts a line of its own in the text (no fake headers), nor in the subject.
    assert "\nBcc:" not in rendered.text and "\r" not in rendered.text
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    # Control and bidi-override characters are gone from the rendered text.
    assert not [ch for ch in rendered.text + rendered.html if ch in "\x00\x1b\u202e"]
    # The JSON keeps what was scraped, as data.
    assert rendered.data["matches"][0]["title"] == case["title"]


@pytest.mark.parametrize("case", [c for c in HOSTILE if safe_link(c["url"]) is None],
                         ids=lambda c: c["id"])
def test_non_web_urls_are_shown_as_text_not_linked(case: dict[str, str]) -> None:
    rendered = render(item(1, url=case["url"]))
    assert "<a " not in rendered.html
    assert "(not a web link)" in rendered.text
    assert str(escape(clean_line(case["url"]))) in rendered.html


@pytest.mark.parametrize(("url", "linked"), [
    ("https://example.org/a", True), ("HTTP://Example.org", True),
    ("https://", False), ("ftp://example.org/a", False), ("//example.org/a", False),
    ("javascript:alert(1)", False), ("https://exa mple.org", False),
])
def test_safe_link(url: str, linked: bool) -> None:
    assert (safe_link(url) is not None) is linked
