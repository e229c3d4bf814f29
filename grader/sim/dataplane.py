"""Walking one new connection through hosts, routes and iptables rules, hop by hop.

This is a small netfilter interpreter. A packet enters a host — a pod's network namespace, a
node, or the outside client — and goes where a Linux kernel would send it. On a node: ``nat``
PREROUTING (OUTPUT for the node's own processes), the routing decision, ``filter`` INPUT /
FORWARD / OUTPUT, ``nat`` POSTROUTING, then the wire to the next host. Rules come from
:mod:`grader.sim.netfilter` rule sets; the walker knows iptables' semantics (first match wins,
jumps and returns, DNAT and MASQUERADE end the nat walk, REJECT answers, DROP does not, built-in
chains fall through to ACCEPT) and nothing about Kubernetes. Every rule that fires and every
routing decision is recorded as a :class:`Hop`.

Statistic matches ask a :class:`Chooser`: a seeded draw for an ordinary probe, or a replayed
decision list when :func:`explore` enumerates every path a connection could take, each with
its probability.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Protocol, Sequence

from grader.model.drafts import constructor
from grader.model.objects import evolve
from grader.records import frozen
from grader.sim import netfilter as nf

__all__ = [
    "Chooser",
    "Ending",
    "Fabric",
    "Hop",
    "Packet",
    "Route",
    "Walk",
    "explore",
    "in_cidr",
    "walk",
]

MAX_HOPS = 64
INDEX_THRESHOLD = 16


@lru_cache(maxsize=65536)
def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr if "/" in cidr else f"{cidr}/32", strict=False)


@lru_cache(maxsize=262144)
def _addr(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(ip)


def in_cidr(ip: str, cidr: str) -> bool:
    """Is ``ip`` inside ``cidr`` (a bare address means /32)?"""
    key = (ip, cidr)
    found = _INSIDE.get(key)
    if found is None:
        found = _addr(ip) in _net(cidr)
        if len(_INSIDE) >= 262144:
            _INSIDE.clear()
        _INSIDE[key] = found
    return found


_INSIDE: dict[tuple[str, str], bool] = {}
"""Answers of :func:`in_cidr` (walks ask the same few questions again and again)."""


# ------------------------------------------------------------------ values


@frozen
class Packet:
    """The first packet of a connection, as it is at one point of its journey."""

    protocol: str
    src: str
    sport: int
    dst: str
    dport: int
    mark: int = 0

    def with_(self, **changes: object) -> "Packet":
        return evolve(self, **changes)

    def __str__(self) -> str:
        return f"{self.protocol} {self.src}:{self.sport} -> {self.dst}:{self.dport}"


@frozen
class Hop:
    """One step of a journey: where, what happened, and the rule or route responsible."""

    host: str
    step: str
    rule: str = ""
    cites: tuple[str, ...] = ()

    def render(self, label: Callable[[str], str] = str) -> str:
        """The hop as trace text, naming the host with ``label``."""
        text = f"[{label(self.host)}] {self.step}"
        if self.rule:
            text += f"\n    {self.rule}"
        if self.cites:
            text += f"  ({', '.join(self.cites)})"
        return text

    def __str__(self) -> str:
        text = f"[{self.host}] {self.step}"
        if self.rule:
            text += f"\n    {self.rule}"
        if self.cites:
            text += f"  ({', '.join(self.cites)})"
        return text


@frozen
class Ending:
    """How a journey ended.

    ``kind``: ``delivered`` (a socket accepted it), ``refused`` (RST, or an ICMP error from a
    REJECT rule), ``dropped`` (silently lost: the client times out) or ``unknown`` (it reached a
    pod whose app the simulator cannot know). ``packet`` is what the receiver saw (after NAT).
    """

    kind: str
    host: str
    packet: Packet
    reason: str
    listener: object = None
    rule: str = ""
    cites: tuple[str, ...] = ()


@frozen
class Walk:
    """One complete path: hops, ending, and its probability (1.0 for an ordinary probe)."""

    hops: tuple[Hop, ...]
    ending: Ending
    probability: float = 1.0


@frozen
class Route:
    """A routing decision: ``local`` delivery, ``forward`` to ``next_host``, or ``blackhole``."""

    kind: str
    next_host: str = ""
    reason: str = ""


class Fabric(Protocol):
    """What the walker needs to know about the network (see :mod:`grader.sim.network`)."""

    def kind(self, host: str) -> str:
        """``node``, ``pod`` or ``outside``."""

    def label(self, host: str) -> str:
        """How a trace names the host (``kind-worker``, ``pod web-1``, ``outside``)."""

    def rules(self, host: str) -> nf.RuleSet | None:
        """A node's rule set (None for hosts without kube rules)."""

    def local_addresses(self, host: str) -> frozenset[str]:
        """Addresses that are LOCAL on the host."""

    def route(self, host: str, packet: Packet) -> Route:
        """Where the host sends the packet."""

    def interface_address(self, host: str, next_host: str) -> str:
        """The address MASQUERADE picks for a packet leaving ``host`` towards ``next_host``."""

    def ephemeral_port(self) -> int:
        """A source port for a rewritten packet (seeded)."""

    def accept(self, host: str, packet: Packet) -> Ending:
        """Local delivery: a listener takes the connection, or the host refuses it."""

    def recent(self, host: str) -> dict[str, dict[str, float]]:
        """The host's ``-m recent`` tables (name -> source IP -> last seen, seconds)."""

    def now(self) -> float:
        """Logical time in seconds."""


