"""Declarative expectations, readable in a notebook cell, evaluated on any backend.

Build them with the functions below; each returns a frozen dataclass with ``describe()`` (the
sentence) and ``evaluate(backend_or_context)`` (a :class:`~grader.checks.results.CheckResult`)::

    reaches("outside", "kind-worker:30008", pod="app=myapp")
    refused("pod/client", "web:80")
    times_out("outside", "kind-worker2:30080")
    unresolvable("pod/client", "web.other:80")
    every_node(30008, pod="app=myapp")
    balances("pod/client", "shop:80", pods="app=shop")
    rejected("Service", "web", containing="provided port is not in the valid range")
    accepted("Service", "web")
    pending("edge-.*", because="didn't have free ports for the requested pod ports")
    running("web-.*", node="kind-worker")
    predictions({("outside", "kind-worker2:30080"): "TIMEOUT", ...})

Sources are ``outside``, ``node/NAME`` or ``pod/NAME`` (``pod/NS/NAME``). ``pod=`` is a label
selector (``app=myapp``) or a pod name / regular expression matched against the whole name.
``client_ip=`` is ``"preserved"`` (the source's own address), ``"snat"`` (anything else) or an
exact IP. ``body=`` is a regular expression searched in the answer. Arguments an instructor
gets wrong raise :class:`~grader.errors.UsageError` at once; a learner's prediction matrix is
never refused — a cell that cannot be read is a FAILED cell saying why.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from grader.checks import messages as msg
from grader.checks.base import Expectation, match_pod, parse_pod_spec
from grader.checks.context import Context, kind_name
from grader.checks.diagnose import why_not_endpoint
from grader.checks.explain import explain, explain_client_ip, happened
from grader.checks.results import CheckResult, Status
from grader.checks.predict import Prediction, Predictions, prediction_cells
from grader.checks.state import Accepted, Pending, Rejected, Running
from grader.errors import UsageError
from grader.model.kinds import resource_for
from grader.records import frozen
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, ProbeResult, parse_source, parse_url

__all__ = [
    "Accepted",
    "Balances",
    "Curl",
    "EveryNode",
    "Pending",
    "Prediction",
    "Predictions",
    "Rejected",
    "Running",
    "accepted",
    "balances",
    "every_node",
    "pending",
    "predictions",
    "reaches",
    "refused",
    "rejected",
    "running",
    "times_out",
    "unresolvable",
]

EXPECTABLE = (REACHED, REFUSED, TIMEOUT, DNS)


# ---------------------------------------------------------------------- one probe


@frozen
class Curl(Expectation):
    """``curl`` from ``source`` to ``url`` ends as ``expect`` (and, when REACHED, answers as asked)."""

    source: str
    url: str
    expect: str
    pod: str | None = None
    client_ip: str | None = None
    body: str | None = None
    namespace: str = "default"
    points: float = 1.0
    where: str = ""  # how to name the host in the sentence (every_node: the node's name)

    def describe(self, hidden: bool = False) -> str:
        if hidden:
            target = f"{self.url} ({self.where})" if self.where else self.url
            return msg.hidden(f"from {self.source}, {target}")
        return msg.describe_curl(self.source, self.url, self.expect, self.pod, self.client_ip, self.body, self.where)

    def _check(self, ctx: Context) -> CheckResult:
        probe = ctx.backend.curl(self.source, self.url, namespace=self.namespace)
        trace = probe.trace()
        if probe.outcome != self.expect:
            why = explain(probe, ctx.backend)
            return self._failed(why.message, hint=why.hint, rule=why.rule, evidence=why.evidence, trace=trace)
        if self.expect != REACHED:
            return self._passed(explain(probe, ctx.backend).message, trace=trace)
        return self._check_answer(ctx, probe, trace)

    def _check_answer(self, ctx: Context, probe: ProbeResult, trace: str) -> CheckResult:
        head = happened(probe)
        if self.pod and not _answered_by(ctx, self.pod, probe):
            labels = _labels_of(ctx, probe.answered_by) if "=" in self.pod else ""
            message = msg.because(head, msg.why_labels(labels)) if labels else head
            return self._failed(message, trace=trace)
        if self.client_ip:
            failed = _client_problem(ctx, self.client_ip, probe)
            if failed is not None:
                return self._failed(failed.message, hint=failed.hint, rule=failed.rule, trace=trace)
        if self.body and re.search(self.body, probe.stdout) is None:
            return self._failed(msg.because(head, msg.why_body(probe.stdout)), trace=trace)
        return self._passed(head, trace=trace)


def _split(answered_by: str) -> tuple[str, str]:
    ns, _, name = answered_by.partition("/")
    return ns, name


def _labels_of(ctx: Context, answered_by: str) -> str:
    ns, name = _split(answered_by)
    pod = ctx.backend.get("pod", name, ns) if ns != "node" else None
    if pod is None:
        return ""
    labels = {k: v for k, v in pod.metadata.labels.items() if k != "pod-template-hash"}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def _answered_by(ctx: Context, spec: str, probe: ProbeResult) -> bool:
    ns, name = _split(probe.answered_by)
    if ns == "node" or not name:
        return False
    labels: dict[str, str] = {}
    if parse_pod_spec(spec) is not None:
        pod = ctx.backend.get("pod", name, ns)
        labels = dict(pod.metadata.labels) if pod is not None else {}
    return match_pod(spec, ns, name, labels)


def _source_address(ctx: Context, probe: ProbeResult) -> str:
    src = probe.source
    if src.kind == "outside":
        return ctx.outside_ip()
    if src.kind == "pod":
        pod = ctx.backend.get("pod", src.name, src.namespace or "default")
        return pod.status.pod_ip if pod is not None else ""
    node = next((n for n in ctx.backend.list("nodes", None) if n.name == src.name), None)
    return node.internal_ip() if node is not None else ""


def _client_problem(ctx: Context, wanted: str, probe: ProbeResult) -> Any:
    """None when the pod saw the client as wanted, else an Explanation of what it saw."""
    own = _source_address(ctx, probe)
    seen = probe.client_ip
    if wanted == "preserved" and seen == own:
        return None
    if wanted == "snat":
        if seen != own:
            return None
        return _Plain(msg.because(happened(probe, client=False), msg.why_not_snat(seen)))
    if wanted not in ("preserved", "snat") and seen == wanted:
        return None
    return explain_client_ip(probe, own, ctx.backend)


@frozen
class _Plain:
    message: str
    hint: str = ""
    rule: str = ""


# ---------------------------------------------------------------------- every node


@frozen
class EveryNode(Expectation):
    """Every node's ``port`` (by InternalIP) behaves as ``expect``: one result per node."""

    port: int
    source: str = "outside"
    path: str = "/"
    pod: str | None = None
    expect: str = REACHED
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        if hidden:
            return msg.hidden(f"from {self.source}, every node's port {self.port}")
        return msg.describe_every_node(self.source, self.port, self.path, self.expect, self.pod)

    def _parts(self, ctx: Context) -> list[tuple[Expectation, CheckResult]]:
        nodes = ctx.backend.list("nodes", None)
        if not nodes:
            return [(self, self._result(Status.ERROR, msg.could_not_run(UsageError(msg.NO_NODES))))]
        share = self.points / len(nodes)
        suffix = "" if self.path in ("", "/") else "/" + self.path.lstrip("/")
        parts: list[tuple[Expectation, CheckResult]] = []
        for node in nodes:
            url = f"{node.internal_ip() or node.name}:{self.port}{suffix}"
            leaf = Curl(self.source, url, self.expect, pod=self.pod, namespace=self.namespace,
                        points=share, where=node.name)
            parts.append((leaf, leaf.check_safely(ctx)))
        return parts


