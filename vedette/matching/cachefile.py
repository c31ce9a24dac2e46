"""The matching cache beside the state: what a fresh process would otherwise work out again.

`<state>.cache` is an SQLite file holding
- the keys of costly words: pymorphy3 lemmas of words its dictionary does not hold (names,
  Russian words in a Ukrainian stream: about 50 µs each, against 3 µs for a dictionary
  word and 2 µs for a Snowball stem, which are not kept);
- compiled topics (see `stored`), each under a key that names the topics and the code;
- the lexicons of the lemmatised languages (`lemmas`): a second and 100 MB to build from
  the dictionaries, a hundredth of that to read back, whenever topics are compiled.

Everything in it can be rebuilt, so a problem with it costs one log line and nothing else:
a file that is not ours, damaged, or from another edition of the word normalisation
(`stemming.keys_edition`) is replaced by an empty one, atomically (a new file renamed over
it). SQLite makes each save one transaction, lets worker processes read and write at the
same time (a save waits for another's to end), and keeps the file whole through a crash.
Rows carry a checksum, so a damaged value is never used. Bounded: `WORD_LIMIT` words (the
oldest go first) and the `COMPILED_KEPT` newest compiled topics.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from vedette.matching.stemming import keys_edition

log = logging.getLogger(__name__)

APPLICATION_ID = 0x56454443  # "VEDC": tells our file from any other SQLite file
FORMAT = 2  # the schema below, as PRAGMA user_version
WORD_LIMIT = 200_000
"""Words kept (a few MB): far more than the names and foreign words of a year of news."""
COMPILED_KEPT = 2
"""Compiled topics kept: the current ones and the ones before an edit."""
_BUSY_SECONDS = 10.0  # waiting for another process's save
_BATCH = 500  # words per query (SQLite allows 32,766 parameters)
_LOOKUP = "SELECT word, key, checksum FROM words WHERE lang = ? AND word IN"
_TABLES = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE words (lang TEXT NOT NULL, word TEXT NOT NULL, key TEXT NOT NULL, "
    "checksum INTEGER NOT NULL, PRIMARY KEY (lang, word))",
    "CREATE TABLE compiled (key TEXT PRIMARY KEY, data BLOB NOT NULL, "
    "checksum INTEGER NOT NULL, stored REAL NOT NULL)",
    "CREATE TABLE lexicons (lang TEXT PRIMARY KEY, data BLOB NOT NULL, "
    "checksum INTEGER NOT NULL)",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {FORMAT}",
)


def cache_path(state: Path) -> Path:
    """The cache of one state file: each state has its own, next to it."""
    return state.with_name(state.name + ".cache")


class Unusable(Exception):
    """The file can't be used; the message says why, `stale` when only the edition differs."""

    def __init__(self, message: str, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


def _word_checksum(lang: str, word: str, key: str) -> int:
    return zlib.crc32(f"{lang}\x1f{word}\x1f{key}".encode("utf-8", "surrogatepass"))


class CacheFile:
    """One process's connection to the cache file, opened on first use; safe to share
    between threads. After an error, it reports it once, replaces the file and carries on
    without it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._failed = False
        self._lock = threading.RLock()

    def words(self, lang: str, words: list[str]) -> dict[str, str]:
        """The stored keys of those of `words` the file holds."""
        found: dict[str, str] = {}
        with self._using() as db:
            for start in range(0, len(words), _BATCH) if db is not None else ():
                assert db is not None  # the loop runs only with a file
                batch = words[start:start + _BATCH]
                marks = ",".join("?" * len(batch))  # placeholders only: the words are bound
                rows = db.execute(f"{_LOOKUP} ({marks})", (lang, *batch))
                for word, key, checksum in rows:
                    if (isinstance(word, str) and isinstance(key, str)
                            and _word_checksum(lang, word, key) == checksum):
                        found[word] = key
        return found

    def add_words(self, lang: str, pairs: Iterable[tuple[str, str]]) -> None:
        rows = [(lang, word, key, _word_checksum(lang, word, key)) for word, key in pairs]
        with self._using() as db:
            if db is not None and rows:
                with _transaction(db):
                    db.executemany("INSERT OR IGNORE INTO words VALUES (?, ?, ?, ?)", rows)
                    # Row ids only grow, so this keeps at most WORD_LIMIT rows, the newest.
                    db.execute("DELETE FROM words WHERE rowid <= "
                               "(SELECT max(rowid) FROM words) - ?", (WORD_LIMIT,))

    def compiled(self, key: str) -> bytes | None:
        return self._blob("SELECT data, checksum FROM compiled WHERE key = ?", key)

    def add_compiled(self, key: str, data: bytes, now: float) -> None:
        with self._using() as db:
            if db is not None:
                with _transaction(db):
                    db.execute("INSERT OR REPLACE INTO compiled VALUES (?, ?, ?, ?)",
                               (key, data, zlib.crc32(data), now))
                    db.execute("DELETE FROM compiled WHERE key NOT IN (SELECT key FROM compiled "
                               "ORDER BY stored DESC LIMIT ?)", (COMPILED_KEPT,))

    def lexicon(self, lang: str) -> bytes | None:
        return self._blob("SELECT data, checksum FROM lexicons WHERE lang = ?", lang)

    def _blob(self, query: str, key: str) -> bytes | None:
        """The value a query finds, when its checksum says it is whole."""
        row = None
        with self._using() as db:
            if db is not None:
                row = db.execute(query, (key,)).fetchone()
        if row is None or not isinstance(row[0], bytes) or zlib.crc32(row[0]) != row[1]:
            return None
        return bytes(row[0])

    def add_lexicon(self, lang: str, data: bytes) -> None:
        with self._using() as db:
            if db is not None:
                with _transaction(db):
                    db.execute("INSERT OR REPLACE INTO lexicons VALUES (?, ?, ?)",
                               (lang, data, zlib.crc32(data)))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextlib.contextmanager
    def _using(self) -> Iterator[sqlite3.Connection | None]:
        """The connection (None once the file failed), and the one place errors are handled."""
        with self._lock:
            if self._db is None and not self._failed:
                self._db = _open(self.path)
                self._failed = self._db is None
            try:
                yield self._db
            except sqlite3.OperationalError as problem:  # locked for too long, disk full …
                log.warning("matching cache %s not used: %s", self.path, problem)
            except sqlite3.DatabaseError as problem:  # damage found on the way
                report(self.path, problem)
                self.close()
                self._failed = True
                replace(self.path)


def _open(path: Path) -> sqlite3.Connection | None:
    """A connection to a usable file, replacing a bad one; None, said once, when there
    can be none (a folder in the way, no permission)."""
    try:
        return connect(path)
    except (OSError, sqlite3.OperationalError) as problem:  # also: locked for too long
        log.warning("matching cache %s not used: %s", path, problem)
        return None
    except (Unusable, sqlite3.DatabaseError) as problem:  # not ours, or damaged
        replace(path)
        try:
            db = connect(path)
        except (Unusable, sqlite3.Error, OSError) as again:
            log.warning("matching cache %s not used: %s", path, again)
            return None
        report(path, problem)
        return db


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a usable cache file: created when missing or empty; Unusable (or
    sqlite3.DatabaseError) when it is not one; emptied when of another edition."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None,
                         check_same_thread=False)
    try:
        _check(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _check(db: sqlite3.Connection, path: Path) -> None:
    if _header(db) == (0, 0):  # a new (empty) file, or one another process is creating
        with _transaction(db):
            if _header(db) == (0, 0):
                if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise Unusable("not a matching cache")
                for statement in _TABLES:
                    db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('edition', ?)", (keys_edition(),))
                _remove_earlier_files(path)
    application, version = _header(db)
    if application != APPLICATION_ID:
        raise Unusable("not a matching cache")
    if version != FORMAT:
        raise Unusable(f"format {version}", stale=True)
    row = db.execute("SELECT value FROM meta WHERE name = 'edition'").fetchone()
    if row is None or row[0] != keys_edition():
        with _transaction(db):
            db.execute("DELETE FROM words")
            db.execute("DELETE FROM compiled")
            db.execute("DELETE FROM lexicons")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('edition', ?)", (keys_edition(),))
        report(path, Unusable("written by another edition of the word normalisation", stale=True))


def _remove_earlier_files(path: Path) -> None:
    """An earlier version kept chunks' keys in `<state>.wordkeys` (and its lock file):
    this file replaces it."""
    earlier = path.with_name(path.name.removesuffix(".cache") + ".wordkeys")
    for leftover in (earlier, earlier.with_name(earlier.name + ".lock")):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _header(db: sqlite3.Connection) -> tuple[int, int]:
    return (db.execute("PRAGMA application_id").fetchone()[0],
            db.execute("PRAGMA user_version").fetchone()[0])


def replace(path: Path) -> None:
    """Put an empty cache file in place of `path`, atomically: a process opening it then
    finds the old file or the new one, never a mix (one still using the old one keeps it
    until it closes it)."""
    with contextlib.suppress(OSError, sqlite3.Error):
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        try:
            connect(Path(temp)).close()
            os.replace(temp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def report(path: Path, problem: Exception) -> None:
    """The one line a process writes about a cache file it can't use as it is."""
    if isinstance(problem, Unusable) and problem.stale:
        log.info("matching cache %s is from another version (%s); rebuilding it", path, problem)
    else:
        log.warning("matching cache %s ignored and rebuilt: %s", path, problem)


def vet(path: Path) -> None:
    """Check the file before worker processes use it, reading every page: a bad one is
    reported here, once, and replaced, instead of by each worker."""
    db = _open(path)
    if db is None:
        return
    try:
        # Damage inside a page shows only when the page is read: quick_check reads them
        # all (about 3 ms a MB here), once per run instead of failing a worker's lookup.
        result = db.execute("PRAGMA quick_check").fetchall()
        if result != [("ok",)]:
            raise sqlite3.DatabaseError(f"damaged ({result[0][0]})")
    except sqlite3.OperationalError:
        pass  # busy: the workers will find out for themselves
    except sqlite3.DatabaseError as problem:
        db.close()
        report(path, problem)
        replace(path)
        return
    db.close()
