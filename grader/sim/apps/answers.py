"""What each application answers: :func:`answer` turns a request into what ``curl -sS`` shows.

HTTP requests are curl's plain ``GET`` (``Host`` as curl sends it, ``Accept: */*``); UDP
and SCTP requests carry a text payload. Per server kind:

* nginx: ``/`` and ``/index.html`` give the welcome page; anything else nginx's 404 page.
* httpd: "It works!" for ``/``; Apache's 404 page otherwise.
* mysql (3306) speaks first: curl exits 1 ``Received HTTP/0.9 when not allowed``.
* mysqlx (33060), postgres, redis, InfluxDB 1.x RPC: curl exits 52, empty reply. PostgreSQL
  reads curl's ``GET /`` as a startup packet of absurd length, logs ``invalid length of
  startup packet`` and closes; Redis runs ``GET / HTTP/1.1`` as a command, then sees
  ``Host:``, logs "Possible SECURITY ATTACK detected" and closes without writing the pending
  reply (``CLIENT_CLOSE_ASAP`` clients are not written to). The X protocol reads ``GET `` as
  a message length over its limit and closes (inferred, not verified live).
* influxdb: ``/ping`` 204 with no body; other paths Go's ``404 page not found`` (InfluxDB 1.x
  behaviour; 2.x serves its UI on ``/``, which is not modelled).
* agnhost netexec: ``/hostname``, ``/hostName``, ``/clientip`` (``ip:port``), ``/echo?msg=``
  (``&code=`` sets the status), ``/healthz`` (200 once its UDP or SCTP server runs, else 412),
  ``/redirect``, ``/upload`` (no file: its JSON error), ``/exit`` and ``/shutdown`` (the process
  exits: empty reply); ``/shell`` and ``/dial`` would run commands or dial out, which the
  simulator does not do: they answer 417 with a JSON error saying so; every other path is
  ``/``, whose body is :data:`~.texts.NETEXEC_ROOT` (agnhost prints the current time there).
  UDP/SCTP: ``hostname``, ``echo X``, ``clientip`` after trimming and lower-casing the payload;
  anything else gets no reply.
* agnhost serve-hostname: its hostname for any path (HTTP), raw on ``--tcp`` (curl exits 1),
  as a datagram on ``--udp``.
* http-echo: the ``-text`` plus a newline on every path but ``/health`` (``{"status":"ok"}``).
* python http.server: ``/`` lists the working directory (the simulator models no files, so the
  list is empty); other paths 404 with CPython's error page.
* hello-app: ``Hello, world!``, ``Version: 1.0.0`` (2.0.0 for tag 2.x), ``Hostname: …``.
* traefik/whoami: ``Hostname:``, ``IP:`` lines (127.0.0.1 and the address the request reached;
  a real pod also lists IPv6 addresses, which are not modelled), ``RemoteAddr:``, then the
  request in wire format; ``/api`` as JSON, ``/health``, ``/bench``, ``/data?size=``.
* BusyBox httpd: 404 for every path (no files are modelled, and there is no index.html in /).
* nc: what was piped into it (an HTTP response if it starts with ``HTTP/``; other text is
  HTTP/0.9 to curl); nothing piped: empty reply.
* declared (annotation on an unknown image): HTTP 200 with ``<hostname>\\n``; UDP the same text.
"""

from __future__ import annotations

import json
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from grader.sim.apps import texts
from grader.sim.apps.model import ContainerApp, Listener, Reply, Request, Server, is_digits

__all__ = ["answer"]

HTTP09 = Reply(1, "", texts.CURL_HTTP09, None)
EMPTY = Reply(52, "", texts.CURL_EMPTY_REPLY, None)


def _ok(body: str, status: int = 200) -> Reply:
    return Reply(0, body, "", status)


def _target(text: str) -> str:
    return text if text.startswith("/") else "/" + text


def _path(request: Request, override: str = "") -> tuple[str, dict[str, list[str]]]:
    """The request's path and its decoded query (Go's ``FormValue`` semantics: first value)."""
    split = urlsplit(_target(override or request.path))
    return split.path or "/", parse_qs(split.query, keep_blank_values=True)


def _form(query: dict[str, list[str]], name: str) -> str:
    return query.get(name, [""])[0]


def _go_quote(text: str) -> str:
    return json.dumps(text)


# --------------------------------------------------------------------------- web servers


