"""Name resolution as each kind of client sees it.

Pods use the cluster DNS (kube-dns at 10.96.0.10) with Kubernetes' search path
``<ns>.svc.cluster.local svc.cluster.local cluster.local`` and ``ndots:5``, so ``web``,
``web.shop``, ``web.shop.svc`` and ``web.shop.svc.cluster.local`` all name Service ``web`` in
namespace ``shop``. A ClusterIP Service resolves to its ClusterIP; a headless one to the
addresses of its ready endpoints (R-HL-1); an ExternalName one to a CNAME the simulated cluster
cannot resolve further. kind's DNS forwards to Docker's resolver, which knows the node
containers' names, so pods also resolve ``kind-worker``.

Nodes and the outside client have no cluster DNS: they resolve node names (as kind users put
them in ``/etc/hosts`` or reach them by Docker name) and IP literals, nothing else.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING

from grader.model.objects import EndpointSlice, Service
from grader.records import frozen

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["CLUSTER_DOMAIN", "Resolution", "resolve"]

CLUSTER_DOMAIN = "cluster.local"


@frozen
class Resolution:
    """The answer to one lookup: addresses (empty when it failed) and how it was found."""

    name: str
    addresses: tuple[str, ...]
    how: str

    @property
    def ok(self) -> bool:
        return bool(self.addresses)


@functools.lru_cache(maxsize=4096)
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _service_candidates(name: str, namespace: str) -> list[tuple[str, str]]:
    """(service, namespace) pairs the search path would try, in order."""
    name = name.rstrip(".")
    suffix = f".svc.{CLUSTER_DOMAIN}"
    if name.endswith(suffix):
        parts = name[: -len(suffix)].split(".")
        return [(parts[0], parts[1])] if len(parts) == 2 else []
    parts = name.split(".")
    if len(parts) == 1:
        return [(parts[0], namespace)]
    if len(parts) == 2:
        return [(parts[0], parts[1])]
    if len(parts) == 3 and parts[2] == "svc":
        return [(parts[0], parts[1])]
    return []


def _service_addresses(cluster: "Cluster", svc: Service) -> tuple[tuple[str, ...], str]:
    spec = svc.spec
    fqdn = f"{svc.name}.{svc.namespace}.svc.{CLUSTER_DOMAIN}"
    if spec.type == "ExternalName":
        return (), f"{fqdn} is a CNAME for {spec.external_name}, which nothing in the simulated cluster can resolve"
    if spec.cluster_ip and spec.cluster_ip != "None":
        return (spec.cluster_ip,), f"{fqdn} -> ClusterIP {spec.cluster_ip}"
    ips: list[str] = []
    for sl in cluster.registry.list(EndpointSlice, svc.namespace):
        if sl.metadata.labels.get("kubernetes.io/service-name") != svc.name:
            continue
        for ep in sl.endpoints:
            ready = ep.conditions.ready is not False or spec.publish_not_ready_addresses
            if ready:
                ips.extend(a for a in ep.addresses if a not in ips)
    if not ips:
        return (), f"{fqdn} is headless and has no ready endpoints, so it has no A records (R-HL-1)"
    return tuple(ips), f"{fqdn} is headless: A records are the pods' own IPs {', '.join(ips)} (R-HL-1)"


def resolve(cluster: "Cluster", name: str, *, from_pod: bool, namespace: str = "default") -> Resolution:
    """Resolve ``name`` for a pod in ``namespace`` (``from_pod``) or for a node / the outside client."""
    if _is_ip(name):
        return Resolution(name, (name,), "an IP address")
    node = cluster.topology.node(name)
    if node is not None:
        return Resolution(name, (node.ip,), f"node name {name} -> {node.ip}")
    if name in ("localhost", "localhost."):
        return Resolution(name, ("127.0.0.1",), "localhost -> 127.0.0.1")
    if not from_pod:
        return Resolution(name, (), f"{name} is not a node name or an IP, and only pods use the cluster DNS")
    for svc_name, ns in _service_candidates(name, namespace):
        svc = cluster.registry.get(Service, ns, svc_name)
        if svc is not None:
            addresses, how = _service_addresses(cluster, svc)
            return Resolution(name, addresses, how)
    return Resolution(name, (), f"no Service answers to {name} from namespace {namespace} (NXDOMAIN)")
