"""Change tracking for the endpoint controllers: indexes, work queues, memo, API client.

A Service selects the pods of its namespace whose labels contain every pair of its selector
(R-EP-1). Scanning every pod for every Service is quadratic, so the controllers keep three
indexes, fed by :meth:`grader.sim.registry.Registry.watch` like an informer's indexers:

* :class:`LabelIndex`: ``(namespace, key, value)`` → pod keys. A selector intersects the posting
  lists of its pairs, starting with the smallest.
* :class:`SelectorIndex`: Services by one pair of their selector (the *anchor*), so that a pod
  change looks only at the Services that may select it.
* :class:`SliceIndex`: EndpointSlices by the Service their ``kubernetes.io/service-name`` label
  names, whoever manages them.

:func:`cluster_index` gives the one :class:`ClusterIndex` of a cluster, built on first use from
the registry's contents and kept current by its watch. Around it, the plumbing the three
controllers of :mod:`grader.sim.controllers.endpoints` share: :class:`QueueController` (watch →
work queue → ``sync``), :class:`PodMemo` (what each pod contributed at the last sync, reused
while the stored objects are the same), :func:`endpoint_key` / :func:`same_beyond_key` (when
is an endpoint the same one, and did it change), :class:`TriggerTimes` (the
``last-change-trigger-time`` annotation, from the logical clock) and :class:`ApiClient`
(create with ``generateName``, update, delete, the way a controller's client does). The policy
(what the endpoints *are*) lives in the endpoints module; this one only tracks change. Keys
are ``(namespace, name)``.
"""

from __future__ import annotations

import functools
import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from grader.model.objects import Endpoint, EndpointSlice, Object, Pod, Service, evolve
from grader.sim.clock import format_timestamp
from grader.sim.registry import uuid4_text

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster
    from grader.sim.registry import Registry

__all__ = [
    "ANNOTATION_TRIGGER_TIME",
    "ApiClient",
    "ClusterIndex",
    "Key",
    "LABEL_SERVICE_NAME",
    "LabelIndex",
    "PodMemo",
    "QueueController",
    "SelectorIndex",
    "SliceIndex",
    "TriggerTimes",
    "cluster_index",
    "endpoint_key",
    "key_of",
    "ready_condition",
    "same_beyond_key",
    "with_trigger_time",
]

LABEL_SERVICE_NAME = "kubernetes.io/service-name"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"

Key = tuple[str, str]
"""``(namespace, name)`` of a namespaced object."""

Pair = tuple[str, str, str]
"""``(namespace, label key, label value)``."""


def key_of(obj: Object) -> Key:
    """The ``(namespace, name)`` key of an object."""
    return (obj.metadata.namespace, obj.metadata.name)


class LabelIndex:
    """Object keys by label pair; :meth:`select` answers a map-equality selector."""

    __slots__ = ("_postings", "_labels")

    def __init__(self) -> None:
        self._postings: dict[Pair, set[Key]] = {}
        self._labels: dict[Key, dict[str, str]] = {}

    def __len__(self) -> int:
        return len(self._labels)

    def put(self, key: Key, labels: dict[str, str]) -> None:
        """Record (or re-record) the labels of one object."""
        old = self._labels.get(key)
        if old is not None and (old is labels or old == labels):
            return
        namespace = key[0]
        for k, v in (old or {}).items():
            if labels.get(k) != v:
                self._discard((namespace, k, v), key)
        for k, v in labels.items():
            if old is None or old.get(k) != v:
                self._postings.setdefault((namespace, k, v), set()).add(key)
        self._labels[key] = labels

    def remove(self, key: Key) -> None:
        """Forget one object."""
        old = self._labels.pop(key, None)
        for k, v in (old or {}).items():
            self._discard((key[0], k, v), key)

    def _discard(self, pair: Pair, key: Key) -> None:
        posting = self._postings.get(pair)
        if posting is not None:
            posting.discard(key)
            if not posting:
                del self._postings[pair]

    def select(self, namespace: str, selector: dict[str, str]) -> set[Key]:
        """Keys in ``namespace`` whose labels contain every pair of ``selector``.

        An empty selector selects nothing here: a Service without a selector gets no
        endpoints from the controllers (R-EP-2).
        """
        postings = []
        for k, v in selector.items():
            posting = self._postings.get((namespace, k, v))
            if not posting:
                return set()
            postings.append(posting)
        if not postings:
            return set()
        postings.sort(key=len)
        return postings[0].intersection(*postings[1:])


