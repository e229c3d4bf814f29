"""Pod validation and pod port warnings with the API server's exact texts (R-CP-*, R-HN-*, R-W-1)."""

from __future__ import annotations

import dataclasses

from grader.model.fielderrors import kubectl_invalid
from grader.model.kinds import decode_document
from grader.model.pod_defaults import default_pod, default_pod_template
from grader.model.pod_validation import (
    POD_UPDATE_FORBIDDEN,
    pod_template_warnings,
    pod_warnings,
    validate_container_ports,
    validate_pod,
    validate_pod_spec,
    validate_pod_update,
)
from grader.model.yamlload import load_documents

RANGE = "must be between 1 and 65535, inclusive"
DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def load(text: str):
    """Decode one manifest and put it in namespace "default", as the registry does."""
    obj = decode_document(load_documents(text)[0])
    return obj.replace(metadata=dataclasses.replace(obj.metadata, namespace="default"))


def pod(spec: str, name: str = "web"):
    """A defaulted Pod from the YAML body of its ``spec`` (indented two spaces)."""
    return default_pod(load(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{spec}"))


def errors(spec: str) -> list[str]:
    return [str(e) for e in validate_pod(pod(spec))]


def containers(*lines: str) -> str:
    return "  containers:\n" + "".join(f"  - {line}\n" for line in lines)


# --------------------------------------------------------------------------- scenarios


def test_s36_same_container_port_in_two_containers_is_accepted_with_a_warning():
    """S36, R-CP-3, R-CP-16, R-W-1: duplicate containerPorts only warn; the bind clash comes later."""
    p = pod(containers(
        '{name: nginx1, image: "nginx:1.27", ports: [{containerPort: 80}]}',
        '{name: nginx2, image: "nginx:1.27", ports: [{containerPort: 80}]}',
    ), name="twonginx")
    assert validate_pod(p) == []
    assert pod_warnings(p) == [
        "spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"
    ]


def test_s37a_host_network_host_port_must_match_container_port():
    """S37(a), R-HN-2: the byte-exact kubectl line."""
    p = pod(
        "  hostNetwork: true\n"
        "  nodeSelector: {kubernetes.io/hostname: kind-worker}\n"
        "  containers:\n"
        "  - name: web\n"
        '    image: "registry.k8s.io/e2e-test-images/agnhost:2.53"\n'
        '    args: ["netexec", "--http-port=8080"]\n'
        "    ports: [{containerPort: 8080, hostPort: 9090}]\n",
        name="hn",
    )
    assert kubectl_invalid("Pod", "hn", validate_pod(p)) == (
        'The Pod "hn" is invalid: spec.containers[0].ports[0].hostPort: Invalid value: 9090: '
        "must match `containerPort` when `hostNetwork` is true"
    )


def test_s37b_host_network_pod_without_host_port_is_accepted():
    """S37(b), R-HN-1, R-HN-2: defaulting makes hostPort 8080, which then matches."""
    p = pod("  hostNetwork: true\n" + containers("{name: web, image: agnhost, ports: [{containerPort: 8080}]}"))
    assert validate_pod(p) == [] and p.spec.containers[0].ports[0].host_port == 8080


def test_s40_pod_port_without_container_port_is_rejected():
    """S40 (pod half), R-CP-10."""
    p = pod(containers('{name: web, image: "nginx:1.27", ports: [{name: http}]}'), name="noport")
    assert kubectl_invalid("Pod", "noport", validate_pod(p)) == (
        'The Pod "noport" is invalid: spec.containers[0].ports[0].containerPort: Required value'
    )


# --------------------------------------------------------------------------- R-CP-1..4 at the API


def test_r_cp_1_ports_are_optional():
    """R-CP-1: a container that declares no ports is valid."""
    assert errors(containers("{name: web, image: nginx}")) == []


def test_r_cp_2_named_ports_are_accepted_for_named_target_ports():
    """R-CP-2(a): a valid IANA port name passes, so Services can refer to it."""
    assert errors(containers("{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}")) == []


def test_r_cp_4_the_api_does_not_look_at_what_the_app_binds():
    """R-CP-4: binding 127.0.0.1 is a runtime matter; the Pod validates cleanly."""
    spec = containers('{name: web, image: agnhost, args: ["netexec", "--http-port=8080", "--http-addr=127.0.0.1"], '
                      "ports: [{containerPort: 8080}]}")
    assert errors(spec) == []


# --------------------------------------------------------------------------- R-CP-10..18


def test_r_cp_11_container_port_out_of_range_is_invalid():
    """R-CP-11: above 65535 and negative values get the range message."""
    assert errors(containers("{name: web, image: nginx, ports: [{containerPort: 70000}, {containerPort: -1}]}")) == [
        f"spec.containers[0].ports[0].containerPort: Invalid value: 70000: {RANGE}",
        f"spec.containers[0].ports[1].containerPort: Invalid value: -1: {RANGE}",
    ]


def test_r_cp_12_host_port_range_is_checked_only_when_set():
    """R-CP-12: hostPort 70000 is invalid; low ports such as 80 are fine."""
    spec = containers("{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 70000}, "
                      "{containerPort: 81, hostPort: 80}]}")
    assert errors(spec) == [f"spec.containers[0].ports[0].hostPort: Invalid value: 70000: {RANGE}"]


def test_r_cp_13_lowercase_protocol_is_unsupported():
    """R-CP-13: protocols are case-sensitive."""
    assert errors(containers("{name: web, image: nginx, ports: [{containerPort: 80, protocol: tcp}]}")) == [
        'spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
    ]


def test_r_cp_13_missing_protocol_is_required_before_defaulting():
    """R-CP-13 / R-CP-6: only defaulting keeps an absent protocol from being an error."""
    raw = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
               + containers("{name: web, image: nginx, ports: [{containerPort: 80}]}"))
    ports = raw.spec.containers[0].ports
    assert [str(e) for e in validate_container_ports(ports, "spec.containers[0].ports")] == [
        "spec.containers[0].ports[0].protocol: Required value"
    ]


def test_r_cp_14_uppercase_port_name_gives_one_error_per_failed_rule():
    """R-CP-14: "HTTP" breaks two IANA_SVC_NAME rules, so two errors on the same path."""
    assert errors(containers("{name: web, image: nginx, ports: [{name: HTTP, containerPort: 80}]}")) == [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric '
        "characters (a-z, 0-9), and hyphens (-)",
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ]


def test_r_cp_14_long_numeric_and_hyphenated_port_names():
    """R-CP-14: length, letter, consecutive-hyphen and edge-hyphen rules."""
    spec = containers("{name: web, image: nginx, ports: [{name: metrics-endpoint, containerPort: 80}, "
                      "{name: '8080', containerPort: 81}, {name: a--b, containerPort: 82}, {name: web-, containerPort: 83}]}")
    assert errors(spec) == [
        'spec.containers[0].ports[0].name: Invalid value: "metrics-endpoint": must be no more than 15 characters',
        'spec.containers[0].ports[1].name: Invalid value: "8080": must contain at least one letter (a-z)',
        'spec.containers[0].ports[2].name: Invalid value: "a--b": must not contain consecutive hyphens',
        'spec.containers[0].ports[3].name: Invalid value: "web-": must not begin or end with a hyphen',
    ]


def test_r_cp_15_duplicate_port_name_in_one_container():
    """R-CP-15: the second "http" of a container is a Duplicate value."""
    spec = containers("{name: web, image: nginx, ports: [{name: http, containerPort: 80}, {name: http, containerPort: 81}]}")
    assert errors(spec) == ['spec.containers[0].ports[1].name: Duplicate value: "http"']


def test_r_cp_15_same_port_name_in_different_containers_is_allowed():
    """R-CP-15: the name set is per container (§20 item 5)."""
    spec = containers(
        "{name: a, image: nginx, ports: [{name: http, containerPort: 80}]}",
        "{name: b, image: nginx, ports: [{name: http, containerPort: 81}]}",
    )
    assert errors(spec) == []


def test_r_cp_16_duplicate_container_port_in_one_container_only_warns():
    """R-CP-16, R-W-1: same number twice in one container is accepted with a warning."""
    p = pod(containers("{name: web, image: nginx, ports: [{containerPort: 80}, {containerPort: 80}]}"))
    assert validate_pod(p) == []
    assert pod_warnings(p) == [
        "spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"
    ]


def test_r_cp_17_same_host_port_in_two_containers_is_a_duplicate():
    """R-CP-17: key "<protocol>/<hostIP>/<hostPort>" across regular containers."""
    spec = containers(
        "{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}",
        "{name: b, image: nginx, ports: [{containerPort: 81, hostPort: 8080}]}",
    )
    assert errors(spec) == ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']


def test_r_cp_17_host_ip_is_part_of_the_key():
    """R-CP-17: the same hostIP collides; a different hostIP or protocol does not."""
    spec = containers(
        "{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.1}, "
        "{containerPort: 82, hostPort: 8080, protocol: UDP}]}",
        "{name: b, image: nginx, ports: [{containerPort: 81, hostPort: 8080, hostIP: 10.0.0.1}, "
        "{containerPort: 83, hostPort: 8080, hostIP: 10.0.0.2}]}",
    )
    assert errors(spec) == ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP/10.0.0.1/8080"']


def test_r_cp_17_init_containers_are_checked_one_at_a_time():
    """R-CP-17: init containers run one by one, so sharing a hostPort with others is fine."""
    spec = (
        "  initContainers:\n"
        "  - {name: i1, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}\n"
        "  - {name: i2, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}\n"
        + containers("{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}")
    )
    assert errors(spec) == []


def test_r_cp_17_init_container_conflict_is_reported_at_index_zero():
    """R-CP-17: upstream checks each init container as a one-element list, so the path says [0]."""
    spec = (
        "  initContainers:\n"
        "  - {name: i1, image: busybox}\n"
        "  - {name: i2, image: busybox, ports: [{containerPort: 80, hostPort: 9000}, {containerPort: 81, hostPort: 9000}]}\n"
        + containers("{name: web, image: nginx}")
    )
    assert errors(spec) == ['spec.initContainers[0].ports[1].hostPort: Duplicate value: "TCP//9000"']


def test_r_cp_18_ephemeral_containers_may_not_declare_ports():
    """R-CP-18: ports are forbidden, and a create may not carry ephemeral containers at all."""
    spec = containers("{name: web, image: nginx}") + (
        "  ephemeralContainers:\n  - {name: debug, image: busybox, ports: [{containerPort: 80}]}\n"
    )
    assert errors(spec) == [
        "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
        "spec.ephemeralContainers: Forbidden: cannot be set on create",
    ]


# --------------------------------------------------------------------------- R-CP-5 updates


BASE = containers('{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}')


def test_r_cp_5_changing_a_container_port_of_a_pod_is_forbidden():
    """R-CP-5: pod spec immutability (first sentence of ValidatePodUpdate's message)."""
    old, new = pod(BASE), pod(BASE.replace("80", "8080"))
    assert [str(e) for e in validate_pod_update(old, new)] == [
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)"
    ]
    assert POD_UPDATE_FORBIDDEN.startswith("pod updates may not change fields other than ")


