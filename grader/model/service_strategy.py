"""The Service registry's own steps around allocation and validation (R-SU-1..5, R-SD-7).

Pure functions of (old, new) that return the new Service, ported from
``pkg/registry/core/service/storage/storage.go`` (``normalizeClusterIPs``,
``patchAllocatedValues``, ``defaultOnReadService``) and ``pkg/registry/core/service/strategy.go``
(``PrepareForCreate``, ``PrepareForUpdate``, ``dropTypeDependentFields``).

The API server's order of work, which callers should follow:

* create: :func:`~grader.model.service_defaults.default_service` → :func:`begin_create`
  (normalize clusterIPs, fill IP families) → allocate → :func:`prepare_for_create` → validate;
* update: ``default_service(new)`` → :func:`begin_update` (old read-defaulted, allocated
  values patched in, clusterIPs normalized, IP families filled) → allocate/release →
  :func:`prepare_for_update` (status kept, type-dependent fields dropped) → validate.

Allocation on update runs *before* the type-dependent clean-up, so a stale ``nodePort`` left
in a ClusterIP manifest is released by the allocator and wiped here (R-SU-2, S51).
"""

from __future__ import annotations


from grader.model.objects import evolve, LoadBalancerStatus, Service, ServiceSpec, ServiceStatus
from grader.model.service_defaults import (
    CLUSTER_IP_NONE,
    family_of,
    fill_ip_families,
    is_externally_accessible,
    needs_cluster_ip,
    needs_health_check_node_port,
    needs_node_ports,
)

__all__ = [
    "begin_create",
    "begin_update",
    "default_on_read",
    "drop_type_dependent_fields",
    "normalize_cluster_ips",
    "patch_allocated_values",
    "prepare_for_create",
    "prepare_for_update",
]


def _with_spec(svc: Service, **changes: object) -> Service:
    return evolve(svc, spec=evolve(svc.spec, **changes))


# --------------------------------------------------------------------------- clusterIP / clusterIPs


def _normalized_update_ips(old: ServiceSpec, new: ServiceSpec) -> tuple[str, ...]:
    ips = new.cluster_ips
    if old.cluster_ips and not ips and old.cluster_ip == new.cluster_ip:
        ips = old.cluster_ips  # an old client left clusterIPs out
    if old.cluster_ip != new.cluster_ip and old.cluster_ips == ips:
        cleared = bool(old.cluster_ip) and not new.cluster_ip
        ips = () if cleared else (new.cluster_ip,)
    return ips


def normalize_cluster_ips(svc: Service, old: Service | None = None) -> Service:
    """``normalizeClusterIPs``: keep ``clusterIP`` and ``clusterIPs`` in step.

    On create a lone ``clusterIP`` also fills ``clusterIPs``; on update an omitted
    ``clusterIPs`` follows the old value, and a changed ``clusterIP`` carries ``clusterIPs``
    along when the client did not touch them (validation then reports the change, R-SU-5).
    """
    spec = svc.spec
    if old is None:
        if spec.cluster_ip and not spec.cluster_ips:
            return _with_spec(svc, cluster_ips=(spec.cluster_ip,))
        return svc
    ips = _normalized_update_ips(old.spec, spec)
    return svc if ips == spec.cluster_ips else _with_spec(svc, cluster_ips=ips)


# --------------------------------------------------------------------------- keeping allocated values


def _node_ports(spec: ServiceSpec) -> set[int]:
    return {p.node_port for p in spec.ports if p.node_port}


def _patched_node_ports(old: ServiceSpec, new: ServiceSpec) -> ServiceSpec:
    """NodePorts the update left out come back by port *name*, unless another port took them."""
    used = _node_ports(old) & _node_ports(new)
    by_name = {p.name: p.node_port for p in old.ports}
    ports = tuple(
        evolve(p, node_port=by_name.get(p.name, 0))
        if p.node_port == 0 and by_name.get(p.name, 0) not in used
        else p
        for p in new.ports
    )
    return evolve(new, ports=ports)


def patch_allocated_values(old: Service, new: Service) -> Service:
    """``patchAllocatedValues``: re-applying the same manifest keeps what the server allocated.

    Applies only while both the old and the new service need the value: clusterIP(s) for
    non-ExternalName services, nodePorts for NodePort/LoadBalancer, healthCheckNodePort for
    LoadBalancer + Local.
    """
    o, spec = old.spec, new.spec
    if needs_cluster_ip(o) and needs_cluster_ip(spec):
        ip = spec.cluster_ip or o.cluster_ip
        ips = spec.cluster_ips or o.cluster_ips
        spec = evolve(spec, cluster_ip=ip, cluster_ips=ips)
    if needs_node_ports(o) and needs_node_ports(spec):
        spec = _patched_node_ports(o, spec)
    both_need_hc = needs_health_check_node_port(o) and needs_health_check_node_port(spec)
    if both_need_hc and spec.health_check_node_port == 0:
        spec = evolve(spec, health_check_node_port=o.health_check_node_port)
    return evolve(new, spec=spec)


# --------------------------------------------------------------------------- reading stored objects


