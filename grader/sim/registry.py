"""The simulated API server's storage: create, update and delete, with Kubernetes' order of work.

Create: default → registry fill-ins → allocate (Services, R-API-3) → validate (R-API-4) →
warnings (R-API-5) → stamp system fields → store. Update: default → keep allocated values the
client left out → allocate/release → type-dependent clean-ups (R-SU-*) → validate → store, or
report ``unchanged``. A failure at any step gives back what the request allocated.

Every write is announced to the watchers of its kind (:meth:`Registry.watch`), in the order they
subscribed; a watcher that names no kinds hears every write.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Callable, Iterable, Iterator, Mapping

from grader.model.apierrors import ApiError, ApiRejection
from grader.model.api import Strategy, strategy_for
from grader.model.objects import (
    evolve,
    Deployment,
    Namespace,
    Object,
    ObjectMeta,
    ReplicaSet,
    Service,
)
from grader.sim.allocators import Transaction
from grader.sim.clock import Clock
from grader.sim.results import ObjectResult
from grader.sim.service_alloc import ServiceAllocators, allocate_create, allocate_update, release_all

__all__ = ["Registry", "Watcher", "uuid4_text"]

Watcher = Callable[[type, "Object | None", "Object | None"], None]
"""Called after every write as ``watcher(kind, old, new)``: ``old`` None = added, ``new`` None = deleted."""

_GENERATION_KINDS = (Deployment, ReplicaSet)


class Registry:
    """All stored objects, by kind, then by (namespace, name)."""

    def __init__(self, clock: Clock, pools: ServiceAllocators, seed: int) -> None:
        self.clock = clock
        self.pools = pools
        self._ids = random.Random(f"uid-{seed}")
        self._version = 0
        self._objects: dict[type, dict[tuple[str, str], Object]] = defaultdict(dict)
        self._watchers: list[tuple[Watcher, frozenset[type] | None]] = []
        self._by_kind: dict[type, tuple[Watcher, ...]] = {}
        self._stamp_moment: object = None
        self._stamp_text = ""

    def watch(self, watcher: Watcher, kinds: Iterable[type] | None = None) -> None:
        """Subscribe to writes, like an informer's event handler (synchronous).

        ``kinds`` limits the subscription to writes of those classes (None: every write). The
        watchers of one kind are called in the order they subscribed.
        """
        self._watchers.append((watcher, None if kinds is None else frozenset(kinds)))
        self._by_kind.clear()

    def _watchers_of(self, cls: type) -> tuple[Watcher, ...]:
        found = self._by_kind.get(cls)
        if found is None:
            found = self._by_kind[cls] = tuple(w for w, kinds in self._watchers if kinds is None or cls in kinds)
        return found

    def _notify(self, cls: type, old: Object | None, new: Object | None) -> None:
        for watcher in self._by_kind.get(cls) or self._watchers_of(cls):
            watcher(cls, old, new)

    # ------------------------------------------------------------------ reads

    def get(self, cls: type, namespace: str, name: str) -> Object | None:
        return self._objects[cls].get((namespace if cls.NAMESPACED else "", name))

    def list(self, cls: type, namespace: str | None = None) -> list[Object]:
        """Objects of a kind, sorted by namespace then name (kubectl's order)."""
        items = self._objects[cls]
        keys = sorted(k for k in items if namespace is None or k[0] == namespace)
        return [items[k] for k in keys]

    def by_key(self, cls: type) -> Mapping[tuple[str, str], Object]:
        """The stored objects of a kind by ``(namespace, name)`` (a live view: never modify it)."""
        return self._objects[cls]

    def iter(self, cls: type) -> Iterator[Object]:
        """Unsorted iteration, for controllers that need every object of a kind."""
        return iter(self._objects[cls].values())

    def count(self, cls: type) -> int:
        return len(self._objects[cls])

    # ------------------------------------------------------------------ writes by controllers

    def put(self, obj: Object, /, *, meta: dict | None = None, **changes: object) -> Object:
        """Store an object as is (controllers and status writers); bumps resourceVersion.

        ``changes`` replace top-level fields and ``meta`` fields of ``metadata`` on the way
        (``put(pod, status=...)``, ``put(prototype, meta={"name": ...})``): one copy instead
        of two.
        """
        return self._store(obj, changes, meta or {})

    def _store(self, obj: Object, changes: dict, meta_changes: dict) -> Object:
        self._version += 1
        meta = evolve(obj.metadata, **meta_changes, resource_version=str(self._version))
        obj = evolve(obj, metadata=meta, **changes)
        cls = type(obj)
        objects = self._objects[cls]
        key = (meta.namespace, meta.name)
        old = objects.get(key)
        objects[key] = obj
        for watcher in self._by_kind.get(cls) or self._watchers_of(cls):
            watcher(cls, old, obj)
        return obj

    def remove(self, cls: type, namespace: str, name: str) -> Object | None:
        obj = self._objects[cls].pop((namespace if cls.NAMESPACED else "", name), None)
        if isinstance(obj, Service):
            release_all(obj, self.pools)
        if obj is not None:
            self._notify(cls, obj, None)
        return obj

    # ------------------------------------------------------------------ API requests

    def apply(self, obj: Object, source: str) -> ObjectResult:
        """Create or update one decoded object, as ``kubectl apply`` does."""
        strategy = strategy_for(type(obj))
        result = ObjectResult(source, obj.KIND, obj.name, obj.namespace, obj=obj)
        if strategy is None:
            message = f'{obj.KIND.lower()}s "{obj.name}" is forbidden: the simulator\'s {obj.KIND.lower()}s come from its topology (choose one with --cluster)'
            error = ApiError("Forbidden", obj.KIND, obj.qualified_kind(), obj.name, message)
            return evolve(result, error=error.located(source, "creating"))
        old = self.get(type(obj), obj.namespace, obj.name)
        try:
            if old is None:
                self._check_namespace(obj)
                stored, warnings = self._create(obj, strategy)
                action = "created"
            else:
                stored, warnings, action = self._update(old, obj, strategy)
        except ApiRejection as rejection:
            op = "creating" if old is None else "patching"
            return evolve(result, error=rejection.error.located(source, op))
        return evolve(result, action=action, warnings=tuple(warnings), obj=stored)

    def delete(self, cls: type, namespace: str, name: str) -> Object | None:
        """Delete an object, releasing what it holds; None when there is no such object."""
        return self.remove(cls, namespace, name)

    # ------------------------------------------------------------------ internals

    def _check_namespace(self, obj: Object) -> None:
        if obj.NAMESPACED and self.get(Namespace, "", obj.namespace) is None:
            message = f'namespaces "{obj.namespace}" not found'
            raise ApiRejection(ApiError("NotFound", obj.KIND, obj.qualified_kind(), obj.name, message))

    def _invalid(self, obj: Object, errors: list) -> ApiRejection:
        return ApiRejection(ApiError.invalid(obj.KIND, obj.qualified_kind(), obj.name, errors))

    def _create(self, obj: Object, strategy: Strategy) -> tuple[Object, list[str]]:
        obj = strategy.prepare_create(strategy.default(_without_status(obj)))
        txn = Transaction()
        try:
            early = strategy.check_allocation(obj, None)
            if early:
                raise self._invalid(obj, early)
            if isinstance(obj, Service):
                obj = allocate_create(obj, self.pools, txn)
            errors = strategy.validate_all(obj)
            if errors:
                raise self._invalid(obj, errors)
        except ApiRejection:
            txn.rollback()
            raise
        txn.commit()
        warnings = strategy.warnings(obj, None)
        return self._store(obj, {}, self._create_stamp(obj)), warnings

    def _update(self, old: Object, new: Object, strategy: Strategy) -> tuple[Object, list[str], str]:
        new = strategy.default(new)
        new = new.replace(status=old.status) if hasattr(old, "status") else new
        new = new.replace(metadata=_system_meta(new.metadata, old.metadata))
        new = strategy.patch_update(old, new)
        txn = Transaction()
        try:
            early = strategy.check_allocation(new, old)
            if early:
                raise self._invalid(new, early)
            if isinstance(new, Service):
                new = allocate_update(new, old, self.pools, txn)
            new = strategy.prepare_update(old, new)
            errors = strategy.validate_all(new, old)
            if errors:
                raise self._invalid(new, errors)
        except ApiRejection:
            txn.rollback()
            raise
        txn.commit()
        if new == old:
            return old, [], "unchanged"
        if isinstance(new, _GENERATION_KINDS) and getattr(new, "spec", None) != getattr(old, "spec", None):
            meta = evolve(new.metadata, generation=old.metadata.generation + 1)
            new = new.replace(metadata=meta)
        return self.put(new), strategy.warnings(new, old), "configured"

    def _create_stamp(self, obj: Object) -> dict:
        """The system metadata of a new object (``resourceVersion`` comes with the store)."""
        now = self.clock.now
        if now is not self._stamp_moment:
            self._stamp_moment, self._stamp_text = now, self.clock.timestamp()
        return dict(
            uid=uuid4_text(self._ids.getrandbits(128)),
            creation_timestamp=self._stamp_text,
            generation=1 if isinstance(obj, _GENERATION_KINDS) else 0,
            self_link="",
            deletion_timestamp=None,
            managed_fields=None,
        )


def uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))`` without building the UUID object."""
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    bits = (bits & ~(0xF000 << 64)) | (4 << 76)
    h = "%032x" % bits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _without_status(obj: Object) -> Object:
    """The API server ignores ``status`` on create (one shared empty status per kind)."""
    if hasattr(obj, "status"):
        cls = type(obj.status)  # type: ignore[attr-defined]
        empty = _EMPTY_STATUS.get(cls)
        if empty is None:
            empty = _EMPTY_STATUS[cls] = cls()
        return obj.replace(status=empty)
    return obj


_EMPTY_STATUS: dict[type, object] = {}


def _system_meta(new: ObjectMeta, old: ObjectMeta) -> ObjectMeta:
    """Carry the server-owned metadata of the stored object into an update."""
    return evolve(
        new,
        uid=old.uid,
        creation_timestamp=old.creation_timestamp,
        generation=old.generation,
        resource_version=old.resource_version,
        self_link=old.self_link,
        deletion_timestamp=old.deletion_timestamp,
        managed_fields=old.managed_fields,
        owner_references=new.owner_references or old.owner_references,
    )
