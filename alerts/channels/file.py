"""File channel: each digest as NAME-TIMESTAMP.html, .txt and .json in a folder."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import uuid
from datetime import UTC
from pathlib import Path

from alerts.channels.base import Channel, DeliveryError, SendResult
from alerts.channels.retry import attempt_until_done
from alerts.render import RenderedDigest
from vedette.config.channels.file import FileChannel as FileConfig

log = logging.getLogger(__name__)


class FileChannel(Channel):
    """Writes NAME-TIMESTAMP.html, .txt and .json per digest into a folder.

    Each file appears whole or not at all (written aside, then renamed). A second digest in
    the same second gets its batch id appended instead of replacing the first.
    """

    kind = "file"
    config: FileConfig

    async def send(self, digest: RenderedDigest) -> SendResult:
        paths = await attempt_until_done(self, lambda: asyncio.to_thread(self.write, digest))
        log.info("%s: digest %s (%d items) written to %s", self.name, digest.digest,
                 len(digest.items), paths[0])
        return SendResult(self.name, digest.batch_id, len(digest.items), paths=paths)

    def classify(self, exc: Exception) -> DeliveryError | None:
        """A file system's refusal (a full disk, a folder not writable), said with the path."""
        if not isinstance(exc, OSError):
            return None
        reason = exc.strerror or str(exc)
        where = exc.filename or self.config.directory
        return self.error(f"cannot write the digest to {where}: {reason}")

    def size(self, digest: RenderedDigest) -> int:
        """The three files together."""
        return sum(len(text.encode("utf-8")) for text in self.contents(digest).values())

    def contents(self, digest: RenderedDigest) -> dict[str, str]:
        """Each file's text by its extension, HTML first."""
        return {
            ".html": digest.html,
            ".txt": digest.text,
            ".json": json.dumps(digest.data, ensure_ascii=False, indent=2) + "\n",
        }

    def write(self, digest: RenderedDigest) -> tuple[Path, Path, Path]:
        """Write the three files (blocking); their paths, HTML first."""
        directory = self.config.directory
        directory.mkdir(parents=True, exist_ok=True)
        stem = file_stem(digest)
        if any((directory / f"{stem}{ext}").exists() for ext in (".html", ".txt", ".json")):
            stem = f"{stem}-{digest.batch_id[:8]}"
        contents = self.contents(digest)
        paths = []
        for ext, text in contents.items():
            path = directory / f"{stem}{ext}"
            write_atomic(path, text.encode("utf-8"))
            paths.append(path)
        _sync_directory(directory)
        return paths[0], paths[1], paths[2]


def file_stem(digest: RenderedDigest) -> str:
    """NAME-YYYYmmddTHHMMSSZ, the name made safe for any file system."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", digest.digest).strip("-") or "digest"
    return f"{name}-{digest.generated_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old file or the new, never half."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _sync_directory(directory: Path) -> None:
    """Make the renames durable (POSIX; a no-op where folders can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("fsync of folder %s not supported", directory)
    finally:
        os.close(fd)
