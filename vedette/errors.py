"""Errors that end a command with one line naming what and where (no traceback)."""

from __future__ import annotations


class StateError(Exception):
    """The state file can't be used as it is: not a database, damaged, not Vedette's, from a
    newer Vedette, or a folder. The message names the file and the remedy (restore a backup,
    upgrade Vedette, correct `settings.state`). Exit status 2: the state has to be put
    right before anything can run, like a config error."""

    exit_status = 2


class StateWriteError(StateError):
    """The state is sound but can't be written now (a read-only file or folder, a full disk,
    a lock file that can't be opened), or it was replaced or deleted under the running
    process. Exit status 1: the run stopped, and nothing was sent that could not be
    recorded."""

    exit_status = 1
