"""The :class:`Expectation` base: a sentence, a verdict, never an exception.

Every expectation is a frozen dataclass that says what it checks (:meth:`describe`) and checks
it (:meth:`evaluate` -> one :class:`CheckResult`; :meth:`results` -> one result per part, which
is what the runner reports). Subclasses implement ``_check(ctx)`` (one verdict) or, when they
expand into parts at evaluation time (``every_node`` needs the backend's nodes, ``predictions``
has one cell per probe), ``_parts(ctx)``.

Anything raised while checking — a source pod that does not exist, a backend that fails, a bug —
becomes an ERROR result naming the expectation (:func:`error_result`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from grader.checks import messages as msg
from grader.checks.context import Context
from grader.checks.results import CheckResult, Status
from grader.errors import UsageError

__all__ = ["Expectation", "aggregate", "error_result", "match_pod", "parse_pod_spec"]

_ORDER = {Status.ERROR: 0, Status.FAILED: 1, Status.SKIPPED: 2, Status.PASSED: 3}


class Expectation:
    """Base class of every expectation (subclasses are frozen dataclasses with ``points``)."""

    __slots__ = ()
    points: float

    def describe(self, hidden: bool = False) -> str:
        """The sentence this expectation checks; with ``hidden``, what it is about, not what it wants."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, target: Any) -> CheckResult:
        """One verdict on a backend or a :class:`Context` (parts are combined; see :func:`aggregate`)."""
        results = self.results(target)
        if len(results) == 1 and results[0].expectation == self.describe():
            return results[0]
        return aggregate(self.describe(), results)

    def results(self, target: Any, *, hidden: bool = False) -> list[CheckResult]:
        """One result per part, redacted for a hidden check. Never raises."""
        try:
            pairs = self._parts(Context.of(target))
        except Exception as exc:
            pairs = [(self, error_result(self, exc))]
        return [r.redacted(e.describe(hidden=True)) if hidden else r for e, r in pairs]

    def _parts(self, ctx: Context) -> list[tuple["Expectation", CheckResult]]:
        return [(self, self.check_safely(ctx))]

    def check_safely(self, ctx: Context) -> CheckResult:
        """``_check`` with any exception turned into an ERROR result."""
        try:
            return self._check(ctx)
        except Exception as exc:
            return error_result(self, exc)

    def _check(self, ctx: Context) -> CheckResult:
        raise NotImplementedError

    # ------------------------------------------------------------------ building results

    def _result(self, status: Status, message: str = "", hint: str = "", rule: str = "",
                evidence: str = "", trace: str = "") -> CheckResult:
        earned = self.points if status is Status.PASSED else 0.0
        return CheckResult(self.describe(), status, message, hint, rule, evidence, trace, earned, self.points)

    def _passed(self, message: str = "", **more: str) -> CheckResult:
        return self._result(Status.PASSED, message, **more)

    def _failed(self, message: str, **more: str) -> CheckResult:
        return self._result(Status.FAILED, message, **more)


def error_result(exp: Any, exc: BaseException) -> CheckResult:
    """ERROR for ``exp``: the exception, in one line, with the expectation's sentence."""
    points = float(getattr(exp, "points", 1.0))
    try:
        sentence = exp.describe()
    except Exception:
        sentence = msg.not_an_expectation(exp)
    return CheckResult(sentence, Status.ERROR, msg.could_not_run(exc), max_points=points)


def aggregate(sentence: str, results: list[CheckResult]) -> CheckResult:
    """One verdict for many parts: the worst status, the first problem's explanation, summed points."""
    if not results:
        return CheckResult(sentence, Status.ERROR, msg.could_not_run(UsageError("nothing to check")))
    worst = min(results, key=lambda r: _ORDER[r.status])
    earned = round(sum(r.points for r in results), 6)
    total = round(sum(r.max_points for r in results), 6)
    if worst.status is Status.PASSED:
        return CheckResult(sentence, Status.PASSED, "", points=earned, max_points=total)
    return CheckResult(sentence, worst.status, worst.message, worst.hint, worst.rule, worst.evidence,
                       worst.trace, earned, total)


# ---------------------------------------------------------------------- pods by label or name


def parse_pod_spec(spec: str) -> dict[str, str] | None:
    """``app=web,tier=x`` -> a selector; anything without ``=`` is a name regex (None). Raises UsageError."""
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError(f"a pod must be a label selector (app=web) or a pod name or regex, not {spec!r}")
    if "=" not in spec:
        _regex(spec)
        return None
    selector: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip().lstrip("=")
        if not sep or not key or key.endswith("!"):
            raise UsageError(f"cannot read the label selector {spec!r}: write key=value[,key=value]")
        selector[key] = value
    return selector


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{pattern!r} is not a valid regular expression: {exc}") from None


def match_pod(spec: str, namespace: str, name: str, labels: dict[str, str]) -> bool:
    """Does pod ``namespace/name`` with ``labels`` match a selector or a name regex?"""
    selector = parse_pod_spec(spec)
    if selector is not None:
        return all(labels.get(k) == v for k, v in selector.items())
    subject = f"{namespace}/{name}" if "/" in spec else name
    return _regex(spec).fullmatch(subject) is not None
