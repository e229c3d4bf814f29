"""Notebook helpers: the one-line setup, manifests from cells, self-paced checks, nbgrader grades.

>>> from grader.nb import setup          # doctest: +SKIP
>>> lab = setup()                        # doctest: +SKIP

Modules: :mod:`.lab` (the :class:`Lab` a notebook uses), :mod:`.magic` (``%%manifest``),
:mod:`.tasks` (assignments as data, ``grader/tasks/*.yaml``), :mod:`.grading` (the one grading
path, shared with ``kports grade``), :mod:`.display` (what cells show), :mod:`.authoring` and
:mod:`.assignments` (notebooks built from a description), :mod:`.release` (``solutions/`` ->
``exercises/``), :mod:`.autograde` (nbgrader autograde in parallel), :mod:`.commands` (the
``kports`` subcommands). This package is the only one that imports IPython, nbformat or
nbgrader, and only inside the functions that need them.

Names are imported on first use, so ``kports`` can reach :mod:`.commands` without loading the
simulator and the checks before a command needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Assignment",
    "CheckFailed",
    "Lab",
    "Task",
    "TaskResult",
    "assignment_names",
    "find_task",
    "grade_task",
    "load_assignment",
    "setup",
]

_HOMES = {
    "Assignment": "tasks", "Task": "tasks", "assignment_names": "tasks", "find_task": "tasks",
    "load_assignment": "tasks", "CheckFailed": "display", "TaskResult": "grading", "grade_task": "grading",
    "Lab": "lab", "setup": "lab",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'grader.nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"grader.nb.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
