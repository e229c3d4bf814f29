"""Service defaulting (R-SD-1..6), the registry's IP-family fill-ins (R-SD-7) and the predicates
the Service registry, allocator and validator share.

Sources, read at these commits:

* ``pkg/apis/core/v1/defaults.go`` ``SetDefaults_Service`` @023f88a32c95 → :func:`default_service`;
* ``pkg/api/v1/service/util.go`` ``ExternallyAccessible`` → :func:`is_externally_accessible`;
* ``pkg/api/service/util.go`` ``NeedsHealthCheck`` → :func:`needs_health_check_node_port`;
* ``pkg/registry/core/service/storage/storage.go`` ``needsClusterIP``/``needsNodePort``/
  ``needsHCNodePort`` and ``alloc.go`` ``shouldAllocateNodePorts`` / ``initIPFamilyFields``
  @03d11c53a8af → the ``needs_*`` predicates and :func:`fill_ip_families`.

The simulated cluster is single-stack IPv4 (kind's default, service CIDR 10.96.0.0/16), so
:func:`fill_ip_families` and :func:`ip_family_errors` implement ``initIPFamilyFields`` for an
API server with exactly one IPv4 ClusterIP allocator.

IP parsing (``netutils.ParseIPSloppy`` and friends) lives in :mod:`grader.model.ipaddr`;
``family_of`` is re-exported here for the Service strategy.
"""

from __future__ import annotations


from grader.model.fielderrors import FieldError, GoLiteral, go_quote, invalid
from grader.model.ipaddr import IPV4, IPV6, family_of
from grader.model.objects import (
    evolve,
    ClientIPConfig,
    LoadBalancerStatus,
    Service,
    ServicePort,
    ServiceSpec,
    SessionAffinityConfig,
)

__all__ = [
    "CLUSTER_IP_NONE",
    "DEFAULT_CLIENT_IP_TIMEOUT",
    "default_service",
    "family_of",
    "fill_ip_families",
    "go_string_slice",
    "ip_family_errors",
    "is_externally_accessible",
    "needs_cluster_ip",
    "needs_health_check_node_port",
    "needs_node_ports",
    "should_allocate_node_ports",
]

CLUSTER_IP_NONE = "None"
DEFAULT_CLIENT_IP_TIMEOUT = 10800  # v1.DefaultClientIPServiceAffinitySeconds (3 hours)

_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")
_CLUSTER_IP_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")

SINGLE_STACK = "SingleStack"
PREFER_DUAL_STACK = "PreferDualStack"
REQUIRE_DUAL_STACK = "RequireDualStack"

# The families the simulated API server has a ClusterIP allocator for, primary first.
CLUSTER_FAMILIES = (IPV4,)

# --------------------------------------------------------------------------- predicates


def is_externally_accessible(spec: ServiceSpec) -> bool:
    """``ExternallyAccessible``: NodePort, LoadBalancer, or ClusterIP with externalIPs (R-SD-4)."""
    return spec.type in _NODE_PORT_TYPES or (spec.type == "ClusterIP" and len(spec.external_ips) > 0)


def needs_cluster_ip(spec: ServiceSpec) -> bool:
    """``needsClusterIP``: every type but ExternalName has a clusterIP (``None`` counts)."""
    return spec.type != "ExternalName"


def needs_node_ports(spec: ServiceSpec) -> bool:
    """``needsNodePort``: NodePort and LoadBalancer services own nodePorts.

    A LoadBalancer with ``allocateLoadBalancerNodePorts: false`` still "needs" them in this
    sense (it keeps the ones it asks for); see :func:`should_allocate_node_ports`.
    """
    return spec.type in _NODE_PORT_TYPES


def should_allocate_node_ports(spec: ServiceSpec) -> bool:
    """``shouldAllocateNodePorts``: may the allocator pick nodePorts for ports that ask for none?"""
    if spec.type == "NodePort":
        return True
    if spec.type == "LoadBalancer":
        return spec.allocate_load_balancer_node_ports is not False
    return False


def needs_health_check_node_port(spec: ServiceSpec) -> bool:
    """``NeedsHealthCheck`` / ``needsHCNodePort``: LoadBalancer with ``externalTrafficPolicy: Local``."""
    return spec.type == "LoadBalancer" and spec.external_traffic_policy == "Local"


# --------------------------------------------------------------------------- defaulting


def _default_port(port: ServicePort) -> ServicePort:
    """R-SD-2: protocol TCP; targetPort absent, 0 or "" becomes the port number."""
    changes: dict[str, object] = {}
    if port.protocol == "":
        changes["protocol"] = "TCP"
    if port.target_port in (0, ""):
        changes["target_port"] = port.port
    return evolve(port, **changes) if changes else port


def _client_ip_config_complete(config: SessionAffinityConfig | None) -> bool:
    client_ip = config.client_ip if config is not None else None
    return client_ip is not None and client_ip.timeout_seconds is not None


