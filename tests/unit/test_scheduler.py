"""The scheduler: filters in kube-scheduler's order, R-SCH-1..5 host ports, FailedScheduling texts.

Scenario tests build the control plane themselves (Deployment, ReplicaSet, Scheduler, Kubelet)
on a fresh :class:`~grader.sim.cluster.Cluster`, then apply manifests, as ``kubectl`` would.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.model.objects import OwnerReference, Pod, Taint, Toleration, evolve
from grader.model.api import strategy_for
from grader.model.codec import decode
from grader.sim.cluster import Cluster
from grader.sim.controllers.kubelet import Kubelet
from grader.sim.controllers.scheduler import (
    ERR_NODE_PORTS,
    HostPortTable,
    Scheduler,
    fit_error_message,
    failed_scheduling_message,
    host_ports,
    tolerates,
)
from grader.sim.controllers.workloads import DeploymentController, ReplicaSetController
from grader.sim.topology import Topology

CP_TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
S31_MESSAGE = (
    "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
    "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
)
S32_MESSAGE = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: "
    "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
)


def make_cluster(topology: str | Topology = "kind", seed: int = 0) -> Cluster:
    cluster = Cluster(topology, seed=seed)
    cluster.control_plane.controllers[:] = [
        DeploymentController(cluster), ReplicaSetController(cluster), Scheduler(cluster), Kubelet(cluster),
    ]
    return cluster


def scheduler_of(cluster: Cluster) -> Scheduler:
    return next(c for c in cluster.control_plane.controllers if isinstance(c, Scheduler))


def apply(cluster: Cluster, text: str):
    result = cluster.apply(textwrap.dedent(text))
    assert result.ok, str(result)
    return result


def hostport_pod(name: str, port: int, *, host_ip: str = "", node: str = "", selector: str = "",
                 protocol: str = "", host_network: bool = False, tolerate_all: bool = False) -> str:
    spec = []
    if node:
        spec.append(f"  nodeName: {node}")
    if selector:
        spec.append(f"  nodeSelector: {{kubernetes.io/hostname: {selector}}}")
    if host_network:
        spec.append("  hostNetwork: true")
    if tolerate_all:
        spec.append("  tolerations: [{operator: Exists}]")
    port_fields = [f"containerPort: {port}"] if host_network else ["containerPort: 80", f"hostPort: {port}"]
    if host_ip:
        port_fields.append(f"hostIP: {host_ip}")
    if protocol:
        port_fields.append(f"protocol: {protocol}")
    ports = ", ".join(port_fields)
    lines = [
        "apiVersion: v1", "kind: Pod", f"metadata: {{name: {name}}}", "spec:", *spec,
        f'  containers: [{{name: web, image: "nginx:1.27", ports: [{{{ports}}}]}}]',
    ]
    return "\n".join(lines) + "\n"


def unschedulable_message(cluster: Cluster, name: str) -> str:
    pod = cluster.get("pod", name)
    cond = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert (cond.status, cond.reason) == ("False", "Unschedulable")
    return cond.message


def failed_scheduling_events(cluster: Cluster, name: str) -> list:
    return [e for e in cluster.events if e.reason == "FailedScheduling" and e.involved_name == name]


# --------------------------------------------------------------------------- R-SCH-2 conflict rule

CONFLICTS = [
    # (sentence, port already used on the node, port the incoming pod wants, conflict?)
    ("hostIP 0.0.0.0 conflicts with a specific IP on the same port",
     ("172.18.0.3", "TCP", 8080), ("0.0.0.0", "TCP", 8080), True),
    ("a specific IP conflicts with 0.0.0.0 on the same port",
     ("0.0.0.0", "TCP", 8080), ("172.18.0.3", "TCP", 8080), True),
    ("the same specific IP conflicts with itself",
     ("172.18.0.3", "TCP", 8080), ("172.18.0.3", "TCP", 8080), True),
    ("0.0.0.0 conflicts with 0.0.0.0",
     ("0.0.0.0", "UDP", 53), ("0.0.0.0", "UDP", 53), True),
    ("two different specific IPs do not conflict",
     ("172.18.0.3", "TCP", 8080), ("127.0.0.1", "TCP", 8080), False),
    ("a different protocol never conflicts",
     ("0.0.0.0", "TCP", 8080), ("0.0.0.0", "UDP", 8080), False),
    ("SCTP and TCP on one port do not conflict",
     ("0.0.0.0", "SCTP", 9000), ("0.0.0.0", "TCP", 9000), False),
    ("a different port never conflicts",
     ("0.0.0.0", "TCP", 8080), ("0.0.0.0", "TCP", 8081), False),
]


@pytest.mark.parametrize("sentence, used, wanted, conflict", CONFLICTS, ids=[row[0] for row in CONFLICTS])
def test_r_sch_2_host_port_conflict_rule(sentence, used, wanted, conflict):
    table = HostPortTable()
    table.add([used])
    assert table.conflicts(*wanted) is conflict


def test_r_sch_2_a_port_is_free_again_once_every_user_is_gone():
    table = HostPortTable()
    table.add([("0.0.0.0", "TCP", 80), ("0.0.0.0", "TCP", 80)])
    table.remove([("0.0.0.0", "TCP", 80)])
    assert table.conflicts("0.0.0.0", "TCP", 80)
    table.remove([("0.0.0.0", "TCP", 80)])
    assert not table.conflicts("0.0.0.0", "TCP", 80)


def _pod(spec: dict) -> Pod:
    strategy = strategy_for(Pod)
    return strategy.default(decode(Pod, {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}))


def test_r_sch_1_only_host_ports_of_regular_containers_count_with_defaults_filled_in():
    pod = _pod({
        "initContainers": [{"name": "init", "image": "busybox", "ports": [{"containerPort": 1, "hostPort": 1}]}],
        "containers": [
            {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 8081}]},
            {"name": "b", "image": "nginx", "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP",
                                                       "hostIP": "172.18.0.3"}]},
        ],
    })
    assert host_ports(pod) == (("0.0.0.0", "TCP", 8081), ("172.18.0.3", "UDP", 53))


def test_r_hn_1_host_network_pods_claim_their_container_ports_as_host_ports():
    pod = _pod({"hostNetwork": True, "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 8080}]}]})
    assert host_ports(pod) == (("0.0.0.0", "TCP", 8080),)


TOLERATIONS = [
    ("an empty key with Exists tolerates every taint", Toleration(operator="Exists"), True),
    ("Exists on the key tolerates any value", Toleration(key="node-role.kubernetes.io/control-plane",
                                                         operator="Exists"), True),
    ("Equal with the same (empty) value tolerates", Toleration(key="node-role.kubernetes.io/control-plane",
                                                               operator="Equal", effect="NoSchedule"), True),
    ("an empty operator means Equal", Toleration(key="node-role.kubernetes.io/control-plane"), True),
    ("Equal with another value does not tolerate", Toleration(key="node-role.kubernetes.io/control-plane",
                                                              operator="Equal", value="x"), False),
    ("another effect does not tolerate", Toleration(key="node-role.kubernetes.io/control-plane",
                                                    operator="Exists", effect="NoExecute"), False),
    ("another key does not tolerate", Toleration(key="node-role.kubernetes.io/master", operator="Exists"), False),
]


@pytest.mark.parametrize("sentence, toleration, tolerated", TOLERATIONS, ids=[row[0] for row in TOLERATIONS])
def test_taint_toleration_matching(sentence, toleration, tolerated):
    taint = Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")
    assert tolerates([toleration], taint) is tolerated


# --------------------------------------------------------------------------- R-SCH-4 messages


def test_r_sch_4_histogram_entries_are_sorted_as_strings():
    reasons = [ERR_NODE_PORTS, "node(s) didn't match Pod's node affinity/selector", CP_TAINT] + [ERR_NODE_PORTS] * 9
    assert fit_error_message(12, reasons) == (
        f"0/12 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 {CP_TAINT}, "
        f"10 {ERR_NODE_PORTS}."
    )


def test_r_sch_4_real_single_node_example_is_reproduced_byte_for_byte_in_the_pre_1_28_format():
    message = failed_scheduling_message(1, [("NodePorts", ERR_NODE_PORTS)], None, double_period=True)
    assert message == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: "
        "0/1 nodes are available: 1 No preemption victims found for incoming pod.."
    )


def test_r_sch_4_real_kind_example_is_reproduced_byte_for_byte_in_the_pre_1_28_format():
    failures = [("TaintToleration", CP_TAINT), ("NodePorts", ERR_NODE_PORTS), ("NodePorts", ERR_NODE_PORTS)]
    assert failed_scheduling_message(3, failures, None, double_period=True) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."
    )


def test_r_sch_4_current_releases_end_with_a_single_period():
    failures = [("TaintToleration", CP_TAINT), ("NodePorts", ERR_NODE_PORTS), ("NodePorts", ERR_NODE_PORTS)]
    assert failed_scheduling_message(3, failures, None) == S32_MESSAGE


def test_r_sch_4_preemption_policy_never_is_not_eligible_for_preemption():
    message = failed_scheduling_message(1, [("NodePorts", ERR_NODE_PORTS)], "Never")
    assert message == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
        "preemption: not eligible due to preemptionPolicy=Never."
    )


# --------------------------------------------------------------------------- scenarios


def test_s31_r_sch_1_to_4_second_host_port_pod_on_a_single_node_stays_pending():
    cluster = make_cluster("single")
    apply(cluster, hostport_pod("hp-a", 8080) + "---\n" + hostport_pod("hp-b", 8080))
    assert cluster.get("pod", "hp-a").status.phase == "Running"
    assert cluster.get("pod", "hp-b").status.phase == "Pending"
    assert unschedulable_message(cluster, "hp-b") == S31_MESSAGE
    [event] = failed_scheduling_events(cluster, "hp-b")
    assert (event.type, event.source, event.message) == ("Warning", "default-scheduler", S31_MESSAGE)


def test_s31_deleting_hp_a_lets_hp_b_schedule():
    cluster = make_cluster("single")
    apply(cluster, hostport_pod("hp-a", 8080) + "---\n" + hostport_pod("hp-b", 8080))
    assert cluster.delete("pod", "hp-a").ok
    hp_b = cluster.get("pod", "hp-b")
    assert (hp_b.spec.node_name, hp_b.status.phase) == ("kind-control-plane", "Running")
    scheduled = [e for e in cluster.events if e.reason == "Scheduled" and e.involved_name == "hp-b"]
    assert [e.message for e in scheduled] == ["Successfully assigned default/hp-b to kind-control-plane"]


def test_s32_r_sch_4_host_port_deployment_runs_one_pod_per_worker_and_leaves_one_pending():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: edge}
        spec:
          replicas: 3
          selector: {matchLabels: {app: edge}}
          template:
            metadata: {labels: {app: edge}}
            spec:
              containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80, hostPort: 80}]}]
    """)
    pods = cluster.list("pods")
    running = sorted(p.spec.node_name for p in pods if p.status.phase == "Running")
    pending = [p for p in pods if p.status.phase == "Pending"]
    assert running == ["kind-worker", "kind-worker2"]
    assert len(pending) == 1
    assert unschedulable_message(cluster, pending[0].name) == S32_MESSAGE