def test_r_cp_5_image_changes_and_no_changes_are_allowed():
    """R-CP-5: container images are the updatable exception."""
    old = pod(BASE)
    assert validate_pod_update(old, pod(BASE.replace("nginx:1.27", "nginx:1.28"))) == []
    assert validate_pod_update(old, pod(BASE)) == []


def test_r_cp_5_adding_a_container_is_forbidden():
    """R-CP-5: ValidateContainerUpdates stops at a different container count."""
    new = pod(BASE + "  - {name: side, image: busybox}\n")
    assert [str(e) for e in validate_pod_update(pod(BASE), new)] == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]


def test_r_cp_5_tolerations_may_only_be_added():
    """R-CP-5: an added toleration passes; editing one is forbidden (once, not also as a spec change)."""
    tol = "  tolerations: [{key: dedicated, operator: Equal, value: a, effect: NoSchedule}]\n"
    old = pod(tol + BASE)
    added = pod(tol.replace("]", ", {key: other, operator: Exists}]") + BASE)
    assert validate_pod_update(old, added) == []
    changed = pod(tol.replace("value: a", "value: b") + BASE)
    assert [str(e) for e in validate_pod_update(old, changed)] == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    ]


def test_r_cp_5_active_deadline_may_only_shrink():
    """R-CP-5: activeDeadlineSeconds is updatable downwards; removing it prints a nil as "null"."""
    old = pod("  activeDeadlineSeconds: 600\n" + BASE)
    assert validate_pod_update(old, pod("  activeDeadlineSeconds: 300\n" + BASE)) == []
    assert [str(e) for e in validate_pod_update(old, pod("  activeDeadlineSeconds: 900\n" + BASE))] == [
        "spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value"
    ]
    assert [str(e) for e in validate_pod_update(old, pod(BASE))] == [
        'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value'
    ]


