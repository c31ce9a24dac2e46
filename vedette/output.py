"""What the user sees: log lines on stderr, one line per failure, rich tables on a terminal.

Off a terminal (cron, pipes, files, monitoring) the lines are written as plain text and rich
is never imported: it costs ≈ 0.06 s of every start (docs/performance.md, "Start-up"). The
text is the same as rich would print there: rich drops the control codes below and expands
tabs (a line with a tab still goes through rich), and both paths leave `:name:` emoji codes
as written.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

# What rich's Text removes from a string (bell, backspace, vertical tab, form feed, carriage
# return: rich.control.STRIP_CONTROL_CODES).
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


_PLAIN = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Replaces every known secret value in log records with ***."""

    def __init__(self) -> None:
        super().__init__()
        # Replaced whole, never changed in place: threads log while a reload adds secrets.
        # Longest first, so a secret holding another (a URL and its token) goes whole.
        self.secrets: tuple[str, ...] = ()

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(sorted({*self.secrets, *secrets}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = self.redact(record.getMessage()), None
            # A traceback quotes what the exception says (a URL with its password): it is
            # formatted here, redacted, and kept where every formatter looks for it first.
            if record.exc_info and not record.exc_text:
                record.exc_text = _PLAIN.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
            if record.stack_info:
                record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_text:  # formatted, and redacted, by RedactingFilter
            entry["error"] = record.exc_text
        elif record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class Output:
    def __init__(self) -> None:
        self.terminal = sys.stdout.isatty()
        self.redactor = RedactingFilter()
        self.json_lines = False
        self._consoles: dict[bool, Console] = {}

    @property
    def console(self) -> Console:
        """rich's console on stdout (imports rich: the plain path needs none)."""
        return self._console(stderr=False)

    @property
    def errors(self) -> Console:
        """rich's console on stderr."""
        return self._console(stderr=True)

    def _console(self, stderr: bool) -> Console:
        if stderr not in self._consoles:
            from rich.console import Console

            # No emoji codes: names, titles and errors are shown as written.
            self._consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=True,
                                             emoji=False)
        return self._consoles[stderr]

    def configure_logging(self, verbosity: int, json_lines: bool = False) -> None:
        self.json_lines = json_lines
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
        handler.addFilter(self.redactor)
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.DEBUG if verbosity else logging.WARNING)
        level = logging.INFO if verbosity == 1 else (logging.DEBUG if verbosity > 1 else logging.WARNING)
        logging.getLogger("vedette").setLevel(level)
        for noisy in ("scrapy", "twisted", "trafilatura", "htmldate", "courlan", "filelock",
                      "apscheduler", "apprise", "asyncio", "aiosmtplib", "httpx", "httpcore",
                      "charset_normalizer"):
            logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
        for ours in ("spiders", "pipelines", "alerts"):
            logging.getLogger(ours).setLevel(level)
        # A dead or refusing site makes Scrapy log each given-up request (robots.txt too,
        # with a traceback); the run's outcome already says why, in one line (-v shows these).
        for per_request in ("scrapy.downloadermiddlewares.retry",
                            "scrapy.downloadermiddlewares.robotstxt"):
            logging.getLogger(per_request).setLevel(
                logging.CRITICAL if not verbosity else logging.DEBUG if verbosity > 1
                else logging.WARNING)

    def redact(self, secrets: Iterable[str]) -> None:
        self.redactor.add(s for s in secrets if s and len(s) >= 4)

    def scrapy_log_level(self, verbosity: int) -> str:
        return "DEBUG" if verbosity > 1 else "WARNING"

    def line(self, text: str = "") -> None:
        self._print(text, stderr=False)

    def error(self, text: str) -> None:
        """One line per failure: `error: …`, or a JSON record among the JSON log lines."""
        text = self.redactor.redact(text)
        if self.json_lines:
            record = logging.LogRecord("vedette", logging.ERROR, "", 0, text, None, None)
            print(JsonFormatter().format(record), file=sys.stderr, flush=True)
            return
        self._print(f"error: {text}", stderr=True, style="red")

    def warning(self, text: str) -> None:
        """A problem that changes nothing about the outcome: `warning: …` on stderr."""
        self._print(f"warning: {text}", stderr=True, style="yellow")

    def _print(self, text: str, stderr: bool, style: str | None = None) -> None:
        """One line (or several, for text that holds line breaks) on stdout or stderr: through
        rich on a terminal, else written as rich would write it there, and flushed."""
        if self.terminal:
            self._console(stderr).print(text, markup=False, style=style)
        elif "\t" in text:  # rich's tab stops count wide characters twice: let it expand them
            self._console(stderr).print(text, markup=False)
        else:
            _write(sys.stderr if stderr else sys.stdout, text.translate(_STRIPPED) + "\n")

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        shown = [[("" if cell is None else str(cell)) for cell in row] for row in rows]
        if self.terminal:
            # Only a terminal gets rich tables: cron, pipes and monitoring need not import them.
            from rich.table import Table

            table = Table(title=title, title_justify="left")
            for column in columns:
                table.add_column(column, overflow="fold")
            for row in shown:
                table.add_row(*row)
            self.console.print(table)
            return
        self.line(f"{title}:")
        if not shown:
            self.line("  (none)")
        for row in shown:
            self.line("  " + "  ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True) if v))


def _write(stream: TextIO, text: str) -> None:
    """Write and flush, as rich does; a reader that went away (`vedette check | head -1`)
    ends the command quietly with exit 1, as rich's console does."""
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
