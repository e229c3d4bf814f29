"""``kubectl get`` as pure functions of objects: tables, ``-o wide``, ``-o yaml``.

The columns are data (:data:`COLUMNS`), one :class:`Column` per ``TableColumnDefinition`` of
``pkg/printers/internalversion/printers.go``; the cells are computed the way that file's
``print<Kind>`` functions compute them. The table is laid out by :func:`tabwrite`, a port of
Go's ``text/tabwriter`` with kubectl's parameters (``printers.GetNewTabWriter``: minwidth 6,
tabwidth 4, padding 3, pad char space), so columns, padding and trailing spaces match byte
for byte. Ages come from :func:`human_duration` (``k8s.io/apimachinery/pkg/util/duration``)
and an explicit ``now``, never the wall clock.

Choices where kubectl versions differ (see the module's tests for the pinned layouts):

* Tables are generated server-side since kubectl 1.11, and the API server always generates
  them with ``Wide: true``; so LoadBalancer ingress lists are never cut to 13 characters + ``...``
  (that was client-side printing), and the ingress addresses are deduplicated and sorted.
* ``ENDPOINTS`` of ``kubectl get endpoints`` (R-EP-7): ``formatEndpoints`` returns ``<none>``
  for an Endpoints object without subsets and an empty cell when subsets exist but none of
  their addresses is ready (only ``notReadyAddresses``). Every copy of printers.go read for
  this module, recent ones included, does this; R-EP-7/S16 say "empty cell on 1.33+" for a
  Service whose named targetPort no pod declares (no subsets), which the source does not
  support. :data:`NO_SUBSETS` is the one place to change if a kind cluster says otherwise.
* Pods and Services read ``status.podIPs`` / ``spec.clusterIPs``; the API server's v1
  conversion fills those from ``podIP`` / ``clusterIP``, so an object that only has the
  singular field is shown as the API server would serve it.
* Objects are listed in the API server's order: by namespace, then name (etcd key order).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import yaml

from grader.errors import UsageError
from grader.model.codec import encode
from grader.model.kinds import resource_for
from grader.model.objects import LabelSelector, Object, Pod, Service
from grader.records import frozen

__all__ = [
    "COLUMNS",
    "Column",
    "GET_TABWRITER",
    "NO_SUBSETS",
    "age",
    "cluster_ips",
    "endpoints_cell",
    "escape",
    "format_labels",
    "get_table",
    "get_yaml",
    "human_duration",
    "join_host_port",
    "label_selector_string",
    "no_resources_message",
    "parse_time",
    "pod_ips",
    "pod_summary",
    "raw_get",
    "service_external_ip",
    "service_ports",
    "status_dicts",
    "tabwrite",
    "with_more",
]

NONE = "<none>"
NO_SUBSETS = NONE
"""ENDPOINTS cell of an Endpoints object without subsets (``formatEndpoints``)."""

GET_TABWRITER = {"minwidth": 6, "padding": 3}
"""``printers.GetNewTabWriter``: minwidth 6, tabwidth 4, padding 3, pad char ``' '``."""

_SECOND = 1_000_000_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE

# --------------------------------------------------------------------------- tabwriter


def tabwrite(text: str, *, minwidth: int, padding: int) -> str:
    """Align tab-terminated cells exactly as Go's ``text/tabwriter`` (space padding, flags 0).

    A column block is a run of consecutive lines that have a cell in that column; its width
    is the widest cell plus ``padding`` (at least ``minwidth``). Every tab-terminated cell is
    padded, even an empty one; the last cell of a line never is.
    """
    lines = [row.split("\t") for row in text.split("\n")]
    out: list[str] = []
    _format(lines, [], 0, len(lines), out, (minwidth, padding))
    return "".join(out)


def _format(lines: list, widths: list, line0: int, line1: int, out: list, params: tuple) -> None:
    column, this = len(widths), line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0, width = this, params[0]
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + params[1])
            this += 1
        _format(lines, [*widths, width], line0, this, out, params)
        line0 = this
        this += 1
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list, widths: list, line0: int, line1: int, out: list) -> None:
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell)
            if j < len(widths):
                out.append(" " * (widths[j] - len(cell)))
        if i + 1 < len(lines):
            out.append("\n")


def escape(text: str) -> str:
    """``printers.WriteEscaped``: neutralise terminal escapes and carriage returns."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


