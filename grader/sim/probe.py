"""``curl`` inside the simulated cluster: what answers, from where, and why not.

:func:`curl` behaves like ``curl -sS --connect-timeout 3 URL`` run from a source — the outside
client (the docker host), a node (``node/kind-worker``) or a pod (``pod/client``). It resolves
the name as that source would (:mod:`grader.sim.dns`), sends the connection through the
simulated network (:mod:`grader.sim.dataplane`), and if it is accepted asks the application
in the receiving pod for its answer (:mod:`grader.sim.apps`). The result carries curl's exit
code, stdout and stderr, the outcome class (R-C-1), the pod and container that answered, the
client address the application saw, and every hop with the rule that moved the packet.

``udp://HOST:PORT/PAYLOAD`` sends one UDP datagram instead, like ``echo PAYLOAD | nc -u -w 2``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from grader.errors import NotFoundError, UsageError
from grader.model.drafts import constructor
from grader.records import frozen
from grader.sim import dns
from grader.sim.dataplane import Ending, Hop, Packet, Walk
from grader.sim.network import Network, host_label  # every curl walks the network: load it with curl

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = [
    "DNS",
    "OUTCOMES",
    "ProbeResult",
    "REACHED",
    "REFUSED",
    "Source",
    "TIMEOUT",
    "UNKNOWN",
    "Target",
    "curl",
    "parse_source",
    "parse_url",
]

REACHED, REFUSED, TIMEOUT, DNS, UNKNOWN = "REACHED", "REFUSED", "TIMEOUT", "DNS", "UNKNOWN"
OUTCOMES = (REACHED, REFUSED, TIMEOUT, DNS, UNKNOWN)
_ENDING_OUTCOME = {"delivered": REACHED, "refused": REFUSED, "dropped": TIMEOUT, "unknown": UNKNOWN}


@frozen
class Source:
    """Where a probe runs: ``outside``, a node, or a pod (and optionally one of its containers)."""

    kind: str  # outside | node | pod
    name: str = ""
    namespace: str = ""
    container: str = ""

    def __str__(self) -> str:
        if self.kind == "outside":
            return "outside"
        if self.kind == "node":
            return f"node/{self.name}"
        ns = "" if self.namespace == "default" else f"{self.namespace}/"
        return f"pod/{ns}{self.name}" + (f" (container {self.container})" if self.container else "")


@frozen
class Target:
    """A parsed URL: protocol, host as written, port, path (or UDP payload)."""

    protocol: str
    host: str
    port: int
    path: str
    url: str


@functools.lru_cache(maxsize=1024)
def parse_source(text: str, namespace: str = "default", container: str = "") -> Source:
    """``outside``, ``node/NAME``, ``pod/NAME`` or ``pod/NAMESPACE/NAME``."""
    if text in ("outside", "host", ""):
        return Source("outside")
    kind, _, rest = text.partition("/")
    if kind in ("node", "nodes", "no") and rest:
        return Source("node", rest)
    if kind in ("pod", "pods", "po") and rest:
        ns, _, name = rest.rpartition("/")
        return Source("pod", name, ns or namespace, container)
    raise UsageError(f"unknown probe source {text!r}: use outside, node/NAME or pod/NAME")


@functools.lru_cache(maxsize=1024)
def parse_url(url: str) -> Target:
    """``http://host[:port][/path]`` (scheme optional) or ``udp://host:port[/payload]``."""
    if any(ch.isspace() for ch in url):
        raise UsageError("curl: (3) URL rejected: Malformed input to a URL function")
    text = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"curl: (3) URL rejected: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "udp"):
        raise UsageError(f"curl: (1) Protocol \"{scheme}\" not supported (the simulator speaks http:// and udp://)")
    if not parts.hostname:
        raise UsageError("curl: (3) URL rejected: No host part in the URL")
    if scheme == "udp":
        if port is None:
            raise UsageError("a udp:// URL needs a port")
        return Target("UDP", parts.hostname, port, parts.path.lstrip("/"), url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target("TCP", parts.hostname, port or 80, path, url)


@frozen
class ProbeResult:
    """One probe: curl's view (exit code, stdout, stderr) plus what really happened."""

    source: Source
    url: str
    outcome: str
    exit_code: int
    stdout: str
    stderr: str
    answered_by: str = ""
    container: str = ""
    client_ip: str = ""
    client_port: int = 0
    hops: tuple[Hop, ...] = ()
    ending: Ending | None = None
    resolution: str = ""
    probability: float = 1.0
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == REACHED

    @property
    def client(self) -> str:
        """``ip:port`` as the application saw the client."""
        return f"{self.client_ip}:{self.client_port}" if self.client_ip else ""

    def trace(self) -> str:
        """The journey, hop by hop, ending with the verdict."""
        lines = [f"curl from {self.source} to {self.url}"]
        if self.resolution:
            lines.append(f"  DNS: {self.resolution}")
        lines.extend("  " + h.render(host_label).replace("\n", "\n  ") for h in self.hops)
        lines.append(f"  => {self.summary()}")
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: the outcome and who answered or why nothing did."""
        if self.outcome == REACHED:
            where = f"pod {self.answered_by}" if "/" in self.answered_by else self.answered_by
            who = f"{where}, container {self.container}" if self.container else where
            return f"REACHED {who}; it saw the client as {self.client}"
        if self.ending is not None:
            return f"{self.outcome}: {self.ending.reason}"
        if self.outcome == DNS:
            return f"{self.outcome}: {self.resolution}"
        return f"{self.outcome} (observed on a real data plane, which records no hops)"

    def __str__(self) -> str:
        return "\n".join(p for p in (self.stdout.rstrip("\n"), self.stderr) if p)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": f"{self}\n{self.trace()}" if str(self) else self.trace()}


def _refused_text(target: Target) -> str:
    return f"curl: (7) Failed to connect to {target.host} port {target.port} after 0 ms: Couldn't connect to server"


def _timeout_text(target: Target, timeout: float) -> str:
    ms = int(timeout * 1000) + 1
    return f"curl: (28) Failed to connect to {target.host} port {target.port} after {ms} ms: Timeout was reached"


def _failed(source: Source, target: Target, outcome: str, walk: Walk, timeout: float, how: str) -> ProbeResult:
    if outcome == REFUSED:
        code, err = 7, _refused_text(target)
    elif outcome == TIMEOUT:
        code, err = 28, _timeout_text(target, timeout)
    else:
        code, err = -1, f"kports: {walk.ending.reason}"
    if target.protocol == "UDP":
        code, err = (1, "nc: read failed (Connection refused)") if outcome == REFUSED else (code, err)
        if outcome == TIMEOUT:
            code, err = 1, ""
    return ProbeResult(source, target.url, outcome, code, "", err, hops=walk.hops, ending=walk.ending,
                       resolution=how, probability=walk.probability)


def _result(network: "Network", source: Source, target: Target, walk: Walk, timeout: float, how: str) -> ProbeResult:
    outcome = _ENDING_OUTCOME[walk.ending.kind]
    if outcome != REACHED:
        return _failed(source, target, outcome, walk, timeout, how)
    reply, answered_by, container = network.answer(walk.ending, target)
    pkt = walk.ending.packet
    return _new_result(
        source, target.url, REACHED, reply.exit_code, reply.body, reply.error, answered_by, container,
        pkt.src, pkt.sport, walk.hops, walk.ending, how, walk.probability, reply.status,
    )


_new_result = constructor(ProbeResult)


def curl(
    cluster: "Cluster", source: str | Source, url: str, *, timeout: float = 3.0,
    namespace: str = "default", container: str = "", every: bool = False,
) -> ProbeResult | list[ProbeResult]:
    """Run one probe. With ``every=True`` return every possible result with its probability."""
    src = source if isinstance(source, Source) else parse_source(source, namespace, container)
    target = parse_url(url)
    network = cluster.network()
    start = network.host_of(src)
    resolution = dns.resolve(cluster, target.host, from_pod=src.kind == "pod", namespace=src.namespace or "default")
    if not resolution.ok:
        err = f"curl: (6) Could not resolve host: {target.host}"
        result = ProbeResult(src, target.url, DNS, 6, "", err, resolution=resolution.how)
        return [result] if every else result
    packet = network.first_packet(start, target.protocol, resolution.addresses[0], target.port)
    if every:
        return [_result(network, src, target, w, timeout, resolution.how) for w in network.explore(start, packet)]
    return _result(network, src, target, network.walk(start, packet), timeout, resolution.how)


def require_pod(cluster: "Cluster", source: Source) -> None:
    """Raise NotFoundError when a pod source does not exist (kubectl exec would fail)."""
    from grader.model.objects import Pod

    if source.kind == "pod" and cluster.registry.get(Pod, source.namespace, source.name) is None:
        raise NotFoundError(f'pods "{source.name}" not found')
