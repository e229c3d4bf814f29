"""Recognisers for the server programs of the catalogue: what each listens on, given its flags.

Each function takes the program's argv (``argv[0]`` is the program) and a :class:`.Ctx`, and
returns a :class:`.Run`. Defaults and flag names come from each program's source or image:

* nginx: ``listen 80`` in the image's ``default.conf`` (8080 in nginx-unprivileged); without
  ``-g "daemon off;"`` the master forks into the background and the main process exits.
* httpd: ``Listen 80``; ``httpd-foreground`` (the image's CMD) runs ``httpd -DFOREGROUND``.
* mysql/mariadb: ``--port`` (or ``MYSQL_TCP_PORT``), ``--bind-address``; MySQL 8+ also loads
  the X plugin on 33060 (``--mysqlx-port``, ``--mysqlx=OFF``). The images' entrypoint refuses
  to initialise without a root password variable.
* postgres: 5432 (``-p``, ``-c port=``, ``PGPORT``), ``listen_addresses='*'`` in the image;
  the entrypoint requires ``POSTGRES_PASSWORD`` (or ``POSTGRES_HOST_AUTH_METHOD=trust``).
* redis-server: 6379 on all addresses (``--port``, ``--bind``; a ``.conf`` file is opaque).
* influxd: 8086 (1.x also ``127.0.0.1:8088``, its backup RPC port).
* http-echo (hashicorp): ``-listen=:5678``, ``-text`` (or ``ECHO_TEXT`` since 1.0),
  ``-status-code`` (1.0).
* whoami (traefik): ``--port`` (``WHOAMI_PORT_NUMBER``, 80), ``--name`` (``WHOAMI_NAME``).
* hello-app: ``PORT`` or 8080.
"""

from __future__ import annotations

import itertools
import re

from grader.sim.apps.argv import parse_flags
from grader.sim.apps.model import ALL_ADDRESSES, Listener, Server, describe_listeners, is_digits
from grader.sim.apps.run import Ctx, Run, normalize_address, parse_port

__all__ = [
    "apache",
    "go_listen",
    "hello_app",
    "http_echo",
    "influxd",
    "listening",
    "mysql",
    "nginx",
    "postgres",
    "redis",
    "whoami",
]


def listening(label: str, listeners: list[Listener], reason: str) -> str:
    """``nginx listens on 0.0.0.0:80/TCP (its default configuration)``."""
    return f"{label} listens on {describe_listeners(listeners)} ({reason})"


def _server(
    label: str, kind: str, listeners: list[Listener], reason: str, holds: bool = True, **params: str
) -> Run:
    server = Server(kind, tuple(listeners), tuple(sorted(params.items())))
    return Run([server], holds=holds, app=label, why=listening(label, listeners, reason))


def _tcp(ctx: Ctx, port: int, address: str = ALL_ADDRESSES) -> Listener:
    return Listener("TCP", port, address, ctx.name)


def _set(ctx: Ctx, *names: str) -> bool:
    """True when one of the variables is set to a non-empty value (envFrom: assume so)."""
    if ctx.container.env_from is not None:
        return True
    return any(ctx.env.get(name) for name in names) or any(ctx.env.get(name + "_FILE") for name in names)


def go_listen(addr: str, proto: str = "tcp") -> tuple[str | None, int, str]:
    """(address, port, error) for Go's ``net.Listen(proto, addr)``; address None: a host name."""
    host, sep, port_text = addr.rpartition(":")
    if not sep:
        return None, 0, f"listen {proto}: address {addr}: missing port in address"
    named = {"http": "80", "https": "443"}
    port = parse_port(named.get(port_text, port_text) or "0")
    if port is None:
        if is_digits(port_text):
            return None, 0, f"listen {proto}: address {port_text}: invalid port"
        return None, 0, f"listen {proto}: lookup {proto}/{port_text}: unknown port"
    return normalize_address(host), port, ""


