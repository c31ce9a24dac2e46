"""docs/config.md lists every key of every config model, each with a description and a
default a person can read."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from tests.conftest import ROOT
from vedette.config import schema
from vedette.config.reference import SECTIONS

# What a default looks like when Python's repr leaks into the docs.
UNREADABLE = ("object at", "Health(", "datetime", "timedelta", "Path(", "SecretStr", "None",
              "True", "False", "=", "``", "''", "—")
ROW = re.compile(r"^\| `([^`]+)` \| (.*?) \| (.*) \|$")


def models(annotation: Any) -> list[type[BaseModel]]:
    """Every config model reachable from `annotation`, nested ones and each union member."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        nested = [m for field in annotation.model_fields.values() for m in models(field.annotation)]
        return [annotation, *nested]
    if get_origin(annotation) in (list, dict, Annotated, Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in models(arg)]
    return []


def documented() -> dict[str, tuple[str, dict[str, tuple[str, str]]]]:
    """Section title → (its intro text, {key: (default, meaning)}) as docs/config.md has it."""
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    sections = {}
    for chunk in text.split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        intro = body.split("| key |")[0].strip()
        rows = {}
        for line in body.splitlines():
            match = ROW.match(line)
            if match:
                rows[match.group(1)] = (match.group(2), match.group(3))
        sections[title.strip()] = (intro, rows)
    return sections


CONFIG_MODELS = {m for m in models(schema.Config) if m is not schema.Config}
KEYS = [(title, model, field.alias or name)
        for _, title, model in SECTIONS for name, field in model.model_fields.items()
        if not (name == "type" and get_origin(field.annotation) is Literal)]


def test_every_config_model_has_a_section() -> None:
    assert {model for _, _, model in SECTIONS} == CONFIG_MODELS


@pytest.mark.parametrize("title,model,key", KEYS, ids=[f"{m.__name__}.{k}" for _, m, k in KEYS])
def test_every_key_is_listed_with_a_readable_default(
        title: str, model: type[BaseModel], key: str) -> None:
    rows = documented()[title][1]
    assert key in rows, f"{key} missing from '{title}'"
    default, meaning = rows[key]
    assert default.strip(), key
    assert not any(bad in default for bad in UNREADABLE), (key, default)
    assert meaning.strip(), key
    assert meaning.rstrip().endswith((".", ")")), f"{key}: meaning cut short: {meaning!r}"


@pytest.mark.parametrize("title,model", [(t, m) for _, t, m in SECTIONS],
                         ids=[m.__name__ for _, _, m in SECTIONS])
def test_section_intro_is_the_whole_first_paragraph(title: str, model: type[BaseModel]) -> None:
    intro = documented()[title][0]
    doc = model.__dict__.get("__doc__") or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    assert intro == paragraph
    assert not intro or intro.endswith(".")


def test_new_keys_and_the_file_channel_are_documented() -> None:
    sections = documented()
    assert sections["`channels:` — `type: file`"][1]["directory"][0] == "required"
    assert sections["`settings:` — the installation"][1]["first_crawl_window"][0] == "`24h`"
    assert sections["`settings:` — the installation"][1]["health"][0] == \
        "`failures: 3, stale: 3d`"
    assert sections["`sources:` — `type: feed`"][1]["backfill"][0] == \
        "settings.first_crawl_window"
    assert sections["`channels:` — `type: email`"][1]["port"][0] == \
        "587 for starttls, 465 for tls, 25 for none"
