"""Scraped text made safe for a digest: one clean line, a link only where it may be one,
a snippet split at its highlights and rendered as escaped HTML or plain text.

Scraped text is hostile input: control characters and bidirectional overrides (which can
make a headline read differently from what it says) are dropped, only http/https URLs
with a host become links, and highlights are built from escaped segments with markupsafe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_MARK = Markup('<mark style="background:#ffe58f;color:inherit;padding:0 1px;">{}</mark>')
_WHITESPACE = re.compile(r"\s+")
# C0/C1 controls other than white space, DEL, and bidirectional overrides/isolates
# (they can make a headline read differently from what it says).
_DROP = dict.fromkeys(
    [c for c in [*range(0x20), *range(0x7F, 0xA0)] if not chr(c).isspace()]
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


@dataclass(frozen=True)
class Segment:
    """A piece of a snippet; `mark` says whether a matched term is in it."""

    text: str
    mark: bool


def safe_link(url: str) -> str | None:
    """`url` if it may be a link in a digest (http/https with a host), else None."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) in _DROP for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def clean_line(text: str) -> str:
    """One line of plain text: controls dropped, any white space (CR/LF too) one space."""
    return _WHITESPACE.sub(" ", text.translate(_DROP)).strip()


def snippet_segments(snippet: str, highlights: Iterable[tuple[int, int]]) -> list[Segment]:
    """Split `snippet` at the highlighted spans (clamped, sorted and merged)."""
    spans: list[list[int]] = []
    for start, end in sorted((max(0, a), min(len(snippet), b)) for a, b in highlights):
        if start >= end:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    segments: list[Segment] = []
    position = 0
    for start, end in spans:
        segments += [Segment(snippet[position:start], False), Segment(snippet[start:end], True)]
        position = end
    segments.append(Segment(snippet[position:], False))
    cleaned = [Segment(_WHITESPACE.sub(" ", s.text.translate(_DROP)), s.mark) for s in segments]
    if cleaned:
        cleaned[0] = Segment(cleaned[0].text.lstrip(), cleaned[0].mark)
        cleaned[-1] = Segment(cleaned[-1].text.rstrip(), cleaned[-1].mark)
    return [s for s in cleaned if s.text]


def html_highlight(segments: Iterable[Segment]) -> Markup:
    """HTML for a snippet: every segment escaped, matched ones wrapped in <mark>."""
    return Markup("").join(_MARK.format(s.text) if s.mark else escape(s.text) for s in segments)


def text_highlight(segments: Iterable[Segment]) -> str:
    """Plain text for a snippet: matched segments between ** and **."""
    return "".join(f"**{s.text}**" if s.mark else s.text for s in segments)
