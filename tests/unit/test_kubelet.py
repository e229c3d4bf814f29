"""The kubelet: admission (R-KL-1), pod IPs, container states and crashes (R-CP-3, R-HN-3), readiness.

Scenario tests build the control plane themselves on a fresh cluster and apply manifests.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.errors import NotFoundError
from grader.sim.cluster import Cluster
from grader.sim.controllers.kubelet import (
    Kubelet,
    back_off,
    container_log,
    go_duration,
    normalize_image,
    restarts_after,
)
from grader.sim.controllers.scheduler import Scheduler
from grader.sim.controllers.workloads import DeploymentController, ReplicaSetController
from grader.sim.views import kubectl_get

REJECTED = ("Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the "
            "requested pod ports")

TWONGINX = """
    apiVersion: v1
    kind: Pod
    metadata: {name: twonginx}
    spec:
      containers:
      - {name: nginx1, image: "nginx:1.27", ports: [{containerPort: 80}]}
      - {name: nginx2, image: "nginx:1.27", ports: [{containerPort: 80}]}
"""

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


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


def pod_on(name: str, node: str, host_port: int = 0, *, direct: bool = True) -> str:
    where = f"nodeName: {node}" if direct else f"nodeSelector: {{kubernetes.io/hostname: {node}}}"
    port = f"{{containerPort: 80, hostPort: {host_port}}}" if host_port else "{containerPort: 80}"
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\n"
            f"spec:\n  {where}\n  containers: [{{name: web, image: \"nginx:1.27\", ports: [{port}]}}]\n")


def host_network_pod(name: str, declared: bool) -> str:
    ports = "\n    ports: [{containerPort: 8080}]" if declared else ""
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          hostNetwork: true
          nodeSelector: {{kubernetes.io/hostname: kind-worker}}
          containers:
          - name: web
            image: "{AGNHOST}"
            args: ["netexec", "--http-port=8080"]""") + ports + "\n"


def condition(pod, kind: str):
    return next(c for c in pod.status.conditions if c.type == kind)


def kubelet_events(cluster: Cluster, name: str) -> list[tuple[str, str, str, int]]:
    return [(e.type, e.reason, e.message, e.count) for e in cluster.events
            if e.source == "kubelet" and e.involved_name == name]


def get_row(cluster: Cluster, name: str) -> list[str]:
    lines = kubectl_get(cluster, "pods", name).stdout.splitlines()
    return lines[1].split()


# --------------------------------------------------------------------------- back-off arithmetic

RESTARTS = [
    # (seconds since the first crash, restartCount): restarts at 0s, 10s, 30s, 70s, 150s, 310s, 610s, 910s
    (0, 1), (9, 1), (10, 2), (29, 2), (30, 3), (69, 3), (70, 4), (150, 5), (309, 5), (310, 6), (610, 7),
    (909, 7), (910, 8), (3609, 16), (3610, 17),
]


@pytest.mark.parametrize("seconds, restarts", RESTARTS)
def test_restart_count_follows_the_kubelet_back_off_of_10s_doubling_to_5m(seconds, restarts):
    assert restarts_after(seconds) == restarts


def test_back_off_reports_the_last_restart_and_the_running_delay():
    assert back_off(0) == (1, 0.0, 10)
    assert back_off(45) == (3, 30.0, 40)
    assert back_off(4000)[2] == 300


@pytest.mark.parametrize("seconds, text", [(10, "10s"), (40, "40s"), (80, "1m20s"), (160, "2m40s"),
                                           (300, "5m0s"), (3600, "1h0m0s")])
def test_go_duration_formats_like_time_duration(seconds, text):
    assert go_duration(seconds) == text


@pytest.mark.parametrize("image, normalized", [
    ("nginx:1.27", "docker.io/library/nginx:1.27"),
    ("nginx", "docker.io/library/nginx:latest"),
    ("hashicorp/http-echo:1.0", "docker.io/hashicorp/http-echo:1.0"),
    (AGNHOST, AGNHOST),
    ("localhost/app:v1", "localhost/app:v1"),
])
def test_container_status_images_are_normalized_as_containerd_reports_them(image, normalized):
    assert normalize_image(image) == normalized


