"""Strict decoding of manifests into typed objects, and encoding back (R-API-1).

The dataclasses in :mod:`grader.model.objects` *are* the schema. Each attribute maps to a JSON
field (camelCase of the attribute name, or the ``json`` metadata when Kubernetes spells it
differently, e.g. ``hostIP``), and its annotation says what the API server accepts there:

* ``str``, ``bool``, :data:`Int32`, :data:`Int64`: Go scalars (absent = the zero value);
* :data:`IntOrString`: an int or a string (``targetPort``);
* ``X | None``: a Go pointer (absent = ``None``);
* ``tuple[X, ...]``: a JSON array; ``dict[str, str]``: a string map;
* another dataclass: a nested object; :data:`Raw`: any JSON, kept as written.

Decoding mimics the API server's strict JSON decoding: the first *type* error wins and is
reported with Go's ``json: cannot unmarshal ...`` text; otherwise every unknown or mis-cased
field is reported as ``unknown field "spec.ports[0].nodeport"``, in the order a JSON document
with sorted keys would present them (kubectl sends sorted JSON).
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from typing import Annotated, Any, Union

from grader.model.drafts import build as _build
from grader.records import frozen

__all__ = [
    "DecodeError",
    "Int32",
    "Int64",
    "IntOrString",
    "Raw",
    "decode",
    "encode",
    "json_field",
]

Int32 = Annotated[int, "int32"]
Int64 = Annotated[int, "int64"]
IntOrString = Annotated[Union[int, str], "intstr.IntOrString"]
Raw = Annotated[Any, "raw"]

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def json_field(name: str, **kwargs: Any) -> Any:
    """A dataclass field whose JSON name is ``name`` (for spellings like ``hostIP``)."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["json"] = name
    return dataclasses.field(metadata=metadata, **kwargs)


class DecodeError(Exception):
    """A document the strict decoder refuses.

    ``type_error`` is Go's ``json: cannot unmarshal ...`` text, or empty;
    ``unknown_fields`` lists field paths (only reported when there is no type error).
    """

    def __init__(self, type_error: str, unknown_fields: list[str]) -> None:
        self.type_error = type_error
        self.unknown_fields = unknown_fields
        super().__init__(self.detail())

    def detail(self) -> str:
        """The decoder's part of the server message."""
        if self.type_error:
            return self.type_error
        listed = ", ".join(f'unknown field "{f}"' for f in self.unknown_fields)
        return f"strict decoding error: {listed}"


# --------------------------------------------------------------------------- type compilation


@frozen
class _Kind:
    """A compiled annotation: what to accept and how Go names it."""

    tag: str  # str | bool | int | intstr | raw | list | map | struct | ptr
    go: str  # Go type name for messages, e.g. "int32", "[]v1.ServicePort"
    bits: str = ""
    item: "_Kind | None" = None
    cls: type | None = None


@frozen
class _Field:
    attr: str
    json: str
    kind: _Kind


_STRUCTS: dict[type, tuple[_Field, ...]] = {}
_BY_JSON: dict[type, dict[str, _Field]] = {}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def go_name(cls: type) -> str:
    """The Go type name of a struct dataclass (``v1.ServicePort``)."""
    return "v1." + getattr(cls, "GO_NAME", cls.__name__)


def _compile(hint: Any) -> _Kind:
    """The compiled annotation, shared by every field with the same annotation."""
    try:
        found = _KINDS.get(hint)
    except TypeError:  # an unhashable annotation: compile it every time
        return _compile_hint(hint)
    if found is None:
        found = _KINDS[hint] = _compile_hint(hint)
    return found


_KINDS: dict[Any, _Kind] = {}


def _compile_hint(hint: Any) -> _Kind:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, tag = typing.get_args(hint)[:2]
        if tag in _INT_RANGES:
            return _Kind("int", tag, bits=tag)
        if tag == "raw":
            return _Kind("raw", "interface {}")
        return _Kind("intstr", tag)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _compile(args[0])
        return _Kind("ptr", "*" + inner.go, item=inner)
    if origin is tuple:
        inner = _compile(typing.get_args(hint)[0])
        return _Kind("list", "[]" + inner.go, item=inner)
    if origin is dict:
        inner = _compile(typing.get_args(hint)[1])
        return _Kind("map", "map[string]" + inner.go, item=inner)
    if hint is str:
        return _Kind("str", "string")
    if hint is bool:
        return _Kind("bool", "bool")
    if hint is int:
        return _Kind("int", "int", bits="int64")
    if dataclasses.is_dataclass(hint):
        return _Kind("struct", go_name(hint), cls=hint)
    raise TypeError(f"codec cannot handle annotation {hint!r}")