# ---------------------------------------------------------------------- load balancing


@frozen
class Balances(Expectation):
    """Every ready pod matching ``pods`` is a possible answer to one connection (R-KP-6)."""

    source: str
    url: str
    pods: str
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        if hidden:
            return msg.hidden(f"from {self.source}, {self.url}")
        return msg.describe_balances(self.source, self.url, self.pods)

    def _check(self, ctx: Context) -> CheckResult:
        probes = ctx.backend.curl_every(self.source, self.url, namespace=self.namespace)
        ready = [p for p in ctx.backend.list("pods", self.namespace)
                 if match_pod(self.pods, p.namespace, p.name, p.metadata.labels) and _ready(p)]
        wanted = {f"{p.namespace}/{p.name}": p for p in ready}
        if not wanted:
            return self._failed(msg.NO_READY_POD)
        chances: dict[str, float] = {}
        for probe in probes:
            if probe.outcome == REACHED:
                chances[probe.answered_by] = chances.get(probe.answered_by, 0.0) + probe.probability
        curl = f"curl from {probes[0].source if probes else self.source} to {self.url}"
        head = f"{curl} is " + msg.answered_by([f"{name} ({chances[name] * 100:.0f}%)" for name in sorted(chances)])
        missing = sorted(name for name in wanted if name not in chances)
        if not missing:
            return self._passed(head)
        message = f"{head}, {msg.never_answered(missing)}"
        failing = next((p for p in probes if p.outcome != REACHED), None)
        if failing is not None:
            why = explain(failing, ctx.backend)
            tail = why.message.removeprefix(curl + " ")
            return self._failed(msg.one_connection(message, tail), hint=why.hint, rule=why.rule,
                                evidence=why.evidence, trace=failing.trace())
        detail = _not_endpoint(ctx, probes, wanted[missing[0]])
        if detail is not None:
            return self._failed(f"{message}; {detail.why}", hint=detail.hint, rule=detail.rule)
        return self._failed(message)


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def _not_endpoint(ctx: Context, probes: list[ProbeResult], pod: Any) -> Any:
    cluster = ctx.cluster
    if cluster is None or not probes:
        return None
    try:
        return why_not_endpoint(cluster, probes[0], pod)
    except Exception:
        return None


# ---------------------------------------------------------------------- builders


