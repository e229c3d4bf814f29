"""The node data plane's rules as data: kube-proxy (iptables mode), CNI portmap and kindnet.

:func:`build_node_rules` turns one node's :class:`ProxyInputs` into a
:class:`~grader.sim.netfilter.RuleSet`; :func:`render_node_rules` prints it as an
``iptables-restore`` document. The modules:

* :mod:`.chains` - chain-name hashing (``KUBE-SVC-…``, ``KUBE-SEP-…``, ``CNI-DN-…``);
* :mod:`.topology` - ``CategorizeEndpoints``: which endpoints a node may use;
* :mod:`.kubeproxy`, :mod:`.portmap`, :mod:`.kindnet` - the three rule writers;
* :mod:`.rules` - the inputs, EndpointSlice reading and the assembly.
"""

from grader.sim.proxy.rules import (
    EndpointsByPort,
    PortKey,
    ProxyEndpoint,
    ProxyInputs,
    build_node_rules,
    endpoints_from_slices,
    render_node_rules,
)
from grader.sim.proxy.topology import CategorizedEndpoints, categorize_endpoints

__all__ = [
    "CategorizedEndpoints",
    "EndpointsByPort",
    "PortKey",
    "ProxyEndpoint",
    "ProxyInputs",
    "build_node_rules",
    "categorize_endpoints",
    "endpoints_from_slices",
    "render_node_rules",
]