def test_s34_r_sch_2_empty_host_ip_blocks_a_specific_host_ip_on_the_same_node():
    cluster = make_cluster()
    apply(cluster, hostport_pod("p4", 54322, selector="kind-worker"))
    apply(cluster, hostport_pod("p5", 54322, selector="kind-worker", host_ip="172.18.0.3"))
    assert cluster.get("pod", "p4").status.phase == "Running"
    assert unschedulable_message(cluster, "p5") == (
        "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
        "1 node(s) didn't match Pod's node affinity/selector, 1 " + CP_TAINT + ". preemption: 0/3 nodes are "
        "available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )


def test_r_sch_2_different_host_ips_share_a_port_on_one_node():
    cluster = make_cluster(Topology.build("two-ips", [("n1", "10.0.0.1", False)]))
    apply(cluster, hostport_pod("a", 8080, host_ip="10.0.0.1") + "---\n" + hostport_pod("b", 8080, host_ip="127.0.0.1"))
    assert [p.status.phase for p in cluster.list("pods")] == ["Running", "Running"]


def test_r_sch_2_tcp_and_udp_host_ports_share_a_number_on_one_node():
    cluster = make_cluster("single")
    apply(cluster, hostport_pod("tcp", 5353) + "---\n" + hostport_pod("udp", 5353, protocol="UDP"))
    assert [p.status.phase for p in cluster.list("pods")] == ["Running", "Running"]


def test_s37c_r_hn_1_second_host_network_pod_with_the_same_declared_port_stays_pending():
    cluster = make_cluster()
    apply(cluster, hostport_pod("hn", 8080, host_network=True, selector="kind-worker"))
    apply(cluster, hostport_pod("hn2", 8080, host_network=True, selector="kind-worker"))
    assert cluster.get("pod", "hn").status.phase == "Running"
    assert ERR_NODE_PORTS in unschedulable_message(cluster, "hn2")


def test_r_sch_5_a_host_port_inside_the_nodeport_range_is_not_checked_against_node_ports():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30080}]}
    """)
    apply(cluster, hostport_pod("hp", 30080))
    assert cluster.get("pod", "hp").status.phase == "Running"


def test_s01_two_replicas_spread_one_per_worker_and_never_on_the_tainted_control_plane():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: myapp}
        spec:
          replicas: 2
          selector: {matchLabels: {app: myapp}}
          template:
            metadata: {labels: {app: myapp}}
            spec:
              containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]
    """)
    assert sorted(p.spec.node_name for p in cluster.list("pods")) == ["kind-worker", "kind-worker2"]


