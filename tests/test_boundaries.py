"""The layout's one rule, read off the source: components import only `shared/` and
themselves, `shared/` imports no component, and no module imports itself round a cycle
(imports under `TYPE_CHECKING` and inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = {"scheduler", "executor", "result_processor", "api", "frontend", "notifier", "ascode"}
TOOLS = {"ops", "benchmark"}  # like tests/, these may import any component
PACKAGES = COMPONENTS | TOOLS | {"shared"}

pytestmark = pytest.mark.unit


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic's scripts are loaded by Alembic, never imported
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules that `name` imports, resolved to entries of MODULES."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import mod` imports the module; `from mod import name`, the module
            targets = [s for s in subs if s in MODULES] or [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_components_import_only_shared_and_themselves() -> None:
    wrong = sorted(
        f"{m} imports {t}"
        for m, targets in GRAPH.items()
        if _top(m) in COMPONENTS
        for t in targets
        if _top(t) not in {"shared", _top(m)}
    )
    assert wrong == []


def test_shared_imports_no_component() -> None:
    wrong = sorted(
        f"{m} imports {t}"
        for m, targets in GRAPH.items()
        if _top(m) == "shared"
        for t in targets
        if _top(t) != "shared"
    )
    assert wrong == []


def _cycle_from(start: str) -> list[str] | None:
    """The first import cycle through `start`, by depth-first search."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_cycles() -> None:
    cycles = {" -> ".join(c) for m in GRAPH if _top(m) not in TOOLS and (c := _cycle_from(m))}
    assert sorted(cycles) == []


def test_the_graph_sees_real_imports() -> None:
    """Guards the test itself: a known import is found, so an empty answer above means
    something."""
    assert "shared.config" in GRAPH["ops.cli"]
    assert "shared.checkspec" in GRAPH["executor.checks.base"] or any(
        "shared." in t for t in GRAPH["executor.checks.base"]
    )
