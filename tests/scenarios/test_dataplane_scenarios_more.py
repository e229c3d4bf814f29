"""The rest of the reference scenarios (§19) as packet-flow tables, plus externalIPs and LoadBalancers.

Same shape as ``test_dataplane_scenarios.py``: each row reads as a sentence, "<scenario>:
<source> -> <url> is <OUTCOME> [by <pod>] [seen as <client>]", and its setup is a list of
manifest files applied in order to a fresh cluster (the reference kind cluster unless the row
says ``single``; ``lb`` adds the optional MetalLB-style LoadBalancer controller). Manifests live
in ``api/``, ``net/`` and ``net/more/``.

Values the cluster chooses are written as placeholders and looked up after the setup:
``{np:SVC}`` the Service's (first) nodePort, ``{hc:SVC}`` its healthCheckNodePort, ``{cip:SVC}``
its ClusterIP, ``{lb:SVC}`` its LoadBalancer ingress IP, ``{pip:POD}`` a pod's IP and
``{gw:POD}`` the pod-network gateway of the pod's node.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.model.objects import EndpointConditions, Endpoint, EndpointSlice, ObjectMeta, Service, ServiceSpec
from grader.sim import views
from grader.sim.cluster import Cluster
from grader.sim.controllers.loadbalancer import (
    AddressPool,
    LoadBalancerController,
    announcing_node,
)
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, ProbeResult, curl, parse_url

HERE = Path(__file__).parent
CP, W1, W2, HOST = "172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.1"
LB_FIRST = "172.18.255.200"


@dataclass(frozen=True)
class Row:
    """One probe and what the reference says happens."""

    scenario: str
    setup: tuple[str, ...]
    source: str
    url: str
    outcome: str
    answered_by: str = ""  # regex on "namespace/pod" (or "node/NAME" for kube-proxy's health server)
    client_ip: str = ""  # exact IP the app saw (placeholders allowed), or "" to skip
    body: str = ""  # regex the body must match, or ""
    cites: tuple[str, ...] = ()
    topology: str = "kind"
    lb: bool = False  # run the optional LoadBalancer controller

    @property
    def id(self) -> str:
        text = f"{self.scenario} {self.source} -> {self.url} {self.outcome}"
        if self.answered_by:
            text += f" by {self.answered_by}"
        if self.client_ip:
            text += f" seen as {self.client_ip}"
        if self.topology != "kind":
            text += f" ({self.topology})"
        return text


CLIENTS = "net/clients.yaml"
ECHO_W1 = ("net/S23-etp-local.yaml", CLIENTS)  # S23's Deployment: both echo pods on kind-worker
S15 = ("net/more/S15-named-port-missing.yaml", CLIENTS)
S16 = ("net/more/S16-named-port-undeclared.yaml", CLIENTS)
S26 = ("api/S01-nodeport-basic.yaml",)
S31 = ("net/more/S31-hostport-conflict.yaml",)
S32 = ("net/more/S32-hostport-deployment.yaml",)
S34 = ("net/more/S34-hostip-wildcard.yaml",)
S36 = ("api/S36-same-containerport-twice.yaml", CLIENTS)
S37B = ("net/more/S37b-hostnetwork.yaml", CLIENTS)
S37C = S37B + ("net/more/S37c-hostnetwork-second-copy.yaml",)
S37D = ("net/more/S37d-hostnetwork-undeclared.yaml",)
S38 = S37B + ("net/more/S38-hostnetwork-service.yaml",)
S47 = ("api/S01-nodeport-basic.yaml", "api/S47-loadbalancer-in-kind.yaml", CLIENTS)
S47_NO_NODE_PORTS = ("api/S01-nodeport-basic.yaml", "net/more/S47-no-node-ports.yaml", CLIENTS)
S48 = ECHO_W1 + ("net/more/S48-external-ips.yaml",)
S48_LOCAL = ECHO_W1 + ("net/more/S48-external-ips-local.yaml",)
S50 = ("net/more/S50-echo-three-replicas.yaml", "api/S50-session-affinity.yaml", CLIENTS)
S51 = ("api/S01-nodeport-basic.yaml", "net/more/S51-back-to-clusterip.yaml", CLIENTS)
S53 = ("net/more/S53-mysql.yaml", CLIENTS)
S53_SLICE = S53 + ("net/more/S53-endpointslice.yaml",)
S54 = ECHO_W1 + ("net/more/S54-internal-local.yaml",)
S56 = ECHO_W1 + ("api/S56-loadbalancer-local-healthcheck.yaml",)
HEADLESS = ECHO_W1 + ("net/more/headless.yaml",)
EXTERNAL_NAME = (CLIENTS, "net/more/externalname.yaml")
PROXY_NAME = ECHO_W1 + ("net/more/service-proxy-name.yaml",)
UDP = ("net/S43-tcp-and-udp.yaml", CLIENTS, "net/more/udp-no-endpoints.yaml")
LB_CLUSTER = ECHO_W1 + ("net/more/lb-cluster.yaml",)
LB_RANGES = ECHO_W1 + ("net/more/lb-source-ranges.yaml",)
LB_NODE_RANGE = ECHO_W1 + ("net/more/lb-source-range-node.yaml",)

ROWS = [
    # S15: a pod that does not declare the named port gets none of the Service's traffic
    Row("S15", S15, "pod/client-w1", "shop:80/hostname", REACHED, r"default/v1", body="v1", cites=("R-EP-5",)),
    Row("S15", S15, "pod/client-w1", "{pip:v2}:9090/hostname", REACHED, r"default/v2", body="v2", cites=("R-CP-1",)),
    # S16: a named targetPort no pod declares: no endpoints, refused at once
    Row("S16", S16, "pod/client-w1", "shop:80", REFUSED, cites=("R-SV-9", "R-EP-5", "R-KP-5")),
    Row("S16", S16, "pod/client-w1", "{pip:v1}:8080/hostname", REACHED, r"default/v1", cites=("R-CP-1",)),
    # S26: a node reaches nodePorts on 127.0.0.1 and on its own IP, with or without a local endpoint
    Row("S26", S26, "node/kind-control-plane", "127.0.0.1:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S26", S26, "node/kind-worker2", "127.0.0.1:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S26", S26, "node/kind-control-plane", f"{CP}:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S26", S26, "node/kind-worker", f"{W1}:30008", REACHED, r"default/myapp-.*", cites=("R-KP-4",)),
    Row("S26", S26, "node/kind-worker", "127.0.0.1:80", REFUSED, cites=("R-KP-4",)),
    # S31: the second pod stays Pending; its would-be hostPort is answered by the first pod
    Row("S31", S31, "outside", f"{CP}:8080", REACHED, r"default/hp-a", HOST, cites=("R-SCH-2", "R-HP-3"),
        topology="single"),
    # S32: one replica Pending; the control plane has no pod, so its port 80 refuses
    Row("S32", S32, "outside", f"{CP}:80", REFUSED, cites=("R-SCH-4", "R-HP-3")),
    Row("S32", S32, "outside", f"{W1}:80", REACHED, r"default/edge-.*", HOST, cites=("R-HP-3",)),
    Row("S32", S32, "outside", f"{W2}:80", REACHED, r"default/edge-.*", HOST, cites=("R-HP-3",)),
    # S34: p5 (hostIP 172.18.0.3) is Pending; that address and port belong to p4 (hostIP 0.0.0.0)
    Row("S34", S34, "outside", f"{W1}:54322", REACHED, r"default/p4", HOST, cites=("R-SCH-2",)),
    Row("S34", S34, "outside", f"{W2}:54322", REFUSED, cites=("R-SCH-2", "R-HP-3")),
    # S36: nginx2 cannot bind :80, nginx1 still answers on the pod IP
    Row("S36", S36, "pod/client-w1", "{pip:twonginx}:80", REACHED, r"default/twonginx", cites=("R-CP-3",)),
    # S37 (b): hostNetwork: the app is on the node's own address, no NAT
    Row("S37b", S37B, "outside", f"{W1}:8080/hostname", REACHED, r"default/hn", HOST, "kind-worker", ("R-HN-3",)),
    Row("S37b", S37B, "outside", f"{W2}:8080/hostname", REFUSED, cites=("R-HN-3",)),
    Row("S37b", S37B, "pod/client-w2", f"{W1}:8080/hostname", REACHED, r"default/hn", body="kind-worker",
        cites=("R-HN-3",)),
    # S37 (c): a second copy is Pending; (d): without ports: blocks the second copy crashes
    Row("S37c", S37C, "outside", f"{W1}:8080/hostname", REACHED, r"default/hn", body="kind-worker",
        cites=("R-HN-1", "R-SCH-1")),
    Row("S37d", S37D, "outside", f"{W1}:8080/hostname", REACHED, r"default/hn", body="kind-worker",
        cites=("R-HN-3",)),
    # S38: a hostNetwork endpoint behind a Service
    Row("S38", S38, "pod/client-w2", "hn:80/hostname", REACHED, r"default/hn", body="kind-worker", cites=("R-EP-3",)),
    Row("S38", S38, "pod/client-w1", "hn/hostname", REACHED, r"default/hn", body="kind-worker", cites=("R-EP-3",)),
    # S47: no LoadBalancer controller in plain kind: the Service works as a NodePort
    Row("S47", S47, "outside", f"{CP}:{{np:lb}}", REACHED, r"default/myapp-.*", cites=("R-EX-2",)),
    Row("S47", S47, "outside", f"{W1}:{{np:lb}}", REACHED, r"default/myapp-.*", cites=("R-EX-2",)),
    Row("S47", S47, "outside", f"{W2}:{{np:lb}}", REACHED, r"default/myapp-.*", cites=("R-EX-2",)),
    Row("S47", S47, "outside", f"{W1}:80", REFUSED, cites=("R-EX-2", "R-KP-4")),
    Row("S47", S47, "pod/client-w1", "lb:80", REACHED, r"default/myapp-.*", cites=("R-KP-3",)),
    # S47 with allocateLoadBalancerNodePorts false: nothing is reachable from outside
    Row("S47", S47_NO_NODE_PORTS, "outside", f"{CP}:80", REFUSED, cites=("R-EX-2",)),
    Row("S47", S47_NO_NODE_PORTS, "outside", f"{W1}:80", REFUSED, cites=("R-EX-2",)),
    Row("S47", S47_NO_NODE_PORTS, "outside", f"{W2}:80", REFUSED, cites=("R-EX-2",)),
    Row("S47", S47_NO_NODE_PORTS, "outside", "{cip:lb}:80", TIMEOUT, cites=("R-EX-2", "R-KP-3")),
    Row("S47", S47_NO_NODE_PORTS, "pod/client-w1", "lb:80", REACHED, r"default/myapp-.*", cites=("R-KP-3",)),
    # S48: externalIPs use the Service port; pods and nodes reach them, outside only via an owned IP
    Row("S48", S48, "pod/client-w2", f"{W1}:80/clientip", REACHED, r"default/echo-.*", W2, cites=("R-EX-1", "R-KP-9")),
    Row("S48", S48, "pod/client-w2", "198.51.100.10:80", REACHED, r"default/echo-.*", cites=("R-EX-1",)),
    Row("S48", S48, "node/kind-worker2", "198.51.100.10:80", REACHED, r"default/echo-.*", cites=("R-EX-1",)),
    Row("S48", S48, "node/kind-control-plane", f"{W1}:80", REACHED, r"default/echo-.*", cites=("R-EX-1",)),
    Row("S48", S48, "outside", f"{W1}:80/clientip", REACHED, r"default/echo-.*", "10.244.1.1", cites=("R-EX-1", "R-KP-9")),
    Row("S48", S48, "outside", f"{W2}:80", REFUSED, cites=("R-EX-1",)),
    Row("S48", S48, "outside", "198.51.100.10:80", TIMEOUT, cites=("R-EX-1",)),
    Row("S48", S48, "outside", f"{W1}:8080", REFUSED, cites=("R-EX-1",)),
    Row("S48", S48, "pod/client-w1", "198.51.100.10:8080", TIMEOUT, cites=("R-EX-1", "R-KP-10")),
    # S48 with externalTrafficPolicy Local: an external IP on a node without endpoints drops outside traffic
    Row("S48", S48_LOCAL, "outside", f"{W2}:80", TIMEOUT, cites=("R-EX-1", "R-TP-2")),
    Row("S48", S48_LOCAL, "outside", f"{W1}:81/clientip", REACHED, r"default/echo-.*", HOST, cites=("R-EX-1", "R-TP-2")),
    Row("S48", S48_LOCAL, "pod/client-w2", f"{W2}:80", REACHED, r"default/echo-.*", cites=("R-TP-2",)),
    # S51: back to ClusterIP: the nodePort is gone
    Row("S51", S51, "outside", f"{W1}:30008", REFUSED, cites=("R-SU-2",)),
    Row("S51", S51, "outside", f"{CP}:30008", REFUSED, cites=("R-SU-2",)),
    Row("S51", S51, "pod/client-w1", "myapp:80", REACHED, r"default/myapp-.*", cites=("R-KP-3",)),
    # S53: a Service without a selector has endpoints only once someone writes a slice
    Row("S53", S53, "pod/client-w2", "external-db:3306", REFUSED, cites=("R-EP-2", "R-KP-5")),
    Row("S53", S53_SLICE, "pod/client-w2", "external-db:3306", REACHED, r"default/mysql", cites=("R-EP-2",)),
    # S54: internalTrafficPolicy Local
    Row("S54", S54, "pod/client-w1", "itp:80", REACHED, r"default/echo-.*", cites=("R-TP-4",)),
    Row("S54", S54, "pod/client-w2", "itp:80", TIMEOUT, cites=("R-TP-4",)),
    # S56: LoadBalancer + Local without an LB controller: nodePort only on the endpoint node
    Row("S56", S56, "outside", f"{W1}:{{np:lbl}}/clientip", REACHED, r"default/echo-.*", HOST, cites=("R-TP-2",)),
    Row("S56", S56, "outside", f"{W2}:{{np:lbl}}", TIMEOUT, cites=("R-TP-2",)),
    Row("S56", S56, "outside", f"{CP}:{{np:lbl}}", TIMEOUT, cites=("R-TP-2",)),
    Row("S56", S56, "outside", f"{W1}:{{hc:lbl}}/healthz", REACHED, r"node/kind-worker", cites=("R-TP-3",)),
    Row("S56", S56, "outside", f"{W2}:{{hc:lbl}}/healthz", REACHED, r"node/kind-worker2", cites=("R-TP-3",)),
    # R-HL-1: headless: DNS gives pod IPs, the port is used as written
    Row("R-HL-1", HEADLESS, "pod/client-w2", "hl:80", REFUSED, cites=("R-HL-1",)),
    Row("R-HL-1", HEADLESS, "pod/client-w2", "hl:8080/hostname", REACHED, r"default/echo-.*", "{pip:client-w2}",
        cites=("R-HL-1",)),
    # R-HL-3: ExternalName is a CNAME the cluster cannot resolve here
    Row("R-HL-3", EXTERNAL_NAME, "pod/client-w1", "db", DNS, cites=("R-HL-3",)),
    # R-KP-13: a Service labelled for another proxy gets no rules at all
    Row("R-KP-13", PROXY_NAME, "pod/client-w2", "{cip:other-proxy}:80", TIMEOUT, cites=("R-KP-13",)),
    Row("R-KP-13", PROXY_NAME, "pod/client-w2", "other-proxy:80", TIMEOUT, cites=("R-KP-13",)),
    Row("R-KP-13", PROXY_NAME, "pod/client-w2", "echo:80", REACHED, r"default/echo-.*", cites=("R-KP-3",)),
    # R-C-2: UDP: a REJECT or a closed pod port is refused, a missing rule times out
    Row("R-C-2", UDP, "pod/client-w1", "udp://dns-none:53/x", REFUSED, cites=("R-C-2", "R-KP-5")),
    Row("R-C-2", UDP, "pod/client-w1", "udp://mp:81/hostname", TIMEOUT, cites=("R-C-2", "R-KP-10")),
    Row("R-C-2", UDP, "pod/client-w1", "udp://{pip:mp}:9999/x", REFUSED, cites=("R-C-2",)),
    Row("R-C-2", UDP, "pod/client-w1", "udp://mp:80/hostname", REACHED, r"default/mp", body="mp", cites=("R-C-2",)),
    # R-KP-9: pod to pod directly, across nodes: no NAT; the outside cannot reach pod IPs
    Row("R-KP-9", S53, "pod/client-w2", "{pip:mysql}:3306", REACHED, r"default/mysql", "{pip:client-w2}",
        cites=("R-KP-9",)),
    Row("R-KP-9", S53, "outside", "{pip:mysql}:3306", TIMEOUT, cites=("R-KP-3",)),
    # R-EX-2 with the LoadBalancer controller (MetalLB layer 2)
    Row("R-EX-2", S47, "outside", f"{LB_FIRST}:80", REACHED, r"default/myapp-.*", cites=("R-EX-2",), lb=True),
    Row("R-EX-2", S47, "outside", f"{W1}:{{np:lb}}", REACHED, r"default/myapp-.*", cites=("R-EX-2",), lb=True),
    Row("R-EX-2", S47_NO_NODE_PORTS, "outside", "{lb:lb}:80", REACHED, r"default/myapp-.*", cites=("R-EX-2",), lb=True),
    Row("R-EX-2", S47_NO_NODE_PORTS, "outside", f"{W1}:80", REFUSED, cites=("R-EX-2",), lb=True),
    Row("R-EX-2", S56, "outside", "{lb:lbl}/clientip", REACHED, r"default/echo-.*", HOST, cites=("R-EX-2", "R-TP-2"),
        lb=True),
    Row("R-EX-2", S56, "pod/client-w2", "{lb:lbl}/clientip", REACHED, r"default/echo-.*", "{pip:client-w2}",
        cites=("R-EX-2", "R-TP-2"), lb=True),
    Row("R-EX-2", S56, "node/kind-control-plane", "{lb:lbl}", REACHED, r"default/echo-.*", cites=("R-EX-2",), lb=True),
    Row("R-EX-2", S56, "outside", "{lb:lbl}:81", TIMEOUT, cites=("R-EX-2",), lb=True),
    Row("R-EX-2", LB_CLUSTER, "outside", "{lb:lbc}/clientip", REACHED, r"default/echo-.*", "10.244.1.1",
        cites=("R-EX-2", "R-KP-9"), lb=True),
    Row("R-EX-2", LB_CLUSTER, "pod/client-w2", "{lb:lbc}/clientip", REACHED, r"default/echo-.*", W2,
        cites=("R-EX-2", "R-KP-9"), lb=True),
    Row("R-EX-2", LB_RANGES, "outside", "{lb:lb-allow}/clientip", REACHED, r"default/echo-.*", cites=("R-EX-2",),
        lb=True),
    Row("R-EX-2", LB_RANGES, "outside", "{lb:lb-deny}", TIMEOUT, cites=("R-EX-2",), lb=True),
    Row("R-EX-2", LB_RANGES, "pod/client-w1", "{lb:lb-deny}", TIMEOUT, cites=("R-EX-2",), lb=True),
    Row("R-EX-2", LB_RANGES, "pod/client-w1", "lb-deny:80", REACHED, r"default/echo-.*", cites=("R-EX-2", "R-KP-3"),
        lb=True),
    Row("R-EX-2", LB_NODE_RANGE, "node/kind-worker", "{lb:lbw1}", REACHED, r"default/echo-.*", cites=("R-EX-2",),
        lb=True),
    Row("R-EX-2", LB_NODE_RANGE, "node/kind-worker2", "{lb:lbw1}", TIMEOUT, cites=("R-EX-2",), lb=True),
]


# ---------------------------------------------------------------------- helpers


def _cluster(setup: tuple[str, ...], topology: str = "kind", lb: bool = False) -> Cluster:
    cluster = Cluster(topology, seed=0, load_balancer=lb)
    for name in setup:
        result = cluster.apply((HERE / name).read_bytes(), source=name)
        assert result.ok, result.stderr
    return cluster


def _lookup(cluster: Cluster, what: str, name: str) -> str:
    if what in ("pip", "gw"):
        pod = cluster.get("pod", name)
        if what == "pip":
            return pod.status.pod_ip
        node = cluster.topology.node(pod.spec.node_name)
        return str(ipaddress.ip_network(node.pod_cidr).network_address + 1)
    svc = cluster.get("svc", name)
    if what == "np":
        return str(svc.spec.ports[0].node_port)
    if what == "hc":
        return str(svc.spec.health_check_node_port)
    if what == "cip":
        return svc.spec.cluster_ip
    ingress = svc.status.load_balancer.ingress
    assert ingress, f"Service {name} has no LoadBalancer ingress"
    return ingress[0].ip


def _fill(cluster: Cluster, text: str) -> str:
    return re.sub(r"\{(np|hc|cip|lb|pip|gw):([a-z0-9.-]+)\}", lambda m: _lookup(cluster, m[1], m[2]), text)


def _probe(cluster: Cluster, source: str, url: str, **kwargs) -> ProbeResult:
    return curl(cluster, source, _fill(cluster, url), **kwargs)


def _http_status(cluster: Cluster, result: ProbeResult) -> int | None:
    """The HTTP status of a reached probe (what ``curl -w '%{http_code}'`` prints)."""
    assert result.ending is not None and result.outcome == REACHED, result.trace()
    reply, _, _ = cluster.network().answer(result.ending, parse_url(result.url))
    return reply.status


def _events(cluster: Cluster, kind: str, name: str) -> list[str]:
    text = views.kubectl_describe(cluster, kind, name).stdout
    return [line.strip() for line in text.split("Events:", 1)[1].splitlines()[3:] if line.strip()]


def _get(cluster: Cluster, resource: str, name: str) -> list[str]:
    """The cells of ``kubectl get RESOURCE NAME``'s row."""
    lines = views.kubectl_get(cluster, resource, name).stdout.splitlines()
    return lines[1].split()