def _go_server(ctx: Ctx, label: str, kind: str, addr: str, reason: str, **params: str) -> Run:
    address, port, error = go_listen(addr)
    if error:
        return Run.fails(error)
    if address is None:
        return Run.unknown(f"{label} listens on {addr!r}, a host name the simulator does not resolve")
    return _server(label, kind, [_tcp(ctx, port, address)], reason, **params)


# --------------------------------------------------------------------------- web servers


def nginx(argv: list[str], ctx: Ctx) -> Run:
    """nginx with the image's configuration (port 80, or 8080 in nginx-unprivileged)."""
    args = argv[1:]
    if "-c" in args:
        return Run.unknown("nginx reads its listen ports from the file given with -c, which the simulator cannot see")
    if any(flag in args for flag in ("-t", "-T", "-v", "-V", "-h", "-?", "-s")):
        return Run(why="nginx only tests its configuration, prints its version or signals a running master, then exits")
    port = 8080 if ctx.image.info and ctx.image.info.family == "nginx-unprivileged" else 80
    version = re.match(r"\d+\.\d+\.\d+", ctx.image.tag)
    directives = " ".join(args[i + 1] for i, a in enumerate(args[:-1]) if a == "-g")
    daemon_off = re.search(r"daemon\s+off\s*;", directives) is not None
    run = _server("nginx", "nginx", [_tcp(ctx, port)], "its default configuration", daemon_off,
                  version=version.group(0) if version else "")
    if not daemon_off:
        run.why = 'nginx without -g "daemon off;" forks into the background and its main process returns'
    return run


def apache(argv: list[str], ctx: Ctx) -> Run:
    """Apache httpd: ``Listen 80``; ``httpd`` without ``-DFOREGROUND`` daemonises."""
    args = argv[1:]
    if "-f" in args:
        return Run.unknown("httpd reads its Listen ports from the file given with -f, which the simulator cannot see")
    foreground = argv[0].endswith("httpd-foreground") or "-DFOREGROUND" in args or "FOREGROUND" in args
    run = _server("httpd", "httpd", [_tcp(ctx, 80)], "its default configuration", foreground)
    if not foreground:
        run.why = "httpd without -DFOREGROUND daemonises and its main process returns"
    return run


def hello_app(argv: list[str], ctx: Ctx) -> Run:
    """gcr.io/google-samples/hello-app: ``PORT`` or 8080, every path."""
    port = ctx.env.get("PORT") or "8080"
    reason = "from PORT" if ctx.env.get("PORT") else "its default port"
    version = "2.0.0" if ctx.image.major() == "2" else "1.0.0"
    return _go_server(ctx, "hello-app", "hello-app", ":" + port, reason, version=version)


def http_echo(argv: list[str], ctx: Ctx) -> Run:
    """hashicorp/http-echo: ``-listen`` (default ``:5678``), ``-text`` (+ newline)."""
    modern = ctx.image.major() not in ("0",)
    spec = {"listen": "str", "text": "str", "version": "bool"}
    if modern:
        spec["status-code"] = "int"
    flags = parse_flags(argv[1:], spec, style="go")
    if flags.error:
        return Run.fails(flags.error)
    if flags.get("version") == "true":
        return Run(why="http-echo -version prints its version and exits")
    text = flags.get("text") or (ctx.env.get("ECHO_TEXT", "") if modern else "")
    if not text:
        return Run.fails("Missing -text option or ECHO_TEXT env var!" if modern else "Missing -text option!")
    if flags.positional:
        return Run.fails("Too many arguments!")
    addr = flags.values.get("listen", ":5678") or ":http"
    reason = f"from -listen={addr}" if "listen" in flags.values else "its default -listen=:5678"
    return _go_server(ctx, "http-echo", "http-echo", addr, reason, text=text, status=flags.get("status-code", "200"))


