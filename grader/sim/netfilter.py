"""iptables rule sets as plain data: what kube-proxy, the CNI portmap plugin and kindnet write.

A :class:`RuleSet` is one node's ``nat`` and ``filter`` tables. Rules are ordered tuples of
*matches* and one *target*, each a small frozen dataclass that renders itself in
``iptables-save`` syntax. The same data is (1) walked by the simulator's packet tracer
(:mod:`grader.sim.dataplane`), (2) printed by ``kports rules`` and (3) loaded into a real
kernel by the netns backend, so there is one source of truth for what a node does.

Every rule may carry ``cites``: the rule ids of the behaviour spec (``R-KP-3`` ...) that make
it exist, so a trace can say *why* a packet went where it went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from grader.records import frozen

__all__ = [
    "Accept",
    "AddrType",
    "Chain",
    "Comment",
    "CtState",
    "DNat",
    "DPort",
    "Drop",
    "Dst",
    "Jump",
    "Mark",
    "Masquerade",
    "Match",
    "MultiPort",
    "Proto",
    "Recent",
    "Reject",
    "Return",
    "Rule",
    "RuleSet",
    "SetMark",
    "Src",
    "Statistic",
    "Table",
    "Target",
]


def _neg(negate: bool) -> str:
    return "! " if negate else ""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- matches


@frozen
class Src:
    """``-s CIDR`` (an address without ``/`` means ``/32``)."""

    cidr: str
    negate: bool = False

    def render(self) -> str:
        cidr = self.cidr if "/" in self.cidr else f"{self.cidr}/32"
        return f"{_neg(self.negate)}-s {cidr}"


@frozen
class Dst:
    """``-d CIDR``."""

    cidr: str
    negate: bool = False

    def render(self) -> str:
        cidr = self.cidr if "/" in self.cidr else f"{self.cidr}/32"
        return f"{_neg(self.negate)}-d {cidr}"


@frozen
class Proto:
    """``-p tcp|udp|sctp`` (lower case, as iptables prints it)."""

    protocol: str

    def render(self) -> str:
        return f"-p {self.protocol.lower()}"


@frozen
class DPort:
    """``-m tcp --dport N``; needs a :class:`Proto` earlier in the rule."""

    protocol: str
    port: int

    def render(self) -> str:
        return f"-m {self.protocol.lower()} --dport {self.port}"


@frozen
class MultiPort:
    """``-m multiport --dports A,B``."""

    ports: tuple[int, ...]

    def render(self) -> str:
        return "-m multiport --dports " + ",".join(str(p) for p in self.ports)


@frozen
class AddrType:
    """``-m addrtype --dst-type LOCAL``: the destination is an address of this host."""

    dst_type: str = "LOCAL"
    negate: bool = False

    def render(self) -> str:
        return f"-m addrtype {_neg(self.negate)}--dst-type {self.dst_type}"


@frozen
class Statistic:
    """``-m statistic --mode random --probability P``, P with 10 decimals as kube-proxy writes it."""

    probability: float

    def render(self) -> str:
        return f"-m statistic --mode random --probability {self.probability:.10f}"


@frozen
class Recent:
    """``-m recent``: ``set`` records the source; otherwise ``--rcheck --seconds S --reap``."""

    name: str
    set: bool = False
    seconds: int = 0

    def render(self) -> str:
        if self.set:
            return f"-m recent --set --name {self.name} --mask 255.255.255.255 --rsource"
        return (f"-m recent --rcheck --seconds {self.seconds} --reap --name {self.name} "
                "--mask 255.255.255.255 --rsource")


@frozen
class Mark:
    """``-m mark --mark V/M``."""

    value: int
    mask: int
    negate: bool = False

    def render(self) -> str:
        return f"-m mark {_neg(self.negate)}--mark {self.value:#x}/{self.mask:#x}"


@frozen
class Comment:
    """``-m comment --comment "..."``; matches everything."""

    text: str

    def render(self) -> str:
        return f"-m comment --comment {_quote(self.text)}"


@frozen
class CtState:
    """``-m conntrack --ctstate NEW`` (the simulator's packets are always NEW connections)."""

    states: tuple[str, ...]
    negate: bool = False

    def render(self) -> str:
        return f"-m conntrack {_neg(self.negate)}--ctstate {','.join(self.states)}"


Match = Union[Src, Dst, Proto, DPort, MultiPort, AddrType, Statistic, Recent, Mark, Comment, CtState]

# --------------------------------------------------------------------------- targets


@frozen
class Jump:
    chain: str

    def render(self) -> str:
        return f"-j {self.chain}"


@frozen
class DNat:
    to: str  # "ip:port"

    def render(self) -> str:
        return f"-j DNAT --to-destination {self.to}"


@frozen
class Masquerade:
    random_fully: bool = False

    def render(self) -> str:
        return "-j MASQUERADE --random-fully" if self.random_fully else "-j MASQUERADE"


@frozen
class SetMark:
    """``-j MARK --set-xmark V/M`` (``--or-mark V`` is ``V/V``)."""

    value: int
    mask: int

    def render(self) -> str:
        return f"-j MARK --set-xmark {self.value:#x}/{self.mask:#x}"


@frozen
class Reject:
    """``-j REJECT`` (default ``icmp-port-unreachable``): the client sees "connection refused"."""

    with_: str = "icmp-port-unreachable"

    def render(self) -> str:
        return f"-j REJECT --reject-with {self.with_}"


@frozen
class Drop:
    def render(self) -> str:
        return "-j DROP"


@frozen
class Accept:
    def render(self) -> str:
        return "-j ACCEPT"


@frozen
class Return:
    def render(self) -> str:
        return "-j RETURN"


Target = Union[Jump, DNat, Masquerade, SetMark, Reject, Drop, Accept, Return]

# --------------------------------------------------------------------------- structure


@frozen
class Rule:
    """One ``-A CHAIN ...`` line: ordered matches, one target, and the spec rules it cites."""

    matches: tuple[Match, ...]
    target: Target
    cites: tuple[str, ...] = ()

    def render(self, chain: str) -> str:
        parts = [f"-A {chain}", *(m.render() for m in self.matches), self.target.render()]
        return " ".join(parts)

    @property
    def comment(self) -> str:
        return next((m.text for m in self.matches if isinstance(m, Comment)), "")


BUILTIN_CHAINS = {
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
}


@dataclass(slots=True)
class Chain:
    name: str
    rules: list[Rule] = field(default_factory=list)

    def add(self, *matches: Match, target: Target, cites: tuple[str, ...] = ()) -> None:
        self.rules.append(Rule(tuple(matches), target, cites))


@dataclass(slots=True)
class Table:
    """A table: built-in chains first (policy ACCEPT), then user chains in creation order."""

    name: str
    chains: dict[str, Chain] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for builtin in BUILTIN_CHAINS[self.name]:
            self.chains.setdefault(builtin, Chain(builtin))

    def chain(self, name: str) -> Chain:
        """The chain of that name, created (empty) if new."""
        found = self.chains.get(name)
        if found is None:
            found = self.chains[name] = Chain(name)
        return found

    def render(self) -> str:
        lines = [f"*{self.name}"]
        for name in self.chains:
            policy = "ACCEPT" if name in BUILTIN_CHAINS[self.name] else "-"
            lines.append(f":{name} {policy} [0:0]")
        for chain in self.chains.values():
            lines.extend(rule.render(chain.name) for rule in chain.rules)
        lines.append("COMMIT")
        return "\n".join(lines)


@dataclass(slots=True)
class RuleSet:
    """A node's ``nat`` and ``filter`` tables."""

    node: str
    nat: Table = field(default_factory=lambda: Table("nat"))
    filter: Table = field(default_factory=lambda: Table("filter"))

    def table(self, name: str) -> Table:
        return self.nat if name == "nat" else self.filter

    def render(self) -> str:
        """The node's rules as one ``iptables-save`` / ``iptables-restore`` document."""
        header = f"# Generated by kports for node {self.node} (kube-proxy iptables mode, CNI portmap, kindnet)"
        return "\n".join([header, self.filter.render(), self.nat.render(), ""])


# --------------------------------------------------------------------------- additions (proxy rules)
# Appended for kube-proxy's layout (grader.sim.proxy); existing classes are unchanged.


@frozen
class SrcAddrType:
    """``-m addrtype --src-type LOCAL``: the *source* is an address of this host.

    kube-proxy's ``KUBE-EXT-*`` chains use it (``externalTrafficPolicy: Local``) to send traffic
    that the node itself originates to the Cluster chain, masqueraded.
    """

    src_type: str = "LOCAL"
    negate: bool = False

    def render(self) -> str:
        return f"-m addrtype {_neg(self.negate)}--src-type {self.src_type}"


@frozen
class ProtoMatch:
    """``-m tcp`` with no options: loads the protocol match and matches every packet of it.

    kube-proxy's DNAT rules carry it (``-p tcp -m tcp -j DNAT ...``); the :class:`Proto` match
    earlier in the rule does the filtering, so a walker can treat this one as always true.
    """

    protocol: str

    def render(self) -> str:
        return f"-m {self.protocol.lower()}"


@frozen
class XorMark:
    """``-j MARK --xor-mark V``: flip the mark bits ``V`` (non-terminating).

    kube-proxy clears its masquerade bit this way in ``KUBE-POSTROUTING`` after testing it is
    set, so the effect is "clear bit V"; ``iptables-save`` prints it as ``--set-xmark V/0x0``.
    """

    value: int

    def render(self) -> str:
        return f"-j MARK --xor-mark {self.value:#x}"


@frozen
class Continue:
    """No ``-j`` at all: the rule only matches (and counts); the packet goes on to the next rule.

    kube-proxy ends each ``KUBE-FW-*`` chain with such a comment-only rule. It renders as the
    empty string (so :meth:`Rule.render` leaves a trailing space that callers may strip).
    """

    def render(self) -> str:
        return ""


Match = Union[Match, SrcAddrType, ProtoMatch]
Target = Union[Target, XorMark, Continue]
__all__ += ["Continue", "ProtoMatch", "SrcAddrType", "XorMark"]