# --------------------------------------------------------------------------- R-KL-1 admission


def test_r_kl_1_a_pod_bound_by_node_name_onto_a_taken_host_port_is_rejected():
    cluster = make_cluster()
    apply(cluster, pod_on("first", "kind-worker", 8080))
    apply(cluster, pod_on("second", "kind-worker", 8080))
    second = cluster.get("pod", "second")
    assert (second.status.phase, second.status.reason, second.status.message) == ("Failed", "NodePorts", REJECTED)
    assert second.status.pod_ip == "" and second.status.container_statuses == ()
    assert kubelet_events(cluster, "second") == [
        ("Warning", "NodePorts",
         "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports", 1),
    ]
    assert get_row(cluster, "second")[1:3] == ["0/1", "NodePorts"]


def test_r_kl_1_the_kubelet_checks_against_pods_the_scheduler_placed_too():
    cluster = make_cluster()
    apply(cluster, pod_on("scheduled", "kind-worker", 9000, direct=False))
    apply(cluster, pod_on("direct", "kind-worker", 9000))
    assert cluster.get("pod", "scheduled").status.phase == "Running"
    assert cluster.get("pod", "direct").status.reason == "NodePorts"


def test_r_kl_1_a_rejected_pod_is_never_retried():
    cluster = make_cluster()
    apply(cluster, pod_on("first", "kind-worker", 8080))
    apply(cluster, pod_on("second", "kind-worker", 8080))
    cluster.delete("pod", "first")
    cluster.clock.advance(600)
    cluster.reconcile()
    assert cluster.get("pod", "second").status.phase == "Failed"


def test_r_kl_1_a_rejected_pod_does_not_hold_the_port():
    cluster = make_cluster()
    apply(cluster, pod_on("first", "kind-worker", 8080))
    apply(cluster, pod_on("second", "kind-worker", 8080))
    cluster.delete("pod", "first")
    apply(cluster, pod_on("third", "kind-worker", 8080))
    assert cluster.get("pod", "third").status.phase == "Running"


