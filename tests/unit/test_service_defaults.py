"""Service defaulting (R-SD-1..7) and the shared predicates (Go IP parsing: test_ipaddr.py)."""

from __future__ import annotations

import dataclasses

from grader.model.kinds import decode_document
from grader.model.objects import LoadBalancerIngress, LoadBalancerStatus, Service, ServiceStatus
from grader.model.service_defaults import (
    default_service,
    fill_ip_families,
    ip_family_errors,
    is_externally_accessible,
    needs_cluster_ip,
    needs_health_check_node_port,
    needs_node_ports,
    should_allocate_node_ports,
)
from grader.model.yamlload import load_documents


def decoded(text: str) -> Service:
    obj = decode_document(load_documents(text)[0])
    assert isinstance(obj, Service)
    return obj.replace(metadata=dataclasses.replace(obj.metadata, namespace="default"))


def defaulted(text: str) -> Service:
    return default_service(decoded(text))


def manifest(spec: str, name: str = "web") -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {spec}\n"


# --------------------------------------------------------------------------- R-SD-1, R-SD-2


def test_r_sd_1_type_defaults_to_clusterip():
    """R-SD-1: no type means ClusterIP."""
    assert defaulted(manifest("{ports: [{port: 80}]}")).spec.type == "ClusterIP"


def test_r_sd_1_explicit_type_is_kept():
    """R-SD-1: a type the user wrote is left alone."""
    assert defaulted(manifest("{type: NodePort, ports: [{port: 80}]}")).spec.type == "NodePort"


def test_r_sd_2_protocol_defaults_to_tcp():
    """R-SD-2: a port without protocol is TCP."""
    assert defaulted(manifest("{ports: [{port: 80}]}")).spec.ports[0].protocol == "TCP"


def test_r_sd_2_missing_target_port_becomes_the_port_number():
    """R-SD-2: the mysql 33306 trap — no targetPort means targetPort = port (S13)."""
    port = defaulted(manifest("{ports: [{port: 33306}]}")).spec.ports[0]
    assert port.target_port == 33306


def test_r_sd_2_zero_and_empty_target_port_become_the_port_number():
    """R-SD-2: targetPort 0 and "" count as absent."""
    svc = defaulted(manifest('{ports: [{name: a, port: 80, targetPort: 0}, {name: b, port: 81, targetPort: ""}]}'))
    assert [p.target_port for p in svc.spec.ports] == [80, 81]


def test_r_sd_2_named_and_numeric_target_ports_are_kept():
    """R-SD-2: a real targetPort is not touched, whether number or name."""
    svc = defaulted(manifest("{ports: [{name: a, port: 80, targetPort: 8080}, {name: b, port: 81, targetPort: http}]}"))
    assert [p.target_port for p in svc.spec.ports] == [8080, "http"]


def test_r_sd_2_port_zero_gives_target_port_zero():
    """R-SD-2: with neither port nor targetPort, both stay 0 (and both are rejected, S40)."""
    assert defaulted(manifest("{ports: [{name: web}]}")).spec.ports[0].target_port == 0


# --------------------------------------------------------------------------- R-SD-3


def test_r_sd_3_session_affinity_defaults_to_none():
    """R-SD-3: no sessionAffinity means None."""
    assert defaulted(manifest("{ports: [{port: 80}]}")).spec.session_affinity == "None"


def test_r_sd_3_affinity_config_is_dropped_when_affinity_is_none():
    """R-SD-3: with affinity None the config is silently removed (S50 variant)."""
    spec = "{sessionAffinity: None, sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]}"
    assert defaulted(manifest(spec)).spec.session_affinity_config is None


def test_r_sd_3_affinity_config_is_dropped_when_affinity_is_omitted():
    """R-SD-3: an omitted affinity defaults to None first, so the config goes too."""
    spec = "{sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]}"
    assert defaulted(manifest(spec)).spec.session_affinity_config is None


def test_r_sd_3_client_ip_gets_a_three_hour_timeout():
    """R-SD-3: ClientIP without a timeout gets timeoutSeconds 10800 (S50)."""
    svc = defaulted(manifest("{sessionAffinity: ClientIP, ports: [{port: 80}]}"))
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 10800


