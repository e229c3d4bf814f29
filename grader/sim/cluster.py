"""A simulated cluster: what ``kubectl`` talks to when there is no real one.

>>> from grader.sim.cluster import Cluster
>>> cluster = Cluster(seed=0)                      # the reference kind cluster
>>> print(cluster.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 80}]}
... '''))
The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767

A :class:`Cluster` owns its topology, a logical clock, seeded random streams and the API
server's registry. Same inputs and same seed give the same IPs, nodePorts, UIDs and output.
"""

from __future__ import annotations

import os
import random
from typing import Any

from grader.errors import ManifestError, NotFoundError, UsageError
from grader.model.apierrors import ApiError
from grader.model.kinds import RESOURCES, DecodeFailure, Resource, decode_document, expand_lists, resource_for
from grader.model.objects import evolve, Object
from grader.model.yamlload import Document, load_documents, read_source
from grader.sim import bootstrap
from grader.sim.allocators import ClusterIPAllocator, NodePortAllocator, PodIPAllocator
from grader.sim.clock import Clock
from grader.sim.controllers import ControlPlane, paused_gc
from grader.sim.controllers.endpoints import (
    EndpointsController,
    EndpointSliceController,
    EndpointSliceMirroringController,
)
from grader.sim.controllers.kubelet import Kubelet
from grader.sim.controllers.loadbalancer import LoadBalancerController
from grader.sim.controllers.scheduler import Scheduler
from grader.sim.controllers.workloads import DeploymentController, ReplicaSetController
from grader.sim.events import Event
from grader.sim.registry import Registry
from grader.sim.results import ApplyResult, CommandOutput, ObjectResult
from grader.sim.service_alloc import ServiceAllocators
from grader.sim.topology import Topology

__all__ = ["Cluster"]

Manifests = Any
"""YAML text, bytes, a path, a mapping, an API object, or a list of any of these."""


class Cluster:
    """The simulated API server and cluster state for one topology and seed."""

    def __init__(self, topology: Topology | str = "kind", *, seed: int = 0, load_balancer: bool = False) -> None:
        self.topology = Topology.named(topology) if isinstance(topology, str) else topology
        self.seed = seed
        self.clock = Clock()
        self.pools = ServiceAllocators(
            ClusterIPAllocator(self.topology.service_cidr, random.Random(f"clusterip-{seed}")),
            NodePortAllocator(*self.topology.node_port_range, random.Random(f"nodeport-{seed}")),
        )
        self.pod_ips = {n.name: PodIPAllocator(n.pod_cidr) for n in self.topology.nodes}
        self.registry = Registry(self.clock, self.pools, seed)
        self.events: list[Event] = []
        self._streams: dict[str, random.Random] = {}
        self.recent_tables: dict[str, dict[str, dict[str, float]]] = {}
        self._network: Any = None
        self.registry.watch(self._forget_network)
        self.control_plane = ControlPlane(self, [
            DeploymentController(self), ReplicaSetController(self), Scheduler(self), Kubelet(self),
            EndpointSliceController(self), EndpointsController(self), EndpointSliceMirroringController(self),
        ] + ([LoadBalancerController(self)] if load_balancer else []))
        bootstrap.install(self)
        self.reconcile()

    def random(self, stream: str) -> random.Random:
        """A named random stream of this cluster (e.g. ``"pod-names"``), seeded from the seed.

        Separate streams keep one kind of choice from shifting another: adding a probe
        does not change the next pod's name.
        """
        found = self._streams.get(stream)
        if found is None:
            found = self._streams[stream] = random.Random(f"{stream}-{self.seed}")
        return found

    def _forget_network(self, kind: type, old: object, new: object) -> None:
        self._network = None

    def network(self) -> Any:
        """The network as probes see it (rebuilt lazily after any change).

        The snapshot is built with the garbage collector paused, like a reconcile
        (:class:`~grader.sim.controllers.paused_gc`).
        """
        if self._network is None:
            from grader.sim.network import Network

            with paused_gc():
                self._network = Network(self)
        return self._network

    def reconcile(self) -> None:
        """Let the controllers catch up with every write (runs after each apply and delete)."""
        self.control_plane.reconcile()

    def __repr__(self) -> str:
        nodes = ",".join(n.name for n in self.topology.nodes)
        return f"<Cluster {self.topology.name} seed={self.seed} nodes={nodes}>"

    # ------------------------------------------------------------------ writes

    def apply(self, manifests: Manifests, source: str | None = None) -> ApplyResult:
        """``kubectl apply -f``: create or update every object; never raises for bad input.

        Decoding, storing and the reconcile that follows run with the garbage collector paused
        (:class:`~grader.sim.controllers.paused_gc`): they allocate many long-lived, acyclic
        objects; whatever is cyclic (an aliased YAML document) is collected once the pause ends.
        """
        with paused_gc():
            return self._apply(manifests, source)

    def _apply(self, manifests: Manifests, source: str | None) -> ApplyResult:
        self.clock.advance()
        decoded, file_errors = _collect(manifests, source)
        if not decoded and not file_errors:
            return ApplyResult(messages=("error: no objects passed to apply",))
        results = []
        for item, src in decoded:
            if isinstance(item, DecodeFailure):
                results.append(_bad_request(item, src))
            elif not item.name:
                file_errors.append(_missing_name(item, src))
            else:
                results.append(self.registry.apply(item, src))
        self.reconcile()
        return ApplyResult(tuple(results), tuple(file_errors))

    def delete(self, kind: str | type, name: str, namespace: str = "default") -> CommandOutput:
        """``kubectl delete <kind> <name>``: remove an object and release what it held."""
        self.clock.advance()
        res = _resource(kind)
        ns = namespace if res.cls.NAMESPACED else ""
        if self.registry.delete(res.cls, ns, name) is None:
            message = f'Error from server (NotFound): {res.plural} "{name}" not found'
            return CommandOutput("", message, 1)
        self.reconcile()
        group = f".{res.cls.GROUP}" if res.cls.GROUP else ""
        return CommandOutput(f'{res.singular}{group} "{name}" deleted', "", 0)

    # ------------------------------------------------------------------ reads

    def get(self, kind: str | type, name: str, namespace: str = "default") -> Object:
        """One stored object; raises :class:`NotFoundError` if there is none."""
        res = _resource(kind)
        obj = self.registry.get(res.cls, namespace, name)
        if obj is None:
            raise NotFoundError(f'{res.plural} "{name}" not found')
        return obj

    def list(self, kind: str | type, namespace: str | None = "default") -> list[Object]:
        """Stored objects of a kind in a namespace (``None``: all namespaces)."""
        res = _resource(kind)
        return self.registry.list(res.cls, namespace if res.cls.NAMESPACED else None)


