"""PyYAML's syntax errors in plain words, each pointing at the spot a person should fix.

PyYAML describes what its parser expected ("expected <block end>, but found '?'");
the user needs what is wrong with their text ("this line starts in column 3, which
matches no key above it"). `explain` maps the common problems and cleans up the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Spot:
    """Where a YAML problem is (0-based line and column) and what it is, in plain words."""

    line: int
    column: int
    message: str


Masked = Callable[[int], int | None]
"""The column from which a line holds a secret value (None: no secret on it)."""


def explain(exc: yaml.MarkedYAMLError, lines: list[str], secret: Masked) -> Spot:
    """A plain-words Spot for a PyYAML error; `secret(line)` says where a line's secret
    starts, so that nothing from it is quoted in the message."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at = Spot(mark.line, mark.column, "") if mark else Spot(0, 0, "")
    opened = exc.context_mark
    quoted = re.findall(r"'([^']*)'", problem)
    found = quoted[-1] if quoted else ""  # what PyYAML met: the last thing it quotes

    if problem == "mapping values are not allowed here":
        return _colon(lines, at, secret)
    if "expected <block end>" in problem:
        return _block_end(lines, at, found, secret)
    if "did not find expected key" in problem or "did not find expected '-'" in problem:
        return _misaligned(lines, at.line, secret)
    if context.startswith(("while parsing a flow sequence", "while parsing a flow mapping")) \
            and opened and (opened.line != at.line or "<stream end>" in problem):
        bracket = _char(lines, opened.line, opened.column)
        closing = "]" if bracket == "[" else "}"
        return Spot(opened.line, opened.column, (
            f"this '{bracket}' is never closed: add the missing '{closing}' (or, if the "
            "value is text, put it all in quotes)"))
    if context.startswith(("while parsing a flow sequence", "while parsing a flow mapping")):
        return _with(at, f"unexpected {_name(found)} inside brackets: separate items with ',' "
                         "and put items that contain ':' or other punctuation in quotes")
    if "quoted scalar" in context and opened and ("end of stream" in problem
                                                  or "document separator" in problem):
        quote = _char(lines, opened.line, opened.column)
        return Spot(opened.line, opened.column, (
            f"this quote is never closed: add the closing {quote} at the end of the value"))
    if "unknown escape character" in problem:
        return Spot(at.line, max(at.column - 1, 0), (
            f"unknown escape '\\{found}' inside double quotes: write \\\\ for a backslash, "
            "or use single quotes"))
    if "escape sequence" in problem:
        return _with(at, "a \\x, \\u or \\U escape inside double quotes needs hexadecimal "
                         "digits: write \\\\ for a backslash, or use single quotes")
    if "tab character" in problem or found == "\\t":
        before = lines[at.line][:at.column] if at.line < len(lines) else ""
        if not before.strip() or "tab character" in problem:
            return _with(at, "a tab is used for indentation: YAML indents with spaces only")
        return _with(at, "a tab cannot start a value here: use spaces")
    if "that cannot start any token" in problem:
        return _with(at, f"a value cannot start with '{found}' (YAML reserves it): put the "
                         "value in quotes")
    if context.startswith(("while scanning an alias", "while scanning an anchor")) and opened:
        sign = _char(lines, opened.line, opened.column)
        use = "as a reference to an anchor" if sign == "*" else "as an anchor name"
        example = ', e.g. schedule: "*/30 * * * *"' if sign == "*" else ""
        return Spot(opened.line, opened.column, (
            f"a value starting with '{sign}' must be in quotes (YAML reads '{sign}' {use})"
            + example))
    if problem.startswith("found undefined alias"):
        name = "" if secret(at.line) is not None else f" '*{found}'"
        return _with(at, f"the value{name} is read as a reference to an anchor ('&') that "
                         "is not defined: if it is text, put it in quotes")
    if "could not find expected ':'" in problem and opened:
        return Spot(opened.line, opened.column, (
            "this line has no ':' after its key: write 'key: value' (a value that runs "
            "over several lines must be in quotes)"))
    if "block scalar" in context:
        return _with(at, "a value starting with '|' or '>' is a block of text that starts on "
                         "the next line: put the value in quotes")
    if "could not determine a constructor for the tag" in problem:
        tag = found.replace("tag:yaml.org,2002:", "!!")
        return _with(at, f"the tag '{tag}' is not allowed: config files hold plain values, "
                         "lists and mappings only")
    if "but found another document" in problem:
        return _with(at, "a second document ('---') in one file: keep one document per file "
                         "(another .yaml file in the folder works)")
    if "expected the node content" in problem and context.startswith("while parsing a block"):
        return _with(at, f"a value cannot start with '{found}': put the value in quotes")
    message = _cleaned(context, problem)
    if secret(at.line) is not None:  # PyYAML quotes what it found, which could be part of the secret
        message = re.sub(r"'[^']*'", "'…'", message)
    return _with(at, message)


def _with(at: Spot, message: str) -> Spot:
    return Spot(at.line, at.column, message)


def _colon(lines: list[str], at: Spot, secret: Masked) -> Spot:
    """A ': ' where no key may start: inside a value on the same line as its key, or on
    a line indented so that it continues the value above."""
    text = lines[at.line] if at.line < len(lines) else ""
    before = text[:at.column].lstrip(" -")
    if re.search(r":(\s|$)", before):
        return _with(at, "a ': ' inside an unquoted value: put the whole value in quotes")
    start = len(text) - len(text.lstrip(" "))
    above = _starts_above(lines, at.line, keys_only=True, secret=secret)
    hint = f" ({_label(above[0][2])} on line {above[0][1] + 1} starts in column " \
        f"{above[0][0] + 1})" if above else ""
    return Spot(at.line, start, "bad indentation: this line is indented more than the key "
                                f"above it expects{hint}")


