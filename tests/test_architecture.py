"""The dependency direction is part of the design: rules ← adapters ← services ← flows ← CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Higher layers may import lower ones, never the reverse.
LAYERS: list[set[str]] = [
    {"procure"},
    {"flows"},
    {"services"},
    {"supplier_feeds", "models"},
    {"purchasing"},
]
FORBIDDEN_IN_RULES = {
    "prefect",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "openpyxl",
    "python_calamine",
    "psycopg",
    "httpx",
    "requests",
    "urllib",
    "http",
    "socket",
    "fastapi",
}
PREFECT_FREE = {"purchasing", "models", "supplier_feeds", "services"}


def _layer_of(package: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    return None


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def violations(package: str) -> list[str]:
    own_layer = _layer_of(package)
    assert own_layer is not None
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_top_levels(path):
            layer = _layer_of(name)
            if layer is not None and layer < own_layer:
                found.append(f"{path.relative_to(ROOT)} imports {name} (a higher layer)")
            if package == "purchasing" and name in FORBIDDEN_IN_RULES:
                found.append(f"{path.relative_to(ROOT)} imports {name} (I/O in the rules)")
            if package in PREFECT_FREE and name == "prefect":
                found.append(
                    f"{path.relative_to(ROOT)} imports prefect (orchestration below flows)"
                )
    return found


@pytest.mark.parametrize("package", sorted(set().union(*LAYERS)))
def test_each_package_imports_only_downward(package: str) -> None:
    assert violations(package) == []


def test_the_check_catches_a_rule_module_importing_sqlalchemy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom prefect import flow\n", encoding="utf-8")
    assert imported_top_levels(bad) == {"sqlalchemy", "prefect"}
    assert "sqlalchemy" in FORBIDDEN_IN_RULES
    assert "prefect" in FORBIDDEN_IN_RULES
