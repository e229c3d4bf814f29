"""Assignments as data: the tasks of ``grader/tasks/<assignment>.yaml``, shared by notebooks and CLI.

One file per assignment, shipped inside the package so a grading kernel (whose working
directory is ``autograded/<student>/<assignment>/``) and ``kports grade`` read the same tasks::

    assignment: 00-sample
    title: "Sample: a nodePort and a targetPort"
    provided:                      # manifests the learner is given, by name
      myapp: |
        apiVersion: apps/v1
        kind: Deployment
        ...
    tasks:
    - id: myapp_reachable_on_every_node_port_30008     # nbgrader grade_id: a snake_case statement
      check: from outside, port 30008 of every node reaches the myapp pods
      answer: web                  # the manifest the learner writes (%%manifest web / web.yaml)
      setup: [myapp]               # provided manifests applied before it, in order
      expectations:                # public checks, in grader.checks' YAML schema
      - {every_node: 30008, pod: app=myapp, points: 2}
      hidden:                      # checks that run only when grading (nbgrader hidden tests)
      - {from: outside, curl: "kind-worker:80", expect: REFUSED}

A task is worth the points of all its expectations, and scores them all or nothing, exactly
as an nbgrader test cell does. Problems in the file raise :class:`~grader.errors.UsageError`
naming the file and the task.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from grader.checks import Expectation, load_expectations
from grader.errors import ManifestError, UsageError
from grader.model.yamlload import load_documents, read_source
from grader.records import frozen

__all__ = ["Assignment", "Task", "assignment_names", "find_task", "load_assignment"]

_TASK_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")
_TOP_KEYS = {"assignment", "title", "provided", "tasks"}
_TASK_KEYS = {"id", "check", "answer", "setup", "expectations", "hidden"}


@frozen
class Task:
    """One graded unit: the learner's manifest ``answer``, applied after ``setup``, then checked."""

    assignment: str
    id: str
    check: str
    answer: str
    setup: tuple[str, ...]
    public: tuple[Expectation, ...]
    hidden: tuple[Expectation, ...]

    @property
    def ref(self) -> str:
        """``assignment/task``, as ``lab.grade`` and ``kports grade`` take it."""
        return f"{self.assignment}/{self.id}"

    @property
    def points(self) -> float:
        """What the task is worth: every expectation's points, public and hidden."""
        return round(sum(float(e.points) for e in self.public + self.hidden), 6)

    @property
    def docstring(self) -> str:
        """The first line of the task's test cell."""
        return f'"""Check that {self.check}"""'

    def __str__(self) -> str:
        return self.ref

    def __repr__(self) -> str:
        return f"<Task {self.ref} answer={self.answer} points={self.points:g}>"


