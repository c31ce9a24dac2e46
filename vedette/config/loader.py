"""Read every *.yaml in the config folder, merge, substitute the environment, validate."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from vedette.config import schema
from vedette.config.channels import CHANNEL_TYPES
from vedette.config.envsubst import BadReference, substitute
from vedette.config.errors import ConfigError, Problem
from vedette.config.secrets import is_secret_path, literal_secrets, secret_keys
from vedette.config.sources import SOURCE_TYPES
from vedette.config.yamlfile import KeyPath, YamlDocument, YamlProblem, dotted, load_yaml


def config_directory(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--config DIR`, else `$VEDETTE_CONFIG`, else `./config`."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("VEDETTE_CONFIG") or "config")


def load_config(
    directory: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> schema.Config:
    """Load and validate the configuration, or raise ConfigError listing every problem."""
    folder = config_directory(directory)
    environ = os.environ if environ is None else environ
    if not folder.is_dir():
        raise ConfigError([Problem(folder, None, "", "config folder not found")])
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise ConfigError([Problem(folder, None, "", "no *.yaml files in the config folder")])

    problems: list[Problem] = []
    merged: dict[str, Any] = {}
    owner: dict[str, YamlDocument] = {}
    for path in files:
        try:
            document = load_yaml(path, hide=secret_keys())
        except YamlProblem as exc:
            problems.append(exc.problem)
            continue
        if document.data is None:
            continue
        if not isinstance(document.data, dict):
            problems.append(Problem(path, 1, "", "expected a mapping of sections at the top"))
            continue
        for key, value in document.data.items():
            line = document.line_of((key,))
            if key not in schema.SECTIONS:
                problems.append(Problem(path, line, str(key), "unknown section" + _hint(
                    str(key), schema.SECTIONS)))
            elif key in owner:
                problems.append(Problem(path, line, key, (
                    f"already defined in {owner[key].path.name}; each section belongs to one file")))
            else:
                owner[key] = document
                merged[key] = value
    if problems:
        raise ConfigError(problems)

    def locate(path: KeyPath) -> tuple[Path | None, int | None]:
        if path and path[0] in owner:
            document = owner[str(path[0])]
            return document.path, document.line_of(path)
        return None, None

    def bad_reference(path: KeyPath, value: str, reference: BadReference) -> None:
        file, line = locate(path)
        column = None
        if reference.variable is not None:
            message = f"environment variable {reference.variable} is not set"
        else:
            spot = _position(owner, path, value, reference.offset)
            line, column = spot if spot else (line, None)
            if is_secret_path(path):
                # A secret's broken reference may hold part of the secret: point, don't quote.
                message = ("a '${' here is not a ${VAR} or ${VAR:-default} reference "
                           "(the value is a secret, so it is not shown)")
            else:
                message = (f"unsupported reference {reference.text!r} "
                           "(write ${VAR} or ${VAR:-default})")
        problems.append(Problem(file, line, dotted(path), message, column))

    merged = substitute(merged, environ, bad_reference)
    if problems:
        raise ConfigError(problems)

    try:
        config = schema.Config.model_validate(
            {**merged, "directory": folder, "files": {k: d.path for k, d in owner.items()}})
    except ValidationError as exc:
        for error in exc.errors():
            key_path = _data_path(merged, error["loc"])
            if error["type"] == "union_tag_invalid":
                key_path = (*key_path, "type")
            file, line = locate(key_path)
            column = excerpt = None
            if error["type"] == "syntax" and isinstance(error.get("input"), str):
                spot = _position(owner, key_path, error["input"], error["ctx"]["offset"])
                if spot is not None:
                    line, column = spot
                    excerpt = owner[str(key_path[0])].line_text(line)
            problems.append(Problem(file, line, dotted(key_path), _describe(error, key_path),
                                    column, excerpt))
        raise ConfigError(problems) from None

    for key_path, message in _cross_check(config):
        file, line = locate(key_path)
        problems.append(Problem(file, line, dotted(key_path), message))
    if problems:
        raise ConfigError(problems)
    warnings = tuple(str(problem) for problem in literal_secrets(owner))
    return _resolve_paths(config, folder).model_copy(update={"warnings": warnings})


def _cross_check(config: schema.Config) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    seen: dict[str, int] = {}
    for index, source in enumerate(config.sources):
        if source.name in seen:
            found.append((("sources", index, "name"),
                          f"duplicate source name {source.name!r} (also sources[{seen[source.name]}])"))
        seen[source.name] = index
    health_channel = config.settings.health.channel
    if health_channel is not None and health_channel not in config.channels:
        found.append((("settings", "health", "channel"), f"no channel named {health_channel!r}"
                      + _hint(health_channel, list(config.channels))))
    topic_keys: set[str] = set()
    seen.clear()
    for index, topic in enumerate(config.topics):
        if topic.id in seen:
            found.append((("topics", index, "name"),
                          f"duplicate topic id {topic.id!r} (also topics[{seen[topic.id]}]); "
                          "give one an explicit `id:`"))
        seen[topic.id] = index
        topic_keys.update((topic.id, topic.name))
    seen.clear()
    for index, digest in enumerate(config.digests):
        if digest.name in seen:
            found.append((("digests", index, "name"), f"duplicate digest name {digest.name!r}"))
        seen[digest.name] = index
        for t_index, name in enumerate(digest.topics):
            if name != "*" and name not in topic_keys:
                found.append((("digests", index, "topics", t_index),
                              f"no topic named {name!r}" + _hint(name, sorted(topic_keys))))
        for c_index, name in enumerate(digest.channels):
            if name not in config.channels:
                found.append((("digests", index, "channels", c_index),
                              f"no channel named {name!r}" + _hint(name, list(config.channels))))
    return found


def _resolve_paths(config: schema.Config, folder: Path) -> schema.Config:
    def resolve(path: Path) -> Path:
        return path if path.is_absolute() else (folder / path)

    templates = config.settings.templates
    settings = config.settings.model_copy(update={
        "state": resolve(config.settings.state),
        "templates": resolve(templates) if templates else None,
    })
    sources = [source.resolved(folder) for source in config.sources]
    channels = {name: channel.resolved(folder) for name, channel in config.channels.items()}
    return config.model_copy(
        update={"settings": settings, "sources": sources, "channels": channels})


def _position(
    owner: dict[str, YamlDocument], key_path: KeyPath, value: str, offset: int
) -> tuple[int, int] | None:
    if not key_path or key_path[0] not in owner:
        return None
    return owner[str(key_path[0])].position_in(key_path, value, offset)


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Map a pydantic error location onto the YAML: drop union tags that are not keys."""
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        is_key = isinstance(current, dict) and part in current
        is_index = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if is_key or is_index:
            current = current[part]
            path.append(part)
        elif last and isinstance(part, str) and part not in ("", "__root__"):
            path.append(part)
    return tuple(path)


