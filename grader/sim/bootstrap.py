"""What a fresh kind cluster already holds: namespaces, nodes, and the two system Services.

Nodes report ``capacity`` and ``allocatable`` ``pods: "110"`` (the kubelet's default
``maxPods``), which the scheduler's NodeResourcesFit filter and the kubelet's admission enforce.

Everything is created through the same registry path as the learner's objects (defaulting,
allocation, validation), at the cluster's creation time, so ``kubectl get`` shows the same
``kubernetes`` Service (10.96.0.1) and ``kube-dns`` (10.96.0.10) as kind does.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any

from grader.model.codec import decode
from grader.model.objects import EndpointSlice, Endpoints, Namespace, Node, Service
from grader.sim.clock import EPOCH, format_timestamp
from grader.sim.controllers.scheduler import DEFAULT_MAX_PODS
from grader.sim.registry import uuid4_text
from grader.sim.topology import NodeSpecification

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["KUBELET_VERSION", "install"]

KUBELET_VERSION = "v1.33.1"
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def install(cluster: "Cluster") -> None:
    """Create the objects every kind cluster starts with."""
    now = cluster.clock.now
    cluster.clock.now = EPOCH
    for name in SYSTEM_NAMESPACES:
        _create(cluster, Namespace, {"metadata": {"name": name}})
    for spec in cluster.topology.nodes:
        cluster.registry.put(_node(spec))
    base = ipaddress.ip_network(cluster.topology.service_cidr).network_address
    _create(cluster, Service, _kubernetes_service(str(base + 1)))
    _kubernetes_endpoints(cluster)
    _create(cluster, Service, _kube_dns_service(str(base + 10)))
    cluster.clock.now = now


def _create(cluster: "Cluster", cls: type, data: dict) -> Any:
    meta = data.setdefault("metadata", {})
    if cls.NAMESPACED:
        meta.setdefault("namespace", "default")
    result = cluster.registry.apply(decode(cls, data), "<bootstrap>")
    if result.error is not None:  # pragma: no cover - a bug in this module, not user input
        raise AssertionError(f"bootstrap object rejected: {result.error.message}")
    return result.obj


def _node(spec: NodeSpecification) -> Node:
    data = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec.name,
            "labels": spec.all_labels(),
            "uid": uuid4_text(int.from_bytes(hashlib.sha256(spec.name.encode()).digest()[:16], "big")),
            "creationTimestamp": format_timestamp(EPOCH),
        },
        "spec": {
            "podCIDR": spec.pod_cidr,
            "podCIDRs": [spec.pod_cidr],
            "providerID": f"kind://docker/kind/{spec.name}",
            "taints": [{"key": k, "value": v, "effect": e} for k, v, e in spec.taints] or None,
        },
        "status": {
            "capacity": {"pods": str(DEFAULT_MAX_PODS)},
            "allocatable": {"pods": str(DEFAULT_MAX_PODS)},
            "addresses": [{"type": "InternalIP", "address": spec.ip}, {"type": "Hostname", "address": spec.name}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status"}],
            "nodeInfo": {
                "architecture": "amd64",
                "containerRuntimeVersion": "containerd://2.1.1",
                "kernelVersion": "6.8.0-generic",
                "kubeletVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
            },
        },
    }
    return decode(Node, data)


def _kubernetes_service(cluster_ip: str) -> dict:
    return {
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "clusterIP": cluster_ip,
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        },
    }


def _kubernetes_endpoints(cluster: "Cluster") -> None:
    ip = cluster.topology.nodes[0].ip
    _create(cluster, Endpoints, {
        "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
    })
    _create(cluster, EndpointSlice, {
        "metadata": {"name": "kubernetes", "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    })


def _kube_dns_service(cluster_ip: str) -> dict:
    return {
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                       "kubernetes.io/name": "CoreDNS"},
            "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        },
        "spec": {
            "clusterIP": cluster_ip,
            "selector": {"k8s-app": "kube-dns"},
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
        },
    }
