"""Validation of Namespaces, EndpointSlices and Endpoints, with Kubernetes' exact texts.

Mirrors ``ValidateNamespace``, ``ValidateEndpoints`` (``validateEndpointSubsets``,
``validateEndpointAddress``, ``validateEndpointPort``) in
``pkg/apis/core/validation/validation.go`` and ``ValidateEndpointSlice`` in
``pkg/apis/discovery/validation/validation.go``.

IP addresses are parsed, and ``ValidateNonSpecialIP`` applied, by :mod:`grader.model.ipaddr`
(the same code Services use for ``externalIPs``). Not modelled: FQDN address syntax,
topology hints, the 100-address / 1000-endpoint / 20000-port ``Too many`` limits.
"""

from __future__ import annotations

from typing import Callable, Sequence

from grader.model.fielderrors import (
    FieldError,
    duplicate,
    invalid,
    not_supported,
    required,
)
from grader.model.ipaddr import family_of, parse_ip_sloppy, validate_non_special_ip
from grader.model.meta_validation import (
    dns1123_label_name,
    dns1123_subdomain_name,
    validate_labels,
    validate_object_meta,
)
from grader.model.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_port_num,
)
from grader.model.objects import (
    Endpoint,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    Namespace,
    SliceEndpointPort,
)

__all__ = [
    "SUPPORTED_ADDRESS_TYPES",
    "validate_endpoint_slice",
    "validate_endpoints",
    "validate_namespace",
]

SUPPORTED_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")

# --------------------------------------------------------------------------- Namespace


def validate_namespace(ns: Namespace) -> list[FieldError]:
    """``ValidateNamespace``: a DNS-1123 label name, no namespace, known finalizer names."""
    errs = validate_object_meta(ns.metadata, False, dns1123_label_name)
    for name in ns.spec.finalizers:
        errs.extend(invalid("spec.finalizers", name, m) for m in is_qualified_name(name))
        if "/" not in name and name not in _STANDARD_FINALIZERS:
            detail = "name is neither a standard finalizer name nor is it fully qualified"
            errs.append(invalid("spec.finalizers", name, detail))
    return errs


# --------------------------------------------------------------------------- EndpointSlice


def _address_type_errors(address_type: str) -> list[FieldError]:
    if not address_type:
        return [required("addressType")]
    if address_type not in SUPPORTED_ADDRESS_TYPES:
        return [not_supported("addressType", address_type, SUPPORTED_ADDRESS_TYPES)]
    return []


def _slice_address_errors(address: str, address_type: str, path: str) -> list[FieldError]:
    """``IsValidIPv4Address``/``IsValidIPv6Address`` then ``ValidateNonSpecialIP``."""
    if address_type not in ("IPv4", "IPv6"):
        return []  # FQDN syntax is not modelled; unknown types are not validated upstream
    errs: list[FieldError] = []
    if family_of(address) != address_type:  # IPv4-mapped IPv6 counts as IPv4 (``ip.To4()``)
        errs.append(invalid(path, address, f"must be a valid {address_type} address"))
    return errs + validate_non_special_ip(address, path)


