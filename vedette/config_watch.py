"""Notice edits to the config folder: a cheap stat of its YAML files, compared over time."""

from __future__ import annotations

from pathlib import Path


class ConfigWatch:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp = self._read()

    def _read(self) -> tuple[tuple[str, int, int], ...]:
        stamp = []
        for path in sorted(self.folder.glob("*.y*ml")):
            try:
                info = path.stat()
            except OSError:
                continue
            stamp.append((path.name, info.st_mtime_ns, info.st_size))
        return tuple(stamp)

    def changed(self) -> bool:
        """True once after each change (a file edited, added or removed)."""
        stamp = self._read()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        return True