def _block_end(lines: list[str], at: Spot, found: str, secret: Masked) -> Spot:
    text = lines[at.line] if at.line < len(lines) else ""
    previous = text[:at.column].rstrip()
    if found == "<scalar>" and previous and previous[-1] in "\"']}":
        closer = previous[-1]
        opened = _quoted_from_earlier_line(lines, at)
        if opened is not None:
            return Spot(opened.line, opened.column, (
                f"this quote is not closed on its line, so the value runs on to the next "
                f"{closer} (line {at.line + 1}): add the closing {closer} at the end of the value"))
        if closer in "\"'":
            return _with(at, "text follows the closing quote: a quoted value ends at its "
                             "closing quote; to keep quotes inside the text, put the whole "
                             "value in the other kind of quotes")
        return _with(at, f"text follows the closing '{closer}': a value starting with "
                         f"'{'[' if closer == ']' else '{'}' is read as a list or mapping; put "
                         "the whole value in quotes")
    if found in ("]", "}"):
        return _with(at, f"a '{found}' without a matching opening bracket")
    if found == "-":
        return _with(at, "a list item ('- ') where a key was expected: a list starts on the "
                         "line after a 'key:' that has no value of its own")
    return _misaligned(lines, at.line, secret)


def _quoted_from_earlier_line(lines: list[str], at: Spot) -> Spot | None:
    """Where the quoted value that ends just before `at` began, when that is on an
    earlier line: then the quote there was left open and swallowed the lines between."""
    last = None
    try:
        for token in yaml.scan("\n".join(lines), Loader=yaml.SafeLoader):
            end = token.end_mark
            if (end.line, end.column) > (at.line, at.column):
                break
            if isinstance(token, yaml.ScalarToken):
                last = token
    except yaml.YAMLError:
        pass  # tokens up to the problem were read; later ones don't matter
    if last is None or last.style not in ("'", '"') or last.start_mark.line == at.line:
        return None
    return Spot(last.start_mark.line, last.start_mark.column, "")


def _misaligned(lines: list[str], line: int, secret: Masked) -> Spot:
    text = lines[line] if line < len(lines) else ""
    start = len(text) - len(text.lstrip(" "))
    item = text.lstrip(" ").startswith("-")
    above = _starts_above(lines, line, keys_only=not item, secret=secret)[:3]
    options = ", ".join(
        (f"the list's '-' in column {col + 1} on line {row + 1}" if label == "-"
         else f"{_label(label)} starts in column {col + 1} on line {row + 1}")
        for col, row, label in above)
    what = "nothing" if item else "no key"
    return Spot(line, start, f"bad indentation: this line starts in column {start + 1}, which "
                             f"matches {what} above it" + (f" ({options})" if options else ""))


def _starts_above(lines: list[str], line: int, keys_only: bool,
                  secret: Masked) -> list[tuple[int, int, str]]:
    """(column, line, label) of the places a line may line up with, innermost first:
    each earlier line's key (and list dash) that starts left of everything nearer. A key
    inside a secret gets no name (under `urls:` it could be part of one)."""
    found: list[tuple[int, int, str]] = []
    limit = 1 << 30
    for row in range(min(line, len(lines)) - 1, -1, -1):
        masked = secret(row)
        for column, label in reversed(_starts(lines[row])):
            if column < limit and not (keys_only and label == "-"):
                hidden = masked is not None and column >= masked and label != "-"
                found.append((column, row, "" if hidden else label))
            limit = min(limit, column)
        if limit == 0:
            break
    return found


def _label(key: str) -> str:
    return f"`{key}`" if key else "a key"


def _starts(text: str) -> list[tuple[int, str]]:
    """Where a line's nested parts start: each list dash, then its key if it has one."""
    stripped = text.lstrip(" ")
    if not stripped or stripped.startswith("#") or stripped.startswith("\t"):
        return []
    position = len(text) - len(stripped)
    starts: list[tuple[int, str]] = []
    while text[position:position + 2] in ("- ", "-") and position < len(text):
        starts.append((position, "-"))
        position += 1
        while text[position:position + 1] == " ":
            position += 1
    key = re.match(r"([^:#'\"\[{][^:#]*?):(\s|$)", text[position:])
    if key:
        starts.append((position, key.group(1)))
    return starts


def _char(lines: list[str], line: int, column: int) -> str:
    text = lines[line] if line < len(lines) else ""
    return text[column] if column < len(text) else "?"


_WORDS = {
    "<block end>": "the end of the block",
    "'<block mapping start>'": "a new key",
    "'<block sequence start>'": "a list item",
    "'<scalar>'": "a value",
    "'<stream end>'": "the end of the file",
    "<stream end>": "the end of the file",
    "<document start>": "the start of the document",
    "'?'": "a key",
}


def _name(found: str) -> str:
    return _WORDS.get(f"'{found}'", f"'{found}'")


def _cleaned(context: str, problem: str) -> str:
    """PyYAML's own words, with its token names turned into words."""
    text = problem
    for raw, word in _WORDS.items():
        text = text.replace(raw, word)
    where = context.removeprefix("while ").strip()
    return f"invalid YAML: {text}" + (f" ({where})" if where else "")
