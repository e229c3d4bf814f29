"""Kubelet probes (readiness, liveness, startup) against the app model.

Semantics, from ``pkg/kubelet/prober`` and ``pkg/probe``:

* The kubelet connects to the *pod IP* (``httpGet.host`` overrides it), so whatever listens
  there in the pod's network namespace answers, whichever container it runs in; a program bound
  to ``127.0.0.1`` is not reachable this way (R-CP-4). A named port is looked up in *this*
  container's ``ports`` (``findPortByName``); a name it does not declare is then tried as a
  number and fails with ``strconv.Atoi`` (the probe *errors*).
* httpGet succeeds on a status from 200 to 399 (redirects are followed or count as a warning);
  otherwise ``HTTP probe failed with statuscode: N``; a refused connection is Go's
  ``Get "http://IP:PORT/path": dial tcp IP:PORT: connect: connection refused``.
* tcpSocket succeeds iff something accepts the connection.
* grpc succeeds only if the server implements ``grpc.health.v1.Health``. No catalogue app does,
  and a non-gRPC listener makes the kubelet's blocking dial time out, so the probe fails with
  ``timeout: failed to connect service "IP:PORT" within 1s: context deadline exceeded``.
  For an app declared by annotation the simulator cannot know and assumes it does.
* exec: the simulator runs no commands. A command that can never succeed (``/bin/false``,
  ``false``, ``exit 1``, ``sh -c "exit 1"``, a script ending in one of those) fails, with the
  ``echo`` output before it as the probe output; anything else is assumed to succeed and the
  reason says so.

Messages are the kubelet's events: ``Readiness probe failed: …``, ``Readiness probe errored and
resulted in unknown state: …``. A container that is not running (it exits, or lost a bind) is
not probed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from grader.model.objects import Container, Pod
from grader.sim.apps.answers import answer
from grader.sim.apps.argv import split_script
from grader.sim.apps.conflicts import bind_conflicts, bind_failure_log
from grader.sim.apps.core import pod_apps, pod_hostname
from grader.sim.apps.model import ALL_ADDRESSES, LOOPBACK, ContainerApp, Listener, Request, Server, is_digits
from grader.sim.apps.tools import echo_output

__all__ = ["probe_result"]

PROBE_FIELDS = (("Readiness", "readiness_probe"), ("Liveness", "liveness_probe"), ("Startup", "startup_probe"))
SHELLS = ("sh", "bash", "ash", "dash", "zsh")


def _probe_type(container: Container, probe: Any) -> str:
    for kind, attr in PROBE_FIELDS:
        if getattr(container, attr) is probe:
            return kind
    for kind, attr in PROBE_FIELDS:
        if getattr(container, attr) == probe:
            return kind
    return "Readiness"


# --------------------------------------------------------------------------- exec


def _script_status(script: str) -> tuple[int, str]:
    """(exit status, output) of a script made of echo/true/false/exit (others: status 0)."""
    try:
        commands = split_script(script, {})
    except ValueError:
        return 2, ""
    status, output = 0, ""
    for command in commands:
        name = os.path.basename(command.words[0])
        if name == "exit":
            arg = command.words[1] if len(command.words) > 1 else str(status)
            return (int(arg) % 256 if is_digits(arg) else 2), output
        status = 1 if name == "false" else 0
        if name in ("echo", "printf"):
            output += echo_output(command.words)
    return status, output


def _exec_status(command: list[str]) -> tuple[int, str] | None:
    """(status, output) when the command is one the simulator can evaluate, else None."""
    if not command:
        return None
    name = os.path.basename(command[0])
    if name == "false":
        return 1, ""
    if name == "exit":
        return 127, ""
    if name in SHELLS and len(command) >= 3 and command[1] == "-c":
        status, output = _script_status(command[2])
        return (status, output) if status else None
    return None


def _exec(kind: str, command: Any) -> tuple[bool, str]:
    words = [str(word) for word in command] if isinstance(command, list) else []
    evaluated = _exec_status(words)
    if evaluated is None:
        return True, (f"exec probe {json.dumps(words)} is assumed to succeed: "
                      "the simulator does not run commands inside containers")
    status, output = evaluated
    if status == 127 and os.path.basename(words[0]) == "exit":
        return False, (f"{kind} probe errored and resulted in unknown state: "
                       f'exec: "{words[0]}": executable file not found in $PATH')
    return False, f"{kind} probe failed: {output}"


# --------------------------------------------------------------------------- network probes


def _resolve_port(value: Any, container: Container) -> tuple[int, str]:
    """(port, error) as the kubelet's ``ResolveContainerPort`` does."""
    if isinstance(value, bool) or value is None:
        return 0, f"invalid port number: {value}"
    if isinstance(value, int):
        port = value
    else:
        text = str(value)
        named = next((p.container_port for p in container.ports if p.name == text), None)
        if named is None and not is_digits(text.lstrip("+-")):
            return 0, f'strconv.Atoi: parsing "{text}": invalid syntax'
        port = named if named is not None else int(text)
    return (port, "") if 0 < port < 65536 else (port, f"invalid port number: {port}")