# --------------------------------------------------------------------------- hostNetwork


def test_r_hn_2_only_regular_containers_are_checked():
    """R-HN-2: validatePodHostNetworkDeps looks at spec.containers only."""
    spec = "  hostNetwork: true\n  initContainers:\n  - {name: i, image: busybox, ports: [{containerPort: 9000, hostPort: 9001}]}\n"
    assert errors(spec + containers("{name: web, image: agnhost, ports: [{containerPort: 8080}]}")) == []


def test_r_hn_2_pod_specs_require_equality_but_templates_may_leave_zero():
    """R-HN-2: a Pod's hostPort 0 is invalid (if undefaulted); a template's 0 is fine."""
    template = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
                    "      hostNetwork: true\n      containers:\n"
                    "      - {name: web, image: agnhost, ports: [{containerPort: 8080}]}\n").spec.template
    spec = default_pod_template(template).spec
    assert validate_pod_spec(spec, "spec.template.spec", is_template=True) == []
    assert [str(e) for e in validate_pod_spec(spec, "spec", is_template=False)] == [
        "spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` when `hostNetwork` is true"
    ]


def test_r_hn_4_host_network_is_forbidden_without_host_users():
    """R-HN-4: hostNetwork with hostUsers: false."""
    spec = "  hostNetwork: true\n  hostUsers: false\n" + containers("{name: web, image: nginx}")
    assert errors(spec) == ["spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false"]


