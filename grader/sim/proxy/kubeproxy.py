"""kube-proxy's iptables mode (v1.29–1.33) as rule data, in its exact layout and wording.

Source: kubernetes ``pkg/proxy/iptables/proxier.go`` (``syncProxyRules``,
``writeServiceToEndpointRules``, ``iptablesJumpChains``), ``pkg/proxy/serviceport.go``
(``newBaseServiceInfo``), ``pkg/api/v1/service/util.go`` (``ExternalPolicyLocal``,
``InternalPolicyLocal``, ``NeedsHealthCheck``). Configuration is kind's default: IPv4,
``--detect-local-mode=ClusterCIDR`` with the cluster's pod CIDR, masquerade bit 14 (0x4000),
``localhostNodePorts`` on, no ``--nodeport-addresses``, ``--random-fully`` available,
``nf_conntrack_tcp_be_liberal`` unset, ``masqueradeAll`` off.

Rules are written as ``iptables-save`` prints them: ``-s``/``-d``/``-p`` first, then the
``-m`` matches in the order kube-proxy passes them, then the target. Services are written in
(namespace, name, port name, protocol) order, so the output is stable (upstream walks a Go map).
Above 1,000 endpoints in total kube-proxy enters "large cluster mode" and leaves the comments
off the endpoint rules; so does this writer. A ``KUBE-SEP-…`` chain's two rules are written when
the chain is first read (a large cluster has one such chain per endpoint; a walk reads a few).

Services kube-proxy ignores (R-KP-13): ExternalName, headless (``clusterIP: None``), services
without an IPv4 cluster IP, and services labelled ``service.kubernetes.io/service-proxy-name``
or ``service.kubernetes.io/headless`` (kube-proxy's informers filter those labels out).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from grader.model.drafts import constructor
from grader.model.ipaddr import IPV4, family_of, go_ip_string, parse_cidr_sloppy, parse_ip_sloppy
from grader.model.service_defaults import (
    DEFAULT_CLIENT_IP_TIMEOUT,
    is_externally_accessible,
    needs_health_check_node_port,
)
from grader.records import frozen
from grader.sim.netfilter import (
    Accept,
    AddrType,
    Chain,
    Comment,
    Continue,
    CtState,
    DNat,
    DPort,
    Drop,
    Dst,
    Jump,
    Mark,
    Masquerade,
    Proto,
    ProtoMatch,
    Recent,
    Reject,
    Return,
    Rule,
    RuleSet,
    SetMark,
    Src,
    SrcAddrType,
    Statistic,
    XorMark,
)
from grader.sim.proxy.chains import SEP_PREFIX, ServiceChains, hash16, service_chains, service_port_name
from grader.sim.proxy.topology import categorize_endpoints

if TYPE_CHECKING:
    from grader.model.objects import Service, ServicePort
    from grader.sim.proxy.rules import ProxyEndpoint, ProxyInputs

__all__ = [
    "LARGE_CLUSTER_ENDPOINTS_THRESHOLD",
    "MASQUERADE_MARK",
    "ServicePortInfo",
    "add_kube_proxy_rules",
    "is_proxied",
    "service_port_infos",
]

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_FIREWALL = "KUBE-FIREWALL"

MASQUERADE_MARK = 0x4000  # 1 << masqueradeBit (14)
LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000
LABEL_SERVICE_PROXY_NAME = "service.kubernetes.io/service-proxy-name"
LABEL_HEADLESS = "service.kubernetes.io/headless"

_NEW = CtState(("NEW",))
_JUMP_MARK_MASQ = Jump(KUBE_MARK_MASQ)
_REJECT = Reject()
_DROP = Drop()
_LOCAL_DST = AddrType("LOCAL")
_LOCAL_SRC = SrcAddrType("LOCAL")
_SEP_MASQ_CITES = ("R-KP-7", "R-KP-9")
_PICK_CITES = ("R-KP-6",)

# --------------------------------------------------------------------------- service ports


@frozen
class ServicePortInfo:
    """One proxied service port, as kube-proxy's ``servicePortInfo`` holds it (IPv4 only)."""

    namespace: str
    name: str
    port_name: str
    protocol: str  # "TCP", "UDP" or "SCTP"
    cluster_ip: str
    port: int
    node_port: int
    external_ips: tuple[str, ...]
    load_balancer_vips: tuple[str, ...]
    load_balancer_source_ranges: tuple[str, ...]
    health_check_node_port: int
    client_ip_affinity: bool
    sticky_max_age_seconds: int
    external_policy_local: bool
    internal_policy_local: bool
    chains: ServiceChains
    name_string: str  # "ns/svc:port" ("ns/svc" for an unnamed port): every comment's subject
    proto: str  # the protocol as iptables spells it: tcp, udp, sctp

    @property
    def externally_accessible(self) -> bool:
        """Reachable by something other than the ClusterIP (nodePort, externalIPs, LB IPs)."""
        return bool(self.node_port or self.load_balancer_vips or self.external_ips)

    @property
    def uses_cluster(self) -> bool:
        """``UsesClusterEndpoints``: Cluster internal policy, or any external destination."""
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local(self) -> bool:
        """``UsesLocalEndpoints``: Local internal policy, or Local external policy in use."""
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible)


