"""Build assignment notebooks from a small description, so they are reviewable and regenerable.

An assignment is described in Python (:mod:`grader.nb.assignments`) as prose and task
sections; its graded cells come from the task file ``grader/tasks/<assignment>.yaml``, so the
notebook and ``kports grade`` can never disagree about what a task checks or is worth.
``python -m grader.nb.authoring`` writes ``solutions/<id>/<id>.ipynb`` for every description
(``--check`` only compares). The output is byte-for-byte reproducible: cell ids are fixed,
there are no outputs, and nbformat writes sorted keys.

The cells follow the house conventions (STYLE.md, Notebooks; nbgrader's own layout):

* the first cell is locked: ``from grader.nb import setup`` and ``lab = setup()``. It is an
  nbgrader *grade* cell worth 0 points, so that nbgrader puts it back if a learner deletes it
  (``OverwriteCells.add_missing_cells``) and the rest of the notebook can still be graded;
* each task is a "## Task N (k points)" heading, a ``%%manifest NAME`` answer cell whose
  solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, an ungraded
  "try it" cell, then one locked test cell per task of the task file, whose grade_id is the
  task id (a snake_case statement) and whose first line is ``\"\"\"Check that ...\"\"\"``;
  hidden checks run between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from grader.checks.messages import number
from grader.nb.tasks import Task, load_assignment
from grader.records import frozen

__all__ = ["Section", "Spec", "build", "main", "notebook_path", "write"]


@frozen
class Section:
    """One "## Task N" section: prose, the manifest the learner writes, a try-it cell, its tests."""

    title: str
    text: str
    answer: str
    solution: str
    try_it: str
    tasks: tuple[str, ...]


@frozen
class Spec:
    """A whole assignment notebook: an introduction, task sections, closing notes."""

    assignment: str
    intro: str
    sections: tuple[Section, ...]
    outro: str = ""


SETUP_SOURCE = "from grader.nb import setup\n\nlab = setup()"


def _nbgrader(cell: Any, grade_id: str, *, grade: bool = False, solution: bool = False,
              locked: bool = False, points: float | None = None) -> Any:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    if locked:
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False
    return cell


def _markdown(cell_id: str, text: str) -> Any:
    from nbformat.v4 import new_markdown_cell

    cell = new_markdown_cell(text.strip("\n"), id=cell_id)
    cell.metadata["deletable"] = False
    cell.metadata["editable"] = False
    return cell


def _code(cell_id: str, source: str) -> Any:
    from nbformat.v4 import new_code_cell

    return new_code_cell(source.strip("\n"), id=cell_id)


def test_source(task: Task) -> str:
    """The test cell of a task: its docstring, the public check, the hidden region."""
    lines = [task.docstring]
    if task.public:
        lines.append(f'lab.grade("{task.ref}")')
    if task.hidden:
        lines += ["### BEGIN HIDDEN TESTS", f'lab.grade("{task.ref}", hidden=True)', "### END HIDDEN TESTS"]
    return "\n".join(lines)


def _section_cells(number_: int, section: Section, tasks: list[Task]) -> list[Any]:
    points = sum(t.points for t in tasks)
    unit = "point" if points == 1 else "points"
    heading = f"## Task {number_} ({number(points)} {unit}): {section.title}\n\n{section.text.strip()}"
    answer = f"%%manifest {section.answer}\n### BEGIN SOLUTION\n{section.solution.strip()}\n### END SOLUTION"
    cells = [
        _markdown(f"task-{number_}", heading),
        _nbgrader(_code(f"answer-{section.answer}", answer), f"answer_{section.answer}", solution=True),
        _code(f"try-{number_}", section.try_it),
    ]
    for task in tasks:
        cell = _code(task.id.replace("_", "-"), test_source(task))
        cells.append(_nbgrader(cell, task.id, grade=True, locked=True, points=task.points))
    return cells


def build(spec: Spec) -> Any:
    """The solution notebook of ``spec`` as an nbformat node (no outputs, fixed cell ids)."""
    from nbformat.v4 import new_notebook

    assignment = load_assignment(spec.assignment)
    setup = _nbgrader(_code("setup", SETUP_SOURCE), "setup", grade=True, locked=True, points=0)
    cells = [setup, _markdown("intro", spec.intro)]
    for i, section in enumerate(spec.sections, start=1):
        tasks = [assignment.task(t) for t in section.tasks]
        wrong = [t.ref for t in tasks if t.answer != section.answer]
        if wrong:
            raise ValueError(f"tasks {wrong} grade another manifest than {section.answer!r}")
        cells += _section_cells(i, section, tasks)
    if spec.outro:
        cells.append(_markdown("credits", spec.outro))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def notebook_path(root: Path, assignment: str) -> Path:
    """``solutions/<assignment>/<assignment>.ipynb`` under ``root``."""
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def render(spec: Spec) -> str:
    """The notebook file's exact text."""
    import nbformat

    text = nbformat.writes(build(spec), version=4)
    return text if text.endswith("\n") else text + "\n"


def write(spec: Spec, root: Path) -> Path:
    """Write the solution notebook of ``spec`` under ``root``; returns its path."""
    path = notebook_path(root, spec.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(spec), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m grader.nb.authoring [--root DIR] [--check]``."""
    from grader.nb.assignments import SPECS

    parser = argparse.ArgumentParser(prog="python -m grader.nb.authoring",
                                     description="write solutions/<id>/<id>.ipynb from their descriptions")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: .)")
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ")
    args = parser.parse_args(argv)
    stale = []
    for spec in SPECS:
        path = notebook_path(args.root, spec.assignment)
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != render(spec):
                stale.append(str(path))
        else:
            print(write(spec, args.root))
    for path in stale:
        print(f"{path} is out of date: run python -m grader.nb.authoring", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
