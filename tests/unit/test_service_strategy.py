"""The Service registry's update-time steps: keeping allocated values, type-change clean-ups (R-SU-*)."""

from __future__ import annotations

import dataclasses

from grader.model.kinds import decode_document
from grader.model.objects import LoadBalancerIngress, LoadBalancerStatus, Service, ServiceStatus
from grader.model.service_defaults import default_service
from grader.model.service_strategy import (
    begin_create,
    begin_update,
    default_on_read,
    drop_type_dependent_fields,
    normalize_cluster_ips,
    patch_allocated_values,
    prepare_for_create,
    prepare_for_update,
)
from grader.model.service_validation import validate_service_update
from grader.model.yamlload import load_documents


def with_namespace(svc: Service) -> Service:
    return svc.replace(metadata=dataclasses.replace(svc.metadata, namespace="default"))


def request(spec: str, name: str = "web") -> Service:
    """A manifest as the registry sees it: decoded, namespaced, defaulted."""
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {spec}\n"
    obj = decode_document(load_documents(text)[0])
    assert isinstance(obj, Service)
    return default_service(with_namespace(obj))


def stored(spec: str, cluster_ip: str = "10.96.12.34", node_ports: tuple[int, ...] = (), hc: int = 0) -> Service:
    """A Service as stored after create: clusterIP, nodePorts and healthCheckNodePort allocated."""
    svc = begin_create(request(spec))
    ports = tuple(
        dataclasses.replace(p, node_port=node_ports[i]) if i < len(node_ports) else p
        for i, p in enumerate(svc.spec.ports)
    )
    ip_fields = {"cluster_ip": cluster_ip, "cluster_ips": (cluster_ip,)} if svc.spec.type != "ExternalName" else {}
    spec_ = dataclasses.replace(svc.spec, ports=ports, health_check_node_port=hc, **ip_fields)
    return prepare_for_create(svc.replace(spec=spec_))


def updated(old: Service, spec: str) -> Service:
    """The registry's update steps, with an allocator that allocates nothing new."""
    return prepare_for_update(old, begin_update(old, request(spec)))


# --------------------------------------------------------------------------- patch_allocated_values


def test_r_su_1_reapplied_manifest_keeps_cluster_ip():
    """R-SU-1: omitting clusterIP on update keeps the allocated one."""
    old = stored("{selector: {app: x}, ports: [{port: 80}]}")
    new = patch_allocated_values(old, request("{selector: {app: x}, ports: [{port: 80}]}"))
    assert (new.spec.cluster_ip, new.spec.cluster_ips) == ("10.96.12.34", ("10.96.12.34",))


def test_r_su_1_nodeport_to_loadbalancer_keeps_node_ports():
    """R-SU-1: NodePort → LoadBalancer keeps the existing nodePorts."""
    old = stored("{type: NodePort, ports: [{name: http, port: 80}]}", node_ports=(31234,))
    new = patch_allocated_values(old, request("{type: LoadBalancer, ports: [{name: http, port: 80}]}"))
    assert new.spec.ports[0].node_port == 31234


def test_r_su_1_node_ports_are_matched_by_port_name():
    """R-SU-1: omitted nodePorts come back by port name, even if the port number changed."""
    old = stored(
        "{type: NodePort, ports: [{name: http, port: 80}, {name: https, port: 443}]}", node_ports=(31080, 31443)
    )
    new = patch_allocated_values(
        old, request("{type: NodePort, ports: [{name: https, port: 8443}, {name: http, port: 8080}, {name: x, port: 1}]}")
    )
    assert [p.node_port for p in new.spec.ports] == [31443, 31080, 0]


def test_r_su_4_a_node_port_taken_by_another_port_is_not_patched_back():
    """R-SU-4: the "used" rule — a nodePort the request moved to another port is not reused."""
    old = stored("{type: NodePort, ports: [{name: a, port: 80}, {name: b, port: 81}]}", node_ports=(31000, 32000))
    new = patch_allocated_values(
        old, request("{type: NodePort, ports: [{name: a, port: 80}, {name: b, port: 81, nodePort: 31000}]}")
    )
    assert [p.node_port for p in new.spec.ports] == [0, 31000]


def test_r_su_4_explicit_new_node_port_is_kept():
    """R-SU-4: a nodePort the request names is not overwritten by the old one."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    new = patch_allocated_values(old, request("{type: NodePort, ports: [{port: 80, nodePort: 30500}]}"))
    assert new.spec.ports[0].node_port == 30500


def test_r_su_3_health_check_node_port_is_kept_while_needed():
    """R-SU-3: LoadBalancer + Local keeps its healthCheckNodePort when the manifest omits it."""
    spec = "{type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}"
    old = stored(spec, node_ports=(31000,), hc=30100)
    assert patch_allocated_values(old, request(spec)).spec.health_check_node_port == 30100


def test_r_su_2_nothing_is_patched_into_a_type_that_does_not_need_it():
    """R-SU-2: no nodePorts patched into ClusterIP, no clusterIP patched into ExternalName."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    assert patch_allocated_values(old, request("{ports: [{port: 80}]}")).spec.ports[0].node_port == 0
    ext = patch_allocated_values(old, request("{type: ExternalName, externalName: db.example.com}"))
    assert (ext.spec.cluster_ip, ext.spec.cluster_ips) == ("", ())


