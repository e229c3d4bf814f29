"""The notebook's one object: ``lab = setup()``, then manifests, probes, checks and grades.

::

    from grader.nb import setup
    lab = setup()                    # backend from $KPORTS_BACKEND (default: the simulator)

    %%manifest web                   # a cell: saved as "web", applied to a scratch simulated
    apiVersion: v1                   # cluster at once, kubectl's answer shown (never a traceback)
    kind: Service
    ...

    lab.reset("00-sample/some_task") # a fresh cluster with the task's provided manifests
    lab.apply("web")                 # your manifest (by name), YAML text, or a file
    lab.curl("outside", "172.18.0.3:30008")
    lab.check("00-sample")           # self-paced: every task's verdict, nothing graded, never raises
    lab.grade("00-sample/some_task") # nbgrader test cells: AssertionError with the verdict

Only :func:`setup` touches IPython, and only when IPython is running.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from grader.backends import ENV_VAR, get_backend
from grader.errors import GraderError
from grader.nb.display import ApplyView, CheckFailed, CurlView, ManifestView, Message, blank
from grader.nb.grading import TaskResult, grade_task
from grader.nb.tasks import Task, find_task, load_assignment

__all__ = ["Lab", "setup"]


class Lab:
    """The learner's manifests, a working cluster to try them on, and the graders."""

    def __init__(self, backend: str | None = None) -> None:
        self.backend_name = backend or os.environ.get(ENV_VAR) or "sim"
        self.manifests: dict[str, str] = {}
        self._backend: Any = None
        self._shell: Any = None

    def __repr__(self) -> str:
        names = ",".join(sorted(self.manifests)) or "-"
        return f"<Lab backend={self.backend_name} manifests={names}>"

    # ------------------------------------------------------------------ manifests

    def manifest(self, name: str, text: str) -> ManifestView | Message:
        """Save ``text`` as manifest ``name`` and show what a fresh simulated API server says of it."""
        problem = _bad_name(name)
        if problem:
            return Message(problem)
        if not isinstance(text, str):
            return Message(f"manifest {name!r} must be YAML text, not {type(text).__name__}")
        self.manifests[name] = text
        if blank(text):
            return ManifestView(name, None)
        try:
            from grader.sim.cluster import Cluster

            result = Cluster(seed=0).apply(text, source=f"{name}.yaml")
        except Exception as exc:
            return _failure(exc)
        return ManifestView(name, ApplyView(f"{name}.yaml", result.output()))

    def answer(self, name: str) -> str | None:
        """The learner's manifest ``name``: saved by a cell, else a plain string variable of that name."""
        text = self.manifests.get(name)
        if text is None:
            value = (getattr(self._shell, "user_ns", None) or {}).get(name)
            text = value if isinstance(value, str) else None
        return None if blank(text) else text

    # ------------------------------------------------------------------ the working cluster

    @property
    def backend(self) -> Any:
        """The working cluster of :meth:`apply` and :meth:`curl` (created on first use)."""
        if self._backend is None:
            self._backend = get_backend(self.backend_name)
        return self._backend

    def reset(self, task: str | None = None) -> ApplyView | Message | None:
        """A fresh working cluster; with ``"assignment/task"``, the task's provided manifests applied."""
        self.close()
        if task is None:
            return None
        try:
            found = find_task(task)
        except GraderError as exc:
            return Message(str(exc))
        assignment = load_assignment(found.assignment)
        return self._apply_all([(assignment.manifest(name), f"{name}.yaml") for name in found.setup])

    def apply(self, *items: str | Path, source: str | None = None) -> ApplyView | Message | None:
        """``kubectl apply -f`` on the working cluster: saved manifest names, YAML text, or files."""
        resolved = [self._resolve(item, source) for item in items]
        missing = next((label for data, label in resolved if data is None), None)
        return Message(missing) if missing else self._apply_all(resolved)

    def _apply_all(self, items: list[tuple[Any, str]]) -> ApplyView | Message | None:
        views = []
        for data, label in items:
            try:
                result = self.backend.apply(data, source=label)
            except Exception as exc:
                return _failure(exc)
            views.append(ApplyView(label, result.output()))
        if not views:
            return None
        return views[0] if len(views) == 1 else _joined(views)

    def _resolve(self, item: str | Path, source: str | None) -> tuple[Any, str]:
        if isinstance(item, Path):
            return item, source or str(item)
        if item in self.manifests:
            text = self.manifests[item]
            return (None, _empty(item)) if blank(text) else (text, source or f"{item}.yaml")
        if "\n" in item or ":" in item:
            return item, source or "<cell>"
        if item.endswith((".yaml", ".yml")):
            return Path(item), source or item
        return None, f"no manifest named {item!r}: write it in a cell that starts with %%manifest {item}"

    def curl(self, source: str, url: str, *, timeout: float = 3.0, container: str = "",
             namespace: str = "default") -> CurlView | Message:
        """``curl`` from ``outside``, ``node/NAME`` or ``pod/NAME`` on the working cluster; shows every hop."""
        try:
            probe = self.backend.curl(source, url, timeout=timeout, container=container, namespace=namespace)
        except Exception as exc:
            return _failure(exc)
        return CurlView.of(source, url, probe)

    def close(self) -> None:
        """Release the working cluster (a new one is made on next use)."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # ------------------------------------------------------------------ checking and grading

    def check(self, ref: str) -> Any:
        """Self-paced: run a task's checks (``assignment/task``) or every task of an assignment.

        Hidden checks run too, redacted. Nothing is graded and nothing is raised: the verdicts
        are returned for the notebook to show.
        """
        try:
            tasks = _tasks(ref)
            results = [grade_task(t, self.answer(t.answer), backend=self.backend_name) for t in tasks]
        except Exception as exc:
            return _failure(exc)
        return results[0] if len(results) == 1 else Verdicts(tuple(results))

    def grade(self, ref: str, *, hidden: bool = False) -> None:
        """For nbgrader test cells: nothing when the task passes, :class:`CheckFailed` otherwise.

        ``hidden=True`` (inside ``### BEGIN HIDDEN TESTS``) adds the task's hidden checks.
        The exception's message is the verdict the learner reads; the traceback is one line.
        """
        __tracebackhide__ = True  # noqa: F841 - read by IPython and pytest
        task = find_task(ref)
        result = grade_task(task, self.answer(task.answer), backend=self.backend_name, include_hidden=hidden)
        if not result.passed:
            raise CheckFailed(result.text(traces=False), result) from None
        _show(result)


class Verdicts(tuple):  # type: ignore[type-arg]
    """Several task verdicts shown together (``lab.check("assignment")``)."""

    def text(self) -> str:
        return "\n\n".join(r.text() for r in self)

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": "\n".join(r.html() for r in self)}


def _tasks(ref: str) -> list[Task]:
    if "/" in str(ref):
        return [find_task(ref)]
    return list(load_assignment(ref).tasks)


def _joined(views: list[ApplyView]) -> Any:
    from grader.sim.results import CommandOutput

    out = CommandOutput("\n".join(v.output.stdout for v in views if v.output.stdout),
                        "\n".join(v.output.stderr for v in views if v.output.stderr),
                        max((v.output.exit_code for v in views), default=0))
    return ApplyView(" -f ".join(v.source for v in views), out)


def _failure(exc: Exception) -> Message:
    """Misuse reads as its message; anything else names itself (a grader bug, never a traceback)."""
    if isinstance(exc, GraderError):
        return Message(str(exc))
    return Message(f"the grader failed: {type(exc).__name__}: {exc}")


def _bad_name(name: Any) -> str:
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?", name):
        return f"a manifest name is lowercase letters, digits, - and _ (e.g. web), not {name!r}: %%manifest NAME"
    return ""


def _empty(name: str) -> str:
    return f"manifest {name!r} is empty: write it below the %%manifest {name} line and run the cell"


def _show(result: TaskResult) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(result.text())
        return
    if get_ipython() is None:
        print(result.text())
    else:
        display(result)


# ---------------------------------------------------------------------- setup


def setup(backend: str | None = None) -> Lab:
    """The one line of a notebook's first cell: a :class:`Lab`, and ``%%manifest`` registered."""
    lab = Lab(backend)
    try:
        from IPython import get_ipython
    except ImportError:
        return lab
    shell = get_ipython()
    if shell is not None:
        from grader.nb.magic import register

        lab._shell = shell
        register(shell, lab)
    return lab