class Chooser:
    """Decides ``-m statistic`` matches: a seeded draw, or a replayed list of decisions."""

    def __init__(self, draw: Callable[[], float] | None = None, prefix: tuple[bool, ...] = ()) -> None:
        self.draw = draw
        self.prefix = prefix
        self.decisions: list[bool] = []
        self.probability = 1.0

    def decide(self, p: float) -> bool:
        i = len(self.decisions)
        if self.draw is not None:
            taken = self.draw() < p
        else:
            taken = self.prefix[i] if i < len(self.prefix) else True
        self.decisions.append(taken)
        self.probability *= p if taken else 1.0 - p
        return taken


# ------------------------------------------------------------------ matching


def rendered(rule: nf.Rule, chain: str) -> str:
    """``rule.render(chain)``, remembered: a trace shows the same few rules again and again."""
    key = (id(rule), chain)
    hit = _RENDERED.get(key)
    if hit is not None and hit[0] is rule:
        return hit[1]
    text = rule.render(chain)
    if len(_RENDERED) >= 65536:
        _RENDERED.clear()
    _RENDERED[key] = (rule, text)
    return text


_RENDERED: dict[tuple[int, str], tuple[nf.Rule, str]] = {}


def _addrtype(address: str, wanted: str, negate: bool, local: frozenset[str]) -> bool:
    is_local = address in local or in_cidr(address, "127.0.0.0/8")
    hit = is_local if wanted == "LOCAL" else not is_local
    return hit != negate


