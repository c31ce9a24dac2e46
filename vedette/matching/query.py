"""The `query:` language of topics: parsing it into a tree, with column-precise errors.

    "joint production" AND (Ukraine OR Lithuania) NOT film
    "long-range" NEAR/5 (drone OR UAV)
    title:"joint venture" OR =HIMARS OR drone*

Precedence, loosest first: OR, then AND / NOT (`A NOT B` is `A AND NOT B`), then NEAR/n,
then field scope (`title:`) and parentheses. Operators are written in capitals; two terms
with nothing between them are an error rather than a guess (phrase or AND?).

The parser knows nothing of stemming or matching: it yields `Term` leaves holding the text
as written, and the compiler turns those into term ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from vedette.matching.query_lexer import QuerySyntaxError, Token, lex

__all__ = ["AllOf", "AnyOf", "InField", "Near", "Node", "Not", "QuerySyntaxError", "Term",
           "matches_nothing_needed", "parse", "positional"]

MAX_DEPTH = 50  # nested groups, NOTs and field scopes: far beyond any real rule


@dataclass(frozen=True)
class Term:
    text: str
    """The words as written, without quotes or the '=' of exact terms."""
    exact: bool = False
    offset: int = 0


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int
    """At most this many words between the two sides, in either order."""


@dataclass(frozen=True)
class InField:
    field: str
    child: Node


Node = Union[Term, AllOf, AnyOf, Not, Near, InField]  # noqa: UP007 (used at runtime)

_OPERATOR_WORDS = {"and": "AND", "or": "OR", "not": "NOT"}


def parse(query: str) -> Node:
    """The tree of `query`, or QuerySyntaxError saying what is wrong and where."""
    tokens = lex(query)
    if tokens[0].kind == "END":
        raise QuerySyntaxError("the query is empty", 0)
    parser = _Parser(tokens, query)
    tree = parser.expression()
    end = parser.peek()
    if end.kind == ")":
        raise QuerySyntaxError("')' without a matching '('", end.offset)
    if end.kind != "END":  # pragma: no cover - every other token continues an expression
        raise QuerySyntaxError(f"unexpected {end.kind}", end.offset)
    if matches_nothing_needed(tree):
        raise QuerySyntaxError(
            "the query matches articles that contain none of its terms; "
            "add a term that must occur (e.g. drone NOT film)", 0)
    return tree


def matches_nothing_needed(node: Node) -> bool:
    """True when `node` holds for an article without any of its terms (e.g. `NOT film`)."""
    match node:
        case Term():
            return False
        case AllOf(children):
            return all(map(matches_nothing_needed, children))
        case AnyOf(children):
            return any(map(matches_nothing_needed, children))
        case Not(child):
            return not matches_nothing_needed(child)
        case InField(_, child):
            return matches_nothing_needed(child)
        case Near():
            return False
    raise TypeError(node)  # pragma: no cover


class _Parser:
    def __init__(self, tokens: list[Token], query: str) -> None:
        self._tokens = tokens
        self._query = query
        self._index = 0
        self._depth = 0

    def _deeper(self, token: Token) -> None:
        # Bounded so that a pathological query is a config error, not a RecursionError.
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise QuerySyntaxError(f"nested more than {MAX_DEPTH} levels deep", token.offset)

    def peek(self) -> Token:
        return self._tokens[self._index]

    def _next(self) -> Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def expression(self) -> Node:
        children = [self._and()]
        while self.peek().kind == "OR":
            self._next()
            children.append(self._and())
        return children[0] if len(children) == 1 else AnyOf(tuple(children))

    def _and(self) -> Node:
        children = [self._unary()]
        while True:
            token = self.peek()
            if token.kind == "AND":
                self._next()
                children.append(self._unary())
            elif token.kind == "NOT":
                self._next()
                children.append(Not(self._near()))
            elif token.kind in ("TERM", "(", "FIELD"):
                raise QuerySyntaxError(_missing_operator(token), token.offset)
            else:
                return children[0] if len(children) == 1 else AllOf(tuple(children))

    def _unary(self) -> Node:
        if self.peek().kind == "NOT":
            self._deeper(self._next())
            node = Not(self._unary())
            self._depth -= 1
            return node
        return self._near()

    def _near(self) -> Node:
        left_at = self.peek().offset
        node = self._primary()
        while self.peek().kind == "NEAR":
            near = self._next()
            right_at = self.peek().offset
            right = self._primary()
            for side, offset in ((node, left_at), (right, right_at)):
                if not positional(side):
                    raise QuerySyntaxError(
                        "NEAR joins words, phrases or (… OR …) groups; "
                        "AND and NOT cannot be inside it", offset)
            node = Near(node, right, near.number)
        return node

    def _primary(self) -> Node:
        token = self._next()
        if token.kind == "TERM":
            return Term(token.value, token.exact, token.offset)
        if token.kind == "FIELD":
            if self.peek().kind not in ("TERM", "(", "FIELD"):
                raise QuerySyntaxError(f"expected a term after '{token.value}:'",
                                       self.peek().offset)
            self._deeper(token)
            scoped = InField(token.value, self._primary())
            self._depth -= 1
            return scoped
        if token.kind == "(":
            if self.peek().kind == ")":
                raise QuerySyntaxError("empty parentheses", token.offset)
            self._deeper(token)
            inner = self.expression()
            self._depth -= 1
            closing = self._next()
            if closing.kind != ")":
                opened = " ".join(self._query[token.offset:token.offset + 16].split())
                raise QuerySyntaxError(f"missing ')' for the '(' of {opened!r}", closing.offset)
            return inner
        if token.kind == "END":
            raise QuerySyntaxError("the query ends where a term was expected", token.offset)
        if token.kind == ")":
            raise QuerySyntaxError("expected a term before ')'", token.offset)
        raise QuerySyntaxError(f"expected a term, found {_describe(token)}", token.offset)


def positional(node: Node) -> bool:
    """Whether `node` has word positions (what NEAR compares): no AND or NOT inside."""
    match node:
        case Term() | Near():
            return True
        case AnyOf(children):
            return all(map(positional, children))
        case InField(_, child):
            return positional(child)
    return False


def _describe(token: Token) -> str:
    return "NEAR/n" if token.kind == "NEAR" else token.kind


def _missing_operator(token: Token) -> str:
    capital = _OPERATOR_WORDS.get(token.value.lower()) if token.bare else None
    if capital is None and token.bare and token.value.lower().startswith("near/"):
        capital = token.value.upper()
    if capital:
        return f"operators are written in capitals: {capital}"
    return ("two terms with no operator between them: put a phrase in quotes "
            "(\"joint production\") or join the terms with AND, OR or NEAR/n")