class SelectorIndex:
    """Services with a selector, found from a pod's labels.

    Each Service is filed under one pair of its selector, its anchor: every pod it selects
    carries that pair, so looking up a pod's own pairs finds every candidate. The anchor is the
    pair with the fewest Services already filed under it (ties broken by key and value), so a
    pair many selectors share (``tier: web``) does not make every pod a candidate for every
    Service.
    """

    __slots__ = ("_selectors", "_anchors", "_filed")

    def __init__(self) -> None:
        self._selectors: dict[Key, dict[str, str]] = {}
        self._anchors: dict[Key, Pair] = {}
        self._filed: dict[Pair, set[Key]] = {}

    def __len__(self) -> int:
        return len(self._selectors)

    def put(self, key: Key, selector: dict[str, str]) -> None:
        """Record a Service's selector; an empty one removes it from the index."""
        if key in self._selectors and self._selectors[key] == selector:
            return
        self.remove(key)
        if not selector:
            return
        namespace = key[0]
        anchor = min(
            ((namespace, k, v) for k, v in selector.items()),
            key=lambda pair: (len(self._filed.get(pair, ())), pair[1], pair[2]),
        )
        self._selectors[key] = selector
        self._anchors[key] = anchor
        self._filed.setdefault(anchor, set()).add(key)

    def remove(self, key: Key) -> None:
        """Forget one Service."""
        self._selectors.pop(key, None)
        anchor = self._anchors.pop(key, None)
        if anchor is not None:
            filed = self._filed[anchor]
            filed.discard(key)
            if not filed:
                del self._filed[anchor]

    def matching(self, namespace: str, labels: dict[str, str]) -> set[Key]:
        """Keys of the Services in ``namespace`` whose selector the labels satisfy."""
        found: set[Key] = set()
        filed, selectors = self._filed, self._selectors
        for k, v in labels.items():
            for service in filed.get((namespace, k, v), ()):
                for sk, sv in selectors[service].items():
                    if labels.get(sk) != sv:
                        break
                else:
                    found.add(service)
        return found


class SliceIndex:
    """EndpointSlice names by ``(namespace, value of kubernetes.io/service-name)``."""

    __slots__ = ("_by_service", "_service_of")

    def __init__(self) -> None:
        self._by_service: dict[Key, set[str]] = {}
        self._service_of: dict[Key, str] = {}

    def put(self, key: Key, service: str | None) -> None:
        """Record which Service a slice names (None: the slice names none)."""
        if self._service_of.get(key) == service:
            return
        self.remove(key)
        if service:
            self._service_of[key] = service
            self._by_service.setdefault((key[0], service), set()).add(key[1])

    def remove(self, key: Key) -> None:
        """Forget one slice."""
        service = self._service_of.pop(key, None)
        if service is not None:
            names = self._by_service[(key[0], service)]
            names.discard(key[1])
            if not names:
                del self._by_service[(key[0], service)]

    def names(self, namespace: str, service: str) -> list[str]:
        """Names of the slices labelled with ``service``, sorted."""
        return sorted(self._by_service.get((namespace, service), ()))


