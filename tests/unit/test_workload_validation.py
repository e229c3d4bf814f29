"""Deployment and ReplicaSet validation with the API server's exact texts (S37(e), S41, R-W-1)."""

from __future__ import annotations

import dataclasses

from grader.model.fielderrors import kubectl_invalid
from grader.model.kinds import decode_document
from grader.model.pod_defaults import default_deployment, default_replicaset
from grader.model.workload_validation import (
    deployment_warnings,
    selector_matches,
    validate_deployment,
    validate_deployment_update,
    validate_replicaset,
    validate_replicaset_update,
)
from grader.model.yamlload import load_documents

MISMATCH = "`selector` does not match template `labels`"

S01 = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: myapp}
spec:
  replicas: 2
  selector: {matchLabels: {app: myapp}}
  template:
    metadata: {labels: {app: myapp}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
"""


def load(text: str):
    """Decode one manifest and put it in namespace "default", as the registry does."""
    obj = decode_document(load_documents(text)[0])
    return obj.replace(metadata=dataclasses.replace(obj.metadata, namespace="default"))


def deployment(text: str = S01):
    return default_deployment(load(text))


def replicaset(text: str = S01):
    return default_replicaset(load(text.replace("kind: Deployment", "kind: ReplicaSet")))


def errors(obj) -> list[str]:
    validate = validate_deployment if obj.KIND == "Deployment" else validate_replicaset
    return [str(e) for e in validate(obj)]


# --------------------------------------------------------------------------- scenarios


def test_s01_deployment_is_valid():
    """S01: the reference Deployment passes."""
    assert errors(deployment()) == []


def test_s41_lowercase_protocol_in_a_deployment_template():
    """S41 (Deployment half), R-CP-13: the template path is prefixed spec.template."""
    d = deployment(S01.replace("containerPort: 80}", "containerPort: 80, protocol: tcp}"))
    assert kubectl_invalid("Deployment", "myapp", validate_deployment(d)) == (
        'The Deployment "myapp" is invalid: spec.template.spec.containers[0].ports[0].protocol: '
        'Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
    )


def test_s37e_host_network_template_may_omit_host_port():
    """S37(e), R-HN-1, R-HN-2: templates are not defaulted and may leave hostPort 0."""
    text = S01.replace("    spec:\n      containers", "    spec:\n      hostNetwork: true\n      containers")
    assert errors(deployment(text)) == []


def test_s37e_host_network_template_host_port_must_match():
    """S37(e), R-HN-2: a set hostPort must equal containerPort, on the template path."""
    text = S01.replace("    spec:\n      containers", "    spec:\n      hostNetwork: true\n      containers")
    d = deployment(text.replace("containerPort: 80}", "containerPort: 8080, hostPort: 9090}"))
    assert errors(d) == [
        "spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 9090: "
        "must match `containerPort` when `hostNetwork` is true"
    ]


# --------------------------------------------------------------------------- selectors


def test_missing_selector_is_required_and_matches_nothing():
    """A nil selector is Required, and as a Nothing-selector it also fails the template match."""
    d = deployment(S01.replace("  selector: {matchLabels: {app: myapp}}\n", ""))
    assert kubectl_invalid("Deployment", "myapp", validate_deployment(d)).splitlines() == [
        'The Deployment "myapp" is invalid: ',
        "* spec.selector: Required value",
        f'* spec.template.metadata.labels: Invalid value: map[string]string{{"app":"myapp"}}: {MISMATCH}',
    ]


def test_selector_that_does_not_match_template_labels():
    """The labels map prints as Go's %#v, keys sorted."""
    d = deployment(S01.replace("labels: {app: myapp}", "labels: {app: my-app, tier: web}"))
    assert errors(d) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"my-app", "tier":"web"}: '
        + MISMATCH
    ]


def test_template_without_labels_prints_a_nil_map():
    """Absent template labels are a nil Go map."""
    d = deployment(S01.replace("    metadata: {labels: {app: myapp}}\n", ""))
    assert errors(d) == [f"spec.template.metadata.labels: Invalid value: map[string]string(nil): {MISMATCH}"]


def test_empty_selector_is_invalid():
    """An empty selector selects everything and is refused (the text says "deployment")."""
    d = deployment(S01.replace("selector: {matchLabels: {app: myapp}}", "selector: {}"))
    assert errors(d) == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment"
    ]


def test_match_expressions_select_template_labels():
    """In / NotIn / Exists / DoesNotExist as labels.Selector evaluates them."""
    d = deployment(S01.replace(
        "selector: {matchLabels: {app: myapp}}",
        "selector: {matchExpressions: [{key: app, operator: In, values: [myapp, other]}, "
        "{key: tier, operator: DoesNotExist}]}",
    ))
    assert errors(d) == []
    assert not selector_matches(d.spec.selector, {"app": "myapp", "tier": "web"})
    assert not selector_matches(None, {"app": "myapp"})


