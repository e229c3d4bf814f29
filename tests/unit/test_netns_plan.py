"""The netns backend's plan, runner bookkeeping and outcome mapping: pure, no privileges needed.

The plan must reproduce the simulator's addresses (kind's: nodes 172.18.0.x, the docker host
172.18.0.1, pod gateways 10.244.X.1 on the node side of every pod veth) so that real probes
agree with the simulator on outcomes *and* on the client IPs the pods see (R-KP-9, R-TP-1,
R-TP-2, R-HP-3). Each node's rules are the simulator's ``iptables-restore`` document, byte for
byte (R-KP-1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.backends.netns import classify
from grader.backends.netns_agent import curl_argv
from grader.backends.netns_plan import (
    LAN_NS,
    MAX_IFNAME,
    OUTSIDE_NS,
    SINK,
    Link,
    Plan,
    Route,
    build_plan,
    check_names,
    pod_tag,
)
from grader.backends.netns_runner import Runner
from grader.sim import apps as appcat
from grader.sim.cluster import Cluster
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, UNKNOWN
from grader.sim.proxy.rules import render_node_rules

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CP, W1, W2, HOST = "172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.1"

HOST_NETWORK = """
apiVersion: v1
kind: Pod
metadata: {name: hn, labels: {app: hn}}
spec:
  hostNetwork: true
  nodeSelector: {kubernetes.io/hostname: kind-worker2}
  containers:
  - {name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["netexec", "--http-port=8080"]}
---
apiVersion: v1
kind: Service
metadata: {name: lbl}
spec: {type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: myapp}, ports: [{port: 80}]}
"""


def scenario(*files: str, extra: str = "") -> Cluster:
    cluster = Cluster(seed=0)
    for name in files:
        assert cluster.apply((SCENARIOS / name).read_text(), source=name).ok
    if extra:
        assert cluster.apply(extra, source="extra.yaml").ok
    return cluster


@pytest.fixture(scope="module")
def s01() -> Cluster:
    return scenario("api/S01-nodeport-basic.yaml", "net/clients.yaml", "net/S30-hostport.yaml", extra=HOST_NETWORK)


@pytest.fixture(scope="module")
def plan(s01) -> Plan:
    return build_plan(s01)


def pod_ns(plan: Plan, name: str) -> str:
    return plan.namespace_of(f"pod:default/{name}")


def myapp_pods(cluster: Cluster) -> list:
    return sorted((p for p in cluster.list("pod") if p.name.startswith("myapp-")), key=lambda p: p.name)


# --------------------------------------------------------------------------- names


def test_every_namespace_and_interface_name_starts_with_kp_and_fits_ifnamsiz(plan):
    names = plan.names()
    assert names and all(n.startswith("kp") and len(n) <= MAX_IFNAME for n in names)
    assert len({ns.name for ns in plan.namespaces}) == len(plan.namespaces)


def test_check_names_refuses_anything_without_the_prefix_or_too_long():
    for bad in ("eth0", "lo", "docker0", "kp" + "x" * 14, "kp/../etc", "kp name"):
        with pytest.raises(ValueError):
            check_names([bad])
    check_names(["kpn0", "kpv0123456789a"])


def test_there_is_a_namespace_for_the_outside_client_the_lan_every_node_and_every_running_pod(s01, plan):
    roles = sorted((ns.role, ns.host) for ns in plan.namespaces)
    pods = sorted(f"pod:default/{p.name}" for p in s01.list("pod") if not p.spec.host_network)
    assert [h for r, h in roles if r == "pod"] == pods
    assert [h for r, h in roles if r == "node"] == ["node:kind-control-plane", "node:kind-worker", "node:kind-worker2"]
    assert ("outside", "outside") in roles and ("lan", "") in roles
    assert plan.namespace_of("outside") == OUTSIDE_NS and plan.namespace_of("node:kind-worker") == "kpn1"


def test_pod_namespaces_keep_their_names_across_plans_and_change_when_the_pod_is_recreated():
    cluster = scenario("net/S30-hostport.yaml")
    first = pod_ns(build_plan(cluster), "hp")
    assert pod_ns(build_plan(cluster), "hp") == first == f"kpp{pod_tag(cluster.get('pod', 'hp'))}"
    cluster.delete("pod", "hp")
    assert cluster.apply((SCENARIOS / "net/S30-hostport.yaml").read_text()).ok
    assert pod_ns(build_plan(cluster), "hp") != first


def test_host_network_pods_have_no_namespace_of_their_own_r_hn_1(plan):
    with pytest.raises(KeyError):
        plan.namespace_of("pod:default/hn")


# --------------------------------------------------------------------------- addresses and routes


def addresses(plan: Plan, namespace: str) -> set[tuple[str, str]]:
    return {(a.device, a.cidr) for a in plan.addresses if a.namespace == namespace}


def routes(plan: Plan, namespace: str) -> dict[str, Route]:
    return {r.destination: r for r in plan.routes if r.namespace == namespace}


def test_nodes_and_the_outside_client_have_the_simulators_kind_addresses(plan):
    assert ("kpeth0", f"{HOST}/32") in addresses(plan, OUTSIDE_NS)
    for ns, ip, gateway in (("kpn0", CP, "10.244.0.1"), ("kpn1", W1, "10.244.1.1"), ("kpn2", W2, "10.244.2.1")):
        assert {("kpeth0", f"{ip}/32"), ("lo", f"{gateway}/32")} <= addresses(plan, ns)


def test_pods_have_their_pod_ip_and_the_node_side_of_their_veth_has_the_gateway_like_kindnet_ptp(s01, plan):
    """R-KP-9: MASQUERADE towards a local pod must pick 10.244.X.1, the simulator's gateway."""
    for pod in s01.list("pod"):
        if pod.spec.host_network:
            continue
        ns, tag = pod_ns(plan, pod.name), pod_tag(pod)
        node_ns = plan.namespace_of(f"node:{pod.spec.node_name}")
        gateway = s01.network().gateways[pod.spec.node_name]
        assert addresses(plan, ns) == {("kpeth0", f"{pod.status.pod_ip}/32")}
        assert (f"kpv{tag}", f"{gateway}/32") in addresses(plan, node_ns)
        node_route = routes(plan, node_ns)[pod.status.pod_ip]
        assert (node_route.device, node_route.gateway, node_route.source) == (f"kpv{tag}", "", gateway)
        default = routes(plan, ns)["default"]
        assert (default.gateway, default.device, default.source) == (gateway, "kpeth0", pod.status.pod_ip)