# --------------------------------------------------------------------------- time


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: ``59s``, ``2m5s``, ``3h``, ``5d12h``, ``2y30d``, ``<invalid>``.

    ``seconds`` is a signed difference (``now - then``); up to 1s in the future counts as now.
    """
    return _human_ns(int(round(seconds * _SECOND)))


def _human_ns(ns: int) -> str:
    seconds = int(ns / _SECOND)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes, hours = ns // _MINUTE, ns // _HOUR
    if minutes < 10:
        return _pair(minutes, "m", (ns // _SECOND) % 60, "s")
    if minutes < 180:
        return f"{minutes}m"
    return _human_hours(hours, minutes)


def _human_hours(hours: int, minutes: int) -> str:
    days = hours // 24
    if hours < 8:
        return _pair(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _pair(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return _pair(days // 365, "y", days % 365, "d")
    return f"{days // 365}y"


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}" if small == 0 else f"{big}{big_unit}{small}{small_unit}"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (or a datetime) as an aware datetime; ``None`` when absent or bad."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def age(timestamp: Any, now: datetime) -> str:
    """``translateTimestampSince``: the age of ``timestamp`` at ``now``, ``<unknown>`` if unset."""
    moment = parse_time(timestamp)
    if moment is None:
        return "<unknown>"
    current = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return human_duration((current - moment).total_seconds())


# --------------------------------------------------------------------------- shared formatting


def join_host_port(host: str, port: Any) -> str:
    """``net.JoinHostPort``: IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def with_more(items: list[str], count: int, maximum: int = 3) -> str:
    """The first ``maximum`` items joined by ``,`` and ``+ N more...`` for the rest."""
    text = ",".join(items[:maximum])
    return f"{text} + {count - maximum} more..." if count > maximum else text


def format_labels(labels: dict[str, str]) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, comma-joined; ``<none>`` when empty."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels)) or NONE


def label_selector_string(selector: LabelSelector | None) -> str:
    """``metav1.LabelSelectorAsSelector(s).String()``: requirements sorted by key."""
    if selector is None:
        return ""
    reqs = [(k, f"{k}={v}") for k, v in selector.match_labels.items()]
    reqs += [(e.key, _requirement(e.key, e.operator, e.values)) for e in selector.match_expressions]
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def _requirement(key: str, operator: str, values: Iterable[str]) -> str:
    joined = ",".join(sorted(values))
    return {
        "In": f"{key} in ({joined})",
        "NotIn": f"{key} notin ({joined})",
        "Exists": key,
        "DoesNotExist": f"!{key}",
    }.get(operator, key)


def raw_get(data: Any, *keys: str) -> Any:
    """Walk nested JSON-like data (a :data:`~grader.model.codec.Raw` field); ``None`` if absent."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def status_dicts(statuses: Any) -> list[dict]:
    """Container statuses as API JSON dicts, from dataclasses or from raw data."""
    out = []
    for status in statuses or ():
        if dataclasses.is_dataclass(status):
            out.append(encode(status))
        elif isinstance(status, dict):
            out.append(status)
    return out


def pod_ips(pod: Pod) -> list[str]:
    """``status.podIPs`` as served (filled from ``podIP`` by the v1 conversion)."""
    ips = [p.ip for p in pod.status.pod_ips if p.ip]
    return ips or ([pod.status.pod_ip] if pod.status.pod_ip else [])


def cluster_ips(svc: Service) -> list[str]:
    """``spec.clusterIPs`` as served (filled from ``clusterIP`` by the v1 conversion)."""
    ips = [ip for ip in svc.spec.cluster_ips if ip]
    return ips or ([svc.spec.cluster_ip] if svc.spec.cluster_ip else [])


# --------------------------------------------------------------------------- pods


@dataclass(slots=True)
class _PodTally:
    """The running totals ``printPod`` keeps while it walks the container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None
    sidecar_restarts: int = 0
    sidecar_last: datetime | None = None
    initializing: bool = False


