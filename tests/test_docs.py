"""The docs a user follows stay true: the config reference matches the code, the shipped
config loads, and every command the CLI's parser knows (read from the parser, not from a
list here) has --help, is listed in its parent's --help and in the README's table."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from vedette.cli import build_parser
from vedette.config import load_config
from vedette.config.reference import render_reference


def test_config_reference_is_current() -> None:
    current = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert current == render_reference(), (
        "docs/config.md is stale: python -m vedette.config.reference > docs/config.md")


def test_every_key_has_a_description() -> None:
    from vedette.config.reference import SECTIONS

    for _, _, model in SECTIONS:
        for name, field in model.model_fields.items():
            if name == "type":  # the discriminator: documented by the section title
                continue
            assert field.description, f"{model.__name__}.{name} has no docstring"


def test_shipped_config_is_valid() -> None:
    config = load_config(ROOT / "config", environ={})
    assert len(config.sources) >= 12
    assert config.topics and config.digests


def commands(parser: argparse.ArgumentParser | None = None,
             prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command the CLI's parser knows, subcommands (`state backup`) included."""
    parser = parser or build_parser()
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(*prefix, name), *commands(sub, (*prefix, name))]
    return found


def listed(help_text: str) -> set[str]:
    """The commands a --help lists: the lines under its COMMAND (or ACTION) heading."""
    return set(re.findall(r"^    (\S+)(?: |$)", help_text, re.MULTILINE))


def test_the_cli_has_the_commands_the_docs_are_checked_for() -> None:
    assert len(commands()) >= 11 and ("state", "backup") in commands()


@pytest.mark.parametrize("command", [(), *commands()], ids=lambda c: " ".join(c) or "vedette")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = subprocess.run([sys.executable, "-m", "vedette", *command, "--help"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: vedette {' '.join(command)}".rstrip())
    below = {c[len(command)] for c in commands() if len(c) == len(command) + 1
             and c[:len(command)] == command}
    assert listed(result.stdout) == below  # each command shown, with its one line of help


def test_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `vedette ([a-z -]+?)(?: \[| [A-Z]|`)", readme, re.MULTILINE))
    leaves = {" ".join(c) for c in commands() if not any(
        other[:len(c)] == c and other != c for other in commands())}
    assert leaves <= table, f"missing from README's command table: {leaves - table}"
