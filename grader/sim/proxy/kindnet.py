"""kindnetd's masquerade agent: pod traffic leaving the pod network is SNATed to the node.

Source: kubernetes-sigs/kind ``images/kindnetd/cmd/kindnetd/masq.go`` (``IPMasqAgent.SyncRules``,
go-iptables ``AppendUnique``; the ``iptables``-based kindnetd of kind ≤ 0.23). It keeps one nat
chain ``KIND-MASQ-AGENT``:

* ``-d <pod subnet> -j RETURN`` per no-masquerade CIDR (kindnetd's ``POD_SUBNET``, the
  cluster's pod CIDR 10.244.0.0/16), comment
  ``kind-masq-agent: local traffic is not subject to MASQUERADE``;
* ``-j MASQUERADE``, comment
  ``kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)``;

and *appends* to ``POSTROUTING`` a jump for every packet whose destination is not an address
of this node. This is why, on kind, a pod reaching *another* node's IP (e.g. its nodePort)
arrives there with its own node's address as source (R-TP-2 item 3, scenario S25).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.sim.netfilter import AddrType, Comment, Dst, Jump, Masquerade, Return, RuleSet

if TYPE_CHECKING:
    from grader.sim.proxy.rules import ProxyInputs

__all__ = ["KIND_MASQ_AGENT", "add_kindnet_rules"]

KIND_MASQ_AGENT = "KIND-MASQ-AGENT"
_CITES = ("R-TP-2", "R-KP-9")

_HOOK_COMMENT = (
    "kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic "
    "to our custom KIND-MASQ-AGENT chain"
)
_RETURN_COMMENT = "kind-masq-agent: local traffic is not subject to MASQUERADE"
_MASQ_COMMENT = "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)"


def add_kindnet_rules(ruleset: RuleSet, inputs: ProxyInputs) -> None:
    """Add ``KIND-MASQ-AGENT`` and its POSTROUTING hook (appended) to the node's nat table."""
    chain = ruleset.nat.chain(KIND_MASQ_AGENT)
    if inputs.cluster_cidr:
        chain.add(Dst(inputs.cluster_cidr), Comment(_RETURN_COMMENT), target=Return(), cites=_CITES)
    chain.add(Comment(_MASQ_COMMENT), target=Masquerade(), cites=_CITES)
    ruleset.nat.chain("POSTROUTING").add(
        AddrType("LOCAL", negate=True), Comment(_HOOK_COMMENT), target=Jump(KIND_MASQ_AGENT), cites=_CITES
    )
