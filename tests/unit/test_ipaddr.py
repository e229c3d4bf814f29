"""Go IP parsing (ParseIPSloppy / ParseCIDRSloppy) and ValidateNonSpecialIP, shared by all kinds."""

from __future__ import annotations

import pytest

from grader.model.ipaddr import (
    family_of,
    go_ip_string,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    validate_non_special_ip,
)

UNSPECIFIED = "may not be unspecified ({})"
LOOPBACK = "may not be in the loopback range (127.0.0.0/8, ::1/128)"
LINK_LOCAL = "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
LL_MULTICAST = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"


def details(value: str) -> list[str]:
    return [e.detail for e in validate_non_special_ip(value, "x")]


# --------------------------------------------------------------------------- ParseIPSloppy


def test_r_sv_22_ip_parsing_accepts_leading_zeros_like_go():
    """R-SV-22: ParseIPSloppy reads 010.001.002.003 as 10.1.2.3 (decimal, not octal)."""
    assert str(parse_ip_sloppy("010.001.002.003")) == "10.1.2.3"
    assert parse_ip_sloppy("10.1.2") is None
    assert parse_ip_sloppy("10.1.2.256") is None
    assert parse_ip_sloppy("10.1.2.3.4") is None
    assert parse_ip_sloppy("10.1.2.") is None
    assert parse_ip_sloppy("10.1.+2.3") is None
    assert parse_ip_sloppy("None") is None
    assert parse_ip_sloppy("") is None


def test_leading_zeros_count_by_value_not_length():
    """Go's dtoi only looks at the value: any number of leading zeros is fine, 0256 is not."""
    assert str(parse_ip_sloppy("0000000010.1.2.3")) == "10.1.2.3"
    assert str(parse_ip_sloppy("0" * 5000 + "1.0.0.1")) == "1.0.0.1"
    assert parse_ip_sloppy("0256.1.2.3") is None
    assert parse_ip_sloppy("99999999999.1.2.3") is None


def test_first_separator_decides_the_family():
    """A '.' before any ':' means IPv4 (so "1.2.3.4:80" is no address); ':' first means IPv6."""
    assert parse_ip_sloppy("1.2.3.4:80") is None
    assert str(parse_ip_sloppy("::1.2.3.4")) == "::102:304"
    assert parse_ip_sloppy("::1.2.3.4:5") is None


def test_zones_are_refused():
    assert parse_ip_sloppy("fe80::1%eth0") is None
    assert parse_ip_sloppy("fe80::1%1") is None
    assert parse_cidr_sloppy("fe80::%eth0/64") is None


def test_r_sv_22_ipv4_mapped_ipv6_prints_and_counts_as_ipv4():
    """R-SV-22: Go prints ::ffff:1.2.3.4 as 1.2.3.4 and calls it IPv4."""
    ip = parse_ip_sloppy("::ffff:1.2.3.4")
    assert ip is not None and go_ip_string(ip) == "1.2.3.4"
    assert go_ip_string(parse_ip_sloppy("::ffff:010.001.002.003")) == "10.1.2.3"
    assert family_of("::ffff:1.2.3.4") == "IPv4"
    assert family_of("10.0.0.1") == "IPv4"
    assert family_of("fd00::1") == "IPv6"
    assert family_of("fe80::1%eth0") == "unknown"


def test_go_ip_string_is_rfc_5952_for_ipv6():
    assert go_ip_string(parse_ip_sloppy("2001:DB8:0:0:0:0:0:1")) == "2001:db8::1"


# --------------------------------------------------------------------------- ParseCIDRSloppy


def test_r_sv_19_cidr_parsing_keeps_the_host_bits_apart():
    """R-SV-19: ParseCIDRSloppy returns the address as written and the masked network."""
    ip, net = parse_cidr_sloppy("10.1.2.3/08")
    assert (str(ip), str(net)) == ("10.1.2.3", "10.0.0.0/8")
    assert parse_cidr_sloppy("10.0.0.0/33") is None
    assert parse_cidr_sloppy("10.0.0.0") is None
    assert parse_cidr_sloppy("10.0.0.0/") is None
    assert parse_cidr_sloppy("10.0.0.0/+8") is None
    assert str(parse_cidr_sloppy("fd00::1/0000000064")[1]) == "fd00::/64"
    assert parse_cidr_sloppy("fd00::/129") is None


# --------------------------------------------------------------------------- ValidateNonSpecialIP


def test_ordinary_addresses_are_not_special():
    for value in ("172.18.0.100", "10.244.1.5", "2001:db8::1", "::ffff:10.0.0.1", "224.0.1.1", "ff05::2"):
        assert details(value) == [], value


def test_an_unparsable_value_gets_only_the_parse_message():
    errs = validate_non_special_ip("node1", "spec.externalIPs[0]")
    assert [str(e) for e in errs] == ['spec.externalIPs[0]: Invalid value: "node1": must be a valid IP address']
    assert details("fe80::1%eth0") == ["must be a valid IP address"]


SPECIAL = {
    LOOPBACK: ("127.0.0.1", "127.255.1.2", "::1", "::ffff:127.0.0.1"),
    LINK_LOCAL: ("169.254.169.254", "fe80::1", "febf::1", "::ffff:169.254.0.1"),
    LL_MULTICAST: ("224.0.0.1", "224.0.0.255", "ff02::1", "ff12::1", "::ffff:224.0.0.5"),
}


@pytest.mark.parametrize("value", ["0.0.0.0", "000.0.0.0", "::", "::ffff:0.0.0.0"])
def test_unspecified_addresses_echo_the_value_as_written(value):
    assert details(value) == [UNSPECIFIED.format(value)]


@pytest.mark.parametrize(("value", "message"), [(v, m) for m, vs in SPECIAL.items() for v in vs])
def test_each_special_range_has_its_exact_message(value, message):
    """IPv4-mapped IPv6 is judged as IPv4, as Go's ``ip.To4()`` makes it."""
    assert details(value) == [message]


def test_the_error_names_the_path_and_echoes_the_value_as_written():
    errs = validate_non_special_ip("127.000.000.001", "subsets[0].addresses[0].ip")
    assert [str(e) for e in errs] == [
        f'subsets[0].addresses[0].ip: Invalid value: "127.000.000.001": {LOOPBACK}'
    ]
