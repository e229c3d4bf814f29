"""The netns backend against the simulator: the same scenarios, real kernels, identical answers.

Each table realises a reference scenario (§19) in network namespaces and probes it with real
curl. For every row the set of results observed over repeated probes (outcome, answering pod,
client IP the pod saw, body) must equal the set the simulator enumerates (``curl_every``), and
the outcome must be the one the reference names. Rows read as sentences.

Runs only where :meth:`NetnsBackend.available` says the kernel data plane works (root or
unprivileged user namespaces, iproute2, iptables, curl, util-linux); elsewhere every test is
skipped with that reason. Teardown is checked too: no ``kp`` namespace, interface or process is
left and the host's own iptables rules are byte-for-byte what they were.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.backends import get_backend
from grader.backends.netns import NetnsBackend, root_snapshot, static_reason
from grader.errors import BackendUnavailable
from grader.sim.cluster import Cluster
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, UNKNOWN, ProbeResult, curl

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CP, W1, W2, HOST = "172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.1"
CONNECT_TIMEOUT = 0.75
REPEATS = 24  # two endpoints, 24 connections: both seen with probability 1 - 2**-23


@dataclass(frozen=True)
class Row:
    """A probe and the outcome the reference names; everything else must match the simulator."""

    source: str
    url: str
    outcome: str
    why: str

    def __str__(self) -> str:
        return f"{self.source} -> {self.url} is {self.outcome} ({self.why})"


S01 = ("api/S01-nodeport-basic.yaml", "net/clients.yaml")
S23 = ("net/S23-etp-local.yaml", "net/clients.yaml")
S30 = ("net/S30-hostport.yaml", "net/clients.yaml")
EXTRA = ("net/S19-not-ready.yaml", "net/S43-tcp-and-udp.yaml", "net/S13-mysql-33306.yaml", "net/clients.yaml")
MYSTERY = """
apiVersion: v1
kind: Pod
metadata: {name: mystery, labels: {app: mystery}}
spec:
  nodeName: kind-worker
  containers:
  - {name: app, image: "example.com/custom:1.0"}
  - {name: side, image: "nginx:1.27"}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, selector: {app: echo}, ports: [{port: 80, targetPort: 8080}]}