# ---------------------------------------------------------------------- the table


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_reference_probe(row: Row):
    cluster = _cluster(row.setup, row.topology, row.lb)
    result = _probe(cluster, row.source, row.url)
    assert result.outcome == row.outcome, result.trace()
    if row.answered_by:
        assert re.fullmatch(row.answered_by, result.answered_by), result.trace()
    if row.client_ip:
        assert result.client_ip == _fill(cluster, row.client_ip), result.trace()
    if row.body:
        assert re.fullmatch(row.body, result.stdout.strip()), result.stdout


# ---------------------------------------------------------------------- S15, S16


def test_s15_r_ep_5_only_the_pod_that_declares_the_name_can_answer():
    results = _probe(_cluster(S15), "pod/client-w1", "shop:80/hostname", every=True)
    assert [(r.answered_by, r.probability) for r in results] == [("default/v1", 1.0)]


def test_s16_r_ep_5_endpoints_are_empty_and_the_refusal_is_kube_proxys_reject():
    cluster = _cluster(S16)
    assert "10.244." not in views.kubectl_get(cluster, "endpoints", "shop").stdout
    result = _probe(cluster, "pod/client-w1", "shop:80")
    assert result.exit_code == 7
    assert result.ending is not None and "default/shop has no endpoints" in result.ending.reason
    assert "R-KP-5" in result.ending.cites