def test_admission_rejects_a_node_name_pod_whose_selector_does_not_match():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: odd}
        spec:
          nodeName: kind-worker
          nodeSelector: {kubernetes.io/hostname: kind-worker2}
          containers: [{name: web, image: "nginx:1.27"}]
    """)
    pod = cluster.get("pod", "odd")
    assert (pod.status.phase, pod.status.reason, pod.status.message) == (
        "Failed", "NodeAffinity",
        "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
    )


# --------------------------------------------------------------------------- running pods


def test_a_running_pod_has_kubelet_status_fields_and_events():
    cluster = make_cluster()
    apply(cluster, pod_on("web", "kind-worker"))
    pod = cluster.get("pod", "web")
    status = pod.status
    assert (status.phase, status.host_ip, status.host_ips, status.pod_ip) == (
        "Running", "172.18.0.3", [{"ip": "172.18.0.3"}], "10.244.1.2")
    assert [ip.ip for ip in status.pod_ips] == ["10.244.1.2"]
    assert status.start_time == cluster.clock.timestamp()
    assert [(c.type, c.status) for c in status.conditions] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True"),
    ]
    [web] = status.container_statuses
    assert (web.name, web.ready, web.started, web.restart_count, web.image) == (
        "web", True, True, 0, "docker.io/library/nginx:1.27")
    assert web.state == {"running": {"startedAt": cluster.clock.timestamp()}}
    assert web.container_id.startswith("containerd://") and web.image_id.startswith("docker.io/library/nginx@sha256:")
    assert kubelet_events(cluster, "web") == [
        ("Normal", "Pulled", 'Container image "nginx:1.27" already present on machine', 1),
        ("Normal", "Created", "Created container: web", 1),
        ("Normal", "Started", "Started container web", 1),
    ]


def test_pod_ips_come_from_the_node_cidr_in_order_and_are_released_on_delete():
    cluster = make_cluster()
    apply(cluster, pod_on("a", "kind-worker") + "---\n" + pod_on("b", "kind-worker"))
    assert [cluster.get("pod", n).status.pod_ip for n in ("a", "b")] == ["10.244.1.2", "10.244.1.3"]
    cluster.delete("pod", "a")
    assert not cluster.pod_ips["kind-worker"]._used & {2}


def test_r_hn_3_a_host_network_pod_gets_the_node_ip():
    cluster = make_cluster()
    apply(cluster, host_network_pod("hn", declared=True))
    pod = cluster.get("pod", "hn")
    assert (pod.spec.node_name, pod.status.pod_ip, pod.status.host_ip) == ("kind-worker", "172.18.0.3", "172.18.0.3")


# --------------------------------------------------------------------------- crashes


def test_s36_r_cp_3_two_containers_binding_one_port_show_1_of_2_crash_loop_back_off():
    cluster = make_cluster()
    apply(cluster, TWONGINX)
    assert get_row(cluster, "twonginx")[:5] == ["twonginx", "1/2", "CrashLoopBackOff", "1", "(0s"]
    assert "bind() to 0.0.0.0:80 failed (98: Address already in use)" in container_log(cluster, "twonginx", "nginx2")
    assert container_log(cluster, "twonginx", "nginx1") == ""


def test_s36_the_losing_container_status_is_waiting_with_the_last_termination():
    cluster = make_cluster()
    apply(cluster, TWONGINX)
    pod = cluster.get("pod", "twonginx")
    nginx1, nginx2 = pod.status.container_statuses
    assert nginx1.ready and "running" in nginx1.state
    label = f"twonginx_default({pod.metadata.uid})"
    assert nginx2.state == {"waiting": {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 10s restarting failed container=nginx2 pod={label}",
    }}
    terminated = nginx2.last_state["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")
    assert (nginx2.ready, nginx2.started, nginx2.restart_count) == (False, False, 1)
    assert pod.status.phase == "Running"
    ready = condition(pod, "Ready")
    assert (ready.status, ready.reason, ready.message) == (
        "False", "ContainersNotReady", "containers with unready status: [nginx2]")


def test_s36_back_off_events_name_the_pod_with_its_uid():
    cluster = make_cluster()
    apply(cluster, TWONGINX)
    pod = cluster.get("pod", "twonginx")
    assert ("Warning", "BackOff",
            f"Back-off restarting failed container nginx2 in pod twonginx_default({pod.metadata.uid})",
            1) in kubelet_events(cluster, "twonginx")
    started = [(m, n) for _, r, m, n in kubelet_events(cluster, "twonginx") if r == "Started"]
    assert started == [("Started container nginx1", 1), ("Started container nginx2", 2)]


def test_s36_restarts_grow_with_logical_time():
    cluster = make_cluster()
    apply(cluster, TWONGINX)
    cluster.clock.advance(100)
    cluster.reconcile()
    nginx2 = cluster.get("pod", "twonginx").status.container_statuses[1]
    assert nginx2.restart_count == 4
    assert nginx2.state["waiting"]["message"].startswith("back-off 1m20s restarting failed container=nginx2 ")
    assert get_row(cluster, "twonginx")[3:5] == ["4", "(30s"]
    backoffs = [n for _, r, _, n in kubelet_events(cluster, "twonginx") if r == "BackOff"]
    assert backoffs == [4]


def test_s36_dropping_the_ports_removes_the_warning_but_not_the_crash():
    cluster = make_cluster()
    result = apply(cluster, TWONGINX.replace(', ports: [{containerPort: 80}]', ''))
    assert "Warning" not in result.stderr
    assert get_row(cluster, "twonginx")[1:3] == ["1/2", "CrashLoopBackOff"]


def test_s37d_r_hn_3_undeclared_ports_let_two_host_network_pods_share_a_node_and_the_second_crashes():
    cluster = make_cluster()
    apply(cluster, host_network_pod("hn", declared=False))
    apply(cluster, host_network_pod("hn2", declared=False))
    assert cluster.get("pod", "hn2").spec.node_name == "kind-worker"
    assert get_row(cluster, "hn")[1:3] == ["1/1", "Running"]
    assert get_row(cluster, "hn2")[1:3] == ["0/1", "CrashLoopBackOff"]
    assert "address already in use" in container_log(cluster, "hn2")


def test_r_hn_3_the_crashing_pod_starts_cleanly_at_its_next_restart_once_the_holder_is_gone():
    cluster = make_cluster()
    apply(cluster, host_network_pod("hn", declared=False))
    apply(cluster, host_network_pod("hn2", declared=False))
    cluster.delete("pod", "hn")
    assert get_row(cluster, "hn2")[2] == "CrashLoopBackOff"
    cluster.clock.advance(10)
    cluster.reconcile()
    web = cluster.get("pod", "hn2").status.container_statuses[0]
    assert ("running" in web.state, web.ready, web.restart_count) == (True, True, 2)
    assert web.last_state["terminated"]["reason"] == "Error"


def test_a_container_whose_program_exits_completes_and_then_crash_loops_under_restart_always():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: bb}
        spec: {containers: [{name: bb, image: "busybox:1.36"}]}
    """)
    status = cluster.get("pod", "bb").status.container_statuses[0]
    assert status.state["waiting"]["reason"] == "CrashLoopBackOff"
    assert (status.last_state["terminated"]["reason"], status.last_state["terminated"]["exitCode"]) == ("Completed", 0)


