"""Grading a task (grader/nb/grading.py) and ``kports grade`` (grader/nb/commands.py).

The known-wrong answers are the catalogue of tests/nbgrader_workflow/catalogue.yaml, the same data the
nbgrader workflow test submits: each breaks exactly the tasks it lists and is diagnosed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.model.yamlload import MAX_BYTES
from grader.nb.assignments import SAMPLE
from grader.nb.grading import grade_task, no_answer
from grader.nb.tasks import load_assignment

CATALOGUE = yaml.safe_load((Path(__file__).parents[1] / "nbgrader_workflow" / "catalogue.yaml").read_text(encoding="utf-8"))
SOLUTIONS = {s.answer: s.solution for s in SAMPLE.sections}
TASKS = load_assignment("00-sample").tasks


def _grade_all(answers):
    return {t.id: grade_task(t, answers.get(t.answer)) for t in TASKS}


def test_the_reference_solution_passes_every_task_with_full_marks():
    results = _grade_all(SOLUTIONS)
    assert all(r.passed for r in results.values())
    assert sum(r.score for r in results.values()) == 6


@pytest.mark.parametrize("answer", [None, "", "# YOUR MANIFEST HERE\n"], ids=["missing", "empty", "release-stub"])
def test_an_unanswered_task_scores_zero_and_says_which_manifest_is_missing(answer):
    for task in TASKS:
        result = grade_task(task, answer)
        assert (result.passed, result.score) == (False, 0)
        assert no_answer(task.answer) in result.text()


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e["name"] for e in CATALOGUE])
def test_each_known_wrong_answer_breaks_exactly_its_tasks_with_the_right_diagnosis(entry):
    answers = dict(SOLUTIONS, **{entry["answer"]: entry["manifest"]})
    results = _grade_all(answers)
    assert sorted(t for t, r in results.items() if not r.passed) == sorted(entry["breaks"])
    assert entry["diagnosis"] in "\n".join(results[t].text() for t in entry["breaks"])


def test_the_same_answer_always_gets_byte_identical_feedback():
    entry = CATALOGUE[3]
    first = grade_task(TASKS[0], entry["manifest"])
    again = grade_task(TASKS[0], entry["manifest"])
    assert (first.text(), first.html()) == (again.text(), again.html())


def test_hidden_checks_run_only_when_asked_and_are_reported_without_their_sentence():
    hidden_only = next(t for t in TASKS if t.hidden and not t.public)
    public = grade_task(hidden_only, SOLUTIONS["web"], include_hidden=False)
    assert public.passed and public.report.results == ()
    graded = grade_task(hidden_only, SOLUTIONS["web"])
    assert [r.expectation for r in graded.report.results] == ["from outside, kind-worker:80 (hidden check)"]


def test_an_oversized_or_hostile_answer_fails_its_task_with_a_message_not_a_crash():
    huge = "a: b\n" * (MAX_BYTES // 4)
    assert "over the 4,194,304-byte limit" in grade_task(TASKS[0], huge).text()
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))
    assert "excessive aliasing" in grade_task(TASKS[0], bomb).text()


def test_a_backend_that_cannot_run_skips_the_checks_with_its_reason():
    result = grade_task(TASKS[0], SOLUTIONS["web"], backend="no-such-backend")
    assert not result.passed
    assert "unknown backend 'no-such-backend'" in result.text()


def test_task_result_json_lists_every_expectation_with_status_and_points():
    data = grade_task(TASKS[0], SOLUTIONS["web"]).as_dict()
    assert (data["task"], data["passed"], data["score"], data["max_score"]) == (
        "00-sample/myapp_reachable_on_every_node_port_30008", True, 2.0, 2.0)
    assert [e["status"] for e in data["expectations"]] == ["PASSED"] * 3
    assert sum(e["points"] for e in data["expectations"]) == pytest.approx(2.0, abs=1e-5)


# ---------------------------------------------------------------------- kports grade


def _kports(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    for name, text in SOLUTIONS.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "web.yaml").write_text(CATALOGUE[0]["manifest"], encoding="utf-8")
    return tmp_path


def test_kports_grade_one_task_passes_with_exit_0(files):
    code, out, _ = _kports("grade", "00-sample/myapp_reachable_on_every_node_port_30008", str(files / "web.yaml"))
    assert code == 0
    assert out.startswith("PASSED 00-sample/myapp_reachable_on_every_node_port_30008  [2/2]")


def test_kports_grade_a_wrong_answer_fails_with_exit_1_and_the_api_servers_words(files):
    code, out, _ = _kports("grade", "00-sample/myapp_reachable_on_every_node_port_30008", str(files / "wrong" / "web.yaml"))
    assert code == 1
    assert CATALOGUE[0]["diagnosis"] in out


def test_kports_grade_a_whole_assignment_matches_files_by_name_and_prints_json(files):
    code, out, _ = _kports("grade", "00-sample", str(files / "web.yaml"), str(files / "mysql.yaml"), "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["score"], data["max_score"], len(data["tasks"])) == (6.0, 6.0, 4)


def test_kports_grade_an_assignment_with_a_manifest_missing_fails_those_tasks(files):
    code, out, _ = _kports("grade", "00-sample", str(files / "web.yaml"), "--json")
    data = json.loads(out)
    assert code == 1
    assert [t["passed"] for t in data["tasks"]] == [True, True, False, False]


@pytest.mark.parametrize("argv, message", [
    (["grade", "00-sample/nope", "{web}"], "has no task 'nope'"),
    (["grade", "nope", "{web}"], "no assignment 'nope'"),
    (["grade", "00-sample", "{dir}/missing.yaml"], 'the path "{dir}/missing.yaml" does not exist'),
    (["grade", "00-sample", "{dir}/wrong"], '"{dir}/wrong" is not a file'),
])
def test_kports_grade_usage_errors_exit_2_with_one_line(files, argv, message):
    fill = {"web": files / "web.yaml", "dir": files}
    code, out, err = _kports(*[a.format(**fill) for a in argv])
    assert (code, out) == (2, "")
    assert err == f"error: {message.format(**fill)}\n" or message.format(**fill) in err


def test_kports_grade_a_file_named_after_no_manifest_is_a_usage_error(files):
    (files / "service.yaml").write_text(SOLUTIONS["web"], encoding="utf-8")
    code, _, err = _kports("grade", "00-sample", str(files / "service.yaml"))
    assert code == 2
    assert "must be one of the manifests this assignment grades: web.yaml, mysql.yaml" in err


def test_kports_grade_never_executes_the_file(files):
    """A submission is data: Python in a manifest is YAML text to the grader, and a bad manifest."""
    evil = files / "evil"
    evil.mkdir()
    (evil / "web.yaml").write_text("!!python/object/apply:os.system ['touch pwned']\n", encoding="utf-8")
    code, out, _ = _kports("grade", "00-sample", str(evil / "web.yaml"))
    assert code == 1 and not Path("pwned").exists()
    assert "could not determine a constructor" in out or "error parsing" in out
