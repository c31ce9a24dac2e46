"""The word-key cache file: its format, checks, bounds and atomic replacement.

    vedette word keys\n
    {"format": 1, "edition": "…", "layout": "little4", "sections": [section, …]}\n
    each section, one per slot: [name, chunks, values, single, value bytes, bytes, crc32]
        the index of each chunk's value (unsigned, `layout` says the byte order and size)
        the distinct values, UTF-8, one per line: the `single` keys of one word first
        the chunks, UTF-8, one per line, oldest first

A chunk is a white-space separated piece of text ("drones,"), so it holds no white space;
its value is its words' keys joined by U+001F, or U+001E when it holds no word. Python's
`str.split()` treats both as white space, so neither occurs in a chunk or a key. Values
are stored once each and chunks point at them: a reader looks up each distinct key once
(a few thousand) instead of once per chunk, with C-level loops throughout. The header
names the edition of the normalisation (`stemming.keys_edition`): a file of another
edition, or written on a machine of another byte order, is not read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
import tempfile
import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from vedette.matching.stemming import keys_edition

log = logging.getLogger(__name__)

MAGIC = b"vedette word keys\n"
FORMAT = 1
JOIN = "\x1f"
"""Between the keys of a chunk's words."""
NO_WORDS = "\x1e"
"""The value of a chunk without words ("—", "…")."""
SECTION_CHUNKS = 60_000
"""Chunks kept per slot: news vocabulary beyond that is mostly names seen once."""
SECTION_BYTES = 3_000_000
"""Bytes kept per slot, whatever the chunks: 18 MB at the very most for the six slots;
1–2 MB in all in practice."""
MAX_CHUNK = 64
"""Longer chunks (URLs, hostile or broken text) are not kept: rare, and each takes room."""
_INDEX = "I"
_LAYOUT = f"{sys.byteorder}{array(_INDEX).itemsize}"

Table = dict[str, str]
"""Chunk → its value, oldest first."""


class Section(NamedTuple):
    chunks: list[str]
    values: list[str]
    """The distinct values: first those of one-word chunks (a key), then the others."""
    single: int
    """How many values are the key of one word."""
    index: array[int]
    """For each chunk, the index of its value."""


