"""The shape of the code: no import cycle between Vedette's parts.

A part is a subpackage of `vedette` (config, matching, commands, …) or a module at its
root. Every import counts, including those inside functions: a lazy import only hides a
cycle. The top-level folders of the Scrapy project (spiders, pipelines, alerts) call into
`vedette` and are not parts of it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vedette"


def _part(module: str) -> str | None:
    """The part a dotted module name belongs to, or None outside `vedette`."""
    parts = module.split(".")
    if parts[0] != "vedette" or len(parts) < 2:
        return None
    if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists():
        return f"vedette.{parts[1]}"
    return None


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        source = _part(module)
        if source is None:
            continue
        targets = graph.setdefault(source, set())
        targets.update(part for name in _imports(path)
                       if (part := _part(name)) is not None and part != source)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_parts() -> None:
    graph = import_graph()
    assert "vedette.matching" in graph and "vedette.config" in graph
    assert cycles(graph) == []


def test_matching_does_not_read_the_config() -> None:
    # Matching defines the rule it consumes (TopicRule); the config converts into it.
    assert "vedette.config" not in import_graph()["vedette.matching"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_store_imports_nothing_that_uses_it() -> None:
    # The state sits under the commands, the scheduler, the crawls and the channels.
    names = {name for path in (PACKAGE / "store").rglob("*.py") for name in _imports(path)}
    parts = {_part(name) or name.split(".")[0] for name in names}
    assert parts.isdisjoint({"vedette.commands", "vedette.scheduler", "vedette.crawling",
                             "vedette.context", "vedette.jobs", "alerts", "spiders", "pipelines"})
