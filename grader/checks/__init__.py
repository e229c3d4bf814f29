"""Expectations about a cluster, evaluated on any backend, explained when they fail.

>>> from grader.backends.sim import SimBackend
>>> from grader.checks import Context, every_node, run, times_out
>>> ctx = Context(SimBackend())
>>> result = ctx.apply(open("web.yaml").read())            # doctest: +SKIP
>>> report = run(ctx, [every_node(30008, pod="app=myapp"),
...                    times_out("outside", "kind-worker2:30080")])   # doctest: +SKIP
>>> print(report.text())                                  # doctest: +SKIP

Modules: :mod:`.expectations` (builders and the expectation dataclasses), :mod:`.state`
(apply results and pod states), :mod:`.predict` (prediction matrices), :mod:`.context` (backend + apply results), :mod:`.runner`,
:mod:`.results` (CheckResult, Report, rendering), :mod:`.loader` (YAML), :mod:`.explain` /
:mod:`.diagnose` / :mod:`.lookup` (feedback), :mod:`.messages` (every learner-facing text).
"""

from __future__ import annotations

from grader.checks.base import Expectation
from grader.checks.context import Context
from grader.checks.explain import Explanation, explain
from grader.checks.expectations import (
    Accepted,
    Balances,
    Curl,
    EveryNode,
    Pending,
    Prediction,
    Predictions,
    Rejected,
    Running,
    accepted,
    balances,
    every_node,
    pending,
    predictions,
    reaches,
    refused,
    rejected,
    running,
    times_out,
    unresolvable,
)
from grader.checks.loader import load_expectations
from grader.checks.results import CheckResult, Report, Status
from grader.checks.runner import run

__all__ = [
    "Accepted",
    "Balances",
    "CheckResult",
    "Context",
    "Curl",
    "EveryNode",
    "Expectation",
    "Explanation",
    "Pending",
    "Prediction",
    "Predictions",
    "Rejected",
    "Report",
    "Running",
    "Status",
    "accepted",
    "balances",
    "every_node",
    "explain",
    "load_expectations",
    "pending",
    "predictions",
    "reaches",
    "refused",
    "rejected",
    "run",
    "running",
    "times_out",
    "unresolvable",
]
