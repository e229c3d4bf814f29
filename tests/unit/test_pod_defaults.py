"""Defaulting of Pods, templates, workloads, Namespaces and endpoints (R-API-2, R-CP-6..8, R-HN-1)."""

from __future__ import annotations

import dataclasses

import pytest

from grader.model.kinds import decode_document
from grader.model.objects import Toleration
from grader.model.pod_defaults import (
    default_deployment,
    default_endpoint_slice,
    default_endpoints,
    default_namespace,
    default_pod,
    default_pod_template,
    default_replicaset,
    image_pull_policy_for,
)
from grader.model.yamlload import load_documents

NOT_READY = Toleration(
    key="node.kubernetes.io/not-ready", operator="Exists", effect="NoExecute", toleration_seconds=300
)
UNREACHABLE = Toleration(
    key="node.kubernetes.io/unreachable", operator="Exists", effect="NoExecute", toleration_seconds=300
)


def load(text: str):
    """Decode one manifest; namespaced kinds get namespace "default" as the registry would set."""
    obj = decode_document(load_documents(text)[0])
    if obj.NAMESPACED:
        obj = obj.replace(metadata=dataclasses.replace(obj.metadata, namespace="default"))
    return obj


POD = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: init, image: "busybox:1.36", ports: [{containerPort: 9000}]}
  containers:
  - name: web
    image: "nginx:1.27"
    ports:
    - {containerPort: 80}
    - {containerPort: 53, protocol: UDP}
    - {containerPort: 8080, hostPort: 8080}
    - {containerPort: 8443, hostIP: 10.0.0.1}
  ephemeralContainers:
  - {name: debug, image: busybox}
"""

HOSTNET = """
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  initContainers:
  - {name: init, image: busybox, ports: [{containerPort: 9000}]}
  containers:
  - name: web
    image: "registry.k8s.io/e2e-test-images/agnhost:2.53"
    args: ["netexec", "--http-port=8080"]
    ports: [{containerPort: 8080}, {containerPort: 9443, hostPort: 9443}]
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: myapp}
spec:
  selector: {matchLabels: {app: myapp}}
  template:
    metadata: {labels: {app: myapp}}
    spec:
      hostNetwork: true
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
"""


# --------------------------------------------------------------------------- container ports


def test_r_cp_6_container_port_protocol_defaults_to_tcp_in_every_container_list():
    """R-CP-6: containers and init containers get protocol TCP; an explicit UDP is kept."""
    pod = default_pod(load(POD))
    web = pod.spec.containers[0]
    assert [p.protocol for p in web.ports] == ["TCP", "UDP", "TCP", "TCP"]
    assert pod.spec.init_containers[0].ports[0].protocol == "TCP"


def test_r_cp_6_ephemeral_container_ports_default_to_tcp_too():
    """R-CP-6: the declarative default applies to ephemeral containers as well."""
    text = POD.replace("{name: debug, image: busybox}", "{name: debug, image: busybox, ports: [{containerPort: 1}]}")
    assert default_pod(load(text)).spec.ephemeral_containers[0].ports[0].protocol == "TCP"


def test_r_cp_7_host_port_is_not_defaulted_without_host_network():
    """R-CP-7: hostPort stays 0 unless hostNetwork is true."""
    web = default_pod(load(POD)).spec.containers[0]
    assert [p.host_port for p in web.ports] == [0, 0, 8080, 0]


def test_r_cp_8_host_ip_is_not_defaulted():
    """R-CP-8: hostIP stays empty (the scheduler reads empty as 0.0.0.0)."""
    web = default_pod(load(POD)).spec.containers[0]
    assert [p.host_ip for p in web.ports] == ["", "", "", "10.0.0.1"]


def test_r_hn_1_host_network_pod_ports_get_host_port_equal_to_container_port():
    """R-HN-1 / S37(b): every container and init container port with hostPort 0 is filled in."""
    pod = default_pod(load(HOSTNET))
    assert [p.host_port for p in pod.spec.containers[0].ports] == [8080, 9443]
    assert pod.spec.init_containers[0].ports[0].host_port == 9000


def test_r_hn_1_templates_keep_host_port_zero():
    """R-HN-1: a Deployment's template is not defaulted; the Pod made from it will be."""
    d = default_deployment(load(DEPLOYMENT))
    assert d.spec.template.spec.containers[0].ports[0].host_port == 0
    assert d.spec.template.spec.containers[0].ports[0].protocol == "TCP"


