"""The netns agent: one process that owns the whole real data plane, and dies with it.

The backend starts it as ``unshare --mount --propagation private --net [--user --map-root-user]
python -m grader.backends.netns_agent``. In that private mount namespace it mounts a tmpfs on
``/run``, so ``/run/netns`` (where ``ip netns add`` pins namespaces) exists only for this process
and its children; its own network namespace is a fresh, empty one. When the agent exits — or is
killed — the mount namespace goes, the pinned namespaces lose their last reference and the
kernel destroys them with every interface, route and rule inside. Nothing is ever created in
the host's namespaces.

It reads requests from stdin and writes replies to stdout as length-prefixed pickles (a private
pipe between the backend and its own child). Requests (``op`` and arguments):

* ``preflight``: build two namespaces, a veth and a bridge, set sysctls, load a document that
  uses every iptables feature kube-proxy's rules need, bind a listener and curl it through a
  DNAT and a REJECT; tear it down. Returns None, or the reason the backend cannot run.
* ``realise(plan)``: make the kernel match the plan (:class:`~grader.backends.netns_runner.Runner`).
* ``curl(batches, connect_timeout)``: run real ``curl`` inside each batch's source namespace,
  all URLs of a batch in one curl process (``--parallel``), batches in parallel threads.
* ``udp(namespace, ip, port, payload, timeout)``: one datagram from the source namespace;
  ``udp_many(series, timeout)``: several UDP probes (with repeats) in parallel threads;
  ``probe(batches, series, connect_timeout)``: ``curl`` and ``udp_many`` at the same time.
* ``inventory``: namespaces, their inodes and interfaces (for tests); ``inodes``: just the inodes.
* ``iptables_save(namespace)``: the rules as the kernel has them.
* ``forget``: flush conntrack and empty the ``recent`` tables wherever there are rules.
* ``shutdown``: tear everything down, report what is left (nothing), exit.

End of input (the backend went away) also tears down and exits.
"""

from __future__ import annotations

import itertools
import os
import pickle
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
from typing import Any, BinaryIO, Callable, Sequence

__all__ = ["CURL_FORMAT", "main", "read_frame", "write_frame"]

CURL_FORMAT = "KPROBE {index} %{{exitcode}} %{{http_code}} %{{errormsg}}\\n"
UDP_PARALLEL = 64
UDP_LATE_REPLY = 2.0  # seconds to wait for a reply the server has already sent
CURL_CHUNK = 200  # URLs per curl process
CURL_PARALLEL = 32  # curl processes at once
_HEADER = struct.Struct(">I")


def write_frame(stream: BinaryIO, obj: Any) -> None:
    """One message: 4-byte big-endian length, then the pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next message, or raise EOFError when the other side has gone."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


# --------------------------------------------------------------------------- preflight

PREFLIGHT_RULES = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KPCHK - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kports preflight" -j KPCHK
-A KPCHK -d 10.255.0.2/32 -p tcp -m comment --comment "no endpoints" -m tcp --dport 81 -j REJECT --reject-with icmp-port-unreachable
-A KPCHK -p tcp -m addrtype --dst-type LOCAL -m multiport --dports 82,83 -j DROP
-A KPCHK -m conntrack --ctstate INVALID -j DROP
-A KPCHK -m mark --mark 0x4000/0x4000 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KPCHK-MARK - [0:0]
:KPCHK-POST - [0:0]
:KPCHK-SVC - [0:0]
-A PREROUTING -m comment --comment "kports preflight" -j KPCHK-SVC
-A POSTROUTING -j KPCHK-POST
-A KPCHK-MARK -j MARK --set-xmark 0x4000/0x4000
-A KPCHK-POST -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KPCHK-POST -j MARK --xor-mark 0x4000
-A KPCHK-POST -j MASQUERADE --random-fully
-A KPCHK-SVC -s 127.0.0.0/8 -m addrtype --src-type LOCAL -j KPCHK-MARK
-A KPCHK-SVC -p tcp -m tcp --dport 80 -m recent --rcheck --seconds 10800 --reap --name KPCHK --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.255.0.2:8080
-A KPCHK-SVC -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -m recent --set --name KPCHK --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.255.0.2:8080
-A KPCHK-SVC -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.255.0.2:8080
COMMIT
"""


