"""An optional LoadBalancer implementation for the simulated kind cluster (R-EX-2), MetalLB-style.

Plain kind has no LoadBalancer controller: a ``type: LoadBalancer`` Service keeps an empty
``status.loadBalancer`` (``EXTERNAL-IP <pending>``) and works as a NodePort. This controller is
what installing MetalLB in layer-2 mode (or running cloud-provider-kind) adds. It is not part of
the default control plane; ``Cluster(..., load_balancer=True)`` turns it on.

What it does, in MetalLB's terms (metallb ``controller/service.go``, ``internal/allocator``,
``speaker/layer2_controller.go``):

* **IP allocation** (the MetalLB controller). Every Service of type LoadBalancer without a
  ``loadBalancerClass`` (a class names another implementation) gets one IPv4 address from the
  pool, ``172.18.255.200-172.18.255.250`` by default (the range kind's docs suggest for
  MetalLB on the docker ``kind`` network), written to ``status.loadBalancer.ingress[0].ip``
  with ``ipMode: VIP``. The lowest free address wins, Services are handled in (namespace,
  name) order, so allocation is deterministic. ``spec.loadBalancerIP`` asks for a particular
  address, honoured when it is in the pool and free. The address is released when the Service
  is deleted or stops being a LoadBalancer (its status is cleared then), and Services still
  waiting for an address are retried. Events: ``Normal IPAllocated Assigned IP ["<ip>"]`` and
  ``Warning AllocationFailed Failed to allocate IP for "<ns>/<name>": <why>`` from
  ``metallb-controller``.
* **Announcement** (the MetalLB speaker, layer 2). One node answers ARP for the address, so
  traffic from the docker network (the outside client) to the IP arrives at that node, where
  kube-proxy's ``KUBE-SERVICES -d <ip>`` rules (``KUBE-FW`` for ``loadBalancerSourceRanges``,
  then ``KUBE-EXT``) take over. Nothing is announced while the Service has no ready endpoint.
  With ``externalTrafficPolicy: Local`` only nodes with a ready endpoint of the Service may
  announce; otherwise every node may. Nodes labelled
  ``node.kubernetes.io/exclude-from-external-load-balancers`` (kind's control plane) do not
  announce, unless no node is left (single-node kind, where the learner would remove the
  label). MetalLB elects among the candidates by a hash of node name and IP; the simulator
  takes the first candidate in topology order, so the result is predictable. Event:
  ``Normal nodeAssigned announcing from node "<node>" with protocol "layer2"`` from
  ``metallb-speaker`` when the announcing node changes.

Pods and nodes never need the announcement: kube-proxy on their own node rewrites traffic to
the LB IP (it programs the IP on every node), see :mod:`grader.sim.network`.
"""

from __future__ import annotations

import heapq
import ipaddress
from typing import TYPE_CHECKING, Any, Iterable

from grader.model.objects import EndpointSlice, LoadBalancerIngress, LoadBalancerStatus, Service, evolve
from grader.sim.controllers.eventlog import record
from grader.sim.controllers.labelindex import LABEL_SERVICE_NAME, Key, cluster_index, key_of
from grader.sim.events import NORMAL, WARNING

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = [
    "AddressPool",
    "CONTROLLER_SOURCE",
    "DEFAULT_POOL",
    "EXCLUDE_FROM_LB_LABEL",
    "LoadBalancerController",
    "SPEAKER_SOURCE",
    "announcing_node",
    "wants_address",
]

DEFAULT_POOL = "172.18.255.200-172.18.255.250"
CONTROLLER_SOURCE = "metallb-controller"
SPEAKER_SOURCE = "metallb-speaker"
EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
IP_MODE = "VIP"