class _Interpreter:
    """Evaluates one host's tables for one packet."""

    def __init__(self, fabric: Fabric, host: str, chooser: Chooser, hops: list[Hop], indexes: dict) -> None:
        self.fabric, self.host, self.chooser, self.hops, self.indexes = fabric, host, chooser, hops, indexes
        self.local = fabric.local_addresses(host)

    def match_one(self, m: nf.Match, pkt: Packet) -> bool:  # noqa: C901 - one branch per match type
        if isinstance(m, nf.Comment):
            return True
        if isinstance(m, nf.Dst):
            return in_cidr(pkt.dst, m.cidr) != m.negate
        if isinstance(m, nf.Src):
            return in_cidr(pkt.src, m.cidr) != m.negate
        if isinstance(m, nf.Proto):
            return pkt.protocol.lower() == m.protocol.lower()
        if isinstance(m, nf.DPort):
            return pkt.protocol.lower() == m.protocol.lower() and pkt.dport == m.port
        if isinstance(m, nf.MultiPort):
            return pkt.dport in m.ports
        if isinstance(m, nf.AddrType):
            return _addrtype(pkt.dst, m.dst_type, m.negate, self.local)
        if isinstance(m, nf.SrcAddrType):
            return _addrtype(pkt.src, m.src_type, m.negate, self.local)
        if isinstance(m, nf.ProtoMatch):
            return pkt.protocol.lower() == m.protocol.lower()
        if isinstance(m, nf.Mark):
            return ((pkt.mark & m.mask) == m.value) != m.negate
        if isinstance(m, nf.CtState):
            return ("NEW" in m.states) != m.negate
        if isinstance(m, nf.Recent):
            return self.recent(m, pkt)
        raise TypeError(f"the packet walker does not know the match {m!r}")

    def recent(self, m: nf.Recent, pkt: Packet) -> bool:
        table = self.fabric.recent(self.host).setdefault(m.name, {})
        if m.set:
            table[pkt.src] = self.fabric.now()
            return True
        seen = table.get(pkt.src)
        return seen is not None and self.fabric.now() - seen <= m.seconds

    def candidates(self, chain: nf.Chain, pkt: Packet) -> Sequence[int]:
        """Rule indices that could match, in order (an index for long chains, all rules otherwise)."""
        if len(chain.rules) < INDEX_THRESHOLD:
            return _ALL[len(chain.rules)]
        index = self.indexes.get(id(chain))
        if index is None or index[0] is not chain.rules:
            index = self.indexes[id(chain)] = (chain.rules, _build_index(chain.rules))
        by_key, always = index[1]
        proto = pkt.protocol.lower()
        hits = by_key.get(("d", pkt.dst, proto, pkt.dport), []) + by_key.get(("p", proto, pkt.dport), [])
        return sorted(hits + always) if hits else always

    def run(self, table: nf.Table, builtin: str, pkt: Packet) -> tuple[str, Packet, nf.Rule | None, str]:
        """Walk a built-in chain; return (verdict, packet, deciding rule, its chain).

        Verdicts: ``accept`` (ACCEPT or fell through), ``dnat``, ``masquerade``, ``reject``, ``drop``.
        A jump that comes back without doing anything (no verdict, no mark) leaves no hop, so
        a trace shows only the rules that mattered.
        """
        stack: list[tuple[str, Sequence[int], int, int, int]] = []
        jumps: list[tuple[str, nf.Rule, str]] = []  # the jump hops so far, made into Hops on the way out
        chain = table.chains.get(builtin)
        name, order, pos = builtin, (self.candidates(chain, pkt) if chain else ()), 0
        while True:
            rules = table.chains[name].rules if name in table.chains else []
            jumped = False
            while pos < len(order):
                rule = rules[order[pos]]
                pos += 1
                # Does the rule match? Its checks in order, then its statistic match (see _plan).
                plan = _PLANS.get(id(rule))
                if plan is None or plan[0] is not rule:
                    plan = _plan(rule)
                matched = True
                for check, m in plan[1]:
                    if not check(self, m, pkt):
                        matched = False
                        break
                if not matched:
                    continue
                statistic = plan[2]
                if statistic is not None and not self.chooser.decide(statistic.probability):
                    continue
                target = rule.target
                kind = target.__class__
                if kind is nf.Jump:
                    stack.append((name, order, pos, len(jumps), pkt.mark))
                    jumps.append((name, rule, target.chain))
                    sub = table.chains.get(target.chain)
                    name, order, pos = target.chain, (self.candidates(sub, pkt) if sub else ()), 0
                    jumped = True
                    break
                if kind is nf.Return:
                    break
                if kind is nf.SetMark:
                    pkt = pkt.with_(mark=(pkt.mark & ~target.mask) | (target.value & target.mask))
                    continue
                if kind is nf.XorMark:
                    pkt = pkt.with_(mark=pkt.mark ^ target.value)
                    continue
                if kind is nf.Continue:
                    continue
                self._add_jumps(table, jumps)
                return _VERDICTS[kind], pkt, rule, name
            if jumped:
                continue
            if not stack:
                self._add_jumps(table, jumps)
                return "accept", pkt, None, name
            name, order, pos, jumps_before, mark_before = stack.pop()
            if pkt.mark == mark_before:  # nothing happened down there: no hop shows the jump
                del jumps[jumps_before:]

    def _add_jumps(self, table: nf.Table, jumps: list[tuple[str, nf.Rule, str]]) -> None:
        host, hops = self.host, self.hops
        for name, rule, to in jumps:
            hops.append(_new_hop(host, f"{table.name} {name}: jump to {to}", rendered(rule, name), rule.cites))