def _later(current: datetime | None, status: dict) -> datetime | None:
    finished = parse_time(raw_get(status, "lastState", "terminated", "finishedAt"))
    if finished is None or (current is not None and finished <= current):
        return current
    return finished


def _condition_true(pod: Pod, kind: str) -> bool:
    return any(c.type == kind and c.status == "True" for c in pod.status.conditions)


def _pod_base_reason(pod: Pod) -> str:
    reason = pod.status.reason or pod.status.phase
    for cond in pod.status.conditions:
        if cond.type == "PodScheduled" and cond.reason == "SchedulingGated":
            reason = "SchedulingGated"
    return reason


def _restartable_inits(pod: Pod) -> set[str]:
    return {c.name for c in pod.spec.init_containers if c.restart_policy == "Always"}


def _tally_init(pod: Pod, tally: _PodTally) -> None:
    sidecars, total = _restartable_inits(pod), len(pod.spec.init_containers)
    for i, status in enumerate(status_dicts(pod.status.init_container_statuses)):
        tally.restarts += status.get("restartCount", 0)
        tally.last_restart = _later(tally.last_restart, status)
        sidecar = status.get("name") in sidecars
        if sidecar:
            tally.sidecar_restarts += status.get("restartCount", 0)
            tally.sidecar_last = _later(tally.sidecar_last, status)
        if _init_done(status, sidecar, tally):
            continue
        tally.reason, tally.initializing = _init_reason(status, i, total), True
        break


def _init_done(status: dict, sidecar: bool, tally: _PodTally) -> bool:
    terminated = raw_get(status, "state", "terminated")
    if terminated is not None and terminated.get("exitCode", 0) == 0:
        return True
    if sidecar and status.get("started"):
        tally.ready += 1 if status.get("ready") else 0
        return True
    return False


def _init_reason(status: dict, index: int, total: int) -> str:
    terminated = raw_get(status, "state", "terminated")
    waiting = raw_get(status, "state", "waiting")
    if terminated is not None:
        return "Init:" + (terminated.get("reason") or _exit_text(terminated))
    if waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
        return "Init:" + waiting["reason"]
    return f"Init:{index}/{total}"


def _exit_text(terminated: dict) -> str:
    signal = terminated.get("signal", 0)
    return f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"


def _tally_main(pod: Pod, tally: _PodTally) -> None:
    tally.restarts, tally.last_restart = tally.sidecar_restarts, tally.sidecar_last
    has_running = False
    for status in reversed(status_dicts(pod.status.container_statuses)):
        tally.restarts += status.get("restartCount", 0)
        tally.last_restart = _later(tally.last_restart, status)
        state = status.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting is not None and waiting.get("reason"):
            tally.reason = waiting["reason"]
        elif terminated is not None:
            tally.reason = terminated.get("reason") or _exit_text(terminated)
        elif status.get("ready") and state.get("running") is not None:
            has_running, tally.ready = True, tally.ready + 1
    if tally.reason == "Completed" and has_running:
        tally.reason = "Running" if _condition_true(pod, "Ready") else "NotReady"