def test_r_cp_2_host_network_defaulting_reads_the_declared_container_port():
    """R-CP-2(c): hostNetwork defaulting copies containerPort, so the declared number matters."""
    pod = default_pod(load(HOSTNET.replace("containerPort: 8080}", "containerPort: 8081}")))
    assert pod.spec.containers[0].ports[0].host_port == 8081


# --------------------------------------------------------------------------- pod and container defaults


def test_pod_spec_gets_the_v1_defaults_a_kind_cluster_shows():
    """R-API-2: SetDefaults_PodSpec and SetDefaults_Pod."""
    spec = default_pod(load(POD)).spec
    assert (spec.restart_policy, spec.dns_policy, spec.scheduler_name) == (
        "Always", "ClusterFirst", "default-scheduler")
    assert spec.termination_grace_period_seconds == 30
    assert spec.security_context == {}
    assert spec.enable_service_links is True


def test_container_defaults_termination_message_and_pull_policy():
    """R-API-2: SetDefaults_Container for regular, init and ephemeral containers."""
    spec = default_pod(load(POD)).spec
    for ctr in (spec.containers[0], spec.init_containers[0], spec.ephemeral_containers[0]):
        assert ctr.termination_message_path == "/dev/termination-log"
        assert ctr.termination_message_policy == "File"
    assert spec.containers[0].image_pull_policy == "IfNotPresent"
    assert spec.ephemeral_containers[0].image_pull_policy == "Always"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("nginx@sha256:0123abcd", "IfNotPresent"),
        ("localhost:5000/web", "Always"),
        ("localhost:5000/web:v1", "IfNotPresent"),
        ("registry.k8s.io/e2e-test-images/agnhost:2.53", "IfNotPresent"),
        ("NGINX", "IfNotPresent"),
    ],
)
def test_image_pull_policy_is_always_only_for_latest_or_untagged_images(image, policy):
    """R-API-2: imagePullPolicy follows the parsed tag (unparsable references have none)."""
    assert image_pull_policy_for(image) == policy


def test_explicit_pod_values_are_kept():
    """R-API-2: defaulting only fills what is empty."""
    text = POD.replace("spec:\n  initContainers", "spec:\n  restartPolicy: Never\n  dnsPolicy: Default\n  initContainers")
    text = text.replace('image: "nginx:1.27"', 'image: "nginx:1.27"\n    imagePullPolicy: Always')
    pod = default_pod(load(text))
    assert (pod.spec.restart_policy, pod.spec.dns_policy) == ("Never", "Default")
    assert pod.spec.containers[0].image_pull_policy == "Always"


def test_admission_sets_service_account_priority_and_default_tolerations():
    """R-API-2: ServiceAccount, Priority and DefaultTolerationSeconds admission on create."""
    spec = default_pod(load(POD)).spec
    assert (spec.service_account_name, spec.service_account) == ("default", "default")
    assert (spec.priority, spec.preemption_policy) == (0, "PreemptLowerPriority")
    assert spec.tolerations == (NOT_READY, UNREACHABLE)


def test_deprecated_service_account_field_names_the_account():
    """R-API-2: spec.serviceAccount alone fills serviceAccountName (v1 conversion)."""
    pod = default_pod(load(POD.replace("spec:\n  initContainers", "spec:\n  serviceAccount: robot\n  initContainers")))
    assert (pod.spec.service_account_name, pod.spec.service_account) == ("robot", "robot")


def test_default_tolerations_are_not_added_twice():
    """R-API-2: a pod already tolerating not-ready (or everything) gets only what is missing."""
    own = "spec:\n  tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute}]\n  initContainers"
    spec = default_pod(load(POD.replace("spec:\n  initContainers", own))).spec
    assert [t.key for t in spec.tolerations] == ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
    wildcard = "spec:\n  tolerations: [{operator: Exists}]\n  initContainers"
    assert len(default_pod(load(POD.replace("spec:\n  initContainers", wildcard))).spec.tolerations) == 1