def _running_apps(pod: Pod) -> tuple[list[ContainerApp], dict[str, str]]:
    """Apps that run (not exiting, not bind losers), and why each other one does not."""
    apps = pod_apps(pod)
    down = {app.container: app.explanation for app in apps if app.exits}
    for loser, contested, _holder in bind_conflicts(apps):
        down[loser.container] = bind_failure_log(loser, contested)
    return [app for app in apps if app.container not in down], down


def _find(
    apps: list[ContainerApp], protocol: str, port: int, addresses: tuple[str, ...]
) -> tuple[ContainerApp, Listener] | None:
    for app in apps:
        for listener in app.listeners:
            if listener.protocol == protocol and listener.port == port and listener.address in addresses:
                return app, listener
    return None


def _reachable(pod: Pod, host: str) -> tuple[str, ...]:
    """Listener addresses a kubelet connection to ``host`` reaches in this pod."""
    pod_ip = pod.status.pod_ip
    if host in ("", pod_ip) or host == "<pod-ip>":
        return (ALL_ADDRESSES, pod_ip)
    if pod.spec.host_network and host in (LOOPBACK, "localhost"):
        return (ALL_ADDRESSES, LOOPBACK)
    return ()


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _cannot_know(apps: list[ContainerApp]) -> str:
    unknown = [app.container for app in apps if not app.known]
    if not unknown:
        return ""
    return (f"assumed to succeed: the simulator cannot know what container {unknown[0]} listens on "
            f"(declare it with the pod annotation listen.kports.dev/{unknown[0]})")


def _without_tls(app: ContainerApp) -> ContainerApp:
    """The app as an HTTPS client sees it once TLS is set up (its plain handlers)."""
    servers = tuple(Server(s.kind, s.listeners, tuple(p for p in s.params if p[0] != "tls")) for s in app.servers)
    return dataclasses.replace(app, servers=servers)


def _http_get(kind: str, pod: Pod, container: Container, spec: dict[str, Any], pod_ip: str) -> tuple[bool, str]:
    port, error = _resolve_port(spec.get("port"), container)
    if error:
        return False, f"{kind} probe errored and resulted in unknown state: {error}"
    host = str(spec.get("host") or pod_ip)
    scheme = str(spec.get("scheme") or "HTTP").lower()
    path = str(spec.get("path") or "/")
    hostport = _host_port(host, port)
    url = f"{scheme}://{hostport}{path if path.startswith('/') else '/' + path}"
    apps, _ = _running_apps(pod)
    found = _find(apps, "TCP", port, _reachable(pod, host))
    if found is None:
        return (True, _cannot_know(apps)) if _cannot_know(apps) else (
            False, f'{kind} probe failed: Get "{url}": dial tcp {hostport}: connect: connection refused')
    app, listener = found
    if not app.known:
        return True, _cannot_know([app])
    given = [h for h in spec.get("httpHeaders") or [] if isinstance(h, dict)]
    headers = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in given}
    request = Request("TCP", path, headers.get("host", hostport), pod.status.host_ip or "<node-ip>", 0, pod_ip,
                      port, pod.metadata.name, pod.metadata.namespace, pod.spec.node_name, pod_hostname(pod))
    tls_server = any(server.param("tls") for server in app.servers if server.serves(listener))
    if scheme == "https" and not tls_server:
        return False, f'{kind} probe failed: Get "{url}": http: server gave HTTP response to HTTPS client'
    reply = answer(_without_tls(app) if scheme == "https" else app, listener, request)
    if reply.exit_code == 1:
        broken = "net/http: HTTP/1.x transport connection broken: malformed HTTP response"
        return False, f'{kind} probe failed: Get "{url}": {broken}'
    if reply.exit_code != 0 or reply.status is None:
        return False, f'{kind} probe failed: Get "{url}": EOF'
    if 200 <= reply.status < 400:
        return True, f"HTTP probe succeeded with statuscode: {reply.status} ({app.app} on {listener})"
    return False, f"{kind} probe failed: HTTP probe failed with statuscode: {reply.status}"


