"""The notebooks on the kernel data plane: ``KPORTS_BACKEND=netns`` in the learner's kernel.

The lessons run top to bottom, the sample assignment's reference solution passes every test
cell, and known-wrong answers whose mistake lives in the data plane (a selector that matches no
pod, a targetPort nobody listens on, a Service port curled where only the targetPort answers)
fail exactly the test cells of the tasks they break, with the same diagnosis as on the
simulator — so a learner on a Linux machine with real packets is graded as on Binder.
Runs where the netns backend is available (root, or unprivileged user namespaces), else skips
with the reason.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "course").glob("*.ipynb"))
SOLUTION = REPO / "solutions" / "00-sample" / "00-sample.ipynb"
CATALOGUE = {e["name"]: e for e in yaml.safe_load(
    (REPO / "tests" / "nbgrader_workflow" / "catalogue.yaml").read_text(encoding="utf-8"))}
TEST_CELLS = (
    "myapp-reachable-on-every-node-port-30008",
    "service-port-80-not-open-on-the-nodes",
    "mysql-service-port-33306-reaches-the-database",
    "mysql-service-answers-only-on-port-33306",
)
DATA_PLANE_MISTAKES = ("selector-matches-no-pod", "target-port-nobody-listens-on", "target-port-defaults-to-port")


def _execute(nb, where: Path, monkeypatch) -> dict[str, str]:
    """Run ``nb`` in a kernel with the netns backend; cell id -> the error it raised ("" if none)."""
    monkeypatch.setenv("KPORTS_BACKEND", "netns")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(where)}})
    client.execute()
    return {
        cell.get("id", ""): " ".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                                     if o.get("output_type") == "error")
        for cell in nb.cells if cell.cell_type == "code"
    }


def _with_answer(name: str) -> object:
    entry = CATALOGUE[name]
    nb = nbformat.read(SOLUTION, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == f"answer-{entry['answer']}")
    cell.source = f"%%manifest {entry['answer']}\n{entry['manifest']}"
    return copy.deepcopy(nb)


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_on_the_kernel_data_plane(netns_reason, path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    errors = _execute(nb, path.parent, monkeypatch)
    expected = {c.get("id") for c in nb.cells if "raises-exception" in c.metadata.get("tags", [])}
    assert {cell for cell, error in errors.items() if error and cell not in expected} == set()


def test_reference_solution_passes_every_test_cell_on_the_kernel_data_plane(netns_reason, monkeypatch):
    errors = _execute(nbformat.read(SOLUTION, as_version=4), SOLUTION.parent, monkeypatch)
    assert {cell: error for cell, error in errors.items() if error} == {}
    assert set(TEST_CELLS) <= set(errors)


@pytest.mark.parametrize("name", DATA_PLANE_MISTAKES)
def test_data_plane_mistake_fails_exactly_its_tasks_with_its_diagnosis_on_the_kernel(netns_reason, name, monkeypatch):
    entry = CATALOGUE[name]
    errors = _execute(_with_answer(name), SOLUTION.parent, monkeypatch)
    broken = {cell.replace("-", "_") for cell in TEST_CELLS if errors[cell]}
    assert broken == set(entry["breaks"])
    messages = " ".join(errors[cell] for cell in TEST_CELLS)
    assert " ".join(entry["diagnosis"].split()) in " ".join(messages.split())
