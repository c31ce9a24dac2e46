"""Lexicons kept in the user's cache folder, shared by every state and process of the user.

Building a lexicon from simplemma's dictionary costs about a second and 100 MB; the
matching cache beside a state keeps it for that state (`cachefile`), and this folder for
the states to come: a second configuration, `vedette demo`, `test-topic` on a new state.
`$XDG_CACHE_HOME/vedette` (else `~/.cache/vedette`), one file per language and edition of
simplemma, written atomically (a new file renamed over the old). Anything wrong with it
(no home folder, read-only, a damaged or foreign file) means building the lexicon, and
never an error: nothing here is needed, and a file is read as text only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import zlib
from pathlib import Path

log = logging.getLogger(__name__)

_MAGIC = b"vedette lexicon 1\n"


def folder() -> Path | None:
    """Where the user's lexicons live, or None when there is no such place."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "vedette"
    try:
        return Path.home() / ".cache" / "vedette"
    except RuntimeError:  # no home folder (a system user without one)
        return None


class UserLexicons:
    """`lemmas.LexiconStore` over the user's cache folder, for one edition of simplemma."""

    def __init__(self, edition: str, where: Path | None = None) -> None:
        self._where = where if where is not None else folder()
        self._tag = hashlib.sha256(edition.encode()).hexdigest()[:16]

    def _path(self, lang: str) -> Path | None:
        return self._where / f"lexicon-{lang}-{self._tag}" if self._where is not None else None

    def lexicon(self, lang: str) -> bytes | None:
        path = self._path(lang)
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head, _, data = raw.partition(b"\n\n")
        if not head.startswith(_MAGIC) or head[len(_MAGIC):] != str(zlib.crc32(data)).encode():
            log.debug("lexicon file %s ignored: not one Vedette wrote, or damaged", path)
            return None
        return data

    def add_lexicon(self, lang: str, data: bytes) -> None:
        path = self._path(lang)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(_MAGIC + str(zlib.crc32(data)).encode() + b"\n\n" + data)
                os.replace(temp, path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        except OSError as problem:
            log.debug("lexicon file %s not written: %s", path, problem)