# ---------------------------------------------------------------------- input handling


def _resource(kind: str | type) -> Resource:
    if isinstance(kind, type):
        found = next((r for r in RESOURCES if r.cls is kind), None)
    else:
        found = resource_for(kind)
    if found is None:
        raise UsageError(f'error: the server doesn\'t have a resource type "{kind}"')
    return found


def _collect(manifests: Manifests, source: str | None) -> tuple[list[tuple[Any, str]], list[str]]:
    """Turn any accepted input into (object-or-failure, source) pairs plus file-level errors."""
    decoded: list[tuple[Any, str]] = []
    errors: list[str] = []
    items = manifests if isinstance(manifests, (list, tuple)) else [manifests]
    for item in items:
        src = source or (str(item) if isinstance(item, os.PathLike) else "<input>")
        if isinstance(item, Object):
            decoded.append((_scoped(item), src))
            continue
        try:
            docs = _documents(item, src)
        except ManifestError as exc:
            errors.append(str(exc))
            continue
        for doc in docs:
            try:
                decoded.extend((_scoped(decode_document(d)), src) for d in expand_lists(doc))
            except ManifestError as exc:
                errors.append(str(exc))
    return decoded, errors


def _documents(item: Any, src: str) -> list[Document]:
    if isinstance(item, dict):
        return [Document(src, 1, 1, item)]
    if isinstance(item, os.PathLike):
        return load_documents(read_source(item), src)
    if isinstance(item, (str, bytes)):
        return load_documents(item, src)
    raise ManifestError(f"error: {src}: cannot apply a {type(item).__name__}", source=src)


def _scoped(item: Object | DecodeFailure) -> Object | DecodeFailure:
    """Put namespaced objects in ``default`` when they name none; clear it for cluster-scoped."""
    if isinstance(item, DecodeFailure):
        return item
    meta = item.metadata
    if item.NAMESPACED and not meta.namespace:
        return item.replace(metadata=evolve(meta, namespace="default"))
    if not item.NAMESPACED and meta.namespace:
        return item.replace(metadata=evolve(meta, namespace=""))
    return item


def _bad_request(failure: DecodeFailure, source: str) -> ObjectResult:
    cls = failure.cls
    error = ApiError("BadRequest", cls.KIND, cls.qualified_kind(), failure.name, failure.server_message())
    return ObjectResult(source, cls.KIND, failure.name, error=error.located(source, "creating"))


def _missing_name(obj: Object, source: str) -> str:
    res = _resource(type(obj))
    group_version = obj.API_VERSION if "/" in obj.API_VERSION else "/" + obj.API_VERSION
    return (
        "error: error when retrieving current configuration of:\n"
        f'Resource: "{group_version}, Resource={res.plural}", GroupVersionKind: "{group_version}, Kind={obj.KIND}"\n'
        f'Name: "", Namespace: "{obj.namespace}"\n'
        f'from server for: "{source}": resource name may not be empty'
    )