def _checked(source: str, url: str, points: float) -> None:
    if not isinstance(source, str):
        raise UsageError(f"a probe source must be outside, node/NAME or pod/NAME, not {source!r}")
    parse_source(source)
    if not isinstance(url, str):
        raise UsageError(f"a URL must be a string such as 'web:80', not {url!r}")
    parse_url(url)
    _points(points)


def _points(points: Any) -> None:
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise UsageError(f"points must be a number >= 0, not {points!r}")


def _client(client_ip: str | None) -> None:
    if client_ip is None or client_ip in ("preserved", "snat"):
        return
    try:
        ipaddress.ip_address(client_ip)
    except (ValueError, TypeError):
        raise UsageError(f'client_ip must be "preserved", "snat" or an IP address, not {client_ip!r}') from None


def _body(body: str | None) -> None:
    if body is not None:
        try:
            re.compile(body)
        except (re.error, TypeError) as exc:
            raise UsageError(f"body {body!r} is not a valid regular expression: {exc}") from None


def _curl(source: str, url: str, expect: str, namespace: str, points: float, **more: Any) -> Curl:
    _checked(source, url, points)
    return Curl(source, url, expect, namespace=namespace, points=float(points), **more)


def reaches(source: str, url: str, *, pod: str | None = None, client_ip: str | None = None,
            body: str | None = None, namespace: str = "default", points: float = 1) -> Curl:
    """A connection is accepted (by a matching pod, seeing the client as asked, answering ``body``)."""
    if pod is not None:
        parse_pod_spec(pod)
    _client(client_ip)
    _body(body)
    return _curl(source, url, REACHED, namespace, points, pod=pod, client_ip=client_ip, body=body)


def refused(source: str, url: str, *, namespace: str = "default", points: float = 1) -> Curl:
    """The connection is refused (RST or a kube-proxy REJECT; curl exit 7)."""
    return _curl(source, url, REFUSED, namespace, points)


def times_out(source: str, url: str, *, namespace: str = "default", points: float = 1) -> Curl:
    """The connection times out (dropped; curl exit 28)."""
    return _curl(source, url, TIMEOUT, namespace, points)


def unresolvable(source: str, url: str, *, namespace: str = "default", points: float = 1) -> Curl:
    """The host name does not resolve from the source (curl exit 6)."""
    return _curl(source, url, DNS, namespace, points)


def every_node(port: int, *, source: str = "outside", path: str = "/", pod: str | None = None,
               expect: str = REACHED, namespace: str = "default", points: float = 1) -> EveryNode:
    """``reaches`` (or ``expect``) on each node's InternalIP at ``port``: one result per node."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise UsageError(f"every_node needs a port number between 1 and 65535, not {port!r}")
    if expect not in EXPECTABLE:
        raise UsageError(f"expect must be one of {', '.join(EXPECTABLE)}, not {expect!r}")
    if pod is not None:
        parse_pod_spec(pod)
    _checked(source, f"127.0.0.1:{port}/{str(path).lstrip('/')}", points)
    return EveryNode(port, source, path, pod, expect, namespace, float(points))


def balances(source: str, url: str, pods: str, *, namespace: str = "default", points: float = 1) -> Balances:
    """Every ready pod matching ``pods`` can answer a connection to ``url``."""
    parse_pod_spec(pods)
    _checked(source, url, points)
    return Balances(source, url, pods, namespace, float(points))


def _kind(kind: str) -> str:
    if not isinstance(kind, str) or resource_for(kind) is None:
        raise UsageError(f"unknown kind {kind!r}: use Service, Pod, Deployment, ...")
    return kind_name(kind)


def rejected(kind: str, name: str, containing: str, *, namespace: str = "default", points: float = 1) -> Rejected:
    """The learner's object was rejected, with a message containing ``containing``."""
    if not isinstance(containing, str) or not containing:
        raise UsageError("rejected() needs the text the error message must contain")
    _points(points)
    return Rejected(_kind(kind), name, containing, namespace, float(points))


def accepted(kind: str, name: str, *, namespace: str = "default", points: float = 1) -> Accepted:
    """The learner's object was accepted (warnings allowed)."""
    _points(points)
    return Accepted(_kind(kind), name, namespace, float(points))


def pending(pod: str, because: str | None = None, *, namespace: str = "default", points: float = 1) -> Pending:
    """A pod matching ``pod`` is Pending, its FailedScheduling message containing ``because``."""
    parse_pod_spec(pod)
    _points(points)
    return Pending(pod, because, namespace, float(points))


def running(pod: str, node: str | None = None, *, namespace: str = "default", points: float = 1) -> Running:
    """Every pod matching ``pod`` is Running (on ``node``, if given)."""
    parse_pod_spec(pod)
    _points(points)
    return Running(pod, node, namespace, float(points))


def predictions(matrix: Any, *, namespace: str = "default", points: float = 1) -> Predictions:
    """A learner's matrix ``{(source, url): outcome}`` (or ``{source: {url: outcome}}``), one result per cell."""
    _points(points)
    cells, problem = prediction_cells(matrix, namespace, float(points))
    return Predictions(cells, problem, float(points))
