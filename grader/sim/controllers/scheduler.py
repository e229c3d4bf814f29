"""kube-scheduler: binds pending pods to nodes, or leaves them Pending with the reason why.

Pods without ``spec.nodeName`` are scheduled in creation order (higher ``spec.priority``
first, as PrioritySort does). Each node is checked by the filter plugins in kube-scheduler's
order, and the first one that rejects a node names the reason for that node:

1. ``NodeUnschedulable`` — ``spec.unschedulable`` without a toleration for
   ``node.kubernetes.io/unschedulable:NoSchedule``: *node(s) were unschedulable*;
2. ``NodeName`` — never fails here (pods that name a node skip the scheduler);
3. ``TaintToleration`` — the first ``NoSchedule``/``NoExecute`` taint the pod does not
   tolerate: *node(s) had untolerated taint {key: value}*;
4. ``NodeAffinity`` — ``nodeSelector`` and required node affinity:
   *node(s) didn't match Pod's node affinity/selector*;
5. ``NodePorts`` — R-SCH-1/2: *node(s) didn't have free ports for the requested pod ports*;
6. ``NodeResourcesFit`` — the node's bound, non-terminal pods already reach its allocatable
   ``pods`` (110, kind's kubelet ``maxPods``): *Too many pods*.

A pod no node accepts stays ``Pending`` with ``PodScheduled=False`` (reason ``Unschedulable``)
and a ``FailedScheduling`` event whose message is ``FitError.Error()`` (R-SCH-4): a sorted
``"<count> <reason>"`` histogram, then the preemption post-filter's own histogram (nodes that
failed on anything but NodePorts or NodeResourcesFit: *Preemption is not helpful for
scheduling*; those two: *No preemption victims found for incoming pod* — every pod has priority
0, so there are never victims). Retries aggregate: the same FailedScheduling event's count grows.
A pending pod is retried when something that could help happens: an assigned pod holding host
ports goes away (S31: deleting ``hp-a`` lets ``hp-b`` schedule), a pod leaves a full node (pods
that met *Too many pods*), the pod itself changes, or a node changes.

Scoring among the feasible nodes (documented simplification of the default score plugins):
the node with the fewest pods of the same owner (controller ``ownerReference``; bare pods are
grouped by namespace and labels), then the fewest pods overall, then a fixed per-node rank
drawn once from ``cluster.random("scheduler")``. So a Deployment spreads one pod per node
before doubling up (S01, S32), and runs are reproducible per seed. Unlike kube-scheduler, every
feasible node is scored (no ``percentageOfNodesToScore`` sampling).

Scale: the scheduler keeps, per node, its pod count and a host-port table, plus lazy heaps
keyed by (count, rank) globally and by (owner count, count, rank) per owner. A pod that needs
nothing special (no host ports, no node selector or affinity, no toleration for a taint that
exists) is placed from the heaps without looking at every node; a pod with host ports only
checks the nodes already using one of its ports. Full nodes leave the heaps until a pod leaves
them, and the full nodes are kept in an append-only log that decisions share, so a pod that
finds every node full costs O(log n), not O(nodes). Only pods with a selector, affinity or
relevant toleration scan all nodes.

Every decision is kept (failing nodes with their reason, and the chosen node) so that
:meth:`Scheduler.explain` can tell a learner why each node was rejected.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Hashable, Iterable

from grader.model.objects import Node, Pod, PodCondition, Taint, Toleration, evolve
from grader.records import frozen
from grader.sim.controllers import eventlog

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = [
    "DEFAULT_MAX_PODS",
    "ERR_NODE_AFFINITY",
    "ERR_NODE_NAME",
    "ERR_NODE_PORTS",
    "ERR_TOO_MANY_PODS",
    "ERR_UNSCHEDULABLE",
    "HostPort",
    "HostPortTable",
    "NO_PREEMPTION_VICTIMS",
    "PREEMPTION_NOT_HELPFUL",
    "Scheduler",
    "Verdict",
    "allocatable_pods",
    "creation_order",
    "fit_error_message",
    "host_ports",
    "node_affinity_matches",
    "owner_key",
    "taint_reason",
    "tolerates",
]

SCHEDULER_NAME = "default-scheduler"

ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_NODE_NAME = "node(s) didn't match the requested node name"
ERR_TAINT = "node(s) had untolerated taint {{{key}: {value}}}"
ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"
DEFAULT_MAX_PODS = 110
"""The kubelet's default ``maxPods``, kind's allocatable ``pods`` per node."""
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE = "not eligible due to preemptionPolicy=Never."
SCHEDULED = "Successfully assigned {0}/{1} to {2}"  # namespace, name, node
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"

UNSCHEDULABLE_TAINT = Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")
_BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")
_SCHEDULED = PodCondition(type="PodScheduled", status="True")
_TERMINAL = ("Succeeded", "Failed")
_RESOLVABLE = ("NodePorts", "NodeResourcesFit")
"""Filters whose failures are ``Unschedulable`` (preemption may help), not ``...AndUnresolvable``."""
_FIT = ("NodeResourcesFit", ERR_TOO_MANY_PODS)
_WAITS_FOR_PORTS = 1
_WAITS_FOR_ROOM = 2

HostPort = tuple[str, str, int]
"""``(hostIP, protocol, hostPort)`` with ``0.0.0.0`` and ``TCP`` filled in (R-SCH-2)."""

Key = tuple[str, str]


# --------------------------------------------------------------------------- host ports


def host_ports(pod: Pod) -> tuple[HostPort, ...]:
    """The host ports a pod claims: regular containers' ports with ``hostPort > 0`` (R-SCH-1).

    hostNetwork pods take part through their defaulted hostPorts (R-HN-1, R-HN-3). Pods of
    one template share their containers, so the answer is remembered per containers tuple.
    """
    containers = pod.spec.containers
    hit = _HOST_PORTS.get(id(containers))
    if hit is not None and hit[0] is containers:
        return hit[1]
    found = tuple(
        (p.host_ip or "0.0.0.0", p.protocol or "TCP", p.host_port)
        for c in containers
        for p in c.ports
        if p.host_port > 0
    )
    if len(_HOST_PORTS) >= 4096:
        _HOST_PORTS.clear()
    _HOST_PORTS[id(containers)] = (containers, found)
    return found


_HOST_PORTS: dict[int, tuple[tuple, tuple[HostPort, ...]]] = {}


class HostPortTable:
    """The host ports in use on one node: ``(protocol, port)`` → host IPs with use counts."""

    __slots__ = ("_used",)

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], Counter[str]] = {}

    def conflicts(self, ip: str, protocol: str, port: int) -> bool:
        """R-SCH-2: ``0.0.0.0`` clashes with the port on any IP; an IP with itself or ``0.0.0.0``."""
        ips = self._used.get((protocol, port))
        if not ips:
            return False
        if ip == "0.0.0.0":
            return True
        return ip in ips or "0.0.0.0" in ips

    def any_conflict(self, ports: Iterable[HostPort]) -> bool:
        """True if any of ``ports`` clashes with a port in use."""
        return any(self.conflicts(ip, proto, port) for ip, proto, port in ports)

    def add(self, ports: Iterable[HostPort]) -> None:
        """Count ``ports`` as used (a pod placed or admitted)."""
        for ip, proto, port in ports:
            self._used.setdefault((proto, port), Counter())[ip] += 1

    def remove(self, ports: Iterable[HostPort]) -> None:
        """Give back ``ports`` (a pod gone or finished)."""
        for ip, proto, port in ports:
            ips = self._used.get((proto, port))
            if ips is None:
                continue
            ips[ip] -= 1
            if ips[ip] <= 0:
                del ips[ip]
            if not ips:
                del self._used[(proto, port)]


def allocatable_pods(node: Node | None) -> int:
    """A node's ``status.allocatable.pods`` (the kubelet's ``maxPods``); 110 when unset."""
    allocatable = node.status.allocatable if node is not None else None
    value = allocatable.get("pods") if isinstance(allocatable, dict) else None
    try:
        return int(value) if value is not None else DEFAULT_MAX_PODS
    except (TypeError, ValueError):
        return DEFAULT_MAX_PODS


# --------------------------------------------------------------------------- predicates


def tolerates(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    """``ToleratesTaint`` for any toleration: effect, key, then Equal/Exists on the value.

    An empty key with ``Exists`` tolerates every taint; an empty effect matches every effect.
    """
    for t in tolerations:
        if t.effect and t.effect != taint.effect:
            continue
        if t.key and t.key != taint.key:
            continue
        operator = t.operator or "Equal"
        if operator == "Exists" or (operator == "Equal" and t.value == taint.value):
            return True
    return False


def taint_reason(taint: Taint) -> str:
    """``node(s) had untolerated taint {key: value}`` for one taint."""
    return ERR_TAINT.format(key=taint.key, value=taint.value)


def _expression_matches(expr: Any, labels: dict[str, str]) -> bool:
    if not isinstance(expr, dict):
        return False
    key, op = expr.get("key", ""), expr.get("operator", "")
    values = [str(v) for v in expr.get("values") or ()]
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and len(values) == 1:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _term_matches(term: Any, labels: dict[str, str], name: str) -> bool:
    """A nodeSelectorTerm: all expressions and fields match; an empty term matches nothing."""
    if not isinstance(term, dict):
        return False
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    field_labels = {"metadata.name": name}
    return all(_expression_matches(e, labels) for e in exprs) and all(
        _expression_matches(f, field_labels) for f in fields
    )


def required_node_terms(pod: Pod) -> list | None:
    """``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms``."""
    affinity = pod.spec.affinity
    if not isinstance(affinity, dict):
        return None
    node_affinity = affinity.get("nodeAffinity")
    if not isinstance(node_affinity, dict):
        return None
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        return None
    return list(required.get("nodeSelectorTerms") or [])


def node_affinity_matches(
    selector: dict[str, str], terms: list | None, labels: dict[str, str], name: str
) -> bool:
    """NodeAffinity's filter: every ``nodeSelector`` pair, and one required term if any are given."""
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    return terms is None or any(_term_matches(t, labels, name) for t in terms)


