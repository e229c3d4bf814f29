"""Kubernetes Ports, hands-on: a simulated cluster, kubectl views and (soon) reachability checks.

The public API is what ``__all__`` lists; everything else is internal and may change. Names
are imported lazily, so ``import grader`` stays cheap and submodules import independently.
"""

from __future__ import annotations

import importlib
from typing import Any

from grader._version import __version__
from grader.errors import (
    BackendUnavailable,
    GraderError,
    ManifestError,
    NotFoundError,
    UsageError,
)

__all__ = [
    "ApplyResult",
    "BackendUnavailable",
    "Cluster",
    "CommandOutput",
    "GraderError",
    "ManifestError",
    "NotFoundError",
    "ObjectResult",
    "Topology",
    "UsageError",
    "__version__",
]

_LAZY = {
    "ApplyResult": "grader.sim.results",
    "Cluster": "grader.sim.cluster",
    "CommandOutput": "grader.sim.results",
    "ObjectResult": "grader.sim.results",
    "Topology": "grader.sim.topology",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
