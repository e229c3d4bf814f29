"""Namespace, EndpointSlice and Endpoints validation with the API server's exact texts."""

from __future__ import annotations

import dataclasses

import pytest

from grader.model.discovery_validation import (
    validate_endpoint_slice,
    validate_endpoints,
    validate_namespace,
)
from grader.model.kinds import decode_document
from grader.model.pod_defaults import default_endpoint_slice, default_endpoints, default_namespace
from grader.model.yamlload import load_documents

DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def load(text: str):
    """Decode one manifest; namespaced kinds get namespace "default" as the registry would set."""
    obj = decode_document(load_documents(text)[0])
    if obj.NAMESPACED:
        obj = obj.replace(metadata=dataclasses.replace(obj.metadata, namespace="default"))
    return obj


def ns_errors(name: str, extra: str = "") -> list[str]:
    ns = default_namespace(load(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n{extra}"))
    return [str(e) for e in validate_namespace(ns)]


SLICE = """
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
  nodeName: kind-worker
ports:
- {name: http, port: 8080, protocol: TCP}
"""


def slice_errors(text: str) -> list[str]:
    return [str(e) for e in validate_endpoint_slice(default_endpoint_slice(load(text)))]


ENDPOINTS = """
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.244.1.5, nodeName: kind-worker}]
  ports: [{port: 8080}]
"""


def endpoints_errors(text: str) -> list[str]:
    return [str(e) for e in validate_endpoints(default_endpoints(load(text)))]


# --------------------------------------------------------------------------- Namespace


def test_namespace_with_a_dns_label_name_is_valid():
    """ValidateNamespace: defaulted Namespaces (label, finalizer) pass."""
    assert ns_errors("team-a") == []


def test_namespace_names_are_dns_labels_without_dots_or_capitals():
    """ValidateNamespaceName is NameIsDNSLabel."""
    assert ns_errors("team.a") == ['metadata.name: Invalid value: "team.a": must not contain dots']
    assert ns_errors("Team-A") == [f'metadata.name: Invalid value: "Team-A": {DNS_LABEL}']


def test_namespace_finalizers_must_be_standard_or_qualified():
    """validateKubeFinalizerName."""
    assert ns_errors("team-a", "spec: {finalizers: [foo]}\n") == [
        'spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified'
    ]
    assert ns_errors("team-a", "spec: {finalizers: [example.com/cleanup]}\n") == []


# --------------------------------------------------------------------------- EndpointSlice


def test_endpoint_slice_with_service_name_label_is_valid():
    """ValidateEndpointSlice: the kubernetes.io/service-name label is an ordinary valid label."""
    assert slice_errors(SLICE) == []


def test_address_type_is_required():
    """validateAddressType: empty is Required."""
    assert slice_errors(SLICE.replace("addressType: IPv4\n", "")) == ["addressType: Required value"]


def test_address_type_is_case_sensitive():
    """validateAddressType: NotSupported, values sorted; addresses of unknown types are not checked."""
    assert slice_errors(SLICE.replace("IPv4", "ipv4")) == [
        'addressType: Unsupported value: "ipv4": supported values: "FQDN", "IPv4", "IPv6"'
    ]


def test_each_endpoint_needs_an_address():
    """validateEndpoints: at least one address per endpoint."""
    assert slice_errors(SLICE.replace("addresses: [10.244.1.5]", "addresses: []")) == [
        "endpoints[0].addresses: Required value: must contain at least 1 address"
    ]


@pytest.mark.parametrize(
    ("address", "details"),
    [
        ("10.244.1.300", ["must be a valid IPv4 address", "must be a valid IP address"]),
        ("fd00::5", ["must be a valid IPv4 address"]),
        ("127.0.0.1", ["may not be in the loopback range (127.0.0.0/8, ::1/128)"]),
        ("0.0.0.0", ["may not be unspecified (0.0.0.0)"]),
        ("169.254.1.1", ["may not be in the link-local range (169.254.0.0/16, fe80::/10)"]),
        ("224.0.0.5", ["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"]),
        ("010.244.001.005", []),
    ],
)
def test_ipv4_slice_addresses_are_checked_like_go_parses_them(address, details):
    """IsValidIPv4Address then ValidateEndpointIP, with Go's sloppy IPv4 parsing."""
    assert slice_errors(SLICE.replace("10.244.1.5", address)) == [
        f'endpoints[0].addresses[0]: Invalid value: "{address}": {d}' for d in details
    ]


def test_slice_port_protocol_and_name_rules():
    """validatePorts: protocol enum, DNS-1123 label names, unique names ("" included)."""
    text = SLICE.replace(
        "- {name: http, port: 8080, protocol: TCP}\n",
        "- {name: HTTP, port: 8080, protocol: tcp}\n- {port: 8081}\n- {port: 8082}\n",
    )
    assert slice_errors(text) == [
        f'ports[0].name: Invalid value: "HTTP": {DNS_LABEL}',
        'ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
        'ports[2].name: Duplicate value: ""',
    ]


def test_slice_port_protocol_is_required_before_defaulting():
    """validatePorts: a nil protocol is Required (defaulting normally fills TCP)."""
    raw = load(SLICE.replace(", protocol: TCP", ""))
    assert [str(e) for e in validate_endpoint_slice(raw)] == ["ports[0].protocol: Required value"]


# --------------------------------------------------------------------------- Endpoints


def test_endpoints_are_valid():
    """ValidateEndpoints: a plain subset passes."""
    assert endpoints_errors(ENDPOINTS) == []


def test_endpoints_invalid_ip_is_reported_by_both_ip_checks():
    """validateEndpointAddress: IsValidIP then ValidateNonSpecialIP."""
    assert endpoints_errors(ENDPOINTS.replace("10.244.1.5", "10.244.1.256")) == [
        'subsets[0].addresses[0].ip: Invalid value: "10.244.1.256": must be a valid IP address, '
        "(e.g. 10.9.8.7 or 2001:db8::ffff)",
        'subsets[0].addresses[0].ip: Invalid value: "10.244.1.256": must be a valid IP address',
    ]


def test_endpoints_ports_need_names_when_there_are_several():
    """validateEndpointPort: name required with more than one port; range; protocol enum."""
    text = ENDPOINTS.replace("ports: [{port: 8080}]", "ports: [{port: 0}, {name: dns, port: 53, protocol: udp}]")
    assert endpoints_errors(text) == [
        "subsets[0].ports[0].name: Required value",
        "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        'subsets[0].ports[1].protocol: Unsupported value: "udp": supported values: "SCTP", "TCP", "UDP"',
    ]


def test_endpoints_subset_needs_addresses():
    """validateEndpointSubsets: addresses or notReadyAddresses."""
    text = ENDPOINTS.replace("- addresses: [{ip: 10.244.1.5, nodeName: kind-worker}]\n  ports", "- ports")
    assert endpoints_errors(text) == ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]