def test_r_sd_3_client_ip_with_empty_client_ip_block_gets_the_default():
    """R-SD-3: an empty clientIP block is completed with the default timeout."""
    svc = defaulted(manifest("{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {}}, ports: [{port: 80}]}"))
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 10800


def test_r_sd_3_client_ip_timeout_written_by_the_user_is_kept():
    """R-SD-3: a user timeout (even an invalid one) is kept for validation to judge."""
    spec = "{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}, ports: [{port: 80}]}"
    assert defaulted(manifest(spec)).spec.session_affinity_config.client_ip.timeout_seconds == 90000


# --------------------------------------------------------------------------- R-SD-4


def test_r_sd_4_nodeport_and_loadbalancer_get_cluster_external_traffic_policy():
    """R-SD-4: externally accessible types default externalTrafficPolicy to Cluster."""
    for kind in ("NodePort", "LoadBalancer"):
        assert defaulted(manifest(f"{{type: {kind}, ports: [{{port: 80}}]}}")).spec.external_traffic_policy == "Cluster"


def test_r_sd_4_clusterip_with_external_ips_gets_cluster_policy():
    """R-SD-4: ClusterIP with externalIPs is externally accessible too."""
    svc = defaulted(manifest('{externalIPs: ["172.18.0.100"], ports: [{port: 80}]}'))
    assert svc.spec.external_traffic_policy == "Cluster"


def test_r_sd_4_plain_clusterip_keeps_external_traffic_policy_empty():
    """R-SD-4: a plain ClusterIP service gets no externalTrafficPolicy."""
    assert defaulted(manifest("{ports: [{port: 80}]}")).spec.external_traffic_policy == ""


def test_r_sd_4_user_external_traffic_policy_is_kept():
    """R-SD-4: Local stays Local."""
    svc = defaulted(manifest("{type: NodePort, externalTrafficPolicy: Local, ports: [{port: 80}]}"))
    assert svc.spec.external_traffic_policy == "Local"


def test_r_hist_1_onlylocal_annotation_does_not_change_the_policy():
    """R-HIST-1: the beta OnlyLocal annotation is just an annotation; the policy is Cluster (S27)."""
    text = """
apiVersion: v1
kind: Service
metadata:
  name: echo
  annotations: {service.beta.kubernetes.io/external-traffic: OnlyLocal}
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
"""
    svc = defaulted(text)
    assert svc.spec.external_traffic_policy == "Cluster"
    assert not needs_health_check_node_port(svc.spec)


# --------------------------------------------------------------------------- R-SD-5, R-SD-6


def test_r_sd_5_internal_traffic_policy_defaults_to_cluster():
    """R-SD-5: ClusterIP, NodePort and LoadBalancer get internalTrafficPolicy Cluster."""
    for kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        assert defaulted(manifest(f"{{type: {kind}, ports: [{{port: 80}}]}}")).spec.internal_traffic_policy == "Cluster"


def test_r_sd_5_external_name_gets_no_internal_traffic_policy():
    """R-SD-5: ExternalName services get no internalTrafficPolicy."""
    svc = defaulted(manifest("{type: ExternalName, externalName: db.example.com}"))
    assert svc.spec.internal_traffic_policy is None


def test_r_sd_5_user_internal_traffic_policy_is_kept():
    """R-SD-5: Local stays Local (S54)."""
    assert defaulted(manifest("{internalTrafficPolicy: Local, ports: [{port: 80}]}")).spec.internal_traffic_policy == "Local"


def test_r_sd_6_loadbalancer_allocates_node_ports_by_default():
    """R-SD-6: a LoadBalancer gets allocateLoadBalancerNodePorts true (S47)."""
    svc = defaulted(manifest("{type: LoadBalancer, selector: {app: myapp}, ports: [{port: 80}]}", "lb"))
    assert svc.spec.allocate_load_balancer_node_ports is True
    assert svc.spec.external_traffic_policy == "Cluster"


def test_r_sd_6_explicit_false_is_kept_and_other_types_get_nothing():
    """R-SD-6: false stays false; NodePort services do not get the field."""
    lb = defaulted(manifest("{type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}"))
    assert lb.spec.allocate_load_balancer_node_ports is False
    assert defaulted(manifest("{type: NodePort, ports: [{port: 80}]}")).spec.allocate_load_balancer_node_ports is None