# ---------------------------------------------------------------------- S31, S32, S34, S37c: Pending


def _failed_scheduling(cluster: Cluster, pod: str) -> str:
    lines = [line for line in _events(cluster, "pod", pod) if line.startswith("Warning  FailedScheduling")]
    assert len(lines) == 1, lines
    return lines[0].split("default-scheduler", 1)[1].strip()


def test_s31_r_sch_4_second_hostport_pod_is_pending_with_the_scheduler_message():
    cluster = _cluster(S31, "single")
    assert _get(cluster, "pod", "hp-b")[2] == "Pending"
    assert _failed_scheduling(cluster, "hp-b") == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")


def test_s31_deleting_the_first_pod_lets_the_second_schedule_and_take_the_port():
    cluster = _cluster(S31, "single")
    assert cluster.delete("pod", "hp-a").ok
    assert _get(cluster, "pod", "hp-b")[2] == "Running"
    assert _probe(cluster, "outside", f"{CP}:8080").answered_by == "default/hp-b"


def test_s32_r_sch_4_third_replica_message_counts_the_taint_and_the_ports():
    cluster = _cluster(S32)
    pending = [p.name for p in cluster.list("pod") if p.status.phase == "Pending"]
    assert len(pending) == 1
    assert _failed_scheduling(cluster, pending[0]) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")


