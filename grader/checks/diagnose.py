"""Why a probe on the simulator failed: the classic mistakes, each with a precise diagnosis.

The packet walker already recorded *where* the connection died (the probe's ``ending``: the
host, the rule and its rule ids). This module adds *why*, from the cluster's state: a REJECT
for "has no endpoints" becomes "the selector app=my-app matches no pod; the pods are labelled
app=myapp"; a reset from a pod becomes "targetPort is 33306 but mysql listens on 3306". Each
diagnoser looks at one kind of ending and returns a :class:`Diagnosis` or None; the first that
answers wins. Texts come from :mod:`grader.checks.messages`.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable

from grader.checks import lookup
from grader.checks import messages as msg
from grader.model.objects import Pod, Service, ServicePort
from grader.records import frozen
from grader.sim.apps import annotation_key, pod_apps
from grader.sim.dataplane import in_cidr
from grader.sim.probe import DNS, REFUSED, TIMEOUT, UNKNOWN, ProbeResult, parse_url

__all__ = ["Diagnosis", "diagnose", "why_not_endpoint"]


@frozen
class Diagnosis:
    """Why (without the curl clause), the fix, the rule id and the kubectl view that shows it."""

    why: str
    hint: str = ""
    rule: str = ""
    evidence: str = ""


Diagnoser = Callable[[Any, ProbeResult], "Diagnosis | None"]


def diagnose(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """The first diagnosis that explains ``probe``, or None (the caller falls back to the trace)."""
    for diagnoser in _BY_OUTCOME.get(probe.outcome, ()):
        found = diagnoser(cluster, probe)
        if found is not None:
            return found
    return None


def _node_name(host: str) -> str:
    return host.partition(":")[2] if host.startswith("node:") else ""


def _pod_of(cluster: Any, host: str) -> Pod | None:
    if not host.startswith("pod:"):
        return None
    ns, _, name = host[4:].partition("/")
    return cluster.registry.get(Pod, ns, name)


def _hit(cluster: Any, probe: ProbeResult) -> lookup.ServiceHit | None:
    """The Service the ending's packet was addressed to (REJECT/DROP rules see it before NAT)."""
    ending = probe.ending
    if ending is None:
        return None
    pkt = ending.packet
    return lookup.service_at(cluster, pkt.dst, pkt.dport, pkt.protocol)


def _target_hit(cluster: Any, probe: ProbeResult) -> lookup.ServiceHit | None:
    """The Service the probe was aimed at (its URL, resolved as the source resolves it)."""
    target = lookup.original_target(cluster, probe)
    return None if target is None else lookup.service_at(cluster, *target)


# ---------------------------------------------------------------------- TIMEOUT


