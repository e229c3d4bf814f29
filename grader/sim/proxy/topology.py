"""Which endpoints a node's kube-proxy may use for a service port: ``CategorizeEndpoints``.

Source: kubernetes ``pkg/proxy/topology.go`` ``CategorizeEndpoints`` (v1.29–1.33), one pure
function that every proxy mode calls (R-KP-8, R-TP-2, R-TP-4, R-TP-5):

* **Cluster** endpoints (only if the port ever uses Cluster policy): the ready ones; if no
  endpoint is ready anywhere, the serving-and-terminating ones.
* **Local** endpoints (only if the port ever uses Local policy): this node's ready ones; if it
  has none, this node's serving-and-terminating ones (independently of the Cluster fallback).
* **all reachable**: the union of both, the endpoints that get a ``KUBE-SEP`` chain here.
* **has any**: some usable endpoint exists anywhere in the cluster (ready, or serving and
  terminating) - when false the service port gets REJECT rules (R-KP-5).

Topology hints (``trafficDistribution``, the topology-aware-hints annotation) are not modelled:
kind's nodes carry no zone label and EndpointSlice hints are never set, so upstream's
``topologyModeFromHints`` always returns "" there and every ready endpoint is eligible.

Endpoints are anything with ``ready``, ``serving``, ``terminating`` and ``node_name``
attributes (:class:`grader.sim.proxy.rules.ProxyEndpoint`); their order is kept.
"""

from __future__ import annotations

from typing import Generic, Protocol, Sequence, TypeVar

from grader.records import frozen

__all__ = ["CategorizedEndpoints", "EndpointLike", "categorize_endpoints"]


class EndpointLike(Protocol):
    """What categorisation reads from an endpoint (``proxy.Endpoint`` in upstream)."""

    @property
    def node_name(self) -> str: ...
    @property
    def ready(self) -> bool: ...
    @property
    def serving(self) -> bool: ...
    @property
    def terminating(self) -> bool: ...


E = TypeVar("E", bound=EndpointLike)


@frozen
class CategorizedEndpoints(Generic[E]):
    """``CategorizeEndpoints``' four results (empty tuples where upstream returns nil)."""

    cluster: tuple[E, ...]
    local: tuple[E, ...]
    all_reachable: tuple[E, ...]
    has_any: bool


def _serving_terminating(ep: EndpointLike) -> bool:
    return ep.serving and ep.terminating


def _cluster_endpoints(endpoints: Sequence[E]) -> tuple[E, ...]:
    ready = tuple(ep for ep in endpoints if ep.ready)
    return ready or tuple(ep for ep in endpoints if _serving_terminating(ep))


def _local_endpoints(endpoints: Sequence[E], node_name: str) -> tuple[tuple[E, ...], bool, bool]:
    """(local endpoints, has any usable endpoint anywhere, local set is the terminating fallback)."""
    mine = [ep for ep in endpoints if node_name and ep.node_name == node_name]
    has_any = any(ep.ready or _serving_terminating(ep) for ep in endpoints)
    ready = tuple(ep for ep in mine if ep.ready)
    if ready:
        return ready, has_any, False
    fallback = tuple(ep for ep in mine if _serving_terminating(ep))
    return fallback, has_any, bool(fallback)


def categorize_endpoints(
    endpoints: Sequence[E],
    node_name: str,
    *,
    uses_cluster: bool = True,
    uses_local: bool = False,
) -> CategorizedEndpoints[E]:
    """Split a service port's endpoints into the sets this node's kube-proxy programs.

    ``uses_cluster`` / ``uses_local`` are upstream's ``ServicePort.UsesClusterEndpoints()`` and
    ``UsesLocalEndpoints()`` (see :attr:`grader.sim.proxy.kubeproxy.ServicePortInfo.uses_cluster`).
    An endpoint is local when its ``node_name`` equals ``node_name`` (and that is not empty).
    """
    cluster: tuple[E, ...] = _cluster_endpoints(endpoints) if uses_cluster else ()
    has_any = bool(cluster)
    if not uses_local:
        return CategorizedEndpoints(cluster, (), cluster, has_any)
    local, has_any_local, local_is_fallback = _local_endpoints(endpoints, node_name)
    has_any = has_any or has_any_local
    if not uses_cluster:
        return CategorizedEndpoints((), local, local, has_any)
    if not local_is_fallback:
        # local holds only ready endpoints and cluster holds every ready one: a superset
        return CategorizedEndpoints(cluster, local, cluster, has_any)
    chosen = {id(ep) for ep in cluster} | {id(ep) for ep in local}
    union = tuple(ep for ep in endpoints if id(ep) in chosen)
    return CategorizedEndpoints(cluster, local, union, has_any)
