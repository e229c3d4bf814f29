"""The pods' applications, for real: one server thread owning every pod's listening sockets.

Each :class:`~grader.backends.netns_plan.ListenerSpec` becomes a real socket, created inside the
pod's (or node's) network namespace by a thread that entered it and bound there, so the kernel
delivers to it exactly what it would deliver to the container's process. What the socket
answers comes from the simulator's app catalogue (:func:`grader.sim.apps.answer`), fed with
the *real* client and local addresses of the connection, so ``/clientip`` and whoami show what
the kernel's NAT really did.

How a :class:`~grader.sim.apps.Reply` goes on the wire, so that curl ends the way the
simulator says it does:

* exit 0: an HTTP/1.1 response with the reply's status and body, ``Connection: close``;
* exit 1 (a server that is not HTTP, e.g. MySQL speaking first): a MySQL-style greeting, which
  curl rejects with ``Received HTTP/0.9 when not allowed``;
* exit 52: the connection is closed without a byte (``Empty reply from server``);
* exit 56: the connection is reset (``SO_LINGER`` 0; ``Recv failure: Connection reset by peer``).

The thread is event-driven: it accepts connections and reads their requests as the bytes
arrive (no thread per connection), because one batch of probes opens thousands of
connections at once; after a reply it waits for the client to close first, so pods keep no
TIME_WAIT sockets for MASQUERADE's random source ports to run into. Every TCP request is read before answering, so that a probe id sent by the backend in an
``X-Kports-Probe`` request header can be logged with who answered and which client address it
saw, whatever the reply (a catch-all socket for an app the simulator cannot know logs and closes without a byte).
UDP datagrams carry their probe id in a first line ``KPROBE <id>``, which the server removes
before the app sees the payload (the UDP counterpart of the header), so UDP probes can run in
parallel; they are answered from the address they were sent to (``IP_PKTINFO``), and an empty
reply sends nothing, as the app would. Untagged datagrams are logged in arrival order.
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import threading
import time
from http import HTTPStatus
from typing import Any, Sequence

from grader.backends.netns_kernel import Kernel
from grader.backends.netns_plan import ListenerSpec

__all__ = ["PROBE_HEADER", "Server", "UDP_TAG", "split_udp_tag"]

PROBE_HEADER = "x-kports-probe"
UDP_TAG = b"KPROBE "
IP_FREEBIND = 15
IP_PKTINFO = 8
MYSQL_GREETING = b"J\x00\x00\x00\n8.0.40\x00\x08\x00\x00\x00kports\x00\x00"
_MAX_HEAD = 65536
_UDP_LOG = 1024
_ACCEPT_BURST = 64
_READ_SECONDS = 5.0
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn (4096 by default since Linux 5.4)

Key = tuple[str, str, str, int]


def _http_response(status: int | None, body: str, answered_by: str) -> bytes:
    code = status or 200
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Status"
    data = b"" if code in (204, 304) else body.encode("utf-8")
    head = (f"HTTP/1.1 {code} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\nX-Kports-Answered-By: {answered_by}\r\n\r\n")
    return head.encode("latin-1", "replace") + data


def _parse_head(data: bytes) -> tuple[str, dict[str, str]]:
    """(request target, lower-cased headers) of an HTTP request head; ``/`` when unreadable."""
    text = data.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ") if lines else []
    path = parts[1] if len(parts) >= 2 and parts[1] else "/"
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return path, headers


def split_udp_tag(data: bytes) -> tuple[str, bytes]:
    """(probe id, payload) of a datagram; the id is "" when the datagram carries no tag."""
    if not data.startswith(UDP_TAG):
        return "", data
    head, _, rest = data.partition(b"\n")
    return head[len(UDP_TAG):].decode("ascii", "replace").strip(), rest


def _pktinfo_destination(ancillary: list) -> str:
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            return socket.inet_ntoa(data[8:12])
    return ""


class _Connection:
    """An accepted connection: its request head still arriving, or (``answered``) its reply sent
    and the client's close awaited."""

    __slots__ = ("key", "deadline", "head", "answered")

    def __init__(self, key: Key, deadline: float) -> None:
        self.key = key
        self.deadline = deadline
        self.head = b""
        self.answered = False


