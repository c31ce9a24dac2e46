"""`vedette check` tells what each source's first crawl will alert."""

from __future__ import annotations

from pathlib import Path

from tests.test_config import GOOD, write
from tests.test_config_errors import run_cli

SOURCES = """sources:
  - name: plain
    type: feed
    url: https://example.org/a.xml
  - name: week-back
    type: feed
    url: https://example.org/b.xml
    backfill: 3d
  - name: nothing-old
    type: feed
    url: https://example.org/c.xml
    backfill: 0s
  - name: capped
    type: feed
    url: https://example.org/d.xml
    backfill: 30d
    max_age: 7d
"""


def first_crawl(stdout: str) -> dict[str, str]:
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("  name=") and "first crawl=" in line:
            rows[line.split()[0].removeprefix("name=")] = line.split("first crawl=")[1]
    return rows


def test_each_source_shows_what_its_first_crawl_alerts(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, "sources.yaml": SOURCES})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 0, result.stderr
    assert first_crawl(result.stdout) == {
        "plain": "alerts last 24h", "week-back": "alerts last 3d", "nothing-old": "alerts none",
        "capped": "alerts last 7d (max_age)"}
    assert ("first crawl: a new source alerts only items published within its window "
            "(settings.first_crawl_window, per source backfill:); older and undated items are "
            "stored as seen and never alerted.") in result.stdout.splitlines()


def test_the_settings_window_applies_where_a_source_has_no_backfill(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {
        **GOOD, "sources.yaml": SOURCES,
        "settings.yaml": "settings:\n  state: state/v.db\n  first_crawl_window: 12h\n"})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 0, result.stderr
    assert first_crawl(result.stdout)["plain"] == "alerts last 12h"
    assert first_crawl(result.stdout)["week-back"] == "alerts last 3d"
