"""`vedette init [DIR]`: the commented starter config, for someone who installed with pip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

STARTER = sorted(p.name for p in (ROOT / "config").glob("*.yaml"))


def vedette(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "VEDETTE_CONFIG"}
    return subprocess.run([sys.executable, "-m", "vedette", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False, env={**environ, **(env or {})})


def test_init_writes_the_starter_config_that_then_checks_clean(tmp_path: Path) -> None:
    result = vedette("init", cwd=tmp_path)
    check = vedette("check", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "config").iterdir()) == STARTER
    for name in STARTER:
        assert (tmp_path / "config" / name).read_bytes() == (ROOT / "config" / name).read_bytes()
    assert f"state (articles, matches, deliveries): {tmp_path / 'state' / 'vedette.db'}" in result.stdout
    assert "vedette check" in result.stdout
    assert check.returncode == 0, check.stderr
    assert not (tmp_path / "state").exists()  # init and check create no state


def test_init_dir_and_the_config_variable(tmp_path: Path) -> None:
    nested = vedette("init", "etc/vedette/config", cwd=tmp_path)
    from_env = vedette("init", cwd=tmp_path, env={"VEDETTE_CONFIG": str(tmp_path / "env-config")})

    assert nested.returncode == 0 and from_env.returncode == 0, nested.stderr + from_env.stderr
    assert "vedette --config etc/vedette/config check" in nested.stdout
    assert sorted(p.name for p in (tmp_path / "etc" / "vedette" / "config").iterdir()) == STARTER
    assert sorted(p.name for p in (tmp_path / "env-config").iterdir()) == STARTER


def test_init_never_overwrites_or_merges_into_a_config(tmp_path: Path) -> None:
    mine = tmp_path / "config" / "mine.yaml"
    mine.parent.mkdir()
    mine.write_text("topics: []\n", encoding="utf-8")

    refused = vedette("init", cwd=tmp_path)

    assert refused.returncode == 2
    assert refused.stderr.startswith("error: config: already holds a config (mine.yaml)")
    assert [p.name for p in mine.parent.iterdir()] == ["mine.yaml"]
    assert mine.read_text(encoding="utf-8") == "topics: []\n"


def test_init_that_cannot_write_says_where_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way", encoding="utf-8")
    not_a_folder = vedette("init", "file", cwd=tmp_path)
    under_a_file = vedette("init", "file/config", cwd=tmp_path)

    assert not_a_folder.returncode == 2 and under_a_file.returncode == 2
    assert not_a_folder.stderr == "error: file: exists and is not a folder; nothing written\n"
    assert under_a_file.stderr.startswith("error: file/config: cannot write the starter config: ")
    assert len(under_a_file.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