class Agent:
    """The agent's state: the kernel primitives, the server and the runner."""

    def __init__(self, forbidden: Sequence[int]) -> None:
        from grader.backends.netns_kernel import Kernel
        from grader.backends.netns_runner import Runner
        from grader.backends.netns_server import Server

        self.kernel = Kernel(forbidden)
        self.server = Server(self.kernel)
        self.runner = Runner(self.kernel, self.server.update)
        self.probe_ids = itertools.count(1)

    # ----------------------------------------------------------------- ops

    def op_hello(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "uid": os.getuid(), "netns": os.stat("/proc/self/ns/net").st_ino}

    def op_realise(self, plan: Any) -> dict[str, Any]:
        return self.runner.realise(plan)

    def op_inventory(self) -> dict[str, Any]:
        found = {}
        for name in self.kernel.namespaces():
            done = self.kernel.run_in(name, ["ip", "-o", "link", "show"])
            links = [line.split(":")[1].strip().split("@")[0] for line in done.stdout.splitlines() if ":" in line]
            found[name] = {"inode": self.kernel.inode(name), "links": links}
        return {"namespaces": found, "sockets": len(self.server.sockets), "errors": list(self.server.errors)}

    def op_inodes(self) -> dict[str, int]:
        return {name: self.kernel.inode(name) for name in self.kernel.namespaces()}

    def op_iptables_save(self, namespace: str) -> str:
        return self.kernel.iptables_save(namespace)

    def op_forget(self) -> dict[str, int]:
        """Forget what the kernels remember between connections: conntrack entries and ``recent`` tables.

        Every namespace with rules (the nodes, pods with catch-all redirects) is cleared, so the
        next probes behave as in a cluster that has just been created.
        """
        current = self.runner.current
        names = sorted({rules.namespace for rules in current.rules + current.pod_rules})
        found = {"conntrack_flushed": 0, "recent_cleared": 0}
        lock = threading.Lock()

        def forget(namespace: str) -> None:
            flushed = self.kernel.conntrack_flush(namespace)
            cleared = self.kernel.clear_recent(namespace)
            with lock:
                found["conntrack_flushed"] += int(flushed)
                found["recent_cleared"] += cleared

        _in_threads(forget, [(name,) for name in names])
        return found

    def op_shutdown(self) -> dict[str, Any]:
        left = self.runner.teardown()
        self.server.close()
        return {"namespaces_left": left, "errors": list(self.server.errors)}

    def op_curl(self, batches: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]],
                connect_timeout: float) -> list[list[dict[str, Any]]]:
        """Each batch: (namespace, [(url, resolve entries)]); results in the same shape.

        A batch is cut into chunks of ``CURL_CHUNK`` URLs, one curl process each, all chunks in
        parallel threads (curl's ``--parallel`` slows down faster than linearly with the number
        of transfers it juggles).
        """
        results: list[list[dict[str, Any]]] = [[{}] * len(probes) for _, probes in batches]

        def run(index: int, start: int, namespace: str, probes: Sequence[tuple[str, Sequence[str]]]) -> None:
            results[index][start:start + len(probes)] = self._curl(namespace, probes, connect_timeout)

        jobs = [(i, start, ns, probes[start:start + CURL_CHUNK])
                for i, (ns, probes) in enumerate(batches) for start in range(0, len(probes), CURL_CHUNK)]
        _in_threads(run, jobs, threading.Semaphore(CURL_PARALLEL))
        return results

    def op_probe(self, batches: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]],
                 series: Sequence[tuple[str, str, int, str, int]], connect_timeout: float) -> tuple[list, list]:
        """``curl`` and ``udp_many`` at the same time (their timeouts overlap); both answers."""
        found: dict[str, list] = {"tcp": [], "udp": []}

        def run(kind: str) -> None:
            if kind == "tcp" and batches:
                found["tcp"] = self.op_curl(batches, connect_timeout)
            elif kind == "udp" and series:
                found["udp"] = self.op_udp_many(series, connect_timeout)

        _in_threads(run, [("tcp",), ("udp",)])
        return found["tcp"], found["udp"]

    def _curl(self, namespace: str, probes: Sequence[tuple[str, Sequence[str]]],
              connect_timeout: float) -> list[dict[str, Any]]:
        ids = [f"p{next(self.probe_ids)}" for _ in probes]
        workdir = tempfile.mkdtemp(prefix="kpcurl", dir="/run")
        try:
            argv = curl_argv(probes, ids, workdir, connect_timeout)
            done = self.kernel.run_in(namespace, argv, timeout=connect_timeout + 30)
            lines = _write_out_lines(done.stdout)
            records = self.server.take_tcp(ids)
            results = []
            for index, probe_id in enumerate(ids):
                code, http, message = lines.get(index, (-1, 0, done.stderr.strip()))
                body = _read(os.path.join(workdir, str(index)))
                results.append({"exit_code": code, "http_code": http, "error": message, "body": body,
                                "record": records.get(probe_id)})
            return results
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def op_udp(self, namespace: str, ip: str, port: int, payload: str, timeout: float) -> dict[str, Any]:
        """One datagram, ``echo PAYLOAD | nc -u`` style; the reply, a refusal, or silence."""
        return self._udp_one(namespace, ip, port, payload, timeout)

    def op_udp_many(self, series: Sequence[tuple[str, str, int, str, int]], timeout: float) -> list[list[dict[str, Any]]]:
        """Several UDP probes, each ``(namespace, ip, port, payload, repeats)``, in parallel threads.

        A probe's datagrams go one after another and stop at the first silence (the rest
        would only repeat it); every datagram is tagged with its own probe id, so parallel
        probes never take each other's log entries.
        """
        results: list[list[dict[str, Any]]] = [[] for _ in series]

        def run(index: int, namespace: str, ip: str, port: int, payload: str, repeats: int) -> None:
            for _ in range(repeats):
                found = self._udp_one(namespace, ip, port, payload, timeout)
                results[index].append(found)
                if found["kind"] == "timeout" and found["record"] is None:
                    break

        _in_threads(run, [(i, *item) for i, item in enumerate(series)], threading.Semaphore(UDP_PARALLEL))
        return results

    def _udp_one(self, namespace: str, ip: str, port: int, payload: str, timeout: float) -> dict[str, Any]:
        probe_id = f"u{next(self.probe_ids)}"
        with self.kernel.entered(namespace):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        body, kind = "", "timeout"
        try:
            sock.settimeout(timeout)
            sock.connect((ip, port))
            try:
                sock.send(b"KPROBE " + probe_id.encode("ascii") + b"\n" + (payload + "\n").encode("utf-8"))
            except PermissionError:
                pass  # a netfilter verdict on the way out (REJECT or DROP): the socket learns which below
            body, kind = sock.recv(65535).decode("utf-8", "replace"), "reply"
        except ConnectionRefusedError:
            kind = "refused"
        except (socket.timeout, TimeoutError):
            kind = "timeout"
        try:
            if kind == "timeout":
                body, kind = self._udp_late(sock, probe_id)
        finally:
            sock.close()
        return {"kind": kind, "body": body, "record": self.server.take_udp(probe_id)}

    def _udp_late(self, sock: socket.socket, probe_id: str) -> tuple[str, str]:
        """Silence so far: was the datagram only waiting behind a busy server? Then take the late reply.

        The kernel delivers in microseconds but the server answers in turn; once it has handled
        everything queued, a datagram it logged with a reply means the reply is on its way.
        """
        self.server.settle()
        with self.server.lock:
            record = self.server.udp_tagged.get(probe_id)
        if record is None or not record.get("replied"):
            return "", "timeout"
        try:
            sock.settimeout(UDP_LATE_REPLY)
            return sock.recv(65535).decode("utf-8", "replace"), "reply"
        except (OSError, socket.timeout):
            return "", "timeout"

    def op_preflight(self) -> str | None:
        try:
            return self._preflight()
        finally:
            self.kernel.delete_namespaces([n for n in self.kernel.namespaces() if n.startswith("kpchk")])

    def _preflight(self) -> str | None:
        from grader.backends.netns_kernel import KernelError
        from grader.backends.netns_plan import SYSCTLS, ListenerSpec
        from grader.sim.apps import Listener, Reply

        a, b = "kpchk0", "kpchk1"
        steps = [
            ("create network namespaces", lambda: self.kernel.add_namespaces([a, b])),
            ("set per-namespace sysctls", lambda: [self.kernel.write_sysctls(n, SYSCTLS["node"]) for n in (a, b)]),
            ("create a bridge", lambda: self.kernel.ip_batch(a, ["link add kpchkbr type bridge"])),
            ("create a veth pair between namespaces", lambda: self.kernel.ip_batch(a, [
                f"link add kpchka type veth peer name kpchkb netns {b}", "link set lo up", "link set kpchka up",
                "address add 10.255.0.1/24 dev kpchka"])),
            ("configure the veth", lambda: self.kernel.ip_batch(b, [
                "link set lo up", "link set kpchkb up", "address add 10.255.0.2/24 dev kpchkb"])),
            ("load kube-proxy-style rules with iptables-restore (nat, filter, statistic, addrtype, "
             "conntrack, mark, recent, multiport, MASQUERADE --random-fully, DNAT, REJECT)",
             lambda: self.kernel.iptables_restore(b, PREFLIGHT_RULES)),
        ]
        for what, step in steps:
            try:
                step()
            except (KernelError, OSError, FileNotFoundError) as exc:
                return f"cannot {what}: {exc}"
        spec = ListenerSpec(b, "TCP", "0.0.0.0", 8080, "kports/preflight", "check",
                            Listener("TCP", 8080, "0.0.0.0", "check"), fixed_reply=Reply(0, "ok", "", 200))
        try:
            self.server.update([spec])
            results = self._curl(a, [("http://10.255.0.2:80/", ()), ("http://10.255.0.2:81/", ())], 2.0)
        except (KernelError, OSError) as exc:
            return f"cannot serve and probe inside a namespace: {exc}"
        finally:
            self.server.update(())
        reached, refused = results
        if reached["exit_code"] != 0 or reached["record"] is None or reached["body"] != "ok":
            return f"a curl through a DNAT rule did not reach the listener (curl exit {reached['exit_code']}: {reached['error']})"
        if refused["exit_code"] != 7:
            return f"a REJECT rule did not refuse the connection (curl exit {refused['exit_code']}: {refused['error']})"
        return None


