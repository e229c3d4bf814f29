"""The simulator behind the :class:`~grader.backends.base.Backend` interface (the default)."""

from __future__ import annotations

from typing import Any

from grader.errors import NotFoundError
from grader.model.objects import Object
from grader.sim.cluster import Cluster
from grader.sim.probe import ProbeResult, curl
from grader.sim.results import ApplyResult, CommandOutput
from grader.sim.topology import Topology

__all__ = ["SimBackend"]


class SimBackend:
    """A fresh simulated cluster (reference kind topology unless told otherwise)."""

    name = "sim"

    def __init__(self, topology: Topology | str = "kind", *, seed: int = 0, cluster: Cluster | None = None) -> None:
        self.cluster = cluster if cluster is not None else Cluster(topology, seed=seed)

    def __repr__(self) -> str:
        return f"<SimBackend {self.cluster!r}>"

    def available(self) -> str | None:
        return None

    def apply(self, manifests: Any, source: str | None = None) -> ApplyResult:
        return self.cluster.apply(manifests, source=source)

    def delete(self, kind: str, name: str, namespace: str = "default") -> CommandOutput:
        return self.cluster.delete(kind, name, namespace)

    def get(self, kind: str, name: str, namespace: str = "default") -> Object | None:
        try:
            return self.cluster.get(kind, name, namespace)
        except NotFoundError:
            return None

    def list(self, kind: str, namespace: str | None = "default") -> list[Object]:
        return self.cluster.list(kind, namespace)

    def curl(self, source: str, url: str, *, timeout: float = 3.0, container: str = "",
             namespace: str = "default") -> ProbeResult:
        result = curl(self.cluster, source, url, timeout=timeout, container=container, namespace=namespace)
        assert isinstance(result, ProbeResult)
        return result

    def curl_every(self, source: str, url: str, *, namespace: str = "default") -> list[ProbeResult]:
        results = curl(self.cluster, source, url, namespace=namespace, every=True)
        assert isinstance(results, list)
        return results

    def close(self) -> None:
        return None
