"""What the Service registry allocates, on create and on update (R-API-3, R-NP-*, R-SU-1/4).

This follows the API server's ``alloc.go``: ClusterIPs first, then nodePorts walking the ports
in order (ports that share a ``port`` number share a nodePort, R-NP-5), then the
healthCheckNodePort for LoadBalancer + Local. Allocation happens *before* validation, so an
allocator complaint is the only error the learner sees (R-API-3). All work is recorded on a
:class:`~grader.sim.allocators.Transaction` so that a failure gives everything back.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.model.apierrors import ApiError, ApiRejection
from grader.model.fielderrors import GoLiteral, go_quote, invalid
from grader.model.objects import evolve, Service, ServicePort, ServiceSpec
from grader.model.service_defaults import (
    needs_cluster_ip,
    needs_health_check_node_port,
)
from grader.sim.allocators import (
    AllocationError,
    ClusterIPAllocator,
    NodePortAllocator,
    Transaction,
)

__all__ = ["ServiceAllocators", "allocate_create", "allocate_update", "release_all"]


@dataclass
class ServiceAllocators:
    """The two cluster-wide pools a Service draws from."""

    cluster_ips: ClusterIPAllocator
    node_ports: NodePortAllocator


def _should_allocate_node_ports(spec: ServiceSpec) -> bool:
    if spec.type == "NodePort":
        return True
    if spec.type == "LoadBalancer":
        return spec.allocate_load_balancer_node_ports in (None, True)
    return False


def _reject_port(svc: Service, index: int, port: int, exc: AllocationError) -> ApiRejection:
    err = invalid(f"spec.ports[{index}].nodePort", port, str(exc))
    return ApiRejection(ApiError.invalid("Service", "Service", svc.name, [err]))


def _internal(svc: Service, detail: str) -> ApiRejection:
    return ApiRejection(ApiError.internal("Service", "Service", svc.name, detail))


def _take_port(pool: NodePortAllocator, txn: Transaction, port: int) -> None:
    pool.allocate(port)
    txn.did(lambda: pool.release(port))


def _take_next_port(pool: NodePortAllocator, txn: Transaction) -> int:
    port = pool.allocate_next()
    txn.did(lambda: pool.release(port))
    return port


def _with_ports(svc: Service, ports: list[ServicePort]) -> Service:
    return svc.replace(spec=evolve(svc.spec, ports=tuple(ports)))


# --------------------------------------------------------------------------- ClusterIPs


def _alloc_cluster_ip(svc: Service, pool: ClusterIPAllocator, txn: Transaction) -> Service:
    spec = svc.spec
    if not needs_cluster_ip(spec):
        return svc
    wanted = spec.cluster_ip or (spec.cluster_ips[0] if spec.cluster_ips else "")
    if wanted:
        try:
            pool.allocate(wanted)
        except ValueError:
            return svc  # not an IP at all: validation reports it
        except AllocationError as exc:
            ips = ", ".join(go_quote(ip) for ip in (spec.cluster_ips or (wanted,)))
            value = GoLiteral("[]string{" + ips + "}")
            err = invalid("spec.clusterIPs", value, f"failed to allocate IP {wanted}: {exc}")
            raise ApiRejection(ApiError.invalid("Service", "Service", svc.name, [err])) from None
        txn.did(lambda: pool.release(wanted))
        ip = wanted
    else:
        try:
            ip = pool.allocate_next()
        except AllocationError as exc:
            raise _internal(svc, f"failed to allocate a serviceIP: {exc}") from None
        txn.did(lambda: pool.release(ip))
    new_spec = evolve(spec, cluster_ip=ip, cluster_ips=(ip,))
    return svc.replace(spec=new_spec)


# --------------------------------------------------------------------------- nodePorts


def _requested_node_port(port: int, ports: tuple[ServicePort, ...]) -> int:
    return next((p.node_port for p in ports if p.port == port and p.node_port), 0)


def _init_node_ports(svc: Service, pool: NodePortAllocator, txn: Transaction) -> Service:
    """Create-time nodePorts: the API server's ``initNodePorts``."""
    allocate_new = _should_allocate_node_ports(svc.spec)
    by_port: dict[int, int] = {}
    ports = list(svc.spec.ports)
    for i, sp in enumerate(ports):
        if sp.node_port == 0 and not allocate_new:
            continue
        shared = by_port.get(sp.port, 0)
        if shared == 0:
            np = _requested_node_port(sp.port, svc.spec.ports)
            try:
                if np:
                    _take_port(pool, txn, np)
                else:
                    np = _take_next_port(pool, txn)
            except AllocationError as exc:
                if np:
                    raise _reject_port(svc, i, np, exc) from None
                raise _internal(svc, f"failed to allocate a nodePort: {exc}") from None
            ports[i] = evolve(sp, node_port=np)
            by_port[sp.port] = np
        elif sp.node_port == 0:
            ports[i] = evolve(sp, node_port=shared)
        elif sp.node_port != shared:
            try:
                _take_port(pool, txn, sp.node_port)
            except AllocationError as exc:
                raise _reject_port(svc, i, sp.node_port, exc) from None
    return _with_ports(svc, ports)