def whoami(argv: list[str], ctx: Ctx) -> Run:
    """traefik/whoami: ``--port`` (``WHOAMI_PORT_NUMBER``, 80), prints who it is."""
    spec = {"verbose": "bool", "cert": "str", "key": "str", "cacert": "str", "port": "str",
            "name": "str", "allowed-origins": "str"}
    flags = parse_flags(argv[1:], spec, style="go")
    if flags.error:
        return Run.fails(flags.error)
    port = flags.values.get("port") or ctx.env.get("WHOAMI_PORT_NUMBER") or "80"
    reason = "from --port" if "port" in flags.values else "from WHOAMI_PORT_NUMBER" if ctx.env.get(
        "WHOAMI_PORT_NUMBER") else "its default port"
    tls = "true" if flags.get("cert") and flags.get("key") else ""
    name = flags.values.get("name", ctx.env.get("WHOAMI_NAME", ""))
    return _go_server(ctx, "whoami", "whoami", ":" + port, reason, name=name, tls=tls)


# --------------------------------------------------------------------------- databases


def _options(args: list[str], short: dict[str, str]) -> dict[str, str]:
    """``--name=value``, ``--name value``, ``-Xvalue``, ``-X value`` into {name: value}.

    ``short`` maps single-letter options to long names; ``_`` in names becomes ``-``.
    """
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg.startswith("--"):
            name, has_value, value = arg[2:].partition("=")
            name = name.replace("_", "-")
            if not has_value and i < len(args) and not args[i].startswith("-"):
                value, i = args[i], i + 1
            values[name] = value
        elif arg.startswith("-") and len(arg) >= 2 and arg[1] in short:
            value = arg[2:]
            if not value and i < len(args):
                value, i = args[i], i + 1
            name = short[arg[1]]
            if name == "c":
                key, _, value = value.partition("=")
                name = key.replace("_", "-")
            values[name] = value
    return values


def _addresses(text: str) -> list[str | None]:
    return [normalize_address(part) for part in text.split(",") if part.strip()]


MYSQL_PASSWORDS = ("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD")
MARIADB_PASSWORDS = ("MARIADB_ROOT_PASSWORD", "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MARIADB_RANDOM_ROOT_PASSWORD",
                     "MARIADB_ROOT_PASSWORD_HASH") + MYSQL_PASSWORDS


def mysql(argv: list[str], ctx: Ctx) -> Run:
    """mysqld / mariadbd: 3306 (and MySQL 8's X protocol on 33060)."""
    mariadb = ctx.image.info is not None and ctx.image.info.family == "mariadb"
    label = "mariadb" if mariadb else "mysql"
    names = MARIADB_PASSWORDS if mariadb else MYSQL_PASSWORDS
    if not _set(ctx, *names):
        prefix = "MARIADB" if mariadb else "MYSQL"
        return Run.fails("[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified "
                         f"(set {prefix}_ROOT_PASSWORD, {names[1]} or {names[2]})")
    opts = _options(argv[1:], {"P": "port"})
    if "defaults-file" in opts or "defaults-extra-file" in opts:
        return Run.unknown(f"{label} reads its port from an option file the simulator cannot see")
    if "skip-networking" in opts:
        return Run([], holds=True, app=label, why=f"{label} with --skip-networking listens on no TCP port")
    port = parse_port(opts.get("port") or ctx.env.get("MYSQL_TCP_PORT") or "3306") or 3306
    listeners = [_tcp(ctx, port, a) for a in _addresses(opts.get("bind-address", "*")) if a]
    servers = [Server("mysql", tuple(listeners))]
    xplugin = not mariadb and ctx.image.major() not in ("5",) and opts.get("mysqlx", "ON").upper() not in (
        "OFF", "0", "FALSE") and "skip-mysqlx" not in opts
    if xplugin:
        xport = parse_port(opts.get("mysqlx-port", "33060")) or 33060
        xaddress = normalize_address(opts.get("mysqlx-bind-address", "*")) or ALL_ADDRESSES
        servers.append(Server("mysqlx", (_tcp(ctx, xport, xaddress),)))
    every = [item for server in servers for item in server.listeners]
    reason = "from its flags" if opts else "its default configuration"
    return Run(servers, holds=True, app=label, why=listening(label, every, reason))