def test_nodes_route_each_others_pod_subnets_via_the_other_nodes_ip(plan):
    table = routes(plan, "kpn1")
    assert (table["10.244.0.0/24"].gateway, table["10.244.2.0/24"].gateway) == (CP, W2)
    assert "10.244.1.0/24" not in table  # its own pods have /32 routes; unknown ones fall into the sink
    assert all(r.source == W1 for r in table.values() if r.device in ("kpeth0", SINK))


def test_nodes_and_the_outside_client_lose_unknown_destinations_in_a_sink_pods_use_their_node(plan):
    for ns in plan.namespaces:
        default = routes(plan, ns.name).get("default")
        if ns.role in ("node", "outside"):
            assert default is not None and default.device == SINK and default.onlink
        elif ns.role == "pod":
            assert default is not None and default.device == "kpeth0"
        else:
            assert default is None


def test_the_outside_client_reaches_only_the_node_ips_r_kp_3(plan):
    assert sorted(routes(plan, OUTSIDE_NS)) == sorted([CP, W1, W2, "default"])


def test_every_route_names_its_source_address(plan):
    """A node's own connections start from its IP (or the gateway towards its pods), as Network.first_packet says."""
    assert all(r.source for r in plan.routes)


def test_lan_members_are_veths_enslaved_to_one_bridge(plan):
    lan = [link for link in plan.links if link.namespace == LAN_NS]
    assert lan[0].kind == "bridge"
    members = {link.peer_namespace for link in lan[1:]}
    assert members == {OUTSIDE_NS, "kpn0", "kpn1", "kpn2"} and all(link.master == lan[0].name for link in lan[1:])


def test_link_commands_create_the_peer_directly_in_its_namespace():
    link = Link("kpn1", "kpv0123456789a", "veth", "06:01:02:03:04:05", "kpp0123456789a", "kpeth0", "02:01:02:03:04:05",
                index=1100, peer_index=2)
    assert link.create() == ("link add kpv0123456789a index 1100 address 06:01:02:03:04:05 type veth "
                             "peer name kpeth0 index 2 address 02:01:02:03:04:05 netns kpp0123456789a")
    assert link.bring_up() == [("kpn1", "link set kpv0123456789a up"), ("kpp0123456789a", "link set kpeth0 up")]