def _statistic(interp: _Interpreter, m: nf.Statistic, pkt: Packet) -> bool:  # pragma: no cover - a marker
    raise AssertionError("statistic matches are decided last")


_CHECKS: dict[type, Callable[[_Interpreter, nf.Match, Packet], bool]] = {
    nf.Comment: lambda interp, m, pkt: True,
    nf.Dst: lambda interp, m, pkt: in_cidr(pkt.dst, m.cidr) != m.negate,
    nf.Src: lambda interp, m, pkt: in_cidr(pkt.src, m.cidr) != m.negate,
    nf.Proto: lambda interp, m, pkt: pkt.protocol.lower() == m.protocol.lower(),
    nf.DPort: lambda interp, m, pkt: pkt.protocol.lower() == m.protocol.lower() and pkt.dport == m.port,
    nf.ProtoMatch: lambda interp, m, pkt: pkt.protocol.lower() == m.protocol.lower(),
    nf.Statistic: _statistic,
    nf.AddrType: lambda interp, m, pkt: _addrtype(pkt.dst, m.dst_type, m.negate, interp.local),
    nf.SrcAddrType: lambda interp, m, pkt: _addrtype(pkt.src, m.src_type, m.negate, interp.local),
    nf.Mark: lambda interp, m, pkt: ((pkt.mark & m.mask) == m.value) != m.negate,
    nf.CtState: lambda interp, m, pkt: ("NEW" in m.states) != m.negate,
    nf.MultiPort: lambda interp, m, pkt: pkt.dport in m.ports,
    nf.Recent: lambda interp, m, pkt: interp.recent(m, pkt),
}
"""``match_one`` by exact match class, for the classes a walk meets most (same answers)."""


def _plan(rule: nf.Rule) -> tuple[nf.Rule, tuple, nf.Statistic | None]:
    """How to test a rule: its checks in order (comments need none), and its last statistic match."""
    checks = []
    statistic = None
    for m in rule.matches:
        check = _CHECKS.get(m.__class__)
        if check is _statistic or (check is None and isinstance(m, nf.Statistic)):
            statistic = m
        elif check is None:  # a class not in _CHECKS: the general way
            checks.append((_Interpreter.match_one, m))
        elif m.__class__ is not nf.Comment:
            checks.append((check, m))
    plan = (rule, tuple(checks), statistic)
    if len(_PLANS) >= 65536:
        _PLANS.clear()
    _PLANS[id(rule)] = plan
    return plan


_PLANS: dict[int, tuple[nf.Rule, tuple, nf.Statistic | None]] = {}

_new_hop = constructor(Hop)
_ALL = tuple(tuple(range(n)) for n in range(INDEX_THRESHOLD))
"""Every rule index of a short chain, by chain length (walks only read them)."""

_VERDICTS = {nf.DNat: "dnat", nf.Masquerade: "masquerade", nf.Reject: "reject", nf.Drop: "drop", nf.Accept: "accept"}


