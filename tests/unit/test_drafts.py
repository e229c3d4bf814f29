"""Frozen objects built through draft twins (grader.model.drafts) equal the ones ``__init__`` builds."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import field

import pytest

from grader.model import drafts
from grader.model.drafts import build, constructor, draft_class
from grader.model.objects import Container, EphemeralContainer, ObjectMeta, Pod, PodStatus, evolve
from grader.records import frozen


@frozen
class Port:
    port: int
    protocol: str = "TCP"
    names: tuple[str, ...] = field(default_factory=tuple)
    labels: dict[str, str] = field(default_factory=dict)
    note: str = field(default="", compare=False)


@frozen
class Flags:
    a: int = 0
    b: int = field(default=1, kw_only=True)


@frozen
class Doubled:
    port: int = 0
    doubled: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "doubled", self.port * 2)


def _same(a: object, b: object) -> bool:
    names = [f.name for f in dataclasses.fields(type(a))]
    return type(a) is type(b) and all(getattr(a, n) == getattr(b, n) for n in names)


def test_a_draft_twin_has_the_same_slots_and_base_and_takes_plain_assignment():
    twin = draft_class(ObjectMeta)
    assert twin is not None and twin.__slots__ == ObjectMeta.__slots__ and twin.__bases__ == ObjectMeta.__bases__
    draft = object.__new__(twin)
    draft.name = "web"
    assert draft.name == "web"
    assert draft_class(ObjectMeta) is twin  # made once


def test_a_subclass_gets_a_twin_of_its_own_layout():
    twin = draft_class(EphemeralContainer)
    assert twin is not None and twin.__bases__ == (Container,)


def test_build_equals_calling_the_class_with_the_same_values_cold_and_warm():
    for i in range(drafts.WARM + 3):  # the first ones plainly, the later ones through the twin
        built = build(Port, {"port": 80 + i, "names": ("web",)})
        assert _same(built, Port(80 + i, names=("web",)))
    assert build(Port, {"port": 1}).labels is not build(Port, {"port": 1}).labels  # a new dict each time


def test_built_objects_stay_frozen_and_copy_and_pickle_like_any_other():
    for _ in range(drafts.WARM + 1):
        built = build(Port, {"port": 80})
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.port = 81  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(built)) == built
    assert copy.deepcopy(built) == built


def test_build_calls_the_class_when_init_does_more_than_set_fields():
    assert build(Doubled, {"port": 4}).doubled == 8


def test_a_constructor_has_the_init_signature_and_builds_equal_objects():
    new_port = constructor(Port)
    Port(0)  # @frozen writes its __init__ on first use
    ours, theirs = inspect.signature(new_port).parameters, inspect.signature(Port).parameters
    assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()]
    assert _same(new_port(80, "UDP", ("dns",)), Port(80, "UDP", ("dns",)))
    assert _same(new_port(port=80, note="n"), Port(port=80, note="n"))
    assert new_port(80).labels == {} and new_port(80).labels is not new_port(80).labels
    assert _same(constructor(Flags)(2, b=3), Flags(2, b=3))
    with pytest.raises(TypeError):
        constructor(Flags)(2, 3)
    with pytest.raises(TypeError):
        new_port(80, nodeport=30080)
    assert constructor(Doubled) is Doubled  # __post_init__: the class itself


def test_evolve_copies_through_the_compiled_copier_once_a_change_is_hot():
    status = PodStatus(phase="Pending", pod_ip="")
    copies = [evolve(status, phase="Running", pod_ip=f"10.0.0.{i}") for i in range(300)]
    for i, found in enumerate(copies):
        assert found == dataclasses.replace(status, phase="Running", pod_ip=f"10.0.0.{i}")
        assert type(found) is PodStatus
    with pytest.raises(dataclasses.FrozenInstanceError):
        copies[-1].phase = "Failed"  # type: ignore[misc]
    pod = Pod(metadata=ObjectMeta(name="web"))
    assert evolve(pod, status=copies[0]).status is copies[0]
