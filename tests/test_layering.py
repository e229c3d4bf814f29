"""The package's one-way dependencies (DESIGN.md, Layout), enforced by reading imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "grader"

# layer -> grader packages it may import (besides itself and the shared leaf modules)
ALLOWED = {
    "model": set(),
    "sim": {"model"},
    "checks": {"model", "sim", "backends"},
    "backends": {"model", "sim"},
    "nb": {"model", "sim", "checks", "backends"},
}
LEAVES = {"errors", "_version", "records"}
STDLIB_ONLY_LAYERS = {"model", "sim"}
THIRD_PARTY_OK = {"yaml"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_the_layers_below_it(layer):
    """model <- sim <- checks <- nb/cli; backends depend on model and sim only."""
    bad = []
    for path in _modules(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "grader" or len(parts) < 2:
                continue
            target = parts[1]
            if target not in LEAVES and target != layer and target not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


@pytest.mark.parametrize("layer", sorted(STDLIB_ONLY_LAYERS))
def test_model_and_sim_use_only_the_standard_library_and_pyyaml(layer):
    import sys

    bad = []
    for path in _modules(layer):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ("grader", "__future__") or top in THIRD_PARTY_OK:
                continue
            if top not in sys.stdlib_module_names or top == "subprocess":
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_layering_rules_see_every_module():
    """The walk finds the modules it checks (a check that cannot fail is a defect)."""
    assert len(_modules("model")) >= 5 and len(_modules("sim")) >= 5
    assert "grader.model.codec" in _imports(ROOT / "model" / "kinds.py")
