"""Feedback for one probe: what curl saw, why, the one-line fix, and the kubectl view that shows it.

:func:`explain` turns a :class:`~grader.sim.probe.ProbeResult` into an :class:`Explanation`.
On the simulator (a backend with a ``cluster``) the classic mistakes get a precise diagnosis
from the cluster's state (:mod:`grader.checks.diagnose`)::

    curl from outside to kind-worker2:30080 timed out: the Service echo has
    externalTrafficPolicy Local and kind-worker2 runs none of its pods (R-TP-2)
    hint: curl a node that runs one of its pods (kind-worker), or set externalTrafficPolicy: Cluster

A real data plane (the netns or kube backend) records no journey: the packets went through a
kernel. When such a backend keeps a simulated twin of its cluster (``backend.cluster``: the
netns backend plans the kernel's rules from it), the same probe is replayed on the twin and,
when the twin saw the same outcome, its journey explains the real one — the learner gets the
same diagnosis on real packets as on the simulator (the differential suite in
tests/backends keeps the two in agreement). When they disagree, nothing is made up: the
explanation is curl's outcome alone.

When no diagnosis applies, the explanation is the recorded ending of the packet's journey (the
hop where it died and the rule ids it carried), or just curl's outcome when there is none.

The client-address helper :func:`explain_client_ip` says where a source address was rewritten
(the MASQUERADE hop) and, for a nodePort with ``externalTrafficPolicy: Cluster``, how to keep it.
"""

from __future__ import annotations

from typing import Any

from grader.checks import lookup
from grader.checks import messages as msg
from grader.checks.diagnose import diagnose
from grader.records import frozen
from grader.sim.probe import REACHED, ProbeResult, curl, parse_url

__all__ = ["Explanation", "explain", "explain_client_ip", "happened"]


@frozen
class Explanation:
    """A learner-facing message, a one-line fix, the rule id, and the kubectl view that shows it."""

    message: str
    hint: str = ""
    rule: str = ""
    evidence: str = ""


def happened(probe: ProbeResult, *, client: bool = True) -> str:
    """``curl from outside to kind-worker2:30080 timed out`` (and who answered, when it did)."""
    try:
        host = parse_url(probe.url).host
    except Exception:  # a URL the backend accepted but we cannot parse: say it as written
        host = probe.url
    return msg.happened(str(probe.source), probe.url, probe.outcome, host, probe.answered_by,
                        probe.container, probe.client if client else "")


def _cluster_of(backend: Any) -> Any:
    inner = getattr(backend, "backend", backend)  # a Context carries the backend
    return getattr(inner, "cluster", None)


def _recorded(probe: ProbeResult) -> bool:
    return bool(probe.hops) or probe.ending is not None


def _journey(probe: ProbeResult, cluster: Any) -> ProbeResult:
    """``probe`` if it recorded its journey; else the twin cluster's replay of it when that ended
    the same way (same outcome, same client address as the app saw); else ``probe``."""
    if _recorded(probe) or cluster is None:
        return probe
    try:
        twin = curl(cluster, probe.source, probe.url)
    except Exception:  # replaying is a bonus: keep what the real data plane said
        return probe
    if isinstance(twin, ProbeResult) and twin.outcome == probe.outcome and twin.client_ip == probe.client_ip:
        return twin
    return probe


def explain(probe: ProbeResult, backend: Any = None) -> Explanation:
    """Why ``probe`` ended as it did, as precisely as the backend allows. Never raises."""
    head = happened(probe)
    if probe.outcome == REACHED:
        return Explanation(head)
    cluster = _cluster_of(backend)
    journey = _journey(probe, cluster)
    if cluster is not None:
        try:
            found = diagnose(cluster, journey)
        except Exception:  # a diagnosis is a bonus: fall back to the recorded journey
            found = None
        if found is not None:
            return Explanation(msg.because(head, found.why, found.rule), found.hint, found.rule, found.evidence)
    return _generic(journey, head)


def _generic(probe: ProbeResult, head: str) -> Explanation:
    """The ending the data plane recorded (any backend that records one), else the outcome."""
    ending = probe.ending
    if ending is not None and ending.reason:
        rule = ending.cites[0] if ending.cites else ""
        return Explanation(msg.because(head, ending.reason, rule), rule=rule)
    if probe.resolution and probe.outcome == "DNS":
        return Explanation(msg.because(head, probe.resolution))
    return Explanation(head)


_SNAT_RULES = ("R-KP-9", "R-HP-2")


def explain_client_ip(probe: ProbeResult, own: str, backend: Any = None) -> Explanation:
    """Why the answering pod saw ``probe.client_ip`` rather than the source's own address ``own``."""
    head = happened(probe, client=False)
    journey = _journey(probe, _cluster_of(backend))
    masq = next((h for h in reversed(journey.hops) if "MASQUERADE" in h.step), None)
    if masq is None:
        return Explanation(msg.because(head, msg.why_other_client(probe.client_ip)))
    rule = next((c for c in _SNAT_RULES if c in masq.cites), masq.cites[0] if masq.cites else "")
    host = masq.host.partition(":")[2] or masq.host
    why = msg.why_snat(probe.client_ip, own, host, masq.step)
    return Explanation(msg.because(head, why, rule), _keep_client_hint(probe, backend), rule)


def _keep_client_hint(probe: ProbeResult, backend: Any) -> str:
    cluster = _cluster_of(backend)
    if cluster is None:
        return ""
    try:
        target = lookup.original_target(cluster, probe)
        hit = lookup.service_at(cluster, *target) if target else None
    except Exception:
        return ""
    if hit is not None and hit.via == "node-port" and hit.service.spec.external_traffic_policy != "Local":
        return msg.FIX_LOCAL_POLICY
    return ""
