"""``kubectl describe`` for Services and Pods, as pure functions of objects.

Each block is written the way ``staging/src/k8s.io/kubectl/pkg/describe/describe.go`` writes
it: through a PrefixWriter (two spaces per level) into a Go ``text/tabwriter`` created by
``tabbedString`` (minwidth 0, tabwidth 8, padding 2, pad char space, flags 0), so labels,
values and the places where alignment restarts match kubectl byte for byte, trailing spaces
included (``Conditions`` rows end in a space, as kubectl's do).

Choices where kubectl versions differ:

* ``Endpoints:`` of ``describe svc``: recent kubectl lists the EndpointSlices labelled
  ``kubernetes.io/service-name=<svc>`` and formats them with ``formatEndpointSlices`` (ready
  endpoints only, ``<none>`` when there is no slice, an empty value when slices exist but no
  ready endpoint carries the port). Pass ``endpoint_slices`` for that. Without it, the older
  source is used: the Endpoints object of the same name, ``formatEndpoints`` (``<none>``
  when it is missing or has no subsets). The rest of the layout is the recent one in both cases.
* Timestamps (``Start Time``, ``Started``) are printed in UTC (``+0000``); kubectl prints the
  local time zone of the machine it runs on.
* Where the object lacks a value, the absent-value text kubectl prints is used (``<none>``,
  ``<unset>``, an empty value); the simulator's objects are shown as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from grader.model.objects import (
    Container,
    Endpoints,
    EndpointSlice,
    LabelSelector,
    LabelSelectorRequirement,
    Pod,
    Service,
    Toleration,
)
from grader.sim.events import Event
from grader.sim.printers import (
    age,
    cluster_ips,
    endpoints_cell,
    escape,
    format_labels,
    join_host_port,
    label_selector_string,
    parse_time,
    pod_ips,
    raw_get,
    status_dicts,
    tabwrite,
)

__all__ = [
    "DESCRIBE_TABWRITER",
    "describe_pod",
    "describe_service",
    "rfc1123z",
    "slices_endpoints",
]

DESCRIBE_TABWRITER = {"minwidth": 0, "padding": 2}
"""``tabbedString``: ``tabwriter.Init(buf, 0, 8, 2, ' ', 0)``."""

NONE = "<none>"
UNSET = "<unset>"
SKIP_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
MAX_ANNOTATION_LEN = 140
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Writer:
    """kubectl's PrefixWriter: text at an indentation level, escaped, into one buffer."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append(escape("  " * level + text))

    def text(self) -> str:
        return tabwrite("".join(self.parts), **DESCRIBE_TABWRITER)


def rfc1123z(value: Any) -> str:
    """Go's ``time.RFC1123Z`` layout in UTC; the zero time when ``value`` is absent."""
    moment = parse_time(value)
    if moment is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    m = moment.astimezone(timezone.utc)
    day, month = _DAYS[m.weekday()], _MONTHS[m.month - 1]
    return f"{day}, {m.day:02d} {month} {m.year:04d} {m:%H:%M:%S} +0000"


# --------------------------------------------------------------------------- shared blocks


def _labels(w: _Writer, title: str, labels: dict[str, str]) -> None:
    w.write(0, f"{title}:\t")
    if not labels:
        w.write(0, NONE + "\n")
    for i, key in enumerate(sorted(labels)):
        w.write(0, "\t" if i else "")
        w.write(0, f"{key}={labels[key]}\n")


def _annotations(w: _Writer, annotations: dict[str, str]) -> None:
    w.write(0, "Annotations:\t")
    keys = sorted(k for k in annotations if k not in SKIP_ANNOTATIONS)
    if not keys:
        w.write(0, NONE + "\n")
    for i, key in enumerate(keys):
        w.write(0, "\t" if i else "")
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 <= MAX_ANNOTATION_LEN and "\n" not in value:
            w.write(0, f"{key}: {value}\n")
            continue
        w.write(0, f"{key}:\n")
        for line in value.split("\n"):
            cut = MAX_ANNOTATION_LEN - 2
            w.write(0, f"\t  {line[:cut] + '...' if len(line) > cut else line}\n")


