"""Frozen objects built fast: through a *draft* twin class instead of ``object.__setattr__``.

A ``@frozen`` class (:mod:`grader.records`) refuses ``obj.x = ...``, so its ``__init__`` and any
copy fill a new object with one ``object.__setattr__`` call per field: a slow, generic call
(about 0.25 µs each, six times an ordinary attribute store). The simulator builds millions of
such objects in a large cluster. :func:`draft_class` makes, once per class, a twin with the
very same slots and base whose attributes can be assigned normally; an object is filled as an
instance of the twin and then given its real class (``__class__`` assignment, which checks that
the two layouts are the same). The result is indistinguishable from one built by ``__init__``.

* :func:`build` — ``cls(**values)`` for decoders: no ``__init__`` to compile, no per-field call;
* :func:`constructor` — a compiled function with ``__init__``'s very signature, for objects
  built in bulk (events, statuses, iptables rules);
* :func:`draft_class` — the twin itself (:func:`grader.model.objects.evolve` copies through it).

This module imports nothing from the package, so the codec and the object model can both use it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["build", "constructor", "draft_class"]

_DRAFTS: dict[type, type | None] = {}


def draft_class(cls: type) -> type | None:
    """A twin of ``cls``: same base, same slots, but plain attribute assignment (None if impossible).

    A frozen class refuses ``obj.x = ...``, so filling a copy field by field goes through
    ``object.__setattr__``, a slow generic call per field. A copy is built faster as an
    instance of the twin with ordinary attribute stores, then given its real class: the two
    classes have the very same memory layout, which ``__class__`` assignment checks.
    """
    found = _DRAFTS.get(cls, False)
    if found is False:
        found = None
        slots = cls.__dict__.get("__slots__")
        if slots is not None:
            twin = type(f"{cls.__name__}Draft", cls.__bases__,
                        {"__slots__": tuple(slots), "__setattr__": object.__setattr__, "__module__": cls.__module__})
            try:
                object.__new__(twin).__class__ = cls
                found = twin
            except TypeError:  # a layout __class__ assignment does not accept: copy slowly
                pass
        _DRAFTS[cls] = found
    return found


_BUILD_PLANS: dict[type, Any] = {}
WARM = 32
"""Objects of one class built or copied the plain way before its draft twin is made (making a
class costs about as much as a few dozen plain fills)."""


def build(cls: type, values: dict[str, Any]) -> Any:
    """``cls(**values)`` for a ``@frozen`` class, without calling (and so without first
    compiling) its ``__init__``: the decoder's way to make objects.

    ``values`` names fields only; the fields it leaves out get their default (or a new value
    from their default factory), as ``__init__`` would. The first objects of a class are filled
    with ``object.__setattr__``, later ones through the draft twin. Classes this cannot build
    exactly that way (``__post_init__``, fields without defaults or left out of ``__init__``,
    a hand-written ``__init__``) are built by calling them.
    """
    plan = _BUILD_PLANS.get(cls, False)
    if plan is False:
        plan = _BUILD_PLANS[cls] = _build_plan(cls)
    if plan is None:
        return cls(**values)
    fields, draft = plan[0], plan[1]
    if draft is None:
        plan[2] += 1
        if plan[2] == WARM:
            plan[1] = draft_class(cls)
        obj = object.__new__(cls)
        for name, default, factory in fields:
            object.__setattr__(obj, name, values[name] if name in values else default if factory is None else factory())
        return obj
    obj = object.__new__(draft)
    for name, default, factory in fields:
        setattr(obj, name, values[name] if name in values else default if factory is None else factory())
    obj.__class__ = cls
    return obj


def _build_plan(cls: type) -> Any:
    if "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__") or "__init__" in _own_methods(cls):
        return None
    fields = []
    for f in dataclasses.fields(cls):
        has_default = f.default is not dataclasses.MISSING
        has_factory = f.default_factory is not dataclasses.MISSING
        if not f.init or not (has_default or has_factory):
            return None
        fields.append((f.name, f.default if has_default else None, f.default_factory if has_factory else None))
    return [tuple(fields), None, 0]  # fields, draft twin once warm, plain fills so far


_NO_VALUE = object()
"""Default of a constructor parameter whose field has a ``default_factory``."""
_CONSTRUCTORS: dict[type, Any] = {}


def constructor(cls: type) -> Any:
    """A function that builds ``cls`` objects faster than ``cls(...)``, with the same parameters.

    Same positional and keyword parameters, defaults and default factories as the
    ``__init__`` that ``@frozen`` writes; the object is filled through the class's draft twin
    (:func:`draft_class`) instead of one ``object.__setattr__`` call per field. For objects
    built in bulk (events, statuses, rules). Classes with ``__post_init__`` or an ``__init__``
    of their own, or whose layout has no twin, get ``cls`` itself.
    """
    found = _CONSTRUCTORS.get(cls)
    if found is None:
        found = _CONSTRUCTORS[cls] = _compile_constructor(cls)
    return found


def _compile_constructor(cls: type) -> Any:
    draft = draft_class(cls)
    if draft is None or hasattr(cls, "__post_init__") or "__init__" in _own_methods(cls):
        return cls
    fields = dataclasses.fields(cls)
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_draft": draft, "_NO_VALUE": _NO_VALUE}
    scope.update((f"_default_{f.name}", f.default) for f in fields if f.default is not dataclasses.MISSING)
    scope.update((f"_factory_{f.name}", f.default_factory) for f in fields
                 if f.default_factory is not dataclasses.MISSING)
    positional = [_parameter(f) for f in fields if f.init and not f.kw_only]
    keyword = [_parameter(f) for f in fields if f.init and f.kw_only]
    params = ", ".join([*positional, *(["*", *keyword] if keyword else [])])
    lines = [f"def new_{cls.__name__}({params}):", "    n = _new(_draft)"]
    lines += [f"    n.{f.name} = {_value(f)}" for f in fields]
    lines += ["    n.__class__ = _cls", "    return n"]
    exec("\n".join(lines), scope)  # noqa: S102 - built from the class's own field names
    return scope[f"new_{cls.__name__}"]


def _parameter(f: dataclasses.Field) -> str:
    """The field's parameter as ``@frozen``'s ``__init__`` declares it."""
    if f.default is not dataclasses.MISSING:
        return f"{f.name}=_default_{f.name}"
    return f"{f.name}=_NO_VALUE" if f.default_factory is not dataclasses.MISSING else f.name


def _value(f: dataclasses.Field) -> str:
    """What the field is set to: the argument, or its default (factory) when it has no parameter."""
    factory = f.default_factory is not dataclasses.MISSING
    if not f.init:
        return f"_factory_{f.name}()" if factory else f"_default_{f.name}"
    return f"_factory_{f.name}() if {f.name} is _NO_VALUE else {f.name}" if factory else f.name


def _own_methods(cls: type) -> set[str]:
    """Methods a class (or a base below ``object``) defines itself, not ``@frozen``."""
    found = set()
    for klass in cls.__mro__[:-1]:
        for name, value in klass.__dict__.items():
            if callable(value) and getattr(value, "__module__", None) not in ("grader.records", None):
                found.add(name)
    return found


