"""Run expectations against a backend and gather a :class:`~grader.checks.results.Report`.

``run(backend_or_context, expectations)`` evaluates each expectation in order and never raises
for anything an expectation does: an exception inside one becomes an ERROR result naming it,
and the others still run. A backend that says it is unavailable turns every expectation into a
SKIPPED result carrying the backend's reason.

``hidden=True`` is for checks the learner must not see in full (nbgrader hidden tests): every
result keeps its learner-facing ``message`` and ``hint`` (what happened and how to fix it) but
its sentence is replaced by one that names the subject without the expected value, and the
trace is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grader.checks import messages as msg
from grader.checks.base import Expectation, error_result
from grader.checks.context import Context
from grader.checks.results import CheckResult, Report, Status

__all__ = ["run"]


def run(target: Any, expectations: Expectation | Iterable[Any], *, hidden: bool = False) -> Report:
    """Evaluate ``expectations`` (one or many) on a backend or a :class:`Context`."""
    items = [expectations] if isinstance(expectations, Expectation) else list(expectations)
    try:
        ctx = Context.of(target)
    except Exception as exc:
        return Report(tuple(_error(item, exc, hidden) for item in items))
    reason = _unavailable(ctx)
    results: list[CheckResult] = []
    for item in items:
        if not isinstance(item, Expectation):
            results.append(CheckResult(msg.not_an_expectation(item), Status.ERROR, msg.not_an_expectation(item)))
        elif reason is not None:
            results.append(_skipped(item, ctx, reason, hidden))
        else:
            results.extend(_evaluate(item, ctx, hidden))
    return Report(tuple(results))


def _evaluate(item: Expectation, ctx: Context, hidden: bool) -> list[CheckResult]:
    try:
        return item.results(ctx, hidden=hidden)
    except Exception as exc:  # results() already guards; this is the last line of defence
        return [_error(item, exc, hidden)]


def _error(item: Any, exc: BaseException, hidden: bool) -> CheckResult:
    result = error_result(item, exc)
    if hidden and isinstance(item, Expectation):
        return result.redacted(item.describe(hidden=True))
    return result


def _unavailable(ctx: Context) -> str | None:
    try:
        return ctx.backend.available()
    except Exception as exc:
        return msg.could_not_run(exc)


def _skipped(item: Expectation, ctx: Context, reason: str, hidden: bool) -> CheckResult:
    sentence = item.describe(hidden=hidden)
    name = str(getattr(ctx.backend, "name", type(ctx.backend).__name__))
    return CheckResult(sentence, Status.SKIPPED, msg.skipped(name, reason), max_points=float(item.points))