def _toleration(t: Toleration) -> str:
    text = t.key + (f"={t.value}" if t.value else "") + (f":{t.effect}" if t.effect else "")
    if t.operator == "Exists" and not t.value:
        text += " op=Exists" if t.key or t.effect else "op=Exists"
    if t.toleration_seconds is not None:
        text += f" for {t.toleration_seconds}s"
    return text


def _tolerations(w: _Writer, tolerations: Iterable[Toleration]) -> None:
    w.write(0, "Tolerations:\t")
    ordered = sorted(tolerations, key=lambda t: t.key)
    if not ordered:
        w.write(0, NONE + "\n")
    for i, toleration in enumerate(ordered):
        w.write(0, "\t" if i else "")
        w.write(0, _toleration(toleration) + "\n")


def _event_interval(event: Event, now: datetime) -> str:
    first = age(event.first_timestamp, now)
    if event.count > 1:
        return f"{age(event.last_timestamp, now)} (x{event.count} over {first})"
    return first


def _event_time(event: Event) -> datetime:
    moment = parse_time(event.last_timestamp) or parse_time(event.first_timestamp)
    return moment or datetime.min.replace(tzinfo=timezone.utc)


def _events(w: _Writer, events: list[Event], now: datetime) -> None:
    """``DescribeEvents``: oldest first, ``Age`` as ``10s`` or ``10s (x3 over 2m)``."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_time):
        interval = _event_interval(e, now)
        w.write(1, f"{e.type}\t{e.reason}\t{interval}\t{e.source}\t{e.message.strip()}\n")


def _about(events: Iterable[Event], kind: str, obj: Any) -> list[Event]:
    return [e for e in events if e.is_about(kind, obj.metadata.name, obj.metadata.namespace)]


# --------------------------------------------------------------------------- services


def _slices_for(svc: Service, slices: Iterable[EndpointSlice]) -> list[EndpointSlice]:
    mine = [
        s
        for s in slices
        if s.metadata.labels.get("kubernetes.io/service-name") == svc.metadata.name
        and s.metadata.namespace in ("", svc.metadata.namespace)
    ]
    return sorted(mine, key=lambda s: s.metadata.name)


def _slice_candidates(eps: EndpointSlice, port_name: str) -> Iterable[tuple[str, bool]]:
    endpoints = [e for e in eps.endpoints if e.addresses]
    ready = [e.conditions.ready is not False for e in endpoints]
    if not eps.ports:
        yield from zip((e.addresses[0] for e in endpoints), ready)
        return
    for port in eps.ports:
        if (port.name or "") == port_name and port.port is not None:
            yield from zip((join_host_port(e.addresses[0], port.port) for e in endpoints), ready)


def slices_endpoints(slices: list[EndpointSlice], port_name: str) -> str:
    """``formatEndpointSlices`` of describe.go for one Service port (ready endpoints only)."""
    if not slices:
        return NONE
    items: list[str] = []
    count, more = 0, False
    for eps in slices:
        for address, ready in _slice_candidates(eps, port_name):
            more = more or len(items) == 3
            if ready:
                items += [] if more else [address]
                count += 1
    text = ",".join(items)
    return f"{text} + {count - 3} more..." if more else text


def _legacy_endpoints(endpoints: Endpoints, port_name: str) -> str:
    """Older kubectl: ``formatEndpoints`` of the Service's Endpoints object for one port."""
    return endpoints_cell(endpoints, {port_name})


def _service_addresses(w: _Writer, svc: Service) -> None:
    spec = svc.spec
    if spec.ip_family_policy is not None:
        w.write(0, f"IP Family Policy:\t{spec.ip_family_policy}\n")
    w.write(0, f"IP Families:\t{','.join(spec.ip_families) or NONE}\n")
    w.write(0, f"IP:\t{spec.cluster_ip}\n")
    w.write(0, f"IPs:\t{','.join(cluster_ips(svc)) or NONE}\n")
    optional = [
        ("External IPs", ",".join(spec.external_ips)),
        ("Desired LoadBalancer IP", spec.load_balancer_ip),
        ("External Name", spec.external_name),
        ("LoadBalancer Ingress", _ingress(svc)),
    ]
    for title, value in optional:
        if value:
            w.write(0, f"{title}:\t{value}\n")


