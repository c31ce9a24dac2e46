"""How big a config file may get: bytes, nesting, values (aliases counted as what they
repeat) and numbers, checked on the parser's node graph before anything is built from it.

libyaml's composer makes one node per value written; an alias (`*name`) is the anchored
node itself, shared, not a copy. Everything after the composer (the data, the index of
key lines, `${VAR}` substitution, validation) copies what an alias repeats, so a few
lines of nested aliases ("billion laughs") would become billions of values there. The
walk below counts what they would become and refuses the file first.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

KeyPath = tuple[str | int, ...]

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A config file's size at most: 8,000 topics written out as docs/config.md shows them
take ≈ 1.9 MiB (and ≈ 3 s to load); a larger file is not a config someone wrote."""
MAX_DEPTH = 32
"""Lists and mappings inside each other at most: a config needs five levels
(`topics[0].any[0].term`); every step after the parser is recursive."""
MAX_VALUES = 200_000
"""Values (keys, scalars, lists, mappings) in one file at most, each alias counted as
the values it repeats: ≈ 2.5 s and 130 MB of loading at worst, and more than the 115,000
of a 2 MiB file of topics."""
MAX_INTEGER = 2**63 - 1
"""The largest whole number a config may hold (any larger is no count, size or duration;
SQLite's integers stop there too)."""

_TOO_DEEP = (f"lists and mappings are nested more than {MAX_DEPTH} deep here; a config "
             "needs a few levels")
_SHOWN_PARTS = 6
"""Of a key path too deep, the parts named (the line and column say the rest)."""
_INT_TAG = "tag:yaml.org,2002:int"
_BUILT = {_INT_TAG: "a whole number", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:bool": "true or false", "tag:yaml.org,2002:timestamp": "a date"}
"""The scalars YAML turns into something other than text, by tag: what each must be."""
_MERGE_TAG = "tag:yaml.org,2002:merge"
_LONGEST_INTEGER_TEXT = 64
"""Longer integer text is refused unread: Python refuses to read more than 4,300 digits
(ValueError), and YAML's hexadecimal or base-60 forms have no such limit."""


@dataclass
class Refusal(Exception):
    """Why a file is refused and where: 0-based line and column, the key path."""

    key_path: KeyPath
    line: int
    column: int
    message: str


def check_file_size(data: bytes) -> Refusal | None:
    """A Refusal at the line where `data` (a file's first MAX_FILE_BYTES + 1 bytes) passes
    the size limit; None when it does not."""
    if len(data) <= MAX_FILE_BYTES:
        return None
    line = data.count(b"\n", 0, MAX_FILE_BYTES)
    column = MAX_FILE_BYTES - (data.rfind(b"\n", 0, MAX_FILE_BYTES) + 1)
    return Refusal((), line, column, (
        f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024}MiB, the limit for a config "
        "file (it passes the limit on this line)"))


def check_nodes(root: yaml.Node, text: str) -> None:
    """Raise a Refusal for a document nested too deep, holding too many values once its
    aliases are repeated, holding a number too large or a key twice in one mapping, or
    containing itself."""
    walk = _Walk(text)
    walk.child(root, (), root, -1, 0)