def test_r_sd_6_loadbalancer_ingress_ip_gets_vip_mode():
    """R-SD-6 (same defaulter): a LoadBalancer ingress IP without ipMode gets VIP."""
    svc = decoded(manifest("{type: LoadBalancer, ports: [{port: 80}]}"))
    status = ServiceStatus(load_balancer=LoadBalancerStatus(ingress=(LoadBalancerIngress(ip="172.18.0.200"),)))
    assert default_service(svc.replace(status=status)).status.load_balancer.ingress[0].ip_mode == "VIP"


def test_r_sd_defaulting_is_idempotent():
    """R-SD-1..6: defaulting a defaulted Service changes nothing."""
    for spec in (
        "{ports: [{port: 80}]}",
        "{type: LoadBalancer, sessionAffinity: ClientIP, ports: [{port: 80, targetPort: http}]}",
        "{type: ExternalName, externalName: db.example.com}",
    ):
        once = defaulted(manifest(spec))
        assert default_service(once) == once


def test_r_sd_defaulting_leaves_allocated_fields_alone():
    """R-SD-7: defaulting never invents a clusterIP, nodePort or ipFamilies."""
    svc = defaulted(manifest("{type: NodePort, ports: [{port: 80}]}"))
    assert (svc.spec.cluster_ip, svc.spec.ports[0].node_port, svc.spec.ip_families) == ("", 0, ())


# --------------------------------------------------------------------------- predicates


def test_r_sd_4_externally_accessible_matches_kubernetes():
    """R-SD-4: ExternallyAccessible is NodePort, LoadBalancer, or ClusterIP with externalIPs."""
    assert is_externally_accessible(defaulted(manifest("{type: NodePort, ports: [{port: 80}]}")).spec)
    assert is_externally_accessible(defaulted(manifest('{externalIPs: ["1.2.3.4"], ports: [{port: 80}]}')).spec)
    assert not is_externally_accessible(defaulted(manifest("{ports: [{port: 80}]}")).spec)
    ext_name = defaulted(manifest('{type: ExternalName, externalName: x.example.com, externalIPs: ["1.2.3.4"]}'))
    assert not is_externally_accessible(ext_name.spec)


def test_r_sd_7_registry_predicates_by_type():
    """R-SD-7: which types own a clusterIP, nodePorts and a healthCheckNodePort."""
    cip = defaulted(manifest("{ports: [{port: 80}]}")).spec
    npt = defaulted(manifest("{type: NodePort, ports: [{port: 80}]}")).spec
    lbl = defaulted(manifest("{type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}")).spec
    ext = defaulted(manifest("{type: ExternalName, externalName: x.example.com}")).spec
    assert [needs_cluster_ip(s) for s in (cip, npt, lbl, ext)] == [True, True, True, False]
    assert [needs_node_ports(s) for s in (cip, npt, lbl, ext)] == [False, True, True, False]
    assert [needs_health_check_node_port(s) for s in (cip, npt, lbl, ext)] == [False, False, True, False]


def test_r_sd_6_loadbalancer_without_node_port_allocation_still_needs_node_ports():
    """R-SD-6: allocateLoadBalancerNodePorts false stops auto-allocation, not ownership."""
    spec = defaulted(manifest("{type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}")).spec
    assert needs_node_ports(spec) and not should_allocate_node_ports(spec)
    assert should_allocate_node_ports(defaulted(manifest("{type: LoadBalancer, ports: [{port: 80}]}")).spec)
    assert not should_allocate_node_ports(defaulted(manifest("{ports: [{port: 80}]}")).spec)


# --------------------------------------------------------------------------- R-SD-7: IP families


def test_r_sd_7_clusterip_service_gets_single_stack_ipv4():
    """R-SD-7: an ordinary service is SingleStack with ipFamilies [IPv4]."""
    svc = fill_ip_families(defaulted(manifest("{selector: {app: x}, ports: [{port: 80}]}")))
    assert (svc.spec.ip_family_policy, svc.spec.ip_families) == ("SingleStack", ("IPv4",))


def test_r_sd_7_user_cluster_ip_also_fills_cluster_ips():
    """R-SD-7: clusterIP written alone is mirrored into clusterIPs."""
    svc = fill_ip_families(defaulted(manifest("{clusterIP: 10.96.0.50, ports: [{port: 80}]}")))
    assert svc.spec.cluster_ips == ("10.96.0.50",)


