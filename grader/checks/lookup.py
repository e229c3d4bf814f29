"""Questions explanations ask of a simulated cluster, and the kubectl views that answer them.

Which Service a probe was aimed at (by ClusterIP, nodePort or external IP), which pods a
selector picks, which nodes run ready endpoints, what a pod's apps really listen on. Each
function reads the cluster once, linearly; none is called per pod or per Service in a loop, so
explanations stay cheap on large clusters. Evidence strings start with the kubectl command
that shows the same thing (``$ kubectl get endpoints web``).
"""

from __future__ import annotations

import difflib
from typing import Any

from grader.model.objects import EndpointSlice, Pod, Service, ServicePort
from grader.records import frozen
from grader.sim import dns, views
from grader.sim.dataplane import in_cidr
from grader.sim.printers import get_table
from grader.sim.probe import ProbeResult, parse_url

__all__ = [
    "ServiceHit",
    "closest_labels",
    "describe_excerpt",
    "endpoint_nodes",
    "event_lines",
    "get_view",
    "is_ready",
    "listeners",
    "node_ip",
    "node_of_ip",
    "original_target",
    "pod_state",
    "pods_wide",
    "resolve_named_port",
    "selected_pods",
    "selector_text",
    "service_at",
    "service_name",
]

MAX_ROWS = 10


def service_name(svc: Service) -> str:
    """``web`` in ``default``, ``shop/web`` elsewhere."""
    return svc.name if svc.namespace == "default" else f"{svc.namespace}/{svc.name}"


def pod_name(pod: Pod) -> str:
    return pod.name if pod.namespace == "default" else f"{pod.namespace}/{pod.name}"


def selector_text(selector: dict[str, str]) -> str:
    """``app=web,tier=front`` (sorted, as kubectl prints selectors)."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def is_ready(pod: Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def selected_pods(cluster: Any, svc: Service) -> list[Pod]:
    """Pods in the Service's namespace that its selector picks (R-EP-1), by name."""
    if not svc.spec.selector:
        return []
    return [p for p in cluster.registry.list(Pod, svc.namespace) if matches(svc.spec.selector, p.metadata.labels)]


def closest_labels(cluster: Any, namespace: str, selector: dict[str, str]) -> tuple[str, str] | None:
    """The pod label set most like ``selector``: (labels as ``k=v,...``, a pod carrying them)."""
    wanted = selector_text(selector)
    best: tuple[float, str, str] | None = None
    for pod in cluster.registry.list(Pod, namespace):
        labels = pod.metadata.labels
        keys = [k for k in labels if k != "pod-template-hash"]
        if not keys:
            continue
        text = selector_text({k: labels[k] for k in keys})
        score = difflib.SequenceMatcher(None, wanted, text).ratio()
        if best is None or score > best[0]:
            best = (score, text, pod.name)
    return None if best is None else (best[1], best[2])


def pod_state(pod: Pod) -> str:
    """``Pending``, ``Running, not ready: readiness probe failing``, ``waiting: CrashLoopBackOff``."""
    phase = pod.status.phase or "Pending"
    if phase != "Running":
        return phase
    for status in pod.status.container_statuses:
        state = status.state if isinstance(status.state, dict) else {}
        waiting = state.get("waiting")
        if isinstance(waiting, dict):
            return f"container {status.name} is waiting: {waiting.get('reason', 'unknown')}"
    if is_ready(pod):
        return "Running and ready"
    probed = any(c.readiness_probe for c in pod.spec.containers)
    return "Running, not ready: its readiness probe fails" if probed else "Running, not ready"


def scheduling_message(pod: Pod) -> str:
    """The PodScheduled=False condition's message (the FailedScheduling text), or ``""``."""
    return next((c.message for c in pod.status.conditions if c.type == "PodScheduled" and c.status == "False"), "")


# ---------------------------------------------------------------------- targets


@frozen
class ServiceHit:
    """The Service a destination belongs to, how, and the matching port (None: no such port)."""

    service: Service
    via: str  # cluster-ip | node-port | external-ip
    port: ServicePort | None


def node_of_ip(cluster: Any, ip: str) -> str:
    return next((n.name for n in cluster.topology.nodes if n.ip == ip), "")


def node_ip(cluster: Any, name: str) -> str:
    node = cluster.topology.node(name)
    return node.ip if node is not None else ""


def original_target(cluster: Any, probe: ProbeResult) -> tuple[str, int, str] | None:
    """(address, port, protocol) the probe was sent to, after DNS, before any NAT."""
    target = parse_url(probe.url)
    src = probe.source
    resolution = dns.resolve(cluster, target.host, from_pod=src.kind == "pod", namespace=src.namespace or "default")
    if not resolution.ok:
        return None
    return resolution.addresses[0], target.port, target.protocol


