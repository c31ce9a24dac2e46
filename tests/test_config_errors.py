"""Broken YAML is reported as FILE:LINE:COLUMN and plain words, then the line itself with a
caret under the spot: by every command, through the real CLI. The daemon's reload keeps
its log to the one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_config import GOOD, write

# PyYAML's own wording, which a person editing a config file should never have to decode.
PARSER_WORDS = ("mapping values are not allowed", "while parsing", "while scanning", "<block",
                "expected <", "could not find expected", "cannot start any token", "Error")

# (file, text, line, column, message start, the line shown). Columns are 1-based.
CASES = {
    "indented more than the key above": (
        "sources.yaml",
        "sources:\n  - name: example\n    type: feed\n      url: https://example.org/rss\n",
        4, 7, "bad indentation: this line is indented more than the key above it expects "
              "(`type` on line 3 starts in column 5)",
        "      url: https://example.org/rss"),
    "indented between two keys": (
        "sources.yaml",
        "sources:\n  - name: example\n   type: feed\n    url: https://example.org/rss\n",
        3, 4, "bad indentation: this line starts in column 4, which matches no key above it "
              "(`name` starts in column 5 on line 2, `sources` starts in column 1 on line 1)",
        "   type: feed"),
    "key where a list item belongs": (
        "sources.yaml",
        "sources:\n  - name: example\n    type: feed\n  url: https://example.org/rss\n",
        4, 3, "bad indentation: this line starts in column 3, which matches no key above it",
        "  url: https://example.org/rss"),
    "': ' inside an unquoted value": (
        "keywords.yaml", "topics:\n  - name: Defense: news\n    any: [joint production]\n",
        2, 18, "a ': ' inside an unquoted value: put the whole value in quotes",
        "  - name: Defense: news"),
    "tab used for indentation": (
        "settings.yaml", "settings:\n\tstate: state/v.db\n",
        2, 1, "a tab is used for indentation: YAML indents with spaces only",
        "\tstate: state/v.db"),
    "unclosed quote": (
        "keywords.yaml", 'topics:\n  - name: "Joint production\n    any: [joint production]\n',
        2, 11, 'this quote is never closed: add the closing " at the end of the value',
        '  - name: "Joint production'),
    "quote left open runs on to a later quote": (
        "keywords.yaml", 'topics:\n  - name: "Joint production\n    any: ["joint production"]\n',
        2, 11, 'this quote is not closed on its line, so the value runs on to the next " '
               '(line 3): add the closing " at the end of the value',
        '  - name: "Joint production'),
    "unclosed bracket": (
        "keywords.yaml", "topics:\n  - name: Joint production\n    any: [joint production\n",
        3, 10, "this '[' is never closed: add the missing ']'",
        "    any: [joint production"),
    "cron expression not in quotes": (
        "sources.yaml", GOOD["sources.yaml"] + "    schedule: */30 * * * *\n",
        5, 15, "a value starting with '*' must be in quotes",
        "    schedule: */30 * * * *"),
    "text after a closing quote": (
        "keywords.yaml", 'topics:\n  - name: "Joint" production\n    any: [joint production]\n',
        2, 19, "text follows the closing quote", '  - name: "Joint" production'),
    "key without a colon": (
        "settings.yaml", "settings:\n  state: state/v.db\n  timezone\n  obey_robots: true\n",
        3, 3, "this line has no ':' after its key", "  timezone"),
    "duplicate key": (
        "settings.yaml", "settings:\n  state: state/v.db\n  timezone: UTC\n  state: other.db\n",
        4, 3, "settings.state: duplicate key: 'state' is already set on line 2",
        "  state: other.db"),
    "python tag": (
        "settings.yaml", "settings: !!python/object/apply:os.system ['id']\n",
        1, 11, "the tag '!!python/object/apply:os.system' is not allowed",
        "settings: !!python/object/apply:os.system ['id']"),
    "a value that contains itself": (
        "settings.yaml", "settings: &s\n  state: state/v.db\n  again: *s\n",
        3, 3, "settings.again: this value contains itself (an alias '*' to the anchor '&' "
              "of a value around it)",
        "  again: *s"),
    "two documents in one file": (
        "settings.yaml", "settings:\n  state: state/v.db\n---\nsettings: {}\n",
        3, 1, "a second document ('---') in one file", "---"),
}


def run_cli(cwd: Path, folder: Path, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vedette", "--config", str(folder), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("name,text,line,column,message,shown", CASES.values(), ids=CASES.keys())
def test_broken_yaml_shows_the_spot_in_plain_words(
        tmp_path: Path, name: str, text: str, line: int, column: int, message: str,
        shown: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, name: text})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    first = f"error: {folder / name}:{line}:{column}: {message}"
    at = next((i for i, text in enumerate(lines) if text.startswith(first)), None)
    assert at is not None, result.stderr
    excerpt, caret = lines[at + 1], lines[at + 2]
    assert excerpt == "    " + shown.replace("\t", "    ")
    lead = shown[:column - 1].replace("\t", "    ")
    assert caret == "    " + " " * len(lead) + "^"
    for words in PARSER_WORDS:
        assert words not in result.stderr


def test_every_command_that_loads_the_config_shows_the_spot(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {
        **GOOD, "keywords.yaml": "topics:\n  - name: Joint production\n    any: [joint\n"})
    for command in (["check"], ["crawl"], ["digest", "--dry-run"], ["status"], ["run", "--once"]):
        result = run_cli(tmp_path, folder, *command)
        assert result.returncode == 2, (command, result.stderr)
        assert (f"error: {folder / 'keywords.yaml'}:3:10: this '[' is never closed"
                in result.stderr), command
        assert "    any: [joint\n             ^\n" in result.stderr, command


def test_a_value_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", GOOD)
    (folder / "settings.yaml").write_bytes(b"settings:\n  user_agent: caf\xe9 bot\n")

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 2
    assert (f"error: {folder / 'settings.yaml'}:2: not UTF-8 text: byte 0xe9 on this line "
            "cannot be read") in result.stderr


def test_control_character_is_named_and_not_sent_to_the_terminal(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, "settings.yaml": "settings:\n  state: a\x1b[2Jb\n"})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 2
    assert f"{folder / 'settings.yaml'}:2:11: a control character (#x001b)" in result.stderr
    assert "\x1b" not in result.stderr


def test_wrong_kind_of_value_is_said_in_yaml_words(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, "settings.yaml": "settings:\n  state:v.db\n"})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 2
    assert (f"{folder / 'settings.yaml'}:1: settings: expected `key: value` lines under this "
            "key (found 'state:v.db'; a space must follow ':')") in result.stderr
    assert "instance of" not in result.stderr


def test_daemon_reload_logs_the_spot_in_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state" / "v.db"
    folder = write(tmp_path / "cfg", {
        **GOOD,
        "settings.yaml": f"settings:\n  state: {state}\n  extraction_workers: 1\n",
        "sources.yaml": GOOD["sources.yaml"].replace(
            "https://example.org/rss", "http://127.0.0.1:9/rss") + "    schedule: '0 0 1 1 *'\n",
    })
    log = tmp_path / "daemon.log"
    with log.open("w", encoding="utf-8") as sink:
        daemon = subprocess.Popen([sys.executable, "-m", "vedette", "--config", str(folder), "run"],
                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink,
                                  start_new_session=True)
        try:
            _wait(lambda: "daemon started" in log.read_text(encoding="utf-8"))
            (folder / "keywords.yaml").write_text(
                "topics:\n  - name: Joint production\n    any: [joint\n", encoding="utf-8")
            daemon.send_signal(signal.SIGHUP)
            _wait(lambda: "config not reloaded" in log.read_text(encoding="utf-8"))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
    text = log.read_text(encoding="utf-8")
    reported = [line for line in text.splitlines() if "config not reloaded" in line]
    assert reported and reported[0].endswith(
        f"{folder / 'keywords.yaml'}:3:10: this '[' is never closed: add the missing ']' "
        "(or, if the value is text, put it all in quotes)")
    assert "    any: [joint" not in text  # the excerpt is for people at a terminal, not logs


def _wait(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