def pod_summary(pod: Pod, now: datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS of a pod, computed as ``printPod`` computes them."""
    tally = _PodTally(_pod_base_reason(pod))
    _tally_init(pod, tally)
    if not tally.initializing or _condition_true(pod, "Initialized"):
        _tally_main(pod, tally)
    if pod.metadata.deletion_timestamp and pod.status.reason == "NodeLost":
        tally.reason = "Unknown"
    elif pod.metadata.deletion_timestamp and pod.status.phase not in ("Succeeded", "Failed"):
        tally.reason = "Terminating"
    total = len(pod.spec.containers) + len(_restartable_inits(pod))
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts += f" ({age(tally.last_restart, now)} ago)"
    return f"{tally.ready}/{total}", tally.reason, restarts


def _readiness_gates(pod: Pod) -> str:
    gates = [g.get("conditionType") for g in pod.spec.readiness_gates or () if isinstance(g, dict)]
    if not gates:
        return NONE
    status = {c.type: c.status for c in reversed(pod.status.conditions)}
    return f"{sum(status.get(g) == 'True' for g in gates)}/{len(gates)}"


# --------------------------------------------------------------------------- services


def _load_balancer_ips(svc: Service) -> list[str]:
    found = {i.ip or i.hostname for i in svc.status.load_balancer.ingress if i.ip or i.hostname}
    return sorted(found)


def service_external_ip(svc: Service) -> str:
    """``getServiceExternalIP`` with ``wide`` true, as the API server renders it."""
    kind, external = svc.spec.type, list(svc.spec.external_ips)
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or NONE
    if kind == "LoadBalancer":
        return ",".join(_load_balancer_ips(svc) + external) or "<pending>"
    if kind == "ExternalName":
        return svc.spec.external_name
    return "<unknown>"


def service_ports(svc: Service) -> str:
    """``makePortString``: ``80/TCP`` or ``80:30080/TCP`` per port; ``<none>`` without ports."""
    pieces = [
        f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port > 0 else f"{p.port}/{p.protocol}"
        for p in svc.spec.ports
    ]
    return ",".join(pieces) or NONE


# --------------------------------------------------------------------------- endpoints


def endpoints_cell(ep: Any, port_names: set[str] | None = None) -> str:
    """``formatEndpoints``: ready ``ip:port`` pairs, ``+ N more...``; ports filtered by name."""
    if not ep.subsets:
        return NO_SUBSETS
    items: list[str] = []
    for subset in ep.subsets:
        ips = [a.ip for a in subset.addresses]
        if not subset.ports:
            items += ips
            continue
        for port in subset.ports:
            if port_names is None or port.name in port_names:
                items += [join_host_port(ip, port.port) for ip in ips]
    return with_more(items, len(items))


def _slice_ports(eps: Any) -> str:
    items = [
        str(p.port) if p.port is not None else (p.name if p.name is not None else "*")
        for p in eps.ports
    ]
    return with_more(items, len(items)) or "<unset>"


def _slice_endpoints(eps: Any) -> str:
    items = [address for endpoint in eps.endpoints for address in endpoint.addresses]
    return with_more(items, len(items)) or "<unset>"


# --------------------------------------------------------------------------- nodes


def _node_status(node: Any) -> str:
    conditions = [c for c in node.status.conditions or () if isinstance(c, dict)]
    ready = [c.get("status") for c in conditions if c.get("type") == "Ready"]
    status = ["Unknown"] if not ready else ["Ready" if ready[-1] == "True" else "NotReady"]
    if node.spec.unschedulable:
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_roles(node: Any) -> str:
    prefix, roles = "node-role.kubernetes.io/", set()
    for key, value in node.metadata.labels.items():
        if key.startswith(prefix) and key[len(prefix):]:
            roles.add(key[len(prefix):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _node_address(node: Any, kind: str) -> str:
    return next((a.address for a in node.status.addresses if a.type == kind), NONE)


def _node_info(field: str, empty: str = "<unknown>") -> Callable[[Any, datetime], str]:
    return lambda node, now: raw_get(node.status.node_info, field) or empty


# --------------------------------------------------------------------------- columns


@frozen
class Column:
    """One ``kubectl get`` column: its name in printers.go, how to compute a cell, wide-only."""

    name: str
    cell: Callable[[Any, datetime], str]
    wide: bool = False

    @property
    def header(self) -> str:
        """The header kubectl prints (the name upper-cased)."""
        return self.name.upper()


def _containers(template: Any, field: str) -> str:
    return ",".join(getattr(c, field) for c in template.spec.containers)


_NAME = Column("Name", lambda o, now: o.metadata.name)
_AGE = Column("Age", lambda o, now: age(o.metadata.creation_timestamp, now))
_CONTAINERS = Column("Containers", lambda o, now: _containers(o.spec.template, "name"), wide=True)
_IMAGES = Column("Images", lambda o, now: _containers(o.spec.template, "image"), wide=True)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "pods": (
        _NAME,
        Column("Ready", lambda o, now: pod_summary(o, now)[0]),
        Column("Status", lambda o, now: pod_summary(o, now)[1]),
        Column("Restarts", lambda o, now: pod_summary(o, now)[2]),
        _AGE,
        Column("IP", lambda o, now: (pod_ips(o) or [NONE])[0], wide=True),
        Column("Node", lambda o, now: o.spec.node_name or NONE, wide=True),
        Column("Nominated Node", lambda o, now: o.status.nominated_node_name or NONE, wide=True),
        Column("Readiness Gates", lambda o, now: _readiness_gates(o), wide=True),
    ),
    "services": (
        _NAME,
        Column("Type", lambda o, now: o.spec.type),
        Column("Cluster-IP", lambda o, now: (cluster_ips(o) or [NONE])[0]),
        Column("External-IP", lambda o, now: service_external_ip(o)),
        Column("Port(s)", lambda o, now: service_ports(o)),
        _AGE,
        Column("Selector", lambda o, now: format_labels(o.spec.selector), wide=True),
    ),
    "endpoints": (_NAME, Column("Endpoints", lambda o, now: endpoints_cell(o)), _AGE),
    "endpointslices": (
        _NAME,
        Column("AddressType", lambda o, now: o.address_type),
        Column("Ports", lambda o, now: _slice_ports(o)),
        Column("Endpoints", lambda o, now: _slice_endpoints(o)),
        _AGE,
    ),
    "deployments": (
        _NAME,
        Column("Ready", lambda o, now: f"{o.status.ready_replicas}/{o.spec.replicas or 0}"),
        Column("Up-to-date", lambda o, now: str(o.status.updated_replicas)),
        Column("Available", lambda o, now: str(o.status.available_replicas)),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", lambda o, now: label_selector_string(o.spec.selector), wide=True),
    ),
    "replicasets": (
        _NAME,
        Column("Desired", lambda o, now: str(o.spec.replicas or 0)),
        Column("Current", lambda o, now: str(o.status.replicas)),
        Column("Ready", lambda o, now: str(o.status.ready_replicas)),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", lambda o, now: label_selector_string(o.spec.selector) or NONE, True),
    ),
    "nodes": (
        _NAME,
        Column("Status", lambda o, now: _node_status(o)),
        Column("Roles", lambda o, now: _node_roles(o)),
        _AGE,
        Column("Version", _node_info("kubeletVersion", empty="")),
        Column("Internal-IP", lambda o, now: _node_address(o, "InternalIP"), wide=True),
        Column("External-IP", lambda o, now: _node_address(o, "ExternalIP"), wide=True),
        Column("OS-Image", _node_info("osImage"), wide=True),
        Column("Kernel-Version", _node_info("kernelVersion"), wide=True),
        Column("Container-Runtime", _node_info("containerRuntimeVersion"), wide=True),
    ),
    "namespaces": (_NAME, Column("Status", lambda o, now: o.status.phase), _AGE),
}

# --------------------------------------------------------------------------- get


def _plural(resource: str) -> str:
    found = resource_for(resource)
    if found is None or found.plural not in COLUMNS:
        raise UsageError(f'error: the server doesn\'t have a resource type "{resource}"')
    return found.plural


def no_resources_message(
    resource: str, *, namespace: str = "default", all_namespaces: bool = False
) -> str:
    """What kubectl prints (on stderr) when a list is empty."""
    found = resource_for(resource)
    if found is not None and found.cls.NAMESPACED and not all_namespaces:
        return f"No resources found in {namespace} namespace.\n"
    return "No resources found\n"


def _cell(value: str) -> str:
    cut = min((i for i in (value.find(c) for c in "\f\n\r") if i >= 0), default=-1)
    return escape(value if cut < 0 else value[:cut] + "...")


def get_table(
    resource: str,
    objects: list,
    *,
    now: datetime,
    wide: bool = False,
    all_namespaces: bool = False,
    namespace: str = "default",
) -> str:
    """``kubectl get <resource> [-o wide] [-A]`` for ``objects``, as kubectl lays it out.

    ``resource`` is a plural (``pods``) or any name kubectl accepts (``svc``, ``po``).
    An empty list gives :func:`no_resources_message` (kubectl writes it to stderr).
    """
    plural = _plural(resource)
    if not objects:
        return no_resources_message(plural, namespace=namespace, all_namespaces=all_namespaces)
    columns = [c for c in COLUMNS[plural] if wide or not c.wide]
    with_ns = all_namespaces and resource_for(plural).cls.NAMESPACED
    rows = [(["NAMESPACE"] if with_ns else []) + [c.header for c in columns]]
    for obj in sorted(objects, key=lambda o: (o.metadata.namespace, o.metadata.name)):
        cells = [c.cell(obj, now) for c in columns]
        rows.append(([obj.metadata.namespace] if with_ns else []) + [_cell(v) for v in cells])
    text = "".join("\t".join(row) + "\n" for row in rows)
    return tabwrite(text, **GET_TABWRITER)


# --------------------------------------------------------------------------- -o yaml


class _KubectlDumper(yaml.SafeDumper):
    """A SafeDumper that writes what ``sigs.k8s.io/yaml`` (go-yaml v2) writes."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_STR = "tag:yaml.org,2002:str"
_NOT_STRINGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null", "timestamp", "merge")
)
_GO_ONLY_BOOLS = frozenset({"y", "Y", "n", "N"})
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _looks_typed(dumper: yaml.SafeDumper, value: str) -> bool:
    """Would go-yaml read this plain scalar back as something other than a string?"""
    if value in _GO_ONLY_BOOLS or _GO_FLOAT.fullmatch(value):
        return True
    return dumper.resolve(yaml.ScalarNode, value, (True, False)) in _NOT_STRINGS


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else ('"' if _looks_typed(dumper, value) else None)
    return dumper.represent_scalar(_STR, value, style=style)