def _ingress(svc: Service) -> str:
    parts = []
    for ing in svc.status.load_balancer.ingress:
        mode = f" ({ing.ip_mode})" if ing.ip and ing.ip_mode is not None else ""
        parts.append(ing.ip + mode if ing.ip else ing.hostname)
    return ", ".join(parts)


def _service_ports(w: _Writer, svc: Service, endpoints_of: Callable[[str], str]) -> None:
    for sp in svc.spec.ports:
        name = sp.name or UNSET
        w.write(0, f"Port:\t{name}\t{sp.port}/{sp.protocol}\n")
        w.write(0, f"TargetPort:\t{sp.target_port}/{sp.protocol}\n")
        if sp.app_protocol is not None:
            w.write(0, f"AppProtocol:\t{sp.app_protocol}\n")
        if sp.node_port != 0:
            w.write(0, f"NodePort:\t{name}\t{sp.node_port}/{sp.protocol}\n")
        w.write(0, f"Endpoints:\t{endpoints_of(sp.name)}\n")


def _service_policies(w: _Writer, svc: Service) -> None:
    spec = svc.spec
    w.write(0, f"Session Affinity:\t{spec.session_affinity}\n")
    etp, itp = spec.external_traffic_policy, spec.internal_traffic_policy
    hc = spec.health_check_node_port
    ranges, distribution = ",".join(spec.load_balancer_source_ranges), spec.traffic_distribution
    optional = [
        ("External Traffic Policy", etp, etp != ""),
        ("Internal Traffic Policy", itp, itp is not None),
        ("HealthCheck NodePort", hc, hc != 0),
        ("LoadBalancer Source Ranges", ranges, ranges != ""),
        ("Traffic Distribution", distribution, distribution is not None),
    ]
    for title, value, shown in optional:
        if shown:
            w.write(0, f"{title}:\t{value}\n")


def describe_service(
    svc: Service,
    endpoints: Endpoints | None = None,
    events: Iterable[Event] = (),
    *,
    now: datetime,
    endpoint_slices: Iterable[EndpointSlice] | None = None,
) -> str:
    """``kubectl describe service``; ``Endpoints:`` from ``endpoint_slices`` when given.

    ``events`` may hold events about anything; only those about this Service are shown.
    """
    if endpoint_slices is not None:
        endpoints_of = partial(slices_endpoints, _slices_for(svc, endpoint_slices))
    else:
        endpoints_of = partial(_legacy_endpoints, endpoints or Endpoints())
    w = _Writer()
    w.write(0, f"Name:\t{svc.metadata.name}\n")
    w.write(0, f"Namespace:\t{svc.metadata.namespace}\n")
    _labels(w, "Labels", svc.metadata.labels)
    _annotations(w, svc.metadata.annotations)
    w.write(0, f"Selector:\t{format_labels(svc.spec.selector)}\n")
    w.write(0, f"Type:\t{svc.spec.type}\n")
    _service_addresses(w, svc)
    _service_ports(w, svc, endpoints_of)
    _service_policies(w, svc)
    _events(w, _about(events, "Service", svc), now)
    return w.text()


# --------------------------------------------------------------------------- pods: header


def _controller(pod: Pod) -> str:
    ref = next((r for r in pod.metadata.owner_references if r.controller), None)
    return f"{ref.kind}/{ref.name}" if ref else ""