def _local_policy(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """R-TP-2 / R-TP-4: a Local traffic policy on a node without a local endpoint."""
    ending = probe.ending
    if ending is None or ending.kind != "dropped":
        return None
    external = "R-TP-2" in ending.cites
    if not external and "R-TP-4" not in ending.cites:
        return None
    hit = _hit(cluster, probe)
    if hit is None:
        return None
    svc, node = hit.service, _node_name(ending.host)
    nodes = lookup.endpoint_nodes(cluster, svc)
    selector = lookup.selector_text(svc.spec.selector)
    evidence = lookup.pods_wide(cluster, lookup.selected_pods(cluster, svc), selector, svc.namespace)
    name = lookup.service_name(svc)
    if external:
        return Diagnosis(msg.why_local_external(name, node), msg.fix_local_external(nodes), "R-TP-2", evidence)
    return Diagnosis(msg.why_local_internal(name, node), msg.fix_local_internal(nodes), "R-TP-4", evidence)


def _from_outside(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """The outside client has no route to ClusterIPs and pod IPs (R-KP-3)."""
    ending = probe.ending
    if ending is None or ending.host != "outside" or ending.kind != "dropped":
        return None
    pkt = ending.packet
    hit = lookup.service_at(cluster, pkt.dst, pkt.dport, pkt.protocol)
    if hit is not None and hit.via == "cluster-ip":
        svc = hit.service
        hint = msg.fix_use_node_port(_node_port_address(cluster, svc)) if _node_ports(svc) else msg.FIX_MAKE_NODE_PORT
        evidence = lookup.get_view(cluster, "service", svc.name, svc.namespace)
        return Diagnosis(msg.why_cluster_ip_from_outside(pkt.dst, lookup.service_name(svc)), hint, "R-KP-3", evidence)
    pod = next((p for p in cluster.registry.iter(Pod) if p.status.pod_ip == pkt.dst and not p.spec.host_network), None)
    if pod is not None:
        return Diagnosis(msg.why_pod_ip_from_outside(pkt.dst, lookup.pod_name(pod)), msg.FIX_EXPOSE_POD)
    return None


def _node_ports(svc: Service) -> list[ServicePort]:
    return [p for p in svc.spec.ports if p.node_port]


def _node_port_address(cluster: Any, svc: Service) -> str:
    """``IP:nodePort`` of a node that answers (one with an endpoint under Local policy)."""
    port = _node_ports(svc)[0].node_port
    names = [n.name for n in cluster.topology.nodes]
    if svc.spec.external_traffic_policy == "Local":
        names = lookup.endpoint_nodes(cluster, svc) or names
    return f"{lookup.node_ip(cluster, names[0])}:{port}"


def _not_a_service_port(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """R-KP-10: a ClusterIP on a port that is not one of the Service's ports."""
    ending = probe.ending
    if ending is None or ending.kind != "dropped" or ending.cites:
        return None
    pkt = ending.packet
    if not in_cidr(pkt.dst, cluster.topology.service_cidr):
        return None
    hit = lookup.service_at(cluster, pkt.dst, pkt.dport, pkt.protocol)
    if hit is None or hit.port is not None:
        return None
    svc = hit.service
    host = parse_url(probe.url).host
    first = svc.spec.ports[0] if svc.spec.ports else None
    address = f"{host}:{first.port}" if first else host
    if any(p.node_port == pkt.dport for p in svc.spec.ports):
        hint = msg.fix_node_port_inside(pkt.dport, address)
    elif any(p.target_port == pkt.dport for p in svc.spec.ports):
        hint = msg.fix_target_port_inside(pkt.dport, address)
    else:
        hint = msg.fix_service_port(address)
    why = msg.why_not_a_service_port(lookup.service_name(svc), lookup.service_ports_text(svc), pkt.dport)
    return Diagnosis(why, hint, "R-KP-10", lookup.get_view(cluster, "service", svc.name, svc.namespace))


# ---------------------------------------------------------------------- REFUSED: no endpoints


def _no_endpoints(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """R-KP-5 REJECT: find out why the Service has no endpoints."""
    ending = probe.ending
    if ending is None or ending.kind != "refused" or "R-KP-5" not in ending.cites:
        return None
    hit = _hit(cluster, probe)
    if hit is None:
        return None
    svc = hit.service
    evidence = lookup.get_view(cluster, "endpoints", svc.name, svc.namespace)
    found = _why_empty(cluster, svc, hit.port)
    if found is None:
        return Diagnosis(msg.why_no_endpoints(lookup.service_name(svc)), rule="R-KP-5", evidence=evidence)
    return Diagnosis(found.why, found.hint, found.rule, found.evidence or evidence)


def _why_empty(cluster: Any, svc: Service, port: ServicePort | None) -> Diagnosis | None:
    name, selector = lookup.service_name(svc), svc.spec.selector
    if not selector:
        return Diagnosis(msg.why_no_selector(name), msg.FIX_ADD_SELECTOR, "R-EP-2")
    pods = lookup.selected_pods(cluster, svc)
    if not pods:
        return _selector_typo(cluster, svc)
    ready = [p for p in pods if lookup.is_ready(p)]
    if not ready:
        return _not_ready(cluster, svc, pods)
    if port is not None and isinstance(port.target_port, str):
        protocol = port.protocol or "TCP"
        if all(lookup.resolve_named_port(p, port.target_port, protocol) is None for p in ready):
            numbers = lookup.declared_ports(ready, protocol) or _listening_numbers(cluster, ready[0], protocol)
            number = numbers[0] if numbers else None
            return Diagnosis(msg.why_named_port(name, port.target_port), msg.fix_named_port(port.target_port, number),
                             "R-EP-5")
    return None


def _selector_typo(cluster: Any, svc: Service) -> Diagnosis:
    selector = lookup.selector_text(svc.spec.selector)
    why = msg.why_selector_matches_nothing(lookup.service_name(svc), selector, svc.namespace)
    closest = lookup.closest_labels(cluster, svc.namespace, svc.spec.selector)
    hint = msg.fix_selector(*closest) if closest else msg.fix_selector_no_pods(selector)
    return Diagnosis(why, hint, "R-EP-1")


def _not_ready(cluster: Any, svc: Service, pods: list[Pod]) -> Diagnosis:
    shown = sorted(pods, key=lambda p: p.name)[:3]
    states = "; ".join(f"{p.name}: {lookup.pod_state(p)}" for p in shown)
    first = shown[0]
    running = (first.status.phase or "Pending") == "Running"
    hint = msg.fix_readiness(first.name) if running else msg.fix_not_running(first.name)
    evidence = lookup.event_lines(cluster, first, ("Unhealthy", "FailedScheduling", "BackOff"))
    return Diagnosis(msg.why_not_ready(lookup.service_name(svc), states), hint, "R-EP-3", evidence)


def _listening_numbers(cluster: Any, pod: Pod, protocol: str) -> list[int]:
    host = f"pod:{pod.namespace}/{pod.name}"
    return sorted({s.listener.port for s in lookup.listeners(cluster, host)
                   if s.listener.protocol == protocol and not s.listener.address.startswith("127.")})


def why_not_endpoint(cluster: Any, probe: ProbeResult, pod: Pod) -> Diagnosis | None:
    """Why a ready ``pod`` never answers the Service ``probe`` was aimed at (R-EP-1, R-EP-5)."""
    hit = _target_hit(cluster, probe)
    if hit is None or hit.port is None:
        return None
    svc, port, name = hit.service, hit.port, lookup.pod_name(pod)
    selector = svc.spec.selector
    if not selector or not lookup.matches(selector, pod.metadata.labels):
        detail = msg.not_selected(lookup.service_name(svc), lookup.selector_text(selector))
        return Diagnosis(msg.why_not_endpoint(name, detail), rule="R-EP-1")
    protocol = port.protocol or "TCP"
    if isinstance(port.target_port, str) and lookup.resolve_named_port(pod, port.target_port, protocol) is None:
        numbers = lookup.declared_ports([pod], protocol) or _listening_numbers(cluster, pod, protocol)
        hint = msg.fix_named_port(port.target_port, numbers[0] if numbers else None)
        return Diagnosis(msg.why_not_endpoint(name, msg.no_named_port(port.target_port)), hint, "R-EP-5")
    return None


# ---------------------------------------------------------------------- REFUSED: at a pod


def _refused_by_pod(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """A pod's kernel reset the connection: nothing listens on the port the packet arrived at."""
    ending = probe.ending
    pod = _pod_of(cluster, ending.host) if ending is not None else None
    if ending is None or pod is None or ending.kind not in ("refused", "unknown"):
        return None
    pkt, name = ending.packet, lookup.pod_name(pod)
    unknown = next((a for a in pod_apps(pod) if not a.known), None)
    if unknown is not None:
        hint = msg.fix_unknown_app(annotation_key(unknown.container), pkt.dport)
        return Diagnosis(msg.why_unknown_app(name, unknown.image), hint)
    sockets = lookup.listeners(cluster, ending.host)
    loopback = [s for s in sockets if s.listener.port == pkt.dport and s.listener.address.startswith("127.")]
    if loopback:
        return Diagnosis(msg.why_loopback(name, loopback[0].listener.address, pkt.dport), msg.FIX_LOOPBACK, "R-CP-4")
    ports = sorted({(s.listener.port, s.listener.protocol) for s in sockets if not s.listener.address.startswith("127.")})
    words = [f"{p}/{proto}" for p, proto in ports]
    best = _best_port(pod, [p for p, proto in ports if proto == pkt.protocol], pkt.protocol)
    hit = _target_hit(cluster, probe)
    if hit is not None and hit.port is not None:
        return _wrong_target_port(cluster, hit, pod, words, best)
    if any("DNAT" in h.step and "R-HP-2" in h.cites for h in probe.hops):
        why = msg.why_host_port_target(parse_url(probe.url).port, pkt.dport, name, words)
        hint = msg.fix_container_port(best) if best is not None else ""
        return Diagnosis(why, hint, "R-HP-2", lookup.pod_wide(cluster, pod))
    hint = msg.fix_use_port(best) if best is not None else ""
    return Diagnosis(msg.why_nothing_listens(pkt.dport, name, words), hint, "R-CP-1")


def _best_port(pod: Pod, listening: list[int], protocol: str) -> int | None:
    """The port to suggest: one the app listens on, preferring a declared containerPort."""
    declared = lookup.declared_ports([pod], protocol)
    preferred = [p for p in declared if p in listening]
    return (preferred or listening or [None])[0]


def _wrong_target_port(cluster: Any, hit: lookup.ServiceHit, pod: Pod, words: list[str], best: int | None) -> Diagnosis:
    svc, port = hit.service, hit.port
    assert port is not None
    name, pname = lookup.service_name(svc), lookup.pod_name(pod)
    hint = msg.fix_target_port(best) if best is not None else ""
    evidence = lookup.describe_excerpt(cluster, "service", svc.name, ("Port:", "TargetPort:", "Endpoints:"), svc.namespace)
    if port.target_port == port.port:
        return Diagnosis(msg.why_defaulted_target_port(name, port.port, pname, words), hint, "R-CP-1", evidence)
    why = msg.why_target_port(name, port.port, str(port.target_port), pname, words)
    return Diagnosis(why, hint, "R-CP-1", evidence)


# ---------------------------------------------------------------------- REFUSED: at a node


def _refused_by_node(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    """A node's kernel reset the connection: the port is a Service port, a hostPort elsewhere, ..."""
    ending = probe.ending
    if ending is None or ending.kind != "refused" or not ending.host.startswith("node:") or ending.cites:
        return None
    node, pkt = _node_name(ending.host), ending.packet
    host = parse_url(probe.url).host
    for finder in (_host_port_elsewhere, _service_port_on_node, _container_port_on_node):
        found = finder(cluster, node, host, pkt.dport, pkt.protocol)
        if found is not None:
            return found
    return None


def _service_port_on_node(cluster: Any, node: str, host: str, port: int, protocol: str) -> Diagnosis | None:
    found: list[tuple[tuple[bool, bool, str, str], Service, ServicePort]] = []
    for svc in cluster.registry.iter(Service):
        sp = next((p for p in svc.spec.ports if p.port == port and (p.protocol or "TCP") == protocol), None)
        if sp is not None and svc.spec.type != "ExternalName":
            found.append(((not sp.node_port, svc.namespace != "default", svc.namespace, svc.name), svc, sp))
    if found:
        _, svc, sp = min(found, key=lambda item: item[0])
        evidence = lookup.get_view(cluster, "service", svc.name, svc.namespace)
        name = lookup.service_name(svc)
        if sp.node_port:
            why = msg.why_service_port_on_node(node, port, name, sp.node_port)
            return Diagnosis(why, msg.fix_curl(f"{host}:{sp.node_port}"), "R-KP-4", evidence)
        return Diagnosis(msg.why_cluster_ip_service_on_node(node, port, name), msg.FIX_NODE_PORT_TYPE, "R-KP-4", evidence)
    return None


def _host_port_elsewhere(cluster: Any, node: str, host: str, port: int, protocol: str) -> Diagnosis | None:
    for pod in cluster.registry.iter(Pod):
        if not any(p.host_port == port and (p.protocol or "TCP") == protocol for c in pod.spec.containers for p in c.ports):
            continue
        where = pod.spec.node_name
        if not where or pod.status.phase != "Running":
            return Diagnosis(msg.why_host_port_pending(port, lookup.pod_name(pod)), rule="R-HP-3",
                             evidence=lookup.pod_wide(cluster, pod))
        if where == node:
            continue
        ip = lookup.node_ip(cluster, where)
        why = msg.why_host_port_elsewhere(port, where, ip, lookup.pod_name(pod), node)
        address = f"{where}:{port}" if cluster.topology.node(host) is not None else f"{ip}:{port}"
        return Diagnosis(why, msg.fix_curl(address), "R-HP-3", lookup.pod_wide(cluster, pod))
    return None


def _container_port_on_node(cluster: Any, node: str, host: str, port: int, protocol: str) -> Diagnosis | None:
    for pod in cluster.registry.iter(Pod):
        if pod.spec.host_network:
            continue
        if any(p.container_port == port and (p.protocol or "TCP") == protocol for c in pod.spec.containers for p in c.ports):
            why = msg.why_container_port_on_node(node, port, lookup.pod_name(pod))
            return Diagnosis(why, msg.fix_container_port_on_node(port), "R-HP-3")
    return None


# ---------------------------------------------------------------------- DNS


def _dns(cluster: Any, probe: ProbeResult) -> Diagnosis | None:
    host = parse_url(probe.url).host.rstrip(".")
    src = probe.source
    parts = host.split(".")
    name = parts[0]
    implicit = len(parts) == 1 or parts[1] == "svc"
    namespace = (src.namespace or "default") if implicit else parts[1]
    services = list(cluster.registry.iter(Service))
    same = [s for s in services if s.name == name]
    if src.kind != "pod":
        if not same:
            return None
        svc = same[0]
        hint = msg.fix_use_node_port(_node_port_address(cluster, svc)) if _node_ports(svc) else msg.FIX_MAKE_NODE_PORT
        return Diagnosis(msg.why_no_cluster_dns(host, str(src)), hint)
    here = next((s for s in same if s.namespace == namespace), None)
    if here is not None:
        return _dns_of_existing(here)
    if same:
        others = sorted({s.namespace for s in same})
        return Diagnosis(msg.why_wrong_namespace(name, namespace, others, implicit), msg.fix_namespace(name, others[0]))
    pod = cluster.registry.get(Pod, namespace, name)
    if pod is not None and len(parts) == 1:
        address = f"{pod.status.pod_ip or '<none>'}:{parse_url(probe.url).port}"
        return Diagnosis(msg.why_pod_name(name), msg.fix_pod_name(address))
    names = sorted(s.name for s in services if s.namespace == namespace)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    evidence = lookup.get_view(cluster, "services", "", namespace) if len(names) <= lookup.MAX_ROWS else ""
    return Diagnosis(msg.why_no_such_service(name, namespace), msg.fix_typo(close[0]) if close else "", "", evidence)


def _dns_of_existing(svc: Service) -> Diagnosis | None:
    name = lookup.service_name(svc)
    if svc.spec.type == "ExternalName":
        return Diagnosis(msg.why_external_name(name, svc.spec.external_name), rule="R-HL-3")
    if svc.spec.cluster_ip == "None":
        return Diagnosis(msg.why_headless_empty(name), rule="R-HL-1")
    return None


_BY_OUTCOME: dict[str, tuple[Diagnoser, ...]] = {
    TIMEOUT: (_local_policy, _from_outside, _not_a_service_port),
    REFUSED: (_no_endpoints, _refused_by_pod, _refused_by_node),
    UNKNOWN: (_refused_by_pod,),
    DNS: (_dns,),
}
