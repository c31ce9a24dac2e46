"""Which config values are secrets (the models' `SecretStr` fields), so that no message
ever echoes one, and the loader can warn about secrets written into the files (`check`
shows those warnings)."""

from __future__ import annotations

import contextlib
import functools
import re
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr
from pydantic_core import Url

from vedette.config import schema
from vedette.config.envsubst import literal_part
from vedette.config.errors import Problem
from vedette.config.yamlfile import KeyPath, YamlDocument, dotted


@functools.cache
def secret_keys() -> frozenset[str]:
    """The YAML names of every secret field (password, webhook_url, urls, …)."""
    names: set[str] = set()

    def visit(annotation: Any) -> bool:
        """Note the secret fields of the models in `annotation`; True if it is a secret."""
        origin = get_origin(annotation)
        if annotation is SecretStr:
            return True
        if _is_model(annotation):
            for name, field in annotation.model_fields.items():
                if visit(field.annotation):
                    names.add(field.alias or name)
            return False
        return any([visit(arg) for arg in get_args(annotation)]) if origin else False

    visit(schema.Config)
    return frozenset(names)


@functools.cache
def secret_sections() -> frozenset[str]:
    """The top-level sections that can hold a secret (only their files need a look)."""
    return frozenset(name for name, field in schema.Config.model_fields.items()
                     if _holds_secret(field.annotation))


def _holds_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    if _is_model(annotation):
        return any(_holds_secret(field.annotation) for field in annotation.model_fields.values())
    return any(_holds_secret(arg) for arg in get_args(annotation))


def is_secret_path(path: KeyPath) -> bool:
    """True when a value at `path` is, or lies inside, a secret field. Decided by key
    name, so it holds even where the model is unknown (a channel with a wrong `type:`);
    a channel that happens to be named like a secret field is hidden too, which is safe."""
    keys = secret_keys()
    return any(isinstance(part, str) and part in keys for part in path)


def secret_values(annotation: Any, raw: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """(path, raw value) of every value in the raw YAML data `raw` that the model
    `annotation` types as a secret, following `type:` to pick a channel's model."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if annotation is SecretStr:
        yield path, raw
    elif origin is Annotated:
        yield from secret_values(args[0], raw, path)
    elif origin in (Union, types.UnionType):
        for option in args:
            if _fits(option, raw):
                yield from secret_values(option, raw, path)
    elif origin is list and isinstance(raw, list):
        for index, item in enumerate(raw):
            yield from secret_values(args[0], item, (*path, index))
    elif origin is dict and isinstance(raw, dict):
        for key, item in raw.items():
            yield from secret_values(args[1], item, (*path, key))
    elif _is_model(annotation) and isinstance(raw, dict):
        for name, field in annotation.model_fields.items():
            key = field.alias or name
            if key in raw:
                yield from secret_values(field.annotation, raw[key], (*path, key))


def loaded_secrets(value: Any) -> list[str]:
    """The value of every `SecretStr` in a loaded config (or any part of one), for the log
    redaction: whatever the model, so a secret field added later is covered too."""
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return [secret, secret.strip()]  # the channels send (and libraries log) it stripped
    if isinstance(value, str | Url):
        # A password in a URL's user part (a source behind HTTP basic auth) is one too.
        with contextlib.suppress(ValueError):
            password = urlsplit(str(value)).password
            if password:
                return [password, unquote(password)]
        return []
    if isinstance(value, BaseModel):
        value = [getattr(value, name) for name in type(value).model_fields]
    elif isinstance(value, Mapping):
        value = list(value.values())
    elif not isinstance(value, list | tuple):
        return []
    return [secret for item in value for secret in loaded_secrets(item)]


def literal_secrets(documents: Mapping[str, YamlDocument]) -> list[Problem]:
    """One warning per secret written into the config files instead of `${VAR}`, found in
    the raw YAML (before substitution) of the documents that hold each section (the ones
    the loader parsed); the value itself is never repeated."""
    found: list[Problem] = []
    for section, document in documents.items():
        if section not in secret_sections() or not isinstance(document.data, dict):
            continue
        field = schema.Config.model_fields[section]
        path = document.path
        raw = document.data.get(section)
        for key_path, value in secret_values(field.annotation, raw, (section,)):
            literal, through = literal_part(str(value)) if value is not None else (False, None)
            if not literal:
                continue
            if through:
                advice = (f"the default in ${{{through}:-…}} is a secret written in the file; "
                          f"secrets belong in the environment: set {through} there and "
                          "drop the default")
            else:
                variable = _variable_name(key_path)
                advice = ("a secret is written in the file; secrets belong in the environment: "
                          f"set {variable} there and write ${{{variable}}} here")
            found.append(Problem(path, document.line_of(key_path), dotted(key_path), advice))
    return found


def _fits(option: Any, raw: Any) -> bool:
    if option is type(None):
        return raw is None
    if not _is_model(option):
        return True
    kind = option.model_fields.get("type")
    if kind is None or get_origin(kind.annotation) is not Literal:
        return isinstance(raw, dict)
    return isinstance(raw, dict) and raw.get("type") in get_args(kind.annotation)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _variable_name(path: KeyPath) -> str:
    """A suggested environment variable: channels.ops-slack.webhook_url → OPS_SLACK_WEBHOOK_URL."""
    words = [str(part) for part in path[1:]]
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(words)).strip("_").upper() or "SECRET"

