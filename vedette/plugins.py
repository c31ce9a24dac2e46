"""How the modules of a kind are found: by the `type:` they serve, never from a list.

A source type or channel kind is a module named after its `type:` in each package that
has a part of it: its config model in vedette/config/sources/ or vedette/config/channels/.
Each registers its classes when its module is imported.
"""

from __future__ import annotations

import importlib
import pkgutil


def import_all(package: str) -> None:
    """Import every module of `package` (each registers what it defines)."""
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(f"{package}.{module.name}")

