"""Small servers started from a command line: ``python -m http.server``, ``nc -l``, BusyBox ``httpd``.

* ``python -m http.server [PORT] [--bind ADDR]``: argparse, ``prog`` ``server.py``; port 8000;
  no ``--bind`` means a dual-stack wildcard socket (``0.0.0.0`` here), ``--bind 127.0.0.1``
  loopback only (R-CP-4).
* ``nc -l``: BusyBox's ``nc`` (netcat 1.10 syntax) listens on ``-p PORT`` only; the words after
  the options are the *peer* it accepts, so ``nc -l 8080`` listens on a random port. OpenBSD
  ``nc`` (netshoot, agnhost) also takes the port as an argument. Without ``-l`` nc connects out.
  What nc sends is what is piped into it (``echo -e "HTTP/1.1 200 OK\\r\\n\\r\\nhi" | nc -l -p
  8080``); with nothing piped in, BusyBox nc half-closes at once and curl sees an empty reply.
* BusyBox ``httpd -f -p [IP:]PORT`` (default port 80); without ``-f`` it daemonises.
"""

from __future__ import annotations

import re

from grader.sim.apps.model import ALL_ADDRESSES, Listener, Server
from grader.sim.apps.run import Ctx, Run, normalize_address, parse_port
from grader.sim.apps.servers import listening

__all__ = ["busybox_httpd", "echo_output", "nc", "python"]

_PY_WITH_ARG = ("-X", "-W", "-Q")
_HTTP_SERVER_LONG = ("--bind", "--directory", "--cgi", "--protocol", "--help")


def _unescape(text: str) -> str:
    """Backslash escapes as ``echo -e`` and ``printf`` read them."""
    table = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "", "a": "\a", "e": "\x1b"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), text)


def echo_output(words: list[str]) -> str:
    """What ``echo``/``printf`` write (the simple forms people pipe into ``nc``)."""
    if words[0] == "printf":
        if len(words) < 2:
            return ""
        fmt, values = _unescape(words[1]), iter(words[2:])
        return re.sub(r"%[sdb%]", lambda m: "%" if m.group(0) == "%%" else next(values, ""), fmt)
    args, newline, escapes = words[1:], True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or escapes
        args = args[1:]
    text = " ".join(args)
    return (_unescape(text) if escapes else text) + ("\n" if newline else "")


# --------------------------------------------------------------------------- python


def _long_option(word: str) -> str:
    name = word.split("=", 1)[0]
    matches = [option for option in _HTTP_SERVER_LONG if option.startswith(name)]
    return matches[0] if len(matches) == 1 else name


def _http_server_args(args: list[str]) -> tuple[str, str | None, str]:
    """(port text, bind text or None, argparse error) for ``http.server``'s arguments."""
    port, bind, i = "8000", None, 0
    positional: list[str] = []
    while i < len(args):
        word = args[i]
        i += 1
        option = _long_option(word) if word.startswith("--") else word[:2] if word.startswith("-") else ""
        if option in ("--bind", "-b", "--directory", "-d", "--protocol", "-p"):
            value = word.split("=", 1)[1] if "=" in word else None
            if value is None and len(word) > 2 and not word.startswith("--"):
                value = word[2:]
            if value is None:
                if i >= len(args):
                    flag = {"-b": "-b/--bind", "-d": "-d/--directory", "-p": "-p/--protocol"}.get(option[:2], option)
                    return port, bind, f"server.py: error: argument {flag}: expected one argument"
                value, i = args[i], i + 1
            if option in ("--bind", "-b"):
                bind = value
        elif option == "--cgi":
            continue
        elif word.startswith("-") and word != "-":
            return port, bind, f"server.py: error: unrecognized arguments: {word}"
        else:
            positional.append(word)
    if len(positional) > 1:
        return port, bind, f"server.py: error: unrecognized arguments: {' '.join(positional[1:])}"
    if positional:
        if not re.fullmatch(r"[+-]?\d+", positional[0]):
            return port, bind, f"server.py: error: argument port: invalid int value: '{positional[0]}'"
        port = positional[0]
    return port, bind, ""


def python(argv: list[str], ctx: Ctx) -> Run:
    """``python [options] -m http.server [PORT] [--bind ADDR]``; anything else is opaque."""
    args, i = argv[1:], 0
    while i < len(args):
        word = args[i]
        if word == "-m" or (word.startswith("-m") and len(word) > 2):
            module = word[2:] or (args[i + 1] if i + 1 < len(args) else "")
            rest = args[i + 1 :] if len(word) > 2 else args[i + 2 :]
            if module != "http.server":
                return Run.unknown(f"the simulator does not know what python -m {module} listens on")
            return _http_server(rest, ctx)
        if word.startswith("-c"):
            return Run.unknown("python -c runs code the simulator does not read")
        if not word.startswith("-") or word == "-":
            return Run.unknown(f"python runs {word}, a script the simulator cannot see")
        i += 2 if word in _PY_WITH_ARG else 1
    if ctx.container.stdin:
        return Run([], holds=True, app="", why="python waits for input on stdin (stdin: true) and listens on nothing")
    return Run(why="python with no script starts a REPL, reads end-of-file from the empty stdin and exits")


