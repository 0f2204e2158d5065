#!/usr/bin/env python3
"""Check the floor plan of a Python package: import circles, private names, floors.

Run by `make lint` on `lastmeter/`. It reads the source with `ast` (nothing is imported, so a
broken module cannot hide a problem) and fails, printing one line per finding, on:

* **circles**: two or more modules that import each other, directly or round a loop, at module
  level. Imports inside functions are lazy and do not count (they are allowed only to break a real
  cycle, with a comment saying which — reviewers check that). Imports under
  ``if TYPE_CHECKING:`` never run, so they do not count either.
* **private names**: ``from pkg.mod import _name`` where ``pkg.mod`` is another module of the
  package. Shared machinery gets a public name in a module meant for sharing (``locking.py``,
  ``lib/``), never a ``_private`` name reached into from outside.
* **unexplained lazy imports**: an import of the package's own code inside a function, outside
  test code, without a comment on its line or directly above its group saying why (a cycle it
  breaks, the app registry not being ready, a heavy start-up cost). Top-level is the default.
* **floors**: an app importing an app on a higher floor (``FLOORS`` below, from the top floor
  down; DESIGN.md draws the same picture). Apps on one floor do not import each other. Test code
  (``tests/`` folders, ``conftest.py``) and the ``testing`` package are exempt from the floor
  rule — they exercise every floor — but not from the other two.

We wrote this short script rather than adopt import-linter because we want these three rules with
exactly these meanings: a circle counts only imports that run at import time (so a commented lazy
import may break one), a private name may not cross modules, and the floors. import-linter's
layers and acyclic-siblings contracts would cover the floors, but it has no private-name rule, and
a script of our own states all three in one place that a newcomer can read.

Usage: ``check_imports.py [--root DIR] [--package NAME]`` — exit code 1 when anything is found.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The floors of lastmeter, top first. A module of an app may import from its own app and from any
# app on a lower floor. Names not listed (settings, urls, cli, asgi, worker, api, the demo) are the
# top floor: they compose the rest and nothing below imports them.
FLOORS: list[set[str]] = [
    {"web"},
    {
        "duty",
        "patrols",
    },  # drafted from the figures (duty) and planned from the hotspots (patrols): above stats
    {"stats"},
    {"broadcasts", "complaints", "mediation", "meetings"},
    {"open311"},  # a channel in: it hands requests to intake
    {"intake"},
    {"triage"},
    {"planning"},
    {"dispatching"},
    {"appeals"},
    {"grids"},
    {"roads"},
    {"realtime"},
    {"accounts"},
    {"lib"},
]


@dataclass
class Module:
    name: str  # dotted, e.g. lastmeter.appeals.services
    path: Path
    is_package: bool
    imports: list[tuple[str, int]] = field(default_factory=list)  # (module imported, line)
    private_imports: list[tuple[str, str, int]] = field(default_factory=list)  # (module, name, line)
    unexplained_lazy: list[tuple[str, int]] = field(default_factory=list)  # (module, line)


def discover(root: Path, package: str) -> dict[str, Module]:
    """Every .py file under root/package, by dotted module name (migrations skipped)."""
    modules: dict[str, Module] = {}
    base = root / package
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if "migrations" in parts:
            continue
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = Module(".".join(parts), path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the body, into if/try blocks, not into defs/classes'
    methods; ``if TYPE_CHECKING`` bodies are skipped (they never run)."""
    for node in body:
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                yield from _module_level(block)
        elif isinstance(node, ast.ClassDef):
            # A class body runs at import time; its methods do not.
            yield from _module_level(
                [n for n in node.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            )
        else:
            yield node


def _resolve(module: Module, level: int, target: str | None) -> str:
    """The absolute name of a relative import."""
    if level == 0:
        return target or ""
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, target] if target else parts)


def read_imports(module: Module, modules: dict[str, Module]) -> None:
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    for node in _module_level(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    module.imports.append((alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:  # `from pkg import module`
                    module.imports.append((submodule, node.lineno))
                elif source in modules:
                    module.imports.append((source, node.lineno))
    lines = module.path.read_text(encoding="utf-8").splitlines()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                source = (
                    _resolve(module, node.level, node.module)
                    if isinstance(node, ast.ImportFrom)
                    else node.names[0].name
                )
                if source.split(".")[0] == module.name.split(".")[0] and not _explained(lines, node.lineno):
                    module.unexplained_lazy.append((source, node.lineno))
    # Private names are refused wherever the import sits, lazy or not.
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module)
            if source in modules and source != module.name:
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        module.private_imports.append((source, alias.name, node.lineno))


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above its group of consecutive imports."""
    if "#" in lines[lineno - 1]:
        return True
    above = lineno - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        if "#" in lines[above]:
            return True
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def circles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph = {
        name: sorted({target for target, _ in m.imports if target != name}) for name, m in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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


def _floor_of(app: str) -> int:
    for level, apps in enumerate(FLOORS):
        if app in apps:
            return level
    return -1  # top floor: composes everything


def _is_test_code(module: Module, package: str) -> bool:
    parts = module.name.split(".")
    return "tests" in parts or parts[-1] == "conftest" or parts[1:2] == ["testing"]


def floor_violations(modules: dict[str, Module], package: str) -> list[str]:
    found = []
    for module in modules.values():
        parts = module.name.split(".")
        if len(parts) < 2 or _is_test_code(module, package):
            continue
        app = parts[1]
        mine = _floor_of(app)
        if mine < 0:
            continue
        reported: set[str] = set()
        for target, line in module.imports:
            if target in reported:
                continue
            reported.add(target)
            other = target.split(".")[1] if target.count(".") >= 1 else ""
            if not other or other == app:
                continue
            theirs = _floor_of(other)
            if theirs <= mine:  # higher floor (smaller index), the same floor, or the top
                found.append(f"{module.path}:{line}: floors: {app} may not import {other} ({target})")
    return found


def check(root: Path, package: str, *, floors: bool = True) -> list[str]:
    modules = discover(root, package)
    for module in modules.values():
        read_imports(module, modules)
    problems = []
    for component in circles(modules):
        lines = [
            f"{name} -> {target} (line {line})"
            for name in component
            for target, line in modules[name].imports
            if target in component and target != name
        ]
        problems.append("import circle: " + "; ".join(lines))
    for module in modules.values():
        for source, name, line in module.private_imports:
            problems.append(f"{module.path}:{line}: private name {name} imported from {source}")
        if not _is_test_code(module, package):
            for source, line in module.unexplained_lazy:
                problems.append(f"{module.path}:{line}: lazy import of {source} without a comment saying why")
    if floors:
        problems.extend(floor_violations(modules, package))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--package", default="lastmeter")
    parser.add_argument("--no-floors", action="store_true", help="check circles and private names only")
    args = parser.parse_args(argv)
    if not (args.root / args.package).is_dir():
        print(f"check_imports: no package {args.package!r} under {args.root}", file=sys.stderr)
        return 2
    problems = check(args.root, args.package, floors=not args.no_floors)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_imports: {len(problems)} problem(s) in {args.package}", file=sys.stderr)
        return 1
    print(f"check_imports: {args.package}: no import circles, no private names across modules, floors kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
