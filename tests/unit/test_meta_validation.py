"""metadata validation shared by all kinds."""

from __future__ import annotations

from grader.model.meta_validation import (
    dns1035_name,
    dns1123_label_name,
    dns1123_subdomain_name,
    validate_labels,
    validate_object_meta,
)
from grader.model.objects import ObjectMeta


def _errs(meta, namespaced=True, rule=dns1123_subdomain_name):
    return [str(e) for e in validate_object_meta(meta, namespaced, rule)]


def test_name_is_required():
    assert _errs(ObjectMeta(namespace="default")) == ["metadata.name: Required value: name or generateName is required"]


def test_r_sv_1_service_names_are_dns1035_labels():
    errs = _errs(ObjectMeta(name="1web", namespace="default"), rule=dns1035_name)
    assert errs == [
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric '
        "characters or '-', start with an alphabetic character, and end with an alphanumeric character "
        "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]


def test_pod_names_may_contain_dots():
    assert _errs(ObjectMeta(name="web.v1", namespace="default")) == []


def test_cluster_scoped_objects_may_not_name_a_namespace():
    errs = _errs(ObjectMeta(name="dev", namespace="x"), namespaced=False, rule=dns1123_label_name)
    assert errs == ["metadata.namespace: Forbidden: not allowed on this type"]


def test_generate_name_prefix_may_end_with_a_dash():
    assert _errs(ObjectMeta(name="web-abc", generate_name="web-", namespace="default")) == []


def test_label_errors_are_reported_on_the_map_path_with_the_bad_value():
    errs = [str(e) for e in validate_labels({"app": "my app"}, "spec.selector")]
    assert errs == [
        'spec.selector: Invalid value: "my app": a valid label must be an empty string or consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]
