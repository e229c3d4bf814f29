"""The CNI side of a kind node's rules: portmap's hostPort chains (R-HP-1..4) and kindnet's masquerade.

hostPort rules exist only on the node that runs the pod (R-HP-3); their hooks come after
kube-proxy's in PREROUTING/OUTPUT and first in POSTROUTING (R-HP-4).
"""

from __future__ import annotations

import pytest

from grader.model.kinds import decode_document
from grader.model.yamlload import load_documents
from grader.sim.proxy import ProxyInputs, build_node_rules, render_node_rules
from grader.sim.proxy.chains import cni_dnat_chain
from grader.sim.proxy.portmap import PortMapping, port_mappings, sandbox_id

NODES = {"kind-worker": ("172.18.0.3", "10.244.1.0/24"), "kind-worker2": ("172.18.0.4", "10.244.2.0/24")}


def pod(containers: str, name: str = "hp", node: str = "kind-worker", ip: str = "10.244.1.2",
        phase: str = "Running", host_network: bool = False):
    text = (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default, uid: uid-{name}}}\n"
            f"spec: {{nodeName: {node}, hostNetwork: {str(host_network).lower()}, containers: {containers}}}\n"
            f"status: {{podIP: '{ip}', phase: {phase}}}\n")
    return decode_document(load_documents(text)[0])


def node_rules(pods, node: str = "kind-worker"):
    ip, pod_cidr = NODES[node]
    return build_node_rules(ProxyInputs(node, (ip,), pod_cidr=pod_cidr, host_port_pods=tuple(pods)))


def lines(ruleset, chain: str, table: str = "nat") -> list[str]:
    found = ruleset.table(table).chains.get(chain)
    return [r.render(chain) for r in found.rules] if found else []


S30 = "[{name: web, image: 'nginx:1.27', ports: [{containerPort: 80, hostPort: 8080}]}]"


def dn_chain(p) -> str:
    return cni_dnat_chain("kindnet", sandbox_id(p))


def test_r_hp_2_hostport_pod_gets_the_portmap_layout_on_its_node():
    """S30: hostPort 8080 -> containerPort 80 of pod hp on kind-worker."""
    hp = pod(S30)
    rs = node_rules([hp])
    dn = dn_chain(hp)
    assert lines(rs, "CNI-HOSTPORT-DNAT") == [
        f'-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"kindnet\\" id: \\"{sandbox_id(hp)}\\"" '
        f"-m multiport --dports 8080 -j {dn}"]
    assert lines(rs, dn) == [
        f"-A {dn} -s 10.244.1.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
        f"-A {dn} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
        f"-A {dn} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.2:80",
    ]
    assert lines(rs, "CNI-HOSTPORT-SETMARK") == [
        '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000']
    assert lines(rs, "CNI-HOSTPORT-MASQ") == ["-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE"]
    assert dn.startswith("CNI-DN-") and len(dn) == 28


def test_r_hp_3_hostport_rules_exist_only_on_the_pods_own_node():
    rs = node_rules([pod(S30)], node="kind-worker2")
    assert "CNI-" not in rs.render()


