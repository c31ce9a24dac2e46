"""What every config model shares: strict keys, immutability, docstrings as documentation."""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import re
import sys
from types import FrameType
from typing import Any

from pydantic import BaseModel, ConfigDict

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Model(BaseModel):
    """A config model whose field docstrings are the fields' descriptions (docs/config.md,
    `vedette schema`), as pydantic's `use_attribute_docstrings` would make them.

    That option finds each class's source by walking the import stack and re-tokenising
    the file once per class, ≈ 50 ms of every start (docs/performance.md, "Start-up");
    here each module is parsed once. The descriptions must be in place before a model's
    validation schema is built, hence `defer_build`: a model is built on first use, after
    `__pydantic_init_subclass__` has added them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        docs = _attribute_docstrings(cls)
        for name, field in cls.__pydantic_fields__.items():
            if field.description is None and name in docs:
                field.description = docs[name]


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """The string literal that follows each annotated attribute in the class body, by
    attribute name: pydantic's rules for attribute docstrings."""
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    if module is None or filename is None:
        return {}
    classes = _module_classes(filename, module.__dict__)
    candidates = classes.get(cls.__qualname__, [])
    if len(candidates) > 1:  # the same name defined twice: the one being executed now
        line = _class_statement_line(cls)
        candidates = [c for c in candidates if c[0] <= line] or candidates
    return candidates[-1][1] if candidates else {}


_PARSED: dict[str, dict[str, list[tuple[int, dict[str, str]]]]] = {}


def _module_classes(filename: str, module_globals: dict[str, Any]) -> dict[
        str, list[tuple[int, dict[str, str]]]]:
    """Every class in a module's source, by qualified name: (first line, docstrings)."""
    lines = linecache.getlines(filename, module_globals)
    key = f"{filename}\0{hash(tuple(lines))}"  # a module reloaded after an edit is parsed again
    if key not in _PARSED:
        found: dict[str, list[tuple[int, dict[str, str]]]] = {}
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])

        def visit(body: list[ast.stmt], prefix: str) -> None:
            for node in body:
                if isinstance(node, ast.ClassDef):
                    found.setdefault(prefix + node.name, []).append(
                        (node.lineno, _docstrings(node.body)))
                    visit(node.body, f"{prefix}{node.name}.")
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(node.body, f"{prefix}{node.name}.<locals>.")

        visit(tree.body, "")
        _PARSED[key] = found
    return _PARSED[key]


def _docstrings(body: list[ast.stmt]) -> dict[str, str]:
    docs = {}
    for previous, node in itertools.pairwise(body):
        if (isinstance(previous, ast.AnnAssign) and isinstance(previous.target, ast.Name)
                and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            docs[previous.target.id] = inspect.cleandoc(node.value.value)
    return docs


def _class_statement_line(cls: type) -> int:
    """The line of the `class` statement now executing in `cls`'s module."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == cls.__module__:
            return frame.f_lineno
        frame = frame.f_back
    return sys.maxsize
