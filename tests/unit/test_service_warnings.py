"""Warnings kubectl prints for accepted Services (R-W-2, R-HIST-1)."""

from __future__ import annotations

import dataclasses

from grader.model.kinds import decode_document
from grader.model.objects import Service
from grader.model.service_defaults import default_service, fill_ip_families
from grader.model.service_warnings import cidr_warnings, ip_warnings, service_warnings
from grader.model.yamlload import load_documents


def with_namespace(svc: Service) -> Service:
    return svc.replace(metadata=dataclasses.replace(svc.metadata, namespace="default"))


def stored(text: str) -> Service:
    """Decoded, defaulted and filled in as the registry stores it (warnings come last)."""
    obj = decode_document(load_documents(text)[0])
    assert isinstance(obj, Service)
    return fill_ip_families(default_service(with_namespace(obj)))


def warnings_for(spec: str, annotations: str = "{}") -> list[str]:
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web, annotations: {annotations}}}\nspec: {spec}\n"
    return service_warnings(stored(text))


def test_r_w_2_ordinary_services_draw_no_warnings():
    """R-W-2: the usual manifests are accepted silently."""
    for spec in (
        "{selector: {app: x}, ports: [{port: 80}]}",
        "{type: NodePort, selector: {app: x}, ports: [{port: 80, nodePort: 30008}]}",
        "{type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], ports: [{port: 80}]}",
        '{externalIPs: ["172.18.0.100"], ports: [{port: 80}]}',
    ):
        assert warnings_for(spec) == [], spec


def test_r_w_2_headless_service_with_default_affinity_draws_no_warning():
    """R-W-2: a plain headless service is silent (the 1.34.0 SessionAffinity false alarm was fixed)."""
    assert warnings_for("{clusterIP: None, selector: {app: x}, ports: [{port: 80}]}") == []


def test_r_w_2_headless_ignores_external_ips_affinity_and_load_balancer_ip():
    """R-W-2: three headless warnings, in the API server's order (affinity on headless is ignored: R-SA-3)."""
    spec = (
        '{clusterIP: None, externalIPs: ["172.18.0.100"], sessionAffinity: ClientIP, '
        "loadBalancerIP: 172.18.0.200, selector: {app: x}, ports: [{port: 80}]}"
    )
    assert warnings_for(spec) == [
        "spec.loadBalancerIP is ignored for headless services",
        "spec.externalIPs is ignored for headless services",
        "spec.SessionAffinity is ignored for headless services",
    ]


def test_r_w_2_external_name_ignores_external_ips():
    """R-W-2: externalIPs on an ExternalName service."""
    assert warnings_for('{type: ExternalName, externalName: db.example.com, externalIPs: ["172.18.0.100"]}') == [
        'spec.externalIPs is ignored when spec.type is "ExternalName"'
    ]


def test_r_w_2_external_name_field_is_ignored_on_other_types():
    """R-W-2: externalName on a ClusterIP service."""
    assert warnings_for("{externalName: db.example.com, ports: [{port: 80}]}") == [
        'spec.externalName is ignored when spec.type is not "ExternalName"'
    ]


def test_r_w_2_leading_zeros_in_external_ip():
    """R-W-2: an externalIP with leading zeros is accepted with a warning naming the canonical form."""
    assert warnings_for('{externalIPs: ["172.018.000.100"], ports: [{port: 80}]}') == [
        'spec.externalIPs[0]: non-standard IP address "172.018.000.100" will be considered invalid '
        'in a future Kubernetes release: use "172.18.0.100"'
    ]


def test_r_w_2_leading_zeros_in_cluster_ip_and_load_balancer_ip():
    """R-W-2: clusterIPs and loadBalancerIP get the same formatting warning."""
    spec = "{type: LoadBalancer, clusterIP: 10.96.0.010, loadBalancerIP: 172.18.0.0200, ports: [{port: 80}]}"
    assert warnings_for(spec) == [
        'spec.clusterIPs[0]: non-standard IP address "10.96.0.010" will be considered invalid '
        'in a future Kubernetes release: use "10.96.0.10"',
        'spec.loadBalancerIP: non-standard IP address "172.18.0.0200" will be considered invalid '
        'in a future Kubernetes release: use "172.18.0.200"',
    ]


def test_r_w_2_source_range_with_host_bits_is_ambiguous():
    """R-W-2: 10.0.0.1/8 could mean the network or the single address."""
    assert warnings_for("{type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.1/8], ports: [{port: 80}]}") == [
        'spec.loadBalancerSourceRanges[0]: CIDR value "10.0.0.1/8" is ambiguous in this context '
        '(should be "10.0.0.0/8" or "10.0.0.1/32"?)'
    ]


def test_r_w_2_source_range_with_leading_zeros():
    """R-W-2: leading zeros in a CIDR's address or length."""
    assert cidr_warnings("spec.loadBalancerSourceRanges[0]", "010.0.0.0/08") == [
        'spec.loadBalancerSourceRanges[0]: non-standard CIDR value "010.0.0.0/08" will be considered invalid '
        'in a future Kubernetes release: use "10.0.0.0/8"'
    ]


def test_r_w_2_ipv6_formatting_warnings():
    """R-W-2: IPv4-mapped and non-canonical IPv6 forms."""
    assert ip_warnings("spec.externalIPs[0]", "::ffff:172.18.0.100") == [
        'spec.externalIPs[0]: non-standard IP address "::ffff:172.18.0.100" will be considered invalid '
        'in a future Kubernetes release: use "172.18.0.100"'
    ]
    assert ip_warnings("spec.externalIPs[0]", "2001:DB8:0:0::1") == [
        'spec.externalIPs[0]: IPv6 address "2001:DB8:0:0::1" should be in RFC 5952 canonical format ("2001:db8::1")'
    ]
    assert cidr_warnings("x", "2001:DB8::/32") == [
        'x: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 canonical format ("2001:db8::/32")'
    ]


def test_r_w_2_topology_hints_annotation_is_deprecated():
    """R-W-2: the old topology-aware-hints annotation points at topology-mode."""
    spec = "{ports: [{port: 80}]}"
    assert warnings_for(spec, "{service.kubernetes.io/topology-aware-hints: Auto}") == [
        "annotation service.kubernetes.io/topology-aware-hints is deprecated, "
        "please use service.kubernetes.io/topology-mode instead"
    ]


def test_r_w_2_update_warns_about_the_whole_new_object():
    """R-W-2: the old object is not consulted; unchanged fields still warn."""
    spec = "{externalName: x.example.com, ports: [{port: 80}]}"
    new = stored(f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {spec}\n")
    assert service_warnings(new, new) == service_warnings(new) == [
        'spec.externalName is ignored when spec.type is not "ExternalName"'
    ]


def test_r_hist_1_onlylocal_annotation_draws_no_warning():
    """R-HIST-1 / S27: the old annotation is accepted without error or warning."""
    spec = "{type: NodePort, selector: {app: echo}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}"
    assert warnings_for(spec, "{service.beta.kubernetes.io/external-traffic: OnlyLocal}") == []