# --------------------------------------------------------------------------- drop_type_dependent_fields


def test_r_su_2_s51_stale_node_port_is_wiped_when_switching_to_clusterip():
    """R-SU-2 / S51: the old nodePort left in a ClusterIP manifest disappears."""
    old = stored("{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")
    new = updated(old, "{type: ClusterIP, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")
    assert new.spec.ports[0].node_port == 0
    assert validate_service_update(old, new) == []


def test_r_su_2_s51_new_node_port_survives_for_validation_to_reject():
    """R-SU-2 / S51: a nodePort the service did not have is kept, so R-SV-14 fires."""
    old = stored("{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")
    new = updated(old, "{type: ClusterIP, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30009}]}")
    assert new.spec.ports[0].node_port == 30009
    assert [str(e) for e in validate_service_update(old, new)] == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_r_su_2_node_ports_wiped_when_omitted_on_switch_to_clusterip():
    """R-SU-2: a clean ClusterIP manifest simply has no nodePorts."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    assert updated(old, "{ports: [{port: 80}]}").spec.ports[0].node_port == 0


def test_r_su_3_external_traffic_policy_dropped_when_no_longer_externally_accessible():
    """R-SU-3: NodePort → ClusterIP drops the defaulted externalTrafficPolicy."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    new = updated(old, "{type: ClusterIP, externalTrafficPolicy: Cluster, ports: [{port: 80}]}")
    assert new.spec.external_traffic_policy == ""
    assert validate_service_update(old, new) == []


