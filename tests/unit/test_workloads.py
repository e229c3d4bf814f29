"""Deployments and ReplicaSets: names, ownership, status, scaling, rollouts, garbage collection.

Scenario tests build the control plane themselves on a fresh cluster and apply manifests.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from grader.model.codec import decode
from grader.model.objects import Pod, PodTemplateSpec
from grader.sim.clock import EPOCH, format_timestamp
from grader.sim.cluster import Cluster
from grader.sim.controllers.kubelet import Kubelet
from grader.sim.controllers.scheduler import Scheduler
from grader.sim.controllers.workloads import (
    ALPHANUMS,
    DeploymentController,
    ReplicaSetController,
    fnv1a_32,
    pod_template_hash,
    pods_to_delete,
    resolve_fenceposts,
    safe_encode,
    scaled_value,
)
from grader.sim.views import kubectl_get

MYAPP = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: myapp}
    spec:
      replicas: %(replicas)d
      selector: {matchLabels: {app: myapp}}
      template:
        metadata: {labels: {app: myapp}}
        spec:
          containers: [{name: web, image: "nginx:%(tag)s", ports: [{containerPort: 80%(host)s}]}]
"""


def myapp(replicas: int = 2, tag: str = "1.27", host_port: int = 0, strategy: str = "") -> str:
    text = textwrap.dedent(MYAPP % {"replicas": replicas, "tag": tag,
                                    "host": f", hostPort: {host_port}" if host_port else ""})
    if strategy:
        text = text.replace("  replicas:", f"  strategy: {strategy}\n  replicas:")
    return text


def make_cluster(topology: str = "kind", seed: int = 0) -> Cluster:
    cluster = Cluster(topology, seed=seed)
    cluster.control_plane.controllers[:] = [
        DeploymentController(cluster), ReplicaSetController(cluster), Scheduler(cluster), Kubelet(cluster),
    ]
    return cluster


def apply(cluster: Cluster, text: str):
    result = cluster.apply(textwrap.dedent(text))
    assert result.ok, str(result)
    return result


def conditions(obj) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in obj.status.conditions or ()}


def deployment_events(cluster: Cluster) -> list[str]:
    return [e.message for e in cluster.events if e.involved_kind == "Deployment"]


def replica_sets(cluster: Cluster) -> dict[str, int]:
    return {rs.name: rs.spec.replicas for rs in cluster.list("replicasets")}


# --------------------------------------------------------------------------- hashing and arithmetic


@pytest.mark.parametrize("data, value", [(b"", 0x811C9DC5), (b"a", 0xE40C292C), (b"foobar", 0xBF9CF968)])
def test_fnv1a_32_matches_the_reference_vectors(data, value):
    assert fnv1a_32(data) == value


def test_safe_encode_maps_digits_into_the_vowel_free_alphabet():
    assert safe_encode("0123456789") == "456789bcdf"