def test_a_pod_that_tolerates_every_taint_may_land_on_the_control_plane():
    cluster = make_cluster()
    apply(cluster, "\n---\n".join(hostport_pod(f"t{i}", 80, tolerate_all=True) for i in range(3)))
    assert sorted(p.spec.node_name for p in cluster.list("pods")) == ["kind-control-plane", "kind-worker",
                                                                      "kind-worker2"]


def test_required_node_affinity_limits_the_nodes():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: pinned}
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [kind-worker2]}]
          containers: [{name: web, image: "nginx:1.27"}]
    """)
    assert cluster.get("pod", "pinned").spec.node_name == "kind-worker2"


def test_a_node_selector_nothing_matches_reports_the_selector_and_the_taint():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: nowhere}
        spec:
          nodeSelector: {disktype: ssd}
          containers: [{name: web, image: "nginx:1.27"}]
    """)
    assert unschedulable_message(cluster, "nowhere") == (
        "0/3 nodes are available: 1 " + CP_TAINT + ", 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_explain_gives_every_node_its_verdict_in_topology_order():
    cluster = make_cluster()
    apply(cluster, hostport_pod("p4", 54322, selector="kind-worker"))
    apply(cluster, hostport_pod("p5", 54322, selector="kind-worker"))
    scheduler = scheduler_of(cluster)
    pending = [(node, str(v)) for node, v in scheduler.explain(cluster.get("pod", "p5"))]
    assert pending == [
        ("kind-control-plane", f"TaintToleration: {CP_TAINT}"),
        ("kind-worker", f"NodePorts: {ERR_NODE_PORTS}"),
        ("kind-worker2", "NodeAffinity: node(s) didn't match Pod's node affinity/selector"),
    ]
    running = [(node, str(v)) for node, v in scheduler.explain(cluster.get("pod", "p4"))]
    assert running[1] == ("kind-worker", "chosen")


def test_explain_is_empty_for_a_pod_that_named_its_node():
    cluster = make_cluster()
    apply(cluster, hostport_pod("direct", 8080, node="kind-worker"))
    assert scheduler_of(cluster).explain(cluster.get("pod", "direct")) == []


def test_an_unrelated_deletion_does_not_retry_a_pod_pending_on_host_ports():
    cluster = make_cluster("single")
    apply(cluster, hostport_pod("hp-a", 8080) + "---\n" + hostport_pod("hp-b", 8080))
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: plain}
        spec: {containers: [{name: web, image: "nginx:1.27"}]}
    """)
    cluster.delete("pod", "plain")
    assert [e.count for e in failed_scheduling_events(cluster, "hp-b")] == [1]


def test_a_pod_for_another_scheduler_is_left_alone():
    cluster = make_cluster()
    apply(cluster, """
        apiVersion: v1
        kind: Pod
        metadata: {name: other}
        spec: {schedulerName: my-scheduler, containers: [{name: web, image: "nginx:1.27"}]}
    """)
    pod = cluster.get("pod", "other")
    assert (pod.spec.node_name, pod.status.conditions, failed_scheduling_events(cluster, "other")) == ("", (), [])


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_placement_is_deterministic_per_seed(seed):
    text = "\n---\n".join(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec: {{containers: [{{name: c, image: nginx}}]}}"
        for i in range(5)
    )

    def placement() -> list[tuple[str, str]]:
        cluster = make_cluster(seed=seed)
        cluster.apply(text)
        return [(p.name, p.spec.node_name) for p in cluster.list("pods")]

    assert placement() == placement()


# --------------------------------------------------------------------------- scale


def _bare_pods(cluster: Cluster, count: int, owners: int = 4) -> None:
    strategy = strategy_for(Pod)
    base = strategy.prepare_create(strategy.default(decode(Pod, {
        "metadata": {"namespace": "default", "labels": {"app": "x"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    })))
    for i in range(count):
        owner = OwnerReference(api_version="apps/v1", kind="ReplicaSet", name=f"rs{i % owners}",
                               uid=f"rs-uid-{i % owners}", controller=True)
        meta = evolve(base.metadata, name=f"p{i:05d}", uid=f"uid-{i}", owner_references=(owner,),
                      creation_timestamp="2026-01-01T00:05:00Z")
        cluster.registry.put(base.replace(metadata=meta))


def test_unconstrained_pods_are_placed_without_scanning_nodes_and_spread_evenly():
    topology = Topology.build("wide", [(f"n{i:03d}", f"10.1.{i // 250}.{i % 250 + 1}", False) for i in range(200)],
                              pod_cidr="10.0.0.0/8")
    cluster = Cluster(topology, seed=0)
    scheduler = Scheduler(cluster)
    scans = []
    original = scheduler._decide_by_scan
    scheduler._decide_by_scan = lambda *a: scans.append(a) or original(*a)
    _bare_pods(cluster, 2000)
    scheduler.sync()
    counts = {}
    for pod in cluster.registry.iter(Pod):
        counts[pod.spec.node_name] = counts.get(pod.spec.node_name, 0) + 1
    assert scans == []
    assert sorted(set(counts.values())) == [10] and len(counts) == 200


def test_host_port_pods_take_a_free_node_each_without_scanning_every_node():
    topology = Topology.build("wide", [(f"n{i:03d}", f"10.1.0.{i + 1}", False) for i in range(50)],
                              pod_cidr="10.0.0.0/8")
    cluster = make_cluster(topology)
    scheduler = scheduler_of(cluster)
    scans = []
    original = scheduler._decide_by_scan
    scheduler._decide_by_scan = lambda *a: scans.append(a) or original(*a)
    apply(cluster, "\n---\n".join(hostport_pod(f"hp{i}", 80) for i in range(51)))
    assert scans == []
    pods = cluster.list("pods")
    assert len({p.spec.node_name for p in pods if p.spec.node_name}) == 50
    [pending] = [p for p in pods if not p.spec.node_name]
    assert unschedulable_message(cluster, pending.name).startswith(f"0/50 nodes are available: 50 {ERR_NODE_PORTS}.")


def test_r_sch_3_the_node_ports_failure_reason_is_the_scheduler_constant():
    """R-SCH-3: the NodePorts filter's reason string, as it appears in FailedScheduling messages."""
    assert ERR_NODE_PORTS == "node(s) didn't have free ports for the requested pod ports"