def _default_affinity(spec: ServiceSpec) -> ServiceSpec:
    """R-SD-3: affinity None drops any config; ClientIP without a timeout gets 10800 seconds."""
    affinity = spec.session_affinity or "None"
    config = spec.session_affinity_config
    if affinity == "None":
        config = None
    elif affinity == "ClientIP" and not _client_ip_config_complete(config):
        client_ip = ClientIPConfig(timeout_seconds=DEFAULT_CLIENT_IP_TIMEOUT)
        config = SessionAffinityConfig(client_ip=client_ip)
    return evolve(spec, session_affinity=affinity, session_affinity_config=config)


def _default_policies(spec: ServiceSpec) -> ServiceSpec:
    """R-SD-4..6: traffic policies and allocateLoadBalancerNodePorts, by type."""
    changes: dict[str, object] = {}
    if is_externally_accessible(spec) and spec.external_traffic_policy == "":
        changes["external_traffic_policy"] = "Cluster"
    if spec.internal_traffic_policy is None and spec.type in _CLUSTER_IP_TYPES:
        changes["internal_traffic_policy"] = "Cluster"
    if spec.type == "LoadBalancer" and spec.allocate_load_balancer_node_ports is None:
        changes["allocate_load_balancer_node_ports"] = True
    return evolve(spec, **changes) if changes else spec


def _default_ingress_ip_mode(svc: Service) -> Service:
    """LoadBalancer ingress entries with an IP and no ``ipMode`` get ``VIP``."""
    ingress = svc.status.load_balancer.ingress
    if svc.spec.type != "LoadBalancer" or not any(i.ip and i.ip_mode is None for i in ingress):
        return svc
    fixed = tuple(
        evolve(i, ip_mode="VIP") if i.ip and i.ip_mode is None else i for i in ingress
    )
    status = evolve(svc.status, load_balancer=LoadBalancerStatus(ingress=fixed))
    return evolve(svc, status=status)


def default_service(svc: Service) -> Service:
    """``SetDefaults_Service``: the v1 defaults, applied before validation (R-API-2, R-SD-1..6).

    Pure and idempotent. ``clusterIP``, ``ipFamilies`` and nodePorts are *not* defaulted here;
    the registry fills them in (R-SD-7, :func:`fill_ip_families`, the allocator).
    """
    spec = _default_affinity(svc.spec)
    if spec.type == "":
        spec = evolve(spec, type="ClusterIP")
    spec = evolve(spec, ports=tuple(_default_port(p) for p in spec.ports))
    spec = _default_policies(spec)
    return _default_ingress_ip_mode(evolve(svc, spec=spec))


# --------------------------------------------------------------------------- Go formatting


def go_string_slice(values: tuple[str, ...] | list[str], type_name: str = "string") -> GoLiteral:
    """A Go slice as ``%#v`` prints it: ``[]string{"a", "b"}``, ``[]string(nil)`` when empty."""
    if not values:
        return GoLiteral(f"[]{type_name}(nil)")
    return GoLiteral(f"[]{type_name}{{" + ", ".join(go_quote(v) for v in values) + "}")


# --------------------------------------------------------------------------- IP families (R-SD-7)


def _is_headless_selectorless(spec: ServiceSpec) -> bool:
    return spec.cluster_ip == CLUSTER_IP_NONE and not spec.selector


def _is_matching_prefer_dual_stack(spec: ServiceSpec, old: ServiceSpec | None) -> bool:
    """``isMatchingPreferDualStackClusterIPFields``: an update that must not re-stack."""
    return (
        old is not None
        and spec.ip_family_policy == PREFER_DUAL_STACK
        and old.type == spec.type
        and spec.type in _CLUSTER_IP_TYPES
        and old.ip_family_policy in (None, PREFER_DUAL_STACK)
        and old.cluster_ips == spec.cluster_ips
        and old.ip_families == spec.ip_families
    )


def _default_policy(spec: ServiceSpec, old: ServiceSpec | None) -> str:
    if spec.ip_family_policy is not None:
        return spec.ip_family_policy
    if old is not None and old.ip_family_policy is not None:
        return old.ip_family_policy
    return REQUIRE_DUAL_STACK if _is_headless_selectorless(spec) else SINGLE_STACK


def _trim_single_stack(spec: ServiceSpec, old: ServiceSpec, policy: str) -> ServiceSpec:
    """On update, ``SingleStack`` with unchanged fields is intent to release the secondary."""
    if policy != SINGLE_STACK:
        return spec
    ips, fams = spec.cluster_ips, spec.ip_families
    if old.cluster_ips == ips and len(ips) > 1:
        ips = ips[:1]
    if old.ip_families == fams and len(fams) > 1:
        fams = fams[:1]
    return evolve(spec, cluster_ips=ips, ip_families=fams)


def _inferred_families(spec: ServiceSpec) -> tuple[str, ...]:
    """ipFamilies completed from the clusterIPs the user gave, for configured families only."""
    families = list(spec.ip_families)
    for i, ip in enumerate(spec.cluster_ips):
        if ip == CLUSTER_IP_NONE:
            break
        fam = family_of(ip)
        if i >= len(families) and fam in CLUSTER_FAMILIES:
            families.append(fam)
    return tuple(families)


def _other_family(family: str) -> str:
    return IPV6 if family == IPV4 else IPV4