class ClusterIndex:
    """The three indexes of one registry, kept current by its watch."""

    def __init__(self, registry: "Registry") -> None:
        self.registry = registry
        self.pods = LabelIndex()
        self.services = SelectorIndex()
        self.slices = SliceIndex()
        self._last_pod_event: tuple[Any, Any, frozenset[Key]] | None = None
        for pod in registry.iter(Pod):
            self.pods.put(key_of(pod), pod.metadata.labels)
        for service in registry.iter(Service):
            self.services.put(key_of(service), service.spec.selector)
        for eps in registry.iter(EndpointSlice):
            self.slices.put(key_of(eps), eps.metadata.labels.get(LABEL_SERVICE_NAME))
        registry.watch(self._on_write, (Pod, Service, EndpointSlice))

    def _on_write(self, cls: type, old: Any, new: Any) -> None:
        if cls is Pod:
            if new is None:
                self.pods.remove(key_of(old))
            elif old is None or old.metadata.labels is not new.metadata.labels:
                self.pods.put(key_of(new), new.metadata.labels)
        elif cls is Service:
            if new is None:
                self.services.remove(key_of(old))
            else:
                self.services.put(key_of(new), new.spec.selector)
        elif cls is EndpointSlice:
            if new is None:
                self.slices.remove(key_of(old))
            else:
                self.slices.put(key_of(new), new.metadata.labels.get(LABEL_SERVICE_NAME))

    def selected_pods(self, service: Service) -> list[Pod]:
        """The pods a Service's selector selects (R-EP-1), sorted by name; none without one."""
        namespace = service.metadata.namespace
        keys = sorted(self.pods.select(namespace, service.spec.selector))
        get = self.registry.get
        return [pod for pod in (get(Pod, ns, name) for ns, name in keys) if pod is not None]

    def iter_selected_pods(self, service: Service) -> Iterator[Pod]:
        """The same pods in no particular order (cheaper; for order-independent work)."""
        get = self.registry.get
        for ns, name in self.pods.select(service.metadata.namespace, service.spec.selector):
            pod = get(Pod, ns, name)
            if pod is not None:
                yield pod

    def services_selecting(self, namespace: str, labels: dict[str, str]) -> set[Key]:
        """Keys of the Services whose selector pods with these labels satisfy."""
        return self.services.matching(namespace, labels)

    def services_for_pod_change(self, old: Pod | None, new: Pod | None) -> frozenset[Key]:
        """The Services a pod event concerns: those selecting it before or after the change.

        An update that changes nothing endpoints are made of (``podEndpointsChanged``: labels,
        deletion, readiness, IPs; plus node, hostname and ports) concerns none. Nor does any
        event about a pod that, before and after, has no IP and no ``Ready`` condition (a
        Pending pod): such a pod adds no endpoint and no trigger time, so syncing its Services
        would write exactly what they hold. Several controllers ask about the same event in a
        row; the last answer is remembered.
        """
        last = self._last_pod_event
        if last is not None and last[0] is old and last[1] is new:
            return last[2]
        keys: set[Key] = set()
        if (old is None or _inert(old)) and (new is None or _inert(new)):
            pass
        elif old is None or new is None or _endpoint_view(old) != _endpoint_view(new):
            for pod in (old, new):
                if pod is not None and not (pod is new and old is not None and _same_selection(old, new)):
                    keys |= self.services.matching(pod.metadata.namespace, pod.metadata.labels)
        answer = frozenset(keys)
        self._last_pod_event = (old, new, answer)
        return answer

    def slices_of(self, namespace: str, service: str) -> list[EndpointSlice]:
        """Every EndpointSlice labelled ``kubernetes.io/service-name=<service>``, by name."""
        get = self.registry.get
        found = (get(EndpointSlice, namespace, name) for name in self.slices.names(namespace, service))
        return [eps for eps in found if eps is not None]


_INDEXES: "weakref.WeakKeyDictionary[Cluster, ClusterIndex]" = weakref.WeakKeyDictionary()


def cluster_index(cluster: "Cluster") -> ClusterIndex:
    """The shared :class:`ClusterIndex` of ``cluster``, built on first use."""
    found = _INDEXES.get(cluster)
    if found is None:
        found = _INDEXES[cluster] = ClusterIndex(cluster.registry)
    return found


# --------------------------------------------------------------------------- change tracking


def ready_condition(pod: Pod) -> Any:
    """The pod's first ``Ready`` condition, or None (``getPodReadyCondition``)."""
    for condition in pod.status.conditions:
        if condition.type == "Ready":
            return condition
    return None


def _inert(pod: Pod) -> bool:
    """No IP and no ``Ready`` condition: the pod cannot matter to any endpoint or trigger time."""
    status = pod.status
    return not status.pod_ip and not status.pod_ips and ready_condition(pod) is None


def _same_selection(old: Pod, new: Pod) -> bool:
    """The same Services select both (same namespace, the very same labels)."""
    return old.metadata.labels is new.metadata.labels and old.metadata.namespace == new.metadata.namespace


def _endpoint_view(pod: Pod) -> tuple:
    m, s, st = pod.metadata, pod.spec, pod.status
    ready = ready_condition(pod)
    return (m.labels, m.deletion_timestamp, m.uid, s.node_name, s.hostname, s.subdomain,
            s.containers, s.init_containers, st.phase, st.pod_ip, st.pod_ips,
            (ready.status, ready.last_transition_time) if ready is not None else None)


