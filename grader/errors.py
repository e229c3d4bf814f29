"""Exceptions raised for misuse of the grader.

Outcomes are never exceptions: a Service the API server rejects, a Pod that stays Pending or a
curl that is refused are *results*, exactly as in a real cluster. Exceptions are for callers
that use the library wrongly or hand it input that is not a manifest at all.

The tree::

    GraderError                 anything this package raises on purpose
    ├── ManifestError           the input is not a usable manifest (YAML syntax, size, encoding,
    │                           a document that is not a mapping, no kind, ...); carries the
    │                           one-line message kubectl would print
    ├── NotFoundError           a named object does not exist
    ├── UsageError              a call or command line that cannot be honoured
    └── BackendUnavailable      a backend cannot run here; carries the reason
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "GraderError",
    "ManifestError",
    "NotFoundError",
    "UsageError",
]


class GraderError(Exception):
    """Base class of every exception this package raises on purpose."""


class ManifestError(GraderError):
    """The input cannot be turned into API objects (syntax, size, encoding, shape).

    ``str(err)`` is the complete one-line message, naming the file and the problem.
    """

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class NotFoundError(GraderError):
    """A named object (or node, or pod for a probe) does not exist."""


class UsageError(GraderError):
    """The caller asked for something that cannot be done (bad argument, bad flag)."""


class BackendUnavailable(GraderError):
    """A backend cannot run on this machine; ``reason`` says why."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"backend {backend!r} is unavailable: {reason}")
        self.backend = backend
        self.reason = reason
