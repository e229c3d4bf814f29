"""The data an application model is made of: listeners, apps, requests and replies.

:class:`Listener`, :class:`ContainerApp`, :class:`Request` and :class:`Reply` are the public
shapes other parts of the simulator code against. :class:`Server` is internal: one listening
program inside a container (nginx, agnhost's HTTP server, ...) with the parameters
:func:`grader.sim.apps.answer` needs to reply the way that program does (the text of
``http-echo -text``, the nginx version for its 404 page, ...).
"""

from __future__ import annotations

from dataclasses import field

from grader.records import frozen

__all__ = [
    "ALL_ADDRESSES",
    "LOOPBACK",
    "ContainerApp",
    "Listener",
    "Reply",
    "Request",
    "Server",
    "describe_listeners",
    "is_digits",
]

ALL_ADDRESSES = "0.0.0.0"
LOOPBACK = "127.0.0.1"


@frozen
class Listener:
    """A socket an application binds: ``protocol`` ``address``:``port`` in ``container``.

    ``address`` is ``"0.0.0.0"`` for all addresses (a dual-stack ``[::]`` socket is modelled
    the same way), ``"127.0.0.1"`` for loopback only (R-CP-4), or one specific IPv4 address.
    """

    protocol: str
    port: int
    address: str
    container: str

    def __str__(self) -> str:
        return f"{self.address}:{self.port}/{self.protocol}"


@frozen
class Server:
    """One listening program in a container (internal to the apps model).

    ``kind`` selects how :func:`~grader.sim.apps.answer` replies (``"nginx"``,
    ``"netexec"``, ``"mysql"``, ...); ``params`` are its settings as sorted ``(key, value)``
    pairs so the object stays hashable.
    """

    kind: str
    listeners: tuple[Listener, ...]
    params: tuple[tuple[str, str], ...] = ()

    def param(self, key: str, default: str = "") -> str:
        """The value of one setting, or ``default``."""
        for name, value in self.params:
            if name == key:
                return value
        return default

    def serves(self, listener: Listener) -> bool:
        """True when this server owns ``listener``'s protocol and port."""
        return any(
            own.protocol == listener.protocol and own.port == listener.port for own in self.listeners
        )


@frozen
class ContainerApp:
    """What runs in one container and what it really listens on (R-CP-1).

    ``known`` is False when the image is not in the catalogue and the pod declares nothing:
    a probe must then say it cannot know. ``exits`` is True when the main process ends at
    once (the container completes and, with ``restartPolicy: Always``, goes into
    CrashLoopBackOff); such an app listens on nothing. ``servers`` is internal: how
    :func:`~grader.sim.apps.answer` replies; it takes no part in equality.
    """

    container: str
    image: str
    app: str
    listeners: tuple[Listener, ...]
    known: bool
    explanation: str
    exits: bool = False
    servers: tuple[Server, ...] = field(default=(), compare=False, repr=False)


@frozen
class Request:
    """One request as the application sees it (after DNAT and any SNAT).

    For HTTP, ``path`` is the path with its query (``/echo?msg=hi``); for UDP it is the
    payload text. ``hostname`` is what the app's ``os.Hostname()`` returns: the pod's
    hostname, or the node's name for a hostNetwork pod.
    """

    protocol: str
    path: str
    host_header: str
    client_ip: str
    client_port: int
    local_ip: str
    local_port: int
    pod_name: str
    namespace: str
    node_name: str
    hostname: str


@frozen
class Reply:
    """What ``curl -sS`` shows once the TCP connection was accepted.

    ``exit_code``: 0 an HTTP response (any status), 1 ``Received HTTP/0.9 when not allowed``
    (the server spoke something that is not HTTP), 52 empty reply, 56 reset. ``body`` is
    curl's stdout, ``error`` its stderr line when ``exit_code != 0``, ``status`` the HTTP
    status or None. For UDP, ``body`` is the reply datagram (empty: no reply came back).
    """

    exit_code: int
    body: str
    error: str
    status: int | None


def describe_listeners(listeners: tuple[Listener, ...] | list[Listener]) -> str:
    """``0.0.0.0:80/TCP``, ``a and b``, ``a, b and c`` (for explanations)."""
    texts = [str(listener) for listener in listeners]
    if not texts:
        return "nothing"
    if len(texts) == 1:
        return texts[0]
    return ", ".join(texts[:-1]) + " and " + texts[-1]


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses)."""
    return text.isascii() and text.isdigit()
