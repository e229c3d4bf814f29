"""Who receives a Service's traffic: the EndpointSlice, Endpoints and mirroring controllers (§9).

Three controllers of kube-controller-manager, in Kubernetes' own terms:

* :class:`EndpointSliceController` (``pkg/controller/endpointslice``, reconciler in
  ``staging/src/k8s.io/endpointslice``): for every Service with a selector, the pods it selects
  (R-EP-1) that have an IP and are not terminal (R-EP-3) become endpoints with ``ready``,
  ``serving`` and ``terminating`` conditions. Each pod resolves every Service port on its own
  (R-EP-4, ``FindPort``); pods that resolve to the same port list share slices, pods missing a
  port land in slices without it (R-EP-5); endpoint ports carry the Service port's name and
  protocol (R-EP-6); at most 100 endpoints per slice; an empty placeholder slice when nothing
  matches. Slices are updated in place (stable names), named ``<service>-<5 chars>``.
* :class:`EndpointsController` (``pkg/controller/endpoint``): the same selection written as the
  legacy v1 Endpoints object named after the Service: ``subsets`` of ``addresses`` /
  ``notReadyAddresses`` and named ports, repacked into canonical form, truncated at 1000.
* :class:`EndpointSliceMirroringController` (``pkg/controller/endpointslicemirroring``): a
  hand-made Endpoints object of a Service *without* a selector is mirrored into EndpointSlices,
  unless it is labelled ``endpointslice.kubernetes.io/skip-mirror: "true"`` (R-EP-2).

Services without a selector and ExternalName Services get nothing from the first two; slices
and Endpoints written by hand are left alone. As in Kubernetes, removing a Service's selector
leaves the slices and the Endpoints object behind (kubernetes#118376); the mirroring
controller then mirrors that Endpoints object. Deleting a Service deletes its Endpoints (the
API server does this) and the slices it owns (the garbage collector does this; the
EndpointSlice controller stands in for it here).

Choices where Kubernetes is random or hashes: endpoints inside a slice are sorted by address;
a slice's ports keep the Service's port order; subsets, their addresses and ports are sorted by
port number, address and UID (``RepackSubsets`` orders them by MD5 hashes). Writes happen in
``sync``, never in watch callbacks, one Service at a time in key order.

Read helpers for the data plane and for explanations: :func:`resolve_target_port` (R-EP-4),
:func:`selected_pods` (R-EP-1) and :func:`service_endpoints` (what kube-proxy would build from
the slices, per Service port).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from grader.model.drafts import constructor
from grader.model.objects import (
    evolve,
    Endpoint,
    EndpointAddress,
    EndpointConditions,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    EndpointSubset,
    Node,
    Object,
    ObjectMeta,
    ObjectReference,
    OwnerReference,
    Pod,
    Service,
    ServicePort,
    SliceEndpointPort,
)
from grader.records import frozen
from grader.sim.controllers.labelindex import (
    ANNOTATION_TRIGGER_TIME,
    LABEL_SERVICE_NAME,
    Key,
    PodMemo,
    QueueController,
    TriggerTimes,
    cluster_index,
    endpoint_key,
    key_of,
    ready_condition,
    same_beyond_key,
    with_trigger_time,
)

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = [
    "ENDPOINTSLICE_CONTROLLER",
    "EndpointSliceController",
    "EndpointSliceMirroringController",
    "EndpointsController",
    "LABEL_MANAGED_BY",
    "LABEL_SERVICE_NAME",
    "LABEL_SKIP_MIRROR",
    "MAX_ENDPOINTS_PER_SLICE",
    "MIRRORING_CONTROLLER",
    "ResolvedEndpoint",
    "ServicePortEndpoints",
    "pod_is_ready",
    "resolve_target_port",
    "selected_pods",
    "service_endpoints",
    "should_pod_be_in_endpoints",
]

LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
LABEL_HEADLESS = "service.kubernetes.io/headless"
LABEL_ZONE = "topology.kubernetes.io/zone"
ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ANNOTATION_LEADER = "control-plane.alpha.kubernetes.io/leader"
ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io"
MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100
MAX_ENDPOINTS_CAPACITY = 1000
MAX_ENDPOINTS_PER_SUBSET = 1000
_RESERVED_SLICE_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)

# --------------------------------------------------------------------------- pods (R-EP-3, R-EP-4)

_new_endpoint = constructor(Endpoint)
_new_reference = constructor(ObjectReference)
_new_address = constructor(EndpointAddress)


def pod_is_ready(pod: Pod) -> bool:
    """``IsPodReady``: the pod's (first) ``Ready`` condition is ``True``."""
    condition = ready_condition(pod)
    return condition is not None and condition.status == "True"


_TERMINAL = frozenset(("Succeeded", "Failed"))


def _pod_ips(pod: Pod) -> tuple[str, ...]:
    """``status.podIPs`` (``status.podIP`` when only that is set)."""
    status = pod.status
    if status.pod_ips:
        return tuple([p.ip for p in status.pod_ips if p.ip])
    return (status.pod_ip,) if status.pod_ip else ()


