"""Warnings for an accepted Service, printed by kubectl as ``Warning: <text>`` (R-W-2, R-API-5).

Source: ``pkg/api/service/warnings.go`` ``GetWarningsForService`` as shipped in Kubernetes 1.34
(headless-service warnings from kubernetes#132214 with the #134054 fix), and apimachinery
``pkg/util/validation/ip.go`` ``GetWarningsForIP`` / ``GetWarningsForCIDR`` for the
address-formatting warnings. The old object is accepted but not consulted: the API server
warns about the whole new object on every create and update.
"""

from __future__ import annotations

import ipaddress
import re

from grader.model.fielderrors import go_quote
from grader.model.ipaddr import GoIP, go_ip_string, parse_cidr_sloppy, parse_ip_sloppy
from grader.model.objects import Service, ServiceSpec
from grader.model.service_defaults import CLUSTER_IP_NONE

__all__ = ["cidr_warnings", "ip_warnings", "service_warnings"]

_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"
_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
_DECIMAL = re.compile(r"[0-9]+")


def _strict_ip(text: str) -> GoIP | None:
    """Go's ``netip.ParseAddr`` (no leading zeros in IPv4 octets; zones kept out here)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_4in6(ip: GoIP) -> bool:
    return isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None


def ip_warnings(path: str, value: str) -> list[str]:
    """``GetWarningsForIP``: leading zeros, IPv4-mapped IPv6, non-canonical IPv6."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        return []
    strict = _strict_ip(value)
    if strict is None or _is_4in6(strict):
        return [
            f"{path}: non-standard IP address {go_quote(value)} will be considered invalid in a "
            f"future Kubernetes release: use {go_quote(go_ip_string(ip))}"
        ]
    if isinstance(strict, ipaddress.IPv6Address) and strict.compressed != value:
        canonical = go_quote(strict.compressed)
        text = f"IPv6 address {go_quote(value)} should be in RFC 5952 canonical format ({canonical})"
        return [f"{path}: {text}"]
    return []


def _strict_prefix(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """Go's ``netip.ParsePrefix``: strict address, prefix length without leading zeros."""
    addr, _, bits = text.partition("/")
    if _strict_ip(addr) is None or not _DECIMAL.fullmatch(bits) or (len(bits) > 1 and bits[0] == "0"):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _network_string(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """Go's ``net.IPNet.String()`` for a prefix-length mask."""
    return f"{go_ip_string(net.network_address)}/{net.prefixlen}"


def cidr_warnings(path: str, value: str) -> list[str]:
    """``GetWarningsForCIDR``: ambiguous host bits, leading zeros, IPv4-mapped, non-canonical IPv6."""
    parsed = parse_cidr_sloppy(value)
    if parsed is None:
        return []
    ip, net = parsed
    warnings: list[str] = []
    if ip != net.network_address:
        single = f"{go_ip_string(ip)}/{net.max_prefixlen}"
        warnings.append(
            f"{path}: CIDR value {go_quote(value)} is ambiguous in this context "
            f"(should be {go_quote(_network_string(net))} or {go_quote(single)}?)"
        )
    strict = _strict_prefix(value)
    if strict is None or _is_4in6(strict.network_address):
        warnings.append(
            f"{path}: non-standard CIDR value {go_quote(value)} will be considered invalid in a "
            f"future Kubernetes release: use {go_quote(_network_string(net))}"
        )
    if warnings or not isinstance(ip, ipaddress.IPv6Address):
        return warnings
    canonical = f"{ip.compressed}/{net.prefixlen}"
    if canonical == value:
        return warnings
    return [
        f"{path}: IPv6 CIDR value {go_quote(value)} should be in RFC 5952 canonical format "
        f"({go_quote(canonical)})"
    ]


def _is_headless(spec: ServiceSpec) -> bool:
    """warnings.go's ``isHeadlessService``: type ClusterIP and ``clusterIP: None``."""
    return spec.type == "ClusterIP" and spec.cluster_ip == CLUSTER_IP_NONE


def _headless_warnings(spec: ServiceSpec) -> list[str]:
    if not _is_headless(spec):
        return []
    warnings = []
    if spec.load_balancer_ip:
        warnings.append("spec.loadBalancerIP is ignored for headless services")
    if spec.external_ips:
        warnings.append("spec.externalIPs is ignored for headless services")
    if spec.session_affinity != "None":
        warnings.append("spec.SessionAffinity is ignored for headless services")
    return warnings


def _each_ip(path: str, values: tuple[str, ...]) -> list[str]:
    return [w for i, ip in enumerate(values) for w in ip_warnings(f"{path}[{i}]", ip)]


def _address_warnings(spec: ServiceSpec, field: str) -> list[str]:
    if field == "clusterIPs":
        if not spec.cluster_ip or spec.cluster_ip == CLUSTER_IP_NONE:
            return []
        return _each_ip("spec.clusterIPs", spec.cluster_ips)
    if field == "externalIPs":
        return _each_ip("spec.externalIPs", spec.external_ips)
    if field == "loadBalancerIP":
        return ip_warnings("spec.loadBalancerIP", spec.load_balancer_ip) if spec.load_balancer_ip else []
    ranges = enumerate(spec.load_balancer_source_ranges)
    return [w for i, c in ranges for w in cidr_warnings(f"spec.loadBalancerSourceRanges[{i}]", c)]


def _type_warnings(spec: ServiceSpec) -> list[str]:
    warnings = []
    if spec.type == "ExternalName" and spec.external_ips:
        warnings.append('spec.externalIPs is ignored when spec.type is "ExternalName"')
    if spec.type != "ExternalName" and spec.external_name:
        warnings.append('spec.externalName is ignored when spec.type is not "ExternalName"')
    return warnings


def service_warnings(svc: Service, old: Service | None = None) -> list[str]:
    """``GetWarningsForService``: the ``Warning:`` lines for a Service the server accepted (R-W-2).

    ``svc`` is the object as stored (defaulted, allocated). The old OnlyLocal annotation
    draws no warning (R-HIST-1).
    """
    spec = svc.spec
    warnings = []
    if _HINTS_ANNOTATION in svc.metadata.annotations:
        warnings.append(
            f"annotation {_HINTS_ANNOTATION} is deprecated, please use {_MODE_ANNOTATION} instead"
        )
    warnings += _address_warnings(spec, "clusterIPs")
    warnings += _headless_warnings(spec)
    warnings += _address_warnings(spec, "externalIPs")
    warnings += _address_warnings(spec, "loadBalancerIP")
    warnings += _address_warnings(spec, "loadBalancerSourceRanges")
    return warnings + _type_warnings(spec)