def test_a_container_whose_program_exits_under_restart_never_leaves_the_pod_succeeded():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: once}
        spec: {restartPolicy: Never, containers: [{name: bb, image: "busybox:1.36"}]}
    """)
    pod = cluster.get("pod", "once")
    assert pod.status.phase == "Succeeded"
    assert pod.status.container_statuses[0].state["terminated"]["reason"] == "Completed"
    assert get_row(cluster, "once")[1:3] == ["0/1", "Completed"]


# --------------------------------------------------------------------------- readiness


def test_s19_a_failing_readiness_probe_keeps_the_pod_running_but_not_ready():
    cluster = make_cluster()
    apply(cluster, f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: slow, labels: {{app: slow}}}}
        spec:
          containers:
          - name: web
            image: "{AGNHOST}"
            args: ["netexec", "--http-port=8080"]
            readinessProbe: {{exec: {{command: ["/bin/false"]}}}}
    """)
    pod = cluster.get("pod", "slow")
    assert pod.status.phase == "Running"
    for kind in ("Ready", "ContainersReady"):
        cond = condition(pod, kind)
        assert (cond.status, cond.reason, cond.message) == (
            "False", "ContainersNotReady", "containers with unready status: [web]")
    assert get_row(cluster, "slow")[1:3] == ["0/1", "Running"]
    unhealthy = [(t, m) for t, r, m, _ in kubelet_events(cluster, "slow") if r == "Unhealthy"]
    assert len(unhealthy) == 1 and unhealthy[0][0] == "Warning"
    assert unhealthy[0][1].startswith("Readiness probe failed:")