def is_proxied(service: Service) -> bool:
    """False for the services kube-proxy never programs (R-KP-13, R-HL-1, R-HL-3)."""
    return _proxied_cluster_ip(service) != ""


def _proxied_cluster_ip(service: Service) -> str:
    """The IPv4 cluster IP kube-proxy programs, or "" when it ignores the service."""
    labels = service.metadata.labels
    if LABEL_SERVICE_PROXY_NAME in labels or LABEL_HEADLESS in labels:
        return ""
    if service.spec.type == "ExternalName":
        return ""
    return _cluster_ipv4(service)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _ipv4(text: str) -> str:
    """The canonical IPv4 text of an address (``ParseIPSloppy`` + ``String``), or ""."""
    if _CANONICAL_IPV4.fullmatch(text):
        return text
    ip = parse_ip_sloppy(text.strip()) if text else None
    if ip is None or family_of(text.strip()) != IPV4:
        return ""
    return go_ip_string(ip)


def _cluster_ipv4(service: Service) -> str:
    """``GetClusterIPByFamily(IPv4)``; "" for headless (``None``) or IPv6-only services."""
    spec = service.spec
    for ip in spec.cluster_ips or (spec.cluster_ip,):
        if ip and ip != "None":
            found = _ipv4(ip)
            if found:
                return found
    return ""


def _ipv4_cidrs(values: Sequence[str]) -> tuple[str, ...]:
    found = []
    for text in values:
        parsed = parse_cidr_sloppy(text.strip())
        if parsed is not None and parsed[1].version == 4:
            found.append(str(parsed[1]))
    return tuple(found)


def _lb_vips(service: Service) -> tuple[str, ...]:
    """Ingress IPs in VIP mode (``ipMode`` unset or ``VIP``; ``Proxy`` mode is skipped)."""
    vips = []
    for ing in service.status.load_balancer.ingress:
        if ing.ip and ing.ip_mode in (None, "VIP"):
            ip = _ipv4(ing.ip)
            if ip:
                vips.append(ip)
    return tuple(vips)


def _sticky_seconds(service: Service) -> int:
    config = service.spec.session_affinity_config
    client_ip = config.client_ip if config is not None else None
    if client_ip is None or client_ip.timeout_seconds is None:
        return DEFAULT_CLIENT_IP_TIMEOUT
    return int(client_ip.timeout_seconds)