# --------------------------------------------------------------------------- NodeResourcesFit: pods capacity

TOO_MANY_PODS_MESSAGE = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
    "2 No preemption victims found for incoming pod."
)


def set_max_pods(cluster: Cluster, node: str, count: int) -> None:
    """What a kubelet started with ``--max-pods=count`` reports (the scheduler rereads nodes)."""
    stored = cluster.get("node", node)
    status = evolve(stored.status, capacity={"pods": str(count)}, allocatable={"pods": str(count)})
    cluster.registry.put(stored.replace(status=status))


def plain_pods(names, **spec) -> str:
    extra = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return "---\n".join(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{extra}"
        f"  containers: [{{name: web, image: \"nginx:1.27\"}}]\n"
        for name in names
    )


def test_every_node_reports_the_kubelet_default_of_110_pods():
    cluster = make_cluster()
    for node in cluster.list("nodes"):
        assert (node.status.capacity, node.status.allocatable) == ({"pods": "110"}, {"pods": "110"})


def test_r_sch_4_the_221st_pod_of_the_kind_cluster_is_too_many_for_both_workers():
    """kind's kubelets allow 110 pods each: 220 plain pods run, the next one stays Pending."""
    cluster = make_cluster()
    apply(cluster, plain_pods(f"p{i:03d}" for i in range(221)))
    pods = cluster.list("pods")
    per_node: dict[str, int] = {}
    for pod in pods:
        per_node[pod.spec.node_name] = per_node.get(pod.spec.node_name, 0) + 1
    assert per_node == {"kind-worker": 110, "kind-worker2": 110, "": 1}
    [pending] = [p for p in pods if not p.spec.node_name]
    assert unschedulable_message(cluster, pending.name) == TOO_MANY_PODS_MESSAGE
    [event] = failed_scheduling_events(cluster, pending.name)
    assert (event.type, event.source, event.message, event.count) == (
        "Warning", "default-scheduler", TOO_MANY_PODS_MESSAGE, 1)


