"""Every lesson in course/ runs top to bottom on the simulator without an unexpected error."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "course").glob("*.ipynb"))


def test_the_course_has_lessons():
    assert LESSONS, "course/ holds no notebook"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_executes(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
    monkeypatch.setenv("KPORTS_BACKEND", "sim")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [
        (i, out.get("ename"))
        for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
        and "raises-exception" not in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    assert errors == []
    assert all(not cell.get("outputs") == [] for cell in notebook.cells if cell.cell_type == "code")
