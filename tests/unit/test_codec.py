"""Strict decoding of manifests (R-API-1) and encoding back to API field names."""

from __future__ import annotations

import pytest

from grader.model.codec import DecodeError, decode, encode
from grader.model.objects import ContainerPort, Pod, Service, ServicePort


def _decode_error(cls, data) -> str:
    with pytest.raises(DecodeError) as info:
        decode(cls, data)
    return info.value.detail()


def test_r_api_1_unknown_field_is_reported_with_its_indexed_path():
    """A mis-cased field is unknown: strict decoding names it with its list index."""
    data = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80, "nodeport": 30080}]}}
    assert _decode_error(Service, data) == 'strict decoding error: unknown field "spec.ports[0].nodeport"'


def test_r_api_1_several_unknown_fields_are_listed_comma_separated_in_key_order():
    data = {"spec": {"ports": [{"port": 80, "Protocol": "TCP"}], "foo": 1}}
    assert _decode_error(Service, data) == (
        'strict decoding error: unknown field "spec.foo", unknown field "spec.ports[0].Protocol"'
    )


def test_r_api_1_quoted_int_fails_at_decode_time_with_go_json_text():
    """`port: "80"` is a JSON type error, reported before any unknown field."""
    data = {"spec": {"ports": [{"port": "80"}], "bogus": True}}
    assert _decode_error(Service, data) == (
        "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"
    )


def test_r_api_1_number_label_value_is_a_type_error_on_object_meta():
    data = {"metadata": {"name": "p", "labels": {"version": 1.0}}}
    assert _decode_error(Pod, data) == (
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
    )


def test_r_api_1_fractional_number_is_printed_in_the_message():
    data = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80.5}]}]}}
    assert _decode_error(Pod, data) == (
        "json: cannot unmarshal number 80.5 into Go struct field "
        "ContainerPort.spec.containers.ports.containerPort of type int32"
    )


def test_r_api_1_out_of_int32_range_is_a_type_error():
    data = {"spec": {"ports": [{"port": 99999999999}]}}
    assert "cannot unmarshal number 99999999999 into Go struct field" in _decode_error(Service, data)


def test_r_api_1_object_where_a_list_belongs_names_the_go_slice_type():
    data = {"spec": {"ports": {"port": 80}}}
    assert _decode_error(Service, data) == (
        "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort"
    )


def test_target_port_accepts_int_and_string():
    svc = decode(Service, {"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}})
    assert [p.target_port for p in svc.spec.ports] == ["http", 8081]


def test_bool_target_port_is_a_type_error():
    data = {"spec": {"ports": [{"port": 80, "targetPort": True}]}}
    assert "cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort" in _decode_error(Service, data)


def test_null_values_leave_zero_values():
    svc = decode(Service, {"spec": None, "metadata": {"labels": None}})
    assert svc.spec.ports == () and svc.metadata.labels == {}


def test_integral_float_is_accepted_as_int_like_yaml_to_json_conversion():
    svc = decode(Service, {"spec": {"ports": [{"port": 80.0}]}})
    assert svc.spec.ports[0].port == 80


def test_json_names_keep_kubernetes_spelling():
    port = decode(ContainerPort, {"containerPort": 80, "hostIP": "1.2.3.4"})
    assert port.host_ip == "1.2.3.4"
    assert encode(port) == {"containerPort": 80, "hostIP": "1.2.3.4"}


def test_encode_omits_zero_values_but_keeps_fields_without_omitempty():
    assert encode(ServicePort(port=0)) == {"port": 0}
    assert encode(ContainerPort()) == {"containerPort": 0}


def test_encode_writes_false_pointer_bools():
    svc = decode(Service, {"spec": {"allocateLoadBalancerNodePorts": False, "publishNotReadyAddresses": False}})
    assert encode(svc.spec) == {"allocateLoadBalancerNodePorts": False}


def test_type_hints_resolve_every_model_annotation_as_typing_does():
    import dataclasses
    import typing

    from grader.model import objects
    from grader.model.codec import type_hints

    classes = [v for v in vars(objects).values() if isinstance(v, type) and dataclasses.is_dataclass(v)]
    assert len(classes) > 40
    for cls in classes:
        assert type_hints(cls) == typing.get_type_hints(cls, include_extras=True), cls.__name__


def test_decoding_builds_the_same_objects_as_calling_the_classes():
    for _ in range(40):  # past the point where the decoder switches to draft twins
        port = decode(ContainerPort, {"name": "http", "containerPort": 8080})
    assert port == ContainerPort(name="http", container_port=8080) and type(port) is ContainerPort
