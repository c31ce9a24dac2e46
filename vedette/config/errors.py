"""Configuration problems, each tied to the file and line it came from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, printed as `FILE:LINE: key.path: message`
    (`FILE:LINE:COLUMN:` when the problem is at a spot inside the line, e.g. a query's
    syntax or broken YAML)."""

    file: Path | None
    line: int | None
    key: str
    message: str
    column: int | None = None
    excerpt: str | None = None
    """The file's text at `line` (secret values already masked), shown by `detailed()`."""

    def __str__(self) -> str:
        where = str(self.file) if self.file else "config"
        if self.line:
            where = f"{where}:{self.line}"
            if self.column:
                where = f"{where}:{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def detailed(self) -> str:
        """The one-line problem, then the offending line of the file with a caret under
        the column (log lines use `str()`, which stays one line)."""
        if self.excerpt is None or not self.excerpt.strip():
            return str(self)
        excerpt, column = _window(self.excerpt, self.column)
        # Control characters would act on the terminal; show a stand-in of the same width.
        text = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in excerpt)
        shown = text.replace("\t", "    ")
        lines = [str(self), f"    {shown}"]
        if column:
            lead = text[:column - 1]
            lines.append("    " + " " * _width(lead.replace("\t", "    ")) + "^")
        return "\n".join(lines)


_SHOWN = 160
"""Characters of a line shown under a problem; a longer line (a 5,000-digit number, a
whole file on one line) is cut around the column, with '…' where it was cut."""


def _window(line: str, column: int | None) -> tuple[str, int | None]:
    """`line` cut to about _SHOWN characters around `column` (1-based), and the column in it."""
    if len(line) <= _SHOWN:
        return line, column
    start = max(0, min((column or 1) - 1 - _SHOWN // 2, len(line) - _SHOWN))
    cut = line[start:start + _SHOWN]
    if start:
        cut, column = "…" + cut, column and column - start + 1
    if start + _SHOWN < len(line):
        cut += "…"
    return cut, column


def _width(text: str) -> int:
    """Terminal columns taken by `text`: wide (CJK) characters take two, so the caret
    still lands under the right character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason found in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
