"""Word keys kept between runs, in a file beside the state, so a fresh process matches fast.

Computing keys is what makes the first pass over new text slow: a pymorphy3 parse of a
Ukrainian form costs about 0.2 ms, a Snowball stem a few µs, and finding the words of each
new white-space chunk and its codes costs more than scanning it once they are known. A
run from cron starts with empty caches every time, so without this file each run would
pay again for the whole vocabulary of its articles.

The file keeps, per slot, each chunk seen ("drones,") with its words' keys ("drone"):
keys, not stream codes, because keys depend only on the normalisation
(`stemming.keys_edition`), not on the topics, so editing keywords keeps the file valid.
A fresh matcher turns a slot's stored chunks into codes in one C-level pass the first time
it scans that slot, so a chunk seen in an earlier run costs what it costs when warm; the
words of the stored chunks also give the keys of words in new chunks. See `keyfile` for
the format, its checks and bounds.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import threading
import time
from pathlib import Path

from vedette.matching import keyfile
from vedette.matching.keyfile import JOIN, NO_WORDS, Section, Unusable
from vedette.matching.languages import LANGUAGES
from vedette.matching.stemming import Analyzer
from vedette.matching.tokens import EDGE

log = logging.getLogger(__name__)

SAVE_INTERVAL = 60.0
"""Seconds between saves of a long-running process, beside the save when it ends."""
_KNOWN_LIMIT = 200_000  # words per slot held in memory before starting afresh
_CODE_AFTER = 8  # see `WordKeys.worth_coding`
_NAMES = ("exact", *LANGUAGES)  # a slot's name in the file: slot numbers are ours alone


def cache_path(state: Path) -> Path:
    """The cache of one state file: each state has its own, next to it."""
    return state.with_name(state.name + ".wordkeys")


class WordKeys:
    """The keys of text words: computed by the analyzer a batch at a time, remembered for
    the life of this object and, with a `path`, across processes (read the first time a
    slot is used, saved by `save` and every `SAVE_INTERVAL` seconds while new chunks turn
    up). Safe to share between threads."""

    def __init__(self, analyzer: Analyzer, path: Path | None = None) -> None:
        self._analyzer = analyzer
        self._path = path
        self._lock = threading.RLock()
        self._file: dict[str, tuple[int, int, int, int, bytes]] | None = None if path else {}
        self._known: dict[int, dict[str, str]] = {}  # word → key
        self._stored: dict[int, Section] = {}  # kept for `_words` (costly slots only)
        self._fresh: dict[int, dict[str, tuple[str, ...]]] = {}  # chunk → keys, to save
        self._saved_at = time.monotonic()

    def worth_coding(self, slot: int, computed: int) -> bool | None:
        """Whether to code a slot's stored chunks now (see `stored`), given how many of its
        chunks this process has computed afresh; None when the file holds none.

        Coding the stored chunks costs about 0.8 µs each, computing a new chunk of a Latin
        slot 5–6 µs (measured with the matching bench). A run that meets a small share of
        the stored chunks, as most small runs do, would pay more than it saves: such a slot
        is coded once its fresh chunks have cost about as much as coding would, an eighth
        of the stored count (no more than twice the cost of the better choice, whatever
        the run). A costly slot (Ukrainian lemmas, 40–200 µs a word) is coded at once.
        """
        with self._lock:
            self._read()
            assert self._file is not None
            section = self._file.get(_NAMES[slot])
            if section is None:
                return None
            return self._analyzer.costly(slot) or computed * _CODE_AFTER >= section[0]

    def stored(self, slot: int) -> Section | None:
        """The chunks the file holds for a slot, each with its value (its words' keys
        joined by `JOIN`, or `NO_WORDS`): given once, to be turned into codes."""
        with self._lock:
            self._read()
            assert self._file is not None
            section = self._file.pop(_NAMES[slot], None)
            if section is None:
                return None
            try:
                found = keyfile.decode(*section)
            except (Unusable, ValueError) as problem:  # ValueError: also bad UTF-8
                log.warning("word-key cache %s: %s ignored: %s", self._path, _NAMES[slot], problem)
                return None
            if self._analyzer.costly(slot):
                self._stored[slot] = found
            return found

    def _read(self) -> None:
        if self._file is None:
            assert self._path is not None
            try:
                self._file = keyfile.read_sections(self._path)
            except (Unusable, OSError) as problem:
                keyfile.report(self._path, problem)
                self._file = {}

    def chunk_keys(
        self, chunks: list[str], words: list[tuple[str, ...]], slot: int
    ) -> list[tuple[str, ...]]:
        """The keys of each chunk's words (`words` holds each chunk's words, in order)."""
        with self._lock:
            known = self._words(slot)
            missing = list(set(itertools.chain.from_iterable(words)).difference(known))
            if missing:
                if len(known) + len(missing) > _KNOWN_LIMIT:
                    known = self._known[slot] = {}
                    missing = list(set(itertools.chain.from_iterable(words)))
                known.update(zip(missing, self._analyzer.word_keys(missing, slot), strict=True))
            keyed = list(map(tuple, map(functools.partial(map, known.__getitem__), words)))
            if self._path is not None:
                fresh = self._fresh.setdefault(slot, {})
                if len(fresh) <= _KNOWN_LIMIT:
                    fresh.update(zip(chunks, keyed, strict=True))
                if time.monotonic() - self._saved_at > SAVE_INTERVAL:
                    self.save()
            return keyed

    def save(self) -> None:
        """Add the chunks first seen since the last save to the file, if there are any."""
        with self._lock:
            if self._path is None or not any(self._fresh.values()):
                return
            fresh, self._fresh = self._fresh, {}
            self._saved_at = time.monotonic()
            path = self._path
        try:
            with keyfile.locked(path):
                tables = keyfile.read_tables(path)  # an unusable file was reported when read
                for slot, chunks in fresh.items():
                    table = tables.setdefault(_NAMES[slot], {})
                    for chunk, keys in chunks.items():
                        if any(JOIN in key or NO_WORDS in key or "\n" in key for key in keys):
                            continue  # none do (keys hold no white space); never write one
                        table.pop(chunk, None)  # moved to the end: the newest
                        table[chunk] = JOIN.join(keys) if keys else NO_WORDS
                keyfile.write(path, tables)
        except OSError as exc:
            log.warning("word-key cache %s not saved: %s", path, exc)

    def _words(self, slot: int) -> dict[str, str]:
        """Word → key for a slot; for a costly one, starting from the stored one-word chunks
        (for others, computing a new chunk's words again costs less than this)."""
        known = self._known.get(slot)
        if known is None:
            chunks, values, single, index = self._stored.pop(slot, None) or ([], [], 0, [])
            one = [True] * single + [False] * (len(values) - single)
            # A chunk of letters between punctuation is that word (see `chunk_words`).
            words = list(map(str.strip, chunks, itertools.repeat(EDGE)))
            plain = list(map(operator.and_, map(str.isalpha, words), map(one.__getitem__, index)))
            known = self._known[slot] = dict(zip(
                itertools.compress(words, plain),
                itertools.compress(map(values.__getitem__, index), plain), strict=True))
        return known
