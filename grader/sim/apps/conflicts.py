"""Two programs, one port: who binds first and what the loser logs (R-CP-3, R-HN-3).

All containers of a pod share one network namespace, so two of them binding the same
protocol and port collide exactly as two processes on one host do; hostNetwork pods share the
node's namespace the same way, whether or not they declare the port (undeclared ports escape
the scheduler's host-port check, R-HN-3). Linux's rule, as the model applies it: a socket on
``0.0.0.0`` conflicts with any address on the same protocol and port; two different specific
addresses do not; TCP and UDP never conflict with each other.

A program stops at its first failed bind and releases what it held, so a loser's other
listeners are not held either (it goes into CrashLoopBackOff and retries later).
"""

from __future__ import annotations

from typing import Callable, Sequence

from grader.sim.apps.model import ALL_ADDRESSES, ContainerApp, Listener

__all__ = ["bind_conflicts", "bind_failure_log"]


Holders = dict[tuple[str, int], dict[str, ContainerApp]]


def bind_conflicts(apps: Sequence[ContainerApp]) -> list[tuple[ContainerApp, Listener, ContainerApp]]:
    """``(loser, contested listener, holder)`` for every app that fails to bind, in order.

    ``apps`` are in start order (a pod's containers in spec order; or the hostNetwork pods of
    one node in creation order). Each loser is reported once, with the first of its listeners
    that was already taken. The apps returned are the objects passed in (map them back to pods
    by identity or position). Linear in the number of listeners.
    """
    held: Holders = {}
    losers: list[tuple[ContainerApp, Listener, ContainerApp]] = []
    for app in apps:
        clash = _first_clash(app, held)
        if clash is not None:
            losers.append((app, clash[0], clash[1]))
            continue
        for listener in app.listeners:
            held.setdefault((listener.protocol, listener.port), {}).setdefault(listener.address, app)
    return losers


def _first_clash(app: ContainerApp, held: Holders) -> tuple[Listener, ContainerApp] | None:
    """The first of ``app``'s listeners someone already holds, and who (in bind order)."""
    for listener in app.listeners:
        holders = held.get((listener.protocol, listener.port))
        if not holders:
            continue
        if listener.address == ALL_ADDRESSES:
            return listener, next(iter(holders.values()))
        holder = holders.get(ALL_ADDRESSES) or holders.get(listener.address)
        if holder is not None:
            return listener, holder
    return None


def _go_address(listener: Listener) -> str:
    host = "" if listener.address == ALL_ADDRESSES else listener.address
    return f"{host}:{listener.port}"


def _go(prefix: str = "") -> Callable[[Listener], str]:
    def line(listener: Listener) -> str:
        proto = listener.protocol.lower()
        return f"{prefix}listen {proto} {_go_address(listener)}: bind: address already in use"

    return line


def _netexec(listener: Listener) -> str:
    if listener.protocol == "TCP":
        return _go()(listener)
    address = _go_address(listener)
    return (f"Error occurred: failed to create listener for {listener.protocol} address {address}:"
            f"listen {listener.protocol.lower()} {address}: bind: address already in use")


def _serve_hostname(listener: Listener) -> str:
    if listener.protocol == "UDP":
        return f"Error from ListenUDP(): listen udp {_go_address(listener)}: bind: address already in use"
    return _go()(listener)


def _redis(listener: Listener) -> str:
    host = "*" if listener.address == ALL_ADDRESSES else listener.address
    return f"Warning: Could not create server TCP listening socket {host}:{listener.port}: bind: Address already in use"


def _httpd(listener: Listener) -> str:
    host = "[::]" if listener.address == ALL_ADDRESSES else listener.address
    return f"(98)Address already in use: AH00072: make_sock: could not bind to address {host}:{listener.port}"


LOG_LINES: dict[str, Callable[[Listener], str]] = {
    "nginx": lambda l: f"bind() to {l.address}:{l.port} failed (98: Address already in use)",
    "httpd": _httpd,
    "mysql": lambda l: "[ERROR] [MY-010262] [Server] Can't start server: Bind on TCP/IP port: Address already in use",
    "mysqlx": lambda l: "[ERROR] [MY-010262] [Server] Can't start server: Bind on TCP/IP port: Address already in use",
    "postgres": lambda l: f'LOG:  could not bind IPv4 address "{l.address}": Address already in use',
    "redis": _redis,
    "influxdb": _go("run: open server: open service: "),
    "influxdb-rpc": _go("run: open server: open service: "),
    "netexec": _netexec,
    "serve-hostname": _serve_hostname,
    "serve-hostname-tcp": lambda l: f"Error from net.Listen(): {_go()(l)}",
    "http-echo": _go("[ERR] server exited with: "),
    "hello-app": _go(),
    "whoami": _go(),
    "python-http": lambda l: "OSError: [Errno 98] Address already in use",
    "busybox-httpd": lambda l: "httpd: bind: Address already in use",
    "nc": lambda l: "nc: bind: Address already in use",
}


def bind_failure_log(app: ContainerApp, listener: Listener) -> str:
    """The line ``app`` logs when ``listener``'s port is already taken.

    nginx: ``bind() to 0.0.0.0:80 failed (98: Address already in use)``. Log prefixes that carry
    a timestamp (Go's ``log``, nginx's ``2024/01/01 00:00:00 [emerg] 1#1:``) are left out: the
    simulator has no wall clock.
    """
    kind = next((server.kind for server in app.servers if server.serves(listener)), "")
    if not kind and app.servers:
        kind = app.servers[0].kind
    line = LOG_LINES.get(kind)
    if line is None:
        return f"bind {listener}: Address already in use"
    return line(listener)