def test_the_pod_template_hash_is_stable_and_changes_with_the_template_and_collisions():
    template = decode(PodTemplateSpec, {"metadata": {"labels": {"app": "a"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    other = decode(PodTemplateSpec, {"metadata": {"labels": {"app": "a"}},
                                     "spec": {"containers": [{"name": "c", "image": "nginx:1.28"}]}})
    value = pod_template_hash(template)
    assert value == pod_template_hash(template) and set(value) <= set(ALPHANUMS)
    assert value != pod_template_hash(other)
    assert value != pod_template_hash(template, 1) != pod_template_hash(template, 2)


SCALING = [
    # (value, total, round up?, result)
    ("25%", 1, True, 1), ("25%", 1, False, 0), ("25%", 4, True, 1), ("25%", 4, False, 1),
    ("33%", 10, True, 4), ("33%", 10, False, 3), ("100%", 3, False, 3), (2, 10, True, 2), (0, 10, False, 0),
]


@pytest.mark.parametrize("value, total, round_up, result", SCALING)
def test_percentages_scale_with_surge_rounded_up_and_unavailable_rounded_down(value, total, round_up, result):
    assert scaled_value(value, total, round_up) == result


@pytest.mark.parametrize("surge, unavailable, desired, result", [
    ("25%", "25%", 1, (1, 0)),
    ("25%", "25%", 4, (1, 1)),
    (0, "10%", 3, (0, 1)),
    (1, 0, 5, (1, 0)),
])
def test_resolve_fenceposts_never_leaves_both_at_zero(surge, unavailable, desired, result):
    assert resolve_fenceposts(surge, unavailable, desired) == result


# --------------------------------------------------------------------------- deletion ranking


def _pod(name: str, *, node: str = "kind-worker", phase: str = "Running", ready: bool = True,
         created: int = 0, ready_at: int = 0, restarts: int = 0, cost: int | None = None) -> Pod:
    annotations = {"controller.kubernetes.io/pod-deletion-cost": str(cost)} if cost is not None else {}
    conditions = [{"type": "Ready", "status": "True" if ready else "False",
                   "lastTransitionTime": format_timestamp(EPOCH + timedelta(seconds=ready_at))}]
    return decode(Pod, {
        "metadata": {"name": name, "namespace": "default", "uid": name,
                     "creationTimestamp": format_timestamp(EPOCH + timedelta(seconds=created)),
                     "annotations": annotations},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
        "status": {"phase": phase, "conditions": conditions,
                   "containerStatuses": [{"name": "c", "restartCount": restarts, "ready": ready}]},
    })


DELETION_ORDER = [
    ("an unassigned pod goes before an assigned one", _pod("a"), _pod("b", node="", phase="Pending"), "b"),
    ("a Pending pod goes before a Running one", _pod("a"), _pod("b", phase="Pending"), "b"),
    ("a pod that is not ready goes before a ready one", _pod("a"), _pod("b", ready=False), "b"),
    ("a lower deletion cost goes first", _pod("a", cost=10), _pod("b", cost=-5), "b"),
    ("a pod doubled up with its siblings goes first", _pod("a", node="kind-worker2"), _pod("b"), "b"),
    ("a pod ready for less time goes first", _pod("a", ready_at=0), _pod("b", ready_at=3000), "b"),
    ("a pod with more restarts goes first", _pod("a"), _pod("b", restarts=3), "b"),
    ("a newer pod goes before an older one", _pod("a", created=0), _pod("b", created=3000), "b"),
]


@pytest.mark.parametrize("sentence, first, second, deleted", DELETION_ORDER, ids=[r[0] for r in DELETION_ORDER])
def test_scale_down_deletes_the_most_expendable_pod_first(sentence, first, second, deleted):
    sibling = _pod("sibling", node="kind-worker")
    now = EPOCH + timedelta(hours=2)
    [victim] = pods_to_delete([first, second], [first, second, sibling], 1, now)
    assert victim.metadata.name == deleted


# --------------------------------------------------------------------------- Deployment → ReplicaSet → Pods


def test_a_deployment_makes_a_hash_named_replica_set_that_makes_named_pods():
    cluster = make_cluster()
    apply(cluster, myapp())
    deployment = cluster.get("deployment", "myapp")
    template_hash = pod_template_hash(deployment.spec.template)
    [rs] = cluster.list("replicasets")
    assert rs.name == f"myapp-{template_hash}"
    assert rs.metadata.labels == {"app": "myapp", "pod-template-hash": template_hash}
    assert rs.spec.selector.match_labels == {"app": "myapp", "pod-template-hash": template_hash}
    assert rs.metadata.annotations == {"deployment.kubernetes.io/desired-replicas": "2",
                                       "deployment.kubernetes.io/max-replicas": "3",
                                       "deployment.kubernetes.io/revision": "1"}
    [owner] = rs.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid, owner.controller, owner.block_owner_deletion) == (
        "Deployment", "myapp", deployment.metadata.uid, True, True)
    pods = cluster.list("pods")
    assert len(pods) == 2
    for pod in pods:
        prefix, suffix = pod.name.rsplit("-", 1)
        assert prefix == rs.name and len(suffix) == 5 and set(suffix) <= set(ALPHANUMS)
        assert pod.metadata.generate_name == f"{rs.name}-"
        assert pod.metadata.labels["pod-template-hash"] == template_hash
        [ref] = pod.metadata.owner_references
        assert (ref.kind, ref.name, ref.uid, ref.controller) == ("ReplicaSet", rs.name, rs.metadata.uid, True)


def test_pod_names_are_deterministic_per_seed():
    def names(seed: int) -> list[str]:
        cluster = make_cluster(seed=seed)
        apply(cluster, myapp(3))
        return [p.name for p in cluster.list("pods")]

    assert names(0) == names(0)
    assert names(0) != names(1)
    assert {n.rsplit("-", 1)[0] for n in names(0)} == {n.rsplit("-", 1)[0] for n in names(1)}


def test_s01_a_finished_rollout_reports_kubernetes_status_and_events():
    cluster = make_cluster()
    apply(cluster, myapp())
    deployment = cluster.get("deployment", "myapp")
    [rs] = cluster.list("replicasets")
    status = deployment.status
    assert (status.observed_generation, status.replicas, status.updated_replicas, status.ready_replicas,
            status.available_replicas, status.unavailable_replicas) == (1, 2, 2, 2, 2, 0)
    assert conditions(deployment) == {
        "Available": ("True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        "Progressing": ("True", "NewReplicaSetAvailable", f'ReplicaSet "{rs.name}" has successfully progressed.'),
    }
    assert [c["type"] for c in deployment.status.conditions] == ["Available", "Progressing"]
    assert (rs.status.replicas, rs.status.fully_labeled_replicas, rs.status.ready_replicas,
            rs.status.available_replicas, rs.status.observed_generation) == (2, 2, 2, 2, 1)
    assert deployment_events(cluster) == [f"Scaled up replica set {rs.name} from 0 to 2"]
    created = sorted(e.message for e in cluster.events if e.reason == "SuccessfulCreate")
    assert created == sorted(f"Created pod: {p.name}" for p in cluster.list("pods"))
    assert kubectl_get(cluster, "deployments").stdout.splitlines()[1].split()[:4] == ["myapp", "2/2", "2", "2"]


def test_a_deployment_that_cannot_reach_minimum_availability_says_so():
    cluster = make_cluster()
    apply(cluster, myapp(3, host_port=80))
    deployment = cluster.get("deployment", "myapp")
    [rs] = cluster.list("replicasets")
    assert conditions(deployment) == {
        "Available": ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        "Progressing": ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs.name}" is progressing.'),
    }
    assert (deployment.status.ready_replicas, deployment.status.unavailable_replicas) == (2, 1)


def test_scaling_up_and_down_resizes_the_replica_set_with_events():
    cluster = make_cluster()
    apply(cluster, myapp(2))
    [rs] = cluster.list("replicasets")
    apply(cluster, myapp(4))
    assert replica_sets(cluster) == {rs.name: 4} and len(cluster.list("pods")) == 4
    apply(cluster, myapp(1))
    assert replica_sets(cluster) == {rs.name: 1} and len(cluster.list("pods")) == 1
    assert deployment_events(cluster)[1:] == [f"Scaled up replica set {rs.name} from 2 to 4",
                                              f"Scaled down replica set {rs.name} from 4 to 1"]
    deleted = [e.message for e in cluster.events if e.reason == "SuccessfulDelete"]
    assert len(deleted) == 3


def test_scale_down_removes_the_pending_pod_before_running_ones():
    cluster = make_cluster()
    apply(cluster, myapp(3, host_port=80))
    [pending] = [p.name for p in cluster.list("pods") if not p.spec.node_name]
    apply(cluster, myapp(2, host_port=80))
    names = [p.name for p in cluster.list("pods")]
    assert pending not in names and len(names) == 2
    assert all(p.status.phase == "Running" for p in cluster.list("pods"))


def test_a_deleted_pod_of_a_replica_set_is_replaced():
    cluster = make_cluster()
    apply(cluster, myapp(2))
    victim = cluster.list("pods")[0].name
    cluster.delete("pod", victim)
    names = [p.name for p in cluster.list("pods")]
    assert len(names) == 2 and victim not in names


# --------------------------------------------------------------------------- rollouts


def _rolled_out(cluster: Cluster) -> tuple[str, str]:
    old, new = sorted(cluster.list("replicasets"), key=lambda rs: rs.metadata.annotations["deployment.kubernetes.io/revision"])
    return old.name, new.name


def test_s39_rolling_update_moves_a_host_port_pod_to_the_free_worker():
    cluster = make_cluster()
    apply(cluster, myapp(1, host_port=80))
    first_node = cluster.list("pods")[0].spec.node_name
    apply(cluster, myapp(1, tag="1.28", host_port=80))
    old, new = _rolled_out(cluster)
    assert replica_sets(cluster) == {old: 0, new: 1}
    [pod] = cluster.list("pods")
    assert pod.name.startswith(new) and pod.spec.node_name != first_node and pod.status.phase == "Running"
    deployment = cluster.get("deployment", "myapp")
    assert (deployment.status.replicas, deployment.status.updated_replicas, deployment.status.available_replicas,
            deployment.status.observed_generation) == (1, 1, 1, 2)
    assert conditions(deployment)["Progressing"] == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{new}" has successfully progressed.')
    assert deployment_events(cluster)[1:] == [f"Scaled up replica set {new} from 0 to 1",
                                              f"Scaled down replica set {old} from 1 to 0"]
    assert cluster.get("replicaset", new).metadata.annotations["deployment.kubernetes.io/revision"] == "2"


def test_s39_rolling_update_stalls_when_the_other_worker_holds_the_host_port():
    cluster = make_cluster()
    apply(cluster, myapp(1, host_port=80))
    first_node = cluster.list("pods")[0].spec.node_name
    other = "kind-worker2" if first_node == "kind-worker" else "kind-worker"
    apply(cluster, f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: blocker}}
        spec:
          nodeSelector: {{kubernetes.io/hostname: {other}}}
          containers: [{{name: web, image: "nginx:1.27", ports: [{{containerPort: 80, hostPort: 80}}]}}]
    """)
    apply(cluster, myapp(1, tag="1.28", host_port=80))
    old, new = _rolled_out(cluster)
    assert replica_sets(cluster) == {old: 1, new: 1}
    new_pod = next(p for p in cluster.list("pods") if p.name.startswith(new))
    assert new_pod.status.phase == "Pending" and not new_pod.spec.node_name
    [scheduled] = [c for c in new_pod.status.conditions if c.type == "PodScheduled"]
    assert "2 node(s) didn't have free ports for the requested pod ports" in scheduled.message
    deployment = cluster.get("deployment", "myapp")
    assert (deployment.status.replicas, deployment.status.updated_replicas, deployment.status.available_replicas,
            deployment.status.unavailable_replicas) == (2, 1, 1, 1)
    assert conditions(deployment) == {
        "Available": ("True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        "Progressing": ("True", "ReplicaSetUpdated", f'ReplicaSet "{new}" is progressing.'),
    }


def test_s39_the_stalled_rollout_finishes_once_the_blocker_goes():
    cluster = make_cluster()
    apply(cluster, myapp(1, host_port=80))
    other = "kind-worker2" if cluster.list("pods")[0].spec.node_name == "kind-worker" else "kind-worker"
    apply(cluster, f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: blocker}}
        spec:
          nodeSelector: {{kubernetes.io/hostname: {other}}}
          containers: [{{name: web, image: "nginx:1.27", ports: [{{containerPort: 80, hostPort: 80}}]}}]
    """)
    apply(cluster, myapp(1, tag="1.28", host_port=80))
    cluster.delete("pod", "blocker")
    old, new = _rolled_out(cluster)
    assert replica_sets(cluster) == {old: 0, new: 1}


def test_recreate_scales_the_old_replica_set_to_zero_before_the_new_one_comes_up():
    cluster = make_cluster()
    apply(cluster, myapp(2, strategy="{type: Recreate}"))
    apply(cluster, myapp(2, tag="1.28", strategy="{type: Recreate}"))
    old, new = _rolled_out(cluster)
    assert replica_sets(cluster) == {old: 0, new: 2}
    assert deployment_events(cluster)[1:] == [f"Scaled down replica set {old} from 2 to 0",
                                              f"Scaled up replica set {new} from 0 to 2"]
    assert all(p.name.startswith(new) for p in cluster.list("pods"))


# --------------------------------------------------------------------------- garbage collection


def test_deleting_a_deployment_deletes_its_replica_sets_and_pods():
    cluster = make_cluster()
    apply(cluster, myapp(2))
    ips = {p.status.pod_ip for p in cluster.list("pods")}
    assert cluster.delete("deployment", "myapp").ok
    assert cluster.list("replicasets") == [] and cluster.list("pods") == []
    assert ips and not cluster.pod_ips["kind-worker"]._used and not cluster.pod_ips["kind-worker2"]._used


def test_deleting_a_replica_set_deletes_its_pods():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: bare}
        spec:
          replicas: 2
          selector: {matchLabels: {app: bare}}
          template:
            metadata: {labels: {app: bare}}
            spec: {containers: [{name: web, image: "nginx:1.27"}]}
    """)
    assert [p.name.startswith("bare-") for p in cluster.list("pods")] == [True, True]
    cluster.delete("replicaset", "bare")
    assert cluster.list("pods") == []


def test_pods_that_only_match_the_selector_are_not_adopted():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: stray, labels: {app: myapp}}
        spec: {containers: [{name: web, image: "nginx:1.27"}]}
    """)
    apply(cluster, myapp(2))
    assert len(cluster.list("pods")) == 3
    cluster.delete("deployment", "myapp")
    assert [p.name for p in cluster.list("pods")] == ["stray"]