def _nginx(server: Server, request: Request) -> Reply:
    path, _ = _path(request)
    if path in ("/", "/index.html"):
        return _ok(texts.NGINX_WELCOME)
    return _ok(texts.nginx_error_page(404, "Not Found", server.param("version")), 404)


def _httpd(server: Server, request: Request) -> Reply:
    path, _ = _path(request)
    return _ok(texts.HTTPD_IT_WORKS) if path in ("/", "/index.html") else _ok(texts.HTTPD_404, 404)


def _influxdb(server: Server, request: Request) -> Reply:
    path, _ = _path(request)
    return _ok("", 204) if path == "/ping" else _ok(texts.GO_NOT_FOUND, 404)


def _python(server: Server, request: Request) -> Reply:
    path, _ = _path(request)
    if path == "/":
        return _ok(texts.python_directory_listing(_target(request.path).split("#")[0]))
    return _ok(texts.python_error_page(404, "File not found", "Nothing matches the given URI"), 404)


def _hello(server: Server, request: Request) -> Reply:
    version = server.param("version", "1.0.0")
    return _ok(f"Hello, world!\nVersion: {version}\nHostname: {request.hostname}\n")


def _http_echo(server: Server, request: Request) -> Reply:
    path, _ = _path(request)
    if path == "/health":
        return _ok('{"status":"ok"}\n')
    return _ok(server.param("text") + "\n", int(server.param("status", "200") or 200))


def _busybox_httpd(server: Server, request: Request) -> Reply:
    return _ok(texts.busybox_error_page(404, "Not Found", "The requested URL was not found"), 404)


def _nc(server: Server, request: Request) -> Reply:
    sent = dict(server.params).get("reply")
    if not sent:
        return EMPTY
    if not sent.startswith("HTTP/"):
        return HTTP09
    normalized = sent.replace("\r\n", "\n")
    head, _, body = normalized.partition("\n\n")
    parts = head.split("\n", 1)[0].split()
    status = int(parts[1]) if len(parts) > 1 and is_digits(parts[1]) else None
    return HTTP09 if status is None else _ok(body, status)


def _declared(server: Server, request: Request) -> Reply:
    return _ok(request.hostname + "\n")


# --------------------------------------------------------------------------- agnhost


def _netexec(server: Server, request: Request) -> Reply:
    if server.param("tls"):
        return _ok(texts.HTTP_TO_HTTPS, 400)
    path, query = _path(request, server.param("override"))
    if path in ("/hostname", "/hostName"):
        return _ok(request.hostname)
    if path == "/clientip":
        return _ok(f"{request.client_ip}:{request.client_port}")
    if path == "/echo":
        return _netexec_echo(query)
    if path == "/healthz":
        return _ok("", 200 if server.param("healthy") else 412)
    if path in ("/exit", "/shutdown"):
        return EMPTY
    if path == "/redirect":
        return _redirect(_form(query, "location"), _form(query, "code"))
    if path == "/upload":
        return _ok('{"error":"Unable to upload file."}')
    if path in ("/shell", "/dial"):
        key = "error" if path == "/shell" else "errors"
        message = f"the simulator does not run agnhost's {path} endpoint"
        return _ok(json.dumps({key: message if key == "error" else [message]}, separators=(",", ":")), 417)
    return _ok(texts.NETEXEC_ROOT)


def _netexec_echo(query: dict[str, list[str]]) -> Reply:
    msg, code = _form(query, "msg"), _form(query, "code")
    if not code:
        return _ok(msg)
    if not is_digits(code.lstrip("-")):
        return _ok(f"argument 'code' must be an integer or empty, got {_go_quote(code)}\n")
    status = int(code)
    return _ok(msg, status) if 100 <= status <= 999 else EMPTY


def _redirect(location: str, code: str) -> Reply:
    if code and not is_digits(code.lstrip("-")):
        return _ok(f"argument 'code' must be an integer or empty, got {_go_quote(code)}\n")
    status = int(code) if code else 302
    if not 100 <= status <= 999:
        return EMPTY
    from http import HTTPStatus  # only redirects need it: not imported with every app

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    escaped = location.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    return _ok(f'<a href="{escaped}">{phrase}</a>.\n\n', status)


def _serve_hostname(server: Server, request: Request) -> Reply:
    return _ok(request.hostname)


def _serve_hostname_tcp(server: Server, request: Request) -> Reply:
    return HTTP09


# --------------------------------------------------------------------------- whoami