def test_no_veth_shares_its_ifindex_with_its_peer_and_indexes_are_unique_per_namespace(plan):
    """Equal indexes make the kernel enable the link up to a second late (linkwatch_urgent_event)."""
    seen: dict[str, list[int]] = {}
    for link in plan.links:
        assert link.index > 1
        seen.setdefault(link.namespace, []).append(link.index)
        if link.kind == "veth":
            assert link.peer_index > 1 and link.peer_index != link.index
            seen.setdefault(link.peer_namespace, []).append(link.peer_index)
    assert all(len(found) == len(set(found)) for found in seen.values())


def test_route_commands_are_idempotent_replacements():
    route = Route("kpn1", "10.244.2.0/24", "kpeth0", W2, W1)
    assert route.add() == f"route replace 10.244.2.0/24 via {W2} dev kpeth0 src {W1}"
    assert Route("kpn1", "10.244.1.2", "kpv1", source="10.244.1.1").add() == \
        "route replace 10.244.1.2 dev kpv1 scope link src 10.244.1.1"


# --------------------------------------------------------------------------- sysctls


def sysctls(plan: Plan, role: str) -> dict[str, str]:
    ns = next(n for n in plan.namespaces if n.role == role)
    return {s.key: s.value for s in ns.sysctls}


def test_nodes_forward_accept_localhost_sources_and_never_rate_limit_icmp(plan):
    node = sysctls(plan, "node")
    assert node["net.ipv4.ip_forward"] == "1"
    assert node["net.ipv4.conf.all.route_localnet"] == "1"  # node -> 127.0.0.1:nodePort (R-KP-4)
    assert node["net.ipv4.icmp_ratelimit"] == "0" and node["net.ipv4.icmp_ratemask"] == "0"  # REJECT stays REFUSED


def test_every_namespace_sets_rp_filter_off_explicitly(plan):
    for ns in plan.namespaces:
        values = {s.key: s.value for s in ns.sysctls}
        assert values["net.ipv4.conf.all.rp_filter"] == values["net.ipv4.conf.default.rp_filter"] == "0"
    assert sysctls(plan, "pod")["net.ipv4.ip_forward"] == "0"


# --------------------------------------------------------------------------- rules


def test_r_kp_1_each_nodes_document_is_the_simulators_render_node_rules(s01, plan):
    network = s01.network()
    assert [(r.namespace, r.node) for r in plan.rules] == [
        ("kpn0", "kind-control-plane"), ("kpn1", "kind-worker"), ("kpn2", "kind-worker2")]
    for rules in plan.rules:
        assert rules.document == render_node_rules(network.proxy_inputs(rules.node))


def test_r_hp_3_only_the_hostport_pods_node_has_its_dnat_rule(plan):
    docs = {r.node: r.document for r in plan.rules}
    assert "--dports 8080" in docs["kind-worker"]
    assert "--dports 8080" not in docs["kind-worker2"]


# --------------------------------------------------------------------------- listeners


def listeners(plan: Plan, namespace: str) -> list[tuple[str, str, int, str]]:
    return [(s.protocol, s.address, s.port, s.answered_by) for s in plan.listeners if s.namespace == namespace]


def test_r_cp_1_pods_listen_where_their_app_listens_not_where_containerport_says(s01, plan):
    for pod in myapp_pods(s01):
        assert listeners(plan, pod_ns(plan, pod.name)) == [("TCP", "0.0.0.0", 80, f"default/{pod.name}")]
    assert listeners(plan, pod_ns(plan, "client-w1")) == []  # sleep listens on nothing


def test_r_hn_1_host_network_pods_and_health_checks_listen_in_their_nodes_namespace(s01, plan):
    health = s01.get("svc", "lbl").spec.health_check_node_port
    found = listeners(plan, "kpn2")
    assert ("TCP", "0.0.0.0", 8080, "default/hn") in found
    assert ("TCP", "0.0.0.0", health, "node/kind-worker2") in found