def _in_threads(work: Callable[..., None], jobs: Sequence[tuple], gate: threading.Semaphore | None = None) -> None:
    """``work(*job)`` for every job, each in a thread of its own (at most ``gate``'s count at
    once), all joined; then the first error any of them raised is re-raised."""
    errors: list[BaseException] = []

    def run(*job: Any) -> None:
        try:
            if gate is None:
                work(*job)
            else:
                with gate:
                    work(*job)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def curl_argv(probes: Sequence[tuple[str, Sequence[str]]], ids: Sequence[str], workdir: str,
              connect_timeout: float) -> list[str]:
    """One curl process for every probe of a source: ``--parallel``, one ``--next`` section each."""
    argv = ["curl", "-q", "-Z", "--parallel-immediate", "--parallel-max", "300"]  # 300: curl's ceiling
    for index, ((url, resolve), probe_id) in enumerate(zip(probes, ids)):
        if index:
            argv.append("--next")
        argv += ["-sS", "-g", "-4", "--noproxy", "*", "--connect-timeout", f"{connect_timeout:g}",
                 "--max-time", f"{connect_timeout + 5:g}", "-H", f"X-Kports-Probe: {probe_id}",
                 "-o", os.path.join(workdir, str(index)), "-w", CURL_FORMAT.format(index=index)]
        for entry in resolve:
            argv += ["--resolve", entry]
        argv.append(url)
    return argv


