"""Notebooks built from a description (grader/nb/authoring.py): house conventions, reproducible bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")

from grader.nb.assignments import SAMPLE, SPECS  # noqa: E402
from grader.nb.authoring import build, notebook_path, render  # noqa: E402
from grader.nb.tasks import load_assignment  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _nbg(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("spec", SPECS, ids=[s.assignment for s in SPECS])
def test_committed_solution_notebooks_are_exactly_what_the_description_builds(spec):
    """Regenerate with: python -m grader.nb.authoring"""
    committed = notebook_path(REPO, spec.assignment).read_text(encoding="utf-8")
    assert committed == render(spec)


def test_building_twice_gives_the_same_bytes():
    assert render(SAMPLE) == render(SAMPLE)


def test_the_notebook_is_valid_nbformat_without_outputs():
    nb = build(SAMPLE)
    nbformat.validate(nb)
    assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_the_first_cell_is_locked_setup_worth_zero_points_so_nbgrader_restores_it():
    first = build(SAMPLE).cells[0]
    assert first.source == "from grader.nb import setup\n\nlab = setup()"
    assert _nbg(first) == {"grade": True, "grade_id": "setup", "locked": True, "points": 0,
                           "schema_version": 3, "solution": False}


def test_tasks_read_task_n_with_their_points():
    headings = [c.source.splitlines()[0] for c in build(SAMPLE).cells
                if c.cell_type == "markdown" and c.source.startswith("## Task")]
    assert headings == ["## Task 1 (3 points): Expose myapp on nodePort 30008",
                        "## Task 2 (3 points): Make mysql-service reach the database"]


def test_answer_cells_are_manifest_cells_with_a_solution_region():
    answers = [c for c in build(SAMPLE).cells if _nbg(c).get("solution")]
    assert [c.source.splitlines()[:2] for c in answers] == [
        ["%%manifest web", "### BEGIN SOLUTION"], ["%%manifest mysql", "### BEGIN SOLUTION"]]
    assert all(c.source.endswith("### END SOLUTION") for c in answers)


def test_every_task_has_one_locked_test_cell_whose_grade_id_and_docstring_come_from_the_task_file():
    tests = [c for c in build(SAMPLE).cells if _nbg(c).get("grade") and _nbg(c)["grade_id"] != "setup"]
    tasks = load_assignment("00-sample").tasks
    assert [(_nbg(c)["grade_id"], _nbg(c)["points"], _nbg(c)["locked"]) for c in tests] == [
        (t.id, t.points, True) for t in tasks]
    for cell, task in zip(tests, tasks):
        assert re.fullmatch(r'"""Check that [^"]+"""', cell.source.splitlines()[0])
        assert ("### BEGIN HIDDEN TESTS" in cell.source) == bool(task.hidden)
        assert (f'lab.grade("{task.ref}")' in cell.source) == bool(task.public)


def test_the_sources_are_credited():
    assert "jianshu.com/p/8275f2031c83" in build(SAMPLE).cells[-1].source