def service_at(cluster: Any, ip: str, port: int, protocol: str) -> ServiceHit | None:
    """The Service that owns ``ip`` (ClusterIP or external IP) or, on a node IP, the nodePort."""
    on_node = bool(node_of_ip(cluster, ip)) or in_cidr(ip, "127.0.0.0/8")
    for svc in cluster.registry.iter(Service):
        spec = svc.spec
        if ip == spec.cluster_ip or ip in spec.cluster_ips:
            return ServiceHit(svc, "cluster-ip", _port(spec.ports, protocol, port=port))
        if ip in spec.external_ips:
            return ServiceHit(svc, "external-ip", _port(spec.ports, protocol, port=port))
        if on_node:
            hit = _port(spec.ports, protocol, node_port=port)
            if hit is not None:
                return ServiceHit(svc, "node-port", hit)
    return None


def _port(ports: tuple[ServicePort, ...], protocol: str, *, port: int = 0, node_port: int = 0) -> ServicePort | None:
    for p in ports:
        if (p.protocol or "TCP") != protocol:
            continue
        if (port and p.port == port) or (node_port and p.node_port == node_port):
            return p
    return None


def endpoint_nodes(cluster: Any, svc: Service) -> list[str]:
    """Nodes that run a ready endpoint of the Service, sorted."""
    nodes: set[str] = set()
    for sl in cluster.registry.list(EndpointSlice, svc.namespace):
        if sl.metadata.labels.get("kubernetes.io/service-name") != svc.name:
            continue
        nodes.update(ep.node_name for ep in sl.endpoints if ep.node_name and ep.conditions.ready is not False)
    return sorted(nodes)


def resolve_named_port(pod: Pod, name: str, protocol: str) -> int | None:
    """``FindPort`` for a named targetPort (R-EP-4): the first container port with that name."""
    for container in pod.spec.containers:
        for p in container.ports:
            if p.name == name and (p.protocol or "TCP") == protocol:
                return int(p.container_port)
    return None


def declared_ports(pods: list[Pod], protocol: str) -> list[int]:
    """containerPort numbers the pods declare for ``protocol``, in order, without repeats."""
    seen: list[int] = []
    for pod in pods:
        for c in pod.spec.containers:
            for p in c.ports:
                if (p.protocol or "TCP") == protocol and p.container_port not in seen:
                    seen.append(int(p.container_port))
    return seen


def listeners(cluster: Any, host: str) -> list[Any]:
    """The sockets the data plane sees open on ``host`` (``pod:ns/name``): running containers only."""
    return list(cluster.network().sockets.get(host, ()))


def service_ports_text(svc: Service) -> str:
    return ", ".join(f"{p.port}/{p.protocol or 'TCP'}" for p in svc.spec.ports) or "none"


# ---------------------------------------------------------------------- evidence


def _command(*words: str, namespace: str = "default") -> str:
    text = "$ kubectl " + " ".join(w for w in words if w)
    return text + (f" -n {namespace}" if namespace != "default" else "")


def get_view(cluster: Any, resource: str, name: str, namespace: str = "default") -> str:
    """``$ kubectl get RESOURCE NAME`` and what it prints on stdout."""
    out = views.kubectl_get(cluster, resource, name, namespace=namespace)
    return f"{_command('get', resource, name, namespace=namespace)}\n{out.stdout or out.stderr}"


def pods_wide(cluster: Any, pods: list[Pod], selector: str, namespace: str = "default") -> str:
    """``$ kubectl get pods -l SELECTOR -o wide`` (the first rows), showing each pod's node."""
    if not pods:
        return ""
    shown = sorted(pods, key=lambda p: p.name)[:MAX_ROWS]
    table = get_table("pods", shown, now=cluster.clock.now, wide=True, namespace=namespace).rstrip("\n")
    return f"{_command('get', 'pods', f'-l {selector}', '-o wide', namespace=namespace)}\n{table}"


def pod_wide(cluster: Any, pod: Pod) -> str:
    table = get_table("pods", [pod], now=cluster.clock.now, wide=True, namespace=pod.namespace).rstrip("\n")
    return f"{_command('get', 'pod', pod.name, '-o wide', namespace=pod.namespace)}\n{table}"


def describe_excerpt(cluster: Any, resource: str, name: str, prefixes: tuple[str, ...],
                     namespace: str = "default") -> str:
    """The lines of ``kubectl describe`` that start with one of ``prefixes``."""
    out = views.kubectl_describe(cluster, resource, name, namespace=namespace).stdout
    lines = [line for line in out.splitlines() if line.startswith(prefixes)]
    if not lines:
        return ""
    return f"{_command('describe', resource, name, namespace=namespace)}  (excerpt)\n" + "\n".join(lines)


def event_lines(cluster: Any, pod: Pod, reasons: tuple[str, ...]) -> str:
    """``kubectl describe pod`` Events rows whose reason is one of ``reasons`` (with the header)."""
    out = views.kubectl_describe(cluster, "pod", pod.name, namespace=pod.namespace).stdout
    lines = out.splitlines()
    try:
        start = lines.index("Events:")
    except ValueError:
        return ""
    rows = [line for line in lines[start + 3:] if line.split()[1:2] and line.split()[1] in reasons]
    if not rows:
        return ""
    head = lines[start:start + 3]
    return f"{_command('describe', 'pod', pod.name, namespace=pod.namespace)}  (events)\n" + "\n".join(head + rows)
