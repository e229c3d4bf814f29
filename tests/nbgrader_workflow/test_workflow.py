"""The whole nbgrader workflow on the sample assignment, through nbgrader's Python API.

generate_assignment -> fake submissions (the reference solution; the unanswered release; every
known-wrong answer of catalogue.yaml; a cheat who edits test cells; a learner who deletes the
grader's cells; an infinite loop; a cell that raises; a cell that kills its kernel; a deleted
answer cell) -> autograde (``kports autograde``'s
parallel wrapper, which runs nbgrader's own autograde per submission) -> generate_feedback ->
export. Then: every score is what the tasks say, each wrong answer loses exactly the points of
the tasks it breaks and its feedback carries the diagnosis, the cheat gains nothing, the loop
is cut off, nothing crashes, the feedback is byte-identical for identical submissions, and
``kports grade`` gives the same verdicts on the same manifests.

One batch of kernels for all students (two workers), so the module runs in about a minute.
"""

from __future__ import annotations

import copy
import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[test]')")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:.*not in session.*"),
]

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "00-sample"
CATALOGUE = yaml.safe_load((Path(__file__).parent / "catalogue.yaml").read_text(encoding="utf-8"))
TASKS = {  # grade_id -> points (grader/tasks/00-sample.yaml)
    "myapp_reachable_on_every_node_port_30008": 2.0,
    "service_port_80_not_open_on_the_nodes": 1.0,
    "mysql_service_port_33306_reaches_the_database": 2.0,
    "mysql_service_answers_only_on_port_33306": 1.0,
}
FULL = sum(TASKS.values())
CELL_TIMEOUT = 15
WEB_WRONG = [e for e in CATALOGUE if e["answer"] == "web"]
MYSQL_WRONG = [e for e in CATALOGUE if e["answer"] == "mysql"]


# ---------------------------------------------------------------------- fake submissions


def solutions() -> dict[str, str]:
    """The reference manifest of each answer of the sample assignment."""
    from grader.nb.assignments import SAMPLE

    return {s.answer: s.solution.strip() + "\n" for s in SAMPLE.sections}


def answer_source(name: str, manifest: str) -> str:
    """The source of an answer cell: the magic line, then the manifest."""
    return f"%%manifest {name}\n{manifest}"


def _cell(nb, cell_id):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def _answered(nb, web: str | None = None, mysql: str | None = None):
    nb = copy.deepcopy(nb)
    given = solutions()
    for name, text in (("web", web), ("mysql", mysql)):
        _cell(nb, f"answer-{name}").source = answer_source(name, text if text is not None else given[name])
    return nb


def _insert_after(nb, cell_id: str, source: str):
    cell = nbformat.v4.new_code_cell(source, id=f"mine-{len(nb.cells)}")
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == cell_id)
    nb.cells.insert(index + 1, cell)
    return nb


def _cheat(release):
    """Unanswered, but the test cells are edited to pass (and to claim more points)."""
    nb = copy.deepcopy(release)
    for task in ("myapp_reachable_on_every_node_port_30008", "mysql_service_port_33306_reaches_the_database"):
        cell = _cell(nb, task.replace("_", "-"))
        cell.source = '"""Check that everything is fine"""\nprint("all good")'
        cell.metadata["nbgrader"]["points"] = 100
    return nb


def _deleter(release):
    """The reference answers, with the setup cell and two test cells deleted."""
    nb = _answered(release)
    gone = {"setup", "myapp-reachable-on-every-node-port-30008", "mysql-service-answers-only-on-port-33306"}
    nb.cells = [c for c in nb.cells if c.get("id") not in gone]
    return nb


def _without(nb, *cell_ids: str):
    """The notebook without some cells (here: an answer and the test after it, which nbgrader
    0.9 cannot put back: its add_missing_cells looks up the deleted answer and fails)."""
    nb.cells = [c for c in nb.cells if c.get("id") not in cell_ids]
    return nb


def _submissions(release) -> dict[str, tuple[object, dict[str, float]]]:
    """student -> (notebook, expected score of each task)."""
    full = dict(TASKS)
    zero = {t: 0.0 for t in TASKS}
    subs = {
        "solution": (_answered(release), full),
        "solution-again": (_answered(release), full),
        "unanswered": (copy.deepcopy(release), zero),
        "cheat": (_cheat(release), zero),
        "deleter": (_deleter(release), full),
        "loop": (_insert_after(_answered(release), "answer-web", "while True:\n    pass"), full),
        "raiser": (_insert_after(_answered(release), "answer-mysql", 'raise RuntimeError("my own mistake")'), full),
        "kernel-killer": (_insert_after(_answered(release), "answer-web", "import os\nos._exit(1)"), full),
        "no-web-answer": (_without(_answered(release), "answer-web", "myapp-reachable-on-every-node-port-30008"),
                          {t: (p if t.startswith("mysql") else 0.0) for t, p in TASKS.items()}),
    }
    for i, web in enumerate(WEB_WRONG):
        mysql = MYSQL_WRONG[i] if i < len(MYSQL_WRONG) else None
        broken = set(web["breaks"]) | set(mysql["breaks"] if mysql else [])
        expected = {t: (0.0 if t in broken else p) for t, p in TASKS.items()}
        nb = _answered(release, web["manifest"], mysql["manifest"] if mysql else None)
        subs[f"wrong-{i + 1:02d}"] = (nb, expected)
    return subs


