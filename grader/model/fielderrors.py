"""Field errors and how the API server and kubectl render them (R-API-4, R-API-6..9).

A validator returns a list of :class:`FieldError`; nothing is raised. The API layer turns the
list into the status message the server builds (:func:`status_message`) and into what kubectl
prints for a single invalid object (:func:`kubectl_invalid`).
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable

from grader.records import frozen

__all__ = [
    "ErrorType",
    "FieldError",
    "GoLiteral",
    "dedupe",
    "duplicate",
    "forbidden",
    "go_quote",
    "internal",
    "invalid",
    "invalid_each",
    "kubectl_invalid",
    "not_found",
    "not_supported",
    "required",
    "status_message",
    "too_long",
]


class ErrorType(Enum):
    """The kind of a field error; the value is the text apimachinery prints for it."""

    NOT_FOUND = "Not found"
    REQUIRED = "Required value"
    DUPLICATE = "Duplicate value"
    INVALID = "Invalid value"
    NOT_SUPPORTED = "Unsupported value"
    FORBIDDEN = "Forbidden"
    TOO_LONG = "Too long"
    INTERNAL = "Internal error"


# Types whose body never shows the bad value (apimachinery `ErrorBody`).
_VALUELESS = {ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG, ErrorType.INTERNAL}


@frozen
class GoLiteral:
    """A value that must print as the given Go text (e.g. a ``%#v`` struct literal)."""

    text: str

    def __str__(self) -> str:
        return self.text


_OMIT = object()


@frozen
class FieldError:
    """One field error: ``<field>: <type>[: <value>][: <detail>]`` (R-API-6)."""

    type: ErrorType
    field: str
    bad_value: object = _OMIT
    detail: str = ""

    def body(self) -> str:
        """The text after ``<field>: `` exactly as apimachinery's ``ErrorBody`` builds it."""
        text = self.type.value
        if self.type not in _VALUELESS and self.bad_value is not _OMIT:
            text = f"{text}: {format_value(self.bad_value)}"
        if self.detail:
            text = f"{text}: {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()


def format_value(value: object) -> str:
    """Format a bad value the way apimachinery does (R-API-7)."""
    if value is None:
        return '"null"'  # apimachinery turns nil into the string "null", then quotes it
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    return str(value)


def go_quote(text: str) -> str:
    """Quote a string like Go's ``%q`` verb."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, field, detail=detail)


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, field, value, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, field, detail=detail)


def duplicate(field: str, value: object) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, field, value)


def not_found(field: str, value: object) -> FieldError:
    return FieldError(ErrorType.NOT_FOUND, field, value)


def too_long(field: str, max_length: int) -> FieldError:
    detail = f"must have at most {max_length} bytes"
    return FieldError(ErrorType.TOO_LONG, field, detail=detail)


def internal(field: str, detail: str) -> FieldError:
    return FieldError(ErrorType.INTERNAL, field, detail=detail)


def invalid_each(field: str, value: object, messages: Iterable[str]) -> list[FieldError]:
    """One Invalid error per message, as apimachinery's ``for _, msg := range`` loops build them."""
    return [invalid(field, value, m) for m in messages]


def not_supported(field: str, value: object, supported: Iterable[str]) -> FieldError:
    """``Unsupported value: <v>: supported values: "A", "B"`` with values in the given order."""
    quoted = ", ".join(go_quote(s) for s in supported)
    return FieldError(ErrorType.NOT_SUPPORTED, field, value, f"supported values: {quoted}")


def dedupe(errors: Iterable[FieldError]) -> list[FieldError]:
    """Drop repeated errors, keeping the first occurrence (R-API-4)."""
    seen: set[str] = set()
    kept = []
    for err in errors:
        key = str(err)
        if key not in seen:
            seen.add(key)
            kept.append(err)
    return kept


def status_message(qualified_kind: str, name: str, errors: list[FieldError]) -> str:
    """The server's message: ``<Kind>[.<group>] "<name>" is invalid: <errs>`` (R-API-8)."""
    errs = [str(e) for e in errors]
    joined = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
    return f'{qualified_kind} "{name}" is invalid: {joined}'


def kubectl_invalid(kind: str, name: str, errors: list[FieldError]) -> str:
    """What kubectl prints for one Invalid object (R-API-9), without a final newline."""
    head = f'The {kind} "{name}" is invalid: '
    if len(errors) == 1:
        return head + str(errors[0])
    return head + "\n" + "\n".join(f"* {e}" for e in errors)
