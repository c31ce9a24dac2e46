"""`vedette demo`: offline, no config, a real digest by email and as files."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_whole_pipeline_offline_from_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "vedette", "--config", str(tmp_path / "no-such-config"), "demo",
         "--output", str(tmp_path / "demo")],
        capture_output=True, text=True, cwd=empty, timeout=120, check=False)

    assert result.returncode == 0, result.stderr
    [eml] = (tmp_path / "demo" / "mail").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "Ukraine and Lithuania sign letter of intent" in text
    assert "Україна і Литва домовилися" in text
    assert "Lietuva ir Ukraina pasirašė" in text
    assert "Parliament debates" not in text  # its only mentions are in the sidebar
    assert str(tmp_path / "demo" / "outbox") in result.stdout
    assert "nothing is left running" in result.stdout
    assert list(empty.iterdir()) == []  # nothing written where it was started