def test_r_sch_4_too_many_pods_is_a_node_resources_fit_failure_that_preemption_cannot_help():
    message = failed_scheduling_message(
        3, [("TaintToleration", CP_TAINT), ("NodeResourcesFit", "Too many pods"),
            ("NodeResourcesFit", "Too many pods")], None)
    assert message == TOO_MANY_PODS_MESSAGE


def test_a_pod_leaving_a_full_node_lets_the_first_pending_pod_in_and_the_rest_count_another_attempt():
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    set_max_pods(cluster, "kind-worker2", 1)
    apply(cluster, plain_pods(["a", "b", "c", "d"]))
    assert [p.name for p in cluster.list("pods") if not p.spec.node_name] == ["c", "d"]
    cluster.delete("pod", "a")
    assert cluster.get("pod", "c").status.phase == "Running"
    assert cluster.get("pod", "d").status.phase == "Pending"
    assert [e.count for e in failed_scheduling_events(cluster, "c")] == [1]
    assert [e.count for e in failed_scheduling_events(cluster, "d")] == [2]


def test_only_a_pod_leaving_a_full_node_retries_the_pods_pending_for_room():
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    apply(cluster, plain_pods(["on-worker"], nodeName="kind-worker"))
    apply(cluster, plain_pods(["on-worker2"], nodeName="kind-worker2"))
    apply(cluster, plain_pods(["picky"], nodeSelector="{kubernetes.io/hostname: kind-worker}"))
    assert "1 Too many pods" in unschedulable_message(cluster, "picky")
    cluster.delete("pod", "on-worker2")  # kind-worker2 had room to spare: nothing to retry
    assert [e.count for e in failed_scheduling_events(cluster, "picky")] == [1]
    cluster.delete("pod", "on-worker")  # kind-worker was full: the pending pod gets its room
    assert cluster.get("pod", "picky").spec.node_name == "kind-worker"


