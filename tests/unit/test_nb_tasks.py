"""Assignments as data (grader/nb/tasks.py): the packaged task files and their validation."""

from __future__ import annotations

import re

import pytest

from grader.errors import UsageError
from grader.nb.tasks import assignment_names, find_task, load_assignment, parse_assignment

GOOD = """
assignment: demo
title: Demo
provided:
  app: |
    apiVersion: v1
    kind: Pod
    metadata: {name: app, labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
tasks:
- id: web_reachable
  check: it works
  answer: web
  setup: [app]
  expectations:
  - {every_node: 30008, pod: app=web, points: 2}
  hidden:
  - {from: outside, curl: "kind-worker:80", expect: REFUSED}
"""


def test_the_sample_assignment_ships_with_the_package():
    assert "00-sample" in assignment_names()
    sample = load_assignment("00-sample")
    assert sample.points == 6
    assert sample.answers == ("web", "mysql")


def test_every_task_id_is_a_snake_case_statement_usable_as_nbgrader_grade_id():
    for name in assignment_names():
        for task in load_assignment(name).tasks:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", task.id)
            assert task.docstring.startswith('"""Check that ')


def test_a_task_is_worth_the_points_of_its_public_and_hidden_expectations():
    task = parse_assignment(GOOD, "demo.yaml").task("web_reachable")
    assert (task.points, len(task.public), len(task.hidden)) == (3, 1, 1)
    assert task.ref == "demo/web_reachable"


def test_find_task_names_the_tasks_there_are_when_one_is_unknown():
    with pytest.raises(UsageError, match="has no task 'nope'; its tasks are: myapp_reachable"):
        find_task("00-sample/nope")


def test_find_task_needs_assignment_slash_task():
    with pytest.raises(UsageError, match="ASSIGNMENT/TASK"):
        find_task("00-sample")


def test_an_unknown_assignment_lists_the_known_ones():
    with pytest.raises(UsageError, match="no assignment 'nope'; the assignments are: .*00-sample"):
        load_assignment("nope")


@pytest.mark.parametrize("change, message", [
    (("answer: web", "answer: Web!"), "answer must be a lowercase manifest name"),
    (("id: web_reachable", "id: Web Reachable"), "id must be a snake_case statement"),
    (("setup: [app]", "setup: [db]"), "setup must list names of provided manifests"),
    (("  check: it works\n", "  check: it works\n  points: 3\n"), "unknown key 'points'"),
    (("every_node: 30008", "every_nodes: 30008"), "say what to check"),
])
def test_authoring_mistakes_name_the_file_and_the_task(change, message):
    text = GOOD.replace(*change)
    with pytest.raises(UsageError, match=message) as err:
        parse_assignment(text, "demo.yaml")
    assert str(err.value).startswith("demo.yaml: ")


def test_a_task_without_expectations_is_refused():
    text = GOOD.split("  expectations:")[0]
    with pytest.raises(UsageError, match="at least one expectation"):
        parse_assignment(text, "demo.yaml")


def test_task_files_are_read_with_the_hardened_loader():
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    with pytest.raises(UsageError, match="excessive aliasing"):
        parse_assignment(bomb, "bomb.yaml")