def _wrong_entries(student: str) -> list[dict]:
    i = int(student.split("-")[1]) - 1
    return [WEB_WRONG[i]] + ([MYSQL_WRONG[i]] if i < len(MYSQL_WRONG) else [])


# ---------------------------------------------------------------------- the batch


@pytest.fixture(scope="module")
def graded(course):
    """Submit, autograde in parallel, generate feedback and export; returns the facts to check."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    from grader.nb.autograde import autograde
    from grader.nb.nbgrader_api import api_for, course_config, nbgrader_path

    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    subs = _submissions(release)
    for student, (nb, _) in subs.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    progress = io.StringIO()
    outcomes = autograde(course, ASSIGNMENT, jobs=2, timeout=CELL_TIMEOUT, progress=progress)
    config = course_config(course)
    api = api_for(config)
    with nbgrader_path():
        feedback = api.generate_feedback(ASSIGNMENT)
    config.CsvExportPlugin.to = str(course / "grades.csv")
    db_url = str(config.CourseDirectory.db_url)
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url) as gb:
        CsvExportPlugin(config=config).export(gb)
        for student in (o.student for o in outcomes if o.success):
            notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            scores[student] = {g.name: float(g.score) for g in notebook.grades}
    return {"subs": subs, "outcomes": outcomes, "progress": progress.getvalue(), "feedback": feedback,
            "scores": scores, "course": course}


def _feedback(course: Path, student: str) -> str:
    return (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")


def _feedback_text(course: Path, student: str) -> str:
    """The feedback page as text: tags and ANSI colour spans removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", _feedback(course, student)))


# ---------------------------------------------------------------------- release


def test_exercises_regenerated_from_solutions_are_byte_identical_to_the_committed_ones(course):
    """kports release output == exercises/ in the repository (CI's "release is up to date")."""
    fresh = course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    committed = REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fresh.read_bytes() == committed.read_bytes()


def test_release_hides_solutions_and_hidden_tests(course):
    text = (course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "nodePort: 30008" not in text and "targetPort: 3306" not in text
    assert "# YOUR MANIFEST HERE" in text


# ---------------------------------------------------------------------- autograde


def test_nothing_crashes_every_submission_is_autograded(graded):
    failed = [f"{o.student}: {o.error}" for o in graded["outcomes"] if not o.success]
    assert not failed, "\n".join(failed)
    assert graded["feedback"]["success"], graded["feedback"]


def test_every_task_scores_what_its_checks_say(graded):
    """Per task (grade cell): full points when the answer is right, 0 for each task a wrong answer breaks."""
    for student, (_, expected) in graded["subs"].items():
        got = {t: graded["scores"][student][t] for t in TASKS}
        assert got == expected, student


def test_reference_solution_scores_full_marks_and_unanswered_release_scores_zero(graded):
    totals = {o.student: o.score for o in graded["outcomes"]}
    assert totals["solution"] == FULL
    assert totals["unanswered"] == 0


def test_each_wrong_answer_loses_exactly_the_points_of_the_tasks_it_breaks(graded):
    totals = {o.student: o.score for o in graded["outcomes"]}
    for student in (s for s in graded["subs"] if s.startswith("wrong-")):
        broken = set().union(*(e["breaks"] for e in _wrong_entries(student)))
        assert totals[student] == FULL - sum(TASKS[t] for t in broken), student


def test_each_wrong_answer_is_diagnosed_in_its_feedback(graded):
    for student in (s for s in graded["subs"] if s.startswith("wrong-")):
        text = _feedback_text(graded["course"], student)
        for entry in _wrong_entries(student):
            assert entry["diagnosis"] in text, (student, entry["name"])


def test_editing_test_cells_gains_nothing(graded):
    assert graded["scores"]["cheat"] == graded["scores"]["unanswered"]


def test_deleted_grader_cells_are_restored_and_the_work_still_counts(graded):
    assert sum(graded["scores"]["deleter"][t] for t in TASKS) == FULL


def test_an_infinite_loop_is_cut_off_by_the_cell_timeout_and_the_rest_still_counts(graded):
    autograded = graded["course"] / "autograded" / "loop" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(autograded, as_version=4)
    loop = next(c for c in nb.cells if c.source.startswith("while True"))
    assert "CellTimeoutError" in {o.get("ename") for o in loop.outputs if o.output_type == "error"}
    assert sum(graded["scores"]["loop"][t] for t in TASKS) == FULL


def test_a_failed_check_shows_the_verdict_not_a_traceback(graded):
    """The error output of a failed test cell is the learner's verdict, one frame deep: no file paths."""
    autograded = graded["course"] / "autograded" / "wrong-01" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(autograded, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "myapp-reachable-on-every-node-port-30008")
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    assert error.traceback[0].endswith("AssertionError\x1b[0m: FAILED 00-sample/myapp_reachable_on_every_node_port_30008  [0/2]")
    text = "\n".join(error.traceback)
    assert "Traceback" not in text and "grader/nb" not in text and ".py" not in text
    assert "provided port is not in the valid range" in text


def test_a_notebook_nbgrader_cannot_run_is_graded_from_its_manifests_and_flagged(graded):
    """A kernel that dies, or a notebook nbgrader fails on, still gets the points of its manifests."""
    from nbgrader.api import Gradebook

    from grader.nb.nbgrader_api import course_config

    fallbacks = {o.student: o.fallback for o in graded["outcomes"] if o.fallback}
    assert sorted(fallbacks) == ["kernel-killer", "no-web-answer"]
    assert "DeadKernelError" in fallbacks["kernel-killer"]
    with Gradebook(str(course_config(graded["course"]).CourseDirectory.db_url)) as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "kernel-killer")
        assert all(g.needs_manual_grade for g in notebook.grades)


