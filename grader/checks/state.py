"""Expectations about API answers and pod states: rejected, accepted, Pending, Running.

``rejected`` / ``accepted`` judge what ``kubectl apply`` answered for one object, read from the
:class:`~grader.checks.context.Context`'s recorded apply results (newest first). ``pending`` /
``running`` read pods from the backend (any backend: the PodScheduled condition carries the
FailedScheduling message); on the simulator the evidence is the matching ``kubectl describe
pod`` Events rows.

Pod patterns are a label selector (``app=edge``) or a pod name / regular expression
(``edge-.*``, matched against the whole name). ``pending`` passes when *some* matching pod is
Pending (a Deployment with one replica too many); ``running`` when *every* matching pod runs.
"""

from __future__ import annotations


from grader.checks import lookup
from grader.checks import messages as msg
from grader.checks.base import Expectation, match_pod
from grader.checks.context import Context, kind_name
from grader.checks.results import CheckResult, Status
from grader.model.apierrors import render_errors
from grader.model.objects import Pod
from grader.records import frozen

__all__ = ["Accepted", "Pending", "Rejected", "Running"]


def _apply_evidence(source: str, text: str) -> str:
    return f"$ kubectl apply -f {source or '-'}\n{text}" if text else ""


@frozen
class Rejected(Expectation):
    """The API server rejected the object with a message containing ``containing``."""

    kind: str
    name: str
    containing: str
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        if hidden:
            return msg.hidden(f'the {kind_name(self.kind)} "{self.name}"')
        return msg.describe_rejected(kind_name(self.kind), self.name, self.containing)

    def _check(self, ctx: Context) -> CheckResult:
        if not ctx.applies:
            return self._result(Status.ERROR, msg.NO_APPLY_RESULTS)
        kind = kind_name(self.kind)
        item = ctx.object_result(kind, self.name, self.namespace)
        if item is None:
            return self._failed(_missing(ctx, kind, self.name))
        if item.error is None:
            warnings = "\n".join(f"Warning: {w}" for w in item.warnings)
            evidence = _apply_evidence(item.source, "\n".join(filter(None, (warnings, f"{item.ref} {item.action}"))))
            return self._failed(msg.was_accepted(kind, self.name, f"{item.ref} {item.action}"), evidence=evidence)
        shown = render_errors([item.error])
        message = msg.was_rejected(kind, self.name, item.error.message)
        evidence = _apply_evidence(item.source, shown)
        if self.containing in item.error.message or self.containing in shown:
            return self._passed(message, evidence=evidence)
        return self._failed(message, evidence=evidence)


@frozen
class Accepted(Expectation):
    """The API server accepted the object (warnings allowed)."""

    kind: str
    name: str
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        text = msg.describe_accepted(kind_name(self.kind), self.name)
        return msg.hidden(f'the {kind_name(self.kind)} "{self.name}"') if hidden else text

    def _check(self, ctx: Context) -> CheckResult:
        kind = kind_name(self.kind)
        if not ctx.applies:
            found = ctx.backend.get(kind, self.name, self.namespace)
            return self._passed(msg.exists(kind, self.name)) if found else self._failed(msg.not_found(kind, self.name))
        item = ctx.object_result(kind, self.name, self.namespace)
        if item is None:
            return self._failed(_missing(ctx, kind, self.name))
        if item.error is not None:
            shown = render_errors([item.error])
            return self._failed(msg.was_rejected(kind, self.name, item.error.message),
                                evidence=_apply_evidence(item.source, shown))
        warnings = "\n".join(f"Warning: {w}" for w in item.warnings)
        return self._passed(msg.was_accepted(kind, self.name, f"{item.ref} {item.action}"),
                            evidence=_apply_evidence(item.source, warnings))


def _missing(ctx: Context, kind: str, name: str) -> str:
    errors = ctx.file_errors()
    return msg.not_applied_file(kind, name, errors[-1].splitlines()[0]) if errors else msg.never_applied(kind, name)


# ---------------------------------------------------------------------- pods


def _matching(ctx: Context, spec: str, namespace: str) -> list[Pod]:
    pods = ctx.backend.list("pods", namespace)
    return sorted((p for p in pods if match_pod(spec, p.namespace, p.name, p.metadata.labels)),
                  key=lambda p: p.name)


def _events(ctx: Context, pod: Pod, reasons: tuple[str, ...]) -> str:
    cluster = ctx.cluster
    return lookup.event_lines(cluster, pod, reasons) if cluster is not None else ""


@frozen
class Pending(Expectation):
    """Some pod matching ``pod`` is Pending, and its scheduling message contains ``because``."""

    pod: str
    because: str | None = None
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        return msg.hidden(f"pods matching {self.pod}") if hidden else msg.describe_pending(self.pod, self.because)

    def _check(self, ctx: Context) -> CheckResult:
        pods = _matching(ctx, self.pod, self.namespace)
        if not pods:
            return self._failed(msg.no_pod_matches(self.pod, self.namespace))
        waiting = [p for p in pods if (p.status.phase or "Pending") == "Pending"]
        if not waiting:
            states = "; ".join(msg.pod_is(p.name, _where(p)) for p in pods[:3])
            return self._failed(states)
        for pod in waiting:
            reason = lookup.scheduling_message(pod)
            if not self.because or self.because in reason:
                evidence = _events(ctx, pod, ("FailedScheduling",))
                return self._passed(msg.pending_reason(pod.name, reason), evidence=evidence)
        first = waiting[0]
        return self._failed(msg.pending_reason(first.name, lookup.scheduling_message(first)),
                            evidence=_events(ctx, first, ("FailedScheduling",)))


def _where(pod: Pod) -> str:
    state = lookup.pod_state(pod)
    return f"{state} on {pod.spec.node_name}" if pod.spec.node_name and state.startswith("Running") else state


@frozen
class Running(Expectation):
    """Every pod matching ``pod`` is Running (no container waiting), on ``node`` if given."""

    pod: str
    node: str | None = None
    namespace: str = "default"
    points: float = 1.0

    def describe(self, hidden: bool = False) -> str:
        return msg.hidden(f"pods matching {self.pod}") if hidden else msg.describe_running(self.pod, self.node)

    def _check(self, ctx: Context) -> CheckResult:
        pods = _matching(ctx, self.pod, self.namespace)
        if not pods:
            return self._failed(msg.no_pod_matches(self.pod, self.namespace))
        for pod in pods:
            state = lookup.pod_state(pod)
            if not state.startswith("Running"):
                reason = lookup.scheduling_message(pod)
                text = msg.pending_reason(pod.name, reason) if state == "Pending" else msg.pod_is(pod.name, state)
                return self._failed(text, evidence=_events(ctx, pod, ("FailedScheduling", "BackOff", "Unhealthy")))
            if self.node and pod.spec.node_name != self.node:
                return self._failed(msg.pod_is(pod.name, _where(pod)))
        return self._passed("; ".join(msg.pod_is(p.name, _where(p)) for p in pods[:3]))
