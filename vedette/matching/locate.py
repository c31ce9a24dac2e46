"""Where the words of a hit are in a field's text: character offsets from word indexes.

The scan counts words across a field's white-space chunks and never builds offsets: only
the few words a snippet shows are located, after the topics are decided.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping

from vedette.matching.encoding import StreamEncoder

Scan = tuple[str, list[str], list[str]]
"""A field with hits, kept for locating them: its text, chunks and each chunk's codes."""

_RUN = 32  # chunks summed at a time beyond where a word should be


class Locator:
    """Offsets in a field's text of words counted across its chunks.

    Asked for words in increasing order, it only does C-level work, and only as far as the
    last word asked for: running sums of the length of each chunk's codes (`width` per
    word: which chunk holds a word) and `str.split` with a count from the previous chunk
    located (where that chunk starts: what the split leaves is the text from there on).
    """

    def __init__(self, text: str, chunks: list[str], codes: list[str], width: int,
                 encoder: StreamEncoder) -> None:
        self._chunks = chunks
        self._codes = codes
        self._width = width
        self._encoder = encoder
        self._code_ends: list[int] = []  # running code length, per chunk summed so far
        self._rest = text.lstrip()  # the text from chunk `_chunk` on, which starts at…
        self._start = len(text) - len(self._rest)  # …this offset
        self._chunk = 0

    def span(self, index: int) -> tuple[int, int]:
        """[start, end) of word `index`; indexes must not decrease between calls."""
        code_ends, wanted = self._code_ends, (index + 1) * self._width
        while not code_ends or code_ends[-1] < wanted:
            # Most chunks hold one word: sum a little past where the word should be.
            done = len(code_ends)
            if done >= len(self._chunks):
                raise IndexError(index)
            end = done + index - (code_ends[-1] // self._width if code_ends else 0) + _RUN
            code_ends.extend(itertools.accumulate(
                map(len, self._codes[done:end]), initial=code_ends[-1] if code_ends else 0))
            del code_ends[done]  # `initial` repeats the previous end
        chunk = bisect.bisect_left(code_ends, wanted)
        if chunk > self._chunk:
            rest = self._rest.split(None, chunk - self._chunk)[-1]
            self._start += len(self._rest) - len(rest)
            self._rest, self._chunk = rest, chunk
        words_before = (code_ends[chunk - 1] if chunk else 0) // self._width
        _, word_start, word_end = self._encoder.layout(self._chunks[chunk])[index - words_before]
        return self._start + word_start, self._start + word_end


class HitOffsets:
    """Offsets of hit words, per field, located in batches: the words announced with
    `want` are located together, in one pass over the field, by the first `span` that
    needs one of them (a pass walks the field from its start, so one per word would be
    quadratic)."""

    def __init__(self, scanned: Mapping[int, Scan], width: int, encoder: StreamEncoder) -> None:
        self._scanned = scanned
        self._width = width
        self._encoder = encoder
        self._wanted: dict[int, set[int]] = {}
        self._found: dict[int, dict[int, tuple[int, int]]] = {}

    def want(self, field: int, words: Iterable[int]) -> None:
        self._wanted.setdefault(field, set()).update(words)

    def span(self, field: int, first: int, last: int) -> tuple[int, int]:
        """[start, end) in the field's text of the words first … last."""
        found = self._found.setdefault(field, {})
        if first not in found or last not in found:
            words = self._wanted.pop(field, set()) | {first, last}
            locator = Locator(*self._scanned[field], self._width, self._encoder)
            found.update((index, locator.span(index)) for index in sorted(words - found.keys()))
        return found[first][0], found[last][1]
