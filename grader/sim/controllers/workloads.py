"""The Deployment and ReplicaSet controllers: Deployment → ReplicaSets → Pods, and back as status.

:class:`DeploymentController` (``deployment-controller``) keeps one ReplicaSet per distinct pod
template, named ``<deployment>-<pod-template-hash>``, and moves replicas from the old ones to the
new one with the ``RollingUpdate`` (``maxSurge`` rounded up, ``maxUnavailable`` rounded down) or
``Recreate`` strategy, as ``pkg/controller/deployment`` does; it writes the Deployment's status
and its ``Available``/``Progressing`` conditions in Kubernetes' words. Deleting a Deployment
deletes its ReplicaSets (garbage collection by ``ownerReferences``).

:class:`ReplicaSetController` (``replicaset-controller``) creates pods named
``<replicaset>-<5 random characters>`` from the template until the replica count is reached,
deletes the most expendable ones when there are too many (``getPodsToDelete``'s ranking), writes
the ReplicaSet's status, and deletes a deleted ReplicaSet's pods. Orphans are not adopted.

Both follow the informer pattern: the registry watch queues keys, ``sync`` does the work. The
template hash is 32-bit FNV-1a over the canonical JSON of the encoded template (Kubernetes hashes
a spew dump of the Go struct, so the exact strings differ; the shape and the determinism are the
same), encoded like ``rand.SafeEncodeString``. Pod names come from ``cluster.random("pod-names")``.
"""

from __future__ import annotations

import functools
import json
import math
import struct
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from grader.model.api import strategy_for
from grader.model.apierrors import ApiError
from grader.model.codec import encode
from grader.model.memo import IdentityMemo
from grader.model.objects import (
    Deployment,
    DeploymentSpec,
    DeploymentStatus,
    LabelSelector,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
    evolve,
)
from grader.sim.controllers import eventlog
from grader.sim.registry import uuid4_text

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = [
    "ALPHANUMS",
    "DeploymentController",
    "POD_TEMPLATE_HASH",
    "ReplicaSetController",
    "fnv1a_32",
    "is_pod_available",
    "is_pod_ready",
    "pod_template_hash",
    "pods_to_delete",
    "resolve_fenceposts",
    "safe_encode",
    "scaled_value",
]

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_NOT_COPIED = {REVISION, DESIRED_REPLICAS, MAX_REPLICAS, "deployment.kubernetes.io/revision-history",
               "kubectl.kubernetes.io/last-applied-configuration", "deprecated.deployment.rollback.to"}
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
"""``rand.String``'s alphabet: no vowels, no confusable digits."""
MAX_GENERATED_NAME = 63 - 5
FAILED_POD_BURST = 5
"""At most this many replacement pods that failed at the current instant (kubelet-rejected pods
of a template that names its node): Kubernetes hot-loops there; the simulator stops until time
moves on, so a reconcile always ends."""

DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"

# Deployment condition reasons and messages (pkg/controller/deployment/util).
MIN_AVAILABLE = ("MinimumReplicasAvailable", "Deployment has minimum availability.")
MIN_UNAVAILABLE = ("MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
NEW_RS_CREATED = ("NewReplicaSetCreated", 'Created new replica set "{rs}"')
FOUND_NEW_RS = ("FoundNewReplicaSet", 'Found new replica set "{rs}"')
RS_UPDATED = ("ReplicaSetUpdated", 'ReplicaSet "{rs}" is progressing.')
NEW_RS_AVAILABLE = ("NewReplicaSetAvailable", 'ReplicaSet "{rs}" has successfully progressed.')
PAUSED = ("DeploymentPaused", "Deployment is paused")
RESUMED = ("DeploymentResumed", "Deployment is resumed")
RS_CREATE_ERROR = "ReplicaSetCreateError"

Key = tuple[str, str]
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


# --------------------------------------------------------------------------- time


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (or a datetime) as an aware datetime; ``None`` when absent or bad.

    The same reading as :func:`grader.sim.printers.parse_time`, memoized for strings (every
    pod of a ReplicaSet is checked at every sync).
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        return _parse_text(value)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> datetime | None:
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- hashing and naming


def fnv1a_32(data: bytes) -> int:
    """32-bit FNV-1a, as Go's ``hash/fnv.New32a``."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: each character mapped into :data:`ALPHANUMS` by its code."""
    return "".join(ALPHANUMS[ord(c) % len(ALPHANUMS)] for c in text)


def pod_template_hash(template: PodTemplateSpec, collision_count: int | None = None) -> str:
    """The ``pod-template-hash`` label value of a template (``controller.ComputeHash``)."""
    # json.dumps(encode(template), sort_keys=True, separators=(",", ":")), put together from its
    # two parts (a template always encodes both): templates often share their spec object
    meta = json.dumps(encode(template.metadata), sort_keys=True, separators=(",", ":"))
    data = f'{{"metadata":{meta},"spec":{_spec_json(template.spec)}}}'.encode()
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0"
    return safe_encode(str(fnv1a_32(data)))


_spec_json = IdentityMemo(lambda spec: json.dumps(encode(spec), sort_keys=True, separators=(",", ":")))


def _without_hash(template: PodTemplateSpec) -> PodTemplateSpec:
    labels = template.metadata.labels
    if POD_TEMPLATE_HASH not in labels:
        return template
    rest = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH}
    return evolve(template, metadata=evolve(template.metadata, labels=rest))


