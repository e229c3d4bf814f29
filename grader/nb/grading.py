"""Grade one task: a fresh cluster, the provided manifests, the learner's manifest, the checks.

:func:`grade_task` is the one grading path: ``lab.grade``/``lab.check`` in a notebook and
``kports grade`` on the command line both call it, so a manifest gets the same verdict
wherever it is graded. The learner's manifest is data: it is parsed by the hardened loader
(safe constructors, size limit, alias budget) and only ever *applied*, never executed.

A task is all or nothing, like the nbgrader test cell it stands for: it scores its points
when every expectation passes, else 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from grader.backends import get_backend
from grader.checks import CheckResult, Context, Report, Status, run
from grader.checks.messages import could_not_run, number
from grader.errors import GraderError
from grader.nb.display import blank
from grader.nb.tasks import Task, load_assignment
from grader.records import frozen
from grader.sim.results import CommandOutput

__all__ = ["Answer", "TaskResult", "grade_task", "no_answer"]

Answer = str | bytes | Exception | None
"""A learner's manifest: YAML text, raw bytes (read from a file), the error that stopped reading
the file (too big, unreadable: reported as kubectl reports it), or None when missing."""


def no_answer(name: str) -> str:
    """What a learner reads when the manifest a task grades was never written."""
    return (f"no manifest {name!r} was given: write it in the cell that starts with %%manifest {name} "
            f"and run that cell (on the command line: pass {name}.yaml)")


@frozen
class TaskResult:
    """One task's verdict: the checks' :class:`Report` and what ``kubectl apply`` said."""

    task: Task
    report: Report
    applied: CommandOutput | None = None
    source: str = ""

    @property
    def passed(self) -> bool:
        """Every expectation passed (a task with no check to run here counts as passed)."""
        return not self.report.results or self.report.passed

    @property
    def score(self) -> float:
        return self.task.points if self.passed and self.report.results else 0.0

    @property
    def max_score(self) -> float:
        return self.task.points

    def headline(self) -> str:
        """``PASSED 00-sample/task  [2/2]`` (``HIDDEN`` when only hidden checks decide it)."""
        if not self.report.results:
            return f"HIDDEN {self.task.ref}  [?/{number(self.max_score)}]"
        word = "PASSED" if self.passed else "FAILED"
        return f"{word} {self.task.ref}  [{number(self.score)}/{number(self.max_score)}]"

    def apply_problems(self) -> str:
        """kubectl's warnings and errors for the learner's manifest (empty when it applied cleanly)."""
        if self.applied is None or not self.applied.stderr:
            return ""
        return f"$ kubectl apply -f {self.source}\n{self.applied}"

    def text(self, traces: bool = True) -> str:
        """The learner-facing verdict: headline, kubectl's complaints, then the report."""
        report = self.report if traces else Report(tuple(replace(r, trace="") for r in self.report.results))
        parts = [self.headline(), f"Check that {self.task.check}"]
        problems = self.apply_problems()
        if problems:
            parts.append(problems)
        parts.append(report.text() if report.results else "No check of this task runs here: "
                     "it is checked when your notebook is graded.")
        return "\n\n".join(parts)

    def html(self) -> str:
        import html as _html

        esc = _html.escape
        head = f"<p><b>{esc(self.headline())}</b><br>Check that {esc(self.task.check)}</p>"
        problems = self.apply_problems()
        pre = f"<pre>{esc(problems)}</pre>" if problems else ""
        body = self.report.html() if self.report.results else f"<p>{esc(self.text().splitlines()[-1])}</p>"
        return f'<div class="kports-task">{head}{pre}{body}</div>'

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``kports grade --json``."""
        return {
            "task": self.task.ref,
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "apply": {"stdout": self.applied.stdout, "stderr": self.applied.stderr,
                      "exit_code": self.applied.exit_code} if self.applied else None,
            "expectations": [
                {"expectation": r.expectation, "status": r.status.value, "points": round(r.points, 6),
                 "max_points": round(r.max_points, 6), "message": r.message, "hint": r.hint, "rule": r.rule}
                for r in self.report.results
            ],
        }

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}


def grade_task(task: Task, answer: Answer | Sequence[tuple[str, Answer]], *, backend: Any = None,
               include_hidden: bool = True, public: bool = True) -> TaskResult:
    """Apply the task's setup, then the learner's manifest, to a fresh cluster, and check it.

    ``answer`` is the manifest ``task.answer`` (text, bytes, or None when missing) or a list of
    ``(source, text)`` files applied in order. ``backend`` is a backend name (default
    ``$KPORTS_BACKEND``, then ``sim``) or a factory returning a fresh backend.
    ``public``/``include_hidden`` choose which expectations run (hidden ones are reported
    redacted). Never raises for anything the learner wrote.
    """
    chosen = [(e, False) for e in task.public if public] + [(e, True) for e in task.hidden if include_hidden]
    parts = _parts(task, answer)
    label = " -f ".join(src for src, _ in parts) or f"{task.answer}.yaml"
    if not chosen:
        return TaskResult(task, Report(()), None, label)
    if not parts:
        return TaskResult(task, _all(chosen, Status.FAILED, no_answer(task.answer)), None, label)
    try:
        live = backend() if callable(backend) else get_backend(backend)
    except GraderError as exc:
        return TaskResult(task, _all(chosen, Status.SKIPPED, str(exc)), None, label)
    except Exception as exc:  # a broken installation: say so, never a traceback
        return TaskResult(task, _all(chosen, Status.ERROR, could_not_run(exc)), None, label)
    try:
        return _grade_on(live, task, parts, chosen, label)
    except Exception as exc:
        return TaskResult(task, _all(chosen, Status.ERROR, could_not_run(exc)), None, label)
    finally:
        live.close()


def _parts(task: Task, answer: Any) -> list[tuple[str, Answer]]:
    """The learner's files as ``(source, data)``, without missing or blank ones."""
    if answer is None or isinstance(answer, (str, bytes)):
        answer = [(f"{task.answer}.yaml", answer)]
    return [(src, data) for src, data in answer if not blank(data)]


def _grade_on(backend: Any, task: Task, parts: list[tuple[str, Answer]], chosen: list[tuple[Any, bool]],
              label: str) -> TaskResult:
    ctx = Context(backend)
    assignment = load_assignment(task.assignment)
    for name in task.setup:
        given = backend.apply(assignment.manifest(name), source=f"{name}.yaml")
        if not given.ok:  # an authoring error, not the learner's: say so plainly
            return TaskResult(task, _all(chosen, Status.ERROR, f"the provided {name}.yaml did not apply: {given}"))
    outputs = [CommandOutput("", str(data), 1) if isinstance(data, Exception) else ctx.apply(data, source=src).output()
               for src, data in parts]
    applied = CommandOutput("\n".join(o.stdout for o in outputs if o.stdout),
                            "\n".join(o.stderr for o in outputs if o.stderr),
                            max(o.exit_code for o in outputs))
    results: list[CheckResult] = []
    for is_hidden in (False, True):
        group = [e for e, h in chosen if h is is_hidden]
        if group:
            results.extend(run(ctx, group, hidden=is_hidden).results)
    return TaskResult(task, Report(tuple(results)), applied, label)


def _all(chosen: list[tuple[Any, bool]], status: Status, message: str) -> Report:
    return Report(tuple(CheckResult(e.describe(hidden=h), status, message, max_points=float(e.points))
                        for e, h in chosen))
