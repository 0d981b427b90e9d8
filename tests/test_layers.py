"""The package's layout: no import cycle among its modules' top-level imports, and no two
modules of one name in two folders (issue 12)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent / "grader"


def _modules() -> dict[str, Path]:
    mods = {}
    for p in GRADER.rglob("*.py"):
        parts = p.relative_to(GRADER.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """The grader modules each module imports at its top level (lazy imports inside functions
    and those under ``if TYPE_CHECKING`` are not cycles at import time)."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        package = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    if full in mods:
                        graph[m].add(full)
                    elif target in mods:
                        graph[m].add(target)
            elif isinstance(node, ast.Import):
                graph[m].update(a.name for a in node.names if a.name in mods)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        path.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_cycle():
    assert _cycle(_imports(_modules())) is None


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_two_modules_of_one_name():
    names = Counter(p.name for p in GRADER.rglob("*.py") if p.name != "__init__.py"
                    and p.parent.name != "cli")  # cli/: one module per verb, named for it
    assert [n for n, c in names.items() if c > 1] == []
