"""Keys of costly words kept between processes, so a cron run does not pay for them again.

Every run from cron is a fresh process. Most keys cost so little to compute again (a
Snowball stem about 2 µs a word with its folding, a Ukrainian dictionary word's lemma 3 µs)
that reading them from a file would cost as much as it saves. A word that pymorphy3's
dictionary does not hold costs 50 µs (its lemma is guessed from its ending), and news
repeats those (names, places, Russian words in a text read both ways): the analyzer asks
this memory before guessing, and tells it what it guessed. They live in the matching
cache file beside the state (`cachefile`), read a batch of words at a time and saved
when the process ends and every `SAVE_INTERVAL` seconds while it runs.
"""

from __future__ import annotations

import threading
import time

from vedette.matching.cachefile import CacheFile

SAVE_INTERVAL = 60.0
"""Seconds between saves of a long-running process, beside the save when it ends."""
_FRESH_LIMIT = 100_000  # new keys held between saves: bounded, whatever the text


class StoredKeys:
    """What the analyzer remembers across processes (see `stemming.KeyMemory`). Safe to
    share between threads."""

    def __init__(self, cache: CacheFile) -> None:
        self._cache = cache
        self._lock = threading.Lock()
        self._fresh: dict[str, dict[str, str]] = {}  # language → word → key, to save
        self._saved_at = time.monotonic()

    def recall(self, lang: str, words: list[str]) -> dict[str, str]:
        """The keys stored for those of `words` an earlier process worked out."""
        return self._cache.words(lang, words)

    def learn(self, lang: str, keys: dict[str, str]) -> None:
        """Keys worked out now, to be saved."""
        with self._lock:
            fresh = self._fresh.setdefault(lang, {})
            if len(fresh) < _FRESH_LIMIT:
                fresh.update(keys)
            due = time.monotonic() - self._saved_at > SAVE_INTERVAL
        if due:
            self.save()

    def save(self) -> None:
        """Add the keys learnt since the last save to the file."""
        with self._lock:
            fresh, self._fresh = self._fresh, {}
            self._saved_at = time.monotonic()
        for lang, keys in fresh.items():
            self._cache.add_words(lang, keys.items())
