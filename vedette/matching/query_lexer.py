"""Cutting a `query:` string into tokens: operators, parentheses, field scopes, terms."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from vedette.matching.models import FIELDS
from vedette.matching.tokens import TermError, term_words

MAX_NEAR = 100  # words; a wider window is no longer "near" and costs time on long pages


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `offset` is the 0-based position of the problem."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb"}
_CLOSING = frozenset(_QUOTES.values())
_SPECIAL = frozenset("()") | set(_QUOTES) | _CLOSING
_FIELD = re.compile(r"([A-Za-z]+):(?=\S)")
_NEAR = re.compile(r"NEAR(?:/(\S*))?$")


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "FIELD", "TERM", "END"
    offset: int
    value: str = ""
    number: int = 0
    exact: bool = False
    bare: bool = False


def lex(query: str) -> list[Token]:
    """The tokens of `query`, ending with an END token; QuerySyntaxError on a bad one."""
    tokens: list[Token] = []
    position, size = 0, len(query)
    while position < size:
        char = query[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(Token(char, position))
            position += 1
        elif char in _CLOSING and char not in _QUOTES:
            raise QuerySyntaxError(f"closing quote {char} without an opening one", position)
        elif (field := _FIELD.match(query, position)) is not None:
            name = field.group(1)
            if name.lower() not in FIELDS:
                close = difflib.get_close_matches(name.lower(), FIELDS, n=1)
                hint = f"did you mean {close[0]}:? " if close else ""
                raise QuerySyntaxError(
                    f"unknown field {name!r} ({hint}fields: {', '.join(FIELDS)})", position)
            tokens.append(Token("FIELD", position, name.lower()))
            position = field.end()
        else:
            token, position = _lex_term(query, position)
            tokens.append(token)
    tokens.append(Token("END", size))
    return tokens


def _lex_term(query: str, start: int) -> tuple[Token, int]:
    position, exact = start, False
    if query[position] == "=":
        exact = True
        position += 1
        if position == len(query) or query[position].isspace():
            raise QuerySyntaxError("'=' must be followed by a term: =HIMARS", start)
    if query[position] in _QUOTES:
        closing = _QUOTES[query[position]]
        end = query.find(closing, position + 1)
        if closing == "\u201c" and end < 0:  # „…” is written both ways
            end = query.find("\u201d", position + 1)
        if end < 0:
            raise QuerySyntaxError("this quote is never closed", position)
        text, bare, after = query[position + 1:end], False, end + 1
    else:
        end = position
        while end < len(query) and not query[end].isspace() and query[end] not in _SPECIAL:
            end += 1
        text, bare, after = query[position:end], True, end
        if not exact:
            operator = _operator(text, start)
            if operator is not None:
                return operator, after
    _check_term(text, position + (0 if bare else 1))
    return Token("TERM", start, text.strip(), exact=exact, bare=bare and not exact), after


def _operator(word: str, offset: int) -> Token | None:
    if word in ("AND", "OR", "NOT"):
        return Token(word, offset)
    near = _NEAR.match(word)
    if near is None:
        return None
    if not (near.group(1) or "").isdigit():
        raise QuerySyntaxError(
            "write NEAR/n, n being the most words allowed between the two sides: "
            "drone NEAR/5 attack", offset)
    number = int(near.group(1))
    if number > MAX_NEAR:
        raise QuerySyntaxError(f"NEAR/{number} is too wide (at most NEAR/{MAX_NEAR})", offset)
    return Token("NEAR", offset, number=number)


def _check_term(text: str, offset: int) -> None:
    if not text.strip():
        raise QuerySyntaxError("empty phrase", max(0, offset - 1))
    try:
        words = term_words(text)
    except TermError as exc:
        raise QuerySyntaxError(exc.message, offset + exc.offset) from None
    if not words:
        raise QuerySyntaxError(f"{text!r} has no letters or digits to match", offset)