class PodMemo:
    """Per Service, what each selected pod contributed at the last sync.

    A contribution is reused while the pod, the Service and the pod's dependency (its Node, for
    instance) are the very objects stored then: stored objects are immutable, so the same object
    means nothing changed. One pod change then costs one computation, not one per pod.
    """

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[Key, tuple[Object, dict[Key, tuple[Pod, Any, Any]]]] = {}

    def contributions(
        self, key: Key, service: Object, pods: Iterable[Pod],
        compute: Callable[[Pod, Any], Any], depends_on: Callable[[Pod], Any] = lambda pod: None,
    ) -> list[tuple[Pod, Any, Any]]:
        """``(pod, dependency, contribution)`` for every pod, computing only what changed."""
        previous_service, previous = self._memo.get(key, (None, {}))
        if previous_service is not service:
            previous = {}
        fresh: dict[Key, tuple[Pod, Any, Any]] = {}
        for pod in pods:
            pod_key = (pod.metadata.namespace, pod.metadata.name)
            dependency = depends_on(pod)
            hit = previous.get(pod_key)
            if hit is None or hit[0] is not pod or hit[1] is not dependency:
                hit = (pod, dependency, compute(pod, dependency))
            fresh[pod_key] = hit
        self._memo[key] = (service, fresh)
        return list(fresh.values())

    def forget(self, key: Key) -> None:
        """Drop a Service's memo (it was deleted, or gets no endpoints)."""
        self._memo.pop(key, None)


# --------------------------------------------------------------------------- identity, trigger times


def endpoint_key(ep: Endpoint) -> tuple:
    """``hashEndpoint``: addresses, hostname and the target's namespace/name identify an endpoint."""
    ref = ep.target_ref
    return (tuple(sorted(ep.addresses)), ep.hostname or "", ref.namespace if ref else "", ref.name if ref else "")


def same_beyond_key(a: Endpoint, b: Endpoint) -> bool:
    """``EndpointsEqualBeyondHash``: node, zone, conditions and target (resourceVersion ignored)."""
    ref_a = evolve(a.target_ref, resource_version="") if a.target_ref else None
    ref_b = evolve(b.target_ref, resource_version="") if b.target_ref else None
    return (a.node_name, a.zone, a.conditions, ref_a) == (b.node_name, b.zone, b.conditions, ref_b)


