"""Kinds of entries: each source type and each channel kind is one module of its section's
package (vedette/config/sources/, vedette/config/channels/) whose model registers under its
`type:` when the class is defined. Nothing lists them: the package's modules are imported
before the first question about its kinds.

The config's `sources:` and `channels:` accept exactly the registered kinds, told apart by
`type:`; an unknown `type:` is an error naming them. What a kind does (its spider, its
channel) is not here: the crawl and delivery code looks it up by the same `type:`, so the
config never imports it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, get_args, get_origin

from pydantic import BaseModel, Field

from vedette.plugins import claim, import_all

M = TypeVar("M", bound=BaseModel)


def kind_of(model: type[BaseModel]) -> str | None:
    """The `type:` of a model: its `type` field's one literal value (None without one)."""
    field = model.__pydantic_fields__.get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    values = get_args(field.annotation)
    if len(values) != 1:
        raise TypeError(f"{model.__qualname__}: `type` must be one Literal value, not {values}")
    return str(values[0])


class Kinds(Generic[M]):
    """The registered models of one section, by `type:`.

    They are listed (docs/config.md, `vedette schema`, the unknown-`type:` error) in the
    order `first` gives, as they always were, then any other by name: never in the order
    modules happened to be imported.
    """

    def __init__(self, section: str, package: str, first: tuple[str, ...] = ()) -> None:
        self.section = section
        self.package = package
        self.first = first
        self._models: dict[str, type[M]] = {}
        self._loaded = False

    def _load(self) -> None:
        """Import every module of the package: each registers the kinds it defines."""
        if self._loaded:
            return
        self._loaded = True
        import_all(self.package)

    def register(self, model: type[M]) -> None:
        """Add `model` under its `type:`; a model without one (a base class) is skipped."""
        kind = kind_of(model)
        if kind is None:
            return
        claim(self._models, kind, model, f"{self.section} type")

    def get(self, kind: str) -> type[M] | None:
        self._load()
        return self._models.get(kind)

    def items(self) -> list[tuple[str, type[M]]]:
        """(`type:`, model) of every registered kind, in the order they are listed."""
        self._load()

        def place(kind: str) -> tuple[int, str]:
            return (self.first.index(kind), "") if kind in self.first else (len(self.first), kind)

        return [(kind, self._models[kind]) for kind in sorted(self._models, key=place)]

    def __iter__(self) -> Iterator[type[M]]:
        return iter([model for _, model in self.items()])

    def union(self) -> Any:
        """The annotation of one entry: any registered model, picked by `type:`."""
        models = list(self)
        if not models:
            raise TypeError(f"no {self.section} type is registered")
        return Annotated[functools.reduce(operator.or_, models), Field(discriminator="type")]


class Kind:
    """What a section's entries share when their models register by `type:` (`kinds` names
    the section); mixed into a config model, before `Model` (it is not one itself)."""

    kinds: ClassVar[Kinds[Any]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)  # type: ignore[misc]  # Model's, next in the MRO
        kinds = getattr(cls, "kinds", None)
        if kinds is not None:
            kinds.register(cls)

    def target(self) -> str:
        """Where this entry reads or sends, as `vedette check` shows it (never a secret)."""
        return "-"

    def resolved(self, folder: Path) -> Self:
        """This entry with its relative paths taken from the config folder (none by default)."""
        return self
