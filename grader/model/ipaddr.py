"""IP addresses the way the API server reads them, and the one "special IP" check it applies.

Sources:

* ``k8s.io/utils/net`` ``ParseIPSloppy`` / ``ParseCIDRSloppy``, i.e. Go 1.16's ``net.ParseIP`` /
  ``net.ParseCIDR`` as forked in ``internal/third_party/forked/golang/net/ip.go`` (and ``dtoi``
  from Go's ``net/parse.go``) → :func:`parse_ip_sloppy`, :func:`parse_cidr_sloppy`. IPv4
  fields are decimal values, so leading zeros are allowed and ignored (``010.001.002.003`` is
  10.1.2.3, not octal); the first ``.`` or ``:`` decides the family; zones (``fe80::1%eth0``)
  are refused.
* Go's ``net.IP.String()`` → :func:`go_ip_string`; ``familyOf`` (IPv4-mapped IPv6 counts as
  IPv4, as ``ip.To4() != nil`` does) → :func:`family_of`.
* ``pkg/apis/core/validation/validation.go`` ``ValidateNonSpecialIP`` → :func:`validate_non_special_ip`.
  Upstream has one function, called with the same messages for Service ``externalIPs``,
  Endpoints addresses and EndpointSlice IPv4/IPv6 addresses.

Not modelled: IPv6 groups of more than four hex digits (Go 1.16's ``xtoi`` accepts
``00001::``; Python's ``ipaddress`` does not).
"""

from __future__ import annotations

import functools
import ipaddress
import re

from grader.model.fielderrors import FieldError, invalid

__all__ = [
    "IPV4",
    "IPV6",
    "GoIP",
    "family_of",
    "go_ip_string",
    "parse_cidr_sloppy",
    "parse_ip_sloppy",
    "validate_non_special_ip",
]

IPV4, IPV6 = "IPv4", "IPv6"

GoIP = ipaddress.IPv4Address | ipaddress.IPv6Address

_DECIMAL = re.compile(r"[0-9]+")
_GO_BIG = 0xFFFFFF  # Go's dtoi gives up at this value


# --------------------------------------------------------------------------- parsing


def _go_dtoi(text: str) -> int | None:
    """Go's ``dtoi`` over a whole field: its decimal value, or None (not digits, or ``>= big``).

    Only the value counts, so any number of leading zeros is accepted.
    """
    if not _DECIMAL.fullmatch(text):
        return None
    digits = text.lstrip("0")
    if len(digits) > len(str(_GO_BIG)):
        return None
    value = int(digits or "0")
    return value if value < _GO_BIG else None


def _parse_ipv4_sloppy(text: str) -> ipaddress.IPv4Address | None:
    """Go 1.16 ``parseIPv4``: four decimal fields, leading zeros allowed (and ignored)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    if all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):  # the common case, quickly
        a, b, c, d = (int(p) for p in parts)
        if a > 255 or b > 255 or c > 255 or d > 255:
            return None
        return ipaddress.IPv4Address((a << 24) | (b << 16) | (c << 8) | d)
    values = [_go_dtoi(p) for p in parts]
    if any(v is None or v > 255 for v in values):
        return None
    return ipaddress.IPv4Address(".".join(str(v) for v in values))


def _parse_ipv6_sloppy(text: str) -> ipaddress.IPv6Address | None:
    """An IPv6 literal without a zone; an embedded IPv4 tail may carry leading zeros."""
    if "%" in text or not text:
        return None
    head, sep, tail = text.rpartition(":")
    if sep and "." in tail:
        ip4 = _parse_ipv4_sloppy(tail)
        if ip4 is None:
            return None
        text = f"{head}:{ip4}"
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=16384)
def parse_ip_sloppy(text: str) -> GoIP | None:
    """``netutils.ParseIPSloppy``: the first ``.`` or ``:`` decides the family; None if invalid.

    IPv4-mapped IPv6 (``::ffff:1.2.3.4``) comes back as an ``IPv6Address``; use
    :func:`family_of` / :func:`go_ip_string` to treat it as Go does.
    """
    for ch in text:
        if ch == ".":
            return _parse_ipv4_sloppy(text)
        if ch == ":":
            return _parse_ipv6_sloppy(text)
    return None


def parse_cidr_sloppy(text: str) -> tuple[GoIP, ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """``netutils.ParseCIDRSloppy``: (the address as written, the masked network), or None."""
    addr_text, sep, bits_text = text.partition("/")
    bits = _go_dtoi(bits_text) if sep else None
    if bits is None:
        return None
    ip: GoIP | None = _parse_ipv4_sloppy(addr_text)
    if ip is None:
        ip = _parse_ipv6_sloppy(addr_text)
    if ip is None or bits > ip.max_prefixlen:
        return None
    return ip, ipaddress.ip_network(f"{ip}/{bits}", strict=False)


def _as_v4(ip: GoIP) -> ipaddress.IPv4Address | None:
    """Go's ``ip.To4()``: the IPv4 address, also for IPv4-mapped IPv6; None for real IPv6."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip
    return ip.ipv4_mapped


def go_ip_string(ip: GoIP) -> str:
    """Go's ``net.IP.String()``: IPv4 (and IPv4-mapped IPv6) dotted, IPv6 in RFC 5952 form."""
    v4 = _as_v4(ip)
    return str(v4) if v4 is not None else ip.compressed


def family_of(text: str) -> str:
    """``familyOf``: ``IPv4`` (including IPv4-mapped IPv6), ``IPv6``, or ``unknown``."""
    ip = parse_ip_sloppy(text)
    if ip is None:
        return "unknown"
    return IPV4 if _as_v4(ip) is not None else IPV6


# --------------------------------------------------------------------------- ValidateNonSpecialIP


def validate_non_special_ip(value: str, path: str) -> list[FieldError]:
    """``ValidateNonSpecialIP``: no unspecified, loopback, link-local or link-local multicast IP.

    Used for Service ``externalIPs`` (R-SV-22), Endpoints ``ip`` and EndpointSlice IPv4/IPv6
    addresses, with the same messages everywhere. IPv4-mapped IPv6 is judged as IPv4.
    """
    ip = parse_ip_sloppy(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    v4, raw = _as_v4(ip), ip.packed
    checks = (
        (ip.is_unspecified or bool(v4 and v4.is_unspecified), f"may not be unspecified ({value})"),
        (v4.packed[0] == 127 if v4 else ip == ipaddress.IPv6Address("::1"),
         "may not be in the loopback range (127.0.0.0/8, ::1/128)"),
        (v4.packed[:2] == b"\xa9\xfe" if v4 else raw[0] == 0xFE and raw[1] & 0xC0 == 0x80,
         "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
        (v4.packed[:3] == b"\xe0\x00\x00" if v4 else raw[0] == 0xFF and raw[1] & 0x0F == 0x02,
         "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"),
    )
    return [invalid(path, value, message) for hit, message in checks if hit]
