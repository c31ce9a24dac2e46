"""Configuration problems, each tied to the file and line it came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, printed as `FILE:LINE: key.path: message`
    (`FILE:LINE:COLUMN:` when the problem is inside a value, e.g. a query's syntax)."""

    file: Path | None
    line: int | None
    key: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file) if self.file else "config"
        if self.line:
            where = f"{where}:{self.line}"
            if self.column:
                where = f"{where}:{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason found in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