def owner_key(pod: Pod) -> Hashable | None:
    """What the scheduler spreads by: the controller's uid, else namespace and labels."""
    for ref in pod.metadata.owner_references:
        if ref.controller:
            return ref.uid or (ref.kind, ref.name)
    labels = pod.metadata.labels
    if labels:
        return (pod.metadata.namespace, tuple(sorted(labels.items())))
    return None


# --------------------------------------------------------------------------- messages


def fit_error_message(
    nodes: int, reasons: Iterable[str], post_filter: str = "", *, double_period: bool = False
) -> str:
    """``FitError.Error()``: ``0/N nodes are available: <sorted "count reason">.`` (R-SCH-4).

    ``post_filter`` (the preemption message) follows after a space. Kubernetes before 1.28
    (kubernetes#117588) put a period after it too, giving the ``..`` ending that older issue
    reports show; ``double_period=True`` reproduces that.
    """
    histogram = sorted(f"{count} {reason}" for reason, count in Counter(reasons).items())
    message = f"0/{nodes} nodes are available:"
    if histogram:
        message += f" {', '.join(histogram)}."
    if post_filter:
        message += f" {post_filter}" + ("." if double_period else "")
    return message


def failed_scheduling_message(
    nodes: int, failures: Iterable[tuple[str, str]], preemption_policy: str | None,
    *, double_period: bool = False,
) -> str:
    """The FailedScheduling message for ``failures`` = ``(plugin, reason)`` per rejected node."""
    failures = list(failures)
    if preemption_policy == "Never":
        post = f"preemption: {NOT_ELIGIBLE}"
    else:
        victims = [NO_PREEMPTION_VICTIMS if plugin in _RESOLVABLE else PREEMPTION_NOT_HELPFUL
                   for plugin, _ in failures]
        inner = fit_error_message(nodes, victims, double_period=double_period)
        post = f"preemption: {inner}"
    return fit_error_message(nodes, (r for _, r in failures), post, double_period=double_period)


