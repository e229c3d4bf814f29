"""Expectations from a YAML file: a list of entries, one expectation each.

The schema (every entry is a mapping with exactly one of the keys in the first column)::

    - {from: outside, curl: "kind-worker2:30080", expect: TIMEOUT}
    - {from: pod/client, curl: "web:80", expect: REACHED, pod: app=web, client_ip: preserved, body: "^web"}
    - {every_node: 30008, expect: REACHED, pod: app=myapp}          # from: outside, path: / by default
    - {balances: "shop:80", from: pod/client, pods: app=shop}
    - {rejected: Service/web, containing: "provided port is not in the valid range"}
    - {accepted: Service/web}
    - {pending: "edge-.*", because: "didn't have free ports for the requested pod ports"}
    - {running: "web-.*", node: kind-worker}

=============  ==========================================================================
key            meaning
=============  ==========================================================================
curl           a URL (``host:port/path``); needs ``expect``: REACHED, REFUSED, TIMEOUT, DNS
every_node     a port number; ``expect`` defaults to REACHED
balances       a URL; needs ``pods``, the label selector or name regex of the pods
rejected       ``Kind/name``; needs ``containing``, text the API error must contain
accepted       ``Kind/name``
pending        a pod name or regex (or label selector); ``because``: text of the message
running        a pod name or regex (or label selector); ``node``: where it must run
from           the source: ``outside`` (default), ``node/NAME``, ``pod/NAME``
pod            REACHED only: which pod must answer (selector or name regex)
client_ip      REACHED only: ``preserved``, ``snat`` or an IP address
body           REACHED only: a regular expression searched in the answer
namespace      the namespace of the source pod, the pods or the object (default ``default``)
points         what the expectation is worth (default 1)
=============  ==========================================================================

Problems raise :class:`~grader.errors.UsageError` with one line that names the file, the
entry (its number and line) and the problem. The YAML is read with the same hardened loader
as manifests (size limit, alias bombs, duplicate keys).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import yaml

from grader.checks import expectations as ex
from grader.checks.base import Expectation
from grader.errors import ManifestError, UsageError
from grader.model.yamlload import load_documents, read_source
from grader.sim.probe import DNS, REACHED, REFUSED, TIMEOUT

__all__ = ["SCHEMA_KEYS", "load_expectations"]

_COMMON = {"namespace", "points"}
_REACHED_ONLY = ("pod", "client_ip", "body")

SCHEMA_KEYS: dict[str, frozenset[str]] = {
    "curl": frozenset({"curl", "from", "expect", *_REACHED_ONLY, *_COMMON}),
    "every_node": frozenset({"every_node", "from", "expect", "path", "pod", *_COMMON}),
    "balances": frozenset({"balances", "from", "pods", *_COMMON}),
    "rejected": frozenset({"rejected", "containing", *_COMMON}),
    "accepted": frozenset({"accepted", *_COMMON}),
    "pending": frozenset({"pending", "because", *_COMMON}),
    "running": frozenset({"running", "node", *_COMMON}),
}
"""For each entry kind, every key it may carry."""

EXPECTABLE = (REACHED, REFUSED, TIMEOUT, DNS)
_EXAMPLE = '{from: outside, curl: "kind-worker:30008", expect: REACHED}'


class _Problem(Exception):
    """One schema problem in one entry (becomes a UsageError naming the entry)."""


def load_expectations(source: str | os.PathLike[str], *, name: str | None = None) -> list[Expectation]:
    """Expectations from YAML text or a file.

    A :class:`~pathlib.Path` (or any path-like) is read from disk; a ``str`` is YAML text,
    unless it is a single line ending in ``.yaml``/``.yml``, which is taken as a file name.
    """
    text, label = _read(source, name)
    try:
        docs = load_documents(text, label)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None
    if not docs:
        return []
    if len(docs) > 1:
        raise UsageError(f"{label}: expected one YAML document (a list of entries), found {len(docs)}")
    entries = docs[0].data
    if not isinstance(entries, list):
        raise UsageError(f"{label}: expectations must be a YAML list of entries such as - {_EXAMPLE}")
    lines = _entry_lines(text)
    result = []
    for i, entry in enumerate(entries):
        where = f"{label}: entry {i + 1}" + (f" (line {lines[i]})" if i < len(lines) else "")
        try:
            result.append(_entry(entry))
        except (_Problem, UsageError) as exc:
            raise UsageError(f"{where}: {exc}") from None
    return result


def _read(source: str | os.PathLike[str], name: str | None) -> tuple[str | bytes, str]:
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        try:
            return read_source(path), name or str(path)
        except ManifestError as exc:
            raise UsageError(str(exc)) from None
    if not isinstance(source, (str, bytes)):
        raise UsageError(f"load_expectations() needs YAML text or a path, not {type(source).__name__}")
    return source, name or "<expectations>"


def _entry_lines(text: str | bytes) -> list[int]:
    """The line of each top-level entry (best effort: [] when the text cannot be composed)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.SequenceNode):
        return []
    return [node.start_mark.line + 1 for node in root.value]


