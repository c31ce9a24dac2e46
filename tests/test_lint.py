"""The code base stays ruff-clean (rules in pyproject.toml), and the state's SQL stays in
vedette/store/ (docs/design.md, "State")."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", "--quiet", "."], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# The state's tables, named where a query reads or writes them.
STATE_SQL = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+(?:articles|matches|deliveries|channel_sends"
                       r"|attempts|runs|feed_validators|job_runs|health_notices|write_check)\b")


def test_only_the_store_queries_the_state() -> None:
    outside = [path for folder in ("vedette", "spiders", "pipelines", "alerts", "bench")
               for path in sorted((ROOT / folder).rglob("*.py"))
               if (ROOT / "vedette" / "store") not in path.parents]
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in outside
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if STATE_SQL.search(line)]
    assert found == []