def _update_node_ports(new: Service, old: Service, pool: NodePortAllocator, txn: Transaction) -> Service:
    """Update-time nodePorts: the API server's ``updateNodePorts``."""
    old_numbers = {p.node_port for p in old.spec.ports if p.node_port}
    allocate_new = _should_allocate_node_ports(new.spec)
    taken: set[int] = set()
    ports = list(new.spec.ports)
    for i, sp in enumerate(ports):
        if sp.node_port == 0 and not allocate_new:
            continue
        if sp.node_port:
            if sp.node_port not in old_numbers and sp.node_port not in taken:
                try:
                    _take_port(pool, txn, sp.node_port)
                except AllocationError as exc:
                    raise _reject_port(new, i, sp.node_port, exc) from None
                taken.add(sp.node_port)
        else:
            try:
                ports[i] = evolve(sp, node_port=_take_next_port(pool, txn))
            except AllocationError as exc:
                raise _internal(new, f"failed to allocate a nodePort: {exc}") from None
    new_numbers = {p.node_port for p in ports if p.node_port}
    for number in sorted(old_numbers - new_numbers):
        txn.defer(lambda n=number: pool.release(n))
    return _with_ports(new, ports)


def _alloc_health_check_port(svc: Service, pool: NodePortAllocator, txn: Transaction) -> Service:
    wanted = svc.spec.health_check_node_port
    try:
        if wanted:
            _take_port(pool, txn, wanted)
            return svc
        port = _take_next_port(pool, txn)
    except AllocationError as exc:
        if wanted:
            raise _internal(svc, f"failed to allocate requested HealthCheck NodePort {wanted}: {exc}") from None
        raise _internal(svc, f"failed to allocate a HealthCheck NodePort 0: {exc}") from None
    return svc.replace(spec=evolve(svc.spec, health_check_node_port=port))


# --------------------------------------------------------------------------- entry points


def allocate_create(svc: Service, pools: ServiceAllocators, txn: Transaction) -> Service:
    """Everything a new Service takes from the cluster, in the API server's order."""
    svc = _alloc_cluster_ip(svc, pools.cluster_ips, txn)
    if svc.spec.type in ("NodePort", "LoadBalancer"):
        svc = _init_node_ports(svc, pools.node_ports, txn)
    if needs_health_check_node_port(svc.spec):
        svc = _alloc_health_check_port(svc, pools.node_ports, txn)
    return svc


def allocate_update(new: Service, old: Service, pools: ServiceAllocators, txn: Transaction) -> Service:
    """Allocation and release for an update (``txnUpdateClusterIPs`` + ``txnUpdateNodePorts``)."""
    if needs_cluster_ip(new.spec) and not needs_cluster_ip(old.spec):
        new = _alloc_cluster_ip(new, pools.cluster_ips, txn)
    elif needs_cluster_ip(old.spec) and not needs_cluster_ip(new.spec):
        for ip in old.spec.cluster_ips:
            txn.defer(lambda ip=ip: pools.cluster_ips.release(ip))
    pool = pools.node_ports
    if old.spec.type in ("NodePort", "LoadBalancer") and new.spec.type in ("ClusterIP", "ExternalName"):
        for p in old.spec.ports:
            if p.node_port:
                txn.defer(lambda n=p.node_port: pool.release(n))
    if new.spec.type in ("NodePort", "LoadBalancer"):
        new = _update_node_ports(new, old, pool, txn)
    old_hc = old.spec.health_check_node_port
    if needs_health_check_node_port(new.spec):
        if new.spec.health_check_node_port != old_hc or not old_hc:
            new = _alloc_health_check_port(new, pool, txn)
    if old_hc and new.spec.health_check_node_port != old_hc:
        txn.defer(lambda: pool.release(old_hc))
    return new


def release_all(svc: Service, pools: ServiceAllocators) -> None:
    """Give back everything a deleted Service held."""
    for ip in svc.spec.cluster_ips:
        pools.cluster_ips.release(ip)
    for p in svc.spec.ports:
        if p.node_port:
            pools.node_ports.release(p.node_port)
    if svc.spec.health_check_node_port:
        pools.node_ports.release(svc.spec.health_check_node_port)