# --------------------------------------------------------------------------- verdicts


@frozen
class Verdict:
    """What the scheduler concluded about one node for one pod."""

    fits: bool
    chosen: bool = False
    plugin: str = ""
    reason: str = ""

    def __str__(self) -> str:
        if self.chosen:
            return "chosen"
        if self.fits:
            return "feasible"
        return f"{self.plugin}: {self.reason}"


@frozen
class _Decision:
    """One scheduling attempt: the chosen node and the rejected ones.

    ``full_log[:full_count]`` are the base nodes that were full at the time (a prefix of the
    scheduler's append-only log, shared by every decision, never copied); those that also had
    a host-port conflict failed on NodePorts first and are listed in ``extra``.
    """

    chosen: int | None
    static: tuple[tuple[int, str, str], ...]
    extra: tuple[tuple[int, str, str], ...]
    full_log: list[int] | tuple[()] = ()
    full_count: int = 0

    def failures(self) -> Iterable[tuple[int, str, str]]:
        """Every rejected node as ``(index, plugin, reason)``."""
        if not self.full_count:
            return itertools.chain(self.static, self.extra)
        ported = {i for i, _, _ in self.extra}
        full = ((i, *_FIT) for i in itertools.islice(self.full_log, self.full_count) if i not in ported)
        return itertools.chain(self.static, self.extra, full)


@dataclass(slots=True)
class _NodeState:
    index: int
    name: str
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    unschedulable: bool
    rank: int
    ports: HostPortTable
    capacity: int = DEFAULT_MAX_PODS
    total: int = 0
    base: bool = True

    @property
    def full(self) -> bool:
        """NodeResourcesFit: one more pod would exceed the node's allocatable ``pods``."""
        return self.total >= self.capacity


@frozen
class _Needs:
    """What a pod asks of a node; ``scan`` when only looking at every node can tell."""

    ports: tuple[HostPort, ...]
    tolerations: tuple[Toleration, ...]
    selector: dict[str, str]
    terms: list | None
    scan: bool = False