def _whoami(server: Server, request: Request) -> Reply:
    if server.param("tls"):
        return _ok(texts.HTTP_TO_HTTPS, 400)
    path, query = _path(request)
    if path == "/health":
        return _ok("")
    if path == "/bench":
        return _ok("1")
    if path == "/echo":
        return _ok("Bad Request\n", 400)
    if path == "/api":
        return _ok(_whoami_json(server, request))
    if path == "/data":
        return _ok(_whoami_data(_form(query, "size"), _form(query, "unit")))
    lines = [f"Name: {server.param('name')}"] if server.param("name") else []
    lines += [f"Hostname: {request.hostname}"] + [f"IP: {ip}" for ip in _ips(request)]
    lines.append(f"RemoteAddr: {request.client_ip}:{request.client_port}")
    wire = (f"GET {_target(request.path)} HTTP/1.1\r\nHost: {request.host_header}\r\n"
            f"User-Agent: {texts.CURL_USER_AGENT}\r\nAccept: */*\r\n\r\n")
    return _ok("\n".join(lines) + "\n" + wire)


def _ips(request: Request) -> list[str]:
    return ["127.0.0.1"] + ([request.local_ip] if request.local_ip and not request.local_ip.startswith("127.") else [])


def _whoami_json(server: Server, request: Request) -> str:
    data: dict[str, object] = {
        "hostname": request.hostname,
        "ip": _ips(request),
        "headers": {"Accept": ["*/*"], "User-Agent": [texts.CURL_USER_AGENT]},
        "url": _target(request.path),
        "host": request.host_header,
        "method": "GET",
    }
    if server.param("name"):
        data["name"] = server.param("name")
    data["remoteAddr"] = f"{request.client_ip}:{request.client_port}"
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def _whoami_data(size_text: str, unit: str) -> str:
    """whoami's ``contentReader``: ``|`` + letters + ``|``, ``size`` bytes (capped at 1 MiB here)."""
    size = int(size_text) if is_digits(size_text.lstrip("-")) else 1
    size = max(size, 0) * {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}.get(unit.lower(), 1)
    size = min(size, 1 << 20)
    if size < 2:
        return ""
    charset = "-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    middle = "".join(charset[i % len(charset)] for i in range(1, size - 1))
    return "|" + middle + "|"


# --------------------------------------------------------------------------- dispatch

HTTP: dict[str, Callable[[Server, Request], Reply]] = {
    "nginx": _nginx,
    "httpd": _httpd,
    "mysql": lambda server, request: HTTP09,
    "mysqlx": lambda server, request: EMPTY,
    "postgres": lambda server, request: EMPTY,
    "redis": lambda server, request: EMPTY,
    "influxdb-rpc": lambda server, request: EMPTY,
    "influxdb": _influxdb,
    "netexec": _netexec,
    "serve-hostname": _serve_hostname,
    "serve-hostname-tcp": _serve_hostname_tcp,
    "http-echo": _http_echo,
    "python-http": _python,
    "hello-app": _hello,
    "whoami": _whoami,
    "busybox-httpd": _busybox_httpd,
    "nc": _nc,
    "declared": _declared,
}


def _datagram(server: Server, request: Request) -> Reply:
    """A UDP (or SCTP) reply: netexec's commands, serve-hostname, nc, declared apps."""
    if server.kind == "netexec":
        text = request.path.strip().lower()
        if text == "hostname":
            return _ok(request.hostname, None)
        if text.startswith("echo "):
            return _ok(text.split(" ", 1)[1], None)
        if text == "clientip":
            return _ok(f"{request.client_ip}:{request.client_port}", None)
        return _ok("", None)
    if server.kind == "serve-hostname":
        return _ok(request.hostname, None)
    if server.kind == "nc":
        return _ok(dict(server.params).get("reply") or "", None)
    if server.kind == "declared":
        return _ok(request.hostname + "\n", None)
    return _ok("", None)


def _server_for(app: ContainerApp, listener: Listener) -> Server:
    for server in app.servers:
        if server.serves(listener):
            return server
    return app.servers[0] if app.servers else Server("declared", (listener,))


def answer(app: ContainerApp, listener: Listener, request: Request) -> Reply:
    """What curl (TCP) or a datagram client (UDP/SCTP) gets from ``app`` on ``listener``.

    The caller has already decided that the connection reached ``listener`` (the app listens
    there and did not lose the bind). An app with ``known=False`` has no model: callers say
    they cannot know instead of calling this; if they do, it answers like a declared app.
    """
    server = _server_for(app, listener)
    if request.protocol != "TCP":
        return _datagram(server, request)
    return HTTP.get(server.kind, _declared)(server, request)