def test_a_host_port_clash_on_a_full_node_is_reported_as_node_ports_first():
    """Filters run in order: NodePorts rejects the node before NodeResourcesFit counts its pods."""
    cluster = make_cluster()
    set_max_pods(cluster, "kind-worker", 1)
    set_max_pods(cluster, "kind-worker2", 1)
    apply(cluster, hostport_pod("hp", 8080, selector="kind-worker"))
    apply(cluster, plain_pods(["other"]))
    apply(cluster, hostport_pod("late", 8080))
    scheduler = scheduler_of(cluster)
    verdicts = [(node, str(v)) for node, v in scheduler.explain(cluster.get("pod", "late"))]
    assert verdicts == [
        ("kind-control-plane", f"TaintToleration: {CP_TAINT}"),
        ("kind-worker", f"NodePorts: {ERR_NODE_PORTS}"),
        ("kind-worker2", "NodeResourcesFit: Too many pods"),
    ]
    assert unschedulable_message(cluster, "late") == (
        "0/3 nodes are available: 1 Too many pods, 1 node(s) didn't have free ports for the requested pod "
        "ports, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 "
        "nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for "
        "incoming pod."
    )


def test_a_pod_that_tolerates_the_taint_is_checked_for_room_on_every_node():
    cluster = make_cluster()
    for node in ("kind-control-plane", "kind-worker", "kind-worker2"):
        set_max_pods(cluster, node, 1)
    apply(cluster, plain_pods(["t1", "t2", "t3", "t4"], tolerations="[{operator: Exists}]"))
    assert sorted(p.spec.node_name for p in cluster.list("pods")) == [
        "", "kind-control-plane", "kind-worker", "kind-worker2"]
    assert unschedulable_message(cluster, "t4") == (
        "0/3 nodes are available: 3 Too many pods. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )


def test_full_nodes_leave_the_heaps_so_pending_pods_do_not_rescan_them():
    topology = Topology.build("wide", [(f"n{i:03d}", f"10.1.0.{i + 1}", False) for i in range(40)],
                              pod_cidr="10.0.0.0/8")
    cluster = make_cluster(topology)
    for i in range(40):
        set_max_pods(cluster, f"n{i:03d}", 1)
    scheduler = scheduler_of(cluster)
    scans = []
    original = scheduler._decide_by_scan
    scheduler._decide_by_scan = lambda *a: scans.append(a) or original(*a)
    apply(cluster, plain_pods(f"p{i:02d}" for i in range(50)))
    pending = [p.name for p in cluster.list("pods") if not p.spec.node_name]
    assert len(pending) == 10 and scans == [] and scheduler._gheap == []
    assert unschedulable_message(cluster, pending[0]) == (
        "0/40 nodes are available: 40 Too many pods. preemption: 0/40 nodes are available: "
        "40 No preemption victims found for incoming pod."
    )
    assert {str(v) for _, v in scheduler.explain(cluster.get("pod", pending[-1]))} == {
        "NodeResourcesFit: Too many pods"}
