"""The shape of the house: packages in layers, no import cycles, few modules at the top.

Read from the source (``ast``), without importing anything: every ``import`` and ``from … import`` of
``sgzlib`` in every module, at module level or inside a function. A lower layer never imports a higher
one; within a layer a package imports only itself and the layers below (``LAYERS``). A function-level
import of ``sgzlib`` is allowed only where it keeps start-up fast, and says so on its line or the line
above (a comment containing "start-up").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sgzlib"

# Bottom to top. A module may import its own package and any package of a lower layer.
LAYERS = (
    ("errors",),
    ("runtime",),
    ("domain",),
    ("photos",),
    ("indicators",),
    ("analysis",),
    ("store",),
    ("ledger",),
    ("demo",),
    ("charts",),
    ("workbench",),
    ("reports",),
    ("actions",),
    ("dashboards",),
    ("api", "cli", "commands", "__init__"),
)
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}
TOP_LEVEL_LIMIT = 6


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _target(module: str, path: Path, node: ast.ImportFrom) -> str | None:
    if node.level == 0:
        return node.module
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported sgzlib module, line, inside a function) for every import of ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            names = []
            if isinstance(child, ast.ImportFrom):
                base = _target(module, path, child)
                if base and base.split(".")[0] == "sgzlib":
                    names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in child.names]
            elif isinstance(child, ast.Import):
                names = [a.name for a in child.names if a.name.split(".")[0] == "sgzlib"]
            out.extend((n, child.lineno, in_function) for n in names)
            visit(child, inner)

    visit(tree, False)
    return out


def part(module: str) -> str:
    """The layer part of a module: its first package below sgzlib (or the top-level module's name)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    assert sorted({part(m) for m in MODULES} - set(RANK)) == []


def test_no_module_imports_a_higher_layer():
    wrong = [f"{m} → {t} (line {line})" for m in MODULES for t, line, _ in imports(m)
             if t in MODULES and RANK[part(t)] > RANK[part(m)]]
    assert wrong == []


def test_there_are_no_import_cycles():
    graph = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    assert cycles == []


def test_function_level_imports_say_they_keep_start_up_fast():
    unexplained = []
    for m, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for _, line, in_function in imports(m):
            said = " ".join(lines[max(0, line - 2):line])
            if in_function and "start-up" not in said:
                unexplained.append(f"{path.relative_to(ROOT)}:{line}")
    assert unexplained == []


def test_the_top_level_holds_few_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= TOP_LEVEL_LIMIT, top


@pytest.mark.parametrize("fake", [("sgzlib.domain.dataset", "from ..reports import data\n")])
def test_the_layer_check_can_fail(fake, tmp_path):
    """The check itself: a domain module that imported a report would be caught."""
    module, line = fake
    tree_import = ast.parse(line).body[0]
    target = _target(module, MODULES[module], tree_import)
    assert RANK[part(target)] > RANK[part(module)]