def should_pod_be_in_endpoints(pod: Pod, include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints`` (R-EP-3): an IP, not Succeeded/Failed, terminating only if asked."""
    if pod.status.phase in _TERMINAL or not (pod.status.pod_ip or pod.status.pod_ips):
        return False
    return include_terminating or pod.metadata.deletion_timestamp is None


def resolve_target_port(service_port: ServicePort, pod: Pod) -> int | None:
    """``FindPort`` (R-EP-4): the port a pod serves ``service_port`` on, or None (R-EP-5).

    A numeric targetPort is used as is for every pod, declared or not. A named one is the
    ``containerPort`` of the first port with that name *and* the Service port's protocol,
    searching regular containers in order, then restartable ("sidecar") init containers.
    """
    target = service_port.target_port
    if not isinstance(target, str):
        return int(target)
    protocol = service_port.protocol or "TCP"
    for container in pod.spec.containers:
        for port in container.ports:
            if port.name == target and (port.protocol or "TCP") == protocol:
                return port.container_port
    for container in pod.spec.init_containers:
        if container.restart_policy == "Always":
            for port in container.ports:
                if port.name == target and (port.protocol or "TCP") == protocol:
                    return port.container_port
    return None


def _should_set_hostname(pod: Pod, service: Service) -> bool:
    spec = pod.spec
    return bool(spec.hostname) and spec.subdomain == service.metadata.name and pod.namespace == service.namespace


def _family(ip: str) -> str:
    return "IPv6" if ":" in ip else "IPv4"


def _target_ref(pod: Pod) -> ObjectReference:
    meta = pod.metadata
    return _new_reference(kind="Pod", namespace=meta.namespace, name=meta.name, uid=meta.uid)


def selected_pods(cluster: "Cluster", service: Service) -> list[Pod]:
    """The pods ``service`` selects (R-EP-1): same namespace, every selector pair; by name."""
    return cluster_index(cluster).selected_pods(service)


# --------------------------------------------------------------------------- shared machinery


@functools.lru_cache(maxsize=65536)
def _address_order(ip: str) -> tuple:
    """Numeric order for IPv4 addresses, then everything else as text."""
    try:
        a, b, c, d = ip.split(".")
        return (0, int(a), int(b), int(c), int(d))
    except ValueError:
        return (1, ip)


def _endpoint_order(ep: Endpoint) -> tuple:
    ref = ep.target_ref
    return (_address_order(ep.addresses[0]) if ep.addresses else (2, ""), ref.name if ref else "")


def _port_key(ports: tuple[SliceEndpointPort, ...]) -> tuple:
    """``NewPortMapKey``: a port list's identity, independent of order."""
    return tuple(sorted((p.name or "", p.protocol or "", p.port or 0, p.app_protocol or "") for p in ports))


def _controller_ref(owner: Object, kind: str) -> OwnerReference:
    """``metav1.NewControllerRef`` for a core/v1 owner."""
    meta = owner.metadata
    return OwnerReference(api_version="v1", kind=kind, name=meta.name, uid=meta.uid,
                          controller=True, block_owner_deletion=True)


def _sorted_slice(eps: EndpointSlice) -> EndpointSlice:
    return eps.replace(endpoints=tuple(sorted(eps.endpoints, key=_endpoint_order)))


# --------------------------------------------------------------------------- EndpointSlices


def _address_types(service: Service) -> tuple[str, ...]:
    """``getAddressTypesForService``."""
    families = tuple(f for f in ("IPv4", "IPv6") if f in service.spec.ip_families)
    if families:
        return families
    ip = service.spec.cluster_ip
    if ip and ip != "None":
        return (_family(ip),)
    return ("IPv4", "IPv6")


def _is_headless(service: Service) -> bool:
    return service.spec.cluster_ip in ("None", "")


def _slice_labels(service: Service, controller: str) -> dict[str, str]:
    """``setEndpointSliceLabels``: the Service's labels, headless marker, service name, manager."""
    labels = {k: v for k, v in service.metadata.labels.items() if k not in _RESERVED_SLICE_LABELS}
    if _is_headless(service):
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = service.metadata.name
    labels[LABEL_MANAGED_BY] = controller
    return labels


def _labels_changed(eps: EndpointSlice, service: Service) -> bool:
    """Whether the slice's non-reserved labels differ from the Service's."""
    def plain(labels: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in labels.items() if k not in _RESERVED_SLICE_LABELS}

    return plain(eps.metadata.labels) != plain(service.metadata.labels)


def _owned_by(eps: EndpointSlice, service: Service) -> bool:
    uid = service.metadata.uid
    return any(o.uid == uid and o.kind == "Service" and o.api_version == "v1" for o in eps.metadata.owner_references)


def _new_slice(service: Service, ports: tuple, address_type: str) -> EndpointSlice:
    meta = ObjectMeta(
        generate_name=f"{service.metadata.name}-", namespace=service.metadata.namespace,
        labels=_slice_labels(service, ENDPOINTSLICE_CONTROLLER),
        owner_references=(_controller_ref(service, "Service"),),
    )
    return EndpointSlice(api_version="discovery.k8s.io/v1", kind="EndpointSlice", metadata=meta,
                         address_type=address_type, ports=ports)


@functools.lru_cache(maxsize=None)
def _conditions(ready: bool | None, serving: bool | None = None, terminating: bool | None = None) -> EndpointConditions:
    return EndpointConditions(ready=ready, serving=serving, terminating=terminating)


def _pod_endpoint(pod: Pod, node: Node | None, service: Service, address_type: str) -> Endpoint:
    """``podToEndpoint`` (R-EP-3): conditions exactly as the EndpointSlice controller sets them."""
    serving = pod_is_ready(pod)
    terminating = pod.metadata.deletion_timestamp is not None
    ready = service.spec.publish_not_ready_addresses or (serving and not terminating)
    zone = node.metadata.labels.get(LABEL_ZONE) if node is not None else None
    return _new_endpoint(
        addresses=tuple(ip for ip in _pod_ips(pod) if _family(ip) == address_type),
        conditions=_conditions(ready, serving, terminating),
        hostname=pod.spec.hostname if _should_set_hostname(pod, service) else None,
        target_ref=_target_ref(pod),
        node_name=pod.spec.node_name or None,
        zone=zone or None,
    )


def _slice_ports(service: Service, pod: Pod) -> tuple[SliceEndpointPort, ...]:
    """``getEndpointPorts`` (R-EP-4..6): every Service port the pod resolves, named like it."""
    ports = []
    for sp in service.spec.ports:
        number = resolve_target_port(sp, pod)
        if number is not None:
            ports.append(SliceEndpointPort(name=sp.name, protocol=sp.protocol, port=number,
                                           app_protocol=sp.app_protocol))
    return tuple(ports)


def _per_template(cache: dict, service: Service, pod: Pod, compute: Callable[[Service, Pod], Any]) -> Any:
    """``compute(service, pod)`` for a result that depends only on the Service's ports and the
    pod's containers, remembered per those objects: pods of one template share their containers."""
    sports, spec = service.spec.ports, pod.spec
    containers, init = spec.containers, spec.init_containers
    key = (id(sports), id(containers), id(init))
    hit = cache.get(key)
    if hit is not None and hit[0] is sports and hit[1] is containers and hit[2] is init:
        return hit[3]
    found = compute(service, pod)
    if len(cache) >= 4096:
        cache.clear()
    cache[key] = (sports, containers, init, found)
    return found


_SLICE_PORTS: dict[tuple, tuple] = {}


def _slice_ports_and_key(service: Service, pod: Pod) -> tuple[tuple[SliceEndpointPort, ...], tuple]:
    ports = _slice_ports(service, pod)
    return ports, _port_key(ports)


def _slice_contribution(service: Service, address_types: tuple[str, ...], pod: Pod, node: Node | None) -> tuple | None:
    """What one pod adds to a Service's slices: its port list and, per address type, its endpoint.

    ``(ports, port-map key, address type, endpoint key, endpoint, address type, ...)``: one flat
    tuple, the cheapest thing to keep for every pod of a large cluster. None for a pod that is no
    endpoint (R-EP-3); no endpoint either when its Node is unknown, unless the Service publishes
    not-ready addresses (``reconcileByAddressType``).
    """
    if not should_pod_be_in_endpoints(pod, True):
        return None
    ports, port_key = _per_template(_SLICE_PORTS, service, pod, _slice_ports_and_key)
    found: list = [ports, port_key]
    if node is not None or service.spec.publish_not_ready_addresses:
        for address_type in address_types:
            endpoint = _pod_endpoint(pod, node, service, address_type)
            if endpoint.addresses:
                found += (address_type, endpoint_key(endpoint), endpoint)
    return tuple(found)


Contributions = list[tuple[Pod, Any, Any]]
"""``(pod, node, contribution)`` triples from :class:`PodMemo`."""


def _desired_by_port_map(contributions: Contributions, address_type: str) -> dict[tuple, tuple[tuple, dict]]:
    """Port-map key → (ports, endpoints by key): pods grouped by the port list they resolve."""
    groups: dict[tuple, tuple[tuple, dict[tuple, Endpoint]]] = {}
    for _pod, _node, contribution in contributions:
        if contribution is None:
            continue
        group = groups.setdefault(contribution[1], (contribution[0], {}))
        for i in range(2, len(contribution), 3):  # (address type, endpoint key, endpoint) triples
            if contribution[i] == address_type:
                group[1][contribution[i + 1]] = contribution[i + 2]
                break
    return dict(sorted(groups.items()))


@dataclass
class _Plan:
    create: list[EndpointSlice]
    update: list[EndpointSlice]
    delete: list[EndpointSlice]


def _plan_port_map(service: Service, existing: list[EndpointSlice], desired: dict[tuple, Endpoint],
                   ports: tuple, address_type: str) -> _Plan:
    """``reconcileByPortMapping``: keep, update, fill, then create slices for one port list."""
    plan = _Plan([], [], [])
    remaining = dict(desired)
    by_identity = {id(endpoint): key for key, endpoint in remaining.items()}
    unchanged: list[EndpointSlice] = []
    labels = _slice_labels(service, ENDPOINTSLICE_CONTROLLER)
    for eps in existing:
        kept, changed = [], False
        for endpoint in eps.endpoints:
            key = by_identity.get(id(endpoint))
            if key is None or remaining.get(key) is not endpoint:
                key = endpoint_key(endpoint)
            wanted = remaining.pop(key, None)
            if wanted is not None:
                kept.append(wanted)
                changed = changed or (wanted is not endpoint and not same_beyond_key(wanted, endpoint))
        if changed or len(kept) != len(eps.endpoints):
            if kept:
                plan.update.append(eps.replace(endpoints=tuple(kept), metadata=evolve(eps.metadata, labels=labels)))
            else:
                plan.delete.append(eps)
        elif _labels_changed(eps, service):
            plan.update.append(eps.replace(metadata=evolve(eps.metadata, labels=labels)))
        else:
            unchanged.append(eps)
    queue = sorted(remaining.values(), key=_endpoint_order)
    taken = 0
    if queue and plan.update:
        plan.update.sort(key=lambda s: (-len(s.endpoints), s.metadata.name))
        for i, eps in enumerate(plan.update):
            room = MAX_ENDPOINTS_PER_SLICE - len(eps.endpoints)
            if room > 0 and taken < len(queue):
                plan.update[i] = eps.replace(endpoints=eps.endpoints + tuple(queue[taken:taken + room]))
                taken += min(room, len(queue) - taken)
    while taken < len(queue):
        left = len(queue) - taken
        target = _slice_to_fill(unchanged, left) if left < MAX_ENDPOINTS_PER_SLICE else None
        if target is None:
            target = _new_slice(service, ports, address_type)
        else:
            unchanged.remove(target)
        room = MAX_ENDPOINTS_PER_SLICE - len(target.endpoints)
        target = target.replace(endpoints=target.endpoints + tuple(queue[taken:taken + room]))
        taken += min(room, left)
        (plan.update if target.metadata.name else plan.create).append(target)
    return plan


def _slice_to_fill(slices: list[EndpointSlice], count: int) -> EndpointSlice | None:
    """``getSliceToFill``: the unchanged slice that ``count`` more endpoints bring closest to full."""
    best, best_gap = None, MAX_ENDPOINTS_PER_SLICE
    for eps in slices:
        gap = MAX_ENDPOINTS_PER_SLICE - (count + len(eps.endpoints))
        if 0 <= gap < best_gap:
            best, best_gap = eps, gap
            if gap == 0:
                break
    return best


def _is_same_placeholder(eps: EndpointSlice, placeholder: EndpointSlice) -> bool:
    """``placeholderSliceCompare``: namespace, labels, owners, type, no ports, no endpoints."""
    a, b = eps.metadata, placeholder.metadata
    return (a.namespace, a.labels, a.owner_references, eps.address_type, eps.ports, eps.endpoints) == (
        b.namespace, b.labels, b.owner_references, placeholder.address_type, (), ())


def _plan_address_type(service: Service, contributions: Contributions,
                       existing: list[EndpointSlice], address_type: str) -> _Plan:
    """``reconcileByAddressType``: one address type's slices, placeholder included."""
    plan = _Plan([], [], [])
    by_port_map: dict[tuple, list[EndpointSlice]] = {}
    for eps in existing:
        if _owned_by(eps, service):
            by_port_map.setdefault(_port_key(eps.ports), []).append(eps)
        else:
            plan.delete.append(eps)
    desired = _desired_by_port_map(contributions, address_type)
    for key, (ports, endpoints) in desired.items():
        part = _plan_port_map(service, by_port_map.get(key, []), endpoints, ports, address_type)
        plan.create += part.create
        plan.update += part.update
        plan.delete += part.delete
    for key, slices in by_port_map.items():
        if key not in desired:
            plan.delete += slices
    if len(existing) == len(plan.delete) and not plan.create:
        placeholder = _new_slice(service, (), address_type)
        if len(plan.delete) == 1 and _is_same_placeholder(plan.delete[0], placeholder):
            plan.delete.clear()
        else:
            plan.create.append(placeholder)
    return plan


def _plan_slices(service: Service, contributions: Contributions, existing: list[EndpointSlice]) -> _Plan:
    """``Reconcile``: slices of unsupported address types go; each supported type is reconciled."""
    supported = _address_types(service)
    plan = _Plan([], [], [s for s in existing if s.address_type not in supported])
    for address_type in supported:
        mine = [s for s in existing if s.address_type == address_type]
        part = _plan_address_type(service, contributions, mine, address_type)
        plan.create += part.create
        plan.update += part.update
        plan.delete += part.delete
    return plan


def _recycle(plan: _Plan, owned: Callable[[EndpointSlice], bool]) -> None:
    """``finalize``: turn creates into updates of slices that would otherwise be deleted."""
    i = 0
    while i < len(plan.delete) and plan.create:
        doomed, fresh = plan.delete[i], plan.create[-1]
        if doomed.address_type == fresh.address_type and owned(doomed):
            plan.create.pop()
            plan.delete.pop(i)
            meta = evolve(doomed.metadata, labels=fresh.metadata.labels, annotations=fresh.metadata.annotations,
                          owner_references=fresh.metadata.owner_references)
            plan.update.append(fresh.replace(metadata=meta))
        else:
            i += 1


class EndpointSliceController(QueueController):
    """EndpointSlices for every Service with a selector (R-EP-1, R-EP-3..6)."""

    name = "endpointslice-controller"
    WATCHES = (Service, Pod, EndpointSlice)

    def __init__(self, cluster: "Cluster") -> None:
        super().__init__(cluster, "endpointslice-names")
        self._triggers = TriggerTimes()
        self._memo = PodMemo()
        self._deleted_uids: dict[Key, set[str]] = {}
        self.resync()

    def _keys_for(self, cls: type, old: Any, new: Any) -> set[Key]:
        if cls is Service:
            if new is None:
                self._deleted_uids.setdefault(key_of(old), set()).add(old.metadata.uid)
            return {key_of(new or old)}
        if cls is Pod:
            return self.index.services_for_pod_change(old, new)
        if cls is EndpointSlice:
            return {(s.metadata.namespace, s.metadata.labels[LABEL_SERVICE_NAME]) for s in (old, new)
                    if s is not None and s.metadata.labels.get(LABEL_MANAGED_BY) == ENDPOINTSLICE_CONTROLLER
                    and s.metadata.labels.get(LABEL_SERVICE_NAME)}
        return set()

    def _sync_key(self, key: Key) -> bool:
        wrote = self._collect_garbage(key)
        service = self.cluster.registry.get(Service, *key)
        if service is None or service.spec.type == "ExternalName" or not service.spec.selector:
            self._memo.forget(key)
            if service is None:
                self._triggers.forget(key)
            return wrote
        contributions = self._contributions(key, service)
        moment = self._triggers.compute(key, service, (pod for pod, _, _ in contributions))
        existing = [s for s in self.index.slices_of(*key)
                    if s.metadata.labels.get(LABEL_MANAGED_BY) == ENDPOINTSLICE_CONTROLLER]
        plan = _plan_slices(service, contributions, existing)
        _recycle(plan, lambda eps: _owned_by(eps, service))
        return self._finalize(plan, moment) or wrote

    def _contributions(self, key: Key, service: Service) -> Contributions:
        get, nodes, address_types = self.cluster.registry.get, {}, _address_types(service)

        def node_of(pod: Pod) -> Node | None:
            name = pod.spec.node_name
            if name not in nodes:
                nodes[name] = get(Node, "", name) if name else None
            return nodes[name]

        return self._memo.contributions(
            key, service, self.index.iter_selected_pods(service),
            lambda pod, node: _slice_contribution(service, address_types, pod, node), node_of,
        )

    def _collect_garbage(self, key: Key) -> bool:
        """Stand in for the garbage collector: delete slices whose owning Service was deleted."""
        gone = self._deleted_uids.pop(key, set())
        wrote = False
        for eps in self.index.slices_of(*key) if gone else ():
            owners = eps.metadata.owner_references
            if owners and all(o.kind == "Service" and o.uid in gone for o in owners):
                wrote = self.client.delete(eps) or wrote
        return wrote

    def _finalize(self, plan: _Plan, moment: datetime | None) -> bool:
        stamp = lambda eps: _sorted_slice(eps.replace(  # noqa: E731 - one-line helper
            metadata=evolve(eps.metadata, annotations=with_trigger_time(eps.metadata.annotations, moment))))
        wrote = False
        for eps in plan.create:
            self.client.create(stamp(eps))
            wrote = True
        for eps in plan.update:
            stored = self.cluster.registry.get(EndpointSlice, eps.metadata.namespace, eps.metadata.name)
            if stored is not None:
                wrote = self.client.update(stored, stamp(eps)) or wrote
        for eps in plan.delete:
            wrote = self.client.delete(eps) or wrote
        return wrote


# --------------------------------------------------------------------------- v1 Endpoints


def _address_family(service: Service, pod: Pod) -> str:
    """``podToEndpointAddressForService``: the Service's first family, else its IP's, else the pod's."""
    if service.spec.ip_families:
        return service.spec.ip_families[0]
    ip = service.spec.cluster_ip
    if ip and ip != "None":
        return _family(ip)
    return _family(pod.status.pod_ip) if pod.status.pod_ip else "IPv4"


def _address_key(address: EndpointAddress) -> tuple:
    """``LessEndpointAddress``: by IP (as a string), then by target UID, no target first."""
    ref = address.target_ref
    return (address.ip, ref is not None, ref.uid if ref is not None else "")


LegacyEntry = tuple[tuple, EndpointAddress, bool, "EndpointPort | None"]
"""``(address key, address, ready, port)``: one pod on one Service port (port None: no ports)."""


def _legacy_entries(service: Service, pod: Pod) -> tuple:
    """What one pod adds to the Endpoints object: an entry per resolved Service port (``syncService``).

    ``(address key, address, ready, port, port, ...)``: the entries share all but the port, so
    one flat tuple holds them (see :func:`_entries`); empty when the pod adds nothing.
    """
    tolerate = service.spec.publish_not_ready_addresses
    if not should_pod_be_in_endpoints(pod, tolerate):
        return ()
    family = _address_family(service, pod)
    ip = next((ip for ip in _pod_ips(pod) if _family(ip) == family), None)
    if ip is None:
        return ()
    address = _new_address(
        ip=ip, hostname=pod.spec.hostname if _should_set_hostname(pod, service) else "",
        node_name=pod.spec.node_name or None, target_ref=_target_ref(pod),
    )
    ready, key = tolerate or pod_is_ready(pod), _address_key(address)
    if not service.spec.ports:
        return (key, address, ready, None) if service.spec.cluster_ip == "None" else ()
    ports = _per_template(_LEGACY_PORTS, service, pod, _legacy_ports)
    return (key, address, ready, *ports) if ports else ()


def _entries(contributions: Contributions) -> Iterator[LegacyEntry]:
    """The ``(address key, address, ready, port)`` entries of :func:`_legacy_entries`' tuples."""
    for _pod, _dependency, flat in contributions:
        if flat:
            key, address, ready = flat[0], flat[1], flat[2]
            for i in range(3, len(flat)):
                yield key, address, ready, flat[i]


def _legacy_ports(service: Service, pod: Pod) -> tuple[EndpointPort, ...]:
    """The Endpoints ports of one pod: one per Service port it resolves (R-EP-4, R-EP-5)."""
    ports = []
    for sp in service.spec.ports:
        number = resolve_target_port(sp, pod)
        if number is not None:
            ports.append(EndpointPort(name=sp.name, port=number, protocol=sp.protocol, app_protocol=sp.app_protocol))
    return tuple(ports)


_LEGACY_PORTS: dict[tuple, tuple] = {}


def _repack(entries: Iterable[LegacyEntry]) -> tuple[EndpointSubset, ...]:
    """``RepackSubsets``: one subset per distinct address set; not-ready wins over ready."""
    addresses: dict[tuple, EndpointAddress] = {}
    by_port: dict[EndpointPort | None, dict[tuple, bool]] = {}
    for key, address, ready, port in entries:
        addresses.setdefault(key, address)
        seen = by_port.setdefault(port, {})
        if seen.get(key, True):
            seen[key] = ready
    groups: dict[frozenset, list[EndpointPort | None]] = {}
    for port, seen in by_port.items():
        groups.setdefault(frozenset(seen.items()), []).append(port)
    subsets = []
    for members, ports in groups.items():
        ordered = sorted(members)
        subsets.append(EndpointSubset(
            addresses=tuple(addresses[k] for k, ready in ordered if ready),
            not_ready_addresses=tuple(addresses[k] for k, ready in ordered if not ready),
            ports=tuple(sorted((p for p in ports if p is not None), key=_endpoint_port_order)),
        ))
    return tuple(sorted(subsets, key=_subset_order))


def _endpoint_port_order(port: EndpointPort) -> tuple:
    return (port.port, port.name, port.protocol)


def _subset_order(subset: EndpointSubset) -> tuple:
    return (tuple(_endpoint_port_order(p) for p in subset.ports),
            tuple(_address_key(a) for a in subset.addresses + subset.not_ready_addresses))


def _truncate(subsets: tuple[EndpointSubset, ...]) -> tuple[tuple[EndpointSubset, ...], bool]:
    """``truncateEndpoints``: keep at most 1000 addresses, ready ones first, proportionally."""
    total_ready = sum(len(s.addresses) for s in subsets)
    total_not_ready = sum(len(s.not_ready_addresses) for s in subsets)
    if total_ready + total_not_ready <= MAX_ENDPOINTS_CAPACITY:
        return subsets, False
    truncate_ready = total_ready > MAX_ENDPOINTS_CAPACITY
    limit = MAX_ENDPOINTS_CAPACITY if truncate_ready else MAX_ENDPOINTS_CAPACITY - total_ready
    total = total_ready if truncate_ready else total_not_ready
    room, result = limit, []
    for subset in subsets:
        count = len(subset.addresses) if truncate_ready else len(subset.not_ready_addresses)
        share = min(-(-count * limit // total) if total else 0, room)
        if truncate_ready:
            subset = evolve(subset, addresses=subset.addresses[:share], not_ready_addresses=())
            room -= len(subset.addresses)
        else:
            subset = evolve(subset, not_ready_addresses=subset.not_ready_addresses[:share])
            room -= len(subset.not_ready_addresses)
        result.append(subset)
    return tuple(result), True


class EndpointsController(QueueController):
    """The legacy v1 Endpoints object of every Service with a selector (R-EP-3..5, R-EP-7)."""

    name = "endpoint-controller"
    WATCHES = (Service, Pod, Endpoints)

    def __init__(self, cluster: "Cluster") -> None:
        super().__init__(cluster, "endpoints-names")
        self._triggers = TriggerTimes()
        self._memo = PodMemo()
        self.resync()
        self._queue.update(key_of(e) for e in cluster.registry.iter(Endpoints))

    def _keys_for(self, cls: type, old: Any, new: Any) -> set[Key]:
        if cls is Service:
            return {key_of(new or old)}
        if cls is Pod:
            return self.index.services_for_pod_change(old, new)
        if cls is Endpoints and new is None:
            return {key_of(old)}
        return set()

    def _sync_key(self, key: Key) -> bool:
        registry = self.cluster.registry
        service = registry.get(Service, *key)
        current = registry.get(Endpoints, *key)
        if service is None or service.spec.type == "ExternalName" or not service.spec.selector:
            self._memo.forget(key)
            if service is not None:
                return False
            self._triggers.forget(key)
            return current is not None and self.client.delete(current)
        contributions = self._memo.contributions(
            key, service, self.index.iter_selected_pods(service), lambda pod, _: _legacy_entries(service, pod))
        moment = self._triggers.compute(key, service, (pod for pod, _, _ in contributions))
        subsets = _repack(_entries(contributions))
        if current is not None and self._up_to_date(current, service, subsets):
            return False
        return self._write(service, current, subsets, moment)

    @staticmethod
    def _up_to_date(current: Endpoints, service: Service, subsets: tuple[EndpointSubset, ...]) -> bool:
        labels = {k: v for k, v in current.metadata.labels.items() if k != LABEL_HEADLESS}
        count = sum(len(s.addresses) + len(s.not_ready_addresses) for s in current.subsets)
        capacity_ok = count <= MAX_ENDPOINTS_CAPACITY and ANNOTATION_OVER_CAPACITY not in current.metadata.annotations
        return current.subsets == subsets and labels == service.metadata.labels and capacity_ok

    def _write(self, service: Service, current: Endpoints | None, subsets: tuple, moment: datetime | None) -> bool:
        subsets, truncated = _truncate(subsets)
        base = current or Endpoints(
            api_version="v1", kind="Endpoints",
            metadata=ObjectMeta(name=service.metadata.name, namespace=service.metadata.namespace),
        )
        annotations = with_trigger_time(base.metadata.annotations, moment)
        if truncated:
            annotations[ANNOTATION_OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(ANNOTATION_OVER_CAPACITY, None)
        labels = dict(service.metadata.labels)
        if _is_headless(service):
            labels[LABEL_HEADLESS] = ""
        else:
            labels.pop(LABEL_HEADLESS, None)
        new = base.replace(subsets=subsets, metadata=evolve(base.metadata, labels=labels, annotations=annotations))
        if current is None:
            self.client.create(new)
            return True
        return self.client.update(current, new)


# --------------------------------------------------------------------------- mirroring (R-EP-2)


def _should_mirror(endpoints: Endpoints | None) -> bool:
    """``shouldMirror``: not skip-mirror labelled, not a leader-election record."""
    if endpoints is None:
        return False
    meta = endpoints.metadata
    return meta.labels.get(LABEL_SKIP_MIRROR) != "true" and ANNOTATION_LEADER not in meta.annotations


def _restringify(ip: str) -> str | None:
    """``ParseIPSloppy`` then ``String()``: a canonical address, IPv4 leading zeros allowed."""
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        parts = ip.split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
            return ".".join(str(int(p)) for p in parts)
        return None


def _mirrored_endpoint(address: EndpointAddress, ready: bool) -> tuple[str, Endpoint] | None:
    """``addressToEndpoint``: one endpoint and its address type, or None for a bad IP."""
    ip = _restringify(address.ip)
    if ip is None:
        return None
    endpoint = Endpoint(addresses=(ip,), conditions=_conditions(ready),
                        hostname=address.hostname or None, target_ref=address.target_ref,
                        node_name=address.node_name)
    return _family(ip), endpoint


def _mirror_desired(endpoints: Endpoints) -> dict[tuple, tuple[tuple, dict[tuple, Endpoint]]]:
    """``desiredCalc``: (address type, port map) → (ports, endpoints), 1000 addresses per subset."""
    desired: dict[tuple, tuple[tuple, dict[tuple, Endpoint]]] = {}
    for subset in endpoints.subsets:
        ports = tuple(SliceEndpointPort(name=p.name, port=p.port, protocol=p.protocol, app_protocol=p.app_protocol)
                      for p in subset.ports)
        for address_type in ("IPv4", "IPv6"):
            desired.setdefault((address_type, _port_key(ports)), (ports, {}))
        added = 0
        candidates = [(a, True) for a in subset.addresses] + [(a, False) for a in subset.not_ready_addresses]
        for address, ready in candidates:
            if added >= MAX_ENDPOINTS_PER_SUBSET:
                break
            found = _mirrored_endpoint(address, ready)
            if found is not None:
                address_type, endpoint = found
                desired[(address_type, _port_key(ports))][1][endpoint_key(endpoint)] = endpoint
                added += 1
    return desired


def _mirror_meta(endpoints: Endpoints) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and annotations of a mirrored slice (``newEndpointSlice`` of the mirroring controller)."""
    meta = endpoints.metadata
    labels = {**meta.labels, LABEL_SERVICE_NAME: meta.name, LABEL_MANAGED_BY: MIRRORING_CONTROLLER}
    skipped = (ANNOTATION_TRIGGER_TIME, ANNOTATION_LAST_APPLIED)
    annotations = {k: v for k, v in meta.annotations.items() if k not in skipped}
    return labels, annotations


def _mirror_slice(endpoints: Endpoints, ports: tuple, address_type: str, name: str,
                  members: dict[tuple, Endpoint]) -> EndpointSlice:
    labels, annotations = _mirror_meta(endpoints)
    meta = ObjectMeta(
        name=name, generate_name="" if name else f"{endpoints.metadata.name}-",
        namespace=endpoints.metadata.namespace, labels=labels, annotations=annotations,
        owner_references=(_controller_ref(endpoints, "Endpoints"),),
    )
    chosen = tuple(sorted(members.values(), key=_endpoint_order))[:MAX_ENDPOINTS_PER_SUBSET]
    return EndpointSlice(api_version="discovery.k8s.io/v1", kind="EndpointSlice", metadata=meta,
                         address_type=address_type, ports=ports, endpoints=chosen)


def _mirror_unchanged(eps: EndpointSlice, endpoints: Endpoints, members: dict[tuple, Endpoint]) -> bool:
    """``totalChanges`` is zero and the slice's labels and annotations are the desired ones."""
    labels, annotations = _mirror_meta(endpoints)
    if len(eps.endpoints) != len(members) or (eps.metadata.labels, eps.metadata.annotations) != (labels, annotations):
        return False
    for endpoint in eps.endpoints:
        wanted = members.get(endpoint_key(endpoint))
        if wanted is None or not same_beyond_key(wanted, endpoint):
            return False
    return True


def _plan_mirror(endpoints: Endpoints, existing: list[EndpointSlice]) -> _Plan:
    """The mirroring ``reconcile``: one slice per (address type, port list), the rest deleted."""
    plan = _Plan([], [], [])
    by_key: dict[tuple, list[EndpointSlice]] = {}
    for eps in existing:
        by_key.setdefault((eps.address_type, _port_key(eps.ports)), []).append(eps)
    desired = _mirror_desired(endpoints)
    for key, (ports, members) in desired.items():
        slices = by_key.get(key, [])
        if not members:
            plan.delete += slices
            continue
        plan.delete += slices[1:]
        if slices and _mirror_unchanged(slices[0], endpoints, members):
            continue
        name = slices[0].metadata.name if slices else ""
        target = plan.update if name else plan.create
        target.append(_mirror_slice(endpoints, ports, key[0], name, members))
    for key, slices in by_key.items():
        if key not in desired:
            plan.delete += slices
    return plan


class EndpointSliceMirroringController(QueueController):
    """Mirrors hand-made Endpoints of selectorless Services into EndpointSlices (R-EP-2)."""

    name = "endpointslicemirroring-controller"
    WATCHES = (Endpoints, Service, EndpointSlice)

    def __init__(self, cluster: "Cluster") -> None:
        super().__init__(cluster, "endpointslicemirroring-names")
        self._queue.update(key_of(e) for e in cluster.registry.iter(Endpoints))

    def _keys_for(self, cls: type, old: Any, new: Any) -> set[Key]:
        if cls is Endpoints:
            return {key_of(new or old)} if _should_mirror(new) or _should_mirror(old) else set()
        if cls is Service:
            if old is None or new is None:
                return set() if (new or old).spec.selector else {key_of(new or old)}
            return {key_of(new)} if bool(old.spec.selector) != bool(new.spec.selector) else set()
        if cls is EndpointSlice:
            return {(s.metadata.namespace, s.metadata.labels[LABEL_SERVICE_NAME]) for s in (old, new)
                    if s is not None and s.metadata.labels.get(LABEL_MANAGED_BY) == MIRRORING_CONTROLLER
                    and s.metadata.labels.get(LABEL_SERVICE_NAME)}
        return set()

    def resync(self) -> None:
        """Queue every Endpoints object again."""
        self._queue.update(key_of(e) for e in self.cluster.registry.iter(Endpoints))

    def _sync_key(self, key: Key) -> bool:
        registry = self.cluster.registry
        endpoints = registry.get(Endpoints, *key)
        service = registry.get(Service, *key)
        mirrored = [s for s in self.index.slices_of(*key)
                    if s.metadata.labels.get(LABEL_MANAGED_BY) == MIRRORING_CONTROLLER]
        if not _should_mirror(endpoints) or service is None or service.spec.selector:
            plan = _Plan([], [], mirrored)
        else:
            plan = _plan_mirror(endpoints, mirrored)
            _recycle(plan, lambda eps: True)
        wrote = False
        for eps in plan.create:
            self.client.create(_sorted_slice(eps))
            wrote = True
        for eps in plan.update:
            stored = registry.get(EndpointSlice, eps.metadata.namespace, eps.metadata.name)
            if stored is not None:
                wrote = self.client.update(stored, _sorted_slice(eps)) or wrote
        for eps in plan.delete:
            wrote = self.client.delete(eps) or wrote
        return wrote


# --------------------------------------------------------------------------- read helper for kube-proxy


@frozen
class ResolvedEndpoint:
    """One backend of one Service port, as kube-proxy sees it in the slices (R-KP-8 input).

    ``ready``/``serving`` default to True and ``terminating`` to False when a slice leaves them
    unset, exactly as kube-proxy reads them. ``node_name`` is ``""`` when unknown; ``target`` is
    the pod (None for hand-made endpoints); ``slice_name`` is the slice it came from.
    """

    ip: str
    port: int
    ready: bool
    serving: bool
    terminating: bool
    node_name: str = ""
    zone: str = ""
    target: ObjectReference | None = None
    slice_name: str = ""

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


@frozen
class ServicePortEndpoints:
    """The endpoints of one Service port, sorted by ``ip:port`` (kube-proxy's order)."""

    service_port: ServicePort
    endpoints: tuple[ResolvedEndpoint, ...]

    @property
    def ready(self) -> tuple[ResolvedEndpoint, ...]:
        """The endpoints whose ``ready`` condition holds."""
        return tuple(e for e in self.endpoints if e.ready)


def _resolved(eps: EndpointSlice, endpoint: Endpoint, port: int) -> ResolvedEndpoint:
    c = endpoint.conditions
    return ResolvedEndpoint(
        ip=endpoint.addresses[0], port=port, ready=c.ready is not False, serving=c.serving is not False,
        terminating=c.terminating is True, node_name=endpoint.node_name or "", zone=endpoint.zone or "",
        target=endpoint.target_ref, slice_name=eps.metadata.name,
    )


def service_endpoints(cluster: "Cluster", service: Service) -> list[ServicePortEndpoints]:
    """Per Service port, in ``spec.ports`` order, the endpoints kube-proxy would program.

    Read from every EndpointSlice labelled ``kubernetes.io/service-name=<service>`` in the
    Service's namespace, whoever wrote it (controller, mirroring, by hand: R-EP-2), the way
    ``EndpointSliceCache`` does: a slice port counts for the Service port with the same *name*
    and protocol (R-EP-6); ports without a number are ignored; each endpoint contributes its
    first address; addresses of the other IP family are ignored; ``ip:port`` duplicates across
    slices collapse (the first slice by name wins). Which endpoints are *usable* (ready, or
    serving-and-terminating as a fallback; per node for Local policies) is R-KP-8's business.
    """
    family = service.spec.ip_families[0] if service.spec.ip_families else "IPv4"
    slices = cluster_index(cluster).slices_of(service.metadata.namespace, service.metadata.name)
    result = []
    for sp in service.spec.ports:
        found: dict[str, ResolvedEndpoint] = {}
        for eps in slices:
            for port in eps.ports:
                if (port.name or "") != sp.name or (port.protocol or "TCP") != sp.protocol or not port.port:
                    continue
                for endpoint in eps.endpoints:
                    if endpoint.addresses and _family(endpoint.addresses[0]) == family:
                        resolved = _resolved(eps, endpoint, port.port)
                        found.setdefault(str(resolved), resolved)
        result.append(ServicePortEndpoints(sp, tuple(found[k] for k in sorted(found))))
    return result