# --------------------------------------------------------------------------- containers and spec


def test_containers_are_required():
    """R-API-4: a Pod needs at least one container."""
    assert errors("  containers: []\n") == ["spec.containers: Required value"]


def test_container_name_is_required_and_must_be_a_dns_label():
    """R-API-12: container names are DNS-1123 labels."""
    assert errors(containers("{image: nginx}")) == ["spec.containers[0].name: Required value"]
    assert errors(containers("{name: Web, image: nginx}")) == [
        f'spec.containers[0].name: Invalid value: "Web": {DNS_LABEL}'
    ]


def test_container_names_are_unique_across_containers_and_init_containers():
    """R-API-4: Duplicate value on the second container and on a clashing init container."""
    spec = "  initContainers:\n  - {name: web, image: busybox}\n" + containers(
        "{name: web, image: nginx}", "{name: web, image: nginx}"
    )
    assert errors(spec) == [
        'spec.containers[1].name: Duplicate value: "web"',
        'spec.initContainers[0].name: Duplicate value: "web"',
    ]


def test_container_image_is_required():
    """R-API-4: an image-less container."""
    assert errors(containers("{name: web}")) == ["spec.containers[0].image: Required value"]


def test_restart_and_dns_policies_are_case_sensitive_enums():
    """R-API-6: NotSupported lists the values in the validator's own order."""
    spec = "  restartPolicy: always\n  dnsPolicy: clusterfirst\n" + containers("{name: web, image: nginx}")
    assert errors(spec) == [
        'spec.restartPolicy: Unsupported value: "always": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "clusterfirst": supported values: '
        '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]


def test_node_selector_values_must_be_label_values():
    """R-API-4: nodeSelector is validated as a label map on path spec.nodeSelector."""
    spec = '  nodeSelector: {kubernetes.io/hostname: "kind worker"}\n' + containers("{name: web, image: nginx}")
    assert errors(spec) == [
        'spec.nodeSelector: Invalid value: "kind worker": a valid label must be an empty string or '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
        "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]


def test_toleration_operator_and_effect_are_enums():
    """R-API-6: ValidateTolerations' NotSupported texts."""
    spec = "  tolerations: [{key: dedicated, operator: exists, effect: NoExec}]\n" + containers("{name: web, image: nginx}")
    assert errors(spec) == [
        'spec.tolerations[0].operator: Unsupported value: "exists": supported values: "Equal", "Exists"',
        'spec.tolerations[0].effect: Unsupported value: "NoExec": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]


def test_errors_come_in_kubernetes_order_and_render_as_kubectl_does():
    """R-API-4, R-API-9: metadata, then each container in field order, then pod-level fields."""
    p = pod("  restartPolicy: Sometimes\n" + containers(
        '{name: Web, image: "", ports: [{containerPort: 0, protocol: tcp}, {name: HTTP, containerPort: 80}]}'
    ), name="web_1")
    assert kubectl_invalid("Pod", "web_1", validate_pod(p)).splitlines() == [
        'The Pod "web_1" is invalid: ',
        "* metadata.name: Invalid value: \"web_1\": a lowercase RFC 1123 subdomain must consist of lower "
        "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        f'* spec.containers[0].name: Invalid value: "Web": {DNS_LABEL}',
        "* spec.containers[0].image: Required value",
        "* spec.containers[0].ports[0].containerPort: Required value",
        '* spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
        '* spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric '
        "characters (a-z, 0-9), and hyphens (-)",
        '* spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]


def test_template_paths_are_prefixed():
    """R-CP-13 in a template: every path starts with the given prefix."""
    template = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
                    "      containers:\n      - {name: web, image: nginx, ports: [{containerPort: 80, protocol: Tcp}]}\n"
                    ).spec.template
    spec = default_pod_template(template).spec
    assert [str(e) for e in validate_pod_spec(spec, "spec.template.spec", is_template=True)] == [
        'spec.template.spec.containers[0].ports[0].protocol: Unsupported value: "Tcp": '
        'supported values: "SCTP", "TCP", "UDP"'
    ]


# --------------------------------------------------------------------------- R-W-1 warnings


def test_r_w_1_overlapping_when_one_side_has_no_host_port():
    """R-W-1: same containerPort/protocol, one hostPort 0."""
    p = pod(containers(
        "{name: a, image: nginx, ports: [{containerPort: 80}]}",
        "{name: b, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}",
    ))
    assert pod_warnings(p) == [
        "spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[0]"
    ]


def test_r_w_1_dangerously_ambiguous_when_only_one_side_has_a_host_ip():
    """R-W-1: same hostPort, hostIP set on one side only (valid, but ambiguous)."""
    p = pod(containers(
        "{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}",
        "{name: b, image: nginx, ports: [{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.1}]}",
    ))
    assert validate_pod(p) == []
    assert pod_warnings(p) == [
        "spec.containers[1].ports[0]: dangerously ambiguous port definition with spec.containers[0].ports[0]"
    ]


def test_r_w_1_host_ip_without_host_port_prints_the_go_struct():
    """R-W-1: the value is Go's %+v of the (defaulted) ContainerPort."""
    p = pod(containers("{name: web, image: nginx, ports: [{containerPort: 8443, hostIP: 10.0.0.1}, "
                       "{name: https, containerPort: 443, hostIP: 10.0.0.1}]}"))
    assert pod_warnings(p) == [
        "spec.containers[0].ports[0]: hostIP set without hostPort: "
        "{Name: HostPort:0 ContainerPort:8443 Protocol:TCP HostIP:10.0.0.1}",
        "spec.containers[0].ports[1]: hostIP set without hostPort: "
        "{Name:https HostPort:0 ContainerPort:443 Protocol:TCP HostIP:10.0.0.1}",
    ]


def test_r_w_1_init_containers_come_first_and_every_earlier_port_is_compared():
    """R-W-1: visiting order is init containers, then containers; all earlier matches warn."""
    p = pod("  initContainers:\n  - {name: i, image: busybox, ports: [{containerPort: 80}]}\n" + containers(
        "{name: a, image: nginx, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}",
        "{name: b, image: nginx, ports: [{containerPort: 80}]}",
    ))
    assert pod_warnings(p) == [
        "spec.containers[0].ports[0]: duplicate port definition with spec.initContainers[0].ports[0]",
        "spec.containers[1].ports[0]: duplicate port definition with spec.initContainers[0].ports[0]",
        "spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]",
    ]


def test_r_w_1_template_warnings_use_the_template_prefix():
    """R-W-1: in templates the path starts spec.template.spec."""
    template = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
                    "      containers:\n      - {name: a, image: nginx, ports: [{containerPort: 80}]}\n"
                    "      - {name: b, image: nginx, ports: [{containerPort: 80}]}\n").spec.template
    assert pod_template_warnings(default_pod_template(template), "spec.template") == [
        "spec.template.spec.containers[1].ports[0]: duplicate port definition with "
        "spec.template.spec.containers[0].ports[0]"
    ]
