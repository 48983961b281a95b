"""The import directions of docs/design.md §1: nothing imports bot; storage and integrations import nothing of ours.

Inside jobs/, no module joins an import cycle that is not listed below as one that stands today; inside
bot/, no module joins any.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"bot", "jobs", "storage", "integrations"}
ALLOWED = {
    "bot": {"bot", "jobs", "storage", "integrations"},
    "jobs": {"jobs", "storage", "integrations"},
    "storage": {"storage"},
    "integrations": {"integrations"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_layering_allows(package: str) -> None:
    modules = list((ROOT / package).rglob("*.py"))
    assert modules, f"package {package} has no modules"
    offences = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_packages(path) - ALLOWED[package])}"
        for path in modules
        if imported_packages(path) - ALLOWED[package]
    ]
    assert not offences, "\n".join(offences)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from bot.cli.main import main\nimport jobs.planning\n", encoding="utf-8")
    assert imported_packages(module) == {"bot", "jobs"}


# ---- import cycles between the modules of jobs/ -------------------------------------------------------

JOBS = ROOT / "jobs"

# The cycles among top-level imports today: none. A new one fails the test below.
TOP_LEVEL_CYCLES: set[tuple[str, ...]] = set()

# The cycles that only function-level (lazy) imports hide: none since runs get their dependencies, not
# their service (issue 13). A new one fails the test below.
HIDDEN_CYCLES: set[tuple[str, ...]] = set()


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted name → file of every module under root/package (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_modules(name: str, path: Path, known: set[str], *, lazy: bool) -> set[str]:
    """The known modules this module imports: `from a.b import c` names a.b.c when that is a module.

    Top-level means statements of the module body, also inside its `if` (TYPE_CHECKING too: a type
    checker follows those) and `try` blocks; with lazy, imports inside functions and classes count too.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    def targets(node: ast.Import | ast.ImportFrom) -> set[str | None]:
        if isinstance(node, ast.Import):
            return {resolve(alias.name) for alias in node.names}
        base = node.module or ""
        if node.level:
            anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{anchor}.{base}" if base else anchor
        return {resolve(f"{base}.{alias.name}") for alias in node.names}

    found: set[str | None] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(targets(node))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if lazy:
                    found.update(t for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)
                                 for t in targets(inner))
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))

    visit(tree.body)
    return {t for t in found if t and t != name}


def import_cycles(root: Path, package: str, *, lazy: bool) -> set[tuple[str, ...]]:
    """Every set of modules that import each other in a circle (a strongly connected component of two or
    more), each as a sorted tuple."""
    modules = module_names(root, package)
    graph = {name: imported_modules(name, path, set(modules), lazy=lazy) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = set()

    def connect(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.add(tuple(sorted(component)))

    for name in sorted(graph):
        if name not in index:
            connect(name)
    return cycles


def describe(cycles: set[tuple[str, ...]]) -> str:
    return "\n".join(" ⇄ ".join(cycle) for cycle in sorted(cycles))


def test_no_new_import_cycle_among_the_top_level_imports_of_jobs() -> None:
    found = import_cycles(ROOT, "jobs", lazy=False)
    assert not found - TOP_LEVEL_CYCLES, f"new import cycles inside jobs/:\n{describe(found - TOP_LEVEL_CYCLES)}"
    assert not TOP_LEVEL_CYCLES - found, f"gone, remove from TOP_LEVEL_CYCLES:\n{describe(TOP_LEVEL_CYCLES - found)}"


def test_no_new_import_cycle_hides_behind_lazy_imports_in_jobs() -> None:
    found = import_cycles(ROOT, "jobs", lazy=True) - TOP_LEVEL_CYCLES
    assert not found - HIDDEN_CYCLES, f"new cycles behind lazy imports in jobs/:\n{describe(found - HIDDEN_CYCLES)}"
    assert not HIDDEN_CYCLES - found, f"changed or gone, update HIDDEN_CYCLES:\n{describe(HIDDEN_CYCLES - found)}"


def test_no_import_cycle_in_bot_not_even_behind_lazy_imports() -> None:
    """The app registers the listeners and the listeners use the context it builds: nothing reaches back."""
    found = import_cycles(ROOT, "bot", lazy=True)
    assert not found, f"import cycles inside bot/:\n{describe(found)}"


def test_the_cycle_finder_sees_top_level_and_lazy_cycles(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from pkg.sub import b\n", encoding="utf-8")
    (package / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from pkg.a import thing\n", encoding="utf-8")
    (package / "c.py").write_text("import pkg.a\n\ndef later():\n    from pkg import d\n", encoding="utf-8")
    (package / "d.py").write_text("from . import c\n", encoding="utf-8")
    assert import_cycles(tmp_path, "pkg", lazy=False) == {("pkg.a", "pkg.sub.b")}
    assert import_cycles(tmp_path, "pkg", lazy=True) == {("pkg.a", "pkg.sub.b"), ("pkg.c", "pkg.d")}