def test_r_tp_3_health_check_listeners_answer_what_the_simulator_answers(s01, plan):
    health = s01.get("svc", "lbl").spec.health_check_node_port
    spec = next(s for s in plan.listeners if s.namespace == "kpn1" and s.port == health)
    reply = spec.reply(spec.request("/healthz", "", (HOST, 40000), (W1, health)))
    endpoints_on_w1 = sum(p.spec.node_name == "kind-worker" for p in myapp_pods(s01))
    assert reply.status == (200 if endpoints_on_w1 else 503) and '"name": "lbl"' in reply.body


def test_listener_replies_come_from_the_app_catalogue_with_the_real_client_address(plan):
    spec = next(s for s in plan.listeners if s.answered_by == "default/hn")
    request = spec.request("/clientip", f"{W2}:8080", ("10.244.1.3", 51000), (W2, 8080))
    assert spec.reply(request) == appcat.Reply(0, "10.244.1.3:51000", "", 200)
    assert spec.reply(spec.request("/hostname", "", ("10.244.1.3", 1), (W2, 8080))).body == "kind-worker2"


MYSTERY_AND_LB = """
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
spec: {type: LoadBalancer, selector: {app: mystery}, ports: [{port: 80}]}
"""


@pytest.fixture(scope="module")
def metallb() -> Cluster:
    cluster = Cluster(seed=0, load_balancer=True)
    assert cluster.apply(MYSTERY_AND_LB).ok
    return cluster


def test_r_ex_2_an_announced_load_balancer_ip_is_routed_via_the_announcing_node(metallb):
    plan = build_plan(metallb)
    ip = metallb.get("svc", "lb").status.load_balancer.ingress[0].ip
    announcer = metallb.network().load_balancer.announcements()[ip]
    announcer_ip = metallb.topology.node(announcer).ip
    via = {r.namespace: r.gateway for r in plan.routes if r.destination == ip}
    members = {OUTSIDE_NS, "kpn0", "kpn1", "kpn2"} - {plan.namespace_of(f"node:{announcer}")}
    assert via == {ns: announcer_ip for ns in members}


def test_unknown_apps_get_a_catch_all_socket_behind_the_known_ones(metallb):
    """The simulator answers UNKNOWN for every port of the pod that no known socket owns."""
    plan = build_plan(metallb)
    ns = pod_ns(plan, "mystery")
    specs = [s for s in plan.listeners if s.namespace == ns]
    catch_all = [s for s in specs if s.unknown]
    assert [(s.protocol, s.port) for s in catch_all] == [("TCP", 65535), ("UDP", 65535)]
    assert "example.com/custom:1.0" in catch_all[0].unknown and catch_all[0].container == "app"
    assert [(s.protocol, s.port, s.unknown) for s in specs if not s.unknown] == [("TCP", 80, "")]
    (rules,) = plan.pod_rules
    assert rules.namespace == ns and rules.node == ""
    assert "-A KPORTS-UNKNOWN -p tcp -m tcp --dport 80 -j RETURN" in rules.document
    assert rules.document.index("--dport 80 -j RETURN") < rules.document.index("REDIRECT --to-ports 65535")


def test_pods_with_known_apps_have_no_rules_of_their_own(plan):
    assert plan.pod_rules == ()
    assert not [s for s in plan.listeners if s.unknown]


# --------------------------------------------------------------------------- runner bookkeeping


class AllUp(dict):
    """Every interface is up at once in the fake kernel."""

    def get(self, key, default=None):
        return "forwarding" if key.startswith("port:") else "UP"


