"""Recording Kubernetes Events the way client-go's event recorder does: repeats are aggregated.

Controllers call :func:`record` with the event's type, reason, message, source component and
the object it is about. An event identical to one already recorded for the same object (same
type, reason, message, source and ``fieldPath``) is not appended again: the earlier one's
``count`` grows by one and its ``lastTimestamp`` moves to now, which is what ``kubectl
describe`` shows as ``10s (x3 over 2m)``. Timestamps come from the cluster's logical clock.

The aggregation index lives beside the cluster (dropped when the cluster is collected)
and holds, per involved object, the position of each distinct event in ``cluster.events``. If
someone replaces or trims that list, the index notices the mismatch and appends instead.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import TYPE_CHECKING

from grader.model.objects import Object, evolve
from grader.sim.clock import format_timestamp
from grader.sim.events import Event

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["events_about", "record", "timestamp"]

_Involved = tuple[str, str, str, str]
"""``(kind, namespace, name, uid)`` of an involved object."""

_Identity = tuple[str, str, str, str, str]
"""``(fieldPath, type, reason, message, source)``: what makes two events about one object the same."""

class _State:
    """Per-cluster bookkeeping: the aggregation index and the last formatted instant."""

    __slots__ = ("index", "moment", "text")

    def __init__(self) -> None:
        self.index: dict[_Involved, dict[_Identity, int]] = {}
        self.moment: datetime | None = None
        self.text = ""


_STATES: dict[int, _State] = {}


def _state(cluster: "Cluster") -> _State:
    found = _STATES.get(id(cluster))
    if found is None:
        found = _STATES[id(cluster)] = _State()
        weakref.finalize(cluster, _STATES.pop, id(cluster), None)
    return found


def timestamp(cluster: "Cluster") -> str:
    """``cluster.clock.timestamp()``, formatted once per instant (controllers ask thousands of times)."""
    return _now(_state(cluster), cluster)


def _now(state: _State, cluster: "Cluster") -> str:
    now = cluster.clock.now
    if state.moment is not now:
        state.moment, state.text = now, format_timestamp(now)
    return state.text


def _involved(obj: Object) -> _Involved:
    meta = obj.metadata
    return (obj.KIND, meta.namespace, meta.name, meta.uid)


def record(
    cluster: "Cluster",
    type: str,  # noqa: A002 - the Event field's Kubernetes name
    reason: str,
    message: str,
    source: str,
    obj: Object,
    *,
    field_path: str = "",
) -> Event:
    """Record one event about ``obj``; an exact repeat bumps the earlier event's count.

    ``field_path`` (``spec.containers{web}``) only distinguishes otherwise identical events
    about different containers of one pod, as the involved object's fieldPath does.
    """
    state = _STATES.get(id(cluster)) or _state(cluster)
    meta = obj.metadata
    involved = (obj.KIND, meta.namespace, meta.name, meta.uid)
    seen = state.index.get(involved)
    if seen is None:
        seen = state.index[involved] = {}
    identity = (field_path, type, reason, message, source)
    now = state.text if state.moment is cluster.clock.now else _now(state, cluster)
    events = cluster.events
    at = seen.get(identity)
    if at is not None and at < len(events):
        old = events[at]
        if old.reason == reason and old.message == message and old.involved_name == involved[2]:
            events[at] = evolve(old, count=old.count + 1, last_timestamp=now)
            return events[at]
    event = Event(type, reason, message, source, involved[0], involved[2], involved[1], now, now)
    seen[identity] = len(events)
    events.append(event)
    return event


def events_about(cluster: "Cluster", obj: Object) -> list[Event]:
    """The events recorded about ``obj`` (this very object: same uid), oldest first."""
    positions = sorted(_state(cluster).index.get(_involved(obj), {}).values())
    events = cluster.events
    return [events[at] for at in positions if at < len(events)]