def _slice_endpoint_errors(ep: Endpoint, address_type: str, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not ep.addresses:
        errs.append(required(f"{path}.addresses", "must contain at least 1 address"))
    for i, address in enumerate(ep.addresses):
        errs.extend(_slice_address_errors(address, address_type, f"{path}.addresses[{i}]"))
    errs.extend(_name_errors(ep.node_name, f"{path}.nodeName", is_dns1123_subdomain))
    errs.extend(validate_labels(ep.deprecated_topology, f"{path}.deprecatedTopology"))
    return errs + _name_errors(ep.hostname, f"{path}.hostname", is_dns1123_label)


def _name_errors(
    value: str | None, path: str, rule: Callable[[str], list[str]]
) -> list[FieldError]:
    """One Invalid error per failed rule; ``None`` (nil pointer or unset string) is skipped."""
    return [] if value is None else [invalid(path, value, m) for m in rule(value)]


def _slice_port_errors(ports: Sequence[SliceEndpointPort]) -> list[FieldError]:
    """``validatePorts``: names are DNS-1123 labels and unique (``""`` included); protocols.

    Upstream does not range-check ``port`` here (a nil port means "all ports").
    """
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        where = f"ports[{i}]"
        name = port.name or ""
        errs.extend(_name_errors(name or None, f"{where}.name", is_dns1123_label))
        if name in names:
            errs.append(duplicate(f"{where}.name", name))
        names.add(name)
        if port.protocol is None:
            errs.append(required(f"{where}.protocol"))
        elif port.protocol not in _PROTOCOLS:
            errs.append(not_supported(f"{where}.protocol", port.protocol, _PROTOCOLS))
        if port.app_protocol is not None:
            errs.extend(_app_protocol_errors(port.app_protocol, f"{where}.appProtocol"))
    return errs


def _app_protocol_errors(value: str, path: str) -> list[FieldError]:
    return [invalid(path, value, m) for m in is_qualified_name(value)]


def validate_endpoint_slice(s: EndpointSlice) -> list[FieldError]:
    """``ValidateEndpointSlice`` (the ``kubernetes.io/service-name`` label is an ordinary label)."""
    errs = validate_object_meta(s.metadata, True, dns1123_subdomain_name)
    errs.extend(_address_type_errors(s.address_type))
    for i, ep in enumerate(s.endpoints):
        errs.extend(_slice_endpoint_errors(ep, s.address_type, f"endpoints[{i}]"))
    return errs + _slice_port_errors(s.ports)


# --------------------------------------------------------------------------- Endpoints


def _endpoint_address_errors(address: EndpointAddress, path: str) -> list[FieldError]:
    """``validateEndpointAddress``: IP, hostname, nodeName, then the special-range checks."""
    ip_path = f"{path}.ip"
    errs: list[FieldError] = []
    if parse_ip_sloppy(address.ip) is None:
        detail = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        errs.append(invalid(ip_path, address.ip, detail))
    errs.extend(_name_errors(address.hostname or None, f"{path}.hostname", is_dns1123_label))
    errs.extend(_name_errors(address.node_name, f"{path}.nodeName", is_dns1123_subdomain))
    return errs + validate_non_special_ip(address.ip, ip_path)


def _endpoint_port_errors(port: EndpointPort, require_name: bool, path: str) -> list[FieldError]:
    """``validateEndpointPort``: a name when there are several ports, range, protocol."""
    errs: list[FieldError] = []
    if require_name and not port.name:
        errs.append(required(f"{path}.name"))
    else:
        errs.extend(_name_errors(port.name or None, f"{path}.name", is_dns1123_label))
    errs.extend(invalid(f"{path}.port", port.port, m) for m in is_valid_port_num(port.port))
    if not port.protocol:
        errs.append(required(f"{path}.protocol"))
    elif port.protocol not in _PROTOCOLS:
        errs.append(not_supported(f"{path}.protocol", port.protocol, _PROTOCOLS))
    if port.app_protocol is not None:
        errs.extend(_app_protocol_errors(port.app_protocol, f"{path}.appProtocol"))
    return errs


def validate_endpoints(e: Endpoints) -> list[FieldError]:
    """``ValidateEndpoints``: metadata, then every subset's addresses and ports."""
    errs = validate_object_meta(e.metadata, True, dns1123_subdomain_name)
    for i, ss in enumerate(e.subsets):
        where = f"subsets[{i}]"
        if not ss.addresses and not ss.not_ready_addresses:
            errs.append(required(where, "must specify `addresses` or `notReadyAddresses`"))
        for j, addr in enumerate(ss.addresses):
            errs.extend(_endpoint_address_errors(addr, f"{where}.addresses[{j}]"))
        for j, addr in enumerate(ss.not_ready_addresses):
            errs.extend(_endpoint_address_errors(addr, f"{where}.notReadyAddresses[{j}]"))
        for j, port in enumerate(ss.ports):
            errs.extend(_endpoint_port_errors(port, len(ss.ports) > 1, f"{where}.ports[{j}]"))
    return errs