def test_s34_r_sch_2_wildcard_host_ip_blocks_the_specific_one():
    cluster = _cluster(S34)
    assert _get(cluster, "pod", "p5")[2] == "Pending"
    assert _failed_scheduling(cluster, "p5") == (
        "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
        "1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.")


def test_s37c_r_hn_1_defaulted_host_port_makes_the_second_copy_pending():
    cluster = _cluster(S37C)
    assert cluster.get("pod", "hn2").spec.containers[0].ports[0].host_port == 8080
    assert "didn't have free ports for the requested pod ports" in _failed_scheduling(cluster, "hn2")


# ---------------------------------------------------------------------- S36, S37d: CRASH(bind)


def test_s36_r_cp_3_second_nginx_crashes_and_the_first_still_answers():
    cluster = _cluster(S36)
    cells = _get(cluster, "pod", "twonginx")
    assert cells[1:3] == ["1/2", "CrashLoopBackOff"]
    result = _probe(cluster, "pod/client-w1", "{pip:twonginx}:80")
    assert (result.outcome, result.container) == (REACHED, "nginx1"), result.trace()


def test_s37d_r_hn_3_undeclared_host_ports_are_not_checked_and_the_second_copy_crashes():
    cluster = _cluster(S37D)
    assert _get(cluster, "pod", "hn")[2] == "Running"
    assert _get(cluster, "pod", "hn2")[2] == "CrashLoopBackOff"