def fill_ip_families(svc: Service, old: Service | None = None) -> Service:
    """``initIPFamilyFields`` on a single-stack IPv4 cluster (R-SD-7).

    Also brings ``clusterIPs`` in line with ``clusterIP`` first, as the registry does before
    anything else looks at them (``normalizeClusterIPs`` for a create when ``old`` is None).
    ExternalName services get nothing. Headless + selectorless services become
    ``RequireDualStack`` with ``[IPv4, IPv6]`` (the documented single-stack exception);
    every other service gets ``SingleStack`` and ``[IPv4]`` unless the user chose otherwise.
    Errors are reported by :func:`ip_family_errors`, not here.
    """
    spec = svc.spec
    if old is None and spec.cluster_ip and not spec.cluster_ips:
        spec = evolve(spec, cluster_ips=(spec.cluster_ip,))
    old_spec = old.spec if old is not None else None
    if spec.type == "ExternalName" or _is_matching_prefer_dual_stack(spec, old_spec):
        return evolve(svc, spec=spec)
    policy = _default_policy(spec, old_spec)
    if old_spec is not None:
        spec = _trim_single_stack(spec, old_spec, policy)
    families = _inferred_families(spec) or (CLUSTER_FAMILIES[0],)
    if _is_headless_selectorless(spec) and len(families) < 2 and policy != SINGLE_STACK:
        families = (families[0], _other_family(families[0]))
    spec = evolve(spec, ip_family_policy=policy, ip_families=families)
    return evolve(svc, spec=spec)


_POLICY_PATH = "spec.ipFamilyPolicy"
_DUAL_NEEDED = "must be 'RequireDualStack' or 'PreferDualStack'"
_SINGLE_NEEDED = "must be 'SingleStack' to release the secondary"


def _policy_errors(spec: ServiceSpec, policy: str) -> list[FieldError]:
    path = _POLICY_PATH
    errs = []
    if policy == SINGLE_STACK and len(spec.cluster_ips) == 2:
        errs.append(invalid(path, policy, _DUAL_NEEDED + " when multiple cluster IPs are specified"))
    if policy == SINGLE_STACK and len(spec.ip_families) == 2:
        errs.append(invalid(path, policy, _DUAL_NEEDED + " when multiple IP families are specified"))
    return errs


def _reduced_errors(spec: ServiceSpec, old: ServiceSpec, policy: str) -> list[FieldError]:
    if policy == SINGLE_STACK:
        return []
    errs = []
    if spec.cluster_ips and len(spec.cluster_ips) < len(old.cluster_ips):
        errs.append(invalid(_POLICY_PATH, policy, _SINGLE_NEEDED + " cluster IP"))
    if spec.ip_families and len(spec.ip_families) < len(old.ip_families):
        errs.append(invalid(_POLICY_PATH, policy, _SINGLE_NEEDED + " IP family"))
    return errs


def _unconfigured_ip_errors(spec: ServiceSpec) -> list[FieldError]:
    errs = []
    for i, ip in enumerate(spec.cluster_ips):
        if ip == CLUSTER_IP_NONE:
            break
        fam = family_of(ip)
        if i >= len(spec.ip_families) and fam not in CLUSTER_FAMILIES:
            value = go_string_slice(spec.cluster_ips)
            detail = f"{fam} is not configured on this cluster"
            errs.append(invalid(f"spec.clusterIPs[{i}]", value, detail))
    return errs


def _cluster_config_errors(spec: ServiceSpec, policy: str) -> list[FieldError]:
    errs = []
    if policy == REQUIRE_DUAL_STACK and len(CLUSTER_FAMILIES) < 2:
        detail = "this cluster is not configured for dual-stack services"
        errs.append(invalid(_POLICY_PATH, policy, detail))
    for i, fam in enumerate(spec.ip_families):
        if fam not in CLUSTER_FAMILIES:
            errs.append(invalid(f"spec.ipFamilies[{i}]", fam, "not configured on this cluster"))
    return errs


def ip_family_errors(svc: Service, old: Service | None = None) -> list[FieldError]:
    """The errors ``initIPFamilyFields`` reports on a single-stack IPv4 cluster, before allocation.

    Call on the object *before* :func:`fill_ip_families`. The stand-alone clusterIPs /
    ipFamilies checks it runs first (``ValidateServiceClusterIPsRelatedFields``) are in
    :func:`grader.model.service_validation.validate_cluster_ips_related_fields`; run those
    first and stop if they fail, as the registry does.
    """
    spec = svc.spec
    old_spec = old.spec if old is not None else None
    if spec.type == "ExternalName" or _is_matching_prefer_dual_stack(spec, old_spec):
        return []
    policy = _default_policy(spec, old_spec)
    errs = []
    if old_spec is not None:
        errs = _reduced_errors(spec, old_spec, policy)
        spec = _trim_single_stack(spec, old_spec, policy)
    errs += _policy_errors(spec, policy) + _unconfigured_ip_errors(spec)
    if errs or _is_headless_selectorless(spec):
        return errs
    return _cluster_config_errors(spec, policy)