def service_port_infos(service: Service) -> tuple[ServicePortInfo, ...]:
    """The service's proxied ports (none for the services of :func:`is_proxied`)."""
    cluster_ip = _proxied_cluster_ip(service)
    if not cluster_ip:
        return ()
    spec, meta = service.spec, service.metadata
    accessible = is_externally_accessible(spec)
    affinity = spec.session_affinity == "ClientIP"
    common = dict(
        namespace=meta.namespace,
        name=meta.name,
        cluster_ip=cluster_ip,
        external_ips=tuple(ip for ip in (_ipv4(t) for t in spec.external_ips) if ip),
        load_balancer_vips=_lb_vips(service),
        load_balancer_source_ranges=_ipv4_cidrs(spec.load_balancer_source_ranges),
        health_check_node_port=spec.health_check_node_port if needs_health_check_node_port(spec) else 0,
        client_ip_affinity=affinity,
        sticky_max_age_seconds=_sticky_seconds(service) if affinity else 0,
        external_policy_local=accessible and spec.external_traffic_policy == "Local",
        internal_policy_local=spec.internal_traffic_policy == "Local",
    )
    return tuple(_port_info(port, common) for port in spec.ports)


def _port_info(port: ServicePort, common: dict) -> ServicePortInfo:
    protocol = port.protocol or "TCP"
    spn = service_port_name(common["namespace"], common["name"], port.name)
    return ServicePortInfo(
        port_name=port.name,
        protocol=protocol,
        port=port.port,
        node_port=port.node_port,
        chains=service_chains(spn, protocol),
        name_string=spn,
        proto=protocol.lower(),
        **common,
    )


# --------------------------------------------------------------------------- the writer


class _Policy:
    """The per-service-port decisions of ``syncProxyRules`` (its local variables)."""

    __slots__ = ("internal_chain", "has_internal", "external_policy_chain", "has_external",
                 "uses_external_chain", "uses_fw_chain", "internal_filter", "external_filter")

    def __init__(self, *, internal_chain: str, has_internal: bool, external_policy_chain: str, has_external: bool,
                 uses_external_chain: bool, uses_fw_chain: bool,
                 internal_filter: tuple[object, str, tuple[str, ...]] | None,
                 external_filter: tuple[object, str, tuple[str, ...]] | None) -> None:
        self.internal_chain, self.has_internal = internal_chain, has_internal
        self.external_policy_chain, self.has_external = external_policy_chain, has_external
        self.uses_external_chain, self.uses_fw_chain = uses_external_chain, uses_fw_chain
        self.internal_filter, self.external_filter = internal_filter, external_filter


def _policy(svc: ServicePortInfo, local: Sequence, has_any: bool) -> _Policy:
    name = svc.name_string
    internal_chain, has_internal = svc.chains.svc, has_any
    if svc.internal_policy_local:
        internal_chain, has_internal = svc.chains.svl, has_any and bool(local)
    external_chain, has_external = svc.chains.svc, has_any
    if svc.external_policy_local:
        external_chain, has_external = svc.chains.svl, has_any and bool(local)
    internal_filter = external_filter = None
    if not has_any:
        internal_filter = external_filter = (_REJECT, f"{name} has no endpoints", ("R-KP-5",))
    else:
        if not has_internal:
            internal_filter = (_DROP, f"{name} has no local endpoints", ("R-TP-4",))
        if not has_external:
            external_filter = (_DROP, f"{name} has no local endpoints", ("R-TP-2",))
    return _Policy(
        internal_chain=internal_chain,
        has_internal=has_internal,
        external_policy_chain=external_chain,
        has_external=has_external,
        uses_external_chain=has_any and svc.externally_accessible,
        uses_fw_chain=has_any and bool(svc.load_balancer_vips) and bool(svc.load_balancer_source_ranges),
        internal_filter=internal_filter,
        external_filter=external_filter,
    )


