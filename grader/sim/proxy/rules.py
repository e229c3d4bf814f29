"""One node's iptables rules, built from plain inputs: kube-proxy + CNI portmap + kindnet.

The inputs are frozen dataclasses so that this package depends on no controller: the caller
(the cluster's data-plane wiring) maps Services, EndpointSlices and Pods into a
:class:`ProxyInputs` per node, and :func:`build_node_rules` returns the node's
:class:`~grader.sim.netfilter.RuleSet`, the same data the packet walker follows, ``kports rules``
prints and the netns backend loads with ``iptables-restore``.

:func:`endpoints_from_slices` reads EndpointSlices the way kube-proxy's ``EndpointSliceCache``
does (kubernetes ``pkg/proxy/endpointslicecache.go``, v1.29–1.33):

* only slices labelled ``kubernetes.io/service-name: <svc>`` in the Service's namespace, with
  an ``IPv4`` address type (the cluster is single-stack IPv4) count;
* a slice port with no port number (or 0) is skipped; a missing name or protocol reads as the
  API server defaults them (``""``, ``TCP``); endpoints are grouped by (port name, protocol),
  which is how kube-proxy matches them to Service ports (R-EP-6);
* ``ready`` and ``serving`` default to true when unset, ``terminating`` to false;
* endpoints are de-duplicated by ``ip:port`` (the first wins, except that a copy on the given
  node is preferred) and sorted by that string, as ``byEndpoint`` does.

Hook order of the three writers (R-HP-4): kube-proxy *prepends* its jumps (PREROUTING/OUTPUT
→ KUBE-SERVICES, POSTROUTING → KUBE-POSTROUTING), kindnet *appends* POSTROUTING →
KIND-MASQ-AGENT, portmap *appends* PREROUTING/OUTPUT → CNI-HOSTPORT-DNAT and *prepends*
POSTROUTING → CNI-HOSTPORT-MASQ. The result on a kind node, in ``iptables-save`` order::

    -A PREROUTING  ... -j KUBE-SERVICES        -A POSTROUTING ... -j CNI-HOSTPORT-MASQ
    -A PREROUTING  ... -j CNI-HOSTPORT-DNAT    -A POSTROUTING ... -j KUBE-POSTROUTING
                                               -A POSTROUTING ... -j KIND-MASQ-AGENT

User chains are listed sorted by name after the built-in ones, as ``iptables-save`` does.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import field
from typing import Iterable, Iterator, Mapping, Sequence

from grader.model.drafts import constructor
from grader.model.objects import Endpoint, EndpointSlice, Pod, Service
from grader.records import frozen
from grader.sim.netfilter import BUILTIN_CHAINS, RuleSet, Table
from grader.sim.proxy.kindnet import add_kindnet_rules
from grader.sim.proxy.kubeproxy import add_kube_proxy_rules
from grader.sim.proxy.portmap import add_portmap_rules

__all__ = [
    "EndpointsByPort",
    "PortKey",
    "ProxyEndpoint",
    "ProxyInputs",
    "build_node_rules",
    "endpoints_from_slices",
    "render_node_rules",
]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"

PortKey = tuple[str, str]
"""A Service port as kube-proxy keys endpoints: (port name, protocol), e.g. ``("http", "TCP")``."""


@frozen
class ProxyEndpoint:
    """One backend of one service port, as kube-proxy sees it (``BaseEndpointInfo``)."""

    ip: str
    port: int
    node_name: str = ""
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    pod: str = ""  # "namespace/name" of the backing pod, "" when the endpoint names none

    def __str__(self) -> str:
        """``ip:port``, the endpoint string kube-proxy hashes, sorts and DNATs to."""
        return f"{self.ip}:{self.port}"


EndpointsByPort = Mapping[PortKey, Sequence[ProxyEndpoint]]


@frozen
class ProxyInputs:
    """Everything one node's rule writers read.

    ``endpoints`` maps ``"namespace/name"`` of a Service to its endpoints per (port name,
    protocol), e.g. the result of :func:`endpoints_from_slices`. ``services`` are defaulted and
    allocated API objects; LoadBalancer ingress IPs come from their ``status``.
    ``host_port_pods`` are the pods *on this node* that declare hostPorts and have a pod IP.
    ``all_node_ips`` is not read by any writer (kube-proxy only knows its own node); it is kept
    for callers that explain rules.
    """

    node_name: str
    node_ips: tuple[str, ...]
    all_node_ips: tuple[str, ...] = ()
    cluster_cidr: str = DEFAULT_CLUSTER_CIDR
    pod_cidr: str = ""
    services: tuple[Service, ...] = ()
    endpoints: Mapping[str, EndpointsByPort] = field(default_factory=dict)
    host_port_pods: tuple[Pod, ...] = ()

    def endpoints_for(self, namespace: str, name: str, key: PortKey) -> Sequence[ProxyEndpoint]:
        """The endpoints of one service port (empty when there are none)."""
        return self.endpoints.get(f"{namespace}/{name}", {}).get(key, ())


# --------------------------------------------------------------------------- EndpointSlices


def _slice_belongs(service: Service, es: EndpointSlice) -> bool:
    meta = es.metadata
    return (
        meta.namespace == service.metadata.namespace
        and meta.labels.get(SERVICE_NAME_LABEL) == service.metadata.name
        and es.address_type == "IPv4"
    )


def _endpoint_pod(ep) -> str:
    ref = ep.target_ref
    if ref is None or ref.kind != "Pod":
        return ""
    return f"{ref.namespace}/{ref.name}"


def _proxy_endpoint(ep: Endpoint, port: int) -> ProxyEndpoint:
    cond = ep.conditions
    return _new_proxy_endpoint(
        ep.addresses[0],
        port,
        ep.node_name or "",
        cond.ready is None or cond.ready,
        cond.serving is None or cond.serving,
        cond.terminating is not None and cond.terminating,
        _endpoint_pod(ep),
    )


_new_proxy_endpoint = constructor(ProxyEndpoint)


def endpoints_from_slices(
    service: Service, slices: Iterable[EndpointSlice], node_name: str = ""
) -> dict[PortKey, list[ProxyEndpoint]]:
    """A Service's endpoints per (port name, protocol), read as ``EndpointSliceCache`` does.

    ``node_name`` only breaks ties between two copies of one ``ip:port`` (the local one wins).
    """
    found: dict[PortKey, dict[str, ProxyEndpoint]] = {}
    mine = sorted((s for s in slices if _slice_belongs(service, s)), key=lambda s: s.metadata.name)
    for es in mine:
        for sp in es.ports:
            port = sp.port
            if not port:
                continue
            by_ip = found.setdefault((sp.name or "", sp.protocol or "TCP"), {})
            for ep in es.endpoints:
                if not ep.addresses:
                    continue
                key = f"{ep.addresses[0]}:{port}"  # str() of the ProxyEndpoint
                if key not in by_ip or (node_name and (ep.node_name or "") == node_name):
                    by_ip[key] = _proxy_endpoint(ep, port)
    return {k: [v[s] for s in sorted(v)] for k, v in found.items() if v}


# --------------------------------------------------------------------------- building


def _sort_chains(table: Table) -> None:
    """``iptables-save`` order: built-in chains in hook order, then user chains by name."""
    builtins = BUILTIN_CHAINS[table.name]
    chains = table.chains
    ordered = {name: chains[name] for name in builtins if name in chains}
    users = sorted(set(chains).difference(builtins))
    ordered.update(zip(users, map(chains.__getitem__, users)))
    table.chains = ordered


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building.

    A node's rule set is a few hundred thousand small acyclic objects (no reference cycles, so
    nothing for the collector to find); letting it rescan them while they are being created
    doubles the build time at 10,000 Services. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_node_rules(inputs: ProxyInputs) -> RuleSet:
    """The node's ``nat`` and ``filter`` tables: kube-proxy, then kindnet, then portmap."""
    ruleset = RuleSet(inputs.node_name)
    with _collector_paused():
        add_kube_proxy_rules(ruleset, inputs)
        add_kindnet_rules(ruleset, inputs)
        add_portmap_rules(ruleset, inputs)
    _sort_chains(ruleset.nat)
    _sort_chains(ruleset.filter)
    return ruleset


def render_node_rules(inputs: ProxyInputs) -> str:
    """The node's rules as one ``iptables-restore`` document (no trailing blanks on any line)."""
    text = build_node_rules(inputs).render()
    if " \n" not in text:
        return text
    return "\n".join(line.rstrip() for line in text.split("\n"))