class _Walk:
    """One pass in document order, counting values and levels. A node met again is an
    alias use: it was written (and measured) earlier, since an anchor comes before its
    aliases, or it is around the alias (a cycle)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.values = 0
        self.measured: dict[int, tuple[int, int]] = {}
        """(values, levels) of each list and mapping walked, by id."""
        self.scalars: set[int] = set()
        """The scalars walked, by id."""
        self.open: set[int] = set()
        """The lists and mappings around the value being walked."""

    def child(self, node: yaml.Node, path: KeyPath, at: yaml.Node, after: int,
              depth: int) -> tuple[int, int, int]:
        """(values, levels of lists and mappings, where it ends in the text) of the value
        found in the text after index `after`, inside `depth` lists and mappings (the
        recursion stops at MAX_DEPTH). `at` is where a cycle is reported: the key before
        the value, or the list holding it."""
        key = id(node)
        if key in self.measured or key in self.scalars:
            return self._alias(node, path, after, depth)
        if key in self.open:
            raise Refusal(path, at.start_mark.line, at.start_mark.column, (
                "this value contains itself (an alias '*' to the anchor '&' of a value "
                "around it): repeat only values defined elsewhere"))
        self.values += 1
        if self.values > MAX_VALUES:
            self._too_many(path, node.start_mark.line, node.start_mark.column, 0)
        end = node.end_mark.index
        if isinstance(node, yaml.ScalarNode):
            self.scalars.add(key)
            if node.tag in _BUILT:
                _check_scalar(node, path)
            return 1, 0, end
        if depth >= MAX_DEPTH:  # the key path is cut: the spot says where
            mark = node.start_mark
            raise Refusal(path[:_SHOWN_PARTS], mark.line, mark.column, _TOO_DEEP)
        self.open.add(key)
        values, levels, place, inner = 1, 0, node.start_mark.index, depth + 1
        if isinstance(node, yaml.MappingNode):
            keys: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in node.value:
                size, height, place = self.child(key_node, path, node, place, inner)
                values, levels = values + size, max(levels, height)
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if name is not None and key_node.tag != _MERGE_TAG:
                    _check_unique(keys, key_node, path)
                size, height, place = self.child(
                    value_node, path if name is None else (*path, name), key_node, place, inner)
                values, levels = values + size, max(levels, height)
        else:
            for index, item in enumerate(node.value):
                size, height, place = self.child(item, (*path, index), node, place, inner)
                values, levels = values + size, max(levels, height)
        self.open.discard(key)
        self.measured[key] = (values, levels + 1)
        return values, levels + 1, end

    def _alias(self, node: yaml.Node, path: KeyPath, after: int,
               depth: int) -> tuple[int, int, int]:
        """Count an alias use as the values it repeats."""
        size, height = self.measured.get(id(node), (1, 0))  # a scalar is one value
        line, column, end = self._alias_spot(after)
        if depth + height > MAX_DEPTH:
            raise Refusal(path[:_SHOWN_PARTS], line, column,
                          f"with the value this alias repeats, {_TOO_DEEP}")
        self.values += size
        if self.values > MAX_VALUES:
            self._too_many(path, line, column, size)
        return size, height, end

    def _too_many(self, path: KeyPath, line: int, column: int, repeated: int) -> None:
        if repeated:
            raise Refusal(path, line, column, (
                f"with the {repeated:,} values this alias repeats, the file would hold more "
                f"than {MAX_VALUES:,} values (a YAML alias bomb?): repeat fewer or smaller "
                "values"))
        raise Refusal(path, line, column, f"the file holds more than {MAX_VALUES:,} values")

    def _alias_spot(self, after: int) -> tuple[int, int, int]:
        """(line, column, end index) of the first alias in the text after index `after`:
        the node graph knows only where the anchored value is written."""
        text = self.text
        index = text.find("*", after)
        if index < 0:
            index = after
        end = index + 1
        while end < len(text) and not text[end].isspace() and text[end] not in ",]}":
            end += 1
        line = text.count("\n", 0, index)
        return line, index - (text.rfind("\n", 0, index) + 1), end


def _check_unique(keys: dict[tuple[str, str], yaml.Node], key_node: yaml.Node,
                  path: KeyPath) -> None:
    """Refuse a key written twice in one mapping: PyYAML silently keeps the last one, so a
    second `password:` or `sources:` would quietly replace the first. Keys merged in with
    `<<:` are not written in the mapping itself, and may be overridden."""
    identity = (key_node.tag, key_node.value)
    first = keys.setdefault(identity, key_node)
    if first is not key_node:
        mark = key_node.start_mark
        raise Refusal((*path, key_node.value), mark.line, mark.column, (
            f"duplicate key: '{key_node.value}' is already set on line "
            f"{first.start_mark.line + 1}; keep one (YAML would silently use the last)"))


def _check_scalar(node: yaml.ScalarNode, path: KeyPath) -> None:
    """Refuse a scalar YAML reads as a number, boolean or date that its constructor cannot
    build (PyYAML's raise ValueError, KeyError or AttributeError on these: `2024-13-45`,
    `!!int abc`, `!!bool maybe`), or a whole number past MAX_INTEGER."""
    kind = _BUILT.get(node.tag)
    if kind is None:
        return
    mark = node.start_mark
    too_large = Refusal(path, mark.line, mark.column, (
        f"this number is too large for any setting (at most {MAX_INTEGER})"))
    if node.tag == _INT_TAG and len(node.value.replace("_", "")) > _LONGEST_INTEGER_TEXT:
        raise too_large
    try:
        value = _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except Exception:  # ValueError, KeyError, AttributeError: the text is not such a value
        # Python's own message may quote the value (a secret, perhaps): not shown.
        raise Refusal(path, mark.line, mark.column, (
            f"YAML reads this value as {kind}, and it is not a valid one: put it in quotes "
            "if it is text")) from None
    if node.tag == _INT_TAG and abs(value) > MAX_INTEGER:
        raise too_large


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class GuardedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, whose composer calls itself for each level: it
    stops at MAX_DEPTH levels, long before Python's recursion limit would (a traceback)."""

    _levels = 0

    # types-PyYAML declares `index` an int; PyYAML passes None or the key's node too.
    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # see above
        if self._levels >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # unannotated stub
            raise Refusal((), mark.line, mark.column, _TOO_DEEP)
        self._levels += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # see above
        finally:
            self._levels -= 1