# ---------------------------------------------------------------------- S38, S47


def test_s38_r_ep_3_host_network_endpoint_is_the_node_ip():
    cluster = _cluster(S38)
    assert _get(cluster, "endpoints", "hn")[1] == f"{W1}:8080"


def test_s47_r_ex_2_without_a_controller_the_external_ip_stays_pending():
    cluster = _cluster(S47)
    node_port = cluster.get("svc", "lb").spec.ports[0].node_port
    assert _get(cluster, "svc", "lb")[1:5] == ["LoadBalancer", cluster.get("svc", "lb").spec.cluster_ip,
                                              "<pending>", f"80:{node_port}/TCP"]
    assert not any(isinstance(c, LoadBalancerController) for c in cluster.control_plane.controllers)


def test_s47_r_ex_2_no_node_ports_shows_only_the_port():
    assert _get(_cluster(S47_NO_NODE_PORTS), "svc", "lb")[3:5] == ["<pending>", "80/TCP"]


# ---------------------------------------------------------------------- S50: session affinity


def test_s50_r_sa_1_the_same_client_gets_the_same_pod_ten_times():
    cluster = _cluster(S50)
    answers = {_probe(cluster, "pod/client-w1", "sticky:80/hostname").stdout for _ in range(10)}
    assert len(answers) == 1, answers
    assert cluster.get("svc", "sticky").spec.session_affinity_config.client_ip.timeout_seconds == 10800


