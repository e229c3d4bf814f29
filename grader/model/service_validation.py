"""Service validation with the API server's exact messages and order (R-SV-1..23, R-SU-5).

Source: ``pkg/apis/core/validation/validation.go`` @000f26050b9b (``ValidateService``,
``validateServicePort``, ``ValidateServiceClusterIPsRelatedFields``,
``validateServiceExternalTrafficPolicy``, ``ValidateServiceUpdate`` and the helpers they call),
with Kubernetes 1.34 semantics where later releases differ (IP and CIDR fields parsed the
legacy, "sloppy" way because ``StrictIPCIDRValidation`` is off; ``trafficDistribution``
accepting ``PreferSameZone``/``PreferSameNode``).

Validation runs on a *defaulted* object (R-API-2) and, on create, after the registry has
allocated clusterIPs and nodePorts (R-API-3); nodePort ranges are the allocator's business.
Like the registry, the validator sees ``clusterIPs`` filled from ``clusterIP`` (that is why
the errors name ``spec.clusterIPs[0]`` when the user wrote ``clusterIP``). Every error of the
object is returned at once, duplicates removed (R-API-4).
"""

from __future__ import annotations

from typing import Iterable

from grader.model.fielderrors import (
    FieldError,
    GoLiteral,
    dedupe,
    duplicate,
    forbidden,
    go_quote,
    invalid,
    invalid_each,
    not_supported,
    required,
)
from grader.model.ipaddr import (
    family_of,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    validate_non_special_ip,
)
from grader.model.meta_validation import dns1035_name, validate_labels, validate_object_meta
from grader.model.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_port_name,
    is_valid_port_num,
)
from grader.model.objects import evolve, ObjectMeta, Service, ServicePort, ServiceSpec, SessionAffinityConfig
from grader.model.service_defaults import (
    CLUSTER_IP_NONE,
    go_string_slice,
    is_externally_accessible,
    needs_health_check_node_port,
)

__all__ = [
    "MAX_CLIENT_IP_TIMEOUT",
    "duplicate_port_literal",
    "validate_cluster_ips_related_fields",
    "validate_service",
    "validate_service_update",
]

MAX_CLIENT_IP_TIMEOUT = 86400  # core.MaxClientIPServiceAffinitySeconds (1 day)

_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_AFFINITIES = ("ClientIP", "None")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_TRAFFIC_POLICIES = ("Cluster", "Local")
_IP_FAMILIES = ("IPv4", "IPv6")
_IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
_TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameNode", "PreferSameZone")

_ONLY_LB = "may only be used when `type` is 'LoadBalancer'"
_NOT_SET_FOR_EXTERNAL_NAME = "may not be set for ExternalName services"
_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"
_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
_IP_MESSAGE = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_MESSAGE = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_CHANGED = "may not change once set"


# --------------------------------------------------------------------------- small helpers


def _create_view(svc: Service) -> Service:
    """``normalizeClusterIPs`` for a create: a lone ``clusterIP`` also fills ``clusterIPs``."""
    spec = svc.spec
    if spec.cluster_ip and not spec.cluster_ips:
        return evolve(svc, spec=evolve(spec, cluster_ips=(spec.cluster_ip,)))
    return svc


def _is_headless(spec: ServiceSpec) -> bool:
    """Validation's ``isHeadlessService``: exactly one clusterIP and it is ``None``."""
    return len(spec.cluster_ips) == 1 and spec.cluster_ips[0] == CLUSTER_IP_NONE


def _ip_errors(path: str, value: str) -> list[FieldError]:
    """``IsValidIPForLegacyField`` with strict validation off: any IP ``ParseIPSloppy`` takes."""
    return [] if parse_ip_sloppy(value) is not None else [invalid(path, value, _IP_MESSAGE)]


def _cidr_errors(path: str, value: str) -> list[FieldError]:
    return [] if parse_cidr_sloppy(value) is not None else [invalid(path, value, _CIDR_MESSAGE)]


# --------------------------------------------------------------------------- metadata, type, ports


