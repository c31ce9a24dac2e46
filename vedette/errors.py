"""Errors that end a command with one line naming what and where (no traceback)."""

from __future__ import annotations


class StateError(Exception):
    """The state file can't be used; the message names it and why."""