def test_s50_r_sa_1_a_pinned_client_has_exactly_one_possible_result():
    cluster = _cluster(S50)
    first = _probe(cluster, "pod/client-w1", "sticky:80/hostname")
    results = _probe(cluster, "pod/client-w1", "sticky:80/hostname", every=True)
    assert [(r.answered_by, r.probability) for r in results] == [(first.answered_by, 1.0)]


def test_s50_r_sa_2_another_nodes_client_is_not_pinned_by_the_first():
    """client-w2 sends from another node (its own recent table): any of the three pods may answer."""
    cluster = _cluster(S50)
    _probe(cluster, "pod/client-w1", "sticky:80/hostname")
    results = _probe(cluster, "pod/client-w2", "sticky:80/hostname", every=True)
    assert len({r.answered_by for r in results}) == 3
    assert sum(r.probability for r in results) == pytest.approx(1.0)
    assert all(r.probability == pytest.approx(1 / 3) for r in results)


def test_s50_r_sa_1_exploring_does_not_pin_anyone():
    cluster = _cluster(S50)
    _probe(cluster, "pod/client-w1", "sticky:80/hostname", every=True)
    assert len(_probe(cluster, "pod/client-w1", "sticky:80/hostname", every=True)) == 3


# ---------------------------------------------------------------------- S51, S53, S56


def test_s51_r_su_2_the_stale_node_port_is_dropped_and_freed():
    cluster = _cluster(S51)
    assert _get(cluster, "svc", "myapp")[4] == "80/TCP"
    text = (HERE / "api/S47-loadbalancer-in-kind.yaml").read_text().replace("ports: [{port: 80}]",
                                                                            "ports: [{port: 80, nodePort: 30008}]")
    assert cluster.apply(text, source="reuse-30008.yaml").ok


def test_s53_r_ep_2_the_slices_port_wins_over_the_services_target_port():
    cluster = _cluster(S53_SLICE)
    result = _probe(cluster, "pod/client-w2", "external-db:3306")
    assert result.ending is not None and (result.ending.packet.dst, result.ending.packet.dport) == ("10.244.1.2", 3306)
    assert result.exit_code == 1 and "Received HTTP/0.9" in result.stderr


def test_s56_r_tp_3_health_check_is_200_on_the_endpoint_node_and_503_elsewhere():
    cluster = _cluster(S56)
    statuses = {}
    for ip in (CP, W1, W2):
        result = _probe(cluster, "outside", f"{ip}:{{hc:lbl}}/healthz")
        statuses[ip] = _http_status(cluster, result)
        assert result.exit_code == 0  # curl without -f exits 0 on a 503
    assert statuses == {CP: 503, W1: 200, W2: 503}


def test_s56_r_tp_3_health_check_body_is_kube_proxys_json():
    cluster = _cluster(S56)
    body = _probe(cluster, "outside", f"{W1}:{{hc:lbl}}/healthz").stdout
    assert body == ('{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "lbl"\n\t},\n'
                    '\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}')


# ---------------------------------------------------------------------- DNS, hairpin, R-KP-11, R-KP-13


def test_r_hl_1_headless_dns_answers_with_the_pod_ips():
    cluster = _cluster(HEADLESS)
    result = _probe(cluster, "pod/client-w2", "hl:8080/hostname")
    pod_ips = sorted(p.status.pod_ip for p in cluster.list("pod") if p.name.startswith("echo-"))
    assert all(ip in result.resolution for ip in pod_ips), result.resolution
    assert result.ending is not None and result.ending.packet.dst in pod_ips


def test_r_hl_3_external_name_fails_like_curl_exit_6():
    result = _probe(_cluster(EXTERNAL_NAME), "pod/client-w1", "db")
    assert (result.exit_code, result.stderr) == (6, "curl: (6) Could not resolve host: db")


