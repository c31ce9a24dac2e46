"""Real faults of the file system for the state tests: a read-only file or folder, a full disk.

Tests run as root here, and root ignores permission bits: a `chmod a-w` file is written all
the same, and SQLite's `?mode=ro` or `PRAGMA query_only` would only test SQLite's own switch,
not what a read-only file does to Vedette. Two mechanisms bind root too:

- `chattr +i` (the immutable attribute): the kernel refuses every write to the file, or
  every new name in the folder, with EPERM, whoever asks; `os.access` reports it. It is what
  a read-only volume or a file owned by another user looks like to the process.
- a small tmpfs mounted over a folder, filled to the last page: writes there fail with
  ENOSPC exactly as on a full disk, with no loop device and nothing to clean up but the
  mount.

Each skips the test with the reason when the machine can't do it (no chattr, a file system
without the attribute, no right to mount).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`path` (a file or a folder) can't be written, even by root, until the block ends."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: no way to make a file read-only for root")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")
    try:
        assert not os.access(path, os.W_OK)
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@contextmanager
def small_disk(folder: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (created), unmounted at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (a full disk needs one): "
                    f"{done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


@contextmanager
def filled(folder: Path) -> Iterator[None]:
    """The disk that holds `folder` has no free page until the block ends."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"\0" * 65536
        while True:
            try:
                os.write(handle, block)
            except OSError:
                if len(block) == 1:
                    break
                block = block[:len(block) // 2]  # down to the last byte that fits
    finally:
        os.close(handle)
    space = os.statvfs(folder)
    assert space.f_bavail == 0, "the disk is not full"
    try:
        yield
    finally:
        filler.unlink()