# --------------------------------------------------------------------------- the controller


class Scheduler:
    """The default scheduler of a simulated cluster (a :class:`~grader.sim.controllers.Controller`)."""

    name = "scheduler"

    def __init__(self, cluster: "Cluster", *, double_period: bool = False) -> None:
        self.cluster = cluster
        self.double_period = double_period
        self._seq = itertools.count()
        self._order: dict[Key, int] = {}
        self._queue: list[tuple[int, int, Key]] = []
        self._queued: set[Key] = set()
        self._waiting: dict[Key, int] = {}  # unschedulable pods -> what may help (_WAITS_FOR_*)
        self._waiting_for: dict[int, dict[Key, None]] = {_WAITS_FOR_PORTS: {}, _WAITS_FOR_ROOM: {}}
        self._messages: dict[tuple, str] = {}
        self._placed: dict[Key, tuple[int, Hashable | None, tuple[HostPort, ...]]] = {}
        self._decisions: dict[Key, _Decision] = {}  # the last decision per pod (shared when alike)
        self._decided_uids: dict[Key, str] = {}
        self._plain_decisions: dict[int | None, _Decision] = {}
        self._needs_cache: dict[int, tuple[Any, _Needs]] = {}
        self._tolerance_cache: dict[tuple[Toleration, ...], bool] = {}
        self._spec_cache: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._status_cache: dict[Any, tuple[Any, str, Any]] = {}
        self._nodes_dirty = False
        self._build_nodes()
        for pod in sorted(cluster.registry.iter(Pod), key=creation_order):
            self._pod_changed(None, pod)
        cluster.registry.watch(self._on_write, (Pod, Node))

    # ------------------------------------------------------------------ node state

    def _build_nodes(self) -> None:
        registry = self.cluster.registry
        names = [n.name for n in self.cluster.topology.nodes]
        known = set(names)
        names += sorted(n.name for n in registry.iter(Node) if n.name not in known)
        rng = self.cluster.random("scheduler")
        ranks = list(range(len(names)))
        rng.shuffle(ranks)
        self._nodes: list[_NodeState] = []
        for i, name in enumerate(names):
            node = registry.get(Node, "", name)
            if node is None:
                continue
            taints = tuple(Taint(key=t.key, value=t.value, effect=t.effect)
                           for t in node.spec.taints if t.effect in _BLOCKING_EFFECTS)
            state = _NodeState(len(self._nodes), name, dict(node.metadata.labels), taints,
                               node.spec.unschedulable, ranks[i], HostPortTable(), allocatable_pods(node))
            state.base = not taints and not state.unschedulable
            self._nodes.append(state)
        self._index = {n.name: n.index for n in self._nodes}
        self._needs_cache.clear()
        self._tolerance_cache.clear()
        self._messages.clear()
        self._plain_decisions.clear()
        self._n_base = sum(1 for n in self._nodes if n.base)
        self._blocking = {t for n in self._nodes for t in n.taints}
        if any(n.unschedulable for n in self._nodes):
            self._blocking.add(UNSCHEDULABLE_TAINT)
        self._static = tuple(
            (n.index, *self._static_failure(n)) for n in self._nodes if not n.base
        )
        self._reset_heaps()

    def _static_failure(self, node: _NodeState) -> tuple[str, str]:
        if node.unschedulable:
            return "NodeUnschedulable", ERR_UNSCHEDULABLE
        return "TaintToleration", taint_reason(node.taints[0])

    def _reset_heaps(self) -> None:
        self._gver = [0] * len(self._nodes)
        self._gheap: list[tuple[int, int, int, int]] = []
        self._owner_counts: dict[Hashable, dict[int, int]] = {}
        self._owner_base: Counter[Hashable] = Counter()
        self._node_owners: list[dict[Hashable, int]] = [{} for _ in self._nodes]
        self._oheap: dict[Hashable, list[tuple[int, int, int, int, int]]] = {}
        self._over: dict[Hashable, dict[int, int]] = {}
        self._port_nodes: dict[tuple[str, int], Counter[int]] = {}
        self._over_seq = itertools.count(1)
        self._full_log: list[int] = []
        self._full: set[int] = set()
        for node in self._nodes:
            node.total, node.ports = 0, HostPortTable()
            if node.base:
                self._push_global(node.index)

    def _rebuild(self) -> None:
        placed = self._placed
        self._placed = {}
        self._build_nodes()
        for key in sorted(placed, key=lambda k: self._order.get(k, 0)):
            pod = self.cluster.registry.get(Pod, *key)
            if pod is not None:
                self._place(key, pod)
        for key in list(self._waiting):
            self._enqueue(key)

    # ------------------------------------------------------------------ heaps

    def _push_global(self, i: int) -> None:
        """(Re-)file a base node by its pod count; full nodes are left out until a pod leaves."""
        self._gver[i] += 1
        node = self._nodes[i]
        if node.total >= node.capacity:
            return
        heapq.heappush(self._gheap, (node.total, node.rank, i, self._gver[i]))
        if len(self._gheap) > 4 * self._n_base + 64:
            self._gheap = [(n.total, n.rank, n.index, self._gver[n.index])
                           for n in self._nodes if n.base and n.total < n.capacity]
            heapq.heapify(self._gheap)

    def _push_owner(self, owner: Hashable, i: int) -> None:
        counts = self._owner_counts[owner]
        versions = self._over.setdefault(owner, {})
        heap = self._oheap.setdefault(owner, [])
        version = versions[i] = next(self._over_seq)
        node = self._nodes[i]
        if node.total >= node.capacity:
            return
        heapq.heappush(heap, (counts[i], node.total, node.rank, i, version))
        if len(heap) > 4 * len(counts) + 64:
            fresh = []
            for j, count in counts.items():
                if self._nodes[j].base and self._nodes[j].total < self._nodes[j].capacity:
                    versions[j] = next(self._over_seq)
                    fresh.append((count, self._nodes[j].total, self._nodes[j].rank, j, versions[j]))
            heapq.heapify(fresh)
            self._oheap[owner] = fresh

    def _pick_level0(self, counts: dict[int, int] | None, excluded: set[int]) -> int | None:
        """The base node with the fewest pods that holds none of the owner's pods."""
        heap, versions, stash = self._gheap, self._gver, []
        found = None
        while heap:
            _, _, i, version = heap[0]
            if version != versions[i]:
                heapq.heappop(heap)
            elif i in excluded or (counts is not None and i in counts):
                stash.append(heapq.heappop(heap))
            else:
                found = i
                break
        for entry in stash:
            heapq.heappush(heap, entry)
        return found

    def _pick_owner(self, owner: Hashable, excluded: set[int]) -> int | None:
        """The base node with the fewest of the owner's pods (at least one), then fewest pods."""
        counts = self._owner_counts[owner]
        versions = self._over.get(owner, {})
        heap, stash, found = self._oheap.get(owner, []), [], None
        while heap:
            count, total, _, i, version = heap[0]
            node = self._nodes[i]
            if versions.get(i) != version or not node.base or counts.get(i, 0) == 0 or node.full:
                heapq.heappop(heap)
            elif (count, total) != (counts[i], node.total):
                heapq.heappop(heap)
                self._push_owner(owner, i)
                heap = self._oheap[owner]
            elif i in excluded:
                stash.append(heapq.heappop(heap))
            else:
                found = i
                break
        for entry in stash:
            heapq.heappush(heap, entry)
        return found

    def _pick(self, owner: Hashable | None, excluded: set[int]) -> int | None:
        counts = self._owner_counts.get(owner) if owner is not None else None
        if owner is None or self._owner_base[owner] < self._n_base:
            found = self._pick_level0(counts, excluded)
            if found is not None:
                return found
        return self._pick_owner(owner, excluded) if counts else None

    # ------------------------------------------------------------------ placement bookkeeping

    def _place(self, key: Key, pod: Pod) -> None:
        i = self._index.get(pod.spec.node_name)
        if i is None:
            return
        node, ports, owner = self._nodes[i], self._needs_of(pod).ports, owner_key(pod)
        node.total += 1
        if node.base and node.total >= node.capacity and i not in self._full:
            self._full.add(i)
            self._full_log.append(i)
        node.ports.add(ports)
        for _, proto, port in ports:
            self._port_nodes.setdefault((proto, port), Counter())[i] += 1
        self._placed[key] = (i, owner, ports)
        if node.base:
            self._push_global(i)
        if owner is None:
            return
        counts = self._owner_counts.setdefault(owner, {})
        counts[i] = self._node_owners[i][owner] = counts.get(i, 0) + 1
        if counts[i] == 1 and node.base:
            self._owner_base[owner] += 1
        if node.base:
            self._push_owner(owner, i)

    def _release(self, key: Key) -> None:
        i, owner, ports = self._placed.pop(key)
        node = self._nodes[i]
        node.total -= 1
        freed = node.total + 1 >= node.capacity > node.total
        if freed and i in self._full:
            self._full.discard(i)
            self._full_log = [j for j in self._full_log if j != i]
        node.ports.remove(ports)
        for _, proto, port in ports:
            users = self._port_nodes[(proto, port)]
            users[i] -= 1
            if users[i] <= 0:
                del users[i]
        if owner is not None:
            self._release_owner(owner, i)
        if node.base:
            self._push_global(i)
            for other in self._node_owners[i]:
                self._push_owner(other, i)
        if ports:
            self._retry(_WAITS_FOR_PORTS)
        if freed:
            self._retry(_WAITS_FOR_ROOM)

    def _release_owner(self, owner: Hashable, i: int) -> None:
        counts = self._owner_counts[owner]
        counts[i] -= 1
        if counts[i] > 0:
            self._node_owners[i][owner] = counts[i]
            return
        del counts[i], self._node_owners[i][owner]
        self._over.get(owner, {}).pop(i, None)
        if self._nodes[i].base:
            self._owner_base[owner] -= 1

    # ------------------------------------------------------------------ watch

    def _on_write(self, kind: type, old: Any, new: Any) -> None:
        if kind is Pod:
            self._pod_changed(old, new)
        elif kind is Node:
            self._nodes_dirty = True

    def _pod_changed(self, old: Pod | None, new: Pod | None) -> None:
        pod = new if new is not None else old
        key = (pod.metadata.namespace, pod.metadata.name)
        if old is not None and new is not None and old.spec is new.spec and self._status_only(key, old, new):
            return
        if new is None or (old is not None and old.metadata.uid != new.metadata.uid):
            self._forget(key)
            if new is None:
                return
        if key not in self._order:
            self._order[key] = next(self._seq)
        terminal = new.status.phase in _TERMINAL or new.metadata.deletion_timestamp is not None
        if new.spec.node_name:
            self._unwait(key)
            self._queued.discard(key)
            if terminal and key in self._placed:
                self._release(key)
            elif not terminal and key not in self._placed:
                self._place(key, new)
        elif terminal:
            self._unwait(key)
            self._queued.discard(key)
        elif key in self._waiting:
            if old is None or (old.spec is not new.spec and old.spec != new.spec) \
                    or old.metadata.labels != new.metadata.labels:
                self._enqueue(key, new)
        elif key not in self._queued and new.spec.scheduler_name in ("", SCHEDULER_NAME):
            self._enqueue(key, new)

    def _status_only(self, key: Key, old: Pod, new: Pod) -> bool:
        """True for a write that changes nothing the scheduler tracks (a kubelet status write
        about a live pod it already placed, queued or parked)."""
        meta = new.metadata
        if meta.uid != old.metadata.uid or meta.deletion_timestamp is not None or new.status.phase in _TERMINAL:
            return False
        if meta.labels is not old.metadata.labels and meta.labels != old.metadata.labels:
            return False
        return key in self._placed or key in self._queued or key in self._waiting

    def _forget(self, key: Key) -> None:
        if key in self._placed:
            self._release(key)
        self._unwait(key)
        self._queued.discard(key)
        self._decisions.pop(key, None)
        self._decided_uids.pop(key, None)
        self._order.pop(key, None)

    def _enqueue(self, key: Key, pod: Pod | None = None) -> None:
        """Queue a pod (``pod``: its stored object, when the caller has it at hand)."""
        if pod is None:
            pod = self.cluster.registry.get(Pod, *key)
        priority = (pod.spec.priority or 0) if pod is not None else 0
        self._unwait(key)
        self._queued.add(key)
        heapq.heappush(self._queue, (-priority, self._order.get(key, 0), key))

    def _wait(self, key: Key, causes: int) -> None:
        """Park an unschedulable pod until one of ``causes`` (``_WAITS_FOR_*`` flags) happens."""
        self._unwait(key)
        self._waiting[key] = causes
        for flag, keys in self._waiting_for.items():
            if causes & flag:
                keys[key] = None

    def _unwait(self, key: Key) -> None:
        causes = self._waiting.pop(key, 0)
        if causes:
            for flag, keys in self._waiting_for.items():
                if causes & flag:
                    keys.pop(key, None)

    def _retry(self, cause: int) -> None:
        """Queue again the pending pods that ``cause`` (one ``_WAITS_FOR_*`` flag) may help."""
        for key in list(self._waiting_for[cause]):
            self._enqueue(key)

    # ------------------------------------------------------------------ scheduling

    def sync(self) -> bool:
        """Schedule every queued pod, in priority then creation order; True if anything was written."""
        if self._nodes_dirty:
            self._nodes_dirty = False
            self._rebuild()
        wrote = False
        pods = self.cluster.registry.by_key(Pod)
        while self._queue:
            _, _, key = heapq.heappop(self._queue)
            if key not in self._queued:
                continue
            self._queued.discard(key)
            pod = pods.get(key)
            if pod is None or pod.spec.node_name or pod.status.phase in _TERMINAL:
                continue
            wrote = self._schedule_one(key, pod) or wrote
        return wrote

    def _needs_of(self, pod: Pod) -> _Needs:
        spec = pod.spec
        cached = self._needs_cache.get(id(spec))
        if cached is not None and cached[0] is spec:
            return cached[1]
        if len(self._needs_cache) > 65536:
            self._needs_cache.clear()
        terms = required_node_terms(pod)
        scan = bool(spec.node_selector) or terms is not None or self._tolerations_matter(spec.tolerations)
        needs = _Needs(host_ports(pod), spec.tolerations, spec.node_selector, terms, scan)
        self._needs_cache[id(spec)] = (spec, needs)
        return needs

    def _tolerations_matter(self, tolerations: tuple[Toleration, ...]) -> bool:
        found = self._tolerance_cache.get(tolerations)
        if found is None:
            found = self._tolerance_cache[tolerations] = any(
                tolerates(tolerations, t) for t in self._blocking
            )
        return found

    def _schedule_one(self, key: Key, pod: Pod) -> bool:
        if pod.spec.scheduling_gates:
            self._wait(key, 0)
            return self._write_unschedulable(pod, "SchedulingGated", GATED_MESSAGE, event=False)
        needs = self._needs_of(pod)
        owner = owner_key(pod)
        if needs.scan:
            decision = self._decide_by_scan(needs, owner)
            too_many = sum(1 for _, plugin, _ in decision.failures() if plugin == _FIT[0])
        else:
            decision, too_many = self._decide_fast(needs, owner)
        self._decisions[key] = decision
        self._decided_uids[key] = pod.metadata.uid
        if decision.chosen is not None:
            return self._bind(pod, self._nodes[decision.chosen].name)
        self._wait(key, (_WAITS_FOR_PORTS if needs.ports else 0) | (_WAITS_FOR_ROOM if too_many else 0))
        message = self._failure_message(decision, too_many, pod.spec.preemption_policy)
        return self._write_unschedulable(pod, "Unschedulable", message)

    def _failure_message(self, decision: _Decision, too_many: int, policy: str | None) -> str:
        """The FailedScheduling message; fast-path decisions share it by their histogram."""
        fast = decision.static is self._static
        key = (len(decision.extra), too_many, policy) if fast else None
        found = self._messages.get(key) if fast else None
        if found is None:
            found = failed_scheduling_message(
                len(self._nodes), ((p, r) for _, p, r in decision.failures()),
                policy, double_period=self.double_period,
            )
            if fast:
                self._messages[key] = found
        return found

    def _port_conflicts(self, ports: tuple[HostPort, ...]) -> set[int]:
        found: set[int] = set()
        for ip, proto, port in ports:
            for i in self._port_nodes.get((proto, port), ()):
                node = self._nodes[i]
                if node.base and node.ports.conflicts(ip, proto, port):
                    found.add(i)
        return found

    def _decide_fast(self, needs: _Needs, owner: Hashable | None) -> tuple[_Decision, int]:
        """Place from the heaps; also the number of nodes rejected for *Too many pods*."""
        conflicts = self._port_conflicts(needs.ports) if needs.ports else set()
        chosen = self._pick(owner, conflicts)
        extra = tuple((i, "NodePorts", ERR_NODE_PORTS) for i in sorted(conflicts)) if conflicts else ()
        log = self._full_log
        if not log:
            if extra:
                return _Decision(chosen, self._static, extra), 0
            plain = self._plain_decisions.get(chosen)
            if plain is None:  # pods placed alike share one decision
                plain = self._plain_decisions[chosen] = _Decision(chosen, self._static, ())
            return plain, 0
        too_many = len(log) - sum(1 for i in conflicts if i in self._full)
        return _Decision(chosen, self._static, extra, log, len(log)), too_many

    def _filter(self, node: _NodeState, needs: _Needs) -> tuple[str, str] | None:
        """The first filter plugin that rejects ``node``, as (plugin, reason), or None."""
        if node.unschedulable and not tolerates(needs.tolerations, UNSCHEDULABLE_TAINT):
            return "NodeUnschedulable", ERR_UNSCHEDULABLE
        for taint in node.taints:
            if not tolerates(needs.tolerations, taint):
                return "TaintToleration", taint_reason(taint)
        if not node_affinity_matches(needs.selector, needs.terms, node.labels, node.name):
            return "NodeAffinity", ERR_NODE_AFFINITY
        if node.ports.any_conflict(needs.ports):
            return "NodePorts", ERR_NODE_PORTS
        if node.total >= node.capacity:
            return _FIT
        return None

    def _decide_by_scan(self, needs: _Needs, owner: Hashable | None) -> _Decision:
        counts = self._owner_counts.get(owner, {}) if owner is not None else {}
        failures, best, best_key = [], None, None
        for node in self._nodes:
            rejected = self._filter(node, needs)
            if rejected is not None:
                failures.append((node.index, *rejected))
                continue
            score = (counts.get(node.index, 0), node.total, node.rank)
            if best_key is None or score < best_key:
                best, best_key = node.index, score
        return _Decision(best, (), tuple(failures))

    # ------------------------------------------------------------------ writes

    def _bind(self, pod: Pod, node: str) -> bool:
        now = eventlog.timestamp(self.cluster)
        self.cluster.registry.put(pod, spec=self._bound_spec(pod.spec, node),
                                  status=self._bound_status(pod.status, now))
        message = SCHEDULED.format(pod.metadata.namespace, pod.metadata.name, node)
        eventlog.record(self.cluster, "Normal", "Scheduled", message, SCHEDULER_NAME, pod)
        return True

    def _bound_spec(self, spec: Any, node: str) -> Any:
        """``spec`` with ``nodeName``; pods of one template bound to one node share the copy."""
        cache = self._spec_cache
        found = cache.get((id(spec), node))
        if found is not None and found[0] is spec:
            return found[1]
        if len(cache) > 65536:
            cache.clear()
        bound = evolve(spec, node_name=node)
        cache[(id(spec), node)] = (spec, bound)
        needs = self._needs_cache.get(id(spec))
        if needs is not None and needs[0] is spec:  # nodeName changes nothing the filters read
            self._needs_cache[id(bound)] = (bound, needs[1])
        return bound

    def _bound_status(self, status: Any, now: str) -> Any:
        """``status`` with ``PodScheduled=True``; identical statuses bound at one instant share it."""
        cache = self._status_cache
        found = cache.get(id(status))
        if found is not None and found[0] is status and found[1] == now:
            return found[2]
        if len(cache) > 4096:
            cache.clear()
        bound = evolve(status, conditions=_set_condition(status.conditions, _SCHEDULED, now))
        cache[id(status)] = (status, now, bound)
        return bound

    def _write_unschedulable(self, pod: Pod, reason: str, message: str, *, event: bool = True) -> bool:
        if event:
            eventlog.record(self.cluster, "Warning", "FailedScheduling", message, SCHEDULER_NAME, pod)
        status = self._unschedulable_status(pod.status, reason, message)
        if status is pod.status:
            return False
        self.cluster.registry.put(pod, status=status)
        return True

    def _unschedulable_status(self, status: Any, reason: str, message: str) -> Any:
        """``status`` with ``PodScheduled=False``; pods pending alike at one instant share it."""
        now = eventlog.timestamp(self.cluster)
        key = (id(status), reason, message, now)
        cache = self._status_cache
        found = cache.get(key)
        if found is not None and found[0] is status:
            return found[2]
        wanted = PodCondition(type="PodScheduled", status="False", reason=reason, message=message)
        conditions = _set_condition(status.conditions, wanted, now)
        new = status if conditions == status.conditions else evolve(status, conditions=conditions)
        if len(cache) > 4096:
            cache.clear()
        cache[key] = (status, now, new)
        return new

    # ------------------------------------------------------------------ explanations

    def explain(self, pod: Pod) -> list[tuple[str, Verdict]]:
        """Why each node was (not) chosen for ``pod`` at its last scheduling attempt.

        One ``(node name, Verdict)`` per node in topology order; empty when the scheduler never
        decided about this pod (e.g. it named its node in ``spec.nodeName``).
        """
        key = (pod.metadata.namespace, pod.metadata.name)
        decision = self._decisions.get(key)
        if decision is None or self._decided_uids.get(key) != pod.metadata.uid:
            return []
        failed = {i: Verdict(False, plugin=p, reason=r) for i, p, r in decision.failures()}
        verdicts = []
        for node in self._nodes:
            if node.index == decision.chosen:
                verdicts.append((node.name, Verdict(True, chosen=True)))
            else:
                verdicts.append((node.name, failed.get(node.index, Verdict(True))))
        return verdicts


def _set_condition(
    conditions: tuple[PodCondition, ...], wanted: PodCondition, now: str
) -> tuple[PodCondition, ...]:
    """``UpdatePodCondition``: replace the condition of that type; a new status gets a new time."""
    for i, cond in enumerate(conditions):
        if cond.type != wanted.type:
            continue
        if (cond.status, cond.reason, cond.message) == (wanted.status, wanted.reason, wanted.message):
            return conditions
        moment = cond.last_transition_time if cond.status == wanted.status else now
        return conditions[:i] + (evolve(wanted, last_transition_time=moment),) + conditions[i + 1:]
    return conditions + (evolve(wanted, last_transition_time=now),)


def creation_order(pod: Pod) -> tuple:
    """Sort key for pods in the order they were created (timestamp, then resourceVersion)."""
    return (str(pod.metadata.creation_timestamp or ""), int(pod.metadata.resource_version or 0))