def test_a_passing_tcp_readiness_probe_makes_the_pod_ready():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: ok}
        spec:
          containers:
          - {name: web, image: "nginx:1.27", readinessProbe: {tcpSocket: {port: 80}}}
    """)
    assert condition(cluster.get("pod", "ok"), "Ready").status == "True"


# --------------------------------------------------------------------------- idempotence and logs


def test_applying_the_same_pods_twice_is_unchanged_and_writes_nothing():
    cluster = make_cluster()
    text = TWONGINX + "---\n" + textwrap.dedent(pod_on("web", "kind-worker"))
    apply(cluster, text)
    versions = {p.name: p.metadata.resource_version for p in cluster.list("pods")}
    events = [(e.reason, e.count) for e in cluster.events]
    result = cluster.apply(textwrap.dedent(text))
    assert result.stdout == "pod/twonginx unchanged\npod/web unchanged"
    assert {p.name: p.metadata.resource_version for p in cluster.list("pods")} == versions
    assert [(e.reason, e.count) for e in cluster.events] == events


def test_a_kubelet_sync_with_nothing_new_writes_nothing():
    cluster = make_cluster()
    apply(cluster, TWONGINX)
    kubelet = next(c for c in cluster.control_plane.controllers if isinstance(c, Kubelet))
    assert kubelet.sync() is False


def test_container_log_of_a_missing_pod_is_kubectls_not_found():
    with pytest.raises(NotFoundError, match='pods "ghost" not found'):
        container_log(make_cluster(), "ghost")


# --------------------------------------------------------------------------- R-KL-1: pods capacity

OUT_OF_PODS = "Node didn't have enough resource: pods, requested: 1, used: {used}, capacity: {capacity}"


def set_max_pods(cluster: Cluster, node: str, count: int) -> None:
    """What a kubelet started with ``--max-pods=count`` reports."""
    from grader.model.objects import evolve

    stored = cluster.get("node", node)
    status = evolve(stored.status, capacity={"pods": str(count)}, allocatable={"pods": str(count)})
    cluster.registry.put(stored.replace(status=status))


def test_r_kl_1_a_pod_bound_by_node_name_to_a_node_with_110_pods_is_rejected_out_of_pods():
    cluster = make_cluster()
    apply(cluster, "---\n".join(pod_on(f"p{i:03d}", "kind-worker") for i in range(111)))
    last = cluster.get("pod", "p110")
    message = OUT_OF_PODS.format(used=110, capacity=110)
    assert (last.status.phase, last.status.reason, last.status.message) == (
        "Failed", "OutOfpods", "Pod was rejected: " + message)
    assert kubelet_events(cluster, "p110") == [("Warning", "OutOfpods", message, 1)]
    assert cluster.get("pod", "p109").status.phase == "Running"
    assert get_row(cluster, "p110")[1:3] == ["0/1", "OutOfpods"]


def test_r_kl_1_out_of_pods_is_checked_before_host_ports():
    """``AdmissionCheck`` runs the resource fit first, and the first failure is the reason."""
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    apply(cluster, pod_on("first", "kind-worker", 8080))
    apply(cluster, pod_on("second", "kind-worker", 8080))
    second = cluster.get("pod", "second")
    assert (second.status.reason, second.status.message) == (
        "OutOfpods", "Pod was rejected: " + OUT_OF_PODS.format(used=1, capacity=1))


def test_r_kl_1_a_deleted_or_finished_pod_frees_its_place_on_the_node():
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    apply(cluster, pod_on("first", "kind-worker"))
    cluster.delete("pod", "first")
    apply(cluster, pod_on("second", "kind-worker"))
    assert cluster.get("pod", "second").status.phase == "Running"


def test_r_kl_1_a_rejected_pod_takes_no_place_on_the_node():
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    apply(cluster, pod_on("first", "kind-worker"))
    apply(cluster, pod_on("rejected", "kind-worker"))
    cluster.delete("pod", "first")
    apply(cluster, pod_on("third", "kind-worker"))
    assert cluster.get("pod", "rejected").status.reason == "OutOfpods"
    assert cluster.get("pod", "third").status.phase == "Running"


def test_pod_ips_rotate_through_the_node_cidr_and_skip_addresses_in_use():
    from grader.sim.allocators import AllocationError, PodIPAllocator

    pool = PodIPAllocator("10.244.1.0/29")  # .2 to .6: five addresses
    assert [pool.allocate_next() for _ in range(5)] == [f"10.244.1.{i}" for i in range(2, 7)]
    with pytest.raises(AllocationError, match=r"^no IP addresses available in range set: 10\.244\.1\.0/29$"):
        pool.allocate_next()
    pool.release("10.244.1.4")
    pool.release("10.244.1.3")
    assert [pool.allocate_next(), pool.allocate_next()] == ["10.244.1.3", "10.244.1.4"]
    pool.release("10.244.1.6")
    pool.release("10.244.1.2")
    assert [pool.allocate_next(), pool.allocate_next()] == ["10.244.1.6", "10.244.1.2"]
