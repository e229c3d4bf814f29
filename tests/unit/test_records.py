"""``@frozen`` behaves as ``@dataclass(frozen=True, slots=True)`` does, method by method."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import field

import pytest

from grader.records import frozen


@frozen
class Port:
    port: int
    protocol: str = "TCP"
    names: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@frozen
class NamedPort(Port):
    """A port with a name."""

    name: str = ""
    doubled: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "doubled", self.port * 2)


@frozen(repr=False)
class Quiet:
    value: int = 0

    def __repr__(self) -> str:
        return "<quiet>"


@frozen
class Flags:
    a: int
    b: int = field(default=1, kw_only=True)


def test_it_is_a_dataclass_for_the_standard_helpers():
    p = Port(80)
    assert dataclasses.is_dataclass(p)
    assert [f.name for f in dataclasses.fields(Port)] == ["port", "protocol", "names", "note"]
    assert dataclasses.asdict(p) == {"port": 80, "protocol": "TCP", "names": (), "note": ""}
    assert dataclasses.replace(p, port=81) == Port(81)
    assert Port.__match_args__ == ("port", "protocol", "names", "note")


def test_init_has_the_dataclass_signature_defaults_and_factories():
    assert Port(80, "UDP", ("dns",)).protocol == "UDP"
    assert Port(port=80).names == ()
    assert Port(80).names is not None
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'port'"):
        Port()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nodeport'"):
        Port(80, nodeport=30080)
    assert str(inspect.signature(Flags(1).__init__)) == "(a, *, b=1)"
    with pytest.raises(TypeError):
        Flags(1, 2)


def test_post_init_runs_after_the_fields_are_set():
    assert NamedPort(8080, name="http").doubled == 16160


def test_instances_are_frozen_and_slotted():
    p = Port(80)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'port'"):
        p.port = 81
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'port'"):
        del p.port
    assert not hasattr(p, "__dict__")
    assert Port.__slots__ == ("port", "protocol", "names", "note")


def test_equality_and_hash_use_the_compared_fields_of_the_same_class():
    assert Port(80, note="a") == Port(80, note="b")
    assert hash(Port(80, note="a")) == hash(Port(80, note="b"))
    assert Port(80) != Port(81)
    assert Port(80) != NamedPort(80)
    assert len({Port(80), Port(80), Port(81)}) == 2
    assert Port(80).__eq__(object()) is NotImplemented


def test_repr_lists_the_repr_fields_and_keeps_a_class_own_repr():
    assert repr(Port(80, names=("web",))) == "Port(port=80, protocol='TCP', names=('web',))"
    assert repr(Quiet(3)) == "<quiet>"
    assert Port.__doc__ == "Port(port, protocol, names, note)"
    assert NamedPort.__doc__ == "A port with a name."


def test_pickle_and_copy_round_trip_without_running_init_again():
    p = NamedPort(80, "TCP", ("a",), "kept", "http")
    for clone in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
        assert clone == p
        assert clone.doubled == 160
        assert clone.note == "kept"


def test_field_order_errors_are_reported_when_the_class_is_defined():
    with pytest.raises(TypeError, match="non-default field 'b' follows default field 'a'"):
        @frozen
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_a_field_left_out_of_init_takes_its_default():
    @frozen
    class Counted:
        name: str
        seen: tuple[str, ...] = field(default_factory=tuple, init=False)

    assert Counted("a").seen == ()
    with pytest.raises(TypeError):
        Counted("a", ("x",))
