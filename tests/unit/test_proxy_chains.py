"""Chain-name hashing (R-KP-1, R-HP-2): kube-proxy's and portmap's names, checked against real ones.

The expected names come from a real kind node's ``iptables -t nat -S`` (kube-proxy iptables
mode) and from containernetworking/plugins' own portmap tests.
"""

from __future__ import annotations

import pytest

from grader.sim.proxy.chains import (
    CNI_CHAIN_LENGTH,
    cni_dnat_chain,
    endpoint_chain,
    external_chain,
    firewall_chain,
    local_chain,
    port_proto_hash,
    service_chain,
    service_chains,
    service_port_name,
)


def test_r_kp_1_kubernetes_service_has_the_well_known_chain_name():
    assert service_chain("default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"


# (service port name, protocol, chain seen on a real kind node)
REAL_SERVICE_CHAINS = [
    ("default/kubernetes:https", "TCP", "KUBE-SVC-NPX46M4PTMTKRN6Y"),
    ("default/my-nginx", "TCP", "KUBE-SVC-L65ENXXZWWSAPRCR"),
    ("kube-system/kube-dns:dns", "UDP", "KUBE-SVC-TCOU7JCQXEZGVUNU"),
    ("kube-system/kube-dns:dns-tcp", "TCP", "KUBE-SVC-ERIFXISQEP7F7OF4"),
    ("kube-system/kube-dns:metrics", "TCP", "KUBE-SVC-JD5MR3NA4I4DYORP"),
    ("kubernetes-dashboard/kubernetes-dashboard", "TCP", "KUBE-SVC-CEZPIJSAUFW5MYPQ"),
    ("kubernetes-dashboard/dashboard-metrics-scraper", "TCP", "KUBE-SVC-Z6GDYMWE5TV2NNJN"),
]


@pytest.mark.parametrize(("service_port", "protocol", "expected"), REAL_SERVICE_CHAINS)
def test_r_kp_1_service_chain_matches_a_real_kind_node(service_port, protocol, expected):
    assert service_chain(service_port, protocol) == expected


# (service port name, protocol, endpoint, KUBE-SEP chain seen on a real kind node)
REAL_ENDPOINT_CHAINS = [
    ("default/kubernetes:https", "TCP", "172.20.0.2:6443", "KUBE-SEP-ME73ZWD7U6KL3OSU"),
    ("default/my-nginx", "TCP", "10.244.3.3:80", "KUBE-SEP-MEZP33SDGZXSPSO5"),
    ("default/my-nginx", "TCP", "10.244.2.3:80", "KUBE-SEP-TIQJFJVSHRJZTTZW"),
    ("kube-system/kube-dns:dns", "UDP", "10.244.0.2:53", "KUBE-SEP-YIL6JZP7A3QYXJU2"),
    ("kube-system/kube-dns:dns", "UDP", "10.244.0.3:53", "KUBE-SEP-6E7XQMQ4RAYOWTTM"),
    ("kube-system/kube-dns:dns-tcp", "TCP", "10.244.0.3:53", "KUBE-SEP-ZXMNUKOKXUTL2MK2"),
    ("kube-system/kube-dns:metrics", "TCP", "10.244.0.2:9153", "KUBE-SEP-N4G2XR5TDX7PQE7P"),
    ("kubernetes-dashboard/kubernetes-dashboard", "TCP", "10.244.2.2:8443", "KUBE-SEP-MKDZHZ7VKZG7DWNK"),
]


@pytest.mark.parametrize(("service_port", "protocol", "endpoint", "expected"), REAL_ENDPOINT_CHAINS)
def test_r_kp_7_endpoint_chain_matches_a_real_kind_node(service_port, protocol, endpoint, expected):
    assert endpoint_chain(service_port, protocol, endpoint) == expected


def test_r_kp_1_service_port_name_omits_the_colon_for_an_unnamed_port():
    assert service_port_name("default", "my-nginx", "") == "default/my-nginx"
    assert service_port_name("default", "web", "http") == "default/web:http"


def test_r_kp_1_svc_svl_ext_fw_share_one_hash_with_their_own_prefixes():
    spn, h = "default/web:http", port_proto_hash("default/web:http", "TCP")
    chains = service_chains(spn, "TCP")
    assert (chains.svc, chains.svl, chains.ext, chains.fw) == (
        f"KUBE-SVC-{h}", f"KUBE-SVL-{h}", f"KUBE-EXT-{h}", f"KUBE-FW-{h}",
    )
    assert (service_chain(spn, "TCP"), local_chain(spn, "TCP"), external_chain(spn, "TCP"),
            firewall_chain(spn, "TCP")) == (chains.svc, chains.svl, chains.ext, chains.fw)


def test_r_kp_1_the_protocol_is_hashed_in_lower_case_and_distinguishes_tcp_from_udp():
    assert service_chain("default/dns", "TCP") == service_chain("default/dns", "tcp")
    assert service_chain("default/dns", "TCP") != service_chain("default/dns", "UDP")


def test_r_kp_1_every_kube_chain_name_fits_iptables_28_character_limit():
    spn = "a-very-long-namespace-name/a-very-long-service-name:a-long-port"
    chains = service_chains(spn, "SCTP")
    names = [chains.svc, chains.svl, chains.ext, chains.fw, endpoint_chain(spn, "SCTP", "10.244.200.200:65535")]
    assert [len(n) for n in names] == [25, 25, 25, 24, 25]


# containernetworking/plugins portmap_iptables_test.go: genDnatChain(netName, containerID)
PORTMAP_CONTAINER_ID = (
    "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8y"
    "ohb9ceu0daez5hashee8ooYai5wa3y"
)


@pytest.mark.parametrize(
    ("network", "expected"),
    [("testNetName", "CNI-DN-bfd599665540dd91d5d28"), ("test", "CNI-DN-67e92b96e692a494b6b85")],
)
def test_r_hp_2_portmap_dnat_chain_matches_the_plugins_own_tests(network, expected):
    assert cni_dnat_chain(network, PORTMAP_CONTAINER_ID) == expected


def test_r_hp_2_portmap_chain_names_are_exactly_28_characters():
    assert CNI_CHAIN_LENGTH == 28
    assert len(cni_dnat_chain("kindnet", "0" * 64)) == 28
