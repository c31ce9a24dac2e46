"""Streams of a fixed number of characters per word: what the automaton scans.

Every distinct key that some term uses gets its own *code*: `width` characters, the i-th
taken from an alphabet of its own (so a code can only be read from a word's start);
every other word gets the code `other`. A term of n words is then a pattern of n codes, a
field is a string of `width` characters per word, and a hit ending at position p ends on
word p // width: no word boundaries to check and no spaces to count, and the automaton
takes `width` steps per word instead of one per letter. Two words get the same code
exactly when their keys are equal, so this finds the same hits as comparing the keys.

Small alphabets matter: pyahocorasick finds a node's child by a linear search, so a root
with one child per key (one character per key) would make every step slow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import Layout, chunk_layout, exact_form, folded_form

_BASE = 32  # characters per alphabet: at most 32 children per node
_FIRST = 0x100
_CACHE_LIMIT = 100_000  # distinct words per slot (a few MB); a flood of new words resets it


class Vocabulary:
    """Numbers each distinct term key; `codes` then gives each number its characters."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def add(self, keys: Iterable[str]) -> tuple[str, ...]:
        keys = tuple(keys)
        for key in keys:
            self._numbers.setdefault(key, len(self._numbers) + 1)  # 0 is `other`
        return keys

    def codes(self) -> tuple[int, dict[str, str], str]:
        """(width, code of each key, code of every other word)."""
        width = 1
        while _BASE**width < len(self._numbers) + 1:
            width += 1

        def code(number: int) -> str:
            chars = []
            for position in range(width):
                number, digit = divmod(number, _BASE)
                chars.append(chr(_FIRST + position * _BASE + digit))
            return "".join(chars)

        return width, {key: code(n) for key, n in self._numbers.items()}, code(0)


class StreamEncoder:
    """Turns a field's *chunks* (its white-space separated pieces, `str.split()`) into a
    slot's stream, caching each chunk's codes per slot.

    Splitting on white space is C-level and several times faster than a word regex; a
    chunk ("drones,", "long-range", "(Reuters)") holds zero, one or more words, found with
    the word regex only the first time the chunk is seen. The vocabulary of chunks is a
    few times that of words and nearly every chunk of a new article is already known.

    Safe to share between threads: a cache only grows, and a full one is replaced by a new
    dict, never cleared under a reader.
    """

    def __init__(
        self, analyzer: Analyzer, vocabulary: dict[str, str], other: str, slots: int
    ) -> None:
        self._analyzer = analyzer
        self._vocabulary = vocabulary
        self._other = other
        self._caches: list[dict[str, str]] = [{} for _ in range(slots)]
        self._word_codes: list[dict[str, str]] = [{} for _ in range(slots)]
        self._layouts: dict[str, Layout] = {}
        self._measures: dict[str, int] = {}
        self._lock = threading.Lock()

    def encode(self, chunks: list[str], slot: int) -> tuple[str, dict[str, str]]:
        """The codes of every word of `chunks` (the warm path is a C-level dict lookup per
        chunk), and the chunk → codes dict used, which holds every one of `chunks` (the
        slot's cache may be replaced by the next call, when it is full)."""
        cache = self._caches[slot]
        try:
            return "".join(map(cache.__getitem__, chunks)), cache
        except KeyError:
            cache = self._learn(chunks, slot)
            return "".join(map(cache.__getitem__, chunks)), cache

    def layout(self, chunk: str) -> Layout:
        """The words of one chunk, with their [start, end) inside it."""
        found = self._layouts.get(chunk)
        return found if found is not None else chunk_layout(chunk)

    def measure(self, chunks: list[str]) -> int:
        """How many words and characters `chunks` hold together, as one number:
        (words << 32) | characters, so that one C-level `sum` counts both."""
        measures = self._measures
        try:
            return sum(map(measures.__getitem__, chunks))
        except KeyError:
            with self._lock:
                measures = self._known_measures(chunks)
            return sum(map(measures.__getitem__, chunks))

    def measures(self, chunks: list[str]) -> list[int]:
        """`measure` of each chunk."""
        measures = self._measures
        try:
            return list(map(measures.__getitem__, chunks))
        except KeyError:
            with self._lock:
                measures = self._known_measures(chunks)
            return list(map(measures.__getitem__, chunks))

    def _known_measures(self, chunks: Iterable[str]) -> dict[str, int]:
        measures = self._measures
        missing = set(chunks).difference(measures)
        if missing:
            if len(measures) + len(missing) > _CACHE_LIMIT:
                measures, missing = {}, set(chunks)
            measures.update((chunk, len(self.layout(chunk)) << 32 | len(chunk))
                            for chunk in missing)
            self._measures = measures
        return measures

    def layouts(self, chunks: list[str]) -> list[Layout]:
        """Each chunk's words with their [start, end) inside it."""
        layouts = self._layouts
        try:
            return list(map(layouts.__getitem__, chunks))
        except KeyError:
            with self._lock:
                layouts = self._known_layouts(chunks)
            return list(map(layouts.__getitem__, chunks))

    def _known_layouts(self, chunks: Iterable[str]) -> dict[str, Layout]:
        layouts = self._layouts
        missing = set(chunks).difference(layouts)
        if missing:
            if len(layouts) + len(missing) > _CACHE_LIMIT:
                layouts, missing = {}, set(chunks)
            layouts.update((chunk, chunk_layout(chunk)) for chunk in missing)
            self._layouts = layouts
        return layouts

    def _learn(self, chunks: list[str], slot: int) -> dict[str, str]:
        """The slot's cache, holding every chunk of `chunks` (computed now if missing)."""
        with self._lock:
            cache = self._caches[slot]
            missing = set(chunks).difference(cache)
            if len(cache) + len(missing) > _CACHE_LIMIT:
                cache = {}
                missing = set(chunks)
            layouts = self._known_layouts(missing)
            words = self._word_codes[slot]
            if len(words) > _CACHE_LIMIT:
                words = self._word_codes[slot] = {}
            key, codes, other = self._analyzer.word_key, self._vocabulary, self._other
            for chunk in missing:
                for word, _, _ in layouts[chunk]:
                    if word not in words:
                        words[word] = codes.get(key(word, slot), other)
                cache[chunk] = "".join([words[word] for word, _, _ in layouts[chunk]])
            self._caches[slot] = cache
            return cache


class PrefixMarker:
    """For each word, the ids of the wildcard prefixes it starts with (usually none).

    Cached per word like the stream codes; words shorter than every prefix are cheap.
    """

    def __init__(self, folded: dict[str, int], exact: dict[str, int]) -> None:
        self._folded = folded
        self._exact = exact
        sizes = [len(p) for p in (*folded, *exact)]
        self._shortest = min(sizes, default=0)
        self._longest = max(sizes, default=0)
        self._cache: dict[str, tuple[int, ...]] = {}
        self._lock = threading.Lock()

    def marks(self, words: list[str]) -> list[tuple[int, ...]]:
        cache = self._cache
        try:
            return list(map(cache.__getitem__, words))
        except KeyError:
            with self._lock:
                cache = self._cache
                missing = set(words).difference(cache)
                if len(cache) + len(missing) > _CACHE_LIMIT:
                    cache, missing = {}, set(words)
                cache.update((word, self._word_marks(word)) for word in missing)
                self._cache = cache
            return list(map(cache.__getitem__, words))

    def _word_marks(self, word: str) -> tuple[int, ...]:
        found: list[int] = []
        for table, form in ((self._folded, folded_form), (self._exact, exact_form)):
            if not table:
                continue
            text = form(word)
            for size in range(self._shortest, min(len(text), self._longest) + 1):
                prefix = table.get(text[:size])
                if prefix is not None:
                    found.append(prefix)
        return tuple(found)
