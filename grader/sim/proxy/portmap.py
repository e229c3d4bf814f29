"""hostPort: the CNI ``portmap`` plugin's nat rules, on the pod's own node only (R-HP-1..4).

Sources:

* kubelet ``MakePortMappings`` (``pkg/kubelet/container/helpers.go``) and the sandbox config:
  every port of every regular container, a repeated port name (or, unnamed, a repeated
  family/protocol/hostIP/containerPort/hostPort) in one container counted once;
* containerd CRI ``toCNIPortMappings``: only mappings with ``hostPort > 0``, protocol in
  lower case (R-HP-1);
* containernetworking/plugins ``plugins/meta/portmap`` (``portmap_iptables.go``, ``chain.go``,
  ``utils.go``; the R-HP-2 commit 3d27709f): the shared chains and one ``CNI-DN-<hash>`` chain
  per pod sandbox. Defaults as kind configures it: network ``kindnet``, ``snat`` on,
  mark bit 13 (0x2000), no ``conditionsV4``, no ``masqAll``.

Layout (nat table)::

    PREROUTING, OUTPUT   -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT   (appended)
    POSTROUTING          -m comment --comment "CNI portfwd requiring masquerade"
                         -j CNI-HOSTPORT-MASQ                                (prepended)
    CNI-HOSTPORT-MASQ    -m mark --mark 0x2000/0x2000 -j MASQUERADE
    CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark"
                         -j MARK --set-xmark 0x2000/0x2000
    CNI-HOSTPORT-DNAT    -p tcp -m comment --comment "dnat name: \\"kindnet\\" id: \\"<sandbox>\\""
                         -m multiport --dports 8080,8081 -j CNI-DN-<hash>    (per protocol, ≤15 ports)
    CNI-DN-<hash>        per mapping: hairpin (-s <pod subnet>) and localhost (-s 127.0.0.1)
                         -j CNI-HOSTPORT-SETMARK, then -j DNAT --to-destination <podIP>:<port>,
                         each with [-d <hostIP>] -p <proto> --dport <hostPort>

The sandbox (container) id is not known to the simulator: :func:`sandbox_id` derives a stable
64-hex-digit stand-in from the pod's uid (or namespace/name). Pods' chains are entered in the
order the caller lists the pods (upstream: sandbox creation order, entry rules appended).
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING, Iterable

from grader.model.ipaddr import IPV4, family_of, go_ip_string, parse_ip_sloppy
from grader.records import frozen
from grader.sim.netfilter import (
    AddrType,
    Comment,
    DNat,
    DPort,
    Dst,
    Jump,
    Mark,
    Masquerade,
    MultiPort,
    Proto,
    Rule,
    RuleSet,
    SetMark,
    Src,
)
from grader.sim.proxy.chains import cni_dnat_chain

if TYPE_CHECKING:
    from grader.model.objects import Container, Pod
    from grader.sim.proxy.rules import ProxyInputs

__all__ = [
    "CNI_NETWORK_NAME",
    "HOSTPORT_DNAT",
    "HOSTPORT_MASQ",
    "HOSTPORT_SETMARK",
    "PORTMAP_MARK",
    "PortMapping",
    "add_portmap_rules",
    "port_mappings",
    "sandbox_id",
]

CNI_NETWORK_NAME = "kindnet"
HOSTPORT_DNAT = "CNI-HOSTPORT-DNAT"
HOSTPORT_SETMARK = "CNI-HOSTPORT-SETMARK"
HOSTPORT_MASQ = "CNI-HOSTPORT-MASQ"
PORTMAP_MARK = 1 << 13  # portmap's DefaultMarkBit
MULTIPORT_MAX = 15
_CITES = ("R-HP-2", "R-HP-3")


@frozen
class PortMapping:
    """One CNI ``portMappings`` entry (``PortMapEntry``)."""

    host_port: int
    container_port: int
    protocol: str  # lower case: tcp, udp, sctp
    host_ip: str = ""


def _container_mappings(container: Container) -> Iterable[PortMapping]:
    """``MakePortMappings`` for one container, then containerd's ``hostPort > 0`` filter."""
    seen: set[str] = set()
    for p in container.ports:
        protocol = p.protocol or "TCP"
        family = "any" if not p.host_ip else ("v6" if ":" in p.host_ip else "v4")
        key = p.name or f"{family}-{protocol}-{p.host_ip}:{p.container_port}:{p.host_port}"
        if key in seen:
            continue
        seen.add(key)
        if p.host_port > 0:
            yield PortMapping(p.host_port, p.container_port, protocol.lower(), p.host_ip)


def port_mappings(pod: Pod) -> tuple[PortMapping, ...]:
    """The hostPort mappings the runtime hands to portmap for ``pod`` (R-HP-1)."""
    return tuple(m for c in pod.spec.containers for m in _container_mappings(c))


def sandbox_id(pod: Pod) -> str:
    """A stable stand-in for the pod sandbox's container id (64 hex digits)."""
    meta = pod.metadata
    seed = meta.uid or f"{meta.namespace}/{meta.name}"
    return hashlib.sha256(f"sandbox:{seed}".encode()).hexdigest()


