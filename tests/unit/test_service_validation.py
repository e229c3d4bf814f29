"""Service validation with the API server's exact words (R-SV-1..23, R-SU-5, R-HIST-2, §19)."""

from __future__ import annotations

import dataclasses

from grader.model.fielderrors import kubectl_invalid
from grader.model.kinds import decode_document
from grader.model.objects import Service
from grader.model.service_defaults import default_service, fill_ip_families
from grader.model.service_strategy import begin_update, prepare_for_update
from grader.model.service_validation import (
    duplicate_port_literal,
    validate_cluster_ips_related_fields,
    validate_service,
    validate_service_update,
)
from grader.model.yamlload import load_documents


def with_namespace(svc: Service) -> Service:
    return svc.replace(metadata=dataclasses.replace(svc.metadata, namespace="default"))


def service(text: str) -> Service:
    """Decode, put in the default namespace and default, as the registry does before validation."""
    obj = decode_document(load_documents(text)[0])
    assert isinstance(obj, Service)
    return default_service(with_namespace(obj))


def manifest(spec: str, name: str = "web") -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {spec}\n"


def errors(text: str) -> list[str]:
    return [str(e) for e in validate_service(service(text))]


def spec_errors(spec: str) -> list[str]:
    return errors(manifest(spec))


def rejection(text: str) -> str:
    svc = service(text)
    return kubectl_invalid("Service", svc.name, validate_service(svc))


def allocated(svc: Service, cluster_ip: str = "10.96.12.34", node_ports: tuple[int, ...] = ()) -> Service:
    """What the allocator would have stored: a clusterIP, nodePorts, IP families."""
    ports = tuple(
        dataclasses.replace(p, node_port=node_ports[i] if i < len(node_ports) else p.node_port)
        for i, p in enumerate(svc.spec.ports)
    )
    spec = dataclasses.replace(svc.spec, cluster_ip=cluster_ip, cluster_ips=(cluster_ip,), ports=ports)
    return fill_ip_families(svc.replace(spec=spec))


def update(old: Service, text: str) -> list[str]:
    """Run an update through the registry's steps (without allocation) and validate it."""
    new = prepare_for_update(old, begin_update(old, service(text)))
    return [str(e) for e in validate_service_update(old, new)]


# --------------------------------------------------------------------------- valid manifests


def test_r_sv_ordinary_services_are_valid():
    """R-SV-1..23: the manifests of §19 that must be accepted produce no errors."""
    for spec in (
        "{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}",
        "{type: NodePort, selector: {app: dns}, ports: [{name: dns-tcp, port: 53, protocol: TCP, "
        "targetPort: 5353, nodePort: 30053}, {name: dns-udp, port: 53, protocol: UDP, targetPort: 5353}]}",
        "{ports: [{port: 3306, targetPort: 9999}]}",
        "{internalTrafficPolicy: Local, selector: {app: echo}, ports: [{port: 80, targetPort: 8080}]}",
        "{type: LoadBalancer, selector: {app: myapp}, ports: [{port: 80}]}",
        "{selector: {app: echo}, sessionAffinity: ClientIP, ports: [{port: 80, targetPort: 8080}]}",
    ):
        assert spec_errors(spec) == [], spec


# --------------------------------------------------------------------------- metadata, type, ports list