def _parse_time(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and raw:
        return _parse_timestamp(raw)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class TriggerTimes:
    """``TriggerTimeTracker``: the time of the change that a write of a Service's endpoints reflects.

    A Service seen for the first time reports its creation time; afterwards the earliest pod
    ``Ready`` transition or Service creation newer than at the previous sync, or nothing.
    Times are kept as written and parsed only when they differ from the previous sync's.
    """

    def __init__(self) -> None:
        self._states: dict[Key, tuple[Any, dict[str, Any]]] = {}

    def compute(self, key: Key, service: Service, pods: Iterable[Pod]) -> datetime | None:
        state = self._states.get(key)
        last_service, last_pods = state if state is not None else (None, {})
        changed: list[datetime] = []
        current: dict[str, Any] = {}
        for pod in pods:
            condition = ready_condition(pod)
            raw = condition.last_transition_time if condition is not None else None
            name = pod.metadata.name
            previous = last_pods.get(name)
            if raw is not None and raw == previous:
                current[name] = raw
                continue
            moment = _parse_time(raw)
            if moment is not None:
                current[name] = raw
                before = _parse_time(previous)
                if before is None or moment > before:
                    changed.append(moment)
        created_raw = service.metadata.creation_timestamp
        created, before = _parse_time(created_raw), _parse_time(last_service)
        if created is not None and (before is None or created > before):
            changed.append(created)
        self._states[key] = (created_raw, current)
        if state is None:
            return created
        return min(changed) if changed else None

    def forget(self, key: Key) -> None:
        self._states.pop(key, None)


def with_trigger_time(annotations: dict[str, str], moment: datetime | None) -> dict[str, str]:
    """``addTriggerTimeAnnotation``: set the annotation, or clear it when there is no time."""
    result = dict(annotations)
    if moment is not None:
        result[ANNOTATION_TRIGGER_TIME] = _format_timestamp(moment)
    else:
        result.pop(ANNOTATION_TRIGGER_TIME, None)
    return result


_format_timestamp = functools.lru_cache(maxsize=1024)(format_timestamp)
"""RFC 3339, memoized: controllers stamp thousands of objects at one instant."""

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
"""``utilrand.String``'s alphabet (no vowels, no 0/1/3), used by ``generateName``."""


class ApiClient:
    """What a controller's API client does: create (``generateName``), update, delete.

    Creates get a UID, a creation timestamp and, for EndpointSlices, ``generation: 1``;
    updates keep the stored object's system fields and bump a slice's generation when anything
    but its metadata (or its labels) changed (the EndpointSlice strategy); an update that
    changes nothing writes nothing. ``busy`` is True while a write is in flight, so the owner
    can ignore its own events.
    """

    def __init__(self, cluster: "Cluster", controller: str, names_stream: str) -> None:
        self.registry = cluster.registry
        self.clock = cluster.clock
        self._uids = cluster.random(f"{controller}-uids")
        self._names = cluster.random(names_stream)
        self.busy = False
        self._moment: datetime | None = None
        self._stamp = ""

    def _generate_name(self, cls: type, namespace: str, base: str) -> str:
        """``SimpleNameGenerator``: base cut to 58 characters plus 5 random ones, unused."""
        base = base[:58]
        while True:
            name = base + "".join(self._names.choice(_NAME_CHARS) for _ in range(5))
            if self.registry.get(cls, namespace, name) is None:
                return name

    def create(self, obj: Object) -> Object:
        """Create ``obj``; a missing name comes from ``metadata.generateName``."""
        meta = obj.metadata
        name = meta.name or self._generate_name(type(obj), meta.namespace, meta.generate_name)
        now = self.clock.now
        if now is not self._moment:
            self._moment, self._stamp = now, _format_timestamp(now)
        return self._put(obj, {
            "name": name, "uid": uuid4_text(self._uids.getrandbits(128)), "creation_timestamp": self._stamp,
            "generation": 1 if isinstance(obj, EndpointSlice) else 0,
        })

    def update(self, old: Object, new: Object) -> bool:
        """Replace the stored ``old`` by ``new``; False (and no write) when nothing changes."""
        meta = evolve(
            new.metadata, uid=old.metadata.uid, creation_timestamp=old.metadata.creation_timestamp,
            resource_version=old.metadata.resource_version, generation=old.metadata.generation,
        )
        new = new.replace(metadata=meta)
        if new == old:
            return False
        if isinstance(new, EndpointSlice) and _slice_content_changed(old, new):
            new = new.replace(metadata=evolve(meta, generation=old.metadata.generation + 1))
        self._put(new)
        return True

    def delete(self, obj: Object) -> bool:
        """Delete ``obj``; False if it was already gone."""
        self.busy = True
        try:
            return self.registry.remove(type(obj), obj.metadata.namespace, obj.metadata.name) is not None
        finally:
            self.busy = False

    def _put(self, obj: Object, meta: dict | None = None) -> Object:
        self.busy = True
        try:
            return self.registry.put(obj, meta=meta)
        finally:
            self.busy = False


def _slice_content_changed(old: Any, new: Any) -> bool:
    return (old.address_type, old.endpoints, old.ports, old.metadata.labels) != (
        new.address_type, new.endpoints, new.ports, new.metadata.labels)


class QueueController:
    """The informer/work-queue skeleton: watch → queued keys → ``sync`` in key order.

    Subclasses say which kinds they watch (``WATCHES``), which keys an event concerns
    (``_keys_for``) and reconcile one key (``_sync_key``); their own writes are not fed back
    into their queue.
    """

    name = ""
    WATCHES: tuple[type, ...] = ()

    def __init__(self, cluster: "Cluster", names_stream: str) -> None:
        self.cluster = cluster
        self.index = cluster_index(cluster)
        self.client = ApiClient(cluster, self.name, names_stream)
        self._queue: set[Key] = set()
        cluster.registry.watch(self._watch, self.WATCHES)

    def _watch(self, cls: type, old: Any, new: Any) -> None:
        if not self.client.busy:
            self._queue |= self._keys_for(cls, old, new)

    def _keys_for(self, cls: type, old: Any, new: Any) -> set[Key]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sync_key(self, key: Key) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def resync(self) -> None:
        """Queue every Service again, like an informer's periodic resync."""
        self._queue.update(key_of(s) for s in self.cluster.registry.iter(Service))

    def sync(self) -> bool:
        """Reconcile the queued keys in order; True if anything was written."""
        keys, self._queue = sorted(self._queue), set()
        wrote = False
        for key in keys:
            wrote = self._sync_key(key) or wrote
        return wrote

    def __repr__(self) -> str:
        return f"<{type(self).__name__} queued={len(self._queue)}>"