def _has_sandbox_rules(pod: Pod, node_name: str) -> bool:
    """Pods whose sandbox went through CNI ADD on this node and is still up."""
    spec, status = pod.spec, pod.status
    if spec.host_network or not status.pod_ip or family_of(status.pod_ip) != IPV4:
        return False
    if spec.node_name and spec.node_name != node_name:
        return False
    return status.phase not in ("Succeeded", "Failed")


def _hairpin_source(pod_ip: str, pod_cidr: str) -> str:
    """The container's address with its IPAM subnet's mask: the node's pod subnet."""
    prefix = ipaddress.ip_network(pod_cidr, strict=False).prefixlen if pod_cidr else 24
    return str(ipaddress.ip_network(f"{pod_ip}/{prefix}", strict=False))


def _host_ip_match(mapping: PortMapping) -> tuple[Dst, ...] | None:
    """``-d hostIP`` (none for an empty or unspecified hostIP); None: wrong family, skip."""
    if not mapping.host_ip:
        return ()
    ip = parse_ip_sloppy(mapping.host_ip)
    if ip is None or family_of(mapping.host_ip) != IPV4:
        return None
    text = go_ip_string(ip)
    return () if text == "0.0.0.0" else (Dst(text),)


def _entry_rules(chain_name: str, container_id: str, mappings: tuple[PortMapping, ...]) -> list[Rule]:
    """``CNI-HOSTPORT-DNAT`` → ``CNI-DN-*``: one multiport rule per protocol and 15 ports."""
    comment = f'dnat name: "{CNI_NETWORK_NAME}" id: "{container_id}"'
    comment = comment if len(comment) <= 255 else comment[:253] + "..."
    by_proto: dict[str, list[int]] = {}
    for m in mappings:
        by_proto.setdefault(m.protocol, []).append(m.host_port)
    rules = []
    for proto in sorted(by_proto):
        ports = by_proto[proto]
        for start in range(0, len(ports), MULTIPORT_MAX):
            chunk = tuple(ports[start:start + MULTIPORT_MAX])
            rules.append(Rule((Proto(proto), Comment(comment), MultiPort(chunk)), Jump(chain_name), _CITES))
    return rules


def _dnat_rules(pod_ip: str, hairpin: str, mappings: tuple[PortMapping, ...]) -> list[Rule]:
    """Per mapping: mark hairpin and localhost traffic for masquerade, then DNAT."""
    setmark = Jump(HOSTPORT_SETMARK)
    rules = []
    for m in mappings:
        dst = _host_ip_match(m)
        if dst is None:
            continue
        tail = (*dst, Proto(m.protocol), DPort(m.protocol, m.host_port))
        rules.append(Rule((Src(hairpin), *tail), setmark, _CITES))
        rules.append(Rule((Src("127.0.0.1"), *tail), setmark, _CITES))
        rules.append(Rule(tail, DNat(f"{pod_ip}:{m.container_port}"), _CITES))
    return rules


def _shared_chains(ruleset: RuleSet) -> None:
    """The SETMARK, MASQ and DNAT chains and their hooks (R-HP-2, R-HP-4)."""
    nat = ruleset.nat
    mark = SetMark(PORTMAP_MARK, PORTMAP_MARK)
    nat.chain(HOSTPORT_SETMARK).add(Comment("CNI portfwd masquerade mark"), target=mark, cites=_CITES)
    nat.chain(HOSTPORT_MASQ).add(Mark(PORTMAP_MARK, PORTMAP_MARK), target=Masquerade(), cites=_CITES)
    hook = Rule((Comment("CNI portfwd requiring masquerade"),), Jump(HOSTPORT_MASQ), _CITES)
    nat.chain("POSTROUTING").rules.insert(0, hook)
    nat.chain(HOSTPORT_DNAT)
    for builtin in ("PREROUTING", "OUTPUT"):
        nat.chain(builtin).add(AddrType("LOCAL"), target=Jump(HOSTPORT_DNAT), cites=("R-HP-2", "R-HP-4"))


def add_portmap_rules(ruleset: RuleSet, inputs: ProxyInputs) -> None:
    """Add the hostPort rules of this node's pods; nothing at all when no pod maps a port."""
    pods = [(p, port_mappings(p)) for p in inputs.host_port_pods if _has_sandbox_rules(p, inputs.node_name)]
    pods = [(p, m) for p, m in pods if m]
    if not pods:
        return
    _shared_chains(ruleset)
    entry = ruleset.nat.chain(HOSTPORT_DNAT)
    for pod, mappings in pods:
        container_id = sandbox_id(pod)
        name = cni_dnat_chain(CNI_NETWORK_NAME, container_id)
        hairpin = _hairpin_source(pod.status.pod_ip, inputs.pod_cidr)
        ruleset.nat.chain(name).rules.extend(_dnat_rules(pod.status.pod_ip, hairpin, mappings))
        entry.rules.extend(_entry_rules(name, container_id, mappings))
