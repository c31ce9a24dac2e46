"""Safe YAML loading that remembers the line every key and list item came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from vedette.config.errors import Problem

KeyPath = tuple[str | int, ...]


class YamlDocument:
    """A parsed YAML file: its data and the 1-based line of each key path inside it."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of `key_path`, or of its nearest ancestor that has one."""
        for cut in range(len(key_path), -1, -1):
            line = self.lines.get(key_path[:cut])
            if line is not None:
                return line
        return None


def _record_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, key_node.value)
                lines[child] = key_node.start_mark.line + 1
                _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


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
    if node is not None:
        _record_lines(node, (), lines)
    return YamlDocument(path, data, lines)


class YamlProblem(Exception):
    """A YAML file that could not be parsed at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))