def _build_index(rules: list[nf.Rule]) -> tuple[dict, list[int]]:
    by_key: dict[tuple, list[int]] = {}
    always: list[int] = []
    for i, rule in enumerate(rules):
        key = _rule_key(rule)
        if key is None:
            always.append(i)
        else:
            by_key.setdefault(key, []).append(i)
    return by_key, always


def _rule_key(rule: nf.Rule) -> tuple | None:
    dst = next((m for m in rule.matches if isinstance(m, nf.Dst) and not m.negate), None)
    port = next((m for m in rule.matches if isinstance(m, nf.DPort)), None)
    if port is None:
        return None
    if dst is not None:
        net = _net(dst.cidr)
        if net.prefixlen != net.max_prefixlen:  # more than one address
            return None
        return ("d", str(net.network_address), port.protocol.lower(), port.port)
    return ("p", port.protocol.lower(), port.port)


# ------------------------------------------------------------------ the journey


@dataclass
class _Journey:
    fabric: Fabric
    chooser: Chooser
    indexes: dict
    hops: list[Hop] = field(default_factory=list)
    interpreters: dict[str, _Interpreter] = field(default_factory=dict)

    def table(self, host: str, name: str, builtin: str, pkt: Packet) -> tuple[str, Packet, nf.Rule | None, str]:
        rules = self.fabric.rules(host)
        if rules is None:
            return "accept", pkt, None, builtin
        interp = self.interpreters.get(host)
        if interp is None:
            interp = self.interpreters[host] = _Interpreter(self.fabric, host, self.chooser, self.hops, self.indexes)
        return interp.run(rules.table(name), builtin, pkt)

    def stop(self, kind: str, host: str, pkt: Packet, reason: str, rule: nf.Rule | None = None, chain: str = "") -> Ending:
        return Ending(kind, host, pkt, reason, rule=rendered(rule, chain) if rule else "", cites=rule.cites if rule else ())

    def nat(self, host: str, builtin: str, pkt: Packet) -> Packet:
        verdict, pkt2, rule, chain = self.table(host, "nat", builtin, pkt)
        if verdict == "dnat" and rule is not None:
            to = rule.target.to  # type: ignore[union-attr]
            ip, _, port = to.rpartition(":")
            new = pkt2.with_(dst=ip, dport=int(port))
            self.hops.append(_new_hop(host, f"nat {chain}: DNAT {pkt2.dst}:{pkt2.dport} -> {to}", rendered(rule, chain), rule.cites))
            return new
        return pkt2

    def filter(self, host: str, builtin: str, pkt: Packet) -> Ending | None:
        verdict, pkt2, rule, chain = self.table(host, "filter", builtin, pkt)
        if verdict == "reject" and rule is not None:
            self.hops.append(_new_hop(host, f"filter {chain}: REJECT (the client gets \"connection refused\")", rendered(rule, chain), rule.cites))
            return self.stop("refused", host, pkt2, rule.comment or "rejected by a filter rule", rule, chain)
        if verdict == "drop" and rule is not None:
            self.hops.append(_new_hop(host, f"filter {chain}: DROP (nothing answers; the client times out)", rendered(rule, chain), rule.cites))
            return self.stop("dropped", host, pkt2, rule.comment or "dropped by a filter rule", rule, chain)
        return None

    def postrouting(self, host: str, next_host: str, pkt: Packet) -> Packet:
        verdict, pkt2, rule, chain = self.table(host, "nat", "POSTROUTING", pkt)
        if verdict == "masquerade" and rule is not None:
            src = self.fabric.interface_address(host, next_host)
            new = pkt2.with_(src=src, sport=self.fabric.ephemeral_port(), mark=0)
            self.hops.append(_new_hop(host, f"nat {chain}: MASQUERADE source {pkt2.src} -> {src}", rendered(rule, chain), rule.cites))
            return new
        return pkt2.with_(mark=0) if pkt2.mark else pkt2

    def route(self, host: str, pkt: Packet) -> Route:
        """Ask the host's routing table; a blackhole is only reported if the packet dies there."""
        route = self.fabric.route(host, pkt)
        if route.reason and route.kind != "blackhole":
            self.hops.append(_new_hop(host, route.reason))
        return route

    def lost(self, host: str, pkt: Packet, route: Route) -> Ending:
        self.hops.append(_new_hop(host, route.reason))
        return self.stop("dropped", host, pkt, route.reason)

    def deliver(self, host: str, pkt: Packet) -> Ending:
        ending = self.fabric.accept(host, pkt)
        self.hops.append(_new_hop(host, ending.reason, cites=ending.cites))
        return ending

    def at(self, host: str, pkt: Packet, originated: bool) -> tuple[Ending | None, str, Packet]:
        """Process the packet on one host: (ending, or None and the next host and packet)."""
        if self.fabric.kind(host) != "node":
            route = self.route(host, pkt)
            if route.kind == "local" or not originated:
                return self.deliver(host, pkt), "", pkt
            if route.kind == "blackhole":
                return self.lost(host, pkt, route), "", pkt
            return None, route.next_host, pkt
        pkt = self.nat(host, "OUTPUT" if originated else "PREROUTING", pkt)
        route = self.route(host, pkt)
        if route.kind == "local":
            ending = self.filter(host, "OUTPUT", pkt) if originated else None
            if originated and ending is None:
                # The node's own packet leaves through lo: nat POSTROUTING (KUBE-POSTROUTING's
                # MASQUERADE) applies before it comes back in (R-KP-9).
                pkt = self.postrouting(host, host, pkt)
            ending = ending or self.filter(host, "INPUT", pkt)
            return (ending or self.deliver(host, pkt)), "", pkt
        ending = self.filter(host, "OUTPUT" if originated else "FORWARD", pkt)
        if ending:
            return ending, "", pkt
        if route.kind == "blackhole":
            return self.lost(host, pkt, route), "", pkt
        return None, route.next_host, self.postrouting(host, route.next_host, pkt)


