"""The docs a user follows stay true: the config reference matches the code, the shipped
config loads, every command has --help."""

from __future__ import annotations

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


@pytest.mark.parametrize("command", [[], ["check"], ["run"], ["crawl"], ["digest"], ["status"],
                                     ["demo"], ["test-topic"], ["schema"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "vedette", *command, "--help"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "usage: vedette" in result.stdout


def test_parser_lists_every_command() -> None:
    help_text = build_parser().format_help()
    for command in ("check", "run", "crawl", "digest", "status", "demo", "test-topic", "schema"):
        assert command in help_text
