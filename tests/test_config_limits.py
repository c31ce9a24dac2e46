"""Limits in the config (RELIABILITY item 33): a value that would switch a limit off
underneath (Scrapy reads DOWNLOAD_MAXSIZE 0 and DOWNLOAD_TIMEOUT 0 as "none"), make every
send fail at once, or overflow, is refused at load time with FILE:LINE, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.test_config import GOOD, problems, write
from vedette.config import load_config

SETTINGS = "settings:\n  state: state/v.db\n"
SOURCE = GOOD["sources.yaml"]
EMAIL = ("channels:\n  archive:\n    type: file\n    directory: outbox\n"
         "  mail:\n    type: email\n    host: smtp.example.org\n    from: v@example.org\n"
         "    to: [a@example.org]\n")
SLACK = ("channels:\n  archive:\n    type: file\n    directory: outbox\n"
         "  chat:\n    type: slack\n    webhook_url: https://hooks.example.org/x\n")
DIGESTS = "digests:\n  - name: morning\n    schedule: '0 7 * * *'\n    channels: [archive]\n"

# (file, text, expected line: "FILE:LINE: key: message" from the file name on)
CASES = {
    "response size 0 (Scrapy: no limit)": (
        "settings.yaml", SETTINGS + "  max_response_size: 0\n",
        "settings.yaml:3: settings.max_response_size: must be above 0, found 0 (Scrapy reads 0 "
        "as no size limit"),
    "response size 0MB": ("settings.yaml", SETTINGS + "  max_response_size: 0MB\n",
                          "settings.yaml:3: settings.max_response_size: must be above 0"),
    "negative response size": ("settings.yaml", SETTINGS + "  max_response_size: -1\n",
                               "settings.yaml:3: settings.max_response_size: -1 is negative"),
    "response size beyond memory": (
        "settings.yaml", SETTINGS + "  max_response_size: 64GiB\n",
        "settings.yaml:3: settings.max_response_size: 64GiB is too large (at most 1GiB"),
    "response size that overflows": (
        "settings.yaml", SETTINGS + f"  max_response_size: {'9' * 400}GB\n",
        "settings.yaml:3: settings.max_response_size: '999"),
    "request timeout 0 (Scrapy: no timeout)": (
        "settings.yaml", SETTINGS + "  request_timeout: 0s\n",
        "settings.yaml:3: settings.request_timeout: must be above 0, found 0s (Scrapy reads 0 "
        "as no timeout"),
    "negative request timeout": ("settings.yaml", SETTINGS + "  request_timeout: -5\n",
                                 "settings.yaml:3: settings.request_timeout: -5 is negative"),
    "request timeout of days": (
        "settings.yaml", SETTINGS + "  request_timeout: 2d\n",
        "settings.yaml:3: settings.request_timeout: 2d is too long (at most 10m"),
    "concurrency 0": ("settings.yaml", SETTINGS + "  concurrent_requests: 0\n",
                      "settings.yaml:3: settings.concurrent_requests: Input should be greater "
                      "than or equal to 1"),
    "keep_text 0": ("settings.yaml", SETTINGS + "  keep_text: 0\n",
                    "settings.yaml:3: settings.keep_text: must be above 0, found 0s"),
    "health.stale 0": ("settings.yaml", SETTINGS + "  health:\n    stale: 0s\n",
                       "settings.yaml:4: settings.health.stale: must be above 0, found 0s"),
    "max_age 0": ("sources.yaml", SOURCE + "    max_age: 0d\n",
                  "sources.yaml:5: sources[0].max_age: must be above 0, found 0s"),
    "max_age that overflows": (
        "sources.yaml", SOURCE + "    max_age: 99999999999999w\n",
        "sources.yaml:5: sources[0].max_age: '99999999999999w' is too long (at most 36500d"),
    "max_age infinite": ("sources.yaml", SOURCE + "    max_age: .inf\n",
                         "sources.yaml:5: sources[0].max_age: inf is too long"),
    "interval that overflows": (
        "sources.yaml", SOURCE + "    schedule: every 99999999999999w\n",
        "sources.yaml:5: sources[0].schedule: '99999999999999w' is too long"),
    "email timeout 0": (
        "alerts.yaml", EMAIL + "    timeout: 0\n" + DIGESTS,
        "alerts.yaml:10: channels.mail.timeout: must be above 0, found 0s"),
    "slack timeout of a week": (
        "alerts.yaml", SLACK + "    timeout: 1w\n" + DIGESTS,
        "alerts.yaml:8: channels.chat.timeout: 1w is too long (at most 1h"),
    # Digest caps (RELIABILITY 34): 0 never switches a cap off.
    "email max_entries 0": (
        "alerts.yaml", EMAIL + "    max_entries: 0\n" + DIGESTS,
        "alerts.yaml:10: channels.mail.max_entries: must be above 0, found 0 (0 would show "
        "no match at all"),
    "email max_bytes 0": (
        "alerts.yaml", EMAIL + "    max_bytes: 0\n" + DIGESTS,
        "alerts.yaml:10: channels.mail.max_bytes: 0 is too small (at least 16KiB: a digest "
        "cut down to the count of what was left out must still fit; 0 does not switch the "
        "cap off)"),
    "email max_bytes past any server": (
        "alerts.yaml", EMAIL + "    max_bytes: 1GiB\n" + DIGESTS,
        "alerts.yaml:10: channels.mail.max_bytes: 1GiB is too large (at most 100MiB"),
    "slack max_bytes of a few bytes": (
        "alerts.yaml", SLACK + "    max_bytes: 100\n" + DIGESTS,
        "alerts.yaml:8: channels.chat.max_bytes: 100 is too small (at least 16KiB"),
    "file max_entries negative": (
        "alerts.yaml", EMAIL.replace("outbox\n", "outbox\n    max_entries: -1\n", 1) + DIGESTS,
        "alerts.yaml:5: channels.archive.max_entries: must be above 0, found -1"),
    "matches per crawl 0": (
        "settings.yaml", SETTINGS + "  max_matches_per_crawl: 0\n",
        "settings.yaml:3: settings.max_matches_per_crawl: must be above 0, found 0 (0 would "
        "let no source alert"),
}


@pytest.mark.parametrize("file,text,expected", CASES.values(), ids=CASES.keys())
def test_limit_that_would_switch_off_or_overflow_is_refused_at_load(
        tmp_path: Path, file: str, text: str, expected: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, file: text})
    found = problems(folder)
    assert any(expected in line for line in found), found
    assert all("\n" not in line for line in found)


def test_zero_keeps_its_documented_meaning_where_it_has_one(tmp_path: Path) -> None:
    """backfill / first_crawl_window 0: alert nothing already there; retries 0: no retry;
    extraction_workers 0: one per core. None of these switches a safety limit off."""
    folder = write(tmp_path / "cfg", {
        **GOOD,
        "settings.yaml": SETTINGS + "  first_crawl_window: 0s\n  extraction_workers: 0\n",
        "sources.yaml": SOURCE + "    backfill: 0s\n",
        "alerts.yaml": SLACK + "    retries: 0\n" + DIGESTS,
    })
    config = load_config(folder, environ={})
    assert config.sources[0].backfill is not None and not config.sources[0].backfill
    assert config.settings.first_crawl_window.total_seconds() == 0


def test_overflowing_duration_is_a_config_error_in_the_cli(workspace: Workspace) -> None:
    write(workspace.config, {**GOOD, "sources.yaml": SOURCE + "    max_age: 99999999999999w\n"})

    result = workspace.run("check")

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "sources.yaml:5: sources[0].max_age: '99999999999999w' is too long" in result.stderr
