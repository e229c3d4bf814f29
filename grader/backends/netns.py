"""The netns backend: the simulator's control plane, a real Linux kernel's data plane.

:class:`NetnsBackend` keeps a simulated :class:`~grader.sim.cluster.Cluster` as its control
plane (``apply``/``delete``/``get``/``list`` are the simulator's, with its exact messages,
scheduling and EndpointSlices). Before the next probe after a change it computes the data
plane as a :class:`~grader.backends.netns_plan.Plan` (network namespaces for every node, pod
and the outside client, veths, routes, each node's ``iptables-restore`` document, the pods'
listening sockets) and has the agent (:mod:`grader.backends.netns_agent`) realise the
difference. Probes are real: ``curl`` runs inside the source's network namespace and the
kernel decides, through the same iptables rules the simulator walks, who answers.

Safety. The agent lives in a private mount namespace (``unshare --mount --net``) with its own
``/run``: the namespaces it creates are invisible to the host and the kernel destroys them when
the agent exits, even after ``kill -9``. Names all start with ``kp``; nothing is created in,
and no rule, route or sysctl is changed in, the host's namespaces; the only process the backend
ever ends is its own agent, by pid. :meth:`NetnsBackend.close` tears down and verifies that no
namespace, interface or process is left.

Outcomes (R-C-1): curl exit 0, 1, 52 or 56 with a connection logged by a pod's listener is
``REACHED`` (the listener's log says which pod and container answered and which client address
it saw); 7 ``REFUSED``; 28 ``TIMEOUT``; names are resolved as :mod:`grader.sim.dns` resolves
them (there is no DNS server in the namespaces) and handed to curl with ``--resolve``, so a
name that does not resolve is ``DNS`` (exit 6) without running curl. ``udp://`` probes send one
datagram from a socket created in the source namespace: a reply or a datagram logged by a
listener is ``REACHED``, an ICMP port unreachable ``REFUSED``, silence ``TIMEOUT``. A connection
taken by the catch-all socket of a pod whose app the simulator cannot know is ``UNKNOWN`` with
the simulator's explanation (exit -1, ``kports: …``). Real probes carry no hop-by-hop trace
(``hops`` is empty, ``ending`` None); the simulator behind the backend can still explain them.

Observed, not enumerated: :meth:`NetnsBackend.curl_every` repeats the probe ``repeats`` times
(32; all TCP repeats of all probes of a source run in one parallel curl) and reports each
distinct observation once with its frequency. Consequences a caller should know: with
``sessionAffinity: ClientIP`` the repeats stick to the first pod chosen (the kernel's ``recent``
table), where the simulator lists every pod the *first* connection could reach; a UDP probe's
repeats run one after another and stop at the first silence (UDP probes run in parallel, each
datagram tagged with its probe id). Timeouts cost ``connect_timeout`` (default 0.5 s,
``curl --connect-timeout``; a real connection between namespaces takes well under 0.1 s even
with thousands in flight, and UDP probes let the pods' server catch up before they call
silence a timeout) once per batch.

Preflight (:meth:`NetnsBackend.available`) says exactly what is missing: Linux, root or
unprivileged user namespaces, ``ip``/``iptables-restore``/``iptables-save``/``curl``/``unshare``
on PATH, and then — in a throwaway pair of namespaces — veth and bridge links, the sysctls,
every iptables feature kube-proxy's rules use, a listener and a curl through DNAT and REJECT.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from grader.backends.netns_plan import PREFIX, Plan, build_plan
from grader.backends.sim import SimBackend
from grader.errors import BackendUnavailable, GraderError, UsageError
from grader.model.objects import Object
from grader.records import frozen
from grader.records import frozen
from grader.sim import dns
from grader.sim.cluster import Cluster
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT, UNKNOWN, ProbeResult, Source, Target, parse_source, parse_url
from grader.sim.results import ApplyResult, CommandOutput
from grader.sim.topology import Topology

__all__ = ["NetnsBackend", "NetnsError", "TOOLS", "classify", "root_snapshot", "static_reason"]

TOOLS = {"ip": "iproute2", "iptables-restore": "iptables", "iptables-save": "iptables", "curl": "curl",
         "unshare": "util-linux"}
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")
REACHED_EXITS = (0, 1, 52, 56)
UDP_REFUSED = "nc: read failed (Connection refused)"
_HEADER_SIZE = 4
_UNCHECKED = object()


class NetnsError(GraderError):
    """The real data plane failed: a command in the agent, or the agent itself."""


def _tool_path() -> str:
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    return os.pathsep.join(parts + [p for p in SBIN if p not in parts])


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def static_reason() -> str | None:
    """What this machine lacks before anything is started (None: go on to the live checks)."""
    if not sys.platform.startswith("linux"):
        return f"the netns backend needs Linux network namespaces; this is {sys.platform}"
    if not os.path.exists("/proc/self/ns/net"):
        return "this kernel has no network namespaces (/proc/self/ns/net is missing)"
    missing = [f"{tool} (Debian package {pkg})" for tool, pkg in TOOLS.items()
               if shutil.which(tool, path=_tool_path()) is None]
    if missing:
        return "missing on PATH: " + ", ".join(missing)
    if os.geteuid() != 0:
        if _read_text("/proc/sys/kernel/unprivileged_userns_clone") == "0":
            return "needs root or unprivileged user namespaces, and kernel.unprivileged_userns_clone is 0"
        if _read_text("/proc/sys/user/max_user_namespaces") == "0":
            return "needs root or unprivileged user namespaces, and user.max_user_namespaces is 0"
    return None


def _host_kp_links() -> list[str]:
    """Interfaces named ``kp…`` in the caller's own network namespace (read only; there should be none)."""
    env = {"PATH": _tool_path(), "LC_ALL": "C"}
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, env=env, timeout=30)
    names = [line.split(":")[1].strip().split("@")[0] for line in links.stdout.splitlines() if ":" in line]
    return [name for name in names if name.startswith(PREFIX)]