def postgres(argv: list[str], ctx: Ctx) -> Run:
    """postgres: 5432 on ``listen_addresses='*'`` (``-p``, ``-c port=``, ``PGPORT``, ``-h``)."""
    if not _set(ctx, "POSTGRES_PASSWORD") and ctx.env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        return Run.fails("Error: Database is uninitialized and superuser password is not specified. "
                         "You must specify POSTGRES_PASSWORD to a non-empty value for the superuser.")
    opts = _options(argv[1:], {"p": "port", "c": "c", "h": "listen-addresses"})
    if "config-file" in opts:
        return Run.unknown("postgres reads its port from a configuration file the simulator cannot see")
    port = parse_port(opts.get("port") or ctx.env.get("PGPORT") or "5432") or 5432
    addresses = opts.get("listen-addresses", "*").strip("'\"")
    listeners = [_tcp(ctx, port, a) for a in _addresses(addresses) if a] if addresses else []
    reason = "from its flags" if opts else "its default configuration"
    if not listeners:
        return Run([], holds=True, app="postgres", why="postgres with listen_addresses='' listens on no TCP port")
    return _server("postgres", "postgres", listeners, reason)


def redis(argv: list[str], ctx: Ctx) -> Run:
    """redis-server: 6379 on all addresses (``--port``, ``--bind``)."""
    args = argv[1:]
    if args and args[0].endswith(".conf"):
        return Run.unknown(f"redis-server reads its port from {args[0]}, which the simulator cannot see")
    port, addresses, i = 6379, [ALL_ADDRESSES], 0
    while i < len(args):
        if args[i] == "--port" and i + 1 < len(args):
            port = parse_port(args[i + 1]) or 0
        elif args[i] == "--bind":
            words = list(itertools.takewhile(lambda w: not w.startswith("--"), args[i + 1 :]))
            found = (normalize_address(w.lstrip("-")) for w in words)
            addresses = list(dict.fromkeys(a for a in found if a))
        elif args[i] == "--daemonize" and i + 1 < len(args) and args[i + 1] == "yes":
            return Run(why="redis-server --daemonize yes forks into the background and its main process returns")
        i += 1
    if port == 0:
        return Run([], holds=True, app="redis", why="redis-server --port 0 listens on no TCP port")
    reason = "from its flags" if args else "its default configuration"
    return _server("redis", "redis", [_tcp(ctx, port, a) for a in addresses], reason)


def influxd(argv: list[str], ctx: Ctx) -> Run:
    """influxd: 8086 (InfluxDB 1.x also binds its RPC service on 127.0.0.1:8088)."""
    args = argv[1:]
    v1 = ctx.image.major() == "1"
    if args and args[0] in ("version", "print-config", "config", "help", "backup", "restore", "inspect"):
        return Run(why=f"influxd {args[0]} prints and exits")
    if "-config" in args or "--config" in args:
        return Run.unknown("influxd reads its bind address from a configuration file the simulator cannot see")
    opts = _options([a for a in args if a != "run"], {})
    bind = opts.get("http-bind-address") or ctx.env.get("INFLUXDB_HTTP_BIND_ADDRESS" if v1 else
                                                         "INFLUXD_HTTP_BIND_ADDRESS") or ":8086"
    address, port, error = go_listen(bind)
    if error or address is None:
        return Run.fails(error) if error else Run.unknown(f"influxd binds {bind!r}, a host name")
    listeners = [_tcp(ctx, port, address)]
    servers = [Server("influxdb", tuple(listeners), (("version", "1" if v1 else "2"),))]
    if v1:
        rpc_address, rpc_port, rpc_error = go_listen(ctx.env.get("INFLUXDB_BIND_ADDRESS", "127.0.0.1:8088"))
        if rpc_address and not rpc_error:
            servers.append(Server("influxdb-rpc", (_tcp(ctx, rpc_port, rpc_address),)))
            listeners.append(servers[-1].listeners[0])
    reason = "its default configuration" if bind == ":8086" else f"from its bind address {bind}"
    return Run(servers, holds=True, app="influxdb", why=listening("influxdb", listeners, reason))

