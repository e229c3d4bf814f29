"""agnhost, the Kubernetes e2e test image: its ``netexec``, ``serve-hostname`` and ``pause`` modes.

agnhost is one cobra binary (``ENTRYPOINT ["/agnhost"]``, ``CMD ["pause"]``); ``args[0]``
picks the subcommand. Flags are spf13/pflag flags (``--http-port=8080`` or
``--http-port 8080``), and agnhost also accepts klog's logging flags. agnhost ignores the
error cobra returns, so an unknown subcommand or flag prints ``Error: …`` and exits 0: the
container completes and restarts.

Sources: ``test/images/agnhost/netexec/netexec.go`` (``--http-port`` 8080, ``--udp-port``
8081 with -1 disabling, ``--sctp-port`` -1, ``--udp-listen-addresses``, ``--http-override``,
``--tls-cert-file``; HTTP on ``":%d"``) and ``serve-hostname/serve_hostname.go`` (``--port``
9376, ``--http`` true, ``--tcp``/``--udp`` false, refusing HTTP together with TCP/UDP).
"""

from __future__ import annotations

from grader.sim.apps.argv import parse_flags
from grader.sim.apps.model import ALL_ADDRESSES, Listener, Server
from grader.sim.apps.run import Ctx, Run, normalize_address
from grader.sim.apps.servers import listening

__all__ = ["agnhost"]

KLOG_FLAGS = (
    "v", "vmodule", "logtostderr", "alsologtostderr", "stderrthreshold", "log_dir", "log_file",
    "log_file_max_size", "skip_headers", "skip_log_headers", "one_output", "add_dir_header", "log_backtrace_at",
)
NETEXEC_FLAGS = {
    "http-port": "int", "udp-port": "int", "sctp-port": "int", "tls-cert-file": "str",
    "tls-private-key-file": "str", "http-override": "str", "udp-listen-addresses": "str",
    "delay-shutdown": "int",
}
SERVE_HOSTNAME_FLAGS = {"tcp": "bool", "udp": "bool", "http": "bool", "close": "bool", "port": "int"}
OTHER_SUBCOMMANDS = frozenset(
    "audit-proxy connect crd-conversion-webhook dns-suffix dns-server-list etc-hosts entrypoint-tester "
    "fake-gitserver fake-registry-server guestbook inclusterclient liveness logs-generator mounttest net "
    "nettest no-snat-test no-snat-test-proxy porter port-forward-tester resource-consumer-controller "
    "test-webserver webhook test-service-account-issuer-discovery grpc-health-checking h2c-server "
    "mtlsclient mtlsserver podcertificatesigner".split()
)


def _subcommand(args: list[str]) -> tuple[str, list[str]]:
    """The first non-flag word and everything else (root flags may come first)."""
    for index, word in enumerate(args):
        if not word.startswith("-"):
            return word, args[:index] + args[index + 1 :]
    return "", args


def agnhost(argv: list[str], ctx: Ctx) -> Run:
    """Dispatch on agnhost's subcommand."""
    sub, rest = _subcommand(argv[1:])
    if sub == "netexec":
        return netexec(rest, ctx)
    if sub == "serve-hostname":
        return serve_hostname(rest, ctx)
    if sub == "pause":
        return Run([], holds=True, app="agnhost pause", why="agnhost pause listens on nothing")
    if sub in OTHER_SUBCOMMANDS:
        return Run.unknown(f"the simulator does not model agnhost {sub}")
    if not sub:
        return Run(why="agnhost without a subcommand prints its help and exits")
    return Run.fails(f'Error: unknown command "{sub}" for "app"')


def _port_error(value: int, proto: str) -> str:
    return f"listen {proto}: address {value}: invalid port"


def netexec(args: list[str], ctx: Ctx) -> Run:
    """``agnhost netexec``: HTTP on --http-port, UDP on --udp-port, SCTP on --sctp-port."""
    flags = parse_flags(args, NETEXEC_FLAGS, ignore=KLOG_FLAGS)
    if flags.error or flags.positional:
        extra = flags.positional[0] if flags.positional else ""
        return Run.fails("Error: " + (flags.error or f'unknown command "{extra}" for "app netexec"'))
    http, udp, sctp = (int(flags.get(name, default)) for name, default in (
        ("http-port", "8080"), ("udp-port", "8081"), ("sctp-port", "-1")))
    if http == 0:
        return Run.unknown("agnhost netexec --http-port=0 listens on a random port")
    if not 0 < http <= 65535:
        return Run.fails(_port_error(http, "tcp"))
    listeners = [Listener("TCP", http, ALL_ADDRESSES, ctx.name)]
    if udp != -1:
        if not 0 < udp <= 65535:
            detail = _port_error(udp, "udp")
            return Run.fails(f"Error occurred: failed to create listener for UDP address :{udp}:{detail}")
        texts = [a for a in flags.get("udp-listen-addresses").split(",") if a] or [""]
        addresses = [normalize_address(text) for text in texts]
        if any(a is None for a in addresses):
            bad = next(t for t, a in zip(texts, addresses) if a is None)
            return Run.fails(f"parseAddress: invalid address {bad}")
        listeners += [Listener("UDP", udp, a, ctx.name) for a in dict.fromkeys(addresses) if a]
    if sctp != -1:
        listeners.append(Listener("SCTP", sctp, ALL_ADDRESSES, ctx.name))
    params = {
        "healthy": "true" if udp != -1 or sctp != -1 else "",
        "override": flags.get("http-override"),
        "tls": "true" if flags.get("tls-cert-file") else "",
    }
    server = Server("netexec", tuple(listeners), tuple(sorted(params.items())))
    reason = ", ".join(f"--{name}={flags.values[name]}" for name in flags.seen if name.endswith("port"))
    reason = f"from {reason} and its defaults" if reason else "its default ports"
    return Run([server], holds=True, app="agnhost netexec", why=listening("agnhost netexec", listeners, reason))


def serve_hostname(args: list[str], ctx: Ctx) -> Run:
    """``agnhost serve-hostname``: answers its hostname over HTTP, raw TCP or UDP."""
    flags = parse_flags(args, SERVE_HOSTNAME_FLAGS, ignore=KLOG_FLAGS)
    if flags.error or flags.positional:
        extra = flags.positional[0] if flags.positional else ""
        return Run.fails("Error: " + (flags.error or f'unknown command "{extra}" for "app serve-hostname"'))
    tcp, udp, http = (flags.get(name, default) == "true" for name, default in (
        ("tcp", "false"), ("udp", "false"), ("http", "true")))
    if http and (tcp or udp):
        return Run.fails("Can't server TCP/UDP mode and HTTP mode at the same time")
    port = int(flags.get("port", "9376"))
    servers = []
    if tcp:
        servers.append(Server("serve-hostname-tcp", (Listener("TCP", port, ALL_ADDRESSES, ctx.name),)))
    if udp:
        servers.append(Server("serve-hostname", (Listener("UDP", port, ALL_ADDRESSES, ctx.name),)))
    if http:
        servers.append(Server("serve-hostname", (Listener("TCP", port, ALL_ADDRESSES, ctx.name),)))
    every = [item for server in servers for item in server.listeners]
    reason = f"from --port={port}" if "port" in flags.values else "its default --port=9376"
    why = listening("agnhost serve-hostname", every, reason)
    if not every:
        why = "agnhost serve-hostname with --http=false listens on nothing"
    return Run(servers, holds=True, app="agnhost serve-hostname", why=why)
