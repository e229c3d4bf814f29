"""Memoizing pure functions of immutable model objects by the objects' identity.

Stored objects never change, and many of them share parts (pods of one template share one
``PodSpec``), so what a pure function computed for one shared part holds for every object that
shares it. The memo keeps a reference to each argument it saw, so an ``id`` is never reused
while its entry lives, and the identity check makes a stale entry a miss. Results must be
immutable (return tuples, not lists).
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

__all__ = ["IdentityMemo"]

T = TypeVar("T")


class IdentityMemo(Generic[T]):
    """``fn(obj)``, computed once per distinct object; at most ``size`` entries (then cleared)."""

    __slots__ = ("_fn", "_items", "_size")

    def __init__(self, fn: Callable[[Any], T], size: int = 4096) -> None:
        self._fn = fn
        self._items: dict[int, tuple[Any, T]] = {}
        self._size = size

    def __call__(self, obj: Any) -> T:
        hit = self._items.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._fn(obj)
        if len(self._items) >= self._size:
            self._items.clear()
        self._items[id(obj)] = (obj, value)
        return value