def _describe(error: Any, key_path: KeyPath) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        word = str(key_path[-1]) if key_path else ""
        names = _all_field_names()
        if word in names:  # a key of other entries (`retries` on a file channel): no hint
            return f"unknown key: this kind of entry has no {word!r} (see docs/config.md)"
        return "unknown key" + _hint(word, names)
    if kind == "missing":
        return "required key is missing"
    message = _PLAIN.get(kind) or str(error["msg"]).removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        context = error.get("ctx") or {}
        return (f"unknown type {context.get('tag')!r} "
                f"(one of: {context.get('expected_tags', '')})")
    if kind == "union_tag_not_found":
        return "`type:` is missing"
    given = error.get("input")
    if is_secret_path(key_path):
        # Never repeat a secret, even where a validator's message quotes its input.
        text = str(given) if isinstance(given, str | int | float) else ""
        return message.replace(text, "***") if len(text) >= 4 else message
    if isinstance(given, str | int | float) and kind not in ("value_error", "syntax"):
        no_space = kind in ("model_type", "dict_type") and re.search(r"\w:\S", str(given))
        found = repr(given)
        if len(found) > _FOUND_SHOWN:  # a 5,000-digit number from ${VAR}: its start will do
            found = found[:_FOUND_SHOWN - 1] + "…"
        message += f" (found {found}" + ("; a space must follow ':')" if no_space else ")")
    return message


_FOUND_SHOWN = 80

# pydantic's wording for a wrong kind of value talks about Python types; say it in YAML's.
_PLAIN = {
    "model_type": "expected `key: value` lines under this key",
    "dict_type": "expected `key: value` lines under this key",
    "list_type": "expected a list: [a, b] or lines starting with '- '",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_parsing_size": "expected a whole number, and not one this large",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "path_type": "expected a file or folder path",
}


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _all_field_names() -> set[str]:
    names: set[str] = set()

    def visit(model: type[BaseModel]) -> None:
        for name, field in model.model_fields.items():
            names.add(field.alias or name)

    for model in (schema.Settings, schema.Health, *SOURCE_TYPES, schema.Topic, schema.TermSpec,
                  *CHANNEL_TYPES, schema.Digest):
        visit(model)
    return names