class Server:
    """Binds, serves and logs every listener of the current plan."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.specs: dict[Key, ListenerSpec] = {}
        self.sockets: dict[Key, socket.socket] = {}
        self.tcp_log: dict[str, dict[str, Any]] = {}
        self.udp_log: list[tuple[int, dict[str, Any]]] = []
        self.udp_tagged: dict[str, dict[str, Any]] = {}
        self.udp_seq = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._pending: list[tuple[list[Key], dict[Key, socket.socket], threading.Event]] = []
        self._settling: list[threading.Event] = []
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="kports-netns-server", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- sockets

    def update(self, specs: Sequence[ListenerSpec]) -> None:
        """Serve exactly ``specs``: bind the new ones, close the ones that are gone."""
        wanted = {spec.key: spec for spec in specs}
        removed = [key for key in self.sockets if key not in wanted]
        opened: dict[Key, socket.socket] = {}
        try:
            for key, spec in wanted.items():
                if key not in self.sockets and spec.protocol in ("TCP", "UDP"):
                    opened[key] = self._open(spec)
        except BaseException:
            for sock in opened.values():
                sock.close()
            raise
        with self.lock:
            self.specs = wanted
        done = threading.Event()
        self._pending.append((removed, opened, done))
        os.write(self._wake_w, b"x")
        if not done.wait(10):
            raise RuntimeError("the netns server thread did not take the new listeners")

    def _open(self, spec: ListenerSpec) -> socket.socket:
        kind = socket.SOCK_STREAM if spec.protocol == "TCP" else socket.SOCK_DGRAM
        with self.kernel.entered(spec.namespace):
            sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # 0.0.0.0:N beside 127.0.0.1:N
            sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            if kind == socket.SOCK_DGRAM:
                sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            sock.bind((spec.address, spec.port))
            if kind == socket.SOCK_STREAM:
                sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise OSError(f"cannot bind {spec.address}:{spec.port}/{spec.protocol} in {spec.namespace} "
                          f"({spec.answered_by}): {exc}") from None
        return sock

    def close(self) -> None:
        """Close every socket and stop the thread."""
        if not self._stopped:
            self.update(())
            self._stopped = True
            os.write(self._wake_w, b"x")
            self._thread.join(5)

    # ----------------------------------------------------------------- the loop

    def _loop(self) -> None:
        next_sweep = time.monotonic() + 1.0
        while not self._stopped:
            for key, _ in self._selector.select(timeout=1.0):
                if key.data is None:
                    self._take_pending()
                elif isinstance(key.data, _Connection):
                    self._readable(key.fileobj, key.data)
                elif key.data[0] == "TCP":
                    self._accept(key.fileobj, key.data[1])
                else:
                    self._datagram(key.fileobj, key.data[1])
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + 1.0
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, _Connection):
                self._selector.unregister(key.fileobj)
                key.fileobj.close()

    def _take_pending(self) -> None:
        os.read(self._wake_r, 4096)
        while self._pending:
            removed, opened, done = self._pending.pop(0)
            for key in removed:
                sock = self.sockets.pop(key, None)
                if sock is not None:
                    self._selector.unregister(sock)
                    sock.close()
            for key, sock in opened.items():
                self.sockets[key] = sock
                self._selector.register(sock, selectors.EVENT_READ, (key[1], key))
            done.set()
        if self._settling:
            for key, sock in list(self.sockets.items()):
                if key[1] == "UDP":
                    while self._datagram(sock, key):
                        pass
            while self._settling:
                self._settling.pop(0).set()

    def settle(self, timeout: float = 10.0) -> None:
        """Return once every datagram already waiting at a UDP listener has been handled.

        The loop serves everything in turn; under a batch of thousands of TCP connections a
        datagram can wait in its socket's queue longer than a probe waits for the reply. A
        probe that heard nothing asks for this before it calls the silence a timeout.
        """
        done = threading.Event()
        self._settling.append(done)
        os.write(self._wake_w, b"x")
        if not done.wait(timeout):
            raise RuntimeError("the netns server thread did not settle its UDP queues")

    def _accept(self, sock: Any, key: Key) -> None:
        """Take every waiting connection; each is read by the loop as its bytes arrive."""
        for _ in range(_ACCEPT_BURST):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.errors.append(f"{key}: accept: {exc}")
                return
            conn.setblocking(False)
            self._selector.register(conn, selectors.EVENT_READ, _Connection(key, time.monotonic() + _READ_SECONDS))

    def _readable(self, conn: Any, state: "_Connection") -> None:
        try:
            chunk = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if state.answered:
            if not chunk:  # the client closed first: this end leaves no TIME_WAIT behind
                self._selector.unregister(conn)
                conn.close()
            return
        state.head += chunk
        if chunk and b"\r\n\r\n" not in state.head and len(state.head) < _MAX_HEAD:
            return
        self._selector.unregister(conn)
        self._serve_tcp(conn, state.key, bytes(state.head))

    def _sweep(self) -> None:
        """Close connections whose request never came, or whose client never closed."""
        now = time.monotonic()
        stale = [(key.fileobj, key.data) for key in list(self._selector.get_map().values())
                 if isinstance(key.data, _Connection) and key.data.deadline < now]
        for conn, state in stale:
            self._selector.unregister(conn)
            if not state.answered:
                self.errors.append(f"{state.key}: no request within {_READ_SECONDS:g} s")
            conn.close()

    # ----------------------------------------------------------------- answering

    def _serve_tcp(self, conn: socket.socket, key: Key, head: bytes) -> None:
        """Answer one request. A reply with bytes waits for the client to close first (the way
        curl ends a ``Connection: close`` exchange), so the pod side keeps no TIME_WAIT: after
        a conntrack flush, MASQUERADE may pick any source port again, and a SYN that met a
        TIME_WAIT socket would be answered a second late."""
        linger = False
        try:
            spec = self.specs.get(key)
            if spec is None:
                return
            path, headers = _parse_head(head)
            peer, local = conn.getpeername(), conn.getsockname()
            reply = None if spec.unknown else spec.reply(spec.request(path, headers.get("host", ""), peer, local))
            probe = headers.get(PROBE_HEADER)
            if probe:
                with self.lock:
                    self.tcp_log[probe] = self._record(spec, peer, local, reply.status if reply else None)
            if reply is not None:
                conn.settimeout(5)
                self._send(conn, spec, reply)
                linger = reply.exit_code in (0, 1)
        except Exception as exc:  # noqa: BLE001 - a broken connection must not stop the server
            self.errors.append(f"{key}: {type(exc).__name__}: {exc}")
        finally:
            if linger:
                self._await_close(conn, key)
            else:
                conn.close()

    def _await_close(self, conn: socket.socket, key: Key) -> None:
        state = _Connection(key, time.monotonic() + _READ_SECONDS)
        state.answered = True
        try:
            conn.setblocking(False)
            self._selector.register(conn, selectors.EVENT_READ, state)
        except (OSError, ValueError):
            conn.close()

    @staticmethod
    def _record(spec: ListenerSpec, peer: tuple, local: tuple, status: int | None) -> dict[str, Any]:
        return {"answered_by": spec.answered_by, "container": spec.container, "client_ip": peer[0],
                "client_port": peer[1], "local_ip": local[0], "local_port": local[1], "status": status,
                "unknown": spec.unknown}

    @staticmethod
    def _send(conn: socket.socket, spec: ListenerSpec, reply: Any) -> None:
        if reply.exit_code == 0:
            conn.sendall(_http_response(reply.status, reply.body, spec.answered_by))
        elif reply.exit_code == 1:
            conn.sendall(MYSQL_GREETING)
        elif reply.exit_code == 56:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _datagram(self, sock: Any, key: Key) -> bool:
        """Handle one waiting datagram; False when there was none."""
        try:
            data, ancillary, _, peer = sock.recvmsg(65535, socket.CMSG_SPACE(12))
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            self.errors.append(f"{key}: {exc}")
            return False
        spec = self.specs.get(key)
        if spec is None:
            return True
        local_ip = _pktinfo_destination(ancillary) or key[2]
        probe, data = split_udp_tag(data)
        payload = data.decode("utf-8", "replace")
        payload = payload[:-1] if payload.endswith("\n") else payload
        reply = None if spec.unknown else spec.reply(spec.request(payload, "", peer, (local_ip, key[3])))
        record = self._record(spec, peer, (local_ip, key[3]), None)
        record["replied"] = reply is not None and bool(reply.body)
        with self.lock:
            if probe:
                self.udp_tagged[probe] = record
            else:
                self.udp_seq += 1
                self.udp_log.append((self.udp_seq, record))
                del self.udp_log[:-_UDP_LOG]
        if reply is not None and reply.body:
            info = struct.pack("=I4s4s", 0, socket.inet_aton(local_ip), b"\0\0\0\0")
            try:
                sock.sendmsg([reply.body.encode("utf-8")], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, peer)
            except OSError as exc:
                self.errors.append(f"{key}: reply: {exc}")
        return True

    # ----------------------------------------------------------------- logs

    def take_tcp(self, probe_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The log entries of these probes (removed from the log)."""
        with self.lock:
            return {pid: self.tcp_log.pop(pid) for pid in probe_ids if pid in self.tcp_log}

    def take_udp(self, probe_id: str) -> dict[str, Any] | None:
        """The log entry of one tagged UDP probe (removed from the log), or None."""
        with self.lock:
            return self.udp_tagged.pop(probe_id, None)

    def udp_since(self, seq: int) -> list[dict[str, Any]]:
        with self.lock:
            return [record for number, record in self.udp_log if number > seq]
