"""Realistic article pages and feeds: navigation, sidebars, related stories and footers
around the story, so main-text extraction is exercised as on real news sites."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime


@dataclass
class Story:
    slug: str
    title: str
    paragraphs: Sequence[str]
    published: datetime | None = None
    summary: str = ""
    sidebar: Sequence[str] = ()       # headlines in "related stories" / "most read"
    footer: str = "© 2026 Example News. All rights reserved."
    lang: str = "en"


NAV = ["Home", "World", "Politics", "Business", "Technology", "Opinion", "Sport", "Video"]


def article_page(story: Story, padding_paragraphs: int = 0) -> str:
    e = html.escape
    nav = "".join(f'<li><a href="/section/{i}">{e(n)}</a></li>' for i, n in enumerate(NAV))
    related = "".join(f'<li><a href="/related/{i}">{e(h)}</a></li>'
                      for i, h in enumerate(story.sidebar))
    body = "".join(f"<p>{e(p)}</p>" for p in story.paragraphs)
    filler = "".join(
        f"<p>Analysts said paragraph {i} of the report gives further background on the "
        "programme, its budget, its schedule and the industrial partners involved in it, "
        "with details that officials confirmed during the briefing on Tuesday.</p>"
        for i in range(padding_paragraphs))
    when = story.published.isoformat() if story.published else ""
    return f"""<!DOCTYPE html>
<html lang="{story.lang}"><head><meta charset="utf-8"><title>{e(story.title)} | Example News</title>
<meta name="description" content="{e(story.summary)}">
<meta property="article:published_time" content="{when}">
</head><body>
<header class="site-header"><div class="logo">Example News</div>
<nav class="main-nav"><ul>{nav}</ul></nav>
<form class="search"><input name="q" placeholder="Search"></form></header>
<div class="layout">
<main><article class="story">
<h1 class="headline">{e(story.title)}</h1>
<div class="byline">By Staff Reporter · <time datetime="{when}">{when}</time></div>
<div class="article-body">{body}{filler}</div>
<div class="share">Share this article: Facebook · X · Email</div>
</article></main>
<aside class="sidebar"><h2>Related stories</h2><ul>{related}</ul>
<h2>Most read</h2><ul>{related}</ul>
<div class="newsletter">Sign up for our newsletter</div></aside>
</div>
<footer class="site-footer"><p>{e(story.footer)}</p>
<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy</a></li>
<li><a href="/contact">Contact</a></li></ul></footer>
</body></html>"""


def rss_feed(base: str, items: Sequence[tuple[str, Story]], title: str = "Example News") -> str:
    """`items` are (link, story) pairs; links may carry tracking parameters."""
    e = html.escape
    entries = []
    for link, story in items:
        date = f"<pubDate>{format_datetime(story.published)}</pubDate>" if story.published else ""
        entries.append(
            f"<item><title>{e(story.title)}</title><link>{e(link)}</link>"
            f"<guid>{e(link)}</guid>{date}<description>{e(story.summary)}</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{e(title)}</title><link>{e(base)}/</link><description>news</description>"
            f"{''.join(entries)}</channel></rss>")


def recent(hours: float = 1.0) -> datetime:
    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0)
