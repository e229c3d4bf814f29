"""The control plane: controllers that run, in a fixed order, to a fixed point after every write.

Each controller follows the informer pattern: it subscribes to the registry's writes of the kinds
it cares about (:meth:`grader.sim.registry.Registry.watch`) in its constructor, queues what it must look at,
and does the work in :meth:`Controller.sync`, which returns True when it wrote anything. The
:class:`ControlPlane` calls every controller in order until a whole round writes nothing. Time
does not pass while it runs (the clock is logical), so the result depends only on the inputs
and the seed.

While a reconcile runs, Python's cyclic garbage collector is paused (:class:`paused_gc`): the
controllers allocate millions of small, acyclic, long-lived objects in a large cluster, and each
full collection would walk the whole heap only to find nothing. Reference counting still frees
everything that is not in a cycle; collection resumes, as configured, when the round ends. The
same pause covers the rest of an apply (decoding, storing) and the data plane's snapshot, rules
and walks (:meth:`grader.sim.cluster.Cluster.network`), which allocate the same way.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["ControlPlane", "Controller", "MAX_ROUNDS", "paused_gc"]

MAX_ROUNDS = 100


class paused_gc:  # noqa: N801 - used like a function: ``with paused_gc(): ...``
    """Pause the cyclic garbage collector for a bulk of allocations; restore its state after.

    Nested uses are fine: only the outermost one that found collection enabled re-enables it.
    (A small class rather than ``contextlib.contextmanager``: every probe walk enters it.)
    """

    __slots__ = ("_enabled",)

    def __enter__(self) -> None:
        self._enabled = gc.isenabled()
        if self._enabled:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            gc.enable()


class Controller(Protocol):
    """One reconciler: constructed with the cluster, then asked to ``sync`` repeatedly."""

    name: str

    def sync(self) -> bool:
        """Do the queued work; True if anything was written (another round is needed)."""


class ControlPlane:
    """The controllers of a cluster, in the order a round runs them."""

    def __init__(self, cluster: "Cluster", controllers: list[Controller]) -> None:
        self.cluster = cluster
        self.controllers = controllers

    def reconcile(self) -> int:
        """Run rounds until nothing changes; return the number of rounds that wrote something."""
        with paused_gc():
            return self._reconcile()

    def _reconcile(self) -> int:
        for round_number in range(MAX_ROUNDS):
            wrote = False
            for controller in self.controllers:
                wrote = controller.sync() or wrote
            if not wrote:
                return round_number
        names = ", ".join(c.name for c in self.controllers)
        raise RuntimeError(f"the control plane did not settle after {MAX_ROUNDS} rounds ({names})")
