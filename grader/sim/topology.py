"""The shape of a simulated cluster: nodes, their addresses, CIDRs and the outside client.

The default is the reference kind cluster of DESIGN.md (one tainted control plane, two
workers, the docker host as the outside client). ``single`` is kind with one node, which kind
leaves untainted. Any other topology can be described in a small YAML file::

    nodes:
    - {name: laptop-node, ip: 192.168.1.2}
    outside: 192.168.1.10
    podCIDR: 10.244.0.0/16        # optional, one /24 per node in node order
    serviceCIDR: 10.96.0.0/16     # optional
    nodePortRange: 30000-32767    # optional
"""

from __future__ import annotations

import ipaddress
from dataclasses import field
from pathlib import Path
from typing import Any

from grader.errors import ManifestError, UsageError
from grader.model.yamlload import load_documents, read_source
from grader.records import frozen

__all__ = ["CONTROL_PLANE_TAINT", "NodeSpecification", "Topology"]

CONTROL_PLANE_TAINT = ("node-role.kubernetes.io/control-plane", "", "NoSchedule")
_CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


@frozen
class NodeSpecification:
    """One node of a topology: name, address, pod CIDR, labels and taints."""

    name: str
    ip: str
    pod_cidr: str
    control_plane: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[tuple[str, str, str], ...] = ()

    def all_labels(self) -> dict[str, str]:
        """The labels kind puts on a node, plus the topology's own."""
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
        }
        if self.control_plane:
            labels[_CONTROL_PLANE_LABEL] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        labels.update(self.labels)
        return labels


@frozen
class Topology:
    """Nodes, the outside client and the cluster-wide address ranges."""

    name: str
    nodes: tuple[NodeSpecification, ...]
    outside_ip: str = "172.18.0.1"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.96.0.0/16"
    node_port_range: tuple[int, int] = (30000, 32767)

    def node(self, name: str) -> NodeSpecification | None:
        return next((n for n in self.nodes if n.name == name), None)

    @classmethod
    def kind(cls) -> "Topology":
        """The reference cluster: ``kind-control-plane`` (tainted), ``kind-worker``, ``kind-worker2``."""
        return cls.build(
            "kind",
            [("kind-control-plane", "172.18.0.2", True), ("kind-worker", "172.18.0.3", False),
             ("kind-worker2", "172.18.0.4", False)],
        )

    @classmethod
    def single(cls) -> "Topology":
        """kind with one node: a control plane that kind leaves untainted."""
        topo = cls.build("single", [("kind-control-plane", "172.18.0.2", True)])
        only = topo.nodes[0]
        untainted = NodeSpecification(only.name, only.ip, only.pod_cidr, True, only.labels, ())
        return Topology("single", (untainted,), topo.outside_ip)

    @classmethod
    def build(
        cls,
        name: str,
        nodes: list[tuple[str, str, bool]],
        outside_ip: str = "172.18.0.1",
        pod_cidr: str = "10.244.0.0/16",
        **ranges: Any,
    ) -> "Topology":
        """Nodes from ``(name, ip, is_control_plane)``; pod /24s handed out in node order."""
        subnets = ipaddress.ip_network(pod_cidr).subnets(new_prefix=24)
        specs = []
        for (node_name, ip, cp), subnet in zip(nodes, subnets):
            taints = (CONTROL_PLANE_TAINT,) if cp else ()
            specs.append(NodeSpecification(node_name, ip, str(subnet), cp, {}, taints))
        return cls(name, tuple(specs), outside_ip, pod_cidr, **ranges)

    @classmethod
    def named(cls, spec: str) -> "Topology":
        """``kind``, ``single``, or the path of a topology YAML file."""
        if spec == "kind":
            return cls.kind()
        if spec == "single":
            return cls.single()
        return cls.from_file(spec)

    @classmethod
    def from_file(cls, path: str | Path) -> "Topology":
        docs = load_documents(read_source(path), str(path))
        if len(docs) != 1 or not isinstance(docs[0].data, dict):
            raise ManifestError(f"error: {path}: a topology file is one YAML mapping", source=str(path))
        return cls.from_dict(docs[0].data, str(path))

    @classmethod
    def from_dict(cls, data: dict, name: str = "custom") -> "Topology":
        """Build from the file format in the module docstring; raise UsageError on mistakes."""
        nodes = data.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise UsageError(f"{name}: 'nodes' must be a non-empty list")
        entries = []
        for i, node in enumerate(nodes):
            if not isinstance(node, dict) or "name" not in node or "ip" not in node:
                raise UsageError(f"{name}: nodes[{i}] needs a name and an ip")
            entries.append((str(node["name"]), _ip(node["ip"], name), bool(node.get("controlPlane"))))
        low, high = _port_range(data.get("nodePortRange", "30000-32767"), name)
        return cls.build(
            name,
            entries,
            outside_ip=_ip(data.get("outside", "172.18.0.1"), name),
            pod_cidr=str(data.get("podCIDR", "10.244.0.0/16")),
            service_cidr=str(data.get("serviceCIDR", "10.96.0.0/16")),
            node_port_range=(low, high),
        )


def _ip(value: object, name: str) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not an IP address") from None


def _port_range(value: object, name: str) -> tuple[int, int]:
    try:
        low, high = (int(p) for p in str(value).split("-"))
    except ValueError:
        raise UsageError(f"{name}: nodePortRange must look like 30000-32767") from None
    if not 1 <= low <= high <= 65535:
        raise UsageError(f"{name}: nodePortRange {value} is not a valid port range")
    return low, high
