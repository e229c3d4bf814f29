"""Backends: where manifests are applied and probes run.

``get_backend()`` picks one by argument or by the ``KPORTS_BACKEND`` environment variable; the
simulator (``sim``) is the default. Other backends register a factory here and are imported
lazily, so their dependencies (root and iproute2 for ``netns``, the kubernetes client for
``kube``) are only needed when they are asked for.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable

from grader.backends.base import Backend
from grader.errors import BackendUnavailable, UsageError

__all__ = ["BACKENDS", "Backend", "ENV_VAR", "get_backend", "register"]

ENV_VAR = "KPORTS_BACKEND"

BACKENDS: dict[str, str] = {
    "sim": "grader.backends.sim:SimBackend",
    "netns": "grader.backends.netns:NetnsBackend",
}


def register(name: str, target: str) -> None:
    """Make ``name`` available as ``module.path:Factory``."""
    BACKENDS[name] = target


def _factory(name: str) -> Callable[..., Any]:
    target = BACKENDS.get(name)
    if target is None:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def get_backend(name: str | None = None, **options: Any) -> Backend:
    """The backend called ``name`` (default: ``$KPORTS_BACKEND``, then ``sim``), ready to use.

    Raises :class:`BackendUnavailable` with the backend's own reason when it cannot run here.
    """
    chosen = name or os.environ.get(ENV_VAR) or "sim"
    backend = _factory(chosen)(**options)
    reason = backend.available()
    if reason is not None:
        backend.close()
        raise BackendUnavailable(chosen, reason)
    return backend