def _journey(fabric: Fabric, start: str, packet: Packet, chooser: Chooser, indexes: dict) -> Walk:
    journey = _Journey(fabric, chooser, indexes)
    host, pkt, originated = start, packet, True
    for _ in range(MAX_HOPS):
        ending, next_host, pkt = journey.at(host, pkt, originated)
        if ending is not None:
            return Walk(tuple(journey.hops), ending, chooser.probability)
        journey.hops.append(_new_hop(host, f"sends {pkt} to {fabric.label(next_host)}"))
        host, originated = next_host, False
    ending = Ending("dropped", host, pkt, f"routing loop: more than {MAX_HOPS} hops")
    return Walk(tuple(journey.hops), ending, chooser.probability)


def walk(fabric: Fabric, start: str, packet: Packet, draw: Callable[[], float], indexes: dict | None = None) -> Walk:
    """Send one packet from ``start``; statistic matches use ``draw``."""
    return _journey(fabric, start, packet, Chooser(draw=draw), {} if indexes is None else indexes)


def explore(fabric: Fabric, start: str, packet: Packet, indexes: dict | None = None, limit: int = 4096) -> list[Walk]:
    """Every path the packet could take, each with its probability (affinity state untouched)."""
    indexes = {} if indexes is None else indexes
    walks: list[Walk] = []
    pending: list[tuple[bool, ...]] = [()]
    while pending and len(walks) < limit:
        prefix = pending.pop()
        chooser = Chooser(prefix=prefix)
        walks.append(_journey(fabric, start, packet, chooser, indexes))
        for i in range(len(prefix), len(chooser.decisions)):
            if chooser.decisions[i]:
                pending.append(tuple(chooser.decisions[:i]) + (False,))
    return walks
