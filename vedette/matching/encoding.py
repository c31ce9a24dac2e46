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
import operator
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar, cast

from vedette.matching.keyfile import JOIN, NO_WORDS
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import Layout, chunk_layout, chunk_words, exact_form, folded_form
from vedette.matching.wordkeys import WordKeys

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
        try:
            # Warm, nearly always: the cheapest C-level loop there is (testing a list of
            # `get` results for None would cost two comparisons per key).
            return list(map(self.data.__getitem__, keys))
        except KeyError:
            pass
        found = list(map(self.data.get, keys))
        missing = list(set(itertools.compress(keys, map(operator.is_, found, _NONES))))
        with self._lock:
            computed = dict(self._compute(missing))
            self.add(computed)
        # A key found before keeps its value (values never change); the rest are new.
        return cast(list[V], list(map(computed.get, keys, found)))

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


_NONES = itertools.repeat(None)


def each(compute: Callable[[str], V]) -> Callable[[list[str]], Iterator[tuple[str, V]]]:
    """A GrowingCache's `compute` from a function of one key."""
    return lambda keys: zip(keys, map(compute, keys), strict=True)


class StreamEncoder:
    """Turns a field's *chunks* (its white-space separated pieces, `str.split()`) into a
    slot's stream, caching each chunk's codes per slot.

    Splitting on white space is C-level and several times faster than a word regex; a
    chunk ("drones,", "long-range", "(Reuters)") holds zero, one or more words, found with
    the word regex only the first time the chunk is seen (and only when it is not simply
    a word between punctuation). The vocabulary of chunks is a few times that of words and
    nearly every chunk of a new article is already known.

    New chunks are encoded a field at a time, by C-level loops only: their words (see
    `chunk_words`), their words' keys (`WordKeys.chunk_keys`, one call for all), and their
    codes (a one-word chunk's code is its word's; others are joined). The chunks stored by
    earlier runs (`WordKeys.stored`) are coded the same way, all at once, when a slot is
    first scanned or, for a cheap slot, once this run has met enough new chunks to make
    it worth it (`WordKeys.worth_coding`): from then on it scans them as a warm one does.
    """

    def __init__(
        self, keys: WordKeys | Analyzer, vocabulary: dict[str, str], other: str, slots: int
    ) -> None:
        """`keys`: where word keys come from (an analyzer alone remembers nothing)."""
        lock = threading.RLock()
        self._lock = lock
        self._keys = keys = keys if isinstance(keys, WordKeys) else WordKeys(keys)
        self._vocabulary = vocabulary
        self._other = other
        self._layouts = GrowingCache(each(chunk_layout), lock)  # offsets: for locating only
        self._words = GrowingCache(chunk_words, lock)

        def code_cache(slot: int) -> GrowingCache[str]:
            def chunk_codes(chunks: list[str]) -> Iterable[tuple[str, str]]:
                self._computed[slot] += len(chunks)
                words = self._words.lookup(chunks)
                return self._coded(chunks, keys.chunk_keys(chunks, words, slot))

            return GrowingCache(chunk_codes, lock)

        self._codes = [code_cache(slot) for slot in range(slots)]
        self._computed = [0] * slots  # chunks coded afresh, per slot
        self._unprimed = set(range(slots))

    def chunk_codes(self, chunks: list[str], slot: int) -> list[str]:
        """The codes of each chunk's words: a C-level dict lookup per chunk when warm.

        The list is the stream before joining; kept, it also says how many words each
        chunk holds (its length over the code width) without looking anything up again.
        """
        if slot in self._unprimed:
            self._prime(slot)
        return self._codes[slot].lookup(chunks)

    def words(self, chunks: list[str]) -> list[str]:
        """The words of a field's chunks, in order."""
        return list(itertools.chain.from_iterable(self._words.lookup(chunks)))

    def layout(self, chunk: str) -> Layout:
        """The words of one chunk, with their [start, end) inside it."""
        return self._layouts.get(chunk)

    def _prime(self, slot: int) -> None:
        with self._lock:
            worth = self._keys.worth_coding(slot, self._computed[slot])
            if worth is None:
                self._unprimed.discard(slot)  # nothing stored: never ask again
            if not worth:
                return
            self._unprimed.discard(slot)
            stored = self._keys.stored(slot)
            if stored is None:
                return
            # Each distinct value (the keys of a chunk's words) is coded once, by C-level
            # loops; then each chunk takes its value's codes.
            code, other, single = self._vocabulary.get, self._other, stored.single
            codes = list(map(code, stored.values[:single], itertools.repeat(other)))
            codes.extend(map("".join, map(
                functools.partial(map, code),
                map(str.split, stored.values[single:], itertools.repeat(JOIN)),
                itertools.repeat(itertools.repeat(other)))))
            if NO_WORDS in stored.values:
                codes[stored.values.index(NO_WORDS)] = ""
            self._codes[slot].add(
                zip(stored.chunks, map(codes.__getitem__, stored.index), strict=True))

    def _coded(self, chunks: list[str], keyed: list[tuple[str, ...]]) -> Iterable[tuple[str, str]]:
        """(chunk, its codes) from the keys of each chunk's words, by C-level loops."""
        code, other = self._vocabulary.get, self._other
        one = list(map((1).__eq__, map(len, keyed)))
        many = list(map(operator.not_, one))
        return itertools.chain(
            zip(itertools.compress(chunks, one),
                map(code, map(operator.itemgetter(0), itertools.compress(keyed, one)),
                    itertools.repeat(other)),
                strict=True),
            zip(itertools.compress(chunks, many),
                map("".join, map(functools.partial(map, code), itertools.compress(keyed, many),
                                 itertools.repeat(itertools.repeat(other)))),
                strict=True),
        )


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
