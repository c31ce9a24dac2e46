"""`${VAR}` and `${VAR:-default}` substitution in every string of the loaded YAML."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from vedette.config.yamlfile import KeyPath

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_LEFTOVER = re.compile(r"\$\{[^}]*\}?")


def substitute(
    value: Any,
    environ: Mapping[str, str],
    on_missing: Callable[[KeyPath, str], None],
    path: KeyPath = (),
) -> Any:
    """Return `value` with environment references replaced; report each unset variable."""
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            on_missing(path, name)
            return ""

        leftover = _LEFTOVER.search(_REFERENCE.sub("", value))
        if leftover:
            on_missing(path, f"?{leftover.group(0)}")
        return _REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {k: substitute(v, environ, on_missing, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, on_missing, (*path, i)) for i, v in enumerate(value)]
    return value