"""
LB = ("net/S23-etp-local.yaml", "net/clients.yaml", MYSTERY)

TABLES = {
    "S01": (S01, [
        Row("outside", f"{CP}:30008", REACHED, "R-KP-4 a nodePort answers on every node, SNATed to that node"),
        Row("outside", f"{W1}:30008", REACHED, "R-KP-4"),
        Row("outside", f"{W2}:30008", REACHED, "R-KP-4"),
        Row("outside", f"{W1}:80", REFUSED, "R-KP-4 only the nodePort is open on a node"),
        Row("pod/client-w1", "myapp:80", REACHED, "R-KP-3 the ClusterIP load-balances over both pods"),
        Row("pod/client-w1", "myapp.default.svc.cluster.local", REACHED, "R-KP-3 the FQDN resolves too"),
        Row("pod/client-w1", "myapp:30008", TIMEOUT, "R-KP-10 a ClusterIP answers on its port only"),
        Row("pod/client-w1", "myapp:8080", TIMEOUT, "R-KP-10"),
        Row("outside", "10.96.0.1:443", TIMEOUT, "R-KP-3 ClusterIPs are not routed from outside"),
        Row("node/kind-worker", "127.0.0.1:30008", REACHED, "R-KP-4 localhost nodePorts"),
        Row("node/kind-worker", "myapp:80", DNS, "nodes do not use the cluster DNS"),
        Row("pod/{myapp0}", "myapp:80", REACHED, "R-KP-7 hairpin: a pod reaching itself is masqueraded"),
        Row("pod/{myapp1}", "myapp:80", REACHED, "R-KP-7 hairpin"),
        Row("pod/client-w1", f"{W2}:30008", REACHED, "R-TP-2 kindnet masquerades pod traffic to other nodes"),
        Row("outside", "10.244.1.2:80", TIMEOUT, "pod IPs are not routed from outside"),
    ]),
    "S23": (S23, [
        Row("outside", f"{W1}:30080/clientip", REACHED, "R-TP-2 Local keeps the client IP"),
        Row("outside", f"{W2}:30080", TIMEOUT, "R-TP-2 no local endpoint: DROP"),
        Row("outside", f"{CP}:30080", TIMEOUT, "R-TP-2"),
        Row("pod/client-w2", f"{W2}:30080", REACHED, "R-TP-2 pod traffic short-circuits to every endpoint"),
        Row("pod/client-w2", f"{W1}:30080/clientip", REACHED, "R-TP-2 seen as kind-worker2 after kindnet's SNAT"),
        Row("pod/client-w1", f"{W2}:30080", TIMEOUT, "R-TP-2"),
        Row("pod/client-w2", "echo:80/clientip", REACHED, "R-TP-1 the ClusterIP ignores externalTrafficPolicy"),
        Row("pod/{echo0}", "echo:80/hostname", REACHED, "R-KP-7 hairpin through the ClusterIP"),
        Row("node/kind-worker", "127.0.0.1:30080/clientip", REACHED, "R-TP-2 LOCAL sources are masqueraded"),
    ]),
    "S30": (S30, [
        Row("outside", f"{W1}:8080", REACHED, "R-HP-3 hostPort answers on the pod's node, client IP kept"),
        Row("outside", f"{W2}:8080", REFUSED, "R-HP-3 and nowhere else"),
        Row("pod/client-w2", f"{W1}:8080", REACHED, "R-HP-3"),
        Row("pod/client-w1", f"{W1}:8080", REACHED, "R-HP-2 same-node hairpin is masqueraded to the gateway"),
        Row("pod/hp", f"{W1}:8080", REACHED, "R-HP-2 the pod reaching its own hostPort"),
        Row("node/kind-worker", "127.0.0.1:8080", REACHED, "R-HP-2 localhost hostPort"),
        Row("outside", f"{W1}:80", REFUSED, "R-HP-3 containerPort is not a node port"),
        Row("pod/client-w1", "10.244.1.2:8080", REFUSED, "R-CP-1 hostPort is not a pod port"),
    ]),
    "REJECT-UDP-nonHTTP": (EXTRA, [
        Row("pod/client-w1", "slow", REFUSED, "R-KP-5 a Service without ready endpoints is REJECTed"),
        Row("pod/client-w1", "udp://mp:80/hostname", REACHED, "R-KP-3 UDP through a ClusterIP"),
        Row("pod/client-w1", "udp://mp:81/hostname", TIMEOUT, "R-KP-10 no UDP rule for that port"),
        Row("pod/client-w1", "udp://{client_w1_ip}:9999/x", REFUSED, "ICMP port unreachable from a pod"),
        Row("pod/client-w2", "mysql:33306", REFUSED, "R-SD-2 targetPort defaults to port; nothing listens"),
        Row("pod/client-w2", "{mysql_ip}:3306", REACHED, "R-C-1 MySQL speaks first: curl exits 1"),
    ]),
    "LoadBalancer-unknown-app": (LB, [
        Row("outside", "172.18.255.200/clientip", REACHED, "R-EX-2 MetalLB's node takes the LB IP, SNATed"),
        Row("outside", "172.18.255.200:81", TIMEOUT, "R-EX-2 only the Service's ports are programmed"),
        Row("node/kind-worker2", "172.18.255.200/clientip", REACHED, "R-EX-2 nodes use their own rules"),
        Row("pod/client-w1", "{mystery_ip}:1234", UNKNOWN, "an app the simulator cannot know"),
        Row("pod/client-w1", "{mystery_ip}:80", REACHED, "its known container still answers"),
    ]),
}
LOAD_BALANCER = {"LoadBalancer-unknown-app"}


@pytest.fixture(scope="module")
def host_before():
    """The host's own iptables rules before any backend ran (read only)."""
    if static_reason() is not None:
        pytest.skip(f"netns backend unavailable: {static_reason()}")
    return root_snapshot()


def start(files: tuple[str, ...], load_balancer: bool = False) -> tuple[NetnsBackend, Cluster]:
    backend = NetnsBackend(connect_timeout=CONNECT_TIMEOUT, repeats=REPEATS, load_balancer=load_balancer)
    reason = backend.available()
    if reason is not None:
        backend.close()
        pytest.skip(f"netns backend unavailable: {reason}")
    cluster = Cluster(seed=0, load_balancer=load_balancer)
    for name in files:
        text = name if "\n" in name else (SCENARIOS / name).read_text()
        assert cluster.apply(text, source=name).ok
        assert backend.apply(text, source=name).ok
    return backend, cluster


def names(cluster: Cluster) -> dict[str, str]:
    pods = {p.name: p for p in cluster.list("pod")}
    found = {f"{prefix}{i}": name for prefix in ("myapp", "echo")
             for i, name in enumerate(sorted(n for n in pods if n.startswith(prefix + "-")))}
    for name in ("client-w1", "mysql", "mystery"):
        if name in pods:
            found[f"{name.replace('-', '_')}_ip"] = pods[name].status.pod_ip
    return found