def test_r_sv_1_service_name_must_be_a_dns1035_label():
    """R-SV-1: a name starting with a digit is rejected with the DNS-1035 text."""
    assert errors(manifest("{ports: [{port: 80}]}", name="1web")) == [
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric '
        "characters or '-', start with an alphabetic character, and end with an alphanumeric character "
        "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]


def test_r_sv_2_type_must_be_one_of_four():
    """R-SV-2: a mis-cased type is an unsupported value, list sorted."""
    assert spec_errors("{type: Nodeport, ports: [{port: 80}]}") == [
        'spec.type: Unsupported value: "Nodeport": supported values: '
        '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    ]


def test_r_sv_3_ports_are_required():
    """R-SV-3: a ClusterIP service without ports is rejected."""
    assert spec_errors("{selector: {app: x}}") == ["spec.ports: Required value"]


def test_r_sv_3_headless_and_external_name_need_no_ports():
    """R-SV-3: headless and ExternalName services may omit ports."""
    assert spec_errors("{clusterIP: None, selector: {app: x}}") == []
    assert spec_errors("{type: ExternalName, externalName: db.example.com}") == []


# --------------------------------------------------------------------------- each port


def test_r_sv_4_s10_multi_port_service_needs_names():
    """R-SV-4 / S10: two unnamed ports give one Required error each, in kubectl's layout."""
    text = manifest("{selector: {app: myapp}, ports: [{port: 80}, {port: 443}]}")
    assert rejection(text) == (
        'The Service "web" is invalid: \n'
        "* spec.ports[0].name: Required value\n"
        "* spec.ports[1].name: Required value"
    )


def test_r_sv_4_naming_one_of_two_ports_leaves_one_error():
    """R-SV-4: only the unnamed port is reported; a single port needs no name."""
    assert spec_errors("{ports: [{name: http, port: 80}, {port: 443}]}") == ["spec.ports[1].name: Required value"]
    assert spec_errors("{ports: [{port: 80}]}") == []


def test_r_sv_5_port_names_are_rfc1123_labels():
    """R-SV-5: HTTP is rejected with the RFC 1123 label text."""
    assert spec_errors("{ports: [{name: HTTP, port: 80}]}") == [
        'spec.ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of lower case '
        "alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]


def test_r_sv_5_long_service_port_names_are_fine():
    """R-SV-5: 17 characters are fine for a Service port name (not an IANA_SVC_NAME)."""
    assert spec_errors("{ports: [{name: http-metrics-port, port: 80}]}") == []


def test_r_sv_6_port_names_are_unique():
    """R-SV-6: the second use of a name is a Duplicate."""
    assert spec_errors("{ports: [{name: http, port: 80}, {name: http, port: 81}]}") == [
        'spec.ports[1].name: Duplicate value: "http"'
    ]


def test_r_sv_7_port_zero_is_out_of_range():
    """R-SV-7: port 0 (or omitted) and 65536 are out of range."""
    assert spec_errors("{ports: [{port: 65536, targetPort: 80}]}") == [
        "spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive"
    ]


def test_r_sv_7_s40_missing_port_numbers_give_two_errors():
    """R-SV-7, R-SV-9 / S40: no port and no targetPort — both are reported."""
    text = manifest("{selector: {app: x}, ports: [{name: web}]}", name="noport")
    assert rejection(text) == (
        'The Service "noport" is invalid: \n'
        "* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n"
        "* spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"
    )


def test_r_sv_8_s41_lowercase_protocol_is_unsupported():
    """R-SV-8 / S41: protocol tcp is not TCP."""
    assert spec_errors("{ports: [{port: 80, protocol: tcp}]}") == [
        'spec.ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
    ]


def test_r_sv_9_quoted_number_target_port_is_a_name_without_letters():
    """R-SV-9: targetPort "8080" is a string and needs a letter."""
    assert spec_errors('{ports: [{port: 80, targetPort: "8080"}]}') == [
        'spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'
    ]


def test_r_sv_9_long_target_port_name_is_rejected():
    """R-SV-9: a named targetPort is an IANA_SVC_NAME, at most 15 characters."""
    assert spec_errors("{ports: [{port: 80, targetPort: http-metrics-port}]}") == [
        'spec.ports[0].targetPort: Invalid value: "http-metrics-port": must be no more than 15 characters'
    ]


def test_r_sv_9_target_port_name_no_pod_declares_is_accepted():
    """R-SV-9: the name is not checked against any pod at admission."""
    assert spec_errors("{selector: {app: shop}, ports: [{port: 80, targetPort: nosuchport}]}") == []


def test_r_sv_10_app_protocol_must_be_a_qualified_name():
    """R-SV-10: kubernetes.io/h2c is fine, a name with spaces is not."""
    assert spec_errors("{ports: [{port: 80, appProtocol: kubernetes.io/h2c}]}") == []
    assert spec_errors('{ports: [{port: 80, appProtocol: "my proto"}]}') == [
        'spec.ports[0].appProtocol: Invalid value: "my proto": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ]


def test_r_sv_11_headless_tolerates_any_target_port():
    """R-SV-11: headless services may carry a targetPort different from port."""
    assert spec_errors("{clusterIP: None, selector: {app: x}, ports: [{port: 80, targetPort: 8080}]}") == []


def test_r_sv_12_s11_same_port_twice_prints_the_key_struct():
    """R-SV-12 / S11: the duplicate is printed as the (protocol, port) key struct, not the port."""
    text = manifest(
        "{selector: {app: myapp}, ports: [{name: a, port: 80, targetPort: 8080}, {name: b, port: 80, targetPort: 9090}]}"
    )
    assert rejection(text) == (
        'The Service "web" is invalid: spec.ports[1]: Duplicate value: core.ServicePort{Name:"", '
        'Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, '
        'IntVal:0, StrVal:""}, NodePort:0}'
    )
    assert rejection(text).startswith('The Service "web" is invalid: spec.ports[1]: Duplicate value:')


def test_r_sv_12_same_port_on_another_protocol_is_fine():
    """R-SV-12: 80/TCP and 80/UDP do not collide; a UDP duplicate prints UDP."""
    assert spec_errors("{ports: [{name: a, port: 80}, {name: b, port: 80, protocol: UDP}]}") == []
    assert str(duplicate_port_literal("UDP", 53)).startswith('core.ServicePort{Name:"", Protocol:"UDP",')


def test_r_sv_13_same_node_port_twice_on_one_protocol():
    """R-SV-13: a (protocol, nodePort) pair may appear once."""
    spec = "{type: NodePort, ports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]}"
    assert spec_errors(spec) == ["spec.ports[1].nodePort: Duplicate value: 30080"]


# --------------------------------------------------------------------------- type-dependent


def test_r_sv_14_s08_nodeport_on_clusterip_is_forbidden():
    """R-SV-14 / S08: a nodePort on a (defaulted) ClusterIP service."""
    text = manifest("{selector: {app: myapp}, ports: [{port: 80, nodePort: 30008}]}")
    assert rejection(text) == (
        "The Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    )


def test_r_sv_14_s08_nodeport_on_headless_is_forbidden_too():
    """R-SV-14 / S08: headless is still type ClusterIP."""
    text = manifest("{clusterIP: None, selector: {app: myapp}, ports: [{port: 80, nodePort: 30008}]}")
    assert rejection(text) == (
        "The Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    )


def test_r_sv_15_headless_nodeport_and_loadbalancer_are_invalid():
    """R-SV-15: clusterIP None with NodePort/LoadBalancer, reported on clusterIPs[0]."""
    assert spec_errors("{type: NodePort, clusterIP: None, ports: [{port: 80}]}") == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"
    ]
    assert spec_errors("{type: LoadBalancer, clusterIP: None, ports: [{port: 80}]}") == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"
    ]


def test_r_sv_16_external_name_is_required():
    """R-SV-16: ExternalName without externalName."""
    assert spec_errors("{type: ExternalName}") == ["spec.externalName: Required value"]


def test_r_sv_16_external_name_must_be_a_subdomain_and_may_end_with_a_dot():
    """R-SV-16: trailing dot allowed; underscores are not."""
    assert spec_errors("{type: ExternalName, externalName: db.example.com.}") == []
    assert spec_errors("{type: ExternalName, externalName: my_db.example.com}") == [
        'spec.externalName: Invalid value: "my_db.example.com": a lowercase RFC 1123 subdomain must consist '
        "of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]


def test_r_sv_16_external_name_may_not_have_cluster_ips_or_families():
    """R-SV-16: clusterIP(s), ipFamilies and ipFamilyPolicy are forbidden on ExternalName."""
    spec = (
        "{type: ExternalName, externalName: db.example.com, clusterIP: 10.96.0.9, "
        "ipFamilies: [IPv4], ipFamilyPolicy: SingleStack}"
    )
    assert spec_errors(spec) == [
        "spec.clusterIPs: Forbidden: may not be set for ExternalName services",
        "spec.ipFamilies: Forbidden: may not be set for ExternalName services",
        "spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services",
    ]


def test_r_sv_17_s28_external_traffic_policy_on_plain_clusterip():
    """R-SV-17 / S28: Local on a ClusterIP service, 1.28+ wording."""
    text = manifest("{externalTrafficPolicy: Local, selector: {app: myapp}, ports: [{port: 80}]}")
    assert rejection(text) == (
        'The Service "web" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": '
        "may only be set for externally-accessible services"
    )


def test_r_sv_17_explicit_cluster_policy_on_clusterip_is_rejected_too():
    """R-SV-17: even Cluster is rejected on a plain ClusterIP service (the Helm-chart bug)."""
    assert spec_errors("{externalTrafficPolicy: Cluster, ports: [{port: 80}]}") == [
        'spec.externalTrafficPolicy: Invalid value: "Cluster": may only be set for externally-accessible services'
    ]


def test_r_sv_17_clusterip_with_external_ips_may_set_the_policy():
    """R-SV-17: since 1.28 ClusterIP with externalIPs is externally accessible."""
    assert spec_errors('{externalTrafficPolicy: Local, externalIPs: ["172.18.0.100"], ports: [{port: 80}]}') == []


def test_r_hist_2_s27_onlylocal_in_the_field_is_unsupported():
    """R-HIST-2 / S27: the old annotation value in the new field."""
    text = """
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  type: NodePort
  externalTrafficPolicy: OnlyLocal
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
"""
    assert rejection(text) == (
        'The Service "echo" is invalid: spec.externalTrafficPolicy: Unsupported value: "OnlyLocal": '
        'supported values: "Cluster", "Local"'
    )


def test_r_hist_1_s27_onlylocal_annotation_is_accepted():
    """R-HIST-1 / S27: the annotation itself passes validation."""
    text = """
apiVersion: v1
kind: Service
metadata:
  name: echo
  annotations: {service.beta.kubernetes.io/external-traffic: OnlyLocal}
spec: {type: NodePort, selector: {app: echo}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
"""
    assert errors(text) == []


def test_r_sv_18_s56_health_check_node_port_on_nodeport_service():
    """R-SV-18 / S56: healthCheckNodePort only for LoadBalancer + Local."""
    text = manifest(
        "{type: NodePort, healthCheckNodePort: 30100, selector: {app: echo}, ports: [{port: 80, targetPort: 8080}]}",
        name="lbl",
    )
    assert rejection(text) == (
        'The Service "lbl" is invalid: spec.healthCheckNodePort: Invalid value: 30100: '
        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
    )


def test_r_sv_18_loadbalancer_local_requires_a_health_check_node_port():
    """R-SV-18: validation expects the allocator to have filled it; 0 is Required."""
    spec = "{type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}"
    assert spec_errors(spec) == ["spec.healthCheckNodePort: Required value"]


def test_r_sv_19_source_ranges_only_for_loadbalancer():
    """R-SV-19: the path really is spec.LoadBalancerSourceRanges, capital L."""
    assert spec_errors('{type: NodePort, loadBalancerSourceRanges: ["10.0.0.0/8"], ports: [{port: 80}]}') == [
        "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"
    ]


def test_r_sv_19_source_ranges_must_be_cidrs():
    """R-SV-19: each range must parse as a CIDR (spaces around it are tolerated)."""
    spec = '{type: LoadBalancer, loadBalancerSourceRanges: [" 10.0.0.0/8 ", "10.0.0.1"], ports: [{port: 80}]}'
    assert spec_errors(spec) == [
        'spec.LoadBalancerSourceRanges[1]: Invalid value: "10.0.0.1": '
        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    ]


def test_r_sv_19_source_ranges_annotation_only_for_loadbalancer():
    """R-SV-19: the annotation form is checked the same way, on its own path."""
    text = """
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: "10.0.0.0/8,bad"}
spec: {type: NodePort, ports: [{port: 80}]}
"""
    path = "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]"
    assert errors(text) == [
        f"{path}: Forbidden: may only be used when `type` is 'LoadBalancer'",
        f'{path}: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]


def test_r_sv_19_allocate_load_balancer_node_ports_only_for_loadbalancer():
    """R-SV-19: allocateLoadBalancerNodePorts on a NodePort service."""
    assert spec_errors("{type: NodePort, allocateLoadBalancerNodePorts: true, ports: [{port: 80}]}") == [
        "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"
    ]


def test_r_sv_19_load_balancer_class_only_for_loadbalancer():
    """R-SV-19: loadBalancerClass follows the same rule."""
    assert spec_errors("{loadBalancerClass: example.com/lb, ports: [{port: 80}]}") == [
        "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"
    ]
    assert spec_errors("{type: LoadBalancer, loadBalancerClass: example.com/lb, ports: [{port: 80}]}") == []


def test_r_sv_20_internal_traffic_policy_is_cluster_or_local():
    """R-SV-20: any other value is unsupported."""
    assert spec_errors("{internalTrafficPolicy: Node, ports: [{port: 80}]}") == [
        'spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'
    ]


def test_r_sv_21_session_affinity_is_none_or_client_ip():
    """R-SV-21: Sticky is not an affinity."""
    assert spec_errors("{sessionAffinity: Sticky, ports: [{port: 80}]}") == [
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'
    ]


def test_r_sv_21_s50_timeout_above_a_day_uses_the_off_by_one_wording():
    """R-SV-21 / S50: 90000 seconds, message says 'less than 86400' although 86400 is allowed."""
    text = manifest(
        "{selector: {app: echo}, sessionAffinity: ClientIP, "
        "sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}, ports: [{port: 80, targetPort: 8080}]}",
        name="sticky",
    )
    assert rejection(text) == (
        'The Service "sticky" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: '
        "Invalid value: 90000: must be greater than 0 and less than 86400"
    )


def test_r_sv_21_timeout_bounds():
    """R-SV-21: 86400 is accepted, 0 is not."""
    base = "{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: %d}}, ports: [{port: 80}]}"
    assert spec_errors(base % 86400) == []
    assert spec_errors(base % 0) == [
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"
    ]


def test_r_sv_22_s49_loopback_external_ip():
    """R-SV-22 / S49: 127.0.0.1 as an externalIP."""
    text = manifest('{selector: {app: myapp}, externalIPs: ["127.0.0.1"], ports: [{port: 80}]}', name="ext")
    assert rejection(text) == (
        'The Service "ext" is invalid: spec.externalIPs[0]: Invalid value: "127.0.0.1": '
        "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    )


def test_r_sv_22_special_external_ips():
    """R-SV-22: unspecified, link-local and link-local multicast addresses."""
    assert spec_errors('{externalIPs: ["0.0.0.0", "169.254.1.1", "224.0.0.5", "::"], ports: [{port: 80}]}') == [
        'spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'spec.externalIPs[1]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'spec.externalIPs[2]: Invalid value: "224.0.0.5": '
        "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        'spec.externalIPs[3]: Invalid value: "::": may not be unspecified (::)',
    ]


def test_r_sv_22_external_ip_must_parse():
    """R-SV-22: a hostname is not an IP."""
    assert spec_errors('{externalIPs: ["node1"], ports: [{port: 80}]}') == [
        'spec.externalIPs[0]: Invalid value: "node1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
    ]


def test_r_sv_23_selector_labels_are_checked():
    """R-SV-23: selector keys and values must be valid label keys and values."""
    assert spec_errors('{selector: {app: "my app"}, ports: [{port: 80}]}') == [
        'spec.selector: Invalid value: "my app": a valid label must be an empty string or consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]


def test_r_sv_23_selectorless_service_is_allowed():
    """R-SV-23: no selector at all is fine (S53)."""
    assert spec_errors("{ports: [{port: 3306, targetPort: 9999}]}") == []


# --------------------------------------------------------------------------- clusterIP values


def test_r_sv_15_cluster_ip_must_be_an_ip_or_none():
    """R-SV-15: a user clusterIP must parse as an IP."""
    assert spec_errors("{clusterIP: 10.96.0.300, ports: [{port: 80}]}") == [
        'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
    ]


def test_r_sv_15_cluster_ip_with_leading_zeros_is_accepted():
    """R-SV-15: legacy parsing accepts 010.096.000.010 (it draws a warning instead)."""
    assert spec_errors("{clusterIP: 010.096.000.010, ports: [{port: 80}]}") == []


def test_r_sv_15_cluster_ips_must_match_cluster_ip():
    """R-SV-15: clusterIPs[0] must equal clusterIP."""
    spec = '{clusterIP: 10.96.0.10, clusterIPs: ["10.96.0.11"], ports: [{port: 80}]}'
    assert spec_errors(spec) == [
        'spec.clusterIPs: Invalid value: []string{"10.96.0.11"}: first value must match `clusterIP`'
    ]


def test_r_sv_15_cluster_ips_related_fields_check_families():
    """R-SV-15: ipFamilies values and the family of each clusterIP."""
    svc = fill_ip_families(service(manifest('{clusterIP: "fd00::10", ipFamilies: [IPv4], ports: [{port: 80}]}')))
    assert [str(e) for e in validate_cluster_ips_related_fields(svc.spec)] == [
        'spec.clusterIPs[0]: Invalid value: "fd00::10": expected an IPv4 value as indicated by `ipFamilies[0]`'
    ]
    assert spec_errors("{ipFamilies: [IPv5], ports: [{port: 80}]}") == [
        'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'
    ]


# --------------------------------------------------------------------------- updates


def test_r_su_5_cluster_ip_may_not_change():
    """R-SU-5: editing clusterIP of a stored service is refused on clusterIPs[0]."""
    old = allocated(service(manifest("{selector: {app: x}, ports: [{port: 80}]}")))
    assert update(old, manifest("{clusterIP: 10.96.0.99, selector: {app: x}, ports: [{port: 80}]}")) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set'
    ]


def test_r_su_5_reapplying_without_cluster_ip_is_fine():
    """R-SU-5: a manifest that never named a clusterIP keeps the allocated one."""
    old = allocated(service(manifest("{selector: {app: x}, ports: [{port: 80}]}")))
    assert update(old, manifest("{selector: {app: x}, ports: [{port: 80}]}")) == []


def test_r_su_5_cluster_ip_may_change_to_and_from_external_name():
    """R-SU-5: moving to ExternalName releases the clusterIP without complaint."""
    old = allocated(service(manifest("{selector: {app: x}, ports: [{port: 80}]}")))
    assert update(old, manifest("{type: ExternalName, externalName: db.example.com}")) == []


def test_r_sv_18_health_check_node_port_is_immutable_while_needed():
    """R-SV-18: changing healthCheckNodePort of a LoadBalancer + Local service."""
    old = service(manifest("{type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}"))
    old = allocated(old.replace(spec=dataclasses.replace(old.spec, health_check_node_port=30100)), node_ports=(31000,))
    new = manifest("{type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 30200, ports: [{port: 80}]}")
    assert update(old, new) == ["spec.healthCheckNodePort: Forbidden: field is immutable"]


def test_r_su_2_s51_new_node_port_on_switch_to_clusterip_is_forbidden():
    """R-SU-2 / S51: switching to ClusterIP while asking for a nodePort the service did not have."""
    old = allocated(
        service(manifest("{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")),
    )
    new = manifest("{type: ClusterIP, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30009}]}")
    assert update(old, new) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_r_su_2_s51_forbidden_variant_as_kubectl_prints_it():
    """R-SU-2, R-SV-14 / S51: the whole kubectl message for the nodePort: 30009 edit."""
    ports = "ports: [{port: 80, targetPort: 80, nodePort: %d}]"
    old = allocated(service(manifest("{type: NodePort, selector: {app: myapp}, %s}" % (ports % 30008), "myapp")))
    text = manifest("{type: ClusterIP, selector: {app: myapp}, %s}" % (ports % 30009), "myapp")
    new = prepare_for_update(old, begin_update(old, service(text)))
    assert kubectl_invalid("Service", "myapp", validate_service_update(old, new)) == (
        "The Service \"myapp\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    )


def test_r_su_2_s51_stale_node_port_on_switch_to_clusterip_is_accepted():
    """R-SU-2 / S51: the old nodePort left in the file is dropped, not rejected."""
    old = allocated(
        service(manifest("{type: NodePort, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")),
    )
    new = manifest("{type: ClusterIP, selector: {app: myapp}, ports: [{port: 80, targetPort: 80, nodePort: 30008}]}")
    assert update(old, new) == []


def test_r_sv_19_load_balancer_class_may_not_change():
    """R-SV-19: loadBalancerClass is fixed while the service stays a LoadBalancer."""
    old = allocated(service(manifest("{type: LoadBalancer, loadBalancerClass: example.com/a, ports: [{port: 80}]}")))
    new = manifest("{type: LoadBalancer, loadBalancerClass: example.com/b, ports: [{port: 80}]}")
    assert update(old, new) == ['spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set']


# --------------------------------------------------------------------------- order and duplicates


def test_r_api_4_all_errors_at_once_in_kubernetes_order():
    """R-API-4: metadata first, then ports, affinity and type, as ValidateService walks them."""
    text = manifest("{type: Nodeport, sessionAffinity: Sticky, ports: [{port: 0, protocol: tcp}]}", name="Web")
    assert [e.split(":")[0] for e in errors(text)] == [
        "metadata.name",
        "spec.ports[0].port",
        "spec.ports[0].protocol",
        "spec.ports[0].targetPort",
        "spec.sessionAffinity",
        "spec.type",
    ]


def test_r_api_4_update_errors_are_not_repeated():
    """R-API-4: an error both update and create rules find is reported once."""
    old = allocated(service(manifest("{type: LoadBalancer, loadBalancerClass: example.com/a, ports: [{port: 80}]}")))
    new = manifest('{type: LoadBalancer, loadBalancerClass: "bad class", ports: [{port: 80}]}')
    found = update(old, new)
    assert found[0] == 'spec.loadBalancerClass: Invalid value: "bad class": may not change once set'
    assert len(found) == 2 and found[1].startswith('spec.loadBalancerClass: Invalid value: "bad class": name part')
