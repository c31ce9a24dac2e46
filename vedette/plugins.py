"""How the modules of a kind are found: by the `type:` they serve, never from a list.

A source type or channel kind is a module named after its `type:` in each package that
has a part of it: its config model in vedette/config/sources/ or vedette/config/channels/,
its spider in spiders/, its channel in alerts/channels/. Each registers its classes when
its module is imported.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import MutableMapping
from typing import TypeVar

T = TypeVar("T")


def import_all(package: str) -> None:
    """Import every module of `package` (each registers what it defines): its `*.py` files,
    which are there whatever the install, since the config's field docstrings are read from
    them (pkgutil would cost its import at every start for nothing more)."""
    for folder in importlib.import_module(package).__path__:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py") and not name.startswith("_"):
                importlib.import_module(f"{package}.{name.removesuffix('.py')}")


def claim(registry: MutableMapping[str, type[T]], kind: str, cls: type[T], what: str) -> None:
    """Register `cls` for `kind`; a kind two different classes claim is a programming
    error (the same class again is a module imported twice, as tests may do)."""
    other = registry.get(kind)  # `get` never looks for a module: only `[]` does
    if other is not None and (other.__module__, other.__qualname__) != (
            cls.__module__, cls.__qualname__):
        raise TypeError(f"{what} {kind!r} is taken by {other.__qualname__}")
    registry[kind] = cls


class ByKind(dict[str, T]):
    """Classes by `type:`; one not registered yet is looked for in the module `PACKAGE.TYPE`,
    imported on first use."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.package = package

    def __missing__(self, kind: str) -> T:
        module = f"{self.package}.{kind}"
        if kind.isidentifier():
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:  # the kind's module is there; what it imports is not
                    raise
        if dict.__contains__(self, kind):
            return dict.__getitem__(self, kind)
        raise KeyError(kind)