def _tcp_socket(kind: str, pod: Pod, container: Container, spec: dict[str, Any], pod_ip: str) -> tuple[bool, str]:
    port, error = _resolve_port(spec.get("port"), container)
    if error:
        return False, f"{kind} probe errored and resulted in unknown state: {error}"
    host = str(spec.get("host") or pod_ip)
    apps, _ = _running_apps(pod)
    found = _find(apps, "TCP", port, _reachable(pod, host))
    if found is not None:
        return True, f"tcp connection to {_host_port(host, port)} accepted ({found[0].app} on {found[1]})"
    if _cannot_know(apps):
        return True, _cannot_know(apps)
    return False, f"{kind} probe failed: dial tcp {_host_port(host, port)}: connect: connection refused"


def _grpc(kind: str, pod: Pod, spec: dict[str, Any], timeout: Any, pod_ip: str) -> tuple[bool, str]:
    port = spec.get("port")
    seconds = timeout if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0 else 1
    addr = _host_port(pod_ip, port if isinstance(port, int) else 0)
    failure = (f'{kind} probe failed: timeout: failed to connect service "{addr}" within {seconds}s: '
               "context deadline exceeded")
    apps, _ = _running_apps(pod)
    found = _find(apps, "TCP", port, _reachable(pod, "")) if isinstance(port, int) else None
    if found is None:
        return (True, _cannot_know(apps)) if _cannot_know(apps) else (False, failure)
    app, _listener = found
    if app.app == "declared" or not app.known:
        return True, (f"assumed to succeed: the simulator cannot know whether container {app.container} "
                      "implements grpc.health.v1.Health")
    return False, failure


def probe_result(
    pod: Pod, container: Container, probe: dict | None, *, probe_type: str | None = None
) -> tuple[bool, str]:
    """``(ok, reason)`` for one probe of ``container`` as the kubelet would judge it.

    ``probe`` is the Raw ``readinessProbe``/``livenessProbe``/``startupProbe`` dict as written.
    ``probe_type`` (``"Readiness"``, ``"Liveness"``, ``"Startup"``) names it in messages; by
    default it is inferred from which of the container's probes ``probe`` is. The pod IP is
    ``pod.status.pod_ip``, or ``<pod-ip>`` while it has none.
    """
    kind = probe_type or _probe_type(container, probe)
    if probe is None:
        return True, f"no {kind.lower()}Probe: the kubelet counts the container as passing it once it runs"
    if not isinstance(probe, dict):
        return False, f"{kind} probe is not an object: {probe!r}"
    _, down = _running_apps(pod)
    if container.name in down:
        return False, f"{kind} probe not run: container {container.name} is not running ({down[container.name]})"
    pod_ip = pod.status.pod_ip or "<pod-ip>"
    if isinstance(probe.get("exec"), dict):
        return _exec(kind, probe["exec"].get("command"))
    if isinstance(probe.get("httpGet"), dict):
        return _http_get(kind, pod, container, probe["httpGet"], pod_ip)
    if isinstance(probe.get("tcpSocket"), dict):
        return _tcp_socket(kind, pod, container, probe["tcpSocket"], pod_ip)
    if isinstance(probe.get("grpc"), dict):
        return _grpc(kind, pod, probe["grpc"], probe.get("timeoutSeconds"), pod_ip)
    return False, f"{kind} probe has no handler: set exactly one of exec, httpGet, tcpSocket or grpc"