def _pod_status(w: _Writer, pod: Pod, now: datetime) -> None:
    meta, status = pod.metadata, pod.status
    if meta.deletion_timestamp and status.phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {age(meta.deletion_timestamp, now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.deletion_grace_period_seconds or 0}s\n")
    else:
        w.write(0, f"Status:\t{status.phase}\n")
    for title, value in (("Reason", status.reason), ("Message", status.message)):
        if value:
            w.write(0, f"{title}:\t{value}\n")
    profile = raw_get(pod.spec.security_context, "seccompProfile")
    if isinstance(profile, dict):
        w.write(0, f"SeccompProfile:\t{profile.get('type', '')}\n")
        if profile.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{profile.get('localhostProfile', '')}\n")


def _pod_identity(w: _Writer, pod: Pod) -> None:
    spec = pod.spec
    w.write(0, f"Name:\t{pod.metadata.name}\n")
    w.write(0, f"Namespace:\t{pod.metadata.namespace}\n")
    optional = [
        ("Priority", spec.priority),
        ("Priority Class Name", spec.priority_class_name or None),
        ("Runtime Class Name", spec.runtime_class_name or None),
        ("Service Account", spec.service_account_name or None),
    ]
    for title, value in optional:
        if value is not None:
            w.write(0, f"{title}:\t{value}\n")
    node = f"{spec.node_name}/{pod.status.host_ip}" if spec.node_name else NONE
    w.write(0, f"Node:\t{node}\n")
    if pod.status.start_time:
        w.write(0, f"Start Time:\t{rfc1123z(pod.status.start_time)}\n")


def _pod_addresses(w: _Writer, pod: Pod) -> None:
    w.write(0, f"IP:\t{pod.status.pod_ip}\n")
    ips = pod_ips(pod)
    w.write(0, "IPs:\t<none>\n" if not ips else "IPs:\n")
    for ip in ips:
        w.write(1, f"IP:\t{ip}\n")
    if _controller(pod):
        w.write(0, f"Controlled By:\t{_controller(pod)}\n")
    if pod.status.nominated_node_name:
        w.write(0, f"NominatedNodeName:\t{pod.status.nominated_node_name}\n")
    if pod.spec.resources is not None:
        w.write(0, "Resources:\n")
        _resources(w, pod.spec.resources, 1)


# --------------------------------------------------------------------------- pods: containers


def _port_list(container: Container, host: bool) -> str:
    parts = []
    for p in container.ports:
        text = f"{p.host_port if host else p.container_port}/{p.protocol}"
        parts.append(f"{text} ({p.name})" if p.name else text)
    return ", ".join(parts)


def _container_basics(w: _Writer, c: Container, status: dict | None) -> None:
    w.write(1, f"{c.name}:\n")
    if status is not None:
        w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
    w.write(2, f"Image:\t{c.image}\n")
    if status is not None:
        w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
    for title, host in (("Port", False), ("Host Port", True)):
        ports = _port_list(c, host)
        plural = "s" if "," in ports else ""
        w.write(2, f"{title}{plural}:\t{ports or NONE}\n")
    profile = raw_get(c.security_context, "seccompProfile")
    if isinstance(profile, dict):
        w.write(2, f"SeccompProfile:\t{profile.get('type', '')}\n")
        if profile.get("type") == "Localhost":
            w.write(3, f"LocalhostProfile:\t{profile.get('localhostProfile', '')}\n")


def _container_command(w: _Writer, c: Container) -> None:
    for title, words in (("Command", c.command), ("Args", c.args)):
        if words:
            w.write(2, f"{title}:\n")
        for word in words:
            for line in word.split("\n"):
                w.write(3, f"{line}\n")


def _state(w: _Writer, title: str, state: dict) -> None:
    running, waiting, terminated = (state.get(k) for k in ("running", "waiting", "terminated"))
    if running is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(running.get('startedAt'))}\n")
    elif waiting is not None or terminated is None:
        w.write(2, f"{title}:\tWaiting\n")
        if waiting and waiting.get("reason"):
            w.write(3, f"Reason:\t{waiting['reason']}\n")
    else:
        _terminated(w, title, terminated)


def _terminated(w: _Writer, title: str, t: dict) -> None:
    w.write(2, f"{title}:\tTerminated\n")
    for key, label in (("reason", "Reason"), ("message", "Message")):
        if t.get(key):
            w.write(3, f"{label}:\t{t[key]}\n")
    w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
    if t.get("signal", 0) > 0:
        w.write(3, f"Signal:\t{t['signal']}\n")
    w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
    w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")


