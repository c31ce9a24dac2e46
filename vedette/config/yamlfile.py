"""Safe YAML loading that remembers the line every key and list item came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from vedette.config.errors import Problem

KeyPath = tuple[str | int, ...]


class YamlDocument:
    """A parsed YAML file: its data and the 1-based line of each key path inside it."""

    def __init__(
        self,
        path: Path,
        data: Any,
        lines: dict[KeyPath, int],
        text: str = "",
        scalars: dict[KeyPath, int] | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.text = text
        self.scalars = scalars or {}
        """Where each scalar value starts in `text` (an index)."""

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of `key_path`, or of its nearest ancestor that has one."""
        for cut in range(len(key_path), -1, -1):
            line = self.lines.get(key_path[:cut])
            if line is not None:
                return line
        return None


    def position_in(self, key_path: KeyPath, value: str, offset: int) -> tuple[int, int] | None:
        """(line, column), both 1-based, of character `offset` of the string `value` found
        at `key_path` (or its nearest ancestor that is a scalar).

        The value's characters are found again in the file in order, skipping what YAML
        added or removed (quotes, escapes, folded line breaks, indentation), so this works
        for plain, quoted and block scalars alike.
        """
        for cut in range(len(key_path), 0, -1):
            start = self.scalars.get(key_path[:cut])
            if start is not None:
                break
        else:
            return None
        position = start
        for char in value[:offset + 1]:
            if char.isspace():
                continue
            found = self.text.find(char, position)
            if found < 0:
                return None
            position = found + 1
        index = position - 1 if offset < len(value) and not value[offset].isspace() else position
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return line, column


def _record_lines(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], scalars: dict[KeyPath, int]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        scalars[path] = node.start_mark.index
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, key_node.value)
                lines[child] = key_node.start_mark.line + 1
                _record_lines(value_node, child, lines, scalars)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, scalars)


def load_yaml(path: Path) -> YamlDocument:
    """Parse one YAML file with the safe loader; raise a Problem-carrying error on bad YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblem(Problem(path, None, "", f"cannot read file: {exc}")) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise YamlProblem(Problem(path, line, "", f"invalid YAML: {reason}")) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(path, None, "", f"invalid YAML: {exc}")) from exc
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    scalars: dict[KeyPath, int] = {}
    if node is not None:
        _record_lines(node, (), lines, scalars)
    return YamlDocument(path, data, lines, text, scalars)


class YamlProblem(Exception):
    """A YAML file that could not be parsed at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))
