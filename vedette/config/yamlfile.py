"""Safe YAML loading that remembers the line every key and list item came from."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from vedette.config.errors import Problem
from vedette.config.yamlerrors import explain

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

    def line_text(self, line: int) -> str | None:
        """The text of 1-based `line`, for showing under a problem."""
        lines = split_lines(self.text)
        return lines[line - 1] if 0 < line <= len(lines) else None

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


def _duplicate_key(node: yaml.Node) -> tuple[KeyPath, yaml.Node, yaml.Node] | None:
    """The first key written twice in one mapping (PyYAML silently keeps the last one,
    so a second `password:` or `sources:` would quietly replace the first)."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, KeyPath]] = [(node, ())]
    while pending:
        current, path = pending.pop()
        if id(current) in seen:  # an alias: its node was checked where it was defined
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    identity = (key_node.tag, key_node.value)
                    if identity in keys:
                        return (*path, key_node.value), keys[identity], key_node
                    keys[identity] = key_node
                    pending.append((value_node, (*path, key_node.value)))
        elif isinstance(current, yaml.SequenceNode):
            pending.extend((item, (*path, i)) for i, item in enumerate(current.value))
    return None


def load_yaml(path: Path, hide: Collection[str] = ()) -> YamlDocument:
    """Parse one YAML file with the safe loader; raise a Problem-carrying error on bad YAML.
    Values of the keys named in `hide` (secrets) are masked in the line a problem shows."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise YamlProblem(Problem(path, None, "", f"cannot read file: {exc.strerror or exc}")) \
            from exc
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise YamlProblem(Problem(path, line, "", (
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} on this line cannot be read "
            "(save the file as UTF-8)"))) from exc
    lines = split_lines(text)
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks for forbidden characters already
        node = loader.get_single_node()
        duplicate = _duplicate_key(node) if node is not None else None
        if duplicate is not None:
            key_path, first, again = duplicate
            raise YamlProblem(_problem(path, lines, hide, again.start_mark.line,
                                       again.start_mark.column, dotted(key_path), (
                f"duplicate key: '{key_path[-1]}' is already set on line "
                f"{first.start_mark.line + 1}; keep one (YAML would silently use the last)")))
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        spot = explain(exc, lines, lambda row: _masked(lines, row, hide)[1])
        raise YamlProblem(_problem(path, lines, hide, spot.line, spot.column, "",
                                   spot.message)) from exc
    except yaml.reader.ReaderError as exc:
        row, column = _locate(text, exc.position)
        raise YamlProblem(_problem(path, lines, hide, row, column, "", (
            f"a control character (#x{exc.character:04x}) that YAML does not allow: "
            "remove it"))) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(path, None, "", f"invalid YAML: {exc}")) from exc
    finally:
        if loader is not None:
            loader.dispose()
    key_lines: dict[KeyPath, int] = {}
    scalars: dict[KeyPath, int] = {}
    if node is not None:
        _record_lines(node, (), key_lines, scalars)
    return YamlDocument(path, data, key_lines, text, scalars)


def _problem(path: Path, lines: list[str], hide: Collection[str], row: int, column: int,
             key: str, message: str) -> Problem:
    """A Problem at 0-based (row, column), with the file's line (secrets masked)."""
    if row >= len(lines):  # "end of file" marks sit past the last line
        row = max(len(lines) - 1, 0)
        column = len(lines[row]) if lines else 0
    excerpt = _masked(lines, row, hide)[0] if lines else None
    return Problem(path, row + 1, key, message, column + 1, excerpt)


def _masked(lines: list[str], row: int, hide: Collection[str]) -> tuple[str, int | None]:
    """Line `row` with any secret value replaced by asterisks (same length, so the caret
    still points at the right column), and the column the secret starts at (None when
    there is none): after a secret key, or the whole of a list item or continuation line
    under one."""
    text = lines[row] if row < len(lines) else ""
    if not hide:
        return text, None
    names = "|".join(re.escape(name) for name in hide)
    secret_key = re.compile(rf"(?:^|[\s{{,-])[\"']?(?:{names})[\"']?\s*:")
    found = secret_key.search(text)
    if found:
        return text[:found.end()] + _stars(text[found.end():]), found.end()
    indent = len(text) - len(text.lstrip())
    for above in reversed(lines[:row]):
        if not above.strip() or above.strip().startswith("#"):
            continue
        if len(above) - len(above.lstrip()) < indent:
            if secret_key.search(above):
                return text[:indent] + _stars(text[indent:]), indent
            break
    return text, None


def _stars(text: str) -> str:
    return re.sub(r"\S", "*", text)


_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The file's lines as YAML counts them (so PyYAML's line numbers index this list)."""
    return _BREAK.split(text)


def _locate(text: str, index: int) -> tuple[int, int]:
    breaks = [m.end() for m in _BREAK.finditer(text, 0, index)]
    return len(breaks), index - (breaks[-1] if breaks else 0)


def dotted(path: KeyPath) -> str:
    """A key path as the user reads it: `channels.mail.to[0]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class YamlProblem(Exception):
    """A YAML file that could not be parsed at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))