def _read_ip_families(spec: ServiceSpec) -> ServiceSpec:
    """``defaultOnReadIPFamilies`` for a cluster whose primary family is IPv4."""
    if not needs_cluster_ip(spec) or spec.ip_families:
        return spec
    if spec.cluster_ip == CLUSTER_IP_NONE:
        if not spec.selector:
            families = ("IPv4", "IPv6")
            return evolve(spec, ip_family_policy="RequireDualStack", ip_families=families)
        return evolve(spec, ip_family_policy="SingleStack", ip_families=("IPv4",))
    families = tuple("IPv6" if family_of(ip) == "IPv6" else "IPv4" for ip in spec.cluster_ips)
    policy = {1: "SingleStack", 2: "RequireDualStack"}.get(len(families), spec.ip_family_policy)
    return evolve(spec, ip_families=families, ip_family_policy=policy)


def default_on_read(svc: Service) -> Service:
    """``defaultOnReadService``: what every read (and the old object of an update) looks like.

    clusterIPs synced, IP families filled for objects stored without them, and no
    ``internalTrafficPolicy`` on ExternalName services (it was once defaulted by mistake).
    """
    spec = normalize_cluster_ips(svc).spec
    spec = _read_ip_families(spec)
    if spec.type == "ExternalName":
        spec = evolve(spec, internal_traffic_policy=None)
    return svc if spec == svc.spec else evolve(svc, spec=spec)


def begin_create(svc: Service) -> Service:
    """``beginCreate`` before allocation: clusterIPs normalized, IP families filled."""
    return fill_ip_families(normalize_cluster_ips(svc))


def begin_update(old: Service, new: Service) -> Service:
    """``beginUpdate`` before allocation: patch allocated values, normalize, fill IP families.

    ``old`` is read-defaulted first (:func:`default_on_read`); use that view of it for
    validation too.
    """
    old = default_on_read(old)
    new = normalize_cluster_ips(patch_allocated_values(old, new), old)
    return fill_ip_families(new, old)


# --------------------------------------------------------------------------- strategy


def prepare_for_create(svc: Service) -> Service:
    """``PrepareForCreate``: users cannot set status."""
    return evolve(svc, status=ServiceStatus())


def _same_node_ports(old: ServiceSpec, new: ServiceSpec) -> bool:
    """``sameNodePorts``: the update asks for no nodePort the service did not already have."""
    return _node_ports(new) <= _node_ports(old)


def _dropped_cluster_ip_fields(old: ServiceSpec, new: ServiceSpec) -> dict[str, object]:
    changes: dict[str, object] = {}
    if old.cluster_ip == new.cluster_ip and old.cluster_ips == new.cluster_ips:
        changes.update(cluster_ip="", cluster_ips=())
    if old.ip_families == new.ip_families:
        changes["ip_families"] = ()
    if old.ip_family_policy == new.ip_family_policy:
        changes["ip_family_policy"] = None
    return changes


def _allocate_lb_node_ports_dropped(old: ServiceSpec, new: ServiceSpec) -> bool:
    leaving_lb = old.type == "LoadBalancer" and new.type != "LoadBalancer"
    before, after = old.allocate_load_balancer_node_ports, new.allocate_load_balancer_node_ports
    return leaving_lb and before is not None and after is not None and before == after


def _type_dependent_changes(old: ServiceSpec, new: ServiceSpec) -> dict[str, object]:
    """Every field ``dropTypeDependentFields`` wipes, each only if the user left it unchanged."""
    changes: dict[str, object] = {}
    if needs_cluster_ip(old) and not needs_cluster_ip(new):
        changes.update(_dropped_cluster_ip_fields(old, new))
    if needs_node_ports(old) and not needs_node_ports(new) and _same_node_ports(old, new):
        changes["ports"] = tuple(evolve(p, node_port=0) for p in new.ports)
    hc_dropped = needs_health_check_node_port(old) and not needs_health_check_node_port(new)
    if hc_dropped and old.health_check_node_port == new.health_check_node_port:
        changes["health_check_node_port"] = 0
    if _allocate_lb_node_ports_dropped(old, new):
        changes["allocate_load_balancer_node_ports"] = None
    lb_class_dropped = old.type == "LoadBalancer" and new.type != "LoadBalancer"
    if lb_class_dropped and old.load_balancer_class == new.load_balancer_class:
        changes["load_balancer_class"] = None
    etp_dropped = is_externally_accessible(old) and not is_externally_accessible(new)
    if etp_dropped and old.external_traffic_policy == new.external_traffic_policy:
        changes["external_traffic_policy"] = ""
    return changes


def drop_type_dependent_fields(old: Service, new: Service) -> Service:
    """``dropTypeDependentFields`` (R-SU-2, R-SU-3): wipe what a type change makes meaningless.

    A field is wiped only when the new type no longer uses it *and* the request did not
    change it (so a stale value from the old manifest goes away, while a newly requested
    one reaches validation and is rejected, e.g. R-SV-14). The LoadBalancer status is
    cleared whenever the new type is not LoadBalancer.
    """
    changes = _type_dependent_changes(old.spec, new.spec)
    out = _with_spec(new, **changes) if changes else new
    if out.spec.type != "LoadBalancer" and out.status.load_balancer != LoadBalancerStatus():
        status = evolve(out.status, load_balancer=LoadBalancerStatus())
        out = evolve(out, status=status)
    return out


def prepare_for_update(old: Service, new: Service) -> Service:
    """``PrepareForUpdate``: the status stays the stored one, then the type-dependent drops."""
    return drop_type_dependent_fields(old, evolve(new, status=old.status))