def _http_server(args: list[str], ctx: Ctx) -> Run:
    port_text, bind, error = _http_server_args(args)
    if error:
        return Run(failure=error, app="python http.server")
    port = parse_port(port_text.lstrip("+"))
    if port is None:
        return Run(failure="OverflowError: bind(): port must be 0-65535.", app="python http.server")
    if port == 0:
        return Run.unknown("python -m http.server 0 listens on a random port")
    address = ALL_ADDRESSES if bind is None else normalize_address(bind)
    if address is None:
        return Run.unknown(f"python http.server binds {bind!r}, a host name the simulator does not resolve")
    listener = Listener("TCP", port, address, ctx.name)
    parts = [f"port {port}" if port_text != "8000" or args else "its default port 8000"]
    if bind is not None:
        parts.append(f"--bind {bind}")
    reason = ("from " if parts[0].startswith("port") else "") + " and ".join(parts)
    return Run([Server("python-http", (listener,))], holds=True, app="python http.server",
               why=listening("python http.server", [listener], reason))


# --------------------------------------------------------------------------- nc, httpd

_NC_WITH_ARG = frozenset("pswioqTXxIOVMme")
_HTTPD_WITH_ARG = frozenset("purhcmed")


def _nc_options(args: list[str], with_arg: frozenset[str] = _NC_WITH_ARG) -> tuple[set[str], dict[str, str], list[str]]:
    """getopt-style letters: (flags, option values, positional words); ``-e`` ends parsing."""
    letters: set[str] = set()
    values: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        for index, letter in enumerate(word[1:], start=1):
            if letter in with_arg:
                value = word[index + 1 :]
                if not value and i < len(args):
                    value, i = args[i], i + 1
                values[letter] = value
                if letter == "e":
                    return letters, values, positional
                break
            letters.add(letter)
    return letters, values, positional


def nc(argv: list[str], ctx: Ctx) -> Run:
    """``nc -l``: a TCP (or ``-u`` UDP) listener that sends whatever is piped into it."""
    flavor = ctx.image.info.nc if ctx.image.info else "busybox"
    letters, values, positional = _nc_options(argv[1:])
    if "l" not in letters:
        return Run(why="nc without -l connects out and listens on nothing")
    protocol = "UDP" if "u" in letters else "TCP"
    port_text = values.get("p", "")
    address_text = values.get("s", "")
    if not port_text and flavor == "openbsd" and positional:
        port_text = positional[-1]
        address_text = address_text or (positional[0] if len(positional) > 1 else "")
    if not port_text:
        return Run([], holds=True, app="nc", why="BusyBox nc -l without -p listens on a random port "
                   "(the words after the options name the peer it accepts, not the port)")
    port = parse_port(port_text)
    if not port:
        return Run(failure=f"nc: bad local port '{port_text}'", app="nc")
    address = normalize_address(address_text) or ALL_ADDRESSES
    listener = Listener(protocol, port, address, ctx.name)
    params = (("reply", ctx.stdin_text),) if ctx.stdin_text is not None else ()
    reason = f"from -p {port}" if "p" in values else f"from its port argument {port}"
    return Run([Server("nc", (listener,), params)], holds=True, app="nc", why=listening("nc", [listener], reason))


def busybox_httpd(argv: list[str], ctx: Ctx) -> Run:
    """BusyBox ``httpd -f -p [IP:]PORT``: 404 for every path (no files are modelled)."""
    letters, values, _ = _nc_options(argv[1:], _HTTPD_WITH_ARG)
    if "i" in letters:
        return Run(why="httpd -i serves one request on stdin (inetd mode) and exits")
    address_text, _, port_text = values.get("p", "80").rpartition(":")
    port = parse_port(port_text)
    address = normalize_address(address_text)
    if not port or address is None:
        return Run(failure=f"httpd: bad port '{values.get('p')}'", app="busybox httpd")
    listener = Listener("TCP", port, address, ctx.name)
    foreground = "f" in letters
    reason = f"from -p {values['p']}" if "p" in values else "its default port 80"
    run = Run([Server("busybox-httpd", (listener,))], holds=foreground, app="busybox httpd",
              why=listening("busybox httpd", [listener], reason))
    if not foreground:
        run.why = "busybox httpd without -f daemonises and its main process returns"
    return run