def test_pod_defaulting_is_idempotent():
    """R-API-2: defaulting a stored Pod again changes nothing."""
    for text in (POD, HOSTNET):
        once = default_pod(load(text))
        assert default_pod(once) == once


def test_pod_template_defaults_skip_pod_only_and_admission_fields():
    """R-API-2: templates get PodSpec/container defaults but no enableServiceLinks, SA or tolerations."""
    template = default_pod_template(load(DEPLOYMENT).spec.template)
    spec = template.spec
    assert (spec.restart_policy, spec.termination_grace_period_seconds) == ("Always", 30)
    assert spec.enable_service_links is None
    assert spec.service_account_name == "" and spec.tolerations == () and spec.priority is None


# --------------------------------------------------------------------------- workloads


def test_deployment_defaults_replicas_strategy_history_and_deadline():
    """R-API-2: SetDefaults_Deployment."""
    spec = default_deployment(load(DEPLOYMENT)).spec
    assert spec.replicas == 1
    assert spec.strategy.type == "RollingUpdate"
    assert spec.strategy.rolling_update == {"maxSurge": "25%", "maxUnavailable": "25%"}
    assert (spec.revision_history_limit, spec.progress_deadline_seconds) == (10, 600)


def test_deployment_keeps_explicit_values_and_fills_a_partial_rolling_update():
    """R-API-2: only missing rollingUpdate members are defaulted."""
    text = DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: 0\n  strategy: {rollingUpdate: {maxSurge: 1}}\n  selector")
    spec = default_deployment(load(text)).spec
    assert spec.replicas == 0
    assert spec.strategy.rolling_update == {"maxSurge": 1, "maxUnavailable": "25%"}


def test_recreate_deployments_get_no_rolling_update():
    """R-API-2: the rolling-update defaults only apply to type RollingUpdate."""
    text = DEPLOYMENT.replace("spec:\n  selector", "spec:\n  strategy: {type: Recreate}\n  selector")
    strategy = default_deployment(load(text)).spec.strategy
    assert (strategy.type, strategy.rolling_update) == ("Recreate", None)


def test_deployment_and_replicaset_defaulting_is_idempotent():
    """R-API-2: defaulting twice equals defaulting once."""
    once = default_deployment(load(DEPLOYMENT))
    assert default_deployment(once) == once
    rs = default_replicaset(load(DEPLOYMENT.replace("kind: Deployment", "kind: ReplicaSet")))
    assert rs.spec.replicas == 1 and default_replicaset(rs) == rs


# --------------------------------------------------------------------------- namespaces and endpoints


def test_namespace_gets_name_label_kubernetes_finalizer_and_active_phase():
    """R-API-2: NamespaceDefaultLabelName, PrepareForCreate and SetDefaults_NamespaceStatus."""
    ns = default_namespace(load("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"))
    assert ns.metadata.labels == {"kubernetes.io/metadata.name": "team-a"}
    assert ns.spec.finalizers == ("kubernetes",)
    assert ns.status.phase == "Active"
    assert default_namespace(ns) == ns


def test_endpoint_slice_ports_default_protocol_and_name_but_not_conditions():
    """R-API-2: SetDefaults_EndpointPort; endpoint conditions are left unset."""
    s = default_endpoint_slice(load("""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc}
addressType: IPv4
endpoints: [{addresses: [10.244.1.5]}]
ports: [{port: 8080}]
"""))
    assert (s.ports[0].protocol, s.ports[0].name, s.ports[0].port) == ("TCP", "", 8080)
    assert s.endpoints[0].conditions.ready is None
    assert default_endpoint_slice(s) == s


def test_endpoints_ports_default_to_tcp():
    """R-API-2: SetDefaults_Endpoints."""
    e = default_endpoints(load("""
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets: [{addresses: [{ip: 10.244.1.5}], ports: [{port: 8080}, {port: 53, protocol: UDP, name: dns}]}]
"""))
    assert [p.protocol for p in e.subsets[0].ports] == ["TCP", "UDP"]
