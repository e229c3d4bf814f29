"""What expectations are evaluated against: a backend plus what the learner applied.

Most expectations only need a backend: they probe it (``curl``) or read objects (``list``,
``get``). Two need more: whether the learner's manifest was *accepted* or *rejected* (and with
which message) is not stored in any cluster — it is the answer ``kubectl apply`` printed. A
:class:`Context` carries both::

    ctx = Context(get_backend())
    ctx.apply(learner_yaml, source="web.yaml")     # backend.apply + remember the ApplyResult
    report = run(ctx, [rejected("Service", "web", containing="valid range")])

or, when the apply already happened elsewhere, ``Context(backend, applies=[result])``.
Expectations look up an object's result newest first (:meth:`Context.object_result`), so a
learner who fixes a manifest and applies it again is judged on the latest attempt.

Every ``evaluate``/``run`` accepts a plain backend too; it is wrapped in a fresh Context
without apply results (``accepted`` then falls back to "the object exists"; ``rejected``
reports an ERROR that says a Context is needed).
"""

from __future__ import annotations

from typing import Any

from grader.backends.base import Backend
from grader.errors import UsageError
from grader.model.kinds import resource_for
from grader.sim.results import ApplyResult, ObjectResult

__all__ = ["REFERENCE_OUTSIDE_IP", "Context", "kind_name"]

REFERENCE_OUTSIDE_IP = "172.18.0.1"
"""The docker host on the reference kind network (DESIGN.md), for backends that do not say."""


def kind_name(kind: str) -> str:
    """``svc`` / ``services`` / ``Service`` -> ``Service`` (unknown kinds are kept as written)."""
    found = resource_for(kind)
    return found.cls.KIND if found is not None else kind


class Context:
    """A backend and the :class:`ApplyResult` of every apply made through it, oldest first."""

    def __init__(self, backend: Backend, applies: list[ApplyResult] | tuple[ApplyResult, ...] = ()) -> None:
        if isinstance(backend, Context):
            raise UsageError("Context(backend): pass the backend, not another Context")
        self.backend = backend
        self.applies: list[ApplyResult] = list(applies)

    @classmethod
    def of(cls, target: Any) -> "Context":
        """``target`` itself when it is a Context, else a new Context around the backend."""
        if isinstance(target, Context):
            return target
        if not all(hasattr(target, m) for m in ("curl", "apply", "list", "get")):
            raise UsageError(f"expected a backend or a Context, not {type(target).__name__}")
        return cls(target)

    def __repr__(self) -> str:
        return f"<Context {getattr(self.backend, 'name', '?')} applies={len(self.applies)}>"

    # ------------------------------------------------------------------ applies

    def apply(self, manifests: Any, source: str | None = None) -> ApplyResult:
        """``kubectl apply`` through the backend; the result is remembered and returned."""
        result = self.backend.apply(manifests, source=source)
        self.applies.append(result)
        return result

    def record(self, result: ApplyResult) -> None:
        """Remember an apply made elsewhere."""
        self.applies.append(result)

    def object_result(self, kind: str, name: str, namespace: str = "default") -> ObjectResult | None:
        """The newest result for that object (kind in any spelling kubectl accepts)."""
        wanted = kind_name(kind)
        for applied in reversed(self.applies):
            for item in reversed(applied.objects):
                same_ns = not item.namespace or item.namespace == namespace
                if kind_name(item.kind) == wanted and item.name == name and same_ns:
                    return item
        return None

    def file_errors(self) -> list[str]:
        """Errors that stopped whole files (YAML syntax, no kind, ...), oldest first."""
        return [e for applied in self.applies for e in applied.file_errors]

    # ------------------------------------------------------------------ the cluster

    @property
    def cluster(self) -> Any:
        """The simulated :class:`~grader.sim.cluster.Cluster` behind the backend, or None."""
        return getattr(self.backend, "cluster", None)

    def outside_ip(self) -> str:
        """The outside client's address as pods see it when nothing rewrites it."""
        explicit = getattr(self.backend, "outside_ip", None)
        if isinstance(explicit, str) and explicit:
            return explicit
        cluster = self.cluster
        if cluster is not None:
            return str(cluster.topology.outside_ip)
        return REFERENCE_OUTSIDE_IP
