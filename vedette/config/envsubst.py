"""`${VAR}` and `${VAR:-default}` substitution in every string of the loaded YAML."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vedette.config.yamlfile import KeyPath

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_OPENING = re.compile(r"\$\{")


@dataclass(frozen=True)
class BadReference:
    """A reference that cannot be filled in: an unset variable, or a `${` that is not
    written as `${VAR}` / `${VAR:-default}` (then `variable` is None)."""

    variable: str | None
    text: str
    """The reference as written (may hold part of a secret: shown only for other keys)."""
    offset: int
    """Where it starts in the value."""


def substitute(
    value: Any,
    environ: Mapping[str, str],
    on_problem: Callable[[KeyPath, str, BadReference], None],
    path: KeyPath = (),
) -> Any:
    """Return `value` with environment references replaced; report each one that cannot
    be filled in with the key path and the string it was found in."""
    if isinstance(value, str):
        if "${" not in value:  # most values: nothing to fill in
            return value

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            on_problem(path, value, BadReference(name, match.group(0), match.start()))
            return ""

        well_formed = [m.span() for m in REFERENCE.finditer(value)]
        for opening in _OPENING.finditer(value):
            start = opening.start()
            if not any(begin <= start < end for begin, end in well_formed):
                close = value.find("}", start)
                text = value[start:close + 1] if close >= 0 else value[start:]
                on_problem(path, value, BadReference(None, text, start))
                break  # one broken reference per value is enough to point at the spot
        return REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {k: substitute(v, environ, on_problem, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, on_problem, (*path, i)) for i, v in enumerate(value)]
    return value


def literal_part(value: str) -> tuple[bool, str | None]:
    """Whether a string's content is written in the file rather than taken from the
    environment, and if so through which variable's default: (True, None) for a value
    with no `${VAR}` at all, (True, "VAR") for `${VAR:-something}`, (False, None) else."""
    references = list(REFERENCE.finditer(value))
    if not references:
        return bool(value.strip()), None
    for match in references:
        if match.group(2):
            return True, match.group(1)
    return False, None