def test_same_submission_same_score_and_byte_identical_feedback(graded):
    assert graded["scores"]["solution"] == graded["scores"]["solution-again"]
    assert _feedback(graded["course"], "solution") == _feedback(graded["course"], "solution-again")


def test_export_writes_every_student(graded):
    text = (graded["course"] / "grades.csv").read_text(encoding="utf-8")
    assert all(student in text for student in graded["subs"])


def test_progress_bar_counts_every_submission(graded):
    lines = graded["progress"].splitlines()
    total = len(graded["subs"])
    assert len(lines) == total and lines[-1].startswith(f"autograde {ASSIGNMENT} [{'#' * 24}] {total}/{total}")


# ---------------------------------------------------------------------- the command-line grader agrees


def _answers_of(nb) -> dict[str, str]:
    found = {}
    for cell in nb.cells:
        first, _, body = cell.source.partition("\n")
        if cell.cell_type == "code" and first.startswith("%%manifest "):
            found[first.split()[1]] = body
    return found


def test_command_line_grader_gives_the_same_verdicts_as_autograde(graded, tmp_path):
    from grader.cli import main

    for student, (nb, _) in graded["subs"].items():
        folder = tmp_path / student
        folder.mkdir()
        files = []
        for name, text in _answers_of(nb).items():
            (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
            files.append(str(folder / f"{name}.yaml"))
        out = io.StringIO()
        code = main(["grade", ASSIGNMENT, *files, "--json"], stdout=out, stderr=io.StringIO())
        verdict = json.loads(out.getvalue())
        cli = {t["task"].split("/")[1]: t["score"] for t in verdict["tasks"]}
        assert cli == {t: graded["scores"][student][t] for t in TASKS}, student
        assert code == (0 if verdict["score"] == FULL else 1)


def test_autograde_merge_matches_what_plain_nbgrader_writes(graded, tmp_path):
    """One student autograded by nbgrader alone, in a copy of the course, gets the same rows."""
    from nbgrader.api import Gradebook

    from grader.nb.nbgrader_api import api_for, course_config, nbgrader_path

    source = graded["course"]
    copy_root = tmp_path / "plain"
    copy_root.mkdir()
    for item in ("nbgrader_config.py", "gradebook.db"):
        shutil.copy(source / item, copy_root / item)
    for item in ("solutions", "exercises"):
        shutil.copytree(source / item, copy_root / item)
    shutil.copytree(source / "submitted" / "wrong-02", copy_root / "submitted" / "wrong-02")
    with nbgrader_path():
        result = api_for(course_config(copy_root, timeout=CELL_TIMEOUT)).autograde(ASSIGNMENT, "wrong-02")
    assert result["success"], result
    rows = {}
    for root in (source, copy_root):
        with Gradebook(str(course_config(root).CourseDirectory.db_url)) as gb:
            nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "wrong-02")
            rows[root] = (sorted((g.name, g.auto_score, g.needs_manual_grade) for g in nb.grades),
                          sorted((c.name, c.auto_comment) for c in nb.comments))
    assert rows[source] == rows[copy_root]
