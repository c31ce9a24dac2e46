"""Fuzzing: each target (tests/fuzz/) runs briefly under atheris, and every input that once
crashed one (tests/fixtures/fuzz/<target>/) is replayed through the same check.

A crash, a hang (libFuzzer's -timeout) or runaway memory (-rss_limit_mb) fails the first
test with the path of the input that did it; save that input to tests/fixtures/fuzz/<target>/
once the cause is fixed. docs/design.md ("Fuzzing") says how to run the targets longer.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fuzz.harness import ROOT, regressions

TARGETS = ("feed", "config", "query")
SECONDS = 10
"""Fuzzing time per target in the suite (start-up and the seeds come on top)."""
SLOWEST_REPLAY = 10.0
"""Seconds one saved input may take to replay (the fuzzer's -timeout is 20)."""

needs_atheris = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[test]' on Linux x86-64, "
           "CPython 3.11-3.13, where it has wheels)")


@pytest.mark.fuzz
@needs_atheris
@pytest.mark.parametrize("target", TARGETS)
def test_target_survives_a_bounded_fuzzing_run(target: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "crashes"
    artifacts.mkdir()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz" / f"{target}.py"),
         f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
         "-print_final_stats=1", f"-artifact_prefix={artifacts}/", str(corpus)],
        capture_output=True, text=True, timeout=SECONDS + 120, cwd=ROOT,
    )
    found = sorted(artifacts.iterdir())
    if run.returncode != 0 or found:
        tail = "\n".join(run.stderr.splitlines()[-40:])
        written = re.findall(r"Test unit written to (\S+)", run.stderr)
        pytest.fail(f"fuzzing {target} failed (exit {run.returncode}); input: "
                    f"{', '.join(written) or ', '.join(map(str, found)) or 'none saved'}\n{tail}")
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", run.stderr)
    assert runs and int(runs.group(1)) > 0, run.stderr[-2000:]


REPLAYS = [(target, path) for target in TARGETS for path in regressions(target)]


@pytest.mark.parametrize(("target", "path"), REPLAYS,
                         ids=[f"{t}/{p.name}" for t, p in REPLAYS])
def test_saved_crash_is_answered_as_declared(target: str, path: Path) -> None:
    check = importlib.import_module(f"tests.fuzz.{target}").check
    started = time.monotonic()
    check(path.read_bytes())  # raises on any answer but a result or the declared error
    assert time.monotonic() - started < SLOWEST_REPLAY