def _go_yaml_key_order(a: Any, b: Any) -> int:
    """go-yaml's ``keyList.Less`` for string keys: non-letters first, digit runs numerically."""
    a, b = str(a), str(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if x.isalpha() and y.isalpha():
            return -1 if x < y else 1
        if x.isalpha() or y.isalpha():
            return 1 if x.isalpha() else -1
        return _digit_order(a, b, i) or (-1 if x < y else 1)
    return (len(a) > len(b)) - (len(a) < len(b))


def _digit_order(a: str, b: str, i: int) -> int:
    seed = 0
    if "0" in (a[i], b[i]):
        j = i - 1
        while j >= 0 and a[j].isdigit():
            if a[j] != "0":
                seed = 1
                break
            j -= 1
    (an, ae), (bn, be) = _digit_run(a, i, seed), _digit_run(b, i, seed)
    return (an > bn) - (an < bn) or (ae > be) - (ae < be)


def _digit_run(text: str, start: int, seed: int) -> tuple[int, int]:
    end, value = start, seed
    while end < len(text) and text[end].isdigit():
        value, end = value * 10 + int(text[end]), end + 1
    return value, end


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.MappingNode:
    order = functools.cmp_to_key(lambda p, q: _go_yaml_key_order(p[0], q[0]))
    items = sorted(data.items(), key=order)
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


_KubectlDumper.add_representer(str, _represent_str)
_KubectlDumper.add_representer(dict, _represent_dict)


def _as_served(obj: Object) -> dict:
    data = encode(obj)
    data["apiVersion"] = data.get("apiVersion") or type(obj).API_VERSION
    data["kind"] = data.get("kind") or type(obj).KIND
    return data


def get_yaml(objects: list, *, as_list: bool | None = None) -> str:
    """``kubectl get -o yaml``: one object as itself, several wrapped in a ``List``.

    ``as_list=True`` forces the wrapper (``kubectl get pods -o yaml`` wraps even one item).
    """
    if as_list is None:
        as_list = len(objects) != 1
    data: dict = _as_served(objects[0]) if not as_list else {
        "apiVersion": "v1",
        "items": [_as_served(o) for o in objects],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    return yaml.dump(
        data, Dumper=_KubectlDumper, default_flow_style=False, allow_unicode=True, sort_keys=False
    )
