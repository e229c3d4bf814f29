"""``@frozen``: a frozen, slotted dataclass that is cheap to define.

``@dataclass(frozen=True, slots=True)`` compiles six to eight functions per class with
``exec`` (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``, ...). With about 150 such classes in the package, that compilation was half
the start-up time of ``kports grade`` (about 180 ms of 365 ms measured on Python 3.11), and
Python does not cache ``exec``'d code between runs.

``@frozen`` asks :func:`dataclasses.dataclass` for the fields and the slots only, so the
result is still a dataclass (``dataclasses.fields``, ``replace``, ``asdict`` and
``is_dataclass`` work as before), and supplies the rest without compiling anything at
definition time:

- ``__init__`` is compiled on the first instantiation of the class (classes that are never
  built cost nothing), with the same signature and defaults as the dataclass one;
- ``__eq__`` and ``__hash__`` compare a tuple of the ``compare`` fields, taken by one
  :func:`operator.attrgetter`;
- ``__repr__`` lists the ``repr`` fields; ``__setattr__`` and ``__delattr__`` raise
  :class:`dataclasses.FrozenInstanceError`; pickling and ``copy`` work through
  ``__getstate__``/``__setstate__``.

Methods the class defines itself are kept, as ``dataclass`` keeps them.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any, TypeVar

__all__ = ["frozen"]

T = TypeVar("T", bound=type)

_FACTORY = object()
"""Default of an ``__init__`` parameter whose field has a ``default_factory``."""


def frozen(cls: T | None = None, /, *, repr: bool = True) -> Any:  # noqa: A002 - dataclass's own keyword
    """Decorate a class like ``@dataclass(frozen=True, slots=True)``; ``repr=False`` keeps an inherited repr."""

    def wrap(cls: T) -> T:
        return _build(cls, want_repr=repr)

    return wrap if cls is None else wrap(cls)


def _build(cls: type, *, want_repr: bool) -> Any:
    own = set(cls.__dict__)
    undocumented = not cls.__doc__
    if undocumented:  # else dataclass computes a signature for it: slow, and wrong with init=False
        cls.__doc__ = "-"
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)
    fields = dataclasses.fields(cls)
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    _check_order(cls, fields)
    compared = tuple(f.name for f in fields if f.compare)
    key = attrgetter(*compared) if compared else (lambda obj: ())
    names = tuple(f.name for f in fields)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(key(self))

    def __getstate__(self: Any) -> tuple:
        return tuple(getattr(self, name) for name in names)

    def __setstate__(self: Any, state: tuple) -> None:
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        compiled = _compile_init(cls, fields)
        cls.__init__ = compiled
        compiled(self, *args, **kwargs)

    methods: dict[str, Any] = {"__setattr__": _refuse_set, "__delattr__": _refuse_delete,
                               "__getstate__": __getstate__, "__setstate__": __setstate__, "__eq__": __eq__}
    if "__init__" not in own:
        methods["__init__"] = __init__
    if own.isdisjoint(("__eq__", "__hash__")) or cls.__dict__.get("__hash__") is None:
        methods["__hash__"] = __hash__
    if want_repr:
        shown = tuple(f.name for f in fields if f.repr)
        methods["__repr__"] = lambda self: f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"
    for name, function in methods.items():
        if name not in own or name == "__hash__":
            if function not in (_refuse_set, _refuse_delete):
                function.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, function)
    return cls


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _check_order(cls: type, fields: tuple[dataclasses.Field, ...]) -> None:
    """What ``dataclass`` checks when it writes ``__init__``: no required positional after an optional one."""
    defaulted = ""
    for f in fields:
        optional = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if not f.init:
            if not optional:
                raise TypeError(f"{cls.__name__}.{f.name}: a field with init=False needs a default")
        elif optional:
            defaulted = f.name
        elif defaulted and not f.kw_only:
            raise TypeError(f"{cls.__name__}: non-default field {f.name!r} follows default field {defaulted!r}")


def _compile_init(cls: type, fields: tuple[dataclasses.Field, ...]) -> Any:
    """The dataclass ``__init__`` for ``cls``: one ``object.__setattr__`` per field, then ``__post_init__``."""
    scope: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields:
        has_default = f.default is not dataclasses.MISSING
        has_factory = f.default_factory is not dataclasses.MISSING
        if has_default:
            scope[f"_default_{f.name}"] = f.default
        if has_factory:
            scope[f"_factory_{f.name}"] = f.default_factory
        if not f.init:
            value = f"_default_{f.name}" if has_default else f"_factory_{f.name}()"
        else:
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}" if has_factory else f.name
            param = (f"{f.name}=_default_{f.name}" if has_default
                     else f"{f.name}=_FACTORY" if has_factory else f.name)
            (keyword if f.kw_only else positional).append(param)
        body.append(f"    _set(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({params}):\n" + ("\n".join(body) or "    pass")
    exec(source, scope)  # noqa: S102 - built from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init
