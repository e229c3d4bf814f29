"""A learner's prediction matrix, checked cell by cell against what really happens.

``predictions({("outside", "kind-worker2:30080"): "TIMEOUT", ...})`` (or the nested form
``{"outside": {"kind-worker2:30080": "TIMEOUT"}}``) becomes one :class:`Prediction` per cell,
the points shared between them. The matrix is the learner's own input, so nothing in it is
refused with an exception: a value that is not an outcome, a key that is not ``(source, url)``
or a URL curl would reject makes that cell FAILED with a sentence saying why — and, where it
can, what really happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks import messages as msg
from grader.checks.base import Expectation
from grader.checks.context import Context
from grader.checks.explain import explain
from grader.checks.results import CheckResult
from grader.errors import UsageError
from grader.records import frozen
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, parse_source, parse_url

__all__ = ["Prediction", "Predictions", "prediction_cells"]


_SYNONYMS = {"REACH": REACHED, "REACHED": REACHED, "REFUSED": REFUSED, "TIMEOUT": TIMEOUT, "DNS": DNS}


def _outcome(value: Any) -> str | None:
    return _SYNONYMS.get(value.strip().upper()) if isinstance(value, str) else None


@frozen
class Prediction(Expectation):
    """One cell of a learner's prediction matrix: what curl from ``source`` to ``url`` will do."""

    source: str
    url: str
    predicted: Any
    namespace: str = "default"
    points: float = 1.0
    problem: str = ""  # a cell that cannot be read

    def describe(self, hidden: bool = False) -> str:
        return msg.describe_prediction(self.source, self.url, str(self.predicted))

    def _check(self, ctx: Context) -> CheckResult:
        if self.problem:
            return self._failed(self.problem)
        probe = ctx.backend.curl(self.source, self.url, namespace=self.namespace)
        why = explain(probe, ctx.backend)
        outcome = _outcome(self.predicted)
        if outcome is None:
            return self._failed(f"{msg.bad_prediction(self.predicted)}; {why.message}", trace=probe.trace())
        if outcome == probe.outcome:
            return self._passed(why.message, trace=probe.trace())
        return self._failed(msg.predicted(outcome, why.message), hint=why.hint, rule=why.rule,
                            evidence=why.evidence, trace=probe.trace())


@frozen
class Predictions(Expectation):
    """A prediction matrix: one result per cell, the points shared between the cells."""

    cells: tuple[Prediction, ...]
    problem: str = ""
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        return msg.describe_predictions(len(self.cells))

    def _parts(self, ctx: Context) -> list[tuple[Expectation, CheckResult]]:
        if self.problem or not self.cells:
            return [(self, self._failed(self.problem or msg.BAD_MATRIX))]
        return [(cell, cell.check_safely(ctx)) for cell in self.cells]


def prediction_cells(matrix: Any, namespace: str, points: float) -> tuple[tuple[Prediction, ...], str]:
    """The cells of ``matrix`` with their share of ``points``, or ``()`` and why there are none."""
    if not isinstance(matrix, Mapping) or not matrix:
        return (), msg.BAD_MATRIX
    flat: list[tuple[Any, Any, Any]] = []
    for key, value in matrix.items():
        if isinstance(value, Mapping) and isinstance(key, str):
            flat.extend(_cell(key, url, v) for url, v in value.items())
        elif isinstance(key, tuple) and len(key) == 2:
            flat.append(_cell(key[0], key[1], value))
        else:
            flat.append((repr(key), "", value))
    share = points / len(flat)
    cells = []
    for source, url, value in flat:
        cells.append(Prediction(source, url, value, namespace, share, _cell_problem(source, url)))
    return tuple(cells), ""


def _cell(source: Any, url: Any, value: Any) -> tuple[str, str, Any]:
    """(source, url, value), or (the key as written, "", value) when the key is not two strings."""
    if isinstance(source, str) and isinstance(url, str) and url:
        return source, url, value
    return repr((source, url)), "", value


def _cell_problem(source: str, url: str) -> str:
    """Why a cell's key cannot be probed ("" when it can)."""
    if not url:
        return msg.bad_prediction_key(source)
    if any(c.isspace() for c in url):
        return msg.malformed_url(url)
    try:
        parse_source(source)
        parse_url(url)
    except UsageError as exc:
        return str(exc)
    return ""
