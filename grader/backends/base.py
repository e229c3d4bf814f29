"""The one narrow interface every backend implements.

A backend is a cluster you can write manifests to and probe: the simulator (default, pure
Python), the netns backend (the simulator's decisions realised in a real Linux data plane), or
a real cluster through a kubeconfig. Everything above this line — checks, notebooks, the
command line — talks to :class:`Backend` only, so the same exercise runs on all three.

Outcomes are results, never exceptions: a rejected manifest is an
:class:`~grader.sim.results.ApplyResult` with errors, a refused curl is a
:class:`~grader.sim.probe.ProbeResult` with outcome ``REFUSED``. Exceptions are for misuse
and for a backend that cannot run (:class:`~grader.errors.BackendUnavailable`).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from grader.model.objects import Object
from grader.sim.probe import ProbeResult
from grader.sim.results import ApplyResult, CommandOutput

__all__ = ["Backend"]


@runtime_checkable
class Backend(Protocol):
    """apply, delete, read, probe, say whether it can run, close."""

    name: str

    def available(self) -> str | None:
        """None when the backend can run here; otherwise the reason it cannot (one sentence)."""

    def apply(self, manifests: Any, source: str | None = None) -> ApplyResult:
        """``kubectl apply``: create or update every object; kubectl's output as data."""

    def delete(self, kind: str, name: str, namespace: str = "default") -> CommandOutput:
        """``kubectl delete <kind> <name>``."""

    def get(self, kind: str, name: str, namespace: str = "default") -> Object | None:
        """One object as the cluster stores it, or None."""

    def list(self, kind: str, namespace: str | None = "default") -> list[Object]:
        """Objects of a kind (``namespace=None``: all namespaces)."""

    def curl(self, source: str, url: str, *, timeout: float = 3.0, container: str = "",
             namespace: str = "default") -> ProbeResult:
        """``curl -sS --connect-timeout`` from ``outside``, ``node/NAME`` or ``pod/NAME``."""

    def curl_every(self, source: str, url: str, *, namespace: str = "default") -> list[ProbeResult]:
        """Every result the connection could have (load balancing), each with its probability.

        Backends that cannot enumerate (real kernels, real clusters) repeat the probe enough
        times to see every endpoint with high probability and report observed frequencies.
        """

    def close(self) -> None:
        """Release everything the backend created; safe to call twice."""