def test_r_kp_13_the_timeout_explains_that_kube_proxy_ignores_the_service():
    result = _probe(_cluster(PROXY_NAME), "pod/client-w2", "other-proxy:80")
    assert result.ending is not None and "R-KP-13" in result.ending.reason
    assert "service.kubernetes.io/service-proxy-name=my-proxy" in result.ending.reason


def test_r_kp_7_hairpin_pod_reaches_itself_through_its_service_seen_as_the_gateway():
    cluster = _cluster(("net/S20-no-containerport.yaml",))
    result = _probe(cluster, "pod/quiet", "quiet:80/clientip")
    assert (result.outcome, result.answered_by) == (REACHED, "default/quiet"), result.trace()
    assert result.client_ip == _lookup(cluster, "gw", "quiet")
    assert result.stdout.startswith(f"{result.client_ip}:")


def test_r_kp_11_the_dnat_happens_on_the_senders_node():
    cluster = _cluster(ECHO_W1)
    result = _probe(cluster, "pod/client-w2", "echo:80")
    dnat = [h.host for h in result.hops if "DNAT" in h.step]
    assert dnat == ["node:kind-worker2"], result.trace()
    assert result.answered_by.startswith("default/echo-")


def test_r_c_2_udp_refusal_and_timeout_read_like_nc():
    cluster = _cluster(UDP)
    refused = _probe(cluster, "pod/client-w1", "udp://dns-none:53/x")
    lost = _probe(cluster, "pod/client-w1", "udp://mp:81/hostname")
    assert (refused.exit_code, refused.stderr) == (1, "nc: read failed (Connection refused)")
    assert (lost.exit_code, lost.stdout, lost.stderr) == (1, "", "")


# ---------------------------------------------------------------------- the LoadBalancer controller


def _lb_services(names: list[str], extra: str = "") -> str:
    return "\n---\n".join(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {n}}}\n"
        f"spec: {{type: LoadBalancer, {extra}selector: {{app: echo}}, ports: [{{port: 80, targetPort: 8080}}]}}"
        for n in names)


def _ingress(cluster: Cluster, name: str) -> str:
    ingress = cluster.get("svc", name).status.load_balancer.ingress
    return ingress[0].ip if ingress else ""


def test_r_ex_2_lb_ip_shows_in_kubectl_get_and_describe():
    cluster = _cluster(S56, lb=True)
    assert _get(cluster, "svc", "lbl")[3] == LB_FIRST
    svc = cluster.get("svc", "lbl")
    assert [(i.ip, i.ip_mode) for i in svc.status.load_balancer.ingress] == [(LB_FIRST, "VIP")]
    assert "LoadBalancer Ingress:     172.18.255.200 (VIP)" in views.kubectl_describe(cluster, "svc", "lbl").stdout


def test_r_ex_2_lb_events_name_the_ip_and_the_announcing_node():
    events = _events(_cluster(S56, lb=True), "svc", "lbl")
    assert [re.sub(r"\s+", " ", e) for e in events] == [
        'Normal IPAllocated 0s metallb-controller Assigned IP ["172.18.255.200"]',
        'Normal nodeAssigned 0s metallb-speaker announcing from node "kind-worker" with protocol "layer2"',
    ]


def test_r_ex_2_addresses_are_handed_out_in_order_and_reused_after_release():
    cluster = _cluster(ECHO_W1, lb=True)
    assert cluster.apply(_lb_services(["c", "a", "b"]), source="three.yaml").ok
    assert [_ingress(cluster, n) for n in "abc"] == ["172.18.255.200", "172.18.255.201", "172.18.255.202"]
    assert cluster.delete("svc", "b").ok
    assert cluster.apply(_lb_services(["d"]), source="d.yaml").ok
    assert _ingress(cluster, "d") == "172.18.255.201"


def test_r_ex_2_changing_the_type_releases_the_address_and_clears_the_status():
    cluster = _cluster(S56, lb=True)
    text = (HERE / "api/S56-loadbalancer-local-healthcheck.yaml").read_text()
    assert cluster.apply(text.replace("type: LoadBalancer, externalTrafficPolicy: Local, ", ""), source="x.yaml").ok
    assert cluster.get("svc", "lbl").status.load_balancer.ingress == ()
    assert _get(cluster, "svc", "lbl")[3] == "<none>"
    assert _probe(cluster, "outside", f"{LB_FIRST}:80").outcome == TIMEOUT
    assert cluster.apply(_lb_services(["next"]), source="next.yaml").ok
    assert _ingress(cluster, "next") == LB_FIRST


def test_r_ex_2_requested_load_balancer_ip_is_honoured_inside_the_pool_only():
    cluster = _cluster(ECHO_W1, lb=True)
    assert cluster.apply(_lb_services(["fixed"], "loadBalancerIP: 172.18.255.210, "), source="f.yaml").ok
    assert _ingress(cluster, "fixed") == "172.18.255.210"
    assert cluster.apply(_lb_services(["stray"], "loadBalancerIP: 10.1.2.3, "), source="s.yaml").ok
    assert _ingress(cluster, "stray") == ""
    assert _get(cluster, "svc", "stray")[3] == "<pending>"
    assert re.sub(r"\s+", " ", _events(cluster, "svc", "stray")[-1]) == (
        'Warning AllocationFailed 0s metallb-controller Failed to allocate IP for "default/stray": '
        '["10.1.2.3"] is not allowed in config')