@frozen
class Assignment:
    """Every task of one assignment, plus the manifests the learner is given."""

    id: str
    title: str
    provided: tuple[tuple[str, str], ...]
    tasks: tuple[Task, ...]
    source: str = ""

    def task(self, task_id: str) -> Task:
        """The task called ``task_id``; a :class:`UsageError` lists the ones there are."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks)
        raise UsageError(f"assignment {self.id} has no task {task_id!r}; its tasks are: {known}")

    def manifest(self, name: str) -> str:
        """The text of the provided manifest ``name``."""
        return dict(self.provided)[name]

    @property
    def answers(self) -> tuple[str, ...]:
        """The names of the manifests the learner writes, in task order."""
        return tuple(dict.fromkeys(t.answer for t in self.tasks))

    @property
    def points(self) -> float:
        return round(sum(t.points for t in self.tasks), 6)

    def __repr__(self) -> str:
        return f"<Assignment {self.id} tasks={len(self.tasks)} points={self.points:g}>"


# ---------------------------------------------------------------------- finding files


def _packaged(name: str) -> Any:
    return resources.files("grader").joinpath("tasks", f"{name}.yaml")


def assignment_names() -> list[str]:
    """The assignments shipped with the package, sorted."""
    folder = resources.files("grader").joinpath("tasks")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=32)
def _load_packaged(name: str) -> Assignment:
    path = _packaged(name)
    if not path.is_file():
        known = ", ".join(assignment_names()) or "none"
        raise UsageError(f"no assignment {name!r}; the assignments are: {known}")
    return parse_assignment(path.read_bytes(), f"grader/tasks/{name}.yaml")


def load_assignment(name_or_path: str | Path) -> Assignment:
    """A packaged assignment by name (``"00-sample"``), or an assignment file by path."""
    if isinstance(name_or_path, Path) or str(name_or_path).endswith((".yaml", ".yml")):
        try:
            data = read_source(name_or_path)
        except ManifestError as exc:
            raise UsageError(str(exc)) from None
        return parse_assignment(data, str(name_or_path))
    return _load_packaged(str(name_or_path))


def find_task(ref: str) -> Task:
    """``"00-sample/myapp_reachable_on_every_node_port_30008"`` -> that :class:`Task`."""
    assignment, sep, task_id = str(ref).partition("/")
    if not sep or not assignment or not task_id:
        raise UsageError(f"name a task as ASSIGNMENT/TASK (e.g. 00-sample/some_task), not {ref!r}")
    return load_assignment(assignment).task(task_id)


# ---------------------------------------------------------------------- parsing


def parse_assignment(raw: str | bytes, source: str) -> Assignment:
    """Read one assignment file (hardened YAML loader; every problem names the file)."""
    try:
        docs = load_documents(raw, source)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise UsageError(f"{source}: expected one YAML mapping with assignment, title, provided and tasks")
    data = docs[0].data
    _only(data, _TOP_KEYS, source)
    ident = _text(data, "assignment", source)
    provided = _provided(data.get("provided") or {}, source)
    raw_tasks = data.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise UsageError(f"{source}: tasks must be a non-empty list")
    tasks = tuple(_task(ident, item, dict(provided), f"{source}: task {i + 1}") for i, item in enumerate(raw_tasks))
    _unique([t.id for t in tasks], f"{source}: task id")
    return Assignment(ident, str(data.get("title") or ident), provided, tasks, source)


def _provided(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise UsageError(f"{source}: provided must map names to manifest text")
    out = []
    for name, text in value.items():
        if not isinstance(name, str) or not _NAME.match(name) or not isinstance(text, str):
            raise UsageError(f"{source}: provided: {name!r} must be a lowercase name mapped to manifest text")
        out.append((name, text))
    return tuple(out)


def _task(assignment: str, item: Any, provided: dict[str, str], where: str) -> Task:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: a task must be a mapping with id, check, answer, setup, expectations")
    _only(item, _TASK_KEYS, where)
    ident = _text(item, "id", where)
    where = f"{where} ({ident})"
    if not _TASK_ID.match(ident):
        raise UsageError(f"{where}: id must be a snake_case statement (lowercase letters, digits, _)")
    answer = _text(item, "answer", where)
    if not _NAME.match(answer):
        raise UsageError(f"{where}: answer must be a lowercase manifest name such as web, not {answer!r}")
    setup = item.get("setup") or []
    if not isinstance(setup, list) or any(s not in provided for s in setup):
        raise UsageError(f"{where}: setup must list names of provided manifests ({', '.join(provided)})")
    public = _expectations(item.get("expectations"), f"{where}: expectations")
    hidden = _expectations(item.get("hidden"), f"{where}: hidden")
    if not public and not hidden:
        raise UsageError(f"{where}: a task needs at least one expectation")
    return Task(assignment, ident, _text(item, "check", where), answer, tuple(setup), public, hidden)


def _expectations(value: Any, where: str) -> tuple[Expectation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UsageError(f"{where}: must be a list of expectations")
    return tuple(load_expectations(yaml.safe_dump(value, sort_keys=False), name=where))


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _only(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}")


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise UsageError(f"{what} {value!r} appears twice")
        seen.add(value)
