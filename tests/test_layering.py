"""The import directions of DESIGN §1: nothing imports bot; storage and integrations import nothing of ours."""

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
    module.write_text("from bot.cli import main\nimport jobs.planning\n", encoding="utf-8")
    assert imported_packages(module) == {"bot", "jobs"}
