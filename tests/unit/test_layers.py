"""The layers of myotrial point inward only, and no module imports itself in a circle.

Each top-level package of ``src/myotrial`` belongs to one layer; a module may import its
own package and any package of a layer further down the table, never one further up
(a back-arrow) nor another package of its own layer (unless the table allows it). The
same table is in README.md, "Architecture".

====================  ========================================  ===============================
layer                 packages                                  what it holds
====================  ========================================  ===============================
faces                 myotrial (the public API), __main__,      parse, call one use case,
                      cli, server                               print or answer, exit status
use cases             services                                  import, analyse, report, design,
                                                                data entry, accounts, queries
adapters              ingest, store                             readers and the database
outputs               report, exchange, design, synthetic       documents, exchange formats,
                                                                designs, synthetic trials
analysis              analysis                                  episodes to tables
measures              measures, product                         scores and classification,
                                                                the cell product's rules
model                 config, trialdata                         the trial's settings and tables
domain                domain                                    what the trial is (stdlib only)
base                  version, files, text, extras, data        version, reading files, wording
errors                errors                                    the exception tree
====================  ========================================  ===============================

Imports inside functions count like the others, so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import myotrial

ROOT = Path(myotrial.__file__).parent

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("faces", frozenset({"myotrial", "__main__", "cli", "server"})),
    ("use cases", frozenset({"services"})),
    ("adapters", frozenset({"ingest", "store"})),
    ("outputs", frozenset({"report", "exchange", "design", "synthetic"})),
    ("analysis", frozenset({"analysis"})),
    ("measures", frozenset({"measures", "product"})),
    ("model", frozenset({"config", "trialdata"})),
    ("domain", frozenset({"domain"})),
    ("base", frozenset({"version", "files", "text", "extras", "data"})),
    ("errors", frozenset({"errors"})),
)

SIDEWAYS: frozenset[tuple[str, str]] = frozenset(
    {
        ("myotrial", "cli"),  # python -m myotrial runs the command line
        ("__main__", "cli"),
        ("cli", "server"),  # myotrial serve starts the web service
    }
)


def _module_name(path: Path) -> str:
    parts = ["myotrial", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


MODULES = _modules()


def _resolve(module: str, name: str | None) -> str:
    """``from module import name``: the submodule when ``name`` is one, else ``module``."""
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every myotrial module ``path`` imports, top level or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [(node.module, a.name) for a in node.names]
        else:
            continue
        for module, name in names:
            if module == "myotrial" or module.startswith("myotrial."):
                yield _resolve(module, name), node.lineno


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "myotrial"


def _rank(package: str) -> int:
    for rank, (_, packages) in enumerate(LAYERS):
        if package in packages:
            return rank
    raise AssertionError(f"package {package!r} is in no layer of the table; add it")


def _graph() -> dict[str, set[str]]:
    return {m: {target for target, _ in _imports(p)} for m, p in MODULES.items()}


def test_every_package_has_a_layer() -> None:
    for module in MODULES:
        _rank(_package(module))


def _allowed(source: str, goal: str) -> bool:
    """Whether package ``source`` may import package ``goal``."""
    if goal == source or (source, goal) in SIDEWAYS:
        return True
    return _rank(goal) > _rank(source)


@pytest.mark.parametrize(
    ("source", "goal", "allowed"),
    [
        ("services", "store", True),
        ("cli", "measures", True),
        ("store", "services", False),  # an adapter calling a use case
        ("measures", "store", False),  # measures never touch the database
        ("analysis", "report", False),
        ("report", "exchange", False),  # sideways in one layer
        ("domain", "config", False),
        ("errors", "domain", False),
    ],
)
def test_table_allows_inward_arrows_only(source: str, goal: str, allowed: bool) -> None:
    assert _allowed(source, goal) is allowed


def test_no_import_points_outward_or_sideways() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} {module} -> {target}"
        for module, path in MODULES.items()
        for target, line in _imports(path)
        if not _allowed(_package(module), _package(target))
    ]
    assert wrong == []


def test_cycle_finder_finds_a_circle_of_any_length() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_in_a_circle() -> None:
    assert _cycles(_graph()) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