def observed(results: list[ProbeResult]) -> set[tuple]:
    """What a probe showed, port numbers aside (they differ per connection); curl's own error text
    only where it is not about timing (REFUSED/TIMEOUT messages carry milliseconds)."""
    found = set()
    for r in results:
        body = r.stdout.replace(str(r.client_port), "<port>") if r.client_port else r.stdout
        found.add((r.outcome, r.exit_code, r.answered_by, r.container, r.client_ip, body, r.http_status,
                   r.stderr if r.outcome in (REACHED, UNKNOWN) else ""))
    return found


@pytest.mark.parametrize("table", sorted(TABLES))
def test_reference_scenario_gives_the_simulators_outcomes_pods_and_client_ips(table, host_before):
    files, rows = TABLES[table]
    backend, cluster = start(files, load_balancer=table in LOAD_BALANCER)
    try:
        subst = names(cluster)
        probes = [(row.source.format(**subst), row.url.format(**subst)) for row in rows]
        real = backend.curl_every_many(probes)
        mismatches = []
        for row, (source, url), got in zip(rows, probes, real):
            want = curl(cluster, source, url, every=True)
            assert isinstance(want, list)
            if {r.outcome for r in want} != {row.outcome}:
                mismatches.append(f"simulator: {row}: {[r.summary() for r in want]}")
            if observed(got) != observed(want):
                mismatches.append(f"{row}\n  simulator {sorted(observed(want), key=repr)}\n"
                                  f"  kernel    {sorted(observed(got), key=repr)}")
        assert mismatches == []
    finally:
        backend.close()
    assert backend.teardown_report["problems"] == []
    assert root_snapshot() == host_before


def test_realising_is_idempotent_and_re_applies_only_what_changed(host_before):
    """Re-applying unchanged manifests changes nothing; Local -> Cluster reloads rules only (R-TP-1)."""
    backend, cluster = start(S23)
    try:
        backend.sync()
        for name in S23:
            assert backend.apply((SCENARIOS / name).read_text()).ok
        backend.sync()
        again = backend.timings["realise"][-1]
        assert (again["namespaces_added"], again["links_added"], again["rules_loaded"]) == (0, 0, 0)
        cluster_policy = (SCENARIOS / S23[0]).read_text().replace("  externalTrafficPolicy: Local\n", "")
        assert cluster.apply(cluster_policy).ok and backend.apply(cluster_policy).ok
        got = backend.curl_every_many([("outside", f"{W2}:30080/clientip")])[0]
        assert observed(got) == observed(curl(cluster, "outside", f"{W2}:30080/clientip", every=True))
        assert {r.client_ip for r in got} == {W2}  # R-KP-9: SNAT to the ingress node
        changed = backend.timings["realise"][-1]
        assert changed["namespaces_added"] == 0 and changed["rules_loaded"] == 3
    finally:
        backend.close()
    assert backend.teardown_report["problems"] == []


def test_deleting_a_pod_removes_its_namespace_and_its_answers(host_before):
    backend, cluster = start(S30)
    try:
        backend.sync()
        before = backend.inventory()["namespaces"]
        backend.delete("pod", "hp")
        cluster.delete("pod", "hp")
        result = backend.curl("outside", f"{W1}:8080")
        assert result.outcome == curl(cluster, "outside", f"{W1}:8080").outcome == REFUSED
        after = backend.inventory()["namespaces"]
        assert len(after) == len(before) - 1 and set(after) < set(before)
    finally:
        backend.close()


def test_a_killed_agent_leaves_nothing_behind(host_before):
    """The private mount namespace design: the kernel cleans up after kill -9 of our own agent."""
    backend, _ = start(S01)
    backend.sync()
    inodes = {v["inode"] for v in backend.inventory()["namespaces"].values()}
    assert backend.agent_pid is not None
    os.kill(backend.agent_pid, signal.SIGKILL)  # our own child, by pid
    backend.close()
    assert backend.teardown_report["problems"] == [] and backend.teardown_report["returncode"] == -signal.SIGKILL
    assert len(inodes) == 9
    assert root_snapshot() == host_before


def test_get_backend_netns_is_registered_and_probes_for_real(host_before):
    try:
        backend = get_backend("netns")
    except BackendUnavailable as exc:
        pytest.skip(str(exc))
    try:
        assert backend.name == "netns"
        assert backend.apply((SCENARIOS / "net/clients.yaml").read_text()).ok
        result = backend.curl("pod/client-w1", "10.96.0.1:443")
        assert result.outcome == REFUSED and result.hops == ()  # the apiserver's port is closed on the node
    finally:
        backend.close()