class FakeKernel:
    """Records what the runner asks for instead of doing it."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.present: set[str] = set()

    def namespaces(self) -> list[str]:
        return sorted(self.present)

    def add_namespaces(self, names):
        self.calls += [("netns add", n) for n in names]
        self.present.update(names)

    def delete_namespaces(self, names):
        self.calls += [("netns del", n) for n in names]
        self.present.difference_update(names)

    def write_sysctls(self, namespace, items):
        self.calls.append(("sysctl", namespace))
        return []

    def ip_batch(self, namespace, lines):
        self.calls += [("ip", namespace, line) for line in lines]

    def link_states(self, namespace):
        return AllUp()

    def iptables_restore(self, namespace, document):
        self.calls.append(("iptables-restore", namespace))

    def conntrack_flush(self, namespace):
        self.calls.append(("conntrack -F", namespace))
        return True


def runner() -> tuple[Runner, FakeKernel, list]:
    kernel, served = FakeKernel(), []
    return Runner(kernel, served.append), kernel, served  # type: ignore[arg-type]


def test_realising_the_same_plan_twice_changes_nothing_the_second_time(plan):
    run, kernel, served = runner()
    run.realise(plan)
    assert ("iptables-restore", "kpn1") in kernel.calls and ("netns add", "kplan") in kernel.calls
    kernel.calls.clear()
    stats = run.realise(plan)
    assert kernel.calls == []
    assert (stats["namespaces_added"], stats["links_added"], stats["rules_loaded"]) == (0, 0, 0)
    assert served[-1] == plan.listeners


def test_a_deleted_pod_takes_its_namespace_and_veth_with_it_and_rules_reload_with_a_conntrack_flush():
    cluster = scenario("api/S01-nodeport-basic.yaml", "net/clients.yaml")
    before = build_plan(cluster)
    gone = myapp_pods(cluster)[0]
    gone_ns = pod_ns(before, gone.name)
    cluster.delete("pod", gone.name)  # the ReplicaSet makes a new one
    after = build_plan(cluster)
    run, kernel, _ = runner()
    run.realise(before)
    kernel.calls.clear()
    run.realise(after)
    deleted = [c[1] for c in kernel.calls if c[0] == "netns del"]
    assert deleted == [gone_ns]
    # the pod's veth is unplugged from the node's end first: netns del destroys devices
    # asynchronously, and a stale peer would make a new veth of the same name fail ("File exists")
    (veth,) = [link for link in before.links if link.namespace == gone_ns or link.peer_namespace == gone_ns]
    node_end = next((ns, name) for ns, name in veth.devices if ns != gone_ns)
    unplugged = [i for i, c in enumerate(kernel.calls) if c[0] == "ip" and c[1:] == (node_end[0], f"link del {node_end[1]}")]
    assert len(unplugged) == 1
    assert unplugged[0] < next(i for i, c in enumerate(kernel.calls) if c[0] == "netns del")
    others = [c for c in kernel.calls if c[0] == "ip" and " del " in f" {c[2]} " and c[1:] != node_end[:1] + (f"link del {node_end[1]}",)]
    assert others == []
    reloaded = {c[1] for c in kernel.calls if c[0] == "iptables-restore"}
    assert reloaded and reloaded == {c[1] for c in kernel.calls if c[0] == "conntrack -F"}
    assert [c[1] for c in kernel.calls if c[0] == "netns add"] == [
        ns.name for ns in after.namespaces if ns.name not in {n.name for n in before.namespaces}]


def test_teardown_deletes_every_namespace_and_closes_every_listener(plan):
    run, kernel, served = runner()
    run.realise(plan)
    assert run.teardown() == []
    assert kernel.present == set() and served[-1] == ()


# --------------------------------------------------------------------------- probes


@pytest.mark.parametrize("code, logged, outcome", [
    (0, True, REACHED),      # an HTTP answer from a pod
    (1, True, REACHED),      # the pod's server is not HTTP (MySQL speaks first)
    (52, True, REACHED),     # accepted, then closed without a byte
    (56, True, REACHED),     # accepted, then reset
    (7, False, REFUSED),     # RST from a host with no listener, or kube-proxy's REJECT (R-KP-5)
    (28, False, TIMEOUT),    # dropped: no rule, no route, Local without a local endpoint (R-TP-2)
    (6, False, DNS),         # the name did not resolve
    (35, False, UNKNOWN),    # anything else is not an outcome the course grades
])
def test_r_c_1_curl_exit_codes_map_to_outcomes(code, logged, outcome):
    assert classify(code, logged) == outcome


def test_one_curl_process_runs_every_probe_of_a_source_with_its_own_probe_id_and_resolution():
    argv = curl_argv([("http://myapp:80/", ("myapp:80:10.96.0.5",)), ("http://10.96.0.5/", ())],
                     ["p1", "p2"], "/run/x", 0.5)
    assert argv[:3] == ["curl", "-q", "-Z"] and argv.count("--next") == 1
    assert argv.count("--connect-timeout") == 2 and "X-Kports-Probe: p2" in argv
    assert argv[argv.index("--resolve") + 1] == "myapp:80:10.96.0.5" and argv.count("--resolve") == 1
    assert argv[-1] == "http://10.96.0.5/"