def test_r_hp_4_portmap_hooks_follow_kube_proxy_and_its_masquerade_comes_first():
    rs = node_rules([pod(S30)])
    for hook in ("PREROUTING", "OUTPUT"):
        assert lines(rs, hook) == [
            f'-A {hook} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            f"-A {hook} -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        ]
    assert [ln.rsplit(" -j ", 1)[1] for ln in lines(rs, "POSTROUTING")] == [
        "CNI-HOSTPORT-MASQ", "KUBE-POSTROUTING", "KIND-MASQ-AGENT"]
    assert lines(rs, "POSTROUTING")[0] == \
        '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ'


def test_r_hp_2_host_ip_restricts_the_destination_and_unspecified_host_ip_does_not():
    hp = pod("[{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 8080, hostIP: 172.18.0.3}, "
             "{containerPort: 81, hostPort: 8081, hostIP: 0.0.0.0}, "
             "{containerPort: 82, hostPort: 8082, hostIP: '2001:db8::1'}]}]")
    dn = lines(node_rules([hp]), dn_chain(hp))
    assert dn[:3] == [
        f"-A {dn_chain(hp)} -s 10.244.1.0/24 -d 172.18.0.3/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
        f"-A {dn_chain(hp)} -s 127.0.0.1/32 -d 172.18.0.3/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
        f"-A {dn_chain(hp)} -d 172.18.0.3/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.2:80",
    ]
    assert dn[5] == f"-A {dn_chain(hp)} -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.244.1.2:81"
    assert len(dn) == 6  # the IPv6 hostIP does not apply to an IPv4 pod


def test_r_hp_2_each_protocol_gets_its_own_multiport_entry_in_sorted_order():
    hp = pod("[{name: dns, image: coredns, ports: [{containerPort: 53, hostPort: 53, protocol: UDP}, "
             "{containerPort: 53, hostPort: 53, protocol: TCP}]}]")
    entries = lines(node_rules([hp]), "CNI-HOSTPORT-DNAT")
    assert [e.split(" -m comment")[0] for e in entries] == ["-A CNI-HOSTPORT-DNAT -p tcp", "-A CNI-HOSTPORT-DNAT -p udp"]
    assert all(e.endswith(f"-m multiport --dports 53 -j {dn_chain(hp)}") for e in entries)


def test_r_hp_2_multiport_entries_hold_at_most_15_ports():
    ports = ", ".join(f"{{name: p{n}, containerPort: {n}, hostPort: {9000 + n}}}" for n in range(1, 18))
    entries = lines(node_rules([pod(f"[{{name: many, image: x, ports: [{ports}]}}]")]), "CNI-HOSTPORT-DNAT")
    assert [e.split("--dports ")[1].split(" ")[0].count(",") + 1 for e in entries] == [15, 2]


def test_r_hp_1_runtime_passes_only_ports_with_a_host_port_and_each_name_once():
    hp = pod("[{name: a, image: x, ports: [{name: web, containerPort: 80, hostPort: 8080}, "
             "{name: web, containerPort: 81, hostPort: 8081}, {containerPort: 9090}]}, "
             "{name: b, image: x, ports: [{containerPort: 443, hostPort: 8443, protocol: SCTP}]}]")
    assert port_mappings(hp) == (PortMapping(8080, 80, "tcp"), PortMapping(8443, 443, "sctp"))


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("hostNetwork pods skip CNI", {"host_network": True}),
        ("a pod without an IP has no sandbox network yet", {"ip": ""}),
        ("a finished pod's sandbox is gone", {"phase": "Succeeded"}),
    ],
)
def test_r_hp_2_pods_without_a_cni_sandbox_get_no_rules(case, kwargs):
    assert "CNI-" not in node_rules([pod(S30, **kwargs)]).render(), case


def test_r_hp_2_no_hostport_pods_means_no_portmap_chains_at_all():
    rs = node_rules([pod("[{name: web, image: nginx, ports: [{containerPort: 80}]}]")])
    assert "CNI-" not in rs.render()


def test_r_hp_2_two_pods_get_separate_chains_entered_in_the_given_order():
    a = pod(S30, name="a", ip="10.244.1.2")
    b = pod("[{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 9090}]}]", name="b", ip="10.244.1.3")
    entries = lines(node_rules([a, b]), "CNI-HOSTPORT-DNAT")
    assert [e.rsplit(" -j ", 1)[1] for e in entries] == [dn_chain(a), dn_chain(b)]
    assert dn_chain(a) != dn_chain(b)


def test_sandbox_id_is_stable_and_64_hex_digits():
    assert sandbox_id(pod(S30)) == sandbox_id(pod(S30))
    assert len(sandbox_id(pod(S30))) == 64 and int(sandbox_id(pod(S30)), 16) >= 0


# --------------------------------------------------------------------------- kindnet


def test_kindnet_masquerades_traffic_leaving_the_pod_network():
    """kindnetd's KIND-MASQ-AGENT: why a pod reaching another node's IP arrives as its node (R-TP-2)."""
    rs = node_rules([])
    assert lines(rs, "KIND-MASQ-AGENT") == [
        '-A KIND-MASQ-AGENT -d 10.244.0.0/16 -m comment --comment "kind-masq-agent: local traffic is not subject to '
        'MASQUERADE" -j RETURN',
        '-A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must '
        'be last in chain)" -j MASQUERADE',
    ]
    assert lines(rs, "POSTROUTING")[-1] == (
        '-A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment "kind-masq-agent: ensure nat POSTROUTING '
        'directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" -j KIND-MASQ-AGENT')


def test_rendered_portmap_document_has_user_chains_in_iptables_save_order():
    doc = render_node_rules(ProxyInputs("kind-worker", ("172.18.0.3",), pod_cidr="10.244.1.0/24",
                                        host_port_pods=(pod(S30),)))
    nat = doc.split("*nat\n")[1]
    declared = [ln[1:].split(" ")[0] for ln in nat.splitlines() if ln.startswith(":")]
    assert declared[:4] == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
    assert declared[4:] == sorted(declared[4:])