def _entry(entry: Any) -> Expectation:
    if not isinstance(entry, dict):
        raise _Problem(f"an entry must be a mapping such as {_EXAMPLE}")
    kinds = sorted(k for k in SCHEMA_KEYS if k in entry)
    if not kinds:
        raise _Problem(f"say what to check with one of: {', '.join(sorted(SCHEMA_KEYS))}")
    if len(kinds) > 1:
        raise _Problem(f"choose one of {' and '.join(kinds)}, not both")
    kind = kinds[0]
    unknown = sorted(str(k) for k in entry if k not in SCHEMA_KEYS[kind])
    if unknown:
        raise _Problem(f"unknown key {unknown[0]!r} for a {kind} entry; allowed keys: "
                       f"{', '.join(sorted(SCHEMA_KEYS[kind]))}")
    return _BUILDERS[kind](_Entry(kind, entry))


class _Entry:
    """Typed access to one entry's values, each problem naming the key."""

    def __init__(self, kind: str, data: dict) -> None:
        self.kind, self.data = kind, data

    def text(self, key: str, default: str | None = None) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise _Problem(f"{key} must be a string (quote it), not {value!r}")
        if not value.strip():
            raise _Problem(f"{key} must not be empty")
        return value

    def required(self, key: str) -> str:
        if key not in self.data:
            raise _Problem(f"a {self.kind} entry needs {key}")
        return str(self.text(key))

    def port(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise _Problem(f"{key} must be a port number between 1 and 65535, not {value!r}")
        return value

    def expect(self, default: str | None = None) -> str:
        if "expect" not in self.data and default is not None:
            return default
        value = self.required("expect").strip().upper()
        if value not in EXPECTABLE:
            raise _Problem(f"expect must be one of {', '.join(EXPECTABLE)}, not {self.data['expect']!r}")
        return value

    def common(self) -> dict[str, Any]:
        out: dict[str, Any] = {"namespace": self.text("namespace", "default")}
        if "points" in self.data:
            points = self.data["points"]
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                raise _Problem(f"points must be a number >= 0, not {points!r}")
            out["points"] = points
        return out

    def ref(self, key: str) -> tuple[str, str]:
        value = self.required(key)
        kind, sep, name = value.partition("/")
        if not sep or not kind.strip() or not name.strip() or "/" in name:
            raise _Problem(f"{key} must be KIND/NAME, e.g. Service/web, not {value!r}")
        return kind.strip(), name.strip()


def _curl(e: _Entry) -> Expectation:
    expect = e.expect()
    source, url = e.text("from", "outside"), e.required("curl")
    extras = {k: e.text(k) for k in _REACHED_ONLY if k in e.data}
    if extras and expect != REACHED:
        raise _Problem(f"{sorted(extras)[0]} only applies when expect is REACHED")
    builders: dict[str, Callable[..., Expectation]] = {
        REFUSED: ex.refused, TIMEOUT: ex.times_out, DNS: ex.unresolvable,
    }
    if expect == REACHED:
        return ex.reaches(source, url, **extras, **e.common())
    return builders[expect](source, url, **e.common())


def _every_node(e: _Entry) -> Expectation:
    return ex.every_node(e.port("every_node"), source=e.text("from", "outside"), path=e.text("path", "/"),
                         pod=e.text("pod"), expect=e.expect(REACHED), **e.common())


def _balances(e: _Entry) -> Expectation:
    return ex.balances(e.text("from", "outside"), e.required("balances"), e.required("pods"), **e.common())


def _rejected(e: _Entry) -> Expectation:
    kind, name = e.ref("rejected")
    return ex.rejected(kind, name, e.required("containing"), **e.common())


def _accepted(e: _Entry) -> Expectation:
    kind, name = e.ref("accepted")
    return ex.accepted(kind, name, **e.common())


def _pending(e: _Entry) -> Expectation:
    return ex.pending(e.required("pending"), e.text("because"), **e.common())


def _running(e: _Entry) -> Expectation:
    return ex.running(e.required("running"), e.text("node"), **e.common())


_BUILDERS: dict[str, Callable[[_Entry], Expectation]] = {
    "curl": _curl, "every_node": _every_node, "balances": _balances, "rejected": _rejected,
    "accepted": _accepted, "pending": _pending, "running": _running,
}