def _topology_annotation_errors(meta: ObjectMeta) -> list[FieldError]:
    hints, mode = meta.annotations.get(_HINTS_ANNOTATION), meta.annotations.get(_MODE_ANNOTATION)
    if hints is None or mode is None or hints == mode:
        return []
    detail = f"must match annotations[{_HINTS_ANNOTATION}] when both are specified"
    return [invalid(f"metadata.annotations[{_MODE_ANNOTATION}]", mode, detail)]


def _ports_required(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-3: ports are required unless headless or ExternalName."""
    if spec.ports or _is_headless(spec) or spec.type == "ExternalName":
        return []
    return [required("spec.ports")]


def _external_name_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-16: no clusterIPs/ipFamilies/ipFamilyPolicy; externalName a DNS-1123 subdomain."""
    errs = []
    if spec.cluster_ips:
        errs.append(forbidden("spec.clusterIPs", _NOT_SET_FOR_EXTERNAL_NAME))
    if spec.ip_families:
        errs.append(forbidden("spec.ipFamilies", _NOT_SET_FOR_EXTERNAL_NAME))
    if spec.ip_family_policy is not None:
        errs.append(forbidden("spec.ipFamilyPolicy", _NOT_SET_FOR_EXTERNAL_NAME))
    cname = spec.external_name.removesuffix(".")
    if cname:
        errs.extend(invalid_each("spec.externalName", cname, is_dns1123_subdomain(cname)))
    else:
        errs.append(required("spec.externalName"))
    return errs


def _type_specific_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-15 (headless NodePort/LoadBalancer) and R-SV-16 (ExternalName)."""
    if spec.type in ("LoadBalancer", "NodePort") and _is_headless(spec):
        detail = f"may not be set to 'None' for {spec.type} services"
        return [invalid("spec.clusterIPs[0]", spec.cluster_ips[0], detail)]
    if spec.type == "ExternalName":
        return _external_name_errors(spec)
    return []


def _port_name_errors(
    port: ServicePort, path: str, require_name: bool, seen: set[str]
) -> list[FieldError]:
    """R-SV-4..6: names required with several ports, DNS-1123 labels, unique."""
    if require_name and not port.name:
        return [required(f"{path}.name")]
    if not port.name:
        return []
    errs = invalid_each(f"{path}.name", port.name, is_dns1123_label(port.name))
    if port.name in seen:
        errs.append(duplicate(f"{path}.name", port.name))
    seen.add(port.name)
    return errs


def _port_num_or_name_errors(value: int | str, path: str) -> list[FieldError]:
    """``ValidatePortNumOrName`` (R-SV-9): numbers 1..65535, strings IANA_SVC_NAMEs."""
    if isinstance(value, str):
        return invalid_each(path, value, is_valid_port_name(value))
    return invalid_each(path, value, is_valid_port_num(value))


def _service_port_errors(
    port: ServicePort, path: str, require_name: bool, seen: set[str]
) -> list[FieldError]:
    """``validateServicePort`` (R-SV-4..11); targetPort is checked on headless services too."""
    errs = _port_name_errors(port, path, require_name, seen)
    errs += invalid_each(f"{path}.port", port.port, is_valid_port_num(port.port))
    if not port.protocol:
        errs.append(required(f"{path}.protocol"))
    elif port.protocol not in _PROTOCOLS:
        errs.append(not_supported(f"{path}.protocol", port.protocol, _PROTOCOLS))
    errs += _port_num_or_name_errors(port.target_port, f"{path}.targetPort")
    if port.app_protocol is not None:
        errs += invalid_each(f"{path}.appProtocol", port.app_protocol, is_qualified_name(port.app_protocol))
    return errs


def _ports_errors(spec: ServiceSpec) -> list[FieldError]:
    seen: set[str] = set()
    several = len(spec.ports) > 1
    errs: list[FieldError] = []
    for i, port in enumerate(spec.ports):
        errs += _service_port_errors(port, f"spec.ports[{i}]", several, seen)
    return errs


# --------------------------------------------------------------------------- affinity


def _client_ip_config_errors(config: SessionAffinityConfig | None) -> list[FieldError]:
    """``validateClientIPAffinityConfig`` (R-SV-21): 0 < timeoutSeconds <= 86400."""
    path, why = "spec.sessionAffinityConfig", "when session affinity type is ClientIP"
    if config is None:
        return [required(path, why)]
    if config.client_ip is None:
        return [required(f"{path}.clientIP", why)]
    timeout = config.client_ip.timeout_seconds
    if timeout is None:
        return [required(f"{path}.clientIP.timeoutSeconds", why)]
    if 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
        return []
    detail = f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}"
    return [invalid(f"{path}.clientIP.timeoutSeconds", timeout, detail)]


def _session_affinity_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-21: ``None`` or ``ClientIP``, and the config that goes with it."""
    errs = []
    if not spec.session_affinity:
        errs.append(required("spec.sessionAffinity"))
    elif spec.session_affinity not in _AFFINITIES:
        errs.append(not_supported("spec.sessionAffinity", spec.session_affinity, _AFFINITIES))
    if spec.session_affinity == "ClientIP":
        errs += _client_ip_config_errors(spec.session_affinity_config)
    elif spec.session_affinity == "None" and spec.session_affinity_config is not None:
        detail = "must not be set when session affinity is None"
        errs.append(forbidden("spec.sessionAffinityConfig", detail))
    return errs


# --------------------------------------------------------------------------- clusterIPs and families


def _cluster_ip_sync_errors(spec: ServiceSpec) -> list[FieldError]:
    path, ips = "spec.clusterIPs", go_string_slice(spec.cluster_ips)
    if spec.cluster_ip:
        if not spec.cluster_ips:
            return [required(path)]
        if spec.cluster_ips[0] != spec.cluster_ip:
            return [invalid(path, ips, "first value must match `clusterIP`")]
    elif spec.cluster_ips:
        return [invalid(path, ips, "must be empty when `clusterIP` is not specified")]
    return []


def _ip_family_value_errors(spec: ServiceSpec) -> list[FieldError]:
    errs = []
    seen: set[str] = set()
    for i, family in enumerate(spec.ip_families):
        if family not in _IP_FAMILIES:
            errs.append(not_supported(f"spec.ipFamilies[{i}]", family, _IP_FAMILIES))
        if family in seen:
            errs.append(duplicate(f"spec.ipFamilies[{i}]", family))
        seen.add(family)
    policy = spec.ip_family_policy
    if policy is not None and policy not in _IP_FAMILY_POLICIES:
        errs.append(not_supported("spec.ipFamilyPolicy", policy, _IP_FAMILY_POLICIES))
    return errs


def _cluster_ip_value_errors(spec: ServiceSpec) -> list[FieldError]:
    """Each clusterIP a valid IP; ``None`` only alone; at most two."""
    errs = []
    ips = spec.cluster_ips
    for i, ip in enumerate(ips):
        if i == 0 and ip == CLUSTER_IP_NONE:
            if len(ips) > 1:
                detail = "'None' must be the first and only value"
                errs.append(invalid("spec.clusterIPs", go_string_slice(ips), detail))
            continue
        errs += _ip_errors(f"spec.clusterIPs[{i}]", ip)
    return errs


def _dual_stack_errors(spec: ServiceSpec) -> list[FieldError]:
    ips = spec.cluster_ips
    errs = []
    if len(ips) > 1 and len({family_of(ip) for ip in ips}) < 2:
        detail = "may specify no more than one IP for each IP family"
        errs.append(invalid("spec.clusterIPs", go_string_slice(ips), detail))
    if _is_headless(spec):
        return errs
    for i, (ip, family) in enumerate(zip(ips, spec.ip_families)):
        is_v6 = family_of(ip) == "IPv6"
        if (family == "IPv4" and is_v6) or (family == "IPv6" and not is_v6):
            detail = f"expected an {family} value as indicated by `ipFamilies[{i}]`"
            errs.append(invalid(f"spec.clusterIPs[{i}]", ip, detail))
    return errs


def validate_cluster_ips_related_fields(spec: ServiceSpec) -> list[FieldError]:
    """``ValidateServiceClusterIPsRelatedFields``: clusterIP(s), ipFamilies, ipFamilyPolicy.

    Used inside :func:`validate_service` and, before allocation, by the registry (a failure
    there is the only error the learner sees). ``spec`` must already have ``clusterIPs`` synced.
    """
    if spec.type == "ExternalName":
        return []
    errs = _cluster_ip_sync_errors(spec) + _ip_family_value_errors(spec)
    ip_errs = _cluster_ip_value_errors(spec)
    errs += ip_errs
    if len(spec.cluster_ips) > 2:
        ips = go_string_slice(spec.cluster_ips)
        errs.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if ip_errs:
        return errs
    return errs + _dual_stack_errors(spec)


def _external_ip_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-22: each externalIP parses and is not special."""
    errs: list[FieldError] = []
    for i, ip in enumerate(spec.external_ips):
        path = f"spec.externalIPs[{i}]"
        errs += _ip_errors(path, ip) or validate_non_special_ip(ip, path)
    return errs


# --------------------------------------------------------------------------- nodePorts and duplicates


def _type_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-2."""
    if not spec.type:
        return [required("spec.type")]
    if spec.type not in _TYPES:
        return [not_supported("spec.type", spec.type, _TYPES)]
    return []


def _cluster_ip_node_port_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-14: no nodePort on a ClusterIP (or headless) service."""
    if spec.type != "ClusterIP":
        return []
    detail = "may not be used when `type` is 'ClusterIP'"
    ports = enumerate(spec.ports)
    return [forbidden(f"spec.ports[{i}].nodePort", detail) for i, p in ports if p.node_port]


def _duplicate_node_port_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-13: the same (protocol, nodePort) twice."""
    seen: set[tuple[str, int]] = set()
    errs = []
    for i, port in enumerate(spec.ports):
        if not port.node_port:
            continue
        key = (port.protocol, port.node_port)
        if key in seen:
            errs.append(duplicate(f"spec.ports[{i}].nodePort", port.node_port))
        seen.add(key)
    return errs


def duplicate_port_literal(protocol: str, port: int) -> GoLiteral:
    """The ``%#v`` of the key struct the duplicate check builds: only Protocol and Port set (R-SV-12)."""
    return GoLiteral(
        f"core.ServicePort{{Name:\"\", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), "
        f"Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    )


def _duplicate_port_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-12: the same (protocol, port) twice; reported on the whole entry."""
    seen: set[tuple[str, int]] = set()
    errs = []
    for i, port in enumerate(spec.ports):
        key = (port.protocol, port.port)
        if key in seen:
            errs.append(duplicate(f"spec.ports[{i}]", duplicate_port_literal(*key)))
        seen.add(key)
    return errs


# --------------------------------------------------------------------------- LoadBalancer-only fields


def _source_range_errors(svc: Service) -> list[FieldError]:
    """R-SV-19: ``spec.LoadBalancerSourceRanges`` (capital L) or its annotation, LB only."""
    spec = svc.spec
    if spec.load_balancer_source_ranges:
        path = "spec.LoadBalancerSourceRanges"
        errs = [] if spec.type == "LoadBalancer" else [forbidden(path, _ONLY_LB)]
        for i, value in enumerate(spec.load_balancer_source_ranges):
            errs += _cidr_errors(f"{path}[{i}]", value.strip())
        return errs
    value = svc.metadata.annotations.get(_SOURCE_RANGES_ANNOTATION)
    if value is None:
        return []
    path = f"metadata.annotations[{_SOURCE_RANGES_ANNOTATION}]"
    errs = [] if spec.type == "LoadBalancer" else [forbidden(path, _ONLY_LB)]
    for cidr in value.strip().split(",") if value.strip() else []:
        errs += _cidr_errors(path, cidr.strip())
    return errs


def _allocate_node_ports_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-19: ``allocateLoadBalancerNodePorts`` only for LoadBalancer (the path bug is real)."""
    if spec.allocate_load_balancer_node_ports is not None and spec.type != "LoadBalancer":
        return [forbidden("spec.allocateLoadBalancerNodePorts", _ONLY_LB)]
    if spec.type == "LoadBalancer" and spec.allocate_load_balancer_node_ports is None:
        return [required("allocateLoadBalancerNodePorts")]
    return []


def _load_balancer_class_errors(spec: ServiceSpec, old: ServiceSpec | None = None) -> list[FieldError]:
    """``validateLoadBalancerClassField``: LB only, a qualified name, fixed once set."""
    path, value = "spec.loadBalancerClass", spec.load_balancer_class
    errs = []
    if old is not None and old.type == spec.type == "LoadBalancer" and old.load_balancer_class != value:
        errs.append(invalid(path, value, _CHANGED))
    if spec.type == "LoadBalancer":
        return errs + (invalid_each(path, value, is_qualified_name(value)) if value is not None else [])
    return errs + ([forbidden(path, _ONLY_LB)] if value is not None else [])


# --------------------------------------------------------------------------- traffic policies


def _external_traffic_policy_errors(spec: ServiceSpec) -> list[FieldError]:
    """``validateServiceExternalTrafficPolicy`` (R-SV-17, R-SV-18, R-HIST-2)."""
    path, value = "spec.externalTrafficPolicy", spec.external_traffic_policy
    errs = []
    if not is_externally_accessible(spec):
        if value:
            errs.append(invalid(path, value, "may only be set for externally-accessible services"))
    elif not value:
        errs.append(required(path))
    elif value not in _TRAFFIC_POLICIES:
        errs.append(not_supported(path, value, _TRAFFIC_POLICIES))
    return errs + _health_check_node_port_errors(spec)


def _health_check_node_port_errors(spec: ServiceSpec) -> list[FieldError]:
    path, value = "spec.healthCheckNodePort", spec.health_check_node_port
    if not needs_health_check_node_port(spec):
        if value == 0:
            return []
        detail = "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
        return [invalid(path, value, detail)]
    if value == 0:
        return [required(path)]
    return invalid_each(path, value, is_valid_port_num(value))


def _internal_traffic_policy_errors(spec: ServiceSpec) -> list[FieldError]:
    """R-SV-20: required for ClusterIP/NodePort/LoadBalancer, ``Cluster`` or ``Local``."""
    path, value = "spec.internalTrafficPolicy", spec.internal_traffic_policy
    if value is None:
        return [required(path)] if spec.type in ("ClusterIP", "NodePort", "LoadBalancer") else []
    return [] if value in _TRAFFIC_POLICIES else [not_supported(path, value, _TRAFFIC_POLICIES)]


def _traffic_distribution_errors(spec: ServiceSpec) -> list[FieldError]:
    value = spec.traffic_distribution
    if value is None or value in _TRAFFIC_DISTRIBUTIONS:
        return []
    return [not_supported("spec.trafficDistribution", value, _TRAFFIC_DISTRIBUTIONS)]


# --------------------------------------------------------------------------- entry points


def _spec_errors(svc: Service) -> list[FieldError]:
    spec = svc.spec
    return (
        _ports_required(spec)
        + _type_specific_errors(spec)
        + _ports_errors(spec)
        + validate_labels(spec.selector, "spec.selector")
        + _session_affinity_errors(spec)
        + validate_cluster_ips_related_fields(spec)
        + _external_ip_errors(spec)
        + _type_errors(spec)
        + _cluster_ip_node_port_errors(spec)
        + _duplicate_node_port_errors(spec)
        + _duplicate_port_errors(spec)
        + _source_range_errors(svc)
        + _allocate_node_ports_errors(spec)
        + _load_balancer_class_errors(spec)
        + _external_traffic_policy_errors(spec)
        + _internal_traffic_policy_errors(spec)
        + _traffic_distribution_errors(spec)
    )


def validate_service(svc: Service) -> list[FieldError]:
    """``ValidateService``: every field error of a defaulted Service, in Kubernetes' order.

    Metadata first (name a DNS-1035 label, R-SV-1), then the spec (R-SV-2..23).
    """
    svc = _create_view(svc)
    errs = validate_object_meta(svc.metadata, True, dns1035_name)
    errs += _topology_annotation_errors(svc.metadata)
    return dedupe(errs + _spec_errors(svc))


# --------------------------------------------------------------------------- updates


def _cluster_ips_update_errors(old: ServiceSpec, new: ServiceSpec) -> list[FieldError]:
    """``validateUpgradeDowngradeClusterIPs`` (R-SU-5): the primary clusterIP is fixed."""
    if "ExternalName" in (old.type, new.type) or (_is_headless(old) and _is_headless(new)):
        return []
    before, after = old.cluster_ips, new.cluster_ips
    value = go_string_slice(after)
    if len(before) == len(after):
        changed = [i for i, ip in enumerate(before) if ip != after[i]]
        return [invalid(f"spec.clusterIPs[{i}]", value, _CHANGED) for i in changed]
    if len(before) < len(after):
        primary_changed = bool(before) and after[0] != before[0]
        return [invalid("spec.clusterIPs[0]", value, _CHANGED)] if primary_changed else []
    errs = [] if after else [invalid("spec.clusterIPs[0]", value, "primary clusterIP can not be unset")]
    if after and after[0] != before[0]:
        errs.append(invalid("spec.clusterIPs[0]", value, _CHANGED))
    if len(after) == 1 and new.ip_family_policy != "SingleStack":
        detail = "must be set to 'SingleStack' when releasing the secondary clusterIP"
        errs.append(invalid("spec.ipFamilyPolicy", new.ip_family_policy, detail))
    return errs


def _ip_families_update_errors(old: ServiceSpec, new: ServiceSpec) -> list[FieldError]:
    """``validateUpgradeDowngradeIPFamilies``: the primary family is fixed (not for headless)."""
    if "ExternalName" in (old.type, new.type) or _is_headless(old) or _is_headless(new):
        return []
    before, after = old.ip_families, new.ip_families
    path = "spec.ipFamilies[0]"
    if len(before) == len(after):
        value = go_string_slice(after, "core.IPFamily")
        return [invalid(path, value, _CHANGED) for i, fam in enumerate(before) if fam != after[i]]
    ips = go_string_slice(new.cluster_ips)
    if len(before) < len(after):
        return [invalid(path, ips, _CHANGED)] if before and after and after[0] != before[0] else []
    families = go_string_slice(after, "core.IPFamily")
    errs = [] if new.cluster_ips else [invalid(path, families, "primary ipFamily can not be unset")]
    if after and after[0] != before[0]:
        errs.append(invalid(path, ips, _CHANGED))
    if len(after) == 1 and new.ip_family_policy != "SingleStack":
        detail = "must be set to 'SingleStack' when releasing the secondary ipFamily"
        errs.append(invalid("spec.ipFamilyPolicy", new.ip_family_policy, detail))
    return errs


def _health_check_update_errors(old: ServiceSpec, new: ServiceSpec) -> list[FieldError]:
    """R-SV-18: healthCheckNodePort is immutable while LoadBalancer + Local applies."""
    if needs_health_check_node_port(old) and needs_health_check_node_port(new):
        if old.health_check_node_port != new.health_check_node_port:
            return [forbidden("spec.healthCheckNodePort", "field is immutable")]
    return []


def validate_service_update(old: Service, new: Service) -> list[FieldError]:
    """``ValidateServiceUpdate``: the update-only rules (R-SU-5, R-SV-18), then :func:`validate_service`.

    ``old`` is the stored object; ``new`` has been through the registry's update steps
    (allocated values patched in, clusterIPs normalized, type-dependent fields dropped).
    """
    old, new = _create_view(old), _create_view(new)
    errs = _cluster_ips_update_errors(old.spec, new.spec)
    errs += _ip_families_update_errors(old.spec, new.spec)
    errs += _load_balancer_class_errors(new.spec, old.spec)
    errs += _health_check_update_errors(old.spec, new.spec)
    return dedupe(errs + validate_service(new))
