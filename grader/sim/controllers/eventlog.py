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
from typing import TYPE_CHECKING, Iterable

from grader.model.drafts import constructor
from grader.model.objects import Object, evolve
from grader.sim.clock import format_timestamp
from grader.sim.events import Event

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["events_about", "record", "record_many", "timestamp"]

_Involved = str
"""``kind``, ``namespace``, ``name`` and ``uid`` of an involved object, joined by NUL characters."""

_Identity = "str | tuple[str, str, str, str, str]"
"""``fieldPath``, ``type``, ``reason``, ``message`` and ``source`` joined by NUL characters: what
makes two events about one object the same (the tuple of them for a message with a NUL in it).

Strings rather than tuples: a dict of strings and ints is invisible to the cyclic garbage
collector, and the index holds several keys per pod of a large cluster."""

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
    return f"{obj.KIND}\0{meta.namespace}\0{meta.name}\0{meta.uid}"


def _identity(field_path: str, type: str, reason: str, message: str, source: str) -> _Identity:  # noqa: A002
    if "\0" in message:  # names, reasons and sources never hold one; a message might
        return (field_path, type, reason, message, source)
    return f"{field_path}\0{type}\0{reason}\0{message}\0{source}"


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
    involved = f"{obj.KIND}\0{meta.namespace}\0{meta.name}\0{meta.uid}"
    identity = _identity(field_path, type, reason, message, source)
    now = state.text if state.moment is cluster.clock.now else _now(state, cluster)
    events = cluster.events
    seen = state.index.get(involved)
    if seen is None:
        state.index[involved] = {identity: len(events)}
    else:
        at = seen.get(identity)
        if at is not None and at < len(events):
            old = events[at]
            if old.reason == reason and old.message == message and old.involved_name == meta.name:
                events[at] = evolve(old, count=old.count + 1, last_timestamp=now)
                return events[at]
        seen[identity] = len(events)
    event = _new_event(type, reason, message, source, obj.KIND, meta.name, meta.namespace, now, now)
    events.append(event)
    return event


def record_many(cluster: "Cluster", source: str, obj: Object, entries: Iterable[tuple[str, str, str, str]]) -> None:
    """:func:`record` for several events about one object from one source, in order.

    ``entries`` are ``(type, reason, message, field_path)``; the result is exactly that of
    one :func:`record` call per entry.
    """
    state = _STATES.get(id(cluster)) or _state(cluster)
    meta = obj.metadata
    kind, name, namespace = obj.KIND, meta.name, meta.namespace
    involved = f"{kind}\0{namespace}\0{name}\0{meta.uid}"
    now = state.text if state.moment is cluster.clock.now else _now(state, cluster)
    events = cluster.events
    seen = state.index.get(involved)
    if seen is None:
        seen = state.index[involved] = {}
    for type, reason, message, field_path in entries:  # noqa: A001 - the Event field's name
        identity = _identity(field_path, type, reason, message, source)
        at = seen.get(identity)
        if at is not None and at < len(events):
            old = events[at]
            if old.reason == reason and old.message == message and old.involved_name == name:
                events[at] = evolve(old, count=old.count + 1, last_timestamp=now)
                continue
        seen[identity] = len(events)
        events.append(_new_event(type, reason, message, source, kind, name, namespace, now, now))


_new_event = constructor(Event)


def events_about(cluster: "Cluster", obj: Object) -> list[Event]:
    """The events recorded about ``obj`` (this very object: same uid), oldest first."""
    positions = sorted(_state(cluster).index.get(_involved(obj), {}).values())
    events = cluster.events
    return [events[at] for at in positions if at < len(events)]
