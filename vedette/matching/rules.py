"""A topic's rule as a tree, and deciding it from the term hits found in an article.

Both ways of writing a topic end up here: `any` / `all` / `none` lists become
`AnyOf(any) AND all… AND NOT AnyOf(none)`, and a `query:` is parsed as written; when a
topic has both, both must hold. The compiler swaps each `Term` leaf for a `Ref` to a term
id, so deciding a topic is a walk over a small tree with set lookups at the leaves.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vedette.matching.models import FIELDS, TopicRule
from vedette.matching.query import AllOf, AnyOf, InField, Near, Not, Term, parse

Hit = tuple[int, int, int]
"""(field index, first word, last word): one occurrence of a term, its words counted
within the field."""
Hits = Mapping[int, Sequence[Hit]]
Evidence = tuple[int, int, int, int]
"""(term id, field index, first word, last word): a hit that helped the topic match."""
Occurrence = tuple[int, int, int, tuple[Evidence, ...]]
"""(field, first word, last word, the hits inside): where a NEAR side occurs."""

EVERY_FIELD = (1 << len(FIELDS)) - 1
_MAX_PAIRS = 1_000  # NEAR occurrences kept per node: enough to show, bounded on hostile text


@dataclass(frozen=True)
class Ref:
    """A compiled term: its id in the automaton, and the text shown in digests."""

    term: int
    written: str


def topic_rule(topic: TopicRule) -> Any:
    """The topic's rule with `Term` leaves."""
    parts: list[Any] = []
    if topic.query:
        parts.append(parse(topic.query))
    if topic.any:
        parts.append(_any_of([Term(spec.term, spec.exact) for spec in topic.any]))
    parts.extend(Term(spec.term, spec.exact) for spec in topic.all)
    if topic.none:
        parts.append(Not(_any_of([Term(spec.term, spec.exact) for spec in topic.none])))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _any_of(terms: list[Term]) -> Any:
    return terms[0] if len(terms) == 1 else AnyOf(tuple(terms))


def refs_of(node: Any, negated: bool = False) -> Iterator[Ref]:
    """Every ref that can explain a match, in the order written: the order a match lists
    the terms that hit. A ref under an odd number of NOTs never does (its hits argue
    against the match), so it is left out."""
    match node:
        case Ref():
            if not negated:
                yield node
        case AllOf(children) | AnyOf(children):
            for child in children:
                yield from refs_of(child, negated)
        case Not(child):
            yield from refs_of(child, not negated)
        case InField(_, child):
            yield from refs_of(child, negated)
        case Near(left, right, _):
            yield from refs_of(left, negated)
            yield from refs_of(right, negated)


def field_bit(name: str) -> int:
    return 1 << FIELDS.index(name)


def holds(node: Any, hits: Hits, fields: int = EVERY_FIELD) -> bool:
    """Whether the rule `node` holds, given where its terms occurred."""
    match node:
        case Ref(term):
            found = hits.get(term)
            if not found:
                return False
            return fields == EVERY_FIELD or any(fields >> hit[0] & 1 for hit in found)
        case AllOf(children):
            return all(holds(child, hits, fields) for child in children)
        case AnyOf(children):
            return any(holds(child, hits, fields) for child in children)
        case Not(child):
            return not holds(child, hits, fields)
        case InField(name, child):
            return holds(child, hits, fields & field_bit(name))
        case Near():
            return bool(occurrences(node, hits, fields, limit=1))
    raise TypeError(node)  # pragma: no cover


def evidence(
    node: Any, hits: Hits, fields: int = EVERY_FIELD, holding: bool = True
) -> list[Evidence]:
    """The hits that make `node` hold (or, with `holding=False`, fail): every hit of a
    matched term, and for NEAR only the pairs that are near each other. Under a NOT the
    question flips, so `NOT (NOT a AND NOT b)` is explained by the hits of a and b."""
    match node:
        case Ref(term):
            if not holding:
                return []  # an absent term leaves nothing to show
            return [(term, *hit) for hit in hits.get(term, ()) if fields >> hit[0] & 1]
        case AllOf(children) | AnyOf(children):
            # A holding AND / failing OR needs every child; a holding OR / failing AND is
            # explained by the children that decided it.
            every = isinstance(node, AllOf) == holding
            return [e for child in children
                    if every or holds(child, hits, fields) == holding
                    for e in evidence(child, hits, fields, holding)]
        case Not(child):
            return evidence(child, hits, fields, not holding)
        case InField(name, child):
            return evidence(child, hits, fields & field_bit(name), holding)
        case Near():
            if not holding:
                return []
            return [e for occurrence in occurrences(node, hits, fields) for e in occurrence[3]]
    raise TypeError(node)  # pragma: no cover


def occurrences(
    node: Any, hits: Hits, fields: int, limit: int = _MAX_PAIRS
) -> list[Occurrence]:
    """Where a positional rule (a term, an OR of them, a NEAR) occurs."""
    match node:
        case Ref(term):
            return [(*hit, ((term, *hit),)) for hit in hits.get(term, ()) if fields >> hit[0] & 1]
        case AnyOf(children):
            return [o for child in children for o in occurrences(child, hits, fields, limit)]
        case InField(name, child):
            return occurrences(child, hits, fields & field_bit(name), limit)
        case Near(left, right, distance):
            return _near(occurrences(left, hits, fields), occurrences(right, hits, fields),
                         distance, limit)
    raise TypeError(node)  # pragma: no cover - the parser allows nothing else in NEAR


def _near(
    lefts: list[Occurrence], rights: list[Occurrence], distance: int, limit: int
) -> list[Occurrence]:
    """Pairs of a left and a right occurrence in one field, apart (not overlapping), with
    at most `distance` words between them, in either order."""
    if not lefts or not rights:
        return []
    rights = sorted(rights)
    starts = [(o[0], o[1]) for o in rights]
    widest = max(o[2] - o[1] for o in rights)
    found: list[Occurrence] = []
    for field, first, last, parts in lefts:
        index = bisect.bisect_left(starts, (field, first - distance - 1 - widest))
        while index < len(rights):
            r_field, r_first, r_last, r_parts = rights[index]
            index += 1
            if r_field != field or r_first > last + distance + 1:
                break
            if r_first > last:
                gap = r_first - last - 1
            elif r_last < first:
                gap = first - r_last - 1
            else:
                continue  # overlapping: the same words cannot be both sides
            if gap <= distance:
                found.append((field, min(first, r_first), max(last, r_last), parts + r_parts))
                if len(found) >= limit:
                    return found
    return found