def test_r_sd_7_headless_with_selector_is_single_stack():
    """R-SD-7: headless with a selector is SingleStack [IPv4]."""
    svc = fill_ip_families(defaulted(manifest("{clusterIP: None, selector: {app: x}, ports: [{port: 80}]}")))
    assert (svc.spec.ip_family_policy, svc.spec.ip_families, svc.spec.cluster_ips) == (
        "SingleStack",
        ("IPv4",),
        ("None",),
    )


def test_r_sd_7_headless_selectorless_defaults_to_require_dual_stack():
    """R-SD-7: headless + selectorless becomes RequireDualStack [IPv4, IPv6] even on single stack."""
    svc = fill_ip_families(defaulted(manifest("{clusterIP: None, ports: [{port: 80}]}")))
    assert (svc.spec.ip_family_policy, svc.spec.ip_families) == ("RequireDualStack", ("IPv4", "IPv6"))


def test_r_sd_7_external_name_gets_no_ip_families():
    """R-SD-7: ExternalName services get neither ipFamilies nor a policy."""
    svc = fill_ip_families(defaulted(manifest("{type: ExternalName, externalName: db.example.com}")))
    assert (svc.spec.ip_families, svc.spec.ip_family_policy) == ((), None)


def test_r_sd_7_prefer_dual_stack_on_single_stack_cluster_gets_one_family():
    """R-SD-7: PreferDualStack is kept and gets only IPv4 on a single-stack cluster."""
    svc = fill_ip_families(defaulted(manifest("{ipFamilyPolicy: PreferDualStack, ports: [{port: 80}]}")))
    assert (svc.spec.ip_family_policy, svc.spec.ip_families) == ("PreferDualStack", ("IPv4",))


def test_r_sd_7_update_adopts_the_old_policy():
    """R-SD-7: an update without ipFamilyPolicy keeps the stored one."""
    old = fill_ip_families(defaulted(manifest("{ipFamilyPolicy: PreferDualStack, ports: [{port: 80}]}")))
    new = fill_ip_families(defaulted(manifest("{ports: [{port: 80}]}")), old)
    assert new.spec.ip_family_policy == "PreferDualStack"


def test_r_sd_7_fill_ip_families_is_idempotent():
    """R-SD-7: filling twice changes nothing."""
    once = fill_ip_families(defaulted(manifest("{clusterIP: None, ports: [{port: 80}]}")))
    assert fill_ip_families(once) == once


def test_r_sd_7_require_dual_stack_is_refused_on_a_single_stack_cluster():
    """R-SD-7: RequireDualStack on kind's single-stack cluster fails before allocation."""
    svc = defaulted(manifest("{ipFamilyPolicy: RequireDualStack, selector: {app: x}, ports: [{port: 80}]}"))
    assert [str(e) for e in ip_family_errors(svc)] == [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'
    ]


def test_r_sd_7_ipv6_family_is_refused_on_an_ipv4_cluster():
    """R-SD-7: asking for IPv6 on an IPv4-only cluster names the family."""
    svc = defaulted(manifest("{ipFamilies: [IPv6], ports: [{port: 80}]}"))
    assert [str(e) for e in ip_family_errors(svc)] == [
        'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'
    ]


def test_r_sd_7_ipv6_cluster_ip_is_refused_on_an_ipv4_cluster():
    """R-SD-7: a user IPv6 clusterIP cannot be allocated on an IPv4-only cluster."""
    svc = fill_ip_families(defaulted(manifest('{clusterIP: "fd00::10", ports: [{port: 80}]}')))
    svc = svc.replace(spec=dataclasses.replace(svc.spec, ip_families=(), ip_family_policy=None))
    assert [str(e) for e in ip_family_errors(svc)] == [
        'spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster'
    ]


def test_r_sd_7_ordinary_and_headless_selectorless_services_pass_the_family_checks():
    """R-SD-7: the usual manifests raise no IP-family errors."""
    for spec in ("{ports: [{port: 80}]}", "{clusterIP: None, ports: [{port: 80}]}"):
        assert ip_family_errors(fill_ip_families(defaulted(manifest(spec)))) == []