# --------------------------------------------------------------------------- idempotence


def test_applying_the_same_deployment_twice_is_unchanged_and_writes_nothing():
    cluster = make_cluster()
    apply(cluster, myapp(2))

    def versions() -> dict[str, str]:
        objects = cluster.list("deployments") + cluster.list("replicasets") + cluster.list("pods")
        return {f"{o.KIND}/{o.name}": o.metadata.resource_version for o in objects}

    before, events = versions(), [(e.reason, e.message, e.count) for e in cluster.events]
    result = cluster.apply(myapp(2))
    assert result.stdout == "deployment.apps/myapp unchanged"
    assert versions() == before
    assert [(e.reason, e.message, e.count) for e in cluster.events] == events


def test_pod_template_hash_is_fnv_of_the_templates_canonical_json():
    import json

    from grader.model.codec import encode
    from grader.model.objects import Container, ObjectMeta, PodSpec, PodTemplateSpec
    from grader.sim.controllers.workloads import fnv1a_32, pod_template_hash, safe_encode

    spec = PodSpec(containers=(Container(name="web", image="nginx:1.27"),))
    for meta in (ObjectMeta(), ObjectMeta(labels={"app": "web"}, annotations={"note": "caf\u00e9"})):
        template = PodTemplateSpec(metadata=meta, spec=spec)
        data = json.dumps(encode(template), sort_keys=True, separators=(",", ":")).encode()
        assert pod_template_hash(template) == safe_encode(str(fnv1a_32(data)))