def test_r_ex_2_an_exhausted_pool_leaves_the_service_pending_until_an_address_frees():
    cluster = _cluster(ECHO_W1, lb=True)
    names = [f"s{i:02d}" for i in range(len(AddressPool("172.18.255.200-172.18.255.250")) + 1)]
    assert cluster.apply(_lb_services(names), source="many.yaml").ok
    assert _ingress(cluster, names[-2]) == "172.18.255.250" and _ingress(cluster, names[-1]) == ""
    assert "no available IPs" in _events(cluster, "svc", names[-1])[-1]
    assert cluster.delete("svc", "s07").ok
    assert _ingress(cluster, names[-1]) == "172.18.255.207"


def test_r_ex_2_a_load_balancer_class_is_left_to_its_own_controller():
    cluster = _cluster(ECHO_W1, lb=True)
    assert cluster.apply(_lb_services(["other"], "loadBalancerClass: example.com/lb, "), source="c.yaml").ok
    assert _get(cluster, "svc", "other")[3] == "<pending>"


def test_r_ex_2_no_ready_endpoint_means_nothing_is_announced():
    """MetalLB announces nothing; from outside the IP is dead, from pods kube-proxy REJECTs."""
    cluster = _cluster((CLIENTS,), lb=True)
    assert cluster.apply(_lb_services(["empty"]), source="e.yaml").ok
    assert _ingress(cluster, "empty") == LB_FIRST
    outside = _probe(cluster, "outside", f"{LB_FIRST}:80")
    assert outside.outcome == TIMEOUT and "no node announces it" in outside.ending.reason
    assert _probe(cluster, "pod/client-w1", f"{LB_FIRST}:80").outcome == REFUSED


def test_r_ex_2_source_range_drop_is_kube_proxys_firewall():
    result = _probe(_cluster(LB_RANGES, lb=True), "outside", "{lb:lb-deny}")
    assert result.ending is not None and "traffic not accepted by KUBE-FW-" in result.ending.reason


def test_r_ex_2_only_the_node_inside_the_source_range_admits_the_lb_ip_as_a_source():
    """Nodes share rule builds; a range holding one node's IP must still give that node its own rules."""
    network = _cluster(LB_NODE_RANGE, lb=True).network()
    fw_from_vip = f"-s {LB_FIRST}/32"
    rules = {n: network.rules(f"node:{n}").render() for n in ("kind-worker", "kind-worker2")}
    assert [fw_from_vip in text for text in rules.values()] == [True, False]


def _slice(*endpoints: tuple[str, str, bool]) -> EndpointSlice:
    return EndpointSlice(metadata=ObjectMeta(name="s", namespace="default"), endpoints=tuple(
        Endpoint(addresses=(ip,), node_name=node, conditions=EndpointConditions(ready=ready))
        for ip, node, ready in endpoints))


NODES = [("kind-control-plane", {"node.kubernetes.io/exclude-from-external-load-balancers": ""}),
         ("kind-worker", {}), ("kind-worker2", {})]


@pytest.mark.parametrize("policy, endpoints, nodes, expected", [
    ("Cluster", [("10.244.2.2", "kind-worker2", True)], NODES, "kind-worker"),
    ("Local", [("10.244.2.2", "kind-worker2", True)], NODES, "kind-worker2"),
    ("Local", [("10.244.1.2", "kind-worker", False), ("10.244.2.2", "kind-worker2", True)], NODES, "kind-worker2"),
    ("Cluster", [("10.244.1.2", "kind-worker", False)], NODES, ""),
    ("Local", [("10.244.0.5", "kind-control-plane", True)], NODES, ""),
    ("Cluster", [("10.244.0.5", "kind-control-plane", True)], NODES[:1], "kind-control-plane"),
], ids=[
    "Cluster: the first node not excluded from load balancers",
    "Local: the first node with a ready endpoint",
    "Local: a not-ready endpoint does not count",
    "no ready endpoint: nobody announces",
    "Local: an excluded node does not announce while others exist",
    "single node: the excluded control plane announces anyway",
])
def test_r_ex_2_metallb_layer2_announcing_node(policy, endpoints, nodes, expected):
    svc = Service(metadata=ObjectMeta(name="lb", namespace="default"),
                  spec=ServiceSpec(type="LoadBalancer", external_traffic_policy=policy))
    assert announcing_node(svc, [_slice(*endpoints)], nodes) == expected


@pytest.mark.parametrize("spec, size, inside, outside", [
    ("172.18.255.200-172.18.255.250", 51, "172.18.255.250", "172.18.255.251"),
    ("192.168.10.0/30", 4, "192.168.10.3", "192.168.10.4"),
])
def test_address_pool_ranges_and_cidrs(spec, size, inside, outside):
    pool = AddressPool(spec)
    assert (len(pool), inside in pool, outside in pool) == (size, True, False)


def test_address_pool_rejects_a_backwards_range():
    with pytest.raises(ValueError, match="ends before it starts"):
        AddressPool("172.18.255.9-172.18.255.1")


def test_every_more_manifest_is_used():
    source = Path(__file__).read_text()
    assert [p.name for p in (HERE / "net/more").glob("*.yaml") if p.name not in source] == []