def _equal_ignore_hash(a: PodTemplateSpec, b: PodTemplateSpec) -> bool:
    """``EqualIgnoreHash``; remembered per pair of template objects (stored objects never change)."""
    key = (id(a), id(b))
    hit = _SAME_TEMPLATE.get(key)
    if hit is not None and hit[0] is a and hit[1] is b:
        return hit[2]
    same = _without_hash(a) == _without_hash(b)
    if len(_SAME_TEMPLATE) >= 4096:
        _SAME_TEMPLATE.clear()
    _SAME_TEMPLATE[key] = (a, b, same)
    return same


_SAME_TEMPLATE: dict[tuple[int, int], tuple[PodTemplateSpec, PodTemplateSpec, bool]] = {}


# --------------------------------------------------------------------------- rollout arithmetic


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``GetScaledValueFromIntOrPercent``: an int as is, ``"25%"`` of ``total`` rounded up or down."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%") or not text[:-1].isdigit():
        return 0
    percent = int(text[:-1])
    return -(-percent * total // 100) if round_up else percent * total // 100


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """``ResolveFenceposts``: (surge rounded up, unavailable rounded down); never both 0."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _replicas(obj: Deployment | ReplicaSet) -> int:
    return 1 if obj.spec.replicas is None else obj.spec.replicas


def _rolling(d: Deployment) -> dict | None:
    if d.spec.strategy.type not in ("", "RollingUpdate"):
        return None
    rolling = d.spec.strategy.rolling_update
    return rolling if isinstance(rolling, dict) else {"maxSurge": "25%", "maxUnavailable": "25%"}


def max_surge(d: Deployment) -> int:
    """``MaxSurge``: 0 unless RollingUpdate."""
    return _fenceposts(d.spec)[0]


def max_unavailable(d: Deployment) -> int:
    """``MaxUnavailable``: 0 unless RollingUpdate with replicas; at most the replica count."""
    return _fenceposts(d.spec)[1]


def _spec_fenceposts(spec: DeploymentSpec) -> tuple[int, int]:
    """(``MaxSurge``, ``MaxUnavailable``) of a Deployment spec."""
    strategy = spec.strategy
    if strategy.type not in ("", "RollingUpdate"):
        return 0, 0
    rolling = strategy.rolling_update
    if not isinstance(rolling, dict):
        rolling = {"maxSurge": "25%", "maxUnavailable": "25%"}
    replicas = 1 if spec.replicas is None else spec.replicas
    surge, unavailable = resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas)
    return surge, (min(unavailable, replicas) if replicas else 0)


_fenceposts = IdentityMemo(_spec_fenceposts)
"""Every sync asks several times; a Deployment's spec object changes only with the spec."""


# --------------------------------------------------------------------------- pod predicates


def is_pod_ready(pod: Pod) -> bool:
    """``podutil.IsPodReady``: the Ready condition is True."""
    for c in pod.status.conditions:
        if c.type == "Ready" and c.status == "True":
            return True
    return False


def _ready_since(pod: Pod) -> datetime | None:
    for c in pod.status.conditions:
        if c.type == "Ready" and c.status == "True":
            return parse_time(c.last_transition_time)
    return None


def is_pod_available(pod: Pod, min_ready_seconds: int, now: datetime) -> bool:
    """``IsPodAvailable``: ready, and for longer than ``minReadySeconds``."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = _ready_since(pod)
    return since is not None and (now - since).total_seconds() > min_ready_seconds


def _active(pod: Pod) -> bool:
    return pod.status.phase not in ("Succeeded", "Failed") and pod.metadata.deletion_timestamp is None


def _controller_uid(obj: Any) -> str | None:
    """The uid in the object's controller ``ownerReference``, or None."""
    if obj is None:
        return None
    for ref in obj.metadata.owner_references:
        if ref.controller:
            return ref.uid
    return None


def _log_rank(moment: Any, now: datetime) -> int:
    when = parse_time(moment)
    if when is None:
        return -2
    nanoseconds = (now - when).total_seconds() * 1e9
    return int(math.log2(nanoseconds)) if nanoseconds > 0 else -1


def _deletion_cost(pod: Pod) -> int:
    try:
        return int(pod.metadata.annotations.get(DELETION_COST, "0"))
    except ValueError:
        return 0


def pods_to_delete(pods: list[Pod], related: Iterable[Pod], count: int, now: datetime) -> list[Pod]:
    """The ``count`` pods a ReplicaSet deletes first (``ActivePodsWithRanks``, logarithmic scale-down).

    Unassigned before assigned; Pending < Unknown < Running; not ready before ready; lower
    ``pod-deletion-cost``; more pods of the family on the same node; ready more recently;
    more restarts; created more recently (in log2 buckets); then by uid. Kubernetes sorts with
    a comparator that falls back to the uid inside a tied bucket; this total order differs only
    when two pods tie on a bucket but differ on a later rule.
    """
    if count >= len(pods):
        return list(pods)
    on_node = Counter(p.spec.node_name for p in related if _active(p))

    def rank(p: Pod) -> tuple:
        ready = is_pod_ready(p)
        restarts = max((s.restart_count for s in p.status.container_statuses), default=0)
        return (
            1 if p.spec.node_name else 0,
            _PHASE_ORDINAL.get(p.status.phase, 0),
            1 if ready else 0,
            _deletion_cost(p),
            -on_node[p.spec.node_name],
            _log_rank(_ready_time(p), now) if ready else 0,
            -restarts,
            _log_rank(p.metadata.creation_timestamp, now),
            p.metadata.uid,
        )

    return sorted(pods, key=rank)[:count]


def _ready_time(pod: Pod) -> Any:
    return next((c.last_transition_time for c in pod.status.conditions
                 if c.type == "Ready" and c.status == "True"), None)


# --------------------------------------------------------------------------- ReplicaSet controller


class ReplicaSetController:
    """Keeps each ReplicaSet's pod count at ``spec.replicas`` and reports its status."""

    name = REPLICASET_CONTROLLER

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self._dirty: set[Key] = set()
        self._deleted: list[str] = []
        self._rs_keys: dict[str, Key] = {}
        self._pods: dict[str, set[Key]] = {}
        self._siblings: dict[str, set[str]] = {}
        self._prototypes: dict[str, tuple[PodTemplateSpec, Pod | None, str]] = {}
        self._uids = cluster.random("pod-uids")
        for rs in cluster.registry.iter(ReplicaSet):
            self._on_write(ReplicaSet, None, rs)
        for pod in cluster.registry.iter(Pod):
            self._on_write(Pod, None, pod)
        cluster.registry.watch(self._on_write, (Pod, ReplicaSet))

    # ------------------------------------------------------------------ watch

    def _on_write(self, kind: type, old: Any, new: Any) -> None:
        if kind is Pod:
            self._pod_written(old, new)
        elif kind is ReplicaSet:
            self._rs_written(old, new)

    def _rs_written(self, old: ReplicaSet | None, new: ReplicaSet | None) -> None:
        obj = new if new is not None else old
        key, uid = (obj.metadata.namespace, obj.metadata.name), obj.metadata.uid
        parent = _controller_uid(obj)
        if new is None:
            self._rs_keys.pop(uid, None)
            self._dirty.discard(key)
            self._deleted.append(uid)
            self._siblings.get(parent, set()).discard(uid)
            self._prototypes.pop(uid, None)
            return
        self._rs_keys[uid] = key
        if parent is not None:
            self._siblings.setdefault(parent, set()).add(uid)
        if old is None or old.spec != new.spec or old.metadata.generation != new.metadata.generation:
            self._dirty.add(key)

    def _pod_written(self, old: Pod | None, new: Pod | None) -> None:
        if old is not None and new is not None and old.metadata.owner_references is new.metadata.owner_references:
            uid = _controller_uid(new)
            rs_key = self._rs_keys.get(uid) if uid is not None else None
            if rs_key is not None:
                self._dirty.add(rs_key)
            return
        before, after = _controller_uid(old), _controller_uid(new)
        obj = new if new is not None else old
        key = (obj.metadata.namespace, obj.metadata.name)
        if before is not None and (before != after):
            self._pods.get(before, set()).discard(key)
        if after is not None:
            self._pods.setdefault(after, set()).add(key)
        for uid in (before, after):
            rs_key = self._rs_keys.get(uid) if uid is not None else None
            if rs_key is not None:
                self._dirty.add(rs_key)

    # ------------------------------------------------------------------ sync

    def sync(self) -> bool:
        """Collect deleted ReplicaSets' pods, then reconcile every queued ReplicaSet."""
        wrote = self._collect_garbage()
        for key in sorted(self._dirty):
            self._dirty.discard(key)
            wrote = self._sync_one(key) or wrote
        return wrote

    def _collect_garbage(self) -> bool:
        wrote = False
        registry = self.cluster.registry
        while self._deleted:
            uid = self._deleted.pop(0)
            for key in sorted(self._pods.pop(uid, set())):
                pod = registry.get(Pod, *key)
                if pod is not None and _controller_uid(pod) == uid:
                    registry.remove(Pod, *key)
                    wrote = True
        return wrote

    def _owned(self, rs: ReplicaSet) -> list[Pod]:
        return self._owned_by_uid(rs.metadata.uid)

    def _sync_one(self, key: Key) -> bool:
        rs = self.cluster.registry.get(ReplicaSet, *key)
        if rs is None:
            return False
        pods = self._owned(rs)
        active = [p for p in pods if _active(p)]
        wanted, wrote = _replicas(rs), False
        if len(active) < wanted:
            wrote = self._create(rs, wanted - len(active), pods)
        elif len(active) > wanted:
            wrote = self._delete(rs, active, len(active) - wanted)
        if wrote:
            pods = self._owned(rs)
        self._dirty.discard(key)
        return self._write_status(rs, pods) or wrote

    # ------------------------------------------------------------------ pods

    def _prototype(self, rs: ReplicaSet) -> tuple[Pod | None, str]:
        """The defaulted, validated pod the template makes (once per template), or an error."""
        cached = self._prototypes.get(rs.metadata.uid)
        template = rs.spec.template
        if cached is not None and cached[0] == template:
            return cached[1], cached[2]
        owner = OwnerReference(api_version="apps/v1", kind="ReplicaSet", name=rs.metadata.name,
                               uid=rs.metadata.uid, controller=True, block_owner_deletion=True)
        prefix = _generate_prefix(rs.metadata.name)
        meta = ObjectMeta(
            generate_name=prefix, namespace=rs.metadata.namespace,
            labels=dict(template.metadata.labels), annotations=dict(template.metadata.annotations),
            owner_references=(owner,), finalizers=template.metadata.finalizers,
        )
        strategy = strategy_for(Pod)
        pod = strategy.prepare_create(strategy.default(Pod(api_version="v1", kind="Pod", metadata=meta,
                                                           spec=template.spec)))
        sample = pod.replace(metadata=evolve(pod.metadata, name=prefix + "bcdfg"))
        errors = strategy.validate_all(sample)
        error = ""
        if errors:
            error = "Error creating: " + ApiError.invalid("Pod", "Pod", sample.metadata.name, errors).message
            pod = None
        self._prototypes[rs.metadata.uid] = (template, pod, error)
        return pod, error

    def _create(self, rs: ReplicaSet, count: int, pods: list[Pod]) -> bool:
        prototype, error = self._prototype(rs)
        if prototype is None:
            eventlog.record(self.cluster, "Warning", "FailedCreate", error, REPLICASET_CONTROLLER, rs)
            return False
        now = eventlog.timestamp(self.cluster)
        failed_now = sum(1 for p in pods if p.status.phase == "Failed" and p.metadata.creation_timestamp == now)
        if failed_now >= FAILED_POD_BURST:
            return False
        cluster, put, record, bits = self.cluster, self.cluster.registry.put, eventlog.record, self._uids.getrandbits
        for _ in range(count):
            name = self._new_name(prototype)
            put(prototype, meta={"name": name, "uid": uuid4_text(bits(128)), "creation_timestamp": now})
            record(cluster, "Normal", "SuccessfulCreate", f"Created pod: {name}", REPLICASET_CONTROLLER, rs)
        return True

    def _new_name(self, prototype: Pod) -> str:
        """``generateName``: the prefix and 5 characters of ``rand.String`` (``random.choices``' draws)."""
        random, pods = self.cluster.random("pod-names").random, self.cluster.registry.by_key(Pod)
        namespace, prefix = prototype.metadata.namespace, prototype.metadata.generate_name
        n = float(len(ALPHANUMS))
        while True:
            name = prefix + "".join([ALPHANUMS[int(random() * n)] for _ in range(5)])
            if (namespace, name) not in pods:
                return name

    def _delete(self, rs: ReplicaSet, active: list[Pod], count: int) -> bool:
        related = list(active)
        parent = _controller_uid(rs)
        for sibling in self._siblings.get(parent, ()) if parent else ():
            if sibling != rs.metadata.uid and sibling in self._rs_keys:
                related += [p for p in self._owned_by_uid(sibling) if _active(p)]
        for pod in pods_to_delete(active, related, count, self.cluster.clock.now):
            self.cluster.registry.remove(Pod, pod.metadata.namespace, pod.metadata.name)
            eventlog.record(self.cluster, "Normal", "SuccessfulDelete",
                            f"Deleted pod: {pod.metadata.name}", REPLICASET_CONTROLLER, rs)
        return True

    def _owned_by_uid(self, uid: str) -> list[Pod]:
        get = self.cluster.registry.by_key(Pod).get
        pods = [get(k) for k in self._pods.get(uid, ())]
        return [p for p in pods if p is not None and _controller_uid(p) == uid]

    # ------------------------------------------------------------------ status

    def _write_status(self, rs: ReplicaSet, pods: list[Pod]) -> bool:
        active = [p for p in pods if _active(p)]
        now = self.cluster.clock.now
        wanted = rs.spec.template.metadata.labels.items()
        min_ready = rs.spec.min_ready_seconds
        labeled = ready = available = 0
        checked = None  # a labels dict already found to carry the template's labels (pods share it)
        for p in active:
            labels = p.metadata.labels
            if labels is checked or all(labels.get(k) == v for k, v in wanted):
                checked = labels
                labeled += 1
            if is_pod_ready(p):
                ready += 1
                if min_ready == 0 or is_pod_available(p, min_ready, now):
                    available += 1
        status = evolve(
            rs.status,
            replicas=len(active),
            fully_labeled_replicas=labeled,
            ready_replicas=ready,
            available_replicas=available,
            observed_generation=rs.metadata.generation,
        )
        if status == rs.status:
            return False
        self.cluster.registry.put(rs, status=status)
        return True


def _generate_prefix(name: str) -> str:
    """``generateName`` of a ReplicaSet's pods: the name and a dash, cut to leave room for 5 characters."""
    prefix = f"{name}-"
    return prefix if len(prefix) <= MAX_GENERATED_NAME else prefix[:MAX_GENERATED_NAME]


# --------------------------------------------------------------------------- Deployment controller


def _revision(rs: ReplicaSet) -> int:
    try:
        return int(rs.metadata.annotations.get(REVISION, "0"))
    except ValueError:
        return 0


def _condition(kind: str, status: str, reason_message: tuple[str, str], now: str, **fmt: str) -> dict:
    reason, message = reason_message
    return {"lastTransitionTime": now, "lastUpdateTime": now, "message": message.format(**fmt),
            "reason": reason, "status": status, "type": kind}


def _get_condition(conditions: Any, kind: str) -> dict | None:
    return next((c for c in conditions or () if isinstance(c, dict) and c.get("type") == kind), None)


def _set_condition(conditions: Any, new: dict) -> list:
    """``SetDeploymentCondition``: same status and reason → unchanged; same status keeps the transition time."""
    current = _get_condition(conditions, new["type"])
    if current is not None and (current.get("status"), current.get("reason")) == (new["status"], new["reason"]):
        return list(conditions)
    if current is not None and current.get("status") == new["status"]:
        new = {**new, "lastTransitionTime": current.get("lastTransitionTime")}
    return [c for c in conditions or () if c.get("type") != new["type"]] + [new]


def _remove_condition(conditions: Any, kind: str) -> list:
    return [c for c in conditions or () if c.get("type") != kind]


class DeploymentController:
    """Rolls Deployments out through ReplicaSets and reports their status."""

    name = DEPLOYMENT_CONTROLLER

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self._dirty: set[Key] = set()
        self._deleted: list[str] = []
        self._keys: dict[str, Key] = {}
        self._rs: dict[str, set[Key]] = {}
        for d in cluster.registry.iter(Deployment):
            self._on_write(Deployment, None, d)
        for rs in cluster.registry.iter(ReplicaSet):
            self._on_write(ReplicaSet, None, rs)
        cluster.registry.watch(self._on_write, (Deployment, ReplicaSet))

    def _on_write(self, kind: type, old: Any, new: Any) -> None:
        if kind is Deployment:
            obj = new if new is not None else old
            key, uid = (obj.metadata.namespace, obj.metadata.name), obj.metadata.uid
            if new is None:
                self._keys.pop(uid, None)
                self._dirty.discard(key)
                self._deleted.append(uid)
            else:
                self._keys[uid] = key
                if old is None or old.spec != new.spec or old.metadata.generation != new.metadata.generation:
                    self._dirty.add(key)
        elif kind is ReplicaSet:
            before, after = _controller_uid(old), _controller_uid(new)
            obj = new if new is not None else old
            key = (obj.metadata.namespace, obj.metadata.name)
            if before is not None and before != after:
                self._rs.get(before, set()).discard(key)
            if after is not None:
                self._rs.setdefault(after, set()).add(key)
            for uid in (before, after):
                owner = self._keys.get(uid) if uid is not None else None
                if owner is not None:
                    self._dirty.add(owner)

    # ------------------------------------------------------------------ sync

    def sync(self) -> bool:
        """Delete deleted Deployments' ReplicaSets, then reconcile every queued Deployment."""
        wrote = self._collect_garbage()
        for key in sorted(self._dirty):
            self._dirty.discard(key)
            wrote = self._sync_one(key) or wrote
        return wrote

    def _collect_garbage(self) -> bool:
        wrote, registry = False, self.cluster.registry
        while self._deleted:
            uid = self._deleted.pop(0)
            for key in sorted(self._rs.pop(uid, set())):
                rs = registry.get(ReplicaSet, *key)
                if rs is not None and _controller_uid(rs) == uid:
                    registry.remove(ReplicaSet, *key)
                    wrote = True
        return wrote

    def _replica_sets(self, d: Deployment) -> list[ReplicaSet]:
        registry, uid = self.cluster.registry, d.metadata.uid
        found = (registry.get(ReplicaSet, *k) for k in self._rs.get(uid, ()))
        owned = [rs for rs in found if rs is not None and _controller_uid(rs) == uid]
        return sorted(owned, key=lambda rs: (str(rs.metadata.creation_timestamp), rs.metadata.name))

    def _split(self, d: Deployment, rss: list[ReplicaSet]) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
        new = next((rs for rs in rss if _equal_ignore_hash(rs.spec.template, d.spec.template)), None)
        return new, [rs for rs in rss if rs is not new]

    def _sync_one(self, key: Key) -> bool:
        d = self.cluster.registry.get(Deployment, *key)
        if d is None:
            return False
        self._wrote = False
        rss = self._replica_sets(d)
        new, old = self._split(d, rss)
        if d.spec.paused:
            self._scale(d, new, old)
            self._write_status(d, new, old, rollout=False)
        elif self._is_scaling_event(d, new, old):
            self._scale(d, new, old)
            self._write_status(d, *self._split(d, self._replica_sets(d)), rollout=False)
        elif d.spec.strategy.type == "Recreate":
            self._recreate(d, new, old)
        else:
            self._rolling_update(d, new, old)
        return self._wrote

    # ------------------------------------------------------------------ ReplicaSets

    def _is_scaling_event(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet]) -> bool:
        for rs in [*old, new]:
            if rs is None or _replicas(rs) == 0:
                continue
            desired = rs.metadata.annotations.get(DESIRED_REPLICAS)
            if desired is not None and desired.isdigit() and int(desired) != _replicas(d):
                return True
        return False

    def _new_replica_set(self, d: Deployment, old: list[ReplicaSet], replicas: int) -> ReplicaSet | None:
        """Create the ReplicaSet for the Deployment's current template (``getNewReplicaSet``).

        If the API server refuses it (a name too long once the hash is added), the Deployment
        gets a ``ReplicaSetCreateError`` event and ``Progressing=False``, and None is returned.
        """
        collisions = d.status.collision_count
        registry = self.cluster.registry
        while True:
            template_hash = pod_template_hash(d.spec.template, collisions)
            name = f"{d.metadata.name}-{template_hash}"
            existing = registry.get(ReplicaSet, d.metadata.namespace, name)
            if existing is None:
                break
            if _controller_uid(existing) == d.metadata.uid and _equal_ignore_hash(existing.spec.template, d.spec.template):
                return existing
            collisions = (collisions or 0) + 1
        if collisions != d.status.collision_count:
            d = self._put_status(d, evolve(d.status, collision_count=collisions))
        rs = self._replica_set_object(d, name, template_hash, old, replicas)
        result = registry.apply(rs, f"<{DEPLOYMENT_CONTROLLER}>")
        now = eventlog.timestamp(self.cluster)
        if result.error is not None:
            message = f'Failed to create new replica set "{name}": {result.error.message}'
            eventlog.record(self.cluster, "Warning", RS_CREATE_ERROR, message, DEPLOYMENT_CONTROLLER, d)
            failed = _condition("Progressing", "False", (RS_CREATE_ERROR, message), now)
            self._put_status(d, evolve(d.status, conditions=_set_condition(d.status.conditions, failed)))
            return None
        created = result.obj
        self._wrote = True
        if replicas > 0:
            self._event(d, f"Scaled up replica set {name} from 0 to {replicas}")
        conditions = _set_condition(d.status.conditions, _condition("Progressing", "True", NEW_RS_CREATED, now, rs=name))
        self._put_status(d, evolve(d.status, conditions=conditions))
        return created

    def _replica_set_object(
        self, d: Deployment, name: str, template_hash: str, old: list[ReplicaSet], replicas: int
    ) -> ReplicaSet:
        template = d.spec.template
        labels = {**template.metadata.labels, POD_TEMPLATE_HASH: template_hash}
        template = evolve(template, metadata=evolve(template.metadata, labels=labels))
        selector = d.spec.selector or LabelSelector()
        selector = evolve(selector, match_labels={**selector.match_labels, POD_TEMPLATE_HASH: template_hash})
        annotations = {k: v for k, v in d.metadata.annotations.items() if k not in _NOT_COPIED}
        annotations.update({
            DESIRED_REPLICAS: str(_replicas(d)),
            MAX_REPLICAS: str(_replicas(d) + max_surge(d)),
            REVISION: str(max((_revision(rs) for rs in old), default=0) + 1),
        })
        owner = OwnerReference(api_version="apps/v1", kind="Deployment", name=d.metadata.name,
                               uid=d.metadata.uid, controller=True, block_owner_deletion=True)
        meta = ObjectMeta(name=name, namespace=d.metadata.namespace, labels=labels,
                          annotations=annotations, owner_references=(owner,))
        spec = ReplicaSetSpec(replicas=replicas, min_ready_seconds=d.spec.min_ready_seconds,
                              selector=selector, template=template)
        return ReplicaSet(api_version="apps/v1", kind="ReplicaSet", metadata=meta, spec=spec)

    def _scale_rs(self, d: Deployment, rs: ReplicaSet, size: int, operation: str = "") -> ReplicaSet:
        """``scaleReplicaSetAndRecordEvent``: new size and replica annotations; an event if resized."""
        desired, most = str(_replicas(d)), str(_replicas(d) + max_surge(d))
        annotations = rs.metadata.annotations
        resized = _replicas(rs) != size
        if not resized and annotations.get(DESIRED_REPLICAS) == desired and annotations.get(MAX_REPLICAS) == most:
            return rs
        meta = evolve(rs.metadata, generation=rs.metadata.generation + (1 if resized else 0),
                      annotations={**annotations, DESIRED_REPLICAS: desired, MAX_REPLICAS: most})
        updated = self.cluster.registry.put(rs.replace(metadata=meta, spec=evolve(rs.spec, replicas=size)))
        self._wrote = True
        if resized:
            operation = operation or ("up" if size > _replicas(rs) else "down")
            self._event(d, f"Scaled {operation} replica set {rs.metadata.name} from {_replicas(rs)} to {size}")
        return updated

    def _event(self, d: Deployment, message: str) -> None:
        eventlog.record(self.cluster, "Normal", "ScalingReplicaSet", message, DEPLOYMENT_CONTROLLER, d)

    # ------------------------------------------------------------------ strategies

    def _scale(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        """``sync``/``scale``: a replica-count change, spread over the active ReplicaSets."""
        active = [rs for rs in [*old, new] if rs is not None and _replicas(rs) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new or (old[-1] if old else None))
            if target is not None and _replicas(target) != _replicas(d):
                self._scale_rs(d, target, _replicas(d))
            return
        if new is not None and _replicas(new) == _replicas(d) and new.status.available_replicas == _replicas(d):
            for rs in old:
                if _replicas(rs) > 0:
                    self._scale_rs(d, rs, 0)
            return
        if _rolling(d) is not None:
            self._scale_proportionally(d, active)

    def _scale_proportionally(self, d: Deployment, active: list[ReplicaSet]) -> None:
        allowed = _replicas(d) + max_surge(d) if _replicas(d) > 0 else 0
        to_add = allowed - sum(_replicas(rs) for rs in active)
        newer_first = to_add > 0

        def order(rs: ReplicaSet) -> tuple:
            created = str(rs.metadata.creation_timestamp)
            return (-_replicas(rs), _neg(created) if newer_first else created, rs.metadata.name)

        active = sorted(active, key=order)
        sizes, added = {}, 0
        for rs in active:
            proportion = self._proportion(rs, d, to_add, added)
            sizes[rs.metadata.name] = _replicas(rs) + proportion
            added += proportion
        for i, rs in enumerate(active):
            size = sizes[rs.metadata.name]
            if i == 0 and to_add:
                size = max(size + to_add - added, 0)
            self._scale_rs(d, rs, size, "up" if to_add > 0 else "down")

    def _proportion(self, rs: ReplicaSet, d: Deployment, to_add: int, added: int) -> int:
        if _replicas(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        if _replicas(d) == 0:
            fraction = -_replicas(rs)
        else:
            before = rs.metadata.annotations.get(MAX_REPLICAS, "")
            before_scale = int(before) if before.isdigit() else d.status.replicas
            if before_scale == 0:
                return 0
            new_size = _replicas(rs) * (_replicas(d) + max_surge(d)) / before_scale
            fraction = math.floor(new_size + 0.5) - _replicas(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    def _rolling_update(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        if new is None:
            new = self._new_replica_set(d, old, self._new_rs_replicas(d, old, None))
            if new is None:
                return
        elif self._sync_revision(d, new, old):
            new = self.cluster.registry.get(ReplicaSet, new.metadata.namespace, new.metadata.name)
        if not self._reconcile_new(d, new, old):
            if not self._reconcile_old(d, new, [rs for rs in old if _replicas(rs) > 0]):
                self._clean_up(d, old)
        self._write_status(d, *self._split(d, self._replica_sets(d)), rollout=True)

    def _new_rs_replicas(self, d: Deployment, old: list[ReplicaSet], new: ReplicaSet | None) -> int:
        """``NewRSNewReplicas`` for RollingUpdate: up to replicas + maxSurge pods in total."""
        current_new = _replicas(new) if new is not None else 0
        total = sum(_replicas(rs) for rs in old) + current_new
        most = _replicas(d) + max_surge(d)
        if total >= most:
            return current_new
        return current_new + min(most - total, _replicas(d) - current_new)

    def _reconcile_new(self, d: Deployment, new: ReplicaSet, old: list[ReplicaSet]) -> bool:
        if _replicas(new) == _replicas(d):
            return False
        if _replicas(new) > _replicas(d):
            return self._scale_rs(d, new, _replicas(d)) is not new
        size = self._new_rs_replicas(d, old, new)
        return self._scale_rs(d, new, size) is not new and size != _replicas(new)

    def _reconcile_old(self, d: Deployment, new: ReplicaSet, old: list[ReplicaSet]) -> bool:
        """``reconcileOldReplicaSets``: scale old ReplicaSets down without going below minAvailable."""
        old_count = sum(_replicas(rs) for rs in old)
        if old_count == 0:
            return False
        all_count = old_count + _replicas(new)
        min_available = _replicas(d) - max_unavailable(d)
        new_unavailable = _replicas(new) - new.status.available_replicas
        budget = all_count - min_available - new_unavailable
        if budget <= 0:
            return False
        scaled, old = self._clean_unhealthy(d, old, budget)
        available = sum(rs.status.available_replicas for rs in [*old, new])
        if available <= min_available:
            return scaled > 0
        to_remove, removed = available - min_available, 0
        for rs in old:
            if removed >= to_remove:
                break
            if _replicas(rs) == 0:
                continue
            step = min(_replicas(rs), to_remove - removed)
            self._scale_rs(d, rs, _replicas(rs) - step)
            removed += step
        return scaled + removed > 0

    def _clean_unhealthy(self, d: Deployment, old: list[ReplicaSet], budget: int) -> tuple[int, list[ReplicaSet]]:
        done, result = 0, []
        for rs in old:
            if done >= budget or _replicas(rs) == rs.status.available_replicas:
                result.append(rs)
                continue
            step = min(budget - done, _replicas(rs) - rs.status.available_replicas)
            result.append(self._scale_rs(d, rs, _replicas(rs) - step))
            done += step
        return done, result

    def _recreate(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        """``rolloutRecreate``: old ReplicaSets to zero, wait for their pods to go, then the new one up."""
        scaled = False
        for rs in old:
            if _replicas(rs) > 0:
                self._scale_rs(d, rs, 0)
                scaled = True
        if scaled or any(rs.status.replicas > 0 for rs in old):
            self._write_status(d, new, self._replica_sets_except(d, new), rollout=True)
            return
        if new is None:
            new = self._new_replica_set(d, old, _replicas(d))
            if new is None:
                return
        elif _replicas(new) != _replicas(d):
            new = self._scale_rs(d, new, _replicas(d))
        self._clean_up(d, old)
        self._write_status(d, *self._split(d, self._replica_sets(d)), rollout=True)

    def _replica_sets_except(self, d: Deployment, new: ReplicaSet | None) -> list[ReplicaSet]:
        return [rs for rs in self._replica_sets(d) if new is None or rs.metadata.name != new.metadata.name]

    def _sync_revision(self, d: Deployment, new: ReplicaSet, old: list[ReplicaSet]) -> bool:
        wanted = max((_revision(rs) for rs in old), default=0) + 1
        if _revision(new) >= wanted:
            return False
        meta = evolve(new.metadata, annotations={**new.metadata.annotations, REVISION: str(wanted)})
        self.cluster.registry.put(new.replace(metadata=meta))
        self._wrote = True
        return True

    def _clean_up(self, d: Deployment, old: list[ReplicaSet]) -> None:
        """``cleanupDeployment``: keep at most ``revisionHistoryLimit`` empty old ReplicaSets."""
        limit = d.spec.revision_history_limit
        if limit is None or not self._complete(d, d.status):
            return
        excess = len(old) - limit
        for rs in sorted(old, key=lambda r: (_revision(r), str(r.metadata.creation_timestamp)))[:max(excess, 0)]:
            if rs.status.replicas == 0 and _replicas(rs) == 0 and rs.metadata.generation <= rs.status.observed_generation:
                self.cluster.registry.remove(ReplicaSet, rs.metadata.namespace, rs.metadata.name)
                self._wrote = True

    # ------------------------------------------------------------------ status

    def _complete(self, d: Deployment, status: DeploymentStatus) -> bool:
        want = _replicas(d)
        return (status.updated_replicas == want and status.replicas == want
                and status.available_replicas == want and status.observed_generation >= d.metadata.generation)

    def _calculate(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet]) -> DeploymentStatus:
        rss = [rs for rs in [*old, new] if rs is not None]
        available = sum(rs.status.available_replicas for rs in rss)
        unavailable = max(sum(_replicas(rs) for rs in rss) - available, 0)
        now = eventlog.timestamp(self.cluster)
        if available >= _replicas(d) - max_unavailable(d):
            wanted = _condition("Available", "True", MIN_AVAILABLE, now)
        else:
            wanted = _condition("Available", "False", MIN_UNAVAILABLE, now)
        return evolve(
            d.status,
            observed_generation=d.metadata.generation,
            replicas=sum(rs.status.replicas for rs in rss),
            updated_replicas=new.status.replicas if new is not None else 0,
            ready_replicas=sum(rs.status.ready_replicas for rs in rss),
            available_replicas=available,
            unavailable_replicas=unavailable,
            conditions=_set_condition(d.status.conditions, wanted),
        )

    def _write_status(self, d: Deployment, new: ReplicaSet | None, old: list[ReplicaSet], *, rollout: bool) -> None:
        d = self.cluster.registry.get(Deployment, d.metadata.namespace, d.metadata.name) or d
        status = self._calculate(d, new, old)
        if d.spec.paused or rollout:
            status = evolve(status, conditions=self._progressing(d, status, new))
        if status != d.status:
            self._put_status(d, status)

    def _progressing(self, d: Deployment, status: DeploymentStatus, new: ReplicaSet | None) -> list:
        """``syncRolloutStatus`` / ``checkPausedConditions``: the Progressing condition."""
        now = eventlog.timestamp(self.cluster)
        conditions = list(status.conditions or [])
        current = _get_condition(conditions, "Progressing")
        if d.spec.paused:
            if current is None or current.get("reason") != PAUSED[0]:
                return _set_condition(conditions, _condition("Progressing", "Unknown", PAUSED, now))
            return conditions
        if current is not None and current.get("reason") == PAUSED[0]:
            conditions = _set_condition(conditions, _condition("Progressing", "Unknown", RESUMED, now))
            current = _get_condition(conditions, "Progressing")
        if d.spec.progress_deadline_seconds is None:
            return _remove_condition(conditions, "Progressing")
        if status.replicas == status.updated_replicas and current is not None and current.get("reason") == NEW_RS_AVAILABLE[0]:
            return conditions
        rs_name = new.metadata.name if new is not None else ""
        if self._complete(d, status):
            return _set_condition(conditions, _condition("Progressing", "True", NEW_RS_AVAILABLE, now, rs=rs_name))
        if self._progressed(d, status):
            wanted = _condition("Progressing", "True", RS_UPDATED, now, rs=rs_name)
            if current is not None:
                if current.get("status") == "True":
                    wanted["lastTransitionTime"] = current.get("lastTransitionTime")
                conditions = _remove_condition(conditions, "Progressing")
            return conditions + [wanted]
        return conditions

    @staticmethod
    def _progressed(d: Deployment, status: DeploymentStatus) -> bool:
        before = d.status
        return (status.updated_replicas > before.updated_replicas
                or status.replicas - status.updated_replicas < before.replicas - before.updated_replicas
                or status.ready_replicas > before.ready_replicas
                or status.available_replicas > before.available_replicas)

    def _put_status(self, d: Deployment, status: DeploymentStatus) -> Deployment:
        current = self.cluster.registry.get(Deployment, d.metadata.namespace, d.metadata.name) or d
        self._wrote = True
        return self.cluster.registry.put(current, status=status)


def _neg(text: str) -> tuple:
    """Sort key for a string in descending order."""
    return tuple(-ord(c) for c in text)
