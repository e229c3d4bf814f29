"""What one program in a container does: :class:`Ctx` in, :class:`Run` out.

The recognisers in :mod:`.servers` and :mod:`.programs` read a command line in the context of
its image and container (:class:`Ctx`) and report the sockets it opens, whether it keeps
running in the foreground, and the words the explanation is built from (:class:`Run`).
"""

from __future__ import annotations

import ipaddress

from grader.model.objects import Container
from grader.sim.apps.images import ImageRef
from grader.sim.apps.model import ALL_ADDRESSES, LOOPBACK, Server, is_digits

__all__ = ["Ctx", "Run", "normalize_address", "parse_port"]


class Ctx:
    """A program's surroundings: its image, container, environment and standard input.

    (A plain class rather than a dataclass: it is defined when the first pod starts, and a
    dataclass costs about a millisecond to define.)
    """

    __slots__ = ("image", "container", "env", "stdin_text", "in_shell")

    def __init__(self, image: ImageRef, container: Container, env: dict[str, str],
                 stdin_text: str | None = None, in_shell: bool = False) -> None:
        self.image, self.container, self.env = image, container, env
        self.stdin_text, self.in_shell = stdin_text, in_shell

    @property
    def name(self) -> str:
        return self.container.name

    def with_env(self, extra: dict[str, str], stdin_text: str | None = None) -> Ctx:
        """A copy for one shell command: extra variables and what is piped into it."""
        return Ctx(self.image, self.container, {**self.env, **extra}, stdin_text, True)


class Run:
    """What one program does.

    ``servers``: the sockets it opens; ``holds``: it keeps running in the foreground (a server,
    ``sleep``); ``known``: False when the simulator cannot tell; ``app``: the catalogue label
    of the server (``"nginx"``); ``why``: a clause for the explanation; ``failure``: it exits at
    once with this message.
    """

    __slots__ = ("servers", "holds", "known", "app", "why", "failure")

    def __init__(self, servers: list[Server] | None = None, holds: bool = False, known: bool = True,
                 app: str = "", why: str = "", failure: str = "") -> None:
        self.servers = [] if servers is None else servers
        self.holds, self.known, self.app, self.why, self.failure = holds, known, app, why, failure

    @staticmethod
    def fails(message: str) -> Run:
        return Run(failure=message)

    @staticmethod
    def unknown(why: str) -> Run:
        return Run(known=False, why=why)


def normalize_address(text: str) -> str | None:
    """An address a program binds, as the model spells it (None: a host name we cannot resolve).

    Empty, ``*``, ``0.0.0.0`` and ``::`` are all addresses (an IPv6 wildcard socket is
    dual-stack); ``localhost`` and ``::1`` are loopback.
    """
    text = text.strip().strip("[]")
    if text in ("", "*", "0.0.0.0", "::", "0"):
        return ALL_ADDRESSES
    if text in ("localhost", "::1", "ip6-localhost"):
        return LOOPBACK
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6:
        return LOOPBACK if address.is_loopback else None
    return str(address)


def parse_port(text: str) -> int | None:
    """A decimal port 0..65535, or None."""
    text = text.strip()
    if not is_digits(text) or len(text) > 5:
        return None
    port = int(text)
    return port if port <= 65535 else None
