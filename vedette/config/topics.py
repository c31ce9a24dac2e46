"""Topics: what keywords.yaml says to look for, as terms lists or a boolean query."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vedette.config.base import SLUG, Model
from vedette.config.types import slugify
from vedette.matching.models import TermRule, TopicRule
from vedette.matching.tokens import TermError, term_words

Language = Literal["en", "uk", "lt", "ru", "pl"]


def syntax_error(message: str, offset: int) -> PydanticCustomError:
    """A validation error that carries where in the string it is (the loader adds the
    column to the file and line)."""
    return PydanticCustomError("syntax", "{message}", {"message": message, "offset": offset})


class TermSpec(Model):
    term: str
    """The words to look for; a word ending in `*` matches every word it starts
    (`drone*`: drones, droning)."""
    exact: bool = False
    """Match verbatim and case-sensitively (acronyms, names): also written as `=HIMARS`."""

    @field_validator("term")
    @classmethod
    def _valid_term(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a term cannot be empty")
        try:
            term_words(value)
        except TermError as exc:
            raise syntax_error(exc.message, exc.offset) from None
        return value.strip()


def _term(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("="):
            return {"term": value[1:], "exact": True}
        return {"term": value}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"term": str(value)}
    return value


Term = Annotated[TermSpec, BeforeValidator(_term), WithJsonSchema({"anyOf": [
    {"type": "string", "description": "words to look for; '=WORD' matches verbatim"},
    {"type": "object", "additionalProperties": False, "required": ["term"],
     "properties": {"term": {"type": "string"}, "exact": {"type": "boolean"}}},
]})]


class Topic(Model):
    name: str
    """Shown in digests."""
    id: str = ""
    """Stable identifier; defaults to the slug of `name`. Keep it when renaming a topic."""
    any: list[Term] = []
    """At least one of these must occur."""
    all: list[Term] = []
    """Each of these must occur too."""
    none: list[Term] = []
    """Any of these vetoes the match."""
    query: str | None = None
    """A boolean query: `"joint production" AND (Ukraine OR Lithuania) NOT film`,
    `"long-range" NEAR/5 (drone OR UAV)`, `title:"joint venture"`, `drone*`, `=HIMARS`.
    With `any` / `all` / `none` as well, both must hold."""
    languages: list[Language] = []
    """Languages the terms are written in (en, uk, lt, ru, pl), when their script alone does
    not say: picks the stemmer, and scans every article in those languages. Default: every
    language of the term's script."""

    def rule(self) -> TopicRule:
        """What the matcher needs of this topic."""
        def terms(specs: list[TermSpec]) -> tuple[TermRule, ...]:
            return tuple(TermRule(spec.term, spec.exact) for spec in specs)

        return TopicRule(id=self.id, name=self.name, any=terms(self.any), all=terms(self.all),
                         none=terms(self.none), query=self.query,
                         languages=tuple(self.languages))

    @field_validator("query")
    @classmethod
    def _valid_query(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Imported here: a config without queries need not load the query parser at start.
        from vedette.matching.query import QuerySyntaxError, parse

        try:
            parse(value)
        except QuerySyntaxError as exc:
            raise syntax_error(exc.message, exc.offset) from None
        return value

    @model_validator(mode="after")
    def _needs_terms(self) -> Topic:
        if not self.any and not self.all and not self.query:
            raise ValueError("a topic needs a `query`, or at least one term in `any` or `all`")
        if not self.id:
            object.__setattr__(self, "id", slugify(self.name))
        elif not SLUG.match(self.id):
            raise ValueError(f"id {self.id!r} is not a slug (lowercase letters, digits and '-')")
        return self
