"""Snippets: the sentence around a hit, with every hit of the topic in it highlighted."""

from __future__ import annotations

import re
from collections.abc import Iterable

from vedette.matching.models import Snippet

MAX_CHARS = 300
_ELLIPSIS = "…"
_LEAD = 80  # characters of context kept before the first hit when a sentence is cut
_SNAP = 25  # how far a cut may move to land between words instead of inside one
_REACH = 2000  # how far to look for a sentence's ends: a page without punctuation stays cheap

# A sentence ends at . ! ? … (plus closing quotes or brackets) before white space, or at a
# line or paragraph break. "3.5" and "example.com" do not end one: no white space follows.
_BOUNDARY = re.compile("([.!?…]+)[\"'”’»)\\]]*(?=\\s|$)|[\n\r\u2028\u2029]")
_STOPS = ".!?…"
_BREAKS = "\n\r\u2028\u2029"
_ENDERS = _STOPS + _BREAKS
# Abbreviations that usually do not end a sentence (a single letter, "U.S." or "J.", too).
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cpt", "sgt", "cpl",
    "adm", "cmdr", "gov", "sen", "rep", "st", "jr", "sr", "no", "nr", "vs", "etc", "approx",
    "inc", "ltd", "co", "corp", "dept", "fig", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "ген", "полк", "див", "пор", "ст",
))
_LONGEST = 1 + max(map(len, _ABBREVIATIONS))


def snippet_around(
    field: str, text: str, spans: Iterable[tuple[int, int]], anchor: tuple[int, int] | None = None
) -> tuple[Snippet, tuple[int, int]]:
    """The sentence of `text` holding `anchor` (by default the earliest of `spans`), with
    every one of `spans` it shows highlighted (cut to fit at its edges); and the [start,
    end) of `text` it shows."""
    hits = _merge(spans if anchor is None else (*spans, anchor))
    main_start, main_end = hits[0] if anchor is None else next(
        ((start, end) for start, end in hits if start <= anchor[0] < end), hits[0])
    start, end = _sentence(text, main_start, main_end)
    start, end = _strip(text, start, end)
    cut_start, cut_end = _window(text, start, end, main_start, main_end)
    prefix = _ELLIPSIS if cut_start > start else ""
    suffix = _ELLIPSIS if cut_end < end else ""
    shift = len(prefix) - cut_start
    highlights = []
    for hit_start, hit_end in hits:
        # A hit longer than the window, or across its edge, shows as far as it is seen.
        hit_start, hit_end = max(hit_start, cut_start), min(hit_end, cut_end)
        if hit_start < hit_end:
            highlights.append((hit_start + shift, hit_end + shift))
    snippet = Snippet(
        field=field,
        text=prefix + text[cut_start:cut_end] + suffix,
        highlights=tuple(highlights),
    )
    return snippet, (cut_start, cut_end)


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted hits, overlapping ones joined ("long-range drones" and "drones" → one)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _sentence(text: str, hit_start: int, hit_end: int) -> tuple[int, int]:
    return _sentence_start(text, hit_start), _sentence_end(text, hit_end)


def _sentence_start(text: str, hit_start: int) -> int:
    # Walk back from the hit over candidate sentence ends, found with rfind (C-level, one
    # call per end character): a long text with many hits is never rescanned.
    low = max(0, hit_start - _REACH)
    position = hit_start
    while True:
        cut = max([text.rfind(char, low, position) for char in _ENDERS])
        if cut < 0:
            return low
        if text[cut] in _BREAKS:
            return cut + 1
        run = cut
        while run > low and text[run - 1] in _STOPS:
            run -= 1
        # Not ended at the hit: "3.5" or "example.com" do not end a sentence before "5".
        boundary = _BOUNDARY.match(text, run)
        if (boundary is not None and boundary.group(1) and boundary.end() <= hit_start
                and not _is_abbreviation(text, boundary)):
            return boundary.end()
        position = run


def _sentence_end(text: str, hit_end: int) -> int:
    high = min(len(text), hit_end + _REACH)
    for boundary in _BOUNDARY.finditer(text, hit_end, high):
        if boundary.group(1) is None:
            return boundary.start()
        if not _is_abbreviation(text, boundary):
            return boundary.end(1)
    return high


def _is_abbreviation(text: str, boundary: re.Match[str]) -> bool:
    if boundary.group(1) != ".":
        return False
    end = boundary.start()
    if end >= _LONGEST and text[end - _LONGEST:end].isalnum():
        return False  # a word longer than any abbreviation: the common case
    start = end
    while start > 0 and end - start < _LONGEST and (text[start - 1].isalnum()
                                                     or text[start - 1] == "_"):
        start -= 1
    before = text[start:end]
    if not before:
        return False
    return (len(before) == 1 and before.isalpha()) or before.casefold() in _ABBREVIATIONS


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _window(text: str, start: int, end: int, hit_start: int, hit_end: int) -> tuple[int, int]:
    """The part of a long sentence to show: some context before the first hit, cut between
    words, at most MAX_CHARS with the ellipses."""
    if end - start <= MAX_CHARS:
        return start, end
    budget = MAX_CHARS - 2 * len(_ELLIPSIS)
    cut_start = max(start, min(hit_start - _LEAD, end - budget))
    cut_end = min(end, cut_start + budget)
    # Any white space will do (no-break spaces are common in Ukrainian and Lithuanian
    # news: "5 000", "2024 m."); only _SNAP characters are looked at.
    if cut_start > start:
        space = next((i for i in range(cut_start, min(cut_start + _SNAP, hit_start))
                      if text[i].isspace()), -1)
        if space >= 0:
            cut_start = space + 1
    if cut_end < end:
        space = next((i for i in range(cut_end - 1, max(cut_end - _SNAP, hit_end) - 1, -1)
                      if text[i].isspace()), -1)
        if space >= 0:
            cut_end = space
    return _strip(text, cut_start, cut_end)