class Unusable(Exception):
    """The file can't be used; the message says why, `stale` when only the edition differs."""

    def __init__(self, message: str, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


def read_sections(path: Path) -> dict[str, tuple[int, int, int, int, bytes]]:
    """Each slot's (chunks, values, single, value bytes, bytes), checked, not decoded."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise Unusable("not a word-key cache")
    try:
        end = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC):end])
        if header["format"] != FORMAT:
            raise Unusable(f"format {header['format']}", stale=True)
        edition, layout, sections = header["edition"], header["layout"], header["sections"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Unusable(f"bad header ({exc.__class__.__name__})") from None
    if edition != keys_edition() or layout != _LAYOUT:
        raise Unusable("written by another edition of the word normalisation", stale=True)
    found: dict[str, tuple[int, int, int, int, bytes]] = {}
    offset = end + 1
    try:
        for name, chunks, values, single, value_bytes, size, crc in sections:
            raw = data[offset:offset + size]
            offset += size
            if len(raw) != size:
                raise Unusable("truncated")
            if zlib.crc32(raw) != crc:
                raise Unusable(f"checksum of {name}")
            found[str(name)] = (int(chunks), int(values), int(single), int(value_bytes), raw)
    except (ValueError, TypeError):
        raise Unusable("bad section list") from None
    if offset != len(data):
        raise Unusable("trailing bytes")
    return found


def decode(chunks: int, values: int, single: int, value_bytes: int, raw: bytes) -> Section:
    """One slot's section (checked: every index points at a value)."""
    index = array(_INDEX)
    start = chunks * index.itemsize
    split = start + value_bytes
    if len(raw) <= split or raw[split] != ord("\n"):
        raise Unusable("section layout")
    index.frombytes(raw[:start])
    found = Section(raw[split + 1:].decode("utf-8", "surrogatepass").split("\n"),
                    raw[start:split].decode("utf-8", "surrogatepass").split("\n"),
                    single, index)
    if (len(found.chunks), len(found.values)) != (chunks, values) or (
            chunks and max(index) >= values) or not 0 <= single <= values or any(
            JOIN in value or value == NO_WORDS for value in found.values[:single]):
        raise Unusable("entry count")
    return found


def encode(table: Table) -> tuple[list[int], bytes]:
    """The newest entries of a table that fit the bounds: ([chunks, values, value bytes],
    the section's bytes)."""
    items = [(chunk, value) for chunk, value in table.items()
             if len(chunk) <= MAX_CHUNK and len(value) <= 4 * MAX_CHUNK and "\n" not in value]
    items = items[-SECTION_CHUNKS:]
    while True:
        distinct = dict.fromkeys(value for _, value in items)
        single = [value for value in distinct if JOIN not in value and value != NO_WORDS]
        ordered = dict.fromkeys([*single, *distinct])  # one-word keys first
        numbers = {value: number for number, value in enumerate(ordered)}
        index = array(_INDEX, [numbers[value] for _, value in items])
        values = "\n".join(numbers).encode("utf-8", "surrogatepass")
        raw = b"".join((index.tobytes(), values, b"\n",
                        "\n".join(chunk for chunk, _ in items).encode("utf-8", "surrogatepass")))
        if len(raw) <= SECTION_BYTES:
            return [len(items), len(numbers), len(single), len(values)], raw
        items = items[len(items) - len(items) * SECTION_BYTES // len(raw) + 1:]


def read_tables(path: Path) -> dict[str, Table]:
    """Every slot's table, or none when the file can't be used (it is about to be replaced)."""
    try:
        tables = {}
        for name, raw in read_sections(path).items():
            section = decode(*raw)
            tables[name] = dict(zip(section.chunks, map(section.values.__getitem__, section.index),
                                    strict=True))
        return tables
    except (Unusable, OSError, ValueError):  # ValueError: also a bad UTF-8 sequence
        return {}


def write(path: Path, tables: dict[str, Table]) -> None:
    """Replace the file at once: readers see the old file or the new one, never a mix."""
    sections = [(name, *encode(table)) for name, table in tables.items() if table]
    header = {"format": FORMAT, "edition": keys_edition(), "layout": _LAYOUT,
              "sections": [(name, *sizes, len(raw), zlib.crc32(raw))
                           for name, sizes, raw in sections if sizes[0]]}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(MAGIC + json.dumps(header, ensure_ascii=False).encode() + b"\n")
            for _, sizes, raw in sections:
                if sizes[0]:
                    out.write(raw)
        # No fsync: after a power cut a torn file fails its checksum and is rebuilt.
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Held while a process reads, merges and replaces the file, so no save is lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def report(path: Path, problem: Exception) -> None:
    """The one line a process writes about a file it can't use."""
    if isinstance(problem, FileNotFoundError):
        log.info("no word-key cache at %s yet; this run builds it", path)
    elif isinstance(problem, Unusable) and problem.stale:
        log.info("word-key cache %s is from another version (%s); rebuilding it", path, problem)
    else:
        log.warning("word-key cache %s ignored and rebuilt: %s", path, problem)


def vet(path: Path) -> None:
    """Check the file before worker processes read it: a bad one is reported here, once,
    and removed, so the workers start without it instead of each reporting it."""
    try:
        read_sections(path)
    except (Unusable, OSError) as problem:
        report(path, problem)
        if isinstance(problem, FileNotFoundError):
            return
        with contextlib.suppress(OSError), locked(path):
            try:
                read_sections(path)  # unless a save has just replaced it
            except (Unusable, OSError):
                os.unlink(path)
