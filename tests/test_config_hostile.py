"""Hostile config files (RELIABILITY 38): an alias bomb, deep nesting, huge numbers, values
YAML cannot build (a date that does not exist), an oversized file are refused with
FILE:LINE:COLUMN before anything is built from them, never with a traceback or by running
out of memory; aliases and merges people write still load. The command line's numbers are
range-checked too."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.test_config import GOOD, problems, write
from vedette.config import load_config
from vedette.config.yamlfile import load_yaml

BOMB = Path(__file__).parent / "fixtures" / "hostile" / "billion-laughs.yaml"
MEMORY_CAP = 1024**3
"""Address space for a command that must refuse a bomb: `check` needs a third of it, and a
regression then fails with MemoryError instead of eating the machine."""
SETTINGS = "settings:\n  state: state/v.db\n"


def capped_check(workspace: Workspace) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "vedette", "--config", str(workspace.config), "check"],
        capture_output=True, text=True, cwd=workspace.root, timeout=120, check=False,
        preexec_fn=cap)


def test_alias_bomb_is_refused_by_check_before_it_is_expanded(workspace: Workspace) -> None:
    write(workspace.config, GOOD)
    shutil.copy(BOMB, workspace.config / "keywords.yaml")

    result = capped_check(workspace)

    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: {workspace.config / 'keywords.yaml'}:15:20: topics[5].any[1]: with the 66,430 "
        "values this alias repeats, the file would hold more than 200,000 values (a YAML alias "
        "bomb?): repeat fewer or smaller values")
    assert lines[1:3] == ["        any: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]",
                          "                       ^"]


def nested(levels: int) -> str:
    return "settings:\n  state: state/v.db\n  deep: " + "[" * levels + "]" * levels + "\n"


def block_nested(levels: int) -> str:
    return SETTINGS + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(levels)) + \
        f"{'  ' * (levels + 1)}end: 1\n"


# (file, text, expected from the file name on: "FILE:LINE:COLUMN: key: message")
CASES = {
    "nested lists past the depth limit": (
        "settings.yaml", nested(40),
        "settings.yaml:3:39: settings.deep[0][0][0][0]: lists and mappings are nested more "
        "than 32 deep here"),
    "nested past libyaml's own limit (the pure-Python parser's recursion)": (
        "settings.yaml", nested(2000),
        "settings.yaml:3:39: lists and mappings are nested more than 32 deep here"),
    "nested block mappings": (
        "settings.yaml", block_nested(40),
        "settings.yaml:34:65: settings.k0.k1.k2.k3.k4: lists and mappings are nested more than "
        "32 deep here"),
    "an alias to a deep value, used deep": (
        "settings.yaml", SETTINGS + "  a: &deep " + "[" * 20 + "]" * 20 + "\n  b: "
        + "[" * 15 + "*deep" + "]" * 15 + "\n",
        "settings.yaml:4:21: settings.b[0][0][0][0]: with the value this alias repeats, lists "
        "and mappings are nested more than 32 deep here"),
    "a 5,000-digit integer (past Python's 4,300)": (
        "settings.yaml", SETTINGS + "  concurrent_requests: " + "9" * 5000 + "\n",
        "settings.yaml:3:24: settings.concurrent_requests: this number is too large for any "
        "setting (at most 9223372036854775807)"),
    "a hexadecimal integer Python would read, of 6,000 digits": (
        "settings.yaml", SETTINGS + "  request_timeout: 0x" + "f" * 5000 + "\n",
        "settings.yaml:3:20: settings.request_timeout: this number is too large"),
    "an integer just past 2**63 in a duration": (
        "sources.yaml", GOOD["sources.yaml"] + "    max_age: 9223372036854775808\n",
        "sources.yaml:5:14: sources[0].max_age: this number is too large"),
    "a base-60 integer": (
        "settings.yaml", SETTINGS + "  request_timeout: 1:0:0:0:0:0:0:0:0:0:0:0\n",
        "settings.yaml:3:20: settings.request_timeout: this number is too large"),
    "a name YAML reads as a date that does not exist": (
        "keywords.yaml", "topics:\n  - name: 2024-13-45\n    any: [joint production]\n",
        "keywords.yaml:2:11: topics[0].name: YAML reads this value as a date, and it is not a "
        "valid one: put it in quotes if it is text"),
    "a tag asking for a number on text": (
        "settings.yaml", SETTINGS + "  concurrent_requests: !!int sixteen\n",
        "settings.yaml:3:24: settings.concurrent_requests: YAML reads this value as a whole "
        "number, and it is not a valid one"),
    "a tag asking for true or false on text": (
        "settings.yaml", SETTINGS + "  obey_robots: !!bool maybe\n",
        "settings.yaml:3:16: settings.obey_robots: YAML reads this value as true or false"),
    "too many values written out": (
        "settings.yaml", SETTINGS + "  many: [" + ",".join(["0"] * 200_001) + "]\n",
        "settings.yaml:3:399996: settings.many[199993]: the file holds more than 200,000 "
        "values"),
    "a file over 2MiB": (
        "keywords.yaml", GOOD["keywords.yaml"] + ("# " + "x" * 1000 + "\n") * 2100,
        "keywords.yaml:2094:820: the file is larger than 2MiB, the limit for a config file"),
}


@pytest.mark.parametrize("name,text,expected", CASES.values(), ids=CASES.keys())
def test_hostile_yaml_is_refused_with_its_spot(tmp_path: Path, name: str, text: str,
                                               expected: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, name: text})

    found = problems(folder)

    assert len(found) == 1 and f"{folder / expected}" in found[0], found


def repeated(aliases: int) -> str:
    """keywords.yaml: a topic's 1,000 terms, then another topic repeating them `aliases`
    times (1,013 values written, 1,001 more per alias)."""
    return ("topics:\n  - name: Many\n    any: &many [" + ", ".join(["w"] * 1000) + "]\n"
            "  - name: Again\n    any: [" + ", ".join(["*many"] * aliases) + "]\n")


def test_aliases_load_up_to_the_budget_and_are_refused_at_the_one_past_it(
        tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {
        **GOOD, "keywords.yaml": (  # aliases as people write them: a shared term list
            "topics:\n  - name: Drones\n    any: &drones [drone, UAV]\n"
            "  - name: Drone production\n    all: *drones\n    any: [production]\n"),
        "alerts.yaml": (  # and a merge: shared keys, one overridden
            "channels:\n  archive: &file\n    type: file\n    directory: outbox\n"
            "  copy:\n    <<: *file\n    directory: copies\n"
            "digests:\n  - name: morning\n    schedule: '0 7 * * *'\n"
            "    channels: [archive, copy]\n")})
    config = load_config(folder, environ={})
    assert [t.term for t in config.topics[1].all] == ["drone", "UAV"]
    assert config.channels["copy"].directory == folder / "copies"  # type: ignore[union-attr]
    within = write(tmp_path / "within", {"keywords.yaml": repeated(198)}) / "keywords.yaml"
    assert len(load_yaml(within).data["topics"][1]["any"]) == 198  # YAML-wise: the budget

    write(folder, {"keywords.yaml": repeated(199)})
    [found] = problems(folder)

    column = len("    any: [") + len("*many, ") * 198 + 1
    assert found == (
        f"{folder / 'keywords.yaml'}:5:{column}: topics[1].any[198]: with the 1,001 values this "
        "alias repeats, the file would hold more than 200,000 values (a YAML alias bomb?): "
        "repeat fewer or smaller values")


def test_a_huge_number_from_the_environment_is_a_short_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {
        **GOOD, "settings.yaml": SETTINGS + "  concurrent_requests: ${BIG}\n"})

    [found] = problems(folder, env={"BIG": "9" * 5000})

    assert found.startswith(f"{folder / 'settings.yaml'}:3: settings.concurrent_requests: ")
    assert len(found) < 300, found


@pytest.mark.parametrize("option,value", [
    ("--days", "99999999999"), ("--days", "0"), ("--days", "-3"), ("--days", "9" * 5000),
    ("--samples", "-1"), ("--samples", "1000000")])
def test_test_topic_numbers_are_range_checked_by_the_parser(
        workspace: Workspace, option: str, value: str) -> None:
    write(workspace.config, GOOD)

    result = workspace.run("test-topic", "Joint production", option, value)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error:" in line]
    assert error.startswith(f"vedette test-topic: error: argument {option}: ")
    assert error.endswith("a whole number from 1 to 36500" if option == "--days"
                          else "a whole number from 0 to 1000")
    assert len(error) < 150
