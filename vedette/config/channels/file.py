"""`type: file`: each digest as files in a folder; its channel is alerts/channels/file.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from vedette.config.channels.base import FITS_SUMMARY, ChannelBase, DigestEntries
from vedette.config.types import ByteSize, at_most

FileBytes = Annotated[ByteSize, FITS_SUMMARY,
                      at_most(1024**3, "a digest is rendered in memory whole")]


class FileChannel(ChannelBase):
    """Writes NAME-TIMESTAMP.html, .txt and .json per digest into a folder."""

    full_record = True

    type: Literal["file"]
    directory: Path
    """Folder for the files (created if missing); relative to the config folder."""
    max_entries: DigestEntries = 100_000
    """Most matches written in one digest; past it each source keeps a fair share and the
    rest are counted by source."""
    max_bytes: FileBytes = 1024**3
    """Largest digest written (the three files together)."""

    def target(self) -> str:
        return str(self.directory)

    def resolved(self, folder: Path) -> Self:
        if self.directory.is_absolute():
            return self
        return self.model_copy(update={"directory": folder / self.directory})
