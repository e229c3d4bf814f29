"""Pieces of ``kports autograde`` and ``kports release`` that need no kernel (grader/nb/autograde.py, release.py)."""

from __future__ import annotations

import io

import pytest

from grader.errors import UsageError
from grader.nb.autograde import Outcome, Progress, submitted_students
from grader.nb.release import find_assignments


def test_progress_bar_writes_one_plain_line_per_step_when_not_on_a_terminal():
    out = io.StringIO()
    bar = Progress(4, "autograde a", out, width=8)
    for name in ("ann", "bob", "cy", "di"):
        bar.step(name)
    assert out.getvalue().splitlines() == [
        "autograde a [##------] 1/4  ann",
        "autograde a [####----] 2/4  bob",
        "autograde a [######--] 3/4  cy",
        "autograde a [########] 4/4  di",
    ]


def test_progress_bar_redraws_in_place_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = Progress(2, "x", out, width=2)
    bar.step("a")
    bar.step("b")
    assert out.getvalue() == "\r\x1b[Kx [#-] 1/2  a\r\x1b[Kx [##] 2/2  b\n"


def test_outcome_lines_name_the_student_and_the_score_or_the_last_error_line():
    assert Outcome("ann", True, 4.0, 6.0).line() == "ann  4/6"
    assert Outcome("bob", False, error="Traceback...\nDeadKernelError: Kernel died").line() == (
        "bob  FAILED: DeadKernelError: Kernel died")


def test_submitted_students_are_the_folders_holding_the_assignment(tmp_path):
    for student in ("zoe", "ann", "bob"):
        (tmp_path / "submitted" / student / ("00-sample" if student != "bob" else "other")).mkdir(parents=True)
    assert submitted_students(tmp_path, "00-sample") == ["ann", "zoe"]
    assert submitted_students(tmp_path / "nowhere", "00-sample") == []


def test_assignments_are_solution_folders_with_a_notebook(tmp_path):
    (tmp_path / "solutions" / "01-b").mkdir(parents=True)
    (tmp_path / "solutions" / "01-b" / "01-b.ipynb").write_text("{}")
    (tmp_path / "solutions" / "02-empty").mkdir()
    assert find_assignments(tmp_path) == ["01-b"]


def test_autograde_without_submissions_is_a_usage_error(tmp_path):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed")
    from grader.nb.autograde import autograde

    with pytest.raises(UsageError, match="no submissions of 00-sample"):
        autograde(tmp_path, "00-sample")
    with pytest.raises(UsageError, match="no submission submitted/ann/00-sample"):
        autograde(tmp_path, "00-sample", ["ann"])
