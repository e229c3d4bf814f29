"""Kubernetes Events as the simulator records them, for ``kubectl describe``.

An :class:`Event` is the part of a ``core/v1`` Event that ``kubectl describe`` shows: its type
(``Normal`` or ``Warning``), reason, message, source component (``default-scheduler``,
``kubelet``, ...), the object it is about, and when it was first and last seen (RFC 3339
strings, as the API server writes them) with a repeat count. Rendering lives in
:mod:`grader.sim.describe`.
"""

from __future__ import annotations

from grader.records import frozen


__all__ = ["Event", "NORMAL", "WARNING"]

NORMAL = "Normal"
WARNING = "Warning"


@frozen
class Event:
    """One event about one object; ``count`` > 1 when the same event repeated."""

    type: str
    reason: str
    message: str
    source: str
    involved_kind: str
    involved_name: str
    namespace: str
    first_timestamp: str
    last_timestamp: str
    count: int = 1

    def is_about(self, kind: str, name: str, namespace: str) -> bool:
        """True when this event's involved object is ``kind`` ``namespace/name``.

        An empty ``involved_kind`` matches any kind (kubectl searches pod events by name,
        namespace and uid only).
        """
        same_kind = not self.involved_kind or self.involved_kind == kind
        return same_kind and self.involved_name == name and self.namespace == namespace

    def __str__(self) -> str:
        about = f"{self.involved_kind.lower()}/{self.involved_name}"
        return f"{self.type} {self.reason} {about}: {self.message}"
