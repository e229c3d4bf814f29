"""How field errors and statuses read (R-API-4, R-API-6..9)."""

from __future__ import annotations

from grader.model.fielderrors import (
    GoLiteral,
    dedupe,
    duplicate,
    forbidden,
    invalid,
    kubectl_invalid,
    not_supported,
    required,
    status_message,
)


def test_r_api_6_each_error_type_has_its_body():
    assert str(required("spec.ports")) == "spec.ports: Required value"
    assert str(required("metadata.name", "name or generateName is required")) == (
        "metadata.name: Required value: name or generateName is required")
    assert str(forbidden("spec.x", "not here")) == "spec.x: Forbidden: not here"
    assert str(duplicate("spec.ports[1].name", "http")) == 'spec.ports[1].name: Duplicate value: "http"'
    assert str(not_supported("spec.type", "Nodeport", ["ClusterIP", "NodePort"])) == (
        'spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "NodePort"')


def test_r_api_7_values_print_bare_quoted_or_as_go_literals():
    assert str(invalid("a", 80, "x")) == "a: Invalid value: 80: x"
    assert str(invalid("a", True, "x")) == "a: Invalid value: true: x"
    assert str(invalid("a", "tab\there", "x")) == 'a: Invalid value: "tab\\there": x'
    assert str(invalid("a", None, "x")) == 'a: Invalid value: "null": x'
    assert str(invalid("a", GoLiteral('[]string{"1.2.3.4"}'), "x")) == 'a: Invalid value: []string{"1.2.3.4"}: x'


def test_r_api_8_status_message_lists_several_errors_in_brackets_and_names_the_group():
    errs = [required("spec.ports[0].name"), required("spec.ports[1].name")]
    assert status_message("Service", "web", errs[:1]) == 'Service "web" is invalid: spec.ports[0].name: Required value'
    assert status_message("Deployment.apps", "web", errs) == (
        'Deployment.apps "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]')


def test_r_api_9_kubectl_prints_one_error_inline_and_several_as_a_bulleted_list():
    one = [required("spec.ports")]
    assert kubectl_invalid("Service", "web", one) == 'The Service "web" is invalid: spec.ports: Required value'
    two = [required("a"), required("b")]
    assert kubectl_invalid("Service", "web", two) == 'The Service "web" is invalid: \n* a: Required value\n* b: Required value'


def test_r_api_4_repeated_errors_are_reported_once():
    assert dedupe([required("a"), required("a"), required("b")]) == [required("a"), required("b")]
