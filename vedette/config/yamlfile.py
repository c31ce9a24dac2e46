"""Safe YAML loading that remembers the line every key and list item came from."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from vedette.config.errors import Problem
from vedette.config.yamlerrors import explain
from vedette.config.yamllimits import (
    MAX_FILE_BYTES,
    GuardedLoader,
    Refusal,
    check_file_size,
    check_nodes,
)
from vedette.config.yamllimits import KeyPath as KeyPath  # re-exported


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


def _index(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int],
           scalars: dict[KeyPath, int]) -> None:
    """Note the line of every key path and where each scalar starts (`check_nodes` has
    bounded the depth and the values that aliases repeat, and ruled out cycles)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        scalars[path] = node.start_mark.index
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, key_node.value)
                lines[child] = key_node.start_mark.line + 1
                _index(value_node, child, lines, scalars)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines, scalars)


# libyaml parses ≈5× faster than PyYAML's pure-Python parser and its nodes carry the same
# marks (line, column, index), but its error messages differ: a file it refuses is parsed
# again with the pure-Python parser, whose errors `explain` turns into plain words. PyYAML
# built without libyaml has only the latter.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def load_yaml(path: Path, hide: Collection[str] = ()) -> YamlDocument:
    """Parse one YAML file with the safe loader; raise a Problem-carrying error on bad YAML.
    Values of the keys named in `hide` (secrets) are masked in the line a problem shows."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # a huge file is never read whole
    except OSError as exc:
        raise YamlProblem(Problem(path, None, "", f"cannot read file: {exc.strerror or exc}")) \
            from exc
    too_large = check_file_size(data)
    if too_large is not None:
        lines = split_lines(data[:MAX_FILE_BYTES].decode("utf-8", errors="replace"))
        raise YamlProblem(_refused(path, lines, hide, too_large))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise YamlProblem(Problem(path, line, "", (
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} on this line cannot be read "
            "(save the file as UTF-8)"))) from exc
    # A byte-order mark is not part of the text: libyaml's marks do not count it, and the
    # first line shown under a problem should not start with an invisible character.
    text = text.removeprefix("\ufeff")
    if _FAST_LOADER is not None:
        try:
            return _document(path, text, _FAST_LOADER, hide)
        except yaml.YAMLError:
            pass  # reported below, in the pure-Python parser's words
    return _document_or_explain(path, text, hide)


def _document(path: Path, text: str, loader_class: type[yaml.SafeLoader],
              hide: Collection[str]) -> YamlDocument:
    """Parse `text`; raises YAMLError, or YamlProblem for a file past the limits or with
    a duplicate key (found on the node graph, before any value is built)."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = loader_class(text)  # checks for forbidden characters already
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlDocument(path, None, {}, text, {})
            check_nodes(node, text)
        except Refusal as refusal:
            raise YamlProblem(_refused(path, split_lines(text), hide, refusal)) from None
        data = loader.construct_document(node)  # folds `<<:` merges into the nodes
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[KeyPath, int] = {}
    scalars: dict[KeyPath, int] = {}
    _index(node, (), lines, scalars)  # after: merged keys get their own lines
    return YamlDocument(path, data, lines, text, scalars)


def _document_or_explain(path: Path, text: str, hide: Collection[str]) -> YamlDocument:
    """`_document` with PyYAML's pure-Python parser, its errors turned into a YamlProblem."""
    lines = split_lines(text)
    try:
        return _document(path, text, GuardedLoader, hide)
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


def _refused(path: Path, lines: list[str], hide: Collection[str], refusal: Refusal) -> Problem:
    return _problem(path, lines, hide, refusal.line, refusal.column, dotted(refusal.key_path),
                    refusal.message)


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