def test_r_su_3_external_traffic_policy_changed_in_the_same_request_is_kept():
    """R-SU-3: a policy the user changed while leaving NodePort reaches validation (R-SV-17)."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    new = updated(old, "{type: ClusterIP, externalTrafficPolicy: Local, ports: [{port: 80}]}")
    assert new.spec.external_traffic_policy == "Local"
    assert [str(e) for e in validate_service_update(old, new)] == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'
    ]


def test_r_su_3_health_check_node_port_dropped_when_local_no_longer_applies():
    """R-SU-3: LoadBalancer + Local → Cluster clears the healthCheckNodePort the client echoed."""
    lb = "{type: LoadBalancer, externalTrafficPolicy: %s, ports: [{port: 80}]%s}"
    old = stored(lb % ("Local", ""), node_ports=(31000,), hc=30100)
    new = updated(old, lb % ("Cluster", ", healthCheckNodePort: 30100"))
    assert new.spec.health_check_node_port == 0
    assert validate_service_update(old, new) == []


def test_r_su_3_allocate_load_balancer_node_ports_dropped_when_leaving_loadbalancer():
    """R-SU-3: LoadBalancer → NodePort drops the unchanged allocateLoadBalancerNodePorts."""
    old = stored("{type: LoadBalancer, ports: [{port: 80}]}", node_ports=(31000,))
    new = updated(old, "{type: NodePort, allocateLoadBalancerNodePorts: true, ports: [{port: 80}]}")
    assert new.spec.allocate_load_balancer_node_ports is None
    assert validate_service_update(old, new) == []


def test_r_su_3_changed_allocate_load_balancer_node_ports_is_kept():
    """R-SU-3: a value changed in the same request stays, and validation forbids it (R-SV-19)."""
    old = stored("{type: LoadBalancer, ports: [{port: 80}]}", node_ports=(31000,))
    new = updated(old, "{type: NodePort, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}")
    assert new.spec.allocate_load_balancer_node_ports is False


def test_r_su_3_load_balancer_class_dropped_when_leaving_loadbalancer():
    """R-SU-3: an unchanged loadBalancerClass goes away with the LoadBalancer type."""
    old = stored("{type: LoadBalancer, loadBalancerClass: example.com/lb, ports: [{port: 80}]}", node_ports=(31000,))
    new = updated(old, "{type: NodePort, loadBalancerClass: example.com/lb, ports: [{port: 80}]}")
    assert new.spec.load_balancer_class is None


def test_r_su_3_cluster_ips_released_when_moving_to_external_name():
    """R-SU-3: ExternalName drops the unchanged clusterIP(s), ipFamilies and ipFamilyPolicy."""
    old = stored("{selector: {app: x}, ports: [{port: 80}]}")
    spec = dataclasses.replace(
        old.spec, type="ExternalName", external_name="db.example.com", internal_traffic_policy=None
    )
    new = drop_type_dependent_fields(old, old.replace(spec=spec))
    assert (new.spec.cluster_ip, new.spec.cluster_ips, new.spec.ip_families, new.spec.ip_family_policy) == (
        "",
        (),
        (),
        None,
    )
    assert validate_service_update(old, new) == []


def test_r_su_3_loadbalancer_status_cleared_when_leaving_loadbalancer():
    """R-SU-3: the LoadBalancer status disappears with the type."""
    old = stored("{type: LoadBalancer, ports: [{port: 80}]}", node_ports=(31000,))
    ingress = LoadBalancerStatus(ingress=(LoadBalancerIngress(ip="172.18.0.200", ip_mode="VIP"),))
    old = old.replace(status=ServiceStatus(load_balancer=ingress))
    assert updated(old, "{type: LoadBalancer, ports: [{port: 80}]}").status.load_balancer == ingress
    assert updated(old, "{type: NodePort, ports: [{port: 80}]}").status.load_balancer == LoadBalancerStatus()


def test_r_su_2_drop_is_a_no_op_on_create_shaped_input():
    """R-SU-2: with nothing changing type, nothing is dropped."""
    old = stored("{type: NodePort, ports: [{port: 80}]}", node_ports=(31000,))
    assert drop_type_dependent_fields(old, old) == old


# --------------------------------------------------------------------------- clusterIPs, reads, status


def test_r_su_5_changed_cluster_ip_carries_cluster_ips_along():
    """R-SU-5: a new clusterIP with untouched clusterIPs is normalized, then refused by validation."""
    old = stored("{ports: [{port: 80}]}")
    new = updated(old, "{clusterIP: 10.96.0.99, ports: [{port: 80}]}")
    assert new.spec.cluster_ips == ("10.96.0.99",)
    assert [str(e) for e in validate_service_update(old, new)] == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set'
    ]


def test_r_su_5_normalize_on_create_mirrors_a_lone_cluster_ip():
    """R-SU-5: clusterIP alone fills clusterIPs on create; an empty clusterIP leaves both empty."""
    assert normalize_cluster_ips(request("{clusterIP: None, ports: [{port: 80}]}")).spec.cluster_ips == ("None",)
    assert normalize_cluster_ips(request("{ports: [{port: 80}]}")).spec.cluster_ips == ()


def test_r_su_5_clearing_cluster_ip_clears_untouched_cluster_ips():
    """R-SU-5: an old client blanking clusterIP without clusterIPs gets both cleared."""
    old = stored("{ports: [{port: 80}]}")
    new = request("{ports: [{port: 80}]}")
    new = new.replace(spec=dataclasses.replace(new.spec, cluster_ips=old.spec.cluster_ips))
    assert normalize_cluster_ips(new, old).spec.cluster_ips == ()


def test_r_sd_5_external_name_reads_without_internal_traffic_policy():
    """R-SD-5: an ExternalName stored with internalTrafficPolicy reads without it."""
    svc = request("{type: ExternalName, externalName: db.example.com}")
    svc = svc.replace(spec=dataclasses.replace(svc.spec, internal_traffic_policy="Cluster"))
    assert default_on_read(svc).spec.internal_traffic_policy is None


def test_r_sd_7_objects_stored_without_families_read_with_them():
    """R-SD-7: defaultOnRead fills ipFamilies from the clusterIPs of old objects."""
    svc = request("{clusterIP: 10.96.0.10, ports: [{port: 80}]}")
    read = default_on_read(svc)
    assert (read.spec.cluster_ips, read.spec.ip_families, read.spec.ip_family_policy) == (
        ("10.96.0.10",),
        ("IPv4",),
        "SingleStack",
    )
    headless = default_on_read(request("{clusterIP: None, ports: [{port: 80}]}"))
    assert (headless.spec.ip_families, headless.spec.ip_family_policy) == (("IPv4", "IPv6"), "RequireDualStack")


def test_r_sd_7_begin_create_fills_families():
    """R-SD-7: begin_create normalizes clusterIPs and fills the single-stack IPv4 families."""
    svc = begin_create(request("{clusterIP: 10.96.0.10, ports: [{port: 80}]}"))
    assert (svc.spec.cluster_ips, svc.spec.ip_families, svc.spec.ip_family_policy) == (
        ("10.96.0.10",),
        ("IPv4",),
        "SingleStack",
    )


def test_r_su_1_reapplying_the_same_manifest_changes_nothing():
    """R-SU-1: kubectl apply of an unchanged manifest yields the stored spec."""
    spec = "{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80}]}"
    old = stored(spec, node_ports=(31234,))
    new = updated(old, spec)
    assert new.spec == old.spec
    assert validate_service_update(old, new) == []


def test_r_su_status_cannot_be_written_by_users():
    """R-SU-*: create clears the status; update keeps the stored one."""
    svc = request("{type: LoadBalancer, ports: [{port: 80}]}")
    ingress = ServiceStatus(load_balancer=LoadBalancerStatus(ingress=(LoadBalancerIngress(ip="1.2.3.4"),)))
    assert prepare_for_create(svc.replace(status=ingress)).status == ServiceStatus()
    old = stored("{type: LoadBalancer, ports: [{port: 80}]}", node_ports=(31000,)).replace(status=ingress)
    assert prepare_for_update(old, old.replace(status=ServiceStatus())).status == ingress
