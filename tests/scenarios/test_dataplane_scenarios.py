"""Reference scenarios (§19) as packet-flow tables: who answers, from where, seeing which client.

Each row reads as a sentence: "<scenario>: <source> -> <url> is <OUTCOME> [by <pod>] [seen as
<client>]". Manifests live in ``api/`` and ``net/``. Rows are grouped by cluster setup; a
setup is a list of manifest files applied in order to a fresh reference kind cluster (or the
one-node cluster for S31).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.sim.cluster import Cluster
from grader.sim.probe import REACHED, REFUSED, TIMEOUT, curl

HERE = Path(__file__).parent
CP, W1, W2, HOST = "172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.1"


@dataclass(frozen=True)
class Row:
    """One probe and what the reference says happens."""

    scenario: str
    setup: tuple[str, ...]
    source: str
    url: str
    outcome: str
    answered_by: str = ""  # regex on "namespace/pod"
    client_ip: str = ""  # exact IP the app saw, or "" to skip
    body: str = ""  # regex the body must match, or ""
    cites: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        text = f"{self.scenario} {self.source} -> {self.url} {self.outcome}"
        if self.answered_by:
            text += f" by {self.answered_by}"
        if self.client_ip:
            text += f" seen as {self.client_ip}"
        return text


S01 = ("api/S01-nodeport-basic.yaml", "net/clients.yaml")
S13 = ("net/S13-mysql-33306.yaml", "net/clients.yaml")
S13_FIXED = S13 + ("net/S13-mysql-fixed.yaml",)
S14 = ("net/S14-named-targetport.yaml", "net/clients.yaml")
S19 = ("net/S19-not-ready.yaml", "net/clients.yaml")
S20 = ("net/S20-no-containerport.yaml", "net/clients.yaml")
S21 = ("net/S21-liar.yaml", "net/clients.yaml")
S23 = ("net/S23-etp-local.yaml", "net/clients.yaml")
S30 = ("net/S30-hostport.yaml", "net/clients.yaml")
S43 = ("net/S43-tcp-and-udp.yaml", "net/clients.yaml")

ROWS = [
    # S01: NodePort works on every node, only on the nodePort
    Row("S01", S01, "outside", f"{CP}:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S01", S01, "outside", f"{W1}:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S01", S01, "outside", f"{W2}:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S01", S01, "outside", f"{W1}:80", REFUSED, cites=("R-KP-4",)),
    Row("S01", S01, "pod/client-w1", "myapp:80", REACHED, r"default/myapp-.*", cites=("R-KP-3",)),
    Row("S01", S01, "pod/client-w1", "myapp.default.svc.cluster.local", REACHED, r"default/myapp-.*"),
    Row("S01", S01, "pod/client-w1", "myapp:30008", TIMEOUT, cites=("R-KP-10",)),
    # S45: iptables mode drops a ClusterIP's other ports (nftables and IPVS would refuse them, R-KP-12)
    Row("S01", S01, "pod/client-w1", "myapp:8080", TIMEOUT, cites=("R-KP-10", "R-KP-12")),
    Row("S01", S01, "outside", "10.96.0.1:443", TIMEOUT, cites=("R-KP-3",)),  # S46: ClusterIPs from outside
    Row("S01", S01, "node/kind-worker", "127.0.0.1:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    # S13: targetPort defaults to port
    Row("S13", S13, "pod/client-w2", "mysql:33306", REFUSED, cites=("R-SD-2", "R-CP-1")),
    Row("S13", S13_FIXED, "pod/client-w2", "mysql:33306", REACHED, r"default/mysql", cites=("R-C-1",)),
    # S14: a named targetPort resolves per pod
    Row("S14", S14, "pod/client-w1", "shop/hostname", REACHED, r"default/v[12]", body=r"v[12]", cites=("R-EP-4",)),
    # S19: a pod that is never ready is not an endpoint
    Row("S19", S19, "pod/client-w1", "slow", REFUSED, cites=("R-EP-3", "R-KP-5")),
    # S20: no containerPort needed for a numeric targetPort
    Row("S20", S20, "pod/client-w1", "quiet/hostname", REACHED, r"default/quiet", body="quiet", cites=("R-CP-1",)),
    # S21: containerPort says 80, the app listens on 8080
    Row("S21", S21, "pod/client-w1", "liar", REFUSED, cites=("R-CP-1", "R-SD-2")),
    # S23: externalTrafficPolicy Local
    Row("S23", S23, "outside", f"{W1}:30080/clientip", REACHED, r"default/echo-.*", HOST, cites=("R-TP-2",)),
    # (old kube-proxy's KUBE-XLB chain gave the same timeout, R-HIST-3)
    Row("S23", S23, "outside", f"{W2}:30080", TIMEOUT, cites=("R-TP-2", "R-HIST-3")),
    Row("S23", S23, "outside", f"{CP}:30080", TIMEOUT, cites=("R-TP-2",)),
    # S25: Local policy seen from pods
    Row("S25", S23, "pod/client-w2", f"{W2}:30080", REACHED, r"default/echo-.*", cites=("R-TP-2",)),
    Row("S25", S23, "pod/client-w2", f"{W1}:30080/clientip", REACHED, r"default/echo-.*", W2, cites=("R-TP-2",)),
    Row("S25", S23, "pod/client-w1", f"{W2}:30080", TIMEOUT, cites=("R-TP-2",)),
    Row("S25", S23, "pod/client-w2", "echo:80", REACHED, r"default/echo-.*", cites=("R-TP-1",)),
    # S30: hostPort only on the pod's node
    # kind's CNI chain has portmap, so hostPort works at all (R-HP-5)
    Row("S30", S30, "outside", f"{W1}:8080", REACHED, r"default/hp", HOST, cites=("R-HP-3", "R-HP-5")),
    Row("S30", S30, "outside", f"{W2}:8080", REFUSED, cites=("R-HP-3",)),
    Row("S30", S30, "pod/client-w2", f"{W1}:8080", REACHED, r"default/hp", cites=("R-HP-3",)),
    Row("S30", S30, "outside", f"{W1}:80", REFUSED, cites=("R-HP-3",)),
    # S43: TCP and UDP on the same port
    Row("S43", S43, "pod/client-w1", "mp:80/hostname", REACHED, r"default/mp", body="mp", cites=("R-KP-3",)),
    Row("S43", S43, "pod/client-w1", "udp://mp:80/hostname", REACHED, r"default/mp", body="mp", cites=("R-KP-3",)),
]


def _cluster(setup: tuple[str, ...], topology: str = "kind") -> Cluster:
    cluster = Cluster(topology, seed=0)
    for name in setup:
        result = cluster.apply((HERE / name).read_bytes(), source=name)
        assert result.ok, result.stderr
    return cluster


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_reference_probe(row: Row):
    result = curl(_cluster(row.setup), row.source, row.url)
    assert result.outcome == row.outcome, result.trace()
    if row.answered_by:
        assert re.fullmatch(row.answered_by, result.answered_by), result.trace()
    if row.client_ip:
        assert result.client_ip == row.client_ip, result.trace()
    if row.body:
        assert re.fullmatch(row.body, result.stdout.strip()), result.stdout


def _ips(cluster: Cluster) -> dict[str, str]:
    return {n.name: n.ip for n in cluster.topology.nodes}


def test_s24_r_kp_9_cluster_policy_snats_to_the_ingress_node_or_the_pod_gateway():
    """Cluster policy: a remote endpoint sees the ingress node's IP, a local one the node's pod-network gateway."""
    text = (HERE / "net/S23-etp-local.yaml").read_text().replace("  externalTrafficPolicy: Local\n", "")
    cluster = Cluster(seed=0)
    assert cluster.apply(text, source="S24.yaml").ok
    assert curl(cluster, "outside", f"{W2}:30080/clientip").client_ip == W2
    assert curl(cluster, "outside", f"{W1}:30080/clientip").client_ip == "10.244.1.1"
    assert curl(cluster, "outside", f"{CP}:30080").outcome == REACHED
    assert cluster.get("svc", "echo").spec.external_traffic_policy == "Cluster"


def test_s14_r_kp_6_every_endpoint_can_answer():
    cluster = _cluster(S14)
    results = curl(cluster, "pod/client-w1", "shop/hostname", every=True)
    assert sorted((r.answered_by, round(r.probability, 3)) for r in results) == [
        ("default/v1", 0.5), ("default/v2", 0.5)]


def test_s14_r_kp_6_choices_are_random_per_connection_but_reproducible_per_seed():
    def answers(seed: int) -> list[str]:
        cluster = Cluster(seed=seed)
        for name in S14:
            cluster.apply((HERE / name).read_bytes(), source=name)
        return [curl(cluster, "pod/client-w1", "shop/hostname").stdout for _ in range(20)]

    first = answers(0)
    assert first == answers(0)
    assert set(first) == {"v1", "v2"}


def test_s13_r_kp_5_the_refusal_names_the_port_nothing_listens_on():
    result = curl(_cluster(S13), "pod/client-w2", "mysql:33306")
    assert result.ending is not None and "10.244.1." in result.ending.reason and ":33306/TCP" in result.ending.reason
    assert "3306/TCP" in result.ending.reason and "R-CP-1" in result.ending.cites


def test_s19_publish_not_ready_addresses_makes_the_pod_reachable():
    cluster = _cluster(S19)
    text = (HERE / "net/S19-not-ready.yaml").read_text().replace(
        "spec: {selector: {app: slow}", "spec: {publishNotReadyAddresses: true, selector: {app: slow}")
    assert cluster.apply(text, source="S19b.yaml").ok
    assert curl(cluster, "pod/client-w1", "slow/hostname").outcome == REACHED


def test_s43_removing_the_udp_port_makes_udp_time_out_and_keeps_tcp():
    cluster = _cluster(S43)
    text = (HERE / "net/S43-tcp-and-udp.yaml").read_text()
    text = text.replace("  - {name: udp-port, port: 80, targetPort: 8080, protocol: UDP}\n", "")
    assert cluster.apply(text, source="S43b.yaml").ok
    assert curl(cluster, "pod/client-w1", "udp://mp:80/hostname").outcome == TIMEOUT
    assert curl(cluster, "pod/client-w1", "mp:80/hostname").outcome == REACHED


def test_s18_r_kp_5_selector_typo_is_refused_not_timed_out():
    text = (HERE / "api/S01-nodeport-basic.yaml").read_text().replace(
        "  selector: {app: myapp}\n  ports", "  selector: {app: my-app}\n  ports")
    cluster = Cluster(seed=0)
    assert cluster.apply(text, source="S18.yaml").ok
    assert cluster.apply((HERE / "net/clients.yaml").read_bytes(), source="clients.yaml").ok
    ip = cluster.get("svc", "myapp").spec.cluster_ip
    assert curl(cluster, "pod/client-w1", f"{ip}:80").outcome == REFUSED
    for node_ip in (CP, W1, W2):
        assert curl(cluster, "outside", f"{node_ip}:30008").outcome == REFUSED


def test_every_net_manifest_is_used():
    source = Path(__file__).read_text()
    assert [p.name for p in (HERE / "net").glob("*.yaml") if p.name not in source] == []
