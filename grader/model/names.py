"""String checks shared by every validator, with apimachinery's exact messages (R-API-10..13).

Each ``is_*`` function returns the list of failure messages (empty when the value is valid),
like apimachinery's ``pkg/util/validation`` helpers; callers turn each message into a
:class:`~grader.model.fielderrors.FieldError` on their own field path.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Callable

__all__ = [
    "empty_error",
    "inclusive_range_error",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_ip",
    "is_valid_label_value",
    "is_valid_port_name",
    "is_valid_port_num",
    "max_len_error",
    "regex_error",
]

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)

_RE = {
    fmt: re.compile(f"^(?:{fmt})$")
    for fmt in (
        _DNS1123_LABEL_FMT,
        _DNS1123_SUBDOMAIN_FMT,
        _DNS1035_LABEL_FMT,
        _QNAME_FMT,
        _LABEL_VALUE_FMT,
    )
}
_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def _memoized(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """Remember a pure string check's messages (names and label values repeat a lot)."""
    cached = functools.lru_cache(maxsize=8192)(lambda value: tuple(check(value)))

    @functools.wraps(check)
    def wrapper(value: str) -> list[str]:
        return list(cached(value))

    return wrapper


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(low: int, high: int) -> str:
    return f"must be between {low} and {high}, inclusive"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's ``RegexError``: examples joined so that ``', '`` meets ``' or '``."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    text = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def _match(fmt: str, value: str) -> bool:
    return _RE[fmt].match(value) is not None


def is_valid_port_num(port: int) -> list[str]:
    """R-API-10: 1..65535."""
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(name: str) -> list[str]:
    """R-API-11: IANA_SVC_NAME, one message per broken rule, in apimachinery's order."""
    errs = []
    if len(name) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


@_memoized
def is_dns1123_label(value: str) -> list[str]:
    """R-API-12: a lowercase RFC 1123 label (max 63); dots get their own message."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _match(_DNS1123_LABEL_FMT, value):
        if _match(_DNS1123_SUBDOMAIN_FMT, value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


@_memoized
def is_dns1123_subdomain(value: str) -> list[str]:
    """A lowercase RFC 1123 subdomain (max 253)."""
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _match(_DNS1123_SUBDOMAIN_FMT, value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


@_memoized
def is_dns1035_label(value: str) -> list[str]:
    """R-API-13: a DNS-1035 label (max 63), starting with a letter."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _match(_DNS1035_LABEL_FMT, value):
        errs.append(regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


@_memoized
def is_qualified_name(value: str) -> list[str]:
    """A label or annotation key: ``[prefix/]name``."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _match(_QNAME_FMT, name):
        errs.append("name part " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


@_memoized
def is_valid_label_value(value: str) -> list[str]:
    """A label value: empty, or up to 63 alphanumerics with ``-_.`` inside."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _match(_LABEL_VALUE_FMT, value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_valid_ip(value: str) -> list[str]:
    """An IPv4 or IPv6 address in canonical-enough form."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []
