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
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import Layout, chunk_layout, exact_form, folded_form

_BASE = 32  # characters per alphabet: at most 32 children per node
_FIRST = 0x100
V = TypeVar("V")
T = TypeVar("T")

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


class GrowingCache(Generic[V]):
    """A dict of computed values that only grows, and is replaced by a new one when full,
    never cleared under a reader: safe to share between threads.

    The hot path reads `data` directly with C-level lookups (`map(data.__getitem__, …)`);
    on a KeyError, `holding` returns a dict with every key wanted, computed under the lock.
    """

    def __init__(self, compute: Callable[[str], V], lock: threading.RLock) -> None:
        self.data: dict[str, V] = {}
        self._compute = compute
        self._lock = lock

    def get(self, key: str) -> V:
        found = self.data.get(key)
        return found if found is not None else self.holding((key,))[key]

    def holding(self, keys: Iterable[str]) -> dict[str, V]:
        with self._lock:
            data = self.data
            missing = set(keys).difference(data)
            if missing:
                if len(data) + len(missing) > _CACHE_LIMIT:
                    data, missing = {}, set(keys)
                data.update((key, self._compute(key)) for key in missing)
                self.data = data
            return data

    def apply(self, keys: list[str], use: Callable[[Callable[[str], V]], T]) -> T:
        """`use(lookup)` with a lookup that knows every one of `keys`."""
        try:
            return use(self.data.__getitem__)
        except KeyError:
            return use(self.holding(keys).__getitem__)


class StreamEncoder:
    """Turns a field's *chunks* (its white-space separated pieces, `str.split()`) into a
    slot's stream, caching each chunk's codes per slot.

    Splitting on white space is C-level and several times faster than a word regex; a
    chunk ("drones,", "long-range", "(Reuters)") holds zero, one or more words, found with
    the word regex only the first time the chunk is seen. The vocabulary of chunks is a
    few times that of words and nearly every chunk of a new article is already known.
    """

    def __init__(
        self, analyzer: Analyzer, vocabulary: dict[str, str], other: str, slots: int
    ) -> None:
        lock = threading.RLock()
        self._layouts = GrowingCache(chunk_layout, lock)

        def code_cache(slot: int) -> GrowingCache[str]:
            def word_code(word: str) -> str:
                return vocabulary.get(analyzer.word_key(word, slot), other)

            words = GrowingCache(word_code, lock)

            def chunk_codes(chunk: str) -> str:
                layout = self._layouts.get(chunk)
                known = words.holding([word for word, _, _ in layout])
                return "".join([known[word] for word, _, _ in layout])

            return GrowingCache(chunk_codes, lock)

        self._codes = [code_cache(slot) for slot in range(slots)]

    def chunk_codes(self, chunks: list[str], slot: int) -> list[str]:
        """The codes of each chunk's words: a C-level dict lookup per chunk when warm.

        The list is the stream before joining; kept, it also says how many words each
        chunk holds (its length over the code width) without looking anything up again.
        """
        return self._codes[slot].apply(chunks, lambda code: list(map(code, chunks)))

    def layout(self, chunk: str) -> Layout:
        """The words of one chunk, with their [start, end) inside it."""
        return self._layouts.get(chunk)

    def layouts(self, chunks: list[str]) -> list[Layout]:
        """Each chunk's words with their [start, end) inside it."""
        return self._layouts.apply(chunks, lambda layout: list(map(layout, chunks)))


class PrefixMarker:
    """For each word, the ids of the wildcard prefixes it starts with (usually none)."""

    def __init__(self, folded: dict[str, int], exact: dict[str, int]) -> None:
        self._folded = folded
        self._exact = exact
        sizes = [len(p) for p in (*folded, *exact)]
        self._shortest = min(sizes, default=0)
        self._longest = max(sizes, default=0)
        self._cache = GrowingCache(self._word_marks, threading.RLock())

    def marks(self, words: list[str]) -> list[tuple[int, ...]]:
        return self._cache.apply(words, lambda marks: list(map(marks, words)))

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
