"""The ``listen.kports.dev/<container-name>`` pod annotation: declaring what an app listens on.

For an image the catalogue does not know, the simulator cannot tell which ports its program
opens; the pod says so itself::

    metadata:
      annotations:
        listen.kports.dev/api: "8080/TCP, 127.0.0.1:9000/TCP, 53/UDP"

The value is a comma-separated list of ``[ADDR:]PORT[/PROTO]``: ``ADDR`` defaults to all
addresses (``0.0.0.0``; ``*`` and ``::`` mean the same), ``PROTO`` to ``TCP`` (as
``containerPort``'s protocol does, R-CP-6) and must be written ``TCP``, ``UDP`` or ``SCTP``
exactly. An empty value declares that the container listens on nothing. On a catalogue image
the annotation *replaces* the catalogue's listeners (an nginx whose configuration was changed to
``listen 8080`` is declared ``"8080/TCP"``) and the app keeps answering like itself.

A value that does not parse is reported, never guessed: the container's app becomes
``known=False`` and its explanation carries every problem in Kubernetes' field-error words.
"""

from __future__ import annotations

import ipaddress

from grader.model.objects import Pod
from grader.sim.apps.model import ALL_ADDRESSES, LOOPBACK, Listener, is_digits

__all__ = [
    "ANNOTATION_PREFIX",
    "FORMAT_HINT",
    "ListenAnnotationError",
    "annotation_key",
    "listen_annotation_problems",
    "parse_listen_annotation",
]

ANNOTATION_PREFIX = "listen.kports.dev/"
FORMAT_HINT = 'comma-separated [ADDR:]PORT/PROTO, e.g. "8080/TCP, 127.0.0.1:9000/TCP, 53/UDP"'
PROTOCOLS = ("SCTP", "TCP", "UDP")


class ListenAnnotationError(ValueError):
    """A ``listen.kports.dev/…`` value that does not parse; ``problems`` lists each error."""

    def __init__(self, key: str, problems: list[str]):
        self.key = key
        self.problems = problems
        super().__init__(f"{'; '.join(problems)} (expected {FORMAT_HINT})")


def annotation_key(container: str) -> str:
    """``listen.kports.dev/<container>``."""
    return ANNOTATION_PREFIX + container


def _address(text: str) -> str | None:
    text = text.strip().strip("[]")
    if text in ("", "*", "0.0.0.0", "::"):
        return ALL_ADDRESSES
    if text == "::1":
        return LOOPBACK
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _entry(entry: str, path: str, container: str) -> Listener | str:
    """One ``[ADDR:]PORT[/PROTO]`` as a Listener, or the error text."""
    head, slash, protocol = entry.rpartition("/")
    if not slash:
        head, protocol = entry, "TCP"
    protocol = protocol.strip()
    if protocol not in PROTOCOLS:
        supported = ", ".join(f'"{p}"' for p in PROTOCOLS)
        return f'{path}: Unsupported value: "{protocol}": supported values: {supported}'
    address_text, colon, port_text = head.strip().rpartition(":")
    address = _address(address_text) if colon else ALL_ADDRESSES
    if address is None:
        return f'{path}: Invalid value: "{entry}": address must be an IPv4 address such as 0.0.0.0 or 127.0.0.1'
    port_text = port_text.strip()
    if not is_digits(port_text):
        return f'{path}: Invalid value: "{entry}": port must be a number between 1 and 65535'
    if not 1 <= int(port_text) <= 65535:
        return f'{path}: Invalid value: "{entry}": port must be between 1 and 65535, inclusive'
    return Listener(protocol, int(port_text), address, container)


def _clash(new: Listener, seen: list[Listener]) -> Listener | None:
    for old in seen:
        if (old.protocol, old.port) == (new.protocol, new.port) and (
            ALL_ADDRESSES in (old.address, new.address) or old.address == new.address
        ):
            return old
    return None


def parse_listen_annotation(value: str, container: str) -> tuple[Listener, ...]:
    """The listeners ``value`` declares for ``container``; raises :class:`ListenAnnotationError`.

    Empty entries (a trailing comma) are ignored. Two entries one process could not both bind
    (the same protocol and port, on the same address or with ``0.0.0.0``) are an error.
    """
    key = annotation_key(container)
    path = f"metadata.annotations[{key}]"
    listeners: list[Listener] = []
    problems: list[str] = []
    for entry in (part.strip() for part in (value or "").split(",")):
        if not entry:
            continue
        parsed = _entry(entry, path, container)
        if isinstance(parsed, str):
            problems.append(parsed)
            continue
        clash = _clash(parsed, listeners)
        if clash is not None:
            problems.append(f'{path}: Duplicate value: "{entry}": {clash} already takes that port')
            continue
        listeners.append(parsed)
    if problems:
        raise ListenAnnotationError(key, problems)
    return tuple(listeners)


def listen_annotation_problems(pod: Pod) -> list[str]:
    """Every problem with the pod's ``listen.kports.dev/…`` annotations, for feedback.

    Reports values that do not parse and annotations naming a container the pod does not have.
    """
    names = [container.name for container in pod.spec.containers]
    problems: list[str] = []
    for key, value in sorted(pod.metadata.annotations.items()):
        if not key.startswith(ANNOTATION_PREFIX):
            continue
        name = key[len(ANNOTATION_PREFIX) :]
        if name not in names:
            problems.append(
                f'metadata.annotations[{key}]: Not found: "{name}": the pod has no container of that name '
                f"(containers: {', '.join(names) or '<none>'})"
            )
            continue
        try:
            parse_listen_annotation(value, name)
        except ListenAnnotationError as err:
            problems.extend(err.problems)
    return problems