def _container_state(w: _Writer, status: dict) -> None:
    _state(w, "State", status.get("state") or {})
    last = status.get("lastState") or {}
    if last.get("terminated") is not None:
        _state(w, "Last State", {"terminated": last["terminated"]})
    w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
    w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")


def _resources(w: _Writer, resources: Any, level: int) -> None:
    for key, title in (("limits", "Limits"), ("requests", "Requests")):
        values = raw_get(resources, key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{values[name]}\n")


def _probe(probe: dict) -> str:
    """``DescribeProbe``, with the API server's defaults for unset fields."""
    get = probe.get
    attrs = (
        f"delay={get('initialDelaySeconds', 0)}s timeout={get('timeoutSeconds', 1)}s "
        f"period={get('periodSeconds', 10)}s #success={get('successThreshold', 1)} "
        f"#failure={get('failureThreshold', 3)}"
    )
    if isinstance(get("exec"), dict):
        return f"exec [{' '.join(get('exec').get('command') or [])}] {attrs}"
    if isinstance(get("httpGet"), dict):
        return f"http-get {_probe_url(get('httpGet'))} {attrs}"
    if isinstance(get("tcpSocket"), dict):
        tcp = get("tcpSocket")
        return f"tcp-socket {tcp.get('host', '')}:{tcp.get('port', '')} {attrs}"
    if isinstance(get("grpc"), dict):
        grpc = get("grpc")
        return f"grpc <pod>:{grpc.get('port', 0)} {grpc.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _probe_url(http: dict) -> str:
    port, host = str(http.get("port", "")), http.get("host", "")
    authority = join_host_port(host, port) if port else host
    path = http.get("path", "")
    if path and not path.startswith("/") and authority:
        path = "/" + path
    return f"{str(http.get('scheme') or 'HTTP').lower()}://{authority}{path}"


def _container_probes(w: _Writer, c: Container) -> None:
    probes = (
        ("Liveness", c.liveness_probe),
        ("Readiness", c.readiness_probe),
        ("Startup", c.startup_probe),
    )
    for title, probe in probes:
        if isinstance(probe, dict):
            w.write(2, f"{title}:\t{_probe(probe)}\n")


def _field_value(pod: Pod, path: str) -> str:
    meta, status = pod.metadata, pod.status
    maps = (("metadata.labels", meta.labels), ("metadata.annotations", meta.annotations))
    for prefix, mapping in maps:
        if path.startswith(prefix + "['") and path.endswith("']"):
            return mapping.get(path[len(prefix) + 2 : -2], "")
    values = {
        "metadata.name": meta.name,
        "metadata.namespace": meta.namespace,
        "metadata.uid": meta.uid,
        "spec.nodeName": pod.spec.node_name,
        "spec.serviceAccountName": pod.spec.service_account_name,
        "status.hostIP": status.host_ip,
        "status.podIP": status.pod_ip,
        "status.podIPs": ",".join(p.ip for p in status.pod_ips) or status.pod_ip,
    }
    return values.get(path, "")


def _env_from_source(pod: Pod, c: Container, name: str, source: dict) -> str:
    if isinstance(source.get("fieldRef"), dict):
        ref = source["fieldRef"]
        value = _field_value(pod, ref.get("fieldPath", ""))
        return f"{name}:\t{value} ({ref.get('apiVersion', 'v1')}:{ref.get('fieldPath', '')})"
    if isinstance(source.get("resourceFieldRef"), dict):
        resource = source["resourceFieldRef"].get("resource", "")
        kind, _, res = resource.partition(".")
        value = raw_get(c.resources, kind, res)
        value = value if value is not None else ("node allocatable" if kind == "limits" else "0")
        return f"{name}:\t{value} ({resource})"
    for key, text in (("secretKeyRef", "in secret"), ("configMapKeyRef", "of config map")):
        if isinstance(source.get(key), dict):
            ref = source[key]
            optional = "true" if ref.get("optional") else "false"
            where = f"<set to the key '{ref.get('key', '')}' {text} '{ref.get('name', '')}'>"
            return f"{name}:\t{where}\tOptional: {optional}"
    return f"{name}:\t"


def _container_env(w: _Writer, pod: Pod, c: Container) -> None:
    if c.env_from:
        w.write(2, "Environment Variables from:\n")
        for src in (s for s in c.env_from if isinstance(s, dict)):
            kind = "ConfigMap" if "configMapRef" in src else "Secret"
            ref = src.get("configMapRef") or src.get("secretRef") or {}
            what = f"{kind} with prefix '{src['prefix']}'" if src.get("prefix") else kind
            optional = "true" if ref.get("optional") else "false"
            w.write(3, f"{ref.get('name', '')}\t{what}\tOptional: {optional}\n")
    w.write(2, "Environment:\t<none>\n" if not c.env else "Environment:\n")
    for e in c.env:
        if isinstance(e.value_from, dict):
            w.write(3, _env_from_source(pod, c, e.name, e.value_from) + "\n")
            continue
        for i, line in enumerate(e.value.split("\n")):
            w.write(3, f"{e.name}:\t{line}\n" if i == 0 else f"\t{line}\n")


def _container_mounts(w: _Writer, c: Container) -> None:
    mounts = [m for m in c.volume_mounts or () if isinstance(m, dict)]
    w.write(2, "Mounts:\t<none>\n" if not mounts else "Mounts:\n")
    for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
    devices = [d for d in c.volume_devices or () if isinstance(d, dict)]
    if devices:
        w.write(2, "Devices:\n")
    for d in sorted(devices, key=lambda d: d.get("devicePath", "")):
        w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def _containers(
    w: _Writer, pod: Pod, label: str, containers: Iterable[Container], statuses: Any
) -> None:
    containers = list(containers)
    by_name = {s.get("name"): s for s in status_dicts(statuses)}
    w.write(0, f"{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c.name)
        _container_basics(w, c, status)
        _container_command(w, c)
        if status is not None:
            _container_state(w, status)
        _resources(w, c.resources, 2)
        _container_probes(w, c)
        _container_env(w, pod, c)
        _container_mounts(w, c)


# --------------------------------------------------------------------------- pods: the rest


def _condition_table(w: _Writer, title: str, rows: list[tuple[str, str]]) -> None:
    if rows:
        w.write(0, f"{title}:\n  Type\tStatus\n")
    for kind, status in rows:
        w.write(1, f"{kind} \t{status} \n")


def _gates_and_conditions(w: _Writer, pod: Pod) -> None:
    conditions = {}
    for c in reversed(pod.status.conditions):
        conditions[c.type] = c.status
    raw_gates = [g for g in pod.spec.readiness_gates or () if isinstance(g, dict)]
    gates = [g.get("conditionType", "") for g in raw_gates]
    _condition_table(w, "Readiness Gates", [(g, conditions.get(g, NONE)) for g in gates])
    _condition_table(w, "Conditions", [(c.type, c.status) for c in pod.status.conditions])


_VOLUME_TYPES = {
    # volume source: (Type text, ((label, field, shown when absent), ...)) as describeVolumes prints
    "emptyDir": (
        "EmptyDir (a temporary directory that shares a pod's lifetime)",
        (("Medium", "medium", ""), ("SizeLimit", "sizeLimit", UNSET)),
    ),
    "hostPath": (
        "HostPath (bare host directory volume)",
        (("Path", "path", ""), ("HostPathType", "type", NONE)),
    ),
    "configMap": (
        "ConfigMap (a volume populated by a ConfigMap)",
        (("Name", "name", ""), ("Optional", "optional", False)),
    ),
    "secret": (
        "Secret (a volume populated by a Secret)",
        (("SecretName", "secretName", ""), ("Optional", "optional", False)),
    ),
}


def _volume(w: _Writer, volume: dict) -> None:
    w.write(1, f"{volume.get('name', '')}:\n")
    kind = next((k for k in _VOLUME_TYPES if isinstance(volume.get(k), dict)), None)
    if kind is None:
        w.write(1, "<unknown>\n")
        return
    title, fields = _VOLUME_TYPES[kind]
    w.write(2, f"Type:\t{title}\n")
    for label, key, absent in fields:
        value = volume[kind].get(key, absent)
        w.write(2, f"{label}:\t{str(value).lower() if isinstance(value, bool) else value}\n")


def _volumes(w: _Writer, pod: Pod) -> None:
    volumes = [v for v in pod.spec.volumes or () if isinstance(v, dict)]
    w.write(0, "Volumes:\t<none>\n" if not volumes else "Volumes:\n")
    for volume in volumes:
        _volume(w, volume)


def _qos_class(pod: Pod) -> str:
    """``qos.GetPodQOS``: the status value, else computed from cpu/memory requests and limits."""
    if pod.status.qos_class:
        return pod.status.qos_class
    containers = [*pod.spec.init_containers, *pod.spec.containers]
    limits = [raw_get(c.resources, "limits") or {} for c in containers]
    requests = [raw_get(c.resources, "requests") or {} for c in containers]
    found = [k for d in limits + requests for k in d if k in ("cpu", "memory")]
    if not found:
        return "BestEffort"
    guaranteed = all(
        all(lim.get(k) is not None and req.get(k, lim[k]) == lim[k] for k in ("cpu", "memory"))
        for lim, req in zip(limits, requests)
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _raw_selector(data: Any) -> str:
    if not isinstance(data, dict):
        return NONE
    selector = LabelSelector(
        match_labels=dict(data.get("matchLabels") or {}),
        match_expressions=tuple(
            LabelSelectorRequirement(
                key=e.get("key", ""),
                operator=e.get("operator", ""),
                values=tuple(e.get("values") or ()),
            )
            for e in data.get("matchExpressions") or ()
        ),
    )
    return label_selector_string(selector) or NONE


def _spread_constraints(w: _Writer, pod: Pod) -> None:
    constraints = sorted(
        (t for t in pod.spec.topology_spread_constraints or () if isinstance(t, dict)),
        key=lambda t: t.get("topologyKey", ""),
    )
    if constraints:
        w.write(0, "Topology Spread Constraints:\t")
    for i, t in enumerate(constraints):
        text = f"{t.get('topologyKey', '')}:{t.get('whenUnsatisfiable', '')}"
        text += f" when max skew {t.get('maxSkew', 0)} is exceeded"
        if "labelSelector" in t and t["labelSelector"] is not None:
            text += f" for selector {_raw_selector(t['labelSelector'])}"
        w.write(0, ("\t" if i else "") + text + "\n")


def _as_container(c: Any) -> Container:
    return Container(**{f.name: getattr(c, f.name) for f in dataclasses.fields(Container)})


def describe_pod(pod: Pod, events: Iterable[Event] = (), *, now: datetime) -> str:
    """``kubectl describe pod``; ``events`` may hold events about anything (filtered here)."""
    w = _Writer()
    _pod_identity(w, pod)
    _labels(w, "Labels", pod.metadata.labels)
    _annotations(w, pod.metadata.annotations)
    _pod_status(w, pod, now)
    _pod_addresses(w, pod)
    spec, status = pod.spec, pod.status
    if spec.init_containers:
        _containers(w, pod, "Init Containers", spec.init_containers, status.init_container_statuses)
    _containers(w, pod, "Containers", spec.containers, status.container_statuses)
    if spec.ephemeral_containers:
        ephemeral = [_as_container(c) for c in spec.ephemeral_containers]
        _containers(w, pod, "Ephemeral Containers", ephemeral, status.ephemeral_container_statuses)
    _gates_and_conditions(w, pod)
    _volumes(w, pod)
    w.write(0, f"QoS Class:\t{_qos_class(pod)}\n")
    _labels(w, "Node-Selectors", pod.spec.node_selector)
    _tolerations(w, pod.spec.tolerations)
    _spread_constraints(w, pod)
    _events(w, _about(events, "Pod", pod), now)
    return w.text()
