"""`vedette state backup [FILE]`: a consistent, checked copy of the state file, safe while
the daemon runs (docs/operations.md, "Backing up and restoring the state")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vedette.config import Config
from vedette.output import Output
from vedette.store import backup_state, default_target

EXIT_OK = 0


def backup(config: Config, target: Path | None, out: Output,
           now: datetime | None = None) -> int:
    """Back the state up to `target` (default: beside the state, named by the time).

    A StateError (no state yet, a damaged state, a backup that can't be written) ends the
    command through the CLI's one-line report."""
    state = config.settings.state
    made = backup_state(state, target or default_target(state, now or datetime.now(UTC)))
    out.line(f"backed up {state} to {made.path} ({_size(made.size)}: {made.articles} "
             f"articles, {made.pending} deliveries pending)")
    return EXIT_OK


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"