def root_snapshot() -> dict[str, Any]:
    """Read-only view of the host's own namespace: its iptables rules and any ``kp`` interface.

    Used to check that the backend leaves the host untouched; it runs ``iptables-save`` and
    ``ip -o link show`` in the caller's namespace and changes nothing.
    """
    env = {"PATH": _tool_path(), "LC_ALL": "C"}
    saved = subprocess.run(["iptables-save"], capture_output=True, text=True, env=env, timeout=30)
    rules = "\n".join(line for line in saved.stdout.splitlines() if not line.startswith("#"))
    return {"iptables": rules, "iptables_rc": saved.returncode, "kp_links": _host_kp_links()}


def _processes_in(inodes: set[int]) -> list[int]:
    """Pids of processes whose network namespace is one of ``inodes``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            link = os.readlink(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if link.startswith("net:[") and int(link[5:-1]) in inodes:
            found.append(int(entry))
    return found


# --------------------------------------------------------------------------- the agent process


class _Agent:
    """The agent child process and its pipe (requests and replies are pickled frames)."""

    def __init__(self, rootless: bool, timeout: float) -> None:
        argv = ["unshare", "--mount", "--propagation", "private", "--net"]
        if rootless:
            argv[1:1] = ["--user", "--map-root-user"]
        argv += ["--", sys.executable, "-m", "grader.backends.netns_agent"]
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PATH"] = _tool_path()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        env["KPORTS_NETNS_FORBIDDEN"] = str(os.stat("/proc/self/ns/net").st_ino)
        self.timeout = timeout
        self.lock = threading.Lock()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=env, close_fds=True)
        self.pid = self.proc.pid
        try:
            self.hello = self._reply(min(timeout, 30.0))
        except BaseException:
            self.stop(graceful=False)
            raise

    def call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        with self.lock:
            if self.proc.poll() is not None:
                raise NetnsError(f"the netns agent (pid {self.pid}) has exited: {self.stderr_tail()}")
            data = pickle.dumps((op, args), protocol=pickle.HIGHEST_PROTOCOL)
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(len(data).to_bytes(_HEADER_SIZE, "big") + data)
                self.proc.stdin.flush()
            except BrokenPipeError:
                raise NetnsError(f"the netns agent (pid {self.pid}) has gone: {self.stderr_tail()}") from None
            return self._reply(timeout or self.timeout)

    def _reply(self, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        size = int.from_bytes(self._read(_HEADER_SIZE, deadline), "big")
        status, value = pickle.loads(self._read(size, deadline))
        if status != "ok":
            raise NetnsError(value)
        return value

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, need = [], size
        while need:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise NetnsError(f"the netns agent (pid {self.pid}) did not answer in time")
            chunk = os.read(fd, need)
            if not chunk:
                self.proc.wait(5)
                raise NetnsError(f"the netns agent (pid {self.pid}) exited: {self.stderr_tail()}")
            chunks.append(chunk)
            need -= len(chunk)
        return b"".join(chunks)

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "no message"

    def stop(self, graceful: bool = True) -> dict[str, Any] | None:
        """Ask for a teardown, then make sure the process is gone (killed by its pid if it hangs)."""
        report = None
        try:
            if graceful:
                report = self.call("shutdown", timeout=30)
        except NetnsError:
            report = None
        finally:
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.stderr.close()
        return report


# --------------------------------------------------------------------------- probes


@frozen
class _Probe:
    source: Source
    target: Target
    namespace: str
    address: str
    how: str

    @property
    def curl_url(self) -> str:
        url = self.target.url
        return url if "://" in url else f"http://{url}"

    @property
    def resolve(self) -> tuple[str, ...]:
        try:
            ipaddress.ip_address(self.target.host)
            return ()
        except ValueError:
            return (f"{self.target.host}:{self.target.port}:{self.address}",)


def classify(exit_code: int, logged: bool) -> str:
    """A curl exit code as an outcome (R-C-1); ``logged``: a pod's listener logged the connection.

    0 (HTTP), 1 (not HTTP: ``Received HTTP/0.9``), 52 (empty reply) and 56 (reset after
    accepting) all mean a process accepted the connection; 7 is a reset or an ICMP error
    (nothing listens, or a REJECT rule); 28 a connection that was never answered; 6 a name
    that did not resolve. Anything else is ``UNKNOWN``.
    """
    if logged or exit_code in REACHED_EXITS:
        return REACHED
    return {7: REFUSED, 28: TIMEOUT, 6: DNS}.get(exit_code, UNKNOWN)


def _unknown_result(probe: _Probe, record: dict[str, Any]) -> ProbeResult:
    """The connection reached a pod whose app the simulator cannot know (as the simulator says it)."""
    return ProbeResult(probe.source, probe.target.url, UNKNOWN, -1, "", f"kports: {record['unknown']}",
                       resolution=probe.how)


def _tcp_result(probe: _Probe, raw: dict[str, Any]) -> ProbeResult:
    code, record = raw["exit_code"], raw["record"]
    if record is not None and record.get("unknown"):
        return _unknown_result(probe, record)
    outcome = classify(code, record is not None)
    stderr = "" if code == 0 else f"curl: ({code}) {raw['error']}".rstrip()
    record = record or {}
    return ProbeResult(
        probe.source, probe.target.url, outcome, code, raw["body"] if outcome == REACHED else "", stderr,
        record.get("answered_by", ""), record.get("container", ""), record.get("client_ip", ""),
        record.get("client_port", 0), resolution=probe.how,
        http_status=(raw["http_code"] or None) if outcome == REACHED else None,
    )


def _udp_result(probe: _Probe, raw: dict[str, Any]) -> ProbeResult:
    record = raw["record"]
    if record is not None and record.get("unknown"):
        return _unknown_result(probe, record)
    if raw["kind"] == "reply" or record is not None:
        record = record or {}
        return ProbeResult(probe.source, probe.target.url, REACHED, 0, raw["body"], "",
                           record.get("answered_by", ""), record.get("container", ""),
                           record.get("client_ip", ""), record.get("client_port", 0), resolution=probe.how)
    if raw["kind"] == "refused":
        return ProbeResult(probe.source, probe.target.url, REFUSED, 1, "", UDP_REFUSED, resolution=probe.how)
    return ProbeResult(probe.source, probe.target.url, TIMEOUT, 1, "", "", resolution=probe.how)


def _counts(repeats: int | Sequence[int], size: int) -> list[int]:
    """Connections per probe: one number for every probe, or one each (at least 1)."""
    if isinstance(repeats, int):
        return [max(1, repeats)] * size
    counts = [max(1, int(n)) for n in repeats]
    if len(counts) != size:
        raise UsageError(f"repeats: {len(counts)} counts for {size} probes")
    return counts


def _group(results: list[ProbeResult]) -> list[ProbeResult]:
    """Observed frequencies: one result per (outcome, exit code, pod, container, client IP)."""
    groups: dict[tuple, list[ProbeResult]] = {}
    for result in results:
        key = (result.outcome, result.exit_code, result.answered_by, result.container, result.client_ip)
        groups.setdefault(key, []).append(result)
    total = len(results)
    return [dataclasses.replace(found[0], probability=len(found) / total) for _, found in sorted(groups.items())]


# --------------------------------------------------------------------------- the backend


class NetnsBackend:
    """The simulator's decisions, realised in network namespaces and probed with real curl."""

    name = "netns"

    def __init__(self, topology: Topology | str = "kind", *, seed: int = 0, load_balancer: bool = False,
                 connect_timeout: float = 0.5, repeats: int = 32, rootless: bool | None = None,
                 agent_timeout: float = 120.0) -> None:
        self.sim = SimBackend(cluster=Cluster(topology, seed=seed, load_balancer=load_balancer))
        self.cluster = self.sim.cluster
        self.seed, self.load_balancer = seed, load_balancer
        self.connect_timeout = connect_timeout
        self.repeats = repeats
        self.rootless = (os.geteuid() != 0) if rootless is None and hasattr(os, "geteuid") else bool(rootless)
        self.agent_timeout = agent_timeout
        self.plan: Plan | None = None
        self.timings: dict[str, Any] = {"preflight": 0.0, "realise": [], "probes": [], "teardown": 0.0}
        self.teardown_report: dict[str, Any] = {}
        self._agent: _Agent | None = None
        self._reason: Any = _UNCHECKED
        self._dirty = True
        self._closed = False
        self._hosts: dict[str, str] = {}
        self._namespace_inodes: set[int] = set()

    @property
    def agent_pid(self) -> int | None:
        """The pid of the running agent process (None before :meth:`available` or after :meth:`close`)."""
        return self._agent.pid if self._agent is not None else None

    def __repr__(self) -> str:
        state = "closed" if self._closed else (f"agent pid {self._agent.pid}" if self._agent else "not started")
        return f"<NetnsBackend {self.cluster!r} {state}>"

    # ----------------------------------------------------------------- availability

    def available(self) -> str | None:
        """None when the kernel data plane works here (the agent is then running); else why not."""
        if self._reason is _UNCHECKED:
            start = time.perf_counter()
            self._reason = self._preflight()
            self.timings["preflight"] = time.perf_counter() - start
        return self._reason  # type: ignore[no-any-return]

    def _preflight(self) -> str | None:
        reason = static_reason()
        if reason is not None:
            return reason
        try:
            agent = _Agent(self.rootless, self.agent_timeout)
        except (NetnsError, OSError) as exc:
            return f"cannot start the netns agent ({'unshare -Urnm' if self.rootless else 'unshare -mn'}): {exc}"
        try:
            reason = agent.call("preflight")
        except NetnsError as exc:
            reason = f"the netns agent failed its self-test: {exc}"
        if reason is not None:
            agent.stop()
            return str(reason)
        self._agent = agent
        return None

    def _require(self) -> _Agent:
        if self._closed:
            raise UsageError("this netns backend is closed")
        reason = self.available()
        if reason is not None or self._agent is None:
            raise BackendUnavailable(self.name, reason or "the agent is not running")
        return self._agent

    # ----------------------------------------------------------------- the control plane

    def apply(self, manifests: Any, source: str | None = None) -> ApplyResult:
        result = self.sim.apply(manifests, source=source)
        self._dirty = True
        return result

    def delete(self, kind: str, name: str, namespace: str = "default") -> CommandOutput:
        result = self.sim.delete(kind, name, namespace)
        self._dirty = True
        return result

    def get(self, kind: str, name: str, namespace: str = "default") -> Object | None:
        return self.sim.get(kind, name, namespace)

    def list(self, kind: str, namespace: str | None = "default") -> list[Object]:
        return self.sim.list(kind, namespace)

    def sync(self) -> Plan:
        """Realise the cluster's current state now (probes do this themselves when needed)."""
        agent = self._require()
        if self._dirty or self.plan is None:
            plan = build_plan(self.cluster)
            stats = agent.call("realise", plan)
            self.timings["realise"].append(stats)
            self.plan, self._dirty = plan, False
            self._hosts = {ns.host: ns.name for ns in plan.namespaces if ns.host}
        return self.plan

    def reset(self, topology: Topology | str | None = None, *, seed: int | None = None,
              load_balancer: bool | None = None) -> dict[str, int]:
        """Start again from a new, empty simulated cluster, keeping the agent and its namespaces.

        Equivalent to closing the backend and opening a new one with these arguments (unset
        ones are kept), at a fraction of the cost: no agent start, no self-test, and the next
        probe realises only the difference between the old plan and the new one (the LAN, the
        outside client and unchanged nodes stay). What the kernels remember between
        connections is forgotten now — conntrack entries and the ``recent`` tables of session
        affinity — so the new cluster starts as fresh as a new one would. Returns what was
        cleared.
        """
        agent = self._require()
        self.seed = self.seed if seed is None else seed
        self.load_balancer = self.load_balancer if load_balancer is None else load_balancer
        chosen = self.cluster.topology if topology is None else topology
        self.sim = SimBackend(cluster=Cluster(chosen, seed=self.seed, load_balancer=self.load_balancer))
        self.cluster = self.sim.cluster
        self._dirty = True
        return dict(agent.call("forget"))

    # ----------------------------------------------------------------- probes

    def curl(self, source: str, url: str, *, timeout: float = 3.0, container: str = "",
             namespace: str = "default") -> ProbeResult:
        """Real ``curl -sS --connect-timeout`` from ``outside``, ``node/NAME`` or ``pod/NAME``."""
        source_ = parse_source(source, namespace, container)
        return self._run([(source_, url)], 1, min(timeout, self.connect_timeout))[0][0]

    def curl_every(self, source: str, url: str, *, namespace: str = "default") -> list[ProbeResult]:
        """The probe repeated ``repeats`` times; one result per distinct observation, with its frequency."""
        return self.curl_every_many([(source, url)], namespace=namespace)[0]

    def curl_many(self, probes: Sequence[tuple[str, str]], *, namespace: str = "default",
                  connect_timeout: float | None = None) -> list[ProbeResult]:
        """Several probes at once: one curl process per source namespace, sources in parallel."""
        pairs = [(parse_source(src, namespace), url) for src, url in probes]
        return [found[0] for found in self._run(pairs, 1, connect_timeout or self.connect_timeout)]

    def curl_every_many(self, probes: Sequence[tuple[str, str]], *, namespace: str = "default",
                        repeats: int | Sequence[int] | None = None,
                        connect_timeout: float | None = None) -> list[list[ProbeResult]]:
        """:meth:`curl_every` for several probes at once (all repeats in one batch per source).

        ``repeats``: how many connections each probe makes (default :attr:`repeats`), one number
        for all or one per probe — a probe with a single possible answer needs one connection,
        a load-balanced one enough to see every endpoint. ``connect_timeout``: this batch's
        (default :attr:`connect_timeout`).
        """
        pairs = [(parse_source(src, namespace), url) for src, url in probes]
        counts = _counts(repeats if repeats is not None else self.repeats, len(pairs))
        return [_group(found) for found in self._run(pairs, counts, connect_timeout or self.connect_timeout)]

    def _run(self, pairs: Sequence[tuple[Source, str]], repeats: int | Sequence[int],
             connect_timeout: float) -> list[list[ProbeResult]]:
        agent = self._require()
        self.sync()
        start = time.perf_counter()
        counts = _counts(repeats, len(pairs))
        prepared = [self._prepare(src, url) for src, url in pairs]
        results: list[list[ProbeResult]] = [[] for _ in pairs]
        batches: dict[str, list[tuple[int, _Probe]]] = {}
        for index, probe in enumerate(prepared):
            if isinstance(probe, ProbeResult):
                results[index] = [probe] * counts[index]
            elif probe.target.protocol == "TCP":
                batches.setdefault(probe.namespace, []).extend([(index, probe)] * counts[index])
        order = list(batches)
        request = [(ns, [(p.curl_url, p.resolve) for _, p in batches[ns]]) for ns in order]
        udp = [(index, probe) for index, probe in enumerate(prepared)
               if isinstance(probe, _Probe) and probe.target.protocol == "UDP"]
        series = [(p.namespace, p.address, p.target.port, p.target.path, counts[i]) for i, p in udp]
        if request or series:
            tcp_answers, udp_answers = agent.call("probe", request, series, connect_timeout)
            for ns, raws in zip(order, tcp_answers):
                for (index, probe), raw in zip(batches[ns], raws):
                    results[index].append(_tcp_result(probe, raw))
            for (index, probe), raws in zip(udp, udp_answers):
                results[index] = [_udp_result(probe, raw) for raw in raws]
        self.timings["probes"].append((sum(len(r) for r in results), time.perf_counter() - start))
        return results

    def _prepare(self, source: Source, url: str) -> _Probe | ProbeResult:
        target = parse_url(url)
        host = self.cluster.network().host_of(source)
        resolution = dns.resolve(self.cluster, target.host, from_pod=source.kind == "pod",
                                 namespace=source.namespace or "default")
        if not resolution.ok:
            return ProbeResult(source, target.url, DNS, 6, "", f"curl: (6) Could not resolve host: {target.host}",
                               resolution=resolution.how)
        namespace = self._hosts.get(host)
        if namespace is None:
            raise NetnsError(f"{source} has no network namespace in the realised plan")
        return _Probe(source, target, namespace, resolution.addresses[0], resolution.how)

    # ----------------------------------------------------------------- inspection

    def saved_rules(self, node: str) -> str:
        """``iptables-save`` of a node, as the kernel holds its rules."""
        agent = self._require()
        self.sync()
        return str(agent.call("iptables_save", self._hosts[f"node:{node}"]))

    def inventory(self) -> dict[str, Any]:
        """Namespaces (with inodes and interfaces), open sockets and server errors, from the agent."""
        found = self._require().call("inventory")
        self._namespace_inodes.update(v["inode"] for v in found["namespaces"].values())
        return dict(found)

    # ----------------------------------------------------------------- teardown

    def close(self) -> None:
        """Tear everything down and verify that nothing is left; safe to call twice.

        Raises :class:`NetnsError` if a namespace, a ``kp`` interface in the host's namespace,
        or a process inside one of the backend's namespaces survived.
        """
        if self._closed:
            return
        self._closed = True
        agent, self._agent = self._agent, None
        if agent is None:
            return
        start = time.perf_counter()
        try:
            self._namespace_inodes.update(agent.call("inodes").values())
        except NetnsError:
            pass
        report = agent.stop() or {}
        problems = []
        if report.get("namespaces_left"):
            problems.append(f"namespaces left: {', '.join(report['namespaces_left'])}")
        if agent.proc.returncode is None or os.path.exists(f"/proc/{agent.pid}/status") and _alive(agent.pid):
            problems.append(f"the agent (pid {agent.pid}) is still running")
        stray = _processes_in(self._namespace_inodes)
        if stray:
            problems.append(f"processes still inside the backend's namespaces: {stray}")
        links = _host_kp_links() if shutil.which("ip", path=_tool_path()) else []
        if links:
            problems.append(f"interfaces named {PREFIX}… in the host's namespace: {', '.join(links)}")
        self.timings["teardown"] = time.perf_counter() - start
        self.teardown_report = {"agent_pid": agent.pid, "returncode": agent.proc.returncode,
                                "namespaces": len(self._namespace_inodes), "problems": problems,
                                "server_errors": report.get("errors", [])}
        if problems:
            raise NetnsError("netns teardown left something behind: " + "; ".join(problems))


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (``kill -0`` says yes to zombies)."""
    text = _read_text(f"/proc/{pid}/status")
    return bool(text) and "State:\tZ" not in text
