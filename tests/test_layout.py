"""The package's shape: subpackages by course stage, imports that point one way, no cycles, small modules.

Every ``fer_helpers`` import counts, those inside functions included; only ``if TYPE_CHECKING:`` imports (type
hints, never run) are left out.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fer_helpers"
LAYERS = [
    ["errors", "atomic_files", "versions", "quiet", "provenance", "output_paths", "profiles", "assets"],
    ["data"],
    ["augmentation"],
    ["models"],
    ["evaluation"],
    ["plots"],
    ["training"],
    ["inference"],
    ["video"],
    ["notebook_setup"],
    ["cli"],
]
"""Lowest first: a module may import from its own layer's part or any layer above it in this list, never below."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Return the ``fer_helpers`` modules that ``path`` imports, at any depth of the file (TYPE_CHECKING aside)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in known] or [node.module]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


@functools.cache
def import_graph() -> dict[str, set[str]]:
    known = set(modules())
    graph = {name: imports_of(path, known) - {name} for name, path in modules().items()}
    # importing a.b.c also runs a/__init__ and a/b/__init__
    for name in list(graph):
        for deps in [graph[name]]:
            for dep in list(deps):
                parts = dep.split(".")
                parents = (".".join(parts[:i]) for i in range(2, len(parts)))
                deps.update(p for p in parents if not (name == p or name.startswith(p + ".")))
    return graph


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> int:
    part = part_of(module)
    for index, layer in enumerate(LAYERS):
        if part in layer:
            return index
    raise AssertionError(f"{module} is in no layer of tests/test_layout.py's LAYERS: add it there")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    cycle = find_cycle({k: v for k, v in import_graph().items() if k != "fer_helpers"})
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_find_cycle_catches_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", sorted(set(modules()) - {"fer_helpers"}))
def test_imports_point_down(module):
    upward = sorted(dep for dep in import_graph()[module] if dep != "fer_helpers" and layer_of(dep) > layer_of(module))
    assert not upward, f"{module} (layer {layer_of(module)}) imports from a later stage: {upward}"


def test_subpackages_by_stage_and_small_modules():
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert len(subpackages) >= 5, subpackages
    for folder in [PACKAGE, *(PACKAGE / name for name in subpackages)]:
        files = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert len(files) <= 10, f"{folder.name}/ has {len(files)} modules (at most 10): {[p.name for p in files]}"
    long = {module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"