def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls, include_extras=True)`` for classes whose annotations are all
    strings (``from __future__ import annotations``), evaluated the same way, several times faster.

    Each class of the MRO's annotations are evaluated with the class's namespace as globals and
    its module's as locals (the order ``get_type_hints`` uses for classes); ``None`` becomes
    ``NoneType``. Anything else (an annotation that is not a string, or that evaluates to a
    string or a forward reference) is left to ``typing.get_type_hints``.
    """
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        annotations = base.__dict__.get("__annotations__", {})
        if not annotations:
            continue
        module = getattr(sys.modules.get(base.__module__), "__dict__", {})
        namespace = dict(vars(base))
        for name, text in annotations.items():
            if not isinstance(text, str):
                return typing.get_type_hints(cls, include_extras=True)
            code = _ANNOTATION_CODE.get(text)
            if code is None:
                code = _ANNOTATION_CODE[text] = compile(text, "<annotation>", "eval")
            value = eval(code, namespace, module)  # noqa: S307 - the class's own annotation
            if value is None:
                value = type(None)
            elif isinstance(value, (str, typing.ForwardRef)) or not _settled(value):
                return typing.get_type_hints(cls, include_extras=True)
            hints[name] = value
    return hints


_ANNOTATION_CODE: dict[str, Any] = {}
"""Compiled annotation texts (the same few dozen recur across the model's classes)."""


def _settled(hint: Any) -> bool:
    """No forward reference left anywhere inside ``hint`` (``get_type_hints`` would resolve it)."""
    if isinstance(hint, (str, typing.ForwardRef)):
        return False
    origin = typing.get_origin(hint)
    if origin is Annotated:
        return _settled(hint.__origin__)
    if origin is typing.Literal:
        return True
    return all(_settled(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)


def fields_of(cls: type) -> tuple[_Field, ...]:
    """The compiled JSON fields of a dataclass, cached."""
    found = _STRUCTS.get(cls)
    if found is None:
        hints = type_hints(cls)
        found = tuple(
            _Field(f.name, f.metadata.get("json", _camel(f.name)), _compile(hints[f.name]))
            for f in dataclasses.fields(cls)
            if not f.name.startswith("_")
        )
        _STRUCTS[cls] = found
        _BY_JSON[cls] = {f.json: f for f in found}
    return found


# --------------------------------------------------------------------------- decoding


class _TypeError(Exception):
    pass


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


class _Decoder:
    """One decoding pass: collects unknown fields, stops at the first type error."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def fail(self, value: Any, kind: _Kind, owner: str, path: str, literal: bool = False) -> None:
        what = _json_type(value)
        if literal:
            what = f"number {_go_number(value)}"
        where = f"Go struct field {owner}.{path}" if owner else "Go value"
        raise _TypeError(f"json: cannot unmarshal {what} into {where} of type {kind.go}")

    def value(self, value: Any, kind: _Kind, owner: str, gpath: str, ipath: str) -> Any:
        tag = kind.tag
        if value is None:
            return kind.cls() if kind.tag == "struct" and kind.cls else _zero(kind)
        if tag == "str":
            if not isinstance(value, str):
                self.fail(value, kind, owner, gpath)
            return value
        if tag == "bool":
            if not isinstance(value, bool):
                self.fail(value, kind, owner, gpath)
            return value
        if tag == "int":
            return self.integer(value, kind, owner, gpath)
        if tag == "intstr":
            if isinstance(value, str):
                return value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(value, kind, owner, gpath)
            return self.integer(value, _Kind("int", "int32", bits="int32"), owner, gpath)
        if tag == "raw":
            return value
        if tag == "ptr":
            assert kind.item is not None
            return self.value(value, kind.item, owner, gpath, ipath)
        if tag == "list":
            if not isinstance(value, list):
                self.fail(value, kind, owner, gpath)
            assert kind.item is not None
            return tuple(
                self.value(v, kind.item, owner, gpath, f"{ipath}[{i}]") for i, v in enumerate(value)
            )
        if tag == "map":
            if not isinstance(value, dict):
                self.fail(value, kind, owner, gpath)
            assert kind.item is not None
            return {
                str(k): self.value(v, kind.item, owner, gpath, f"{ipath}.{k}")
                for k, v in value.items()
            }
        if not isinstance(value, dict):
            self.fail(value, kind, owner, gpath)
        assert kind.cls is not None
        return self.struct(value, kind.cls, gpath, ipath)

    def integer(self, value: Any, kind: _Kind, owner: str, gpath: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(value, kind, owner, gpath)
        if isinstance(value, float):
            if not value.is_integer():
                self.fail(value, kind, owner, gpath, literal=True)
            value = int(value)
        low, high = _INT_RANGES[kind.bits]
        if not low <= value <= high:
            self.fail(value, kind, owner, gpath, literal=True)
        return int(value)

    def struct(self, data: dict, cls: type, gpath: str, ipath: str) -> Any:
        if cls in _SHARED:
            return self._shared_struct(data, cls, gpath, ipath)
        return self._struct(data, cls, gpath, ipath)

    def _struct(self, data: dict, cls: type, gpath: str, ipath: str) -> Any:
        found = _OWNERS.get(cls)
        if found is None:
            fields_of(cls)
            found = _OWNERS[cls] = (_BY_JSON[cls], getattr(cls, "GO_NAME", cls.__name__))
        by_json, owner = found
        kwargs = {}
        for key in sorted(data, key=str):
            name = str(key)
            spec = by_json.get(name)
            sub_i = f"{ipath}.{name}" if ipath else name
            if spec is None:
                self.unknown.append(sub_i)
                continue
            sub_g = f"{gpath}.{name}" if gpath else name
            kwargs[spec.attr] = self.value(data[key], spec.kind, owner, sub_g, sub_i)
        return _build(cls, kwargs)

    def _shared_struct(self, data: dict, cls: type, gpath: str, ipath: str) -> Any:
        """Decode ``data`` once per distinct input: equal inputs give the very same object.

        Decoding is a pure function of the input, and the objects are immutable, so a
        successful decode without unknown fields is reused for an identical input (the key is
        the input's ``repr``, which tells ``1`` from ``1.0`` and ``True`` from ``"true"`` and
        keeps key order). Bulk pods of one template then share one ``PodSpec``, and the
        defaulting and validation memos downstream hit.
        """
        try:
            key = repr(data)
        except Exception:  # noqa: BLE001 - an unrepresentable value: decode it the plain way
            key = None
        if key is not None:
            found = _SHARED_MEMO.get((cls, key))
            if found is not None:
                return found
        unknown = len(self.unknown)
        obj = self._struct(data, cls, gpath, ipath)
        if key is not None and len(self.unknown) == unknown:
            if len(_SHARED_MEMO) >= _SHARED_MEMO_SIZE:
                _SHARED_MEMO.clear()
            _SHARED_MEMO[(cls, key)] = obj
        return obj


_OWNERS: dict[type, tuple[dict[str, "_Field"], str]] = {}
_SHARED: set[type] = set()
"""Struct classes decoded once per distinct input (see :meth:`_Decoder._shared_struct`)."""
_SHARED_MEMO: dict[tuple[type, str], Any] = {}
_SHARED_MEMO_SIZE = 4096


def share_decoded(cls: type) -> None:
    """Decode equal inputs of ``cls`` into one shared object (for large, repetitive structs)."""
    _SHARED.add(cls)


def _go_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _zero(kind: _Kind) -> Any:
    return {"str": "", "bool": False, "int": 0, "intstr": 0, "list": (), "map": {}}.get(kind.tag)


def decode(cls: type, data: dict) -> Any:
    """Decode a JSON-like mapping into ``cls``; raise :class:`DecodeError` when strict decoding fails."""
    decoder = _Decoder()
    try:
        obj = decoder.struct(data, cls, "", "")
    except _TypeError as exc:
        raise DecodeError(str(exc), []) from None
    if decoder.unknown:
        raise DecodeError("", decoder.unknown)
    return obj


# --------------------------------------------------------------------------- encoding


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value is False or value == 0 or value == () or value == {}


_ENCODE_PLANS: dict[type, tuple[tuple[str, str, bool], ...]] = {}
_SCALARS = frozenset((str, int, bool, float, type(None)))


def _encode_plan(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """Per field: attribute, JSON name, and whether an empty value is omitted."""
    keep_zero = getattr(cls, "KEEP_ZERO", ())
    plan = tuple(
        (spec.attr, spec.json, spec.kind.tag not in ("ptr", "raw") and spec.attr not in keep_zero)
        for spec in fields_of(cls)
    )
    _ENCODE_PLANS[cls] = plan
    return plan


def encode(obj: Any) -> Any:
    """Encode an object back to JSON-like data in API field names, omitting empty values.

    Pointer fields are written unless ``None``; other fields are omitted when zero, except
    those named in the dataclass's ``KEEP_ZERO`` class attribute (Go fields without
    ``omitempty``, such as ``containerPort``).
    """
    cls = type(obj)
    if cls in _SCALARS:
        return obj
    plan = _ENCODE_PLANS.get(cls)
    if plan is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        plan = _encode_plan(cls)
    if plan is not None:
        out = {}
        for attr, json_name, may_omit in plan:
            value = getattr(obj, attr)
            if value is None or (may_omit and _is_empty(value)):
                continue
            out[json_name] = encode(value)
        return out
    if isinstance(obj, tuple):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    return obj