def _write_out_lines(stdout: str) -> dict[int, tuple[int, int, str]]:
    found = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 4)
        if len(parts) >= 4 and parts[0] == "KPROBE":
            found[int(parts[1])] = (int(parts[2]), int(parts[3]), parts[4] if len(parts) > 4 else "")
    return found


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# --------------------------------------------------------------------------- main loop


def _serve(agent: Agent, requests: BinaryIO, replies: BinaryIO) -> None:
    while True:
        try:
            op, args = read_frame(requests)
        except EOFError:
            agent.op_shutdown()
            return
        try:
            value = getattr(agent, f"op_{op}")(*args)
            write_frame(replies, ("ok", value))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the backend
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            write_frame(replies, ("error", detail))
        if op == "shutdown":
            return


def main() -> int:
    """Entry point inside ``unshare``: private /run, then serve requests until shutdown or EOF."""
    from grader.backends.netns_kernel import KernelError, mount_private_run

    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints must never corrupt the protocol stream
    requests = sys.stdin.buffer
    forbidden = [int(x) for x in os.environ.get("KPORTS_NETNS_FORBIDDEN", "").split(",") if x.isdigit()]
    try:
        mount_private_run()
        agent = Agent(forbidden)
    except (KernelError, OSError) as exc:
        write_frame(replies, ("error", f"the netns agent could not start: {exc}"))
        return 1
    write_frame(replies, ("ok", agent.op_hello()))
    started = time.perf_counter()
    _serve(agent, requests, replies)
    print(f"kports netns agent {os.getpid()} done after {time.perf_counter() - started:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