def test_invalid_selector_operator_stops_template_validation():
    """A selector that cannot be converted is reported, and the template is not checked."""
    d = deployment(S01.replace(
        "selector: {matchLabels: {app: myapp}}",
        "selector: {matchExpressions: [{key: app, operator: in, values: [myapp]}]}",
    ).replace("containerPort: 80}", "containerPort: 80, protocol: tcp}"))
    assert errors(d) == [
        'spec.selector.matchExpressions[0].operator: Invalid value: "in": not a valid selector operator',
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
        "MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:in,"
        "Values:[myapp],},},}: invalid label selector",
    ]


# --------------------------------------------------------------------------- spec fields


def test_negative_replicas_are_invalid():
    """ValidateNonnegativeField on spec.replicas."""
    assert errors(deployment(S01.replace("replicas: 2", "replicas: -1"))) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_template_restart_policy_must_be_always():
    """A valid pod restartPolicy that workloads cannot use."""
    d = deployment(S01.replace("    spec:\n      containers", "    spec:\n      restartPolicy: Never\n      containers"))
    assert errors(d) == ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']


def test_template_labels_are_reported_at_spec_template_labels():
    """ValidatePodTemplateSpec reports label errors at <path>.labels (no "metadata")."""
    d = deployment(S01.replace("labels: {app: myapp}", 'labels: {app: myapp, "bad key": x}'))
    assert errors(d) == [
        'spec.template.labels: Invalid value: "bad key": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ]


def test_recreate_strategy_may_not_carry_rolling_update():
    """ValidateDeploymentStrategy."""
    d = deployment(S01.replace("  replicas: 2\n", "  replicas: 2\n  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n"))
    assert errors(d) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]


def test_rolling_update_needs_some_room():
    """ValidateRollingUpdateDeployment: maxUnavailable and maxSurge may not both be 0."""
    d = deployment(S01.replace("  replicas: 2\n", "  replicas: 2\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n"))
    assert errors(d) == ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]


def test_progress_deadline_must_exceed_min_ready_seconds():
    """ValidateDeploymentSpec: progressDeadlineSeconds (defaulted 600) > minReadySeconds."""
    assert errors(deployment(S01.replace("  replicas: 2\n", "  replicas: 2\n  minReadySeconds: 600\n"))) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]


# --------------------------------------------------------------------------- updates


def test_deployment_selector_is_immutable_in_apps_v1():
    """apps/v1 strategy: ValidateImmutableField on spec.selector."""
    new = deployment(S01.replace("{app: myapp}", "{app: web2}"))
    assert [str(e) for e in validate_deployment_update(deployment(), new)] == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: web2,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"
    ]


def test_deployment_update_of_the_template_is_allowed():
    """Only the selector is frozen; template changes roll out."""
    new = deployment(S01.replace("containerPort: 80", "containerPort: 8080"))
    assert validate_deployment_update(deployment(), new) == []


# --------------------------------------------------------------------------- ReplicaSet


def test_replicaset_uses_the_same_template_rules():
    """ValidateReplicaSetSpec: template paths and the Always restart policy."""
    rs = replicaset(S01.replace("containerPort: 80}", "containerPort: 0}"))
    assert errors(rs) == ["spec.template.spec.containers[0].ports[0].containerPort: Required value"]
    assert errors(replicaset()) == []


def test_replicaset_selector_is_required_and_immutable():
    """ValidateReplicaSetSpec and the apps/v1 ReplicaSet strategy."""
    rs = replicaset(S01.replace("  selector: {matchLabels: {app: myapp}}\n", ""))
    assert errors(rs)[0] == "spec.selector: Required value"
    changed = replicaset(S01.replace("{app: myapp}", "{app: b}"))
    assert [str(e) for e in validate_replicaset_update(replicaset(), changed)] == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: b,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"
    ]


# --------------------------------------------------------------------------- warnings


def test_r_w_1_deployment_warnings_use_the_template_path():
    """R-W-1: template port warnings are prefixed spec.template.spec."""
    text = S01.replace(
        '      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}\n',
        '      - {name: a, image: "nginx:1.27", ports: [{containerPort: 80}]}\n'
        '      - {name: b, image: "nginx:1.27", ports: [{containerPort: 80, hostPort: 8080}]}\n',
    )
    assert deployment_warnings(deployment(text)) == [
        "spec.template.spec.containers[1].ports[0]: overlapping port definition with "
        "spec.template.spec.containers[0].ports[0]"
    ]
