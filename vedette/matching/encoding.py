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

import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from vedette.matching.tokens import (
    Layout,
    chunk_layout,
    chunk_words,
    exact_form,
    folded_form,
    split_chunks,
)

_BASE = 32  # characters per alphabet: at most 32 children per node
_FIRST = 0x100
V = TypeVar("V")

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
    never cleared under a reader: safe to share between threads. No value is None.

    `lookup` reads `data` without the lock, with one C-level lookup per key; only when
    some are missing does it take the lock and compute them, a batch at a time (`compute`
    gets the list of missing keys and returns (key, value) pairs), so a first pass over
    new text also runs C-level loops, not a Python call per key.
    """

    def __init__(self, compute: Callable[[list[str]], Iterable[tuple[str, V]]],
                 lock: threading.RLock) -> None:
        self.data: dict[str, V] = {}
        self._compute = compute
        self._lock = lock

    def get(self, key: str) -> V:
        found = self.data.get(key)
        return found if found is not None else self.lookup([key])[0]

    def lookup(self, keys: list[str]) -> list[V]:
        """The value of each key, in order."""
        data = self.data
        try:
            # Warm, nearly always: the cheapest C-level loop there is (testing a list of
            # `get` results for None would cost two comparisons per key).
            return list(map(data.__getitem__, keys))
        except KeyError:
            pass
        with self._lock:
            computed = dict(self._compute(list(set(keys).difference(data))))
            self.add(computed)
            now = self.data
        try:
            return list(map(now.__getitem__, keys))
        except KeyError:
            # The cache was full and started afresh with the new values: the others are
            # in the one read before (values never change).
            return [computed[key] if key in computed else data[key] for key in keys]

    def add(self, values: Iterable[tuple[str, V]] | dict[str, V]) -> None:
        """Known values, added under the lock (a full cache starts afresh with them)."""
        with self._lock:
            values = values if isinstance(values, dict) else dict(values)
            if len(self.data) + len(values) > _CACHE_LIMIT:
                self.data = values  # replaced, not cleared: a reader may hold the old one
            elif len(self.data) < len(values):
                values.update(self.data)  # the smaller one into the larger (stored chunks)
                self.data = values
            else:
                self.data.update(values)


def each(compute: Callable[[str], V]) -> Callable[[list[str]], Iterator[tuple[str, V]]]:
    """A GrowingCache's `compute` from a function of one key."""
    return lambda keys: zip(keys, map(compute, keys), strict=True)


class KeySource(Protocol):
    def word_keys(self, words: list[str], slot: int) -> list[str]:
        """The key of each word in one slot."""


class StreamEncoder:
    """Turns a field's *chunks* (its white-space separated pieces, `str.split()`) into a
    slot's stream, caching each chunk's codes per slot.

    Splitting on white space is C-level and several times faster than a word regex; a
    chunk ("drones,", "long-range", "(Reuters)") holds zero, one or more words, found with
    the word regex only the first time the chunk is seen (and only when it is not simply
    a word between punctuation). Warm, a field's stream is one C-level dict lookup per
    chunk.

    New chunks are coded a field at a time, by C-level loops only: their words
    (`split_chunks`), the code of each word (cached per slot, so a word met in other
    chunks, "drones" in "drones," and "(drones)", is keyed once; new words' keys come
    from one `word_keys` call for all), and a one-word chunk takes its word's code, the
    others join theirs.
    """

    def __init__(self, keys: KeySource, vocabulary: dict[str, str], other: str,
                 slots: int) -> None:
        """`keys`: where new words' keys come from (`WordKeys`, or an `Analyzer`)."""
        lock = threading.RLock()
        self._keys = keys
        self._vocabulary = vocabulary
        self._other = other
        self._layouts = GrowingCache(each(chunk_layout), lock)  # offsets: for locating only
        self._words = GrowingCache(chunk_words, lock)  # for wildcard terms only
        self._word_codes: list[dict[str, str]] = [{} for _ in range(slots)]

        def code_cache(slot: int) -> GrowingCache[str]:
            return GrowingCache(functools.partial(self._coded, slot=slot), lock)

        self._codes = [code_cache(slot) for slot in range(slots)]

    def chunk_codes(self, chunks: list[str], slot: int) -> list[str]:
        """The codes of each chunk's words: a C-level dict lookup per chunk when warm.

        The list is the stream before joining; kept, it also says how many words each
        chunk holds (its length over the code width) without looking anything up again.
        """
        return self._codes[slot].lookup(chunks)

    def words(self, chunks: list[str]) -> list[str]:
        """The words of a field's chunks, in order."""
        return list(itertools.chain.from_iterable(self._words.lookup(chunks)))

    def layout(self, chunk: str) -> Layout:
        """The words of one chunk, with their [start, end) inside it."""
        return self._layouts.get(chunk)

    def _coded(self, chunks: list[str], slot: int) -> Iterable[tuple[str, str]]:
        """(chunk, its codes) for new chunks (called under the lock)."""
        found = split_chunks(chunks)
        codes = self._word_codes[slot]
        new = set(found.words).union(*found.other_words).difference(codes)
        if new:
            if len(codes) + len(new) > _CACHE_LIMIT:
                # Replaced, not cleared: the chunks below still need the old codes.
                codes = self._word_codes[slot] = {}
                new = set(found.words).union(*found.other_words)
            words = list(new)
            codes.update(zip(words, map(self._vocabulary.get, self._keys.word_keys(words, slot),
                                        itertools.repeat(self._other)), strict=True))
        code = codes.__getitem__
        return itertools.chain(
            zip(found.plain, map(code, found.words), strict=True),
            zip(found.other, map("".join, map(functools.partial(map, code), found.other_words)),
                strict=True))


class PrefixMarker:
    """For each word, the ids of the wildcard prefixes it starts with (usually none)."""

    def __init__(self, folded: dict[str, int], exact: dict[str, int]) -> None:
        self._folded = folded
        self._exact = exact
        sizes = [len(p) for p in (*folded, *exact)]
        self._shortest = min(sizes, default=0)
        self._longest = max(sizes, default=0)
        self._cache = GrowingCache(each(self._word_marks), threading.RLock())

    def marks(self, words: list[str]) -> list[tuple[int, ...]]:
        return self._cache.lookup(words)

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