class _KubeProxyWriter:
    """Writes one node's kube-proxy rules into a :class:`RuleSet` (``syncProxyRules``)."""

    def __init__(self, ruleset: RuleSet, inputs: ProxyInputs, large: bool) -> None:
        self.nat = ruleset.nat
        self.filter = ruleset.filter
        self.node = inputs.node_name
        self.node_ip = inputs.node_ips[0] if inputs.node_ips else ""
        self.cluster_cidr = inputs.cluster_cidr
        self.large = large
        self.nat_services = self.nat.chain(KUBE_SERVICES)
        self.nat_nodeports = self.nat.chain(KUBE_NODEPORTS)
        self.filter_services = self.filter.chain(KUBE_SERVICES)
        self.filter_external = self.filter.chain(KUBE_EXTERNAL_SERVICES)
        self.filter_nodeports = self.filter.chain(KUBE_NODEPORTS)
        self.filter_firewall = self.filter.chain(KUBE_PROXY_FIREWALL)
        self.not_local = Src(inputs.cluster_cidr, negate=True) if inputs.cluster_cidr else None
        self._probabilities: dict[int, Statistic] = {}
        self._probability_tuples: dict[int, tuple[Statistic]] = {}
        self._protos: dict[str, Proto] = {}
        self._proto_matches: dict[str, ProtoMatch] = {}
        self._dports: dict[tuple[str, int], DPort] = {}

    # ----------------------------------------------------------------- fixed chains and hooks

    def hooks(self) -> None:
        """``iptablesJumpChains`` + kubelet's ``KUBE-FIREWALL`` (R-KP-1, R-KP-2).

        kube-proxy inserts each jump at the top of its built-in chain in list order, so the
        later entries end up first; kubelet's ``KUBE-FIREWALL`` jumps already existed (kubelet
        starts first) and stay last.
        """
        jumps = [
            ("filter", KUBE_EXTERNAL_SERVICES, "INPUT", "kubernetes externally-visible service portals", True),
            ("filter", KUBE_EXTERNAL_SERVICES, "FORWARD", "kubernetes externally-visible service portals", True),
            ("filter", KUBE_NODEPORTS, "INPUT", "kubernetes health check service ports", False),
            ("filter", KUBE_SERVICES, "FORWARD", "kubernetes service portals", True),
            ("filter", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", True),
            ("filter", KUBE_FORWARD, "FORWARD", "kubernetes forwarding rules", False),
            ("filter", KUBE_PROXY_FIREWALL, "INPUT", "kubernetes load balancer firewall", True),
            ("filter", KUBE_PROXY_FIREWALL, "OUTPUT", "kubernetes load balancer firewall", True),
            ("filter", KUBE_PROXY_FIREWALL, "FORWARD", "kubernetes load balancer firewall", True),
            ("nat", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", False),
            ("nat", KUBE_SERVICES, "PREROUTING", "kubernetes service portals", False),
            ("nat", KUBE_POSTROUTING, "POSTROUTING", "kubernetes postrouting rules", False),
        ]
        for table_name, dst, src, comment, new_only in jumps:
            table = self.nat if table_name == "nat" else self.filter
            matches = (_NEW, Comment(comment)) if new_only else (Comment(comment),)
            cites = ("R-KP-1",) if table_name == "nat" else ("R-KP-2",)
            _prepend(table.chain(src), matches, Jump(dst), cites)
        for src in ("INPUT", "OUTPUT"):
            self.filter.chain(src).add(target=Jump(KUBE_FIREWALL), cites=("R-KP-2",))

    def fixed_chains(self) -> None:
        """Chains kube-proxy always writes: masquerade marking, POSTROUTING, forwarding."""
        for name in (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL):
            self.filter.chain(name)
        for name in (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ):
            self.nat.chain(name)
        post = self.nat.chain(KUBE_POSTROUTING)
        mark = Mark(MASQUERADE_MARK, MASQUERADE_MARK, negate=True)
        post.add(mark, target=Return(), cites=("R-KP-1",))
        post.add(target=XorMark(MASQUERADE_MARK), cites=("R-KP-1",))
        post.add(Comment("kubernetes service traffic requiring SNAT"), target=Masquerade(random_fully=True),
                 cites=("R-KP-1", "R-KP-9"))
        self.nat.chain(KUBE_MARK_MASQ).add(target=SetMark(MASQUERADE_MARK, MASQUERADE_MARK), cites=("R-KP-1",))
        self.filter.chain(KUBE_FIREWALL).add(
            Src("127.0.0.0/8", negate=True), Dst("127.0.0.0/8"), Comment("block incoming localnet connections"),
            CtState(("RELATED", "ESTABLISHED", "DNAT"), negate=True), target=_DROP, cites=("R-KP-2", "R-KP-4"),
        )

    def finish(self) -> None:
        """The last KUBE-SERVICES rule (nodePorts) and KUBE-FORWARD (R-KP-2, R-KP-4)."""
        self.nat_services.add(
            Comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
            _LOCAL_DST, target=Jump(KUBE_NODEPORTS), cites=("R-KP-4",),
        )
        forward = self.filter.chain(KUBE_FORWARD)
        forward.add(CtState(("INVALID",)), target=_DROP, cites=("R-KP-2",))
        forward.add(Comment("kubernetes forwarding rules"), Mark(MASQUERADE_MARK, MASQUERADE_MARK),
                    target=Accept(), cites=("R-KP-2",))
        forward.add(Comment("kubernetes forwarding conntrack rule"), CtState(("RELATED", "ESTABLISHED")),
                    target=Accept(), cites=("R-KP-2",))

    # ----------------------------------------------------------------- one service port

    def service_port(self, svc: ServicePortInfo, endpoints: Sequence[ProxyEndpoint]) -> None:
        """All rules of one service port, in ``syncProxyRules``' order."""
        cat = categorize_endpoints(endpoints, self.node, uses_cluster=svc.uses_cluster, uses_local=svc.uses_local)
        pol = _policy(svc, cat.local, cat.has_any)
        proto, dport = self._proto(svc.proto), self._dport(svc.proto, svc.port)
        cluster_ip = (Dst(svc.cluster_ip), proto, Comment(f"{svc.name_string} cluster IP"), dport)
        self._capture(svc, pol, cat.has_any, cluster_ip)
        if pol.has_internal and self.not_local is not None:
            # off-cluster sources reaching the ClusterIP are masqueraded (R-KP-3, R-KP-9)
            self.nat.chain(pol.internal_chain).rules.append(
                Rule((self.not_local, *cluster_ip), _JUMP_MARK_MASQ, ("R-KP-3", "R-KP-9")))
        if pol.uses_external_chain:
            self._external_chain(svc, pol)
        if pol.uses_fw_chain:
            self._firewall_chain(svc)
        seps = self._endpoint_chains(svc, cat.all_reachable)
        if cat.cluster and svc.uses_cluster:
            self._endpoint_rules(svc, svc.chains.svc, cat.cluster, seps)
        if cat.local and svc.uses_local:
            self._endpoint_rules(svc, svc.chains.svl, cat.local, seps)

    def _proto(self, proto: str) -> Proto:
        found = self._protos.get(proto)
        if found is None:
            found = self._protos[proto] = Proto(proto)
        return found

    def _dport(self, proto: str, port: int) -> DPort:
        found = self._dports.get((proto, port))
        if found is None:
            found = self._dports[(proto, port)] = DPort(proto, port)
        return found

    def _capture(self, svc: ServicePortInfo, pol: _Policy, has_any: bool, cluster_ip: tuple) -> None:
        """KUBE-SERVICES / KUBE-NODEPORTS entries, or the filter rules that refuse or drop."""
        name, proto = svc.name_string, self._proto(svc.proto)
        dport = cluster_ip[3]
        if pol.has_internal:
            cites = ("R-KP-3", "R-TP-4") if svc.internal_policy_local else ("R-KP-3",)
            self.nat_services.rules.append(Rule(cluster_ip, Jump(pol.internal_chain), cites))
        elif pol.internal_filter is not None:
            target, comment, cites = pol.internal_filter
            self.filter_services.add(Dst(svc.cluster_ip), proto, Comment(comment), dport, target=target, cites=cites)
        ext_jump = Jump(svc.chains.ext)
        for ip in svc.external_ips:
            if has_any:
                self.nat_services.add(Dst(ip), proto, Comment(f"{name} external IP"), dport,
                                      target=ext_jump, cites=("R-EX-1", "R-TP-1"))
            self._external_filter(pol, Dst(ip), proto, dport)
        lb_jump = Jump(svc.chains.fw if pol.uses_fw_chain else svc.chains.ext)
        for ip in svc.load_balancer_vips:
            if has_any:
                self.nat_services.add(Dst(ip), proto, Comment(f"{name} loadbalancer IP"), dport,
                                      target=lb_jump, cites=("R-EX-2", "R-TP-1"))
            if pol.uses_fw_chain:
                comment = Comment(f"{name} traffic not accepted by {svc.chains.fw}")
                self.filter_firewall.add(Dst(ip), proto, comment, dport, target=_DROP, cites=("R-EX-2",))
        for ip in svc.load_balancer_vips:
            self._external_filter(pol, Dst(ip), proto, dport)
        if svc.node_port:
            self._node_port(svc, pol, has_any)
        if svc.health_check_node_port:
            self.filter_nodeports.add(Proto("tcp"), Comment(f"{name} health check node port"),
                                      DPort("tcp", svc.health_check_node_port), target=Accept(), cites=("R-TP-3",))

    def _external_filter(self, pol: _Policy, dst: Dst, proto: Proto, dport: DPort) -> None:
        if pol.external_filter is not None:
            target, comment, cites = pol.external_filter
            self.filter_external.add(dst, proto, Comment(comment), dport, target=target, cites=cites)

    def _node_port(self, svc: ServicePortInfo, pol: _Policy, has_any: bool) -> None:
        proto, dport = self._proto(svc.proto), self._dport(svc.proto, svc.node_port)
        if has_any:
            self.nat_nodeports.add(proto, Comment(svc.name_string), dport, target=Jump(svc.chains.ext),
                                   cites=("R-KP-4", "R-TP-1"))
        if pol.external_filter is not None:
            target, comment, cites = pol.external_filter
            self.filter_external.add(proto, Comment(comment), _LOCAL_DST, dport, target=target, cites=cites)

    def _external_chain(self, svc: ServicePortInfo, pol: _Policy) -> None:
        """KUBE-EXT: masquerade + Cluster chain, or the Local short-circuits (R-TP-1, R-TP-2)."""
        ext, name = self.nat.chain(svc.chains.ext), svc.name_string
        if not svc.external_policy_local:
            ext.add(Comment(f"masquerade traffic for {name} external destinations"), target=_JUMP_MARK_MASQ,
                    cites=("R-KP-9", "R-TP-1"))
        else:
            to_cluster = Jump(svc.chains.svc)
            if self.cluster_cidr:
                ext.add(Src(self.cluster_cidr), Comment(f"pod traffic for {name} external destinations"),
                        target=to_cluster, cites=("R-TP-2",))
            ext.add(Comment(f"masquerade LOCAL traffic for {name} external destinations"), _LOCAL_SRC,
                    target=_JUMP_MARK_MASQ, cites=("R-TP-2",))
            ext.add(Comment(f"route LOCAL traffic for {name} external destinations"), _LOCAL_SRC,
                    target=to_cluster, cites=("R-TP-2",))
        if pol.has_external:
            cites = ("R-TP-2",) if svc.external_policy_local else ("R-TP-1",)
            ext.add(target=Jump(pol.external_policy_chain), cites=cites)

    def _firewall_chain(self, svc: ServicePortInfo) -> None:
        """KUBE-FW: only ``loadBalancerSourceRanges`` sources go on to KUBE-EXT (R-EX-2)."""
        fw, name = self.nat.chain(svc.chains.fw), svc.name_string
        comment, to_ext = Comment(f"{name} loadbalancer IP"), Jump(svc.chains.ext)
        allow_from_node = False
        for cidr in svc.load_balancer_source_ranges:
            fw.add(Src(cidr), comment, target=to_ext, cites=("R-EX-2",))
            allow_from_node = allow_from_node or _contains(cidr, self.node_ip)
        if allow_from_node:
            for ip in svc.load_balancer_vips:
                fw.add(Src(ip), comment, target=to_ext, cites=("R-EX-2",))
        fw.add(Comment(f"other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL"),
               target=Continue(), cites=("R-EX-2",))

    def _comment(self, text: str) -> tuple[Comment, ...]:
        """``appendServiceCommentLocked``: no comment in large cluster mode."""
        return () if self.large else (Comment(text),)

    def _probability_only(self, n: int) -> tuple[Statistic]:
        """``(self._probability(n),)``, one tuple per ``n`` (large-cluster rules share them)."""
        found = self._probability_tuples.get(n)
        if found is None:
            found = self._probability_tuples[n] = (self._probability(n),)
        return found

    def _probability(self, n: int) -> Statistic:
        found = self._probabilities.get(n)
        if found is None:
            found = self._probabilities[n] = Statistic(1.0 / n)
        return found

    def _endpoint_rules(
        self, svc: ServicePortInfo, chain_name: str, endpoints: Sequence[ProxyEndpoint], seps: dict[int, tuple[str, str]]
    ) -> None:
        """``writeServiceToEndpointRules``: affinity checks, then 1/(n-i) random picks (R-KP-6, R-SA-1)."""
        rules, name = self.nat.chain(chain_name).rules, svc.name_string
        chosen = [seps[id(ep)] for ep in endpoints]
        large = self.large
        if svc.client_ip_affinity:
            for sep, text in chosen:
                recent = Recent(sep, seconds=svc.sticky_max_age_seconds)
                matches = (recent,) if large else (_new_comment(f"{name} -> {text}"), recent)
                rules.append(Rule(matches, Jump(sep), ("R-SA-1", "R-SA-2")))
        n = len(chosen)
        probability, append = self._probability, rules.append
        for i, (sep, text) in enumerate(chosen):
            if large:
                matches = self._probability_only(n - i) if i < n - 1 else ()
            else:
                comment = _new_comment(f"{name} -> {text}")
                matches = (comment, probability(n - i)) if i < n - 1 else (comment,)
            append(_new_rule(matches, _new_jump(sep), _PICK_CITES))

    def _endpoint_chains(self, svc: ServicePortInfo, endpoints: Sequence[ProxyEndpoint]) -> dict[int, tuple[str, str]]:
        """KUBE-SEP per endpoint: hairpin masquerade, then DNAT to ``ip:port`` (R-KP-7).

        With ClientIP affinity the DNAT rule also records the source (``-m recent --set``,
        R-SA-1). Returns each endpoint's (chain name, ``ip:port``) by ``id``.
        """
        name, protocol, chains = svc.name_string, svc.protocol, self.nat.chains
        comment = self._comment(name)
        head, tail = (self._proto(svc.proto), *comment), (self._proto_match(svc.proto),)
        affinity = svc.client_ip_affinity
        cites = ("R-KP-7", "R-SA-1") if affinity else ("R-KP-7",)
        recipe = (comment, head, tail, head + tail, affinity, cites)
        seps: dict[int, tuple[str, str]] = {}
        hashed = name + protocol.lower()  # endpoint_chain()'s input, less the endpoint
        for ep in endpoints:
            text = str(ep)
            sep = SEP_PREFIX + hash16(hashed + text)
            seps[id(ep)] = (sep, text)
            found = chains.get(sep)
            if found is None:
                chains[sep] = _EndpointChain(sep, recipe, ep.ip, text)
            else:
                found.rules += _endpoint_chain_rules(sep, recipe, ep.ip, text)
        return seps

    def _proto_match(self, proto: str) -> ProtoMatch:
        found = self._proto_matches.get(proto)
        if found is None:
            found = self._proto_matches[proto] = ProtoMatch(proto)
        return found


_new_rule, _new_src, _new_dnat = constructor(Rule), constructor(Src), constructor(DNat)
_new_jump, _new_comment = constructor(Jump), constructor(Comment)


def _endpoint_chain_rules(sep: str, recipe: tuple, ip: str, text: str) -> list[Rule]:
    """A KUBE-SEP chain's two rules: masquerade hairpin traffic, then DNAT (R-KP-7, R-SA-1)."""
    comment, head, tail, plain, affinity, cites = recipe
    masq = _new_rule((_new_src(ip), *comment), _JUMP_MARK_MASQ, _SEP_MASQ_CITES)
    dnat = _new_rule((*head, Recent(sep, set=True), *tail) if affinity else plain, _new_dnat(text), cites)
    return [masq, dnat]


class _EndpointChain(Chain):
    """A KUBE-SEP chain whose rules are written when first read.

    A node's tables hold one such chain per endpoint of every Service (150,000 in a large
    cluster) while a walk reads only the few it jumps to; ``rules`` is exactly the list
    :func:`_endpoint_chain_rules` makes, whoever asks (rendering, the netns backend, a walk).
    """

    __slots__ = ("_recipe", "_ip", "_text")

    def __init__(self, name: str, recipe: tuple, ip: str, text: str) -> None:
        _CHAIN_NAME.__set__(self, name)
        self._recipe, self._ip, self._text = recipe, ip, text

    @property  # type: ignore[override]
    def rules(self) -> list[Rule]:
        try:
            return _CHAIN_RULES.__get__(self, Chain)
        except AttributeError:
            built = _endpoint_chain_rules(self.name, self._recipe, self._ip, self._text)
            _CHAIN_RULES.__set__(self, built)
            return built

    @rules.setter
    def rules(self, value: list[Rule]) -> None:
        _CHAIN_RULES.__set__(self, value)


_CHAIN_NAME, _CHAIN_RULES = Chain.__dict__["name"], Chain.__dict__["rules"]
"""The slots of :class:`Chain` (its ``rules`` is a property of :class:`_EndpointChain`)."""


def _prepend(chain: Chain, matches: tuple, target: Jump, cites: tuple[str, ...]) -> None:
    """``EnsureRule(Prepend, ...)``: insert at the top of the chain."""
    chain.rules.insert(0, Rule(matches, target, cites))


def _contains(cidr: str, ip: str) -> bool:
    if not ip:
        return False
    parsed = parse_cidr_sloppy(cidr)
    addr = parse_ip_sloppy(ip)
    return parsed is not None and addr is not None and addr in parsed[1]


def _service_ports(inputs: ProxyInputs) -> list[tuple[ServicePortInfo, Sequence[ProxyEndpoint]]]:
    ports = []
    for service in inputs.services:
        for info in service_port_infos(service):
            eps = inputs.endpoints_for(info.namespace, info.name, (info.port_name, info.protocol))
            ports.append((info, sorted(eps, key=str)))  # byEndpoint: kube-proxy sorts by "ip:port"
    ports.sort(key=lambda p: (p[0].namespace, p[0].name, p[0].port_name, p[0].protocol))
    return ports


def add_kube_proxy_rules(ruleset: RuleSet, inputs: ProxyInputs) -> None:
    """Write this node's kube-proxy rules (nat and filter) into ``ruleset``."""
    ports = _service_ports(inputs)
    total = sum(len(eps) for _, eps in ports)
    writer = _KubeProxyWriter(ruleset, inputs, large=total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD)
    writer.hooks()
    writer.fixed_chains()
    for info, eps in ports:
        writer.service_port(info, eps)
    writer.finish()