class AddressPool:
    """An IPv4 address range: ``first-last`` or a CIDR (every address of it, as MetalLB does)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec.strip()
        try:
            if "-" in self.spec:
                low, _, high = self.spec.partition("-")
                first, last = ipaddress.IPv4Address(low.strip()), ipaddress.IPv4Address(high.strip())
            else:
                net = ipaddress.IPv4Network(self.spec, strict=False)
                first, last = net.network_address, net.broadcast_address
        except ValueError as exc:
            raise ValueError(f"invalid address pool {spec!r}: {exc}") from None
        if last < first:
            raise ValueError(f"invalid address pool {spec!r}: the range ends before it starts")
        self.first, self.last = int(first), int(last)

    def __contains__(self, ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return self.first <= value <= self.last

    def __len__(self) -> int:
        return self.last - self.first + 1

    def index(self, ip: str) -> int:
        """The address as an integer (for ordering)."""
        return int(ipaddress.IPv4Address(ip))

    def address(self, value: int) -> str:
        """The integer back as dotted text."""
        return str(ipaddress.IPv4Address(value))

    def __repr__(self) -> str:
        return f"<AddressPool {self.spec}>"


def wants_address(svc: Service) -> bool:
    """Is this Service one the LB implementation serves (type LoadBalancer, no other class)?"""
    return svc.spec.type == "LoadBalancer" and not svc.spec.load_balancer_class


def _ready(ep: Any) -> bool:
    return ep.conditions.ready is None or ep.conditions.ready


def announcing_node(
    svc: Service, slices: Iterable[EndpointSlice], nodes: Iterable[tuple[str, dict[str, str]]]
) -> str:
    """The node whose speaker announces ``svc``'s address, or "" when none does.

    ``nodes`` are ``(name, labels)`` in topology order (read lazily: the search stops at the
    first candidate). No ready endpoint: nothing is announced. ``externalTrafficPolicy: Local``:
    only nodes with a ready endpoint are candidates. Nodes excluded from external load
    balancers are skipped unless every node is excluded.
    """
    ready_nodes: set[str] = set()
    any_ready = False
    for sl in slices:
        for ep in sl.endpoints:
            if ep.addresses and _ready(ep):
                any_ready = True
                if ep.node_name:
                    ready_nodes.add(ep.node_name)
    if not any_ready:
        return ""
    local = svc.spec.external_traffic_policy == "Local"
    some_included, first_excluded = False, ""
    for name, labels in nodes:
        excluded = EXCLUDE_FROM_LB_LABEL in labels
        some_included = some_included or not excluded
        if local and name not in ready_nodes:
            continue
        if not excluded:
            return name
        first_excluded = first_excluded or name
    return "" if some_included else first_excluded


class LoadBalancerController:
    """Hands out LoadBalancer IPs from a pool and tracks which node announces each (MetalLB L2)."""

    name = "loadbalancer-controller"

    def __init__(self, cluster: "Cluster", pool: str = DEFAULT_POOL) -> None:
        self.cluster = cluster
        self.pool = AddressPool(pool)
        self.index = cluster_index(cluster)
        self._by_ip: dict[str, Key] = {}
        self._ip_of: dict[Key, str] = {}
        self._announcer: dict[Key, str] = {}
        self._pending: set[Key] = set()
        self._released: list[int] = []  # heap of freed addresses below the high-water mark
        self._high = self.pool.first  # every address from here up has never been handed out
        self._queue: set[Key] = {key_of(s) for s in cluster.registry.iter(Service)}
        self._busy = False
        cluster.registry.watch(self._watch, (Service, EndpointSlice))

    # ------------------------------------------------------------------ change tracking

    def _watch(self, cls: type, old: Any, new: Any) -> None:
        if self._busy:
            return
        if cls is Service:
            self._queue.add(key_of(new if new is not None else old))
        elif cls is EndpointSlice:
            for obj in (old, new):
                owner = obj.metadata.labels.get(LABEL_SERVICE_NAME) if obj is not None else None
                if owner and (obj.metadata.namespace, owner) in self._ip_of:
                    self._queue.add((obj.metadata.namespace, owner))

    def sync(self) -> bool:
        """Allocate, release and re-announce for the queued Services; True if anything was written."""
        wrote = False
        while self._queue:
            keys, self._queue = sorted(self._queue), set()
            for key in keys:
                wrote = self._sync_key(key) or wrote
        return wrote

    # ------------------------------------------------------------------ reads

    def address_of(self, namespace: str, name: str) -> str:
        """The address held by Service ``namespace/name`` ("" when it holds none)."""
        return self._ip_of.get((namespace, name), "")

    def holder(self, ip: str) -> Key | None:
        """The ``(namespace, name)`` of the Service holding ``ip``, or None."""
        return self._by_ip.get(ip)

    def announcer(self, ip: str) -> str:
        """The node that answers ARP for ``ip`` now ("" when nobody announces it)."""
        key = self._by_ip.get(ip)
        return self._announcer.get(key, "") if key is not None else ""

    def announcements(self) -> dict[str, str]:
        """LoadBalancer IP -> the node that answers ARP for it (announced addresses only)."""
        return {self._ip_of[key]: node for key, node in self._announcer.items() if node and key in self._ip_of}

    def addresses(self) -> dict[str, Key]:
        """Every allocated address and the Service holding it."""
        return dict(self._by_ip)

    # ------------------------------------------------------------------ one Service

    def _sync_key(self, key: Key) -> bool:
        svc = self.cluster.registry.get(Service, *key)
        if svc is None or not wants_address(svc):
            ours = svc is not None and key in self._ip_of  # another class's status is not ours to clear
            wrote = self._clear_status(svc) if ours else False
            self._release(key)
            return wrote
        held = self._ip_of.get(key, "")
        if held and svc.spec.load_balancer_ip and svc.spec.load_balancer_ip != held:
            self._release(key)  # a different address was asked for: give this one back first
            held = ""
        ip = held or self._allocate(key, svc)
        if not ip:
            return self._clear_status(svc)
        wrote = self._write_status(svc, ip)
        self._announce(key, self.cluster.registry.get(Service, *key))
        return wrote

    def _allocate(self, key: Key, svc: Service) -> str:
        wanted = svc.spec.load_balancer_ip
        if wanted:
            error = self._check_requested(key, wanted)
            ip = "" if error else wanted
        else:
            ip = self._lowest_free()
            error = "" if ip else "no available IPs"
        if error:
            message = f'Failed to allocate IP for "{key[0]}/{key[1]}": {error}'
            record(self.cluster, WARNING, "AllocationFailed", message, CONTROLLER_SOURCE, svc)
            self._pending.add(key)
            return ""
        self._pending.discard(key)
        self._by_ip[ip], self._ip_of[key] = key, ip
        record(self.cluster, NORMAL, "IPAllocated", f'Assigned IP ["{ip}"]', CONTROLLER_SOURCE, svc)
        return ip

    def _lowest_free(self) -> str:
        """The lowest free address of the pool ("" when exhausted), without scanning the taken ones."""
        while self._released:
            ip = self.pool.address(heapq.heappop(self._released))
            if ip not in self._by_ip:
                return ip
        while self._high <= self.pool.last:
            ip = self.pool.address(self._high)
            self._high += 1
            if ip not in self._by_ip:
                return ip
        return ""

    def _check_requested(self, key: Key, wanted: str) -> str:
        if wanted not in self.pool:
            return f'["{wanted}"] is not allowed in config'
        holder = self._by_ip.get(wanted)
        if holder is not None and holder != key:
            return (f'can\'t change sharing key for "{key[0]}/{key[1]}", address also in use by '
                    f"{holder[0]}/{holder[1]}: existing service does not allow sharing")
        return ""

    def _release(self, key: Key) -> None:
        self._pending.discard(key)
        self._announcer.pop(key, None)
        ip = self._ip_of.pop(key, None)
        if ip is not None:
            self._by_ip.pop(ip, None)
            if self.pool.index(ip) < self._high:
                heapq.heappush(self._released, self.pool.index(ip))
            self._queue |= self._pending  # MetalLB retries waiting Services when an address frees up

    def _write_status(self, svc: Service, ip: str) -> bool:
        status = LoadBalancerStatus((LoadBalancerIngress(ip=ip, ip_mode=IP_MODE),))
        if svc.status.load_balancer == status:
            return False
        self._put(svc.replace(status=evolve(svc.status, load_balancer=status)))
        return True

    def _clear_status(self, svc: Service) -> bool:
        if not svc.status.load_balancer.ingress:
            return False
        self._put(svc.replace(status=evolve(svc.status, load_balancer=LoadBalancerStatus())))
        return True

    def _put(self, svc: Service) -> None:
        self._busy = True
        try:
            self.cluster.registry.put(svc)
        finally:
            self._busy = False

    def _announce(self, key: Key, svc: Service) -> None:
        slices = [s for s in (self.cluster.registry.get(EndpointSlice, key[0], n)
                              for n in self.index.slices.names(*key)) if s is not None]
        nodes = ((n.name, n.all_labels()) for n in self.cluster.topology.nodes)
        node = announcing_node(svc, slices, nodes)
        if node and node != self._announcer.get(key):
            message = f'announcing from node "{node}" with protocol "layer2"'
            record(self.cluster, NORMAL, "nodeAssigned", message, SPEAKER_SOURCE, svc)
        self._announcer[key] = node

    def __repr__(self) -> str:
        return f"<LoadBalancerController pool={self.pool.spec} allocated={len(self._by_ip)}>"
