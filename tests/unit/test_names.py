"""The generic string checks behind every validator (R-API-10..13)."""

from __future__ import annotations

import pytest

from grader.model.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
)

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize("port, ok", [(0, False), (1, True), (65535, True), (65536, False), (-1, False)])
def test_r_api_10_port_numbers_are_1_to_65535(port, ok):
    assert is_valid_port_num(port) == ([] if ok else ["must be between 1 and 65535, inclusive"])


def test_r_api_11_each_broken_port_name_rule_adds_its_own_message_in_order():
    assert is_valid_port_name("HTTP") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
    ]
    assert is_valid_port_name("http-metrics-port") == ["must be no more than 15 characters"]
    assert is_valid_port_name("8080") == ["must contain at least one letter (a-z)"]
    assert is_valid_port_name("a--b") == ["must not contain consecutive hyphens"]
    assert is_valid_port_name("-web") == ["must not begin or end with a hyphen"]
    assert is_valid_port_name("http") == []


def test_r_api_12_dns1123_label_message_has_two_spaces_before_or():
    assert is_dns1123_label("HTTP") == [LABEL_MSG]


def test_r_api_12_a_subdomain_with_dots_is_told_it_contains_dots():
    assert is_dns1123_label("web.example") == ["must not contain dots"]


def test_r_api_12_labels_longer_than_63_characters():
    assert is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]


def test_r_api_13_dns1035_label_must_start_with_a_letter():
    assert is_dns1035_label("1web") == [DNS1035_MSG]
    assert is_dns1035_label("web-1") == []


def test_subdomains_allow_dots_but_not_capitals():
    assert is_dns1123_subdomain("my.app") == []
    assert is_dns1123_subdomain("My.app")[0].startswith("a lowercase RFC 1123 subdomain must consist")


def test_qualified_names_check_prefix_and_name_parts():
    assert is_qualified_name("app.kubernetes.io/name") == []
    assert is_qualified_name("/name") == ["prefix part must be non-empty"]
    assert is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of alphanumeric")


def test_label_values_may_be_empty_but_not_start_with_a_dash():
    assert is_valid_label_value("") == []
    assert is_valid_label_value("-x")[0].startswith("a valid label must be an empty string")
