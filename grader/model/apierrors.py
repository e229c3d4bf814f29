"""API server answers that are failures, and how kubectl prints them (R-API-8, R-API-9).

An :class:`ApiError` is a *result*: the simulated API server returns it instead of storing an
object. kubectl prints a lone Invalid error as ``The <Kind> "<name>" is invalid: ...``
and everything else as ``Error from server (<Reason>): error when <op> "<file>": <message>``.
"""

from __future__ import annotations


from grader.model.fielderrors import FieldError, kubectl_invalid, status_message
from grader.records import frozen

__all__ = ["ApiError", "ApiRejection", "render_errors"]


@frozen
class ApiError:
    """One failed request: the status reason, the object, the field causes and the message."""

    reason: str
    kind: str
    qualified_kind: str
    name: str
    message: str
    causes: tuple[FieldError, ...] = ()
    source: str = ""
    operation: str = "creating"

    @classmethod
    def invalid(cls, kind: str, qualified_kind: str, name: str, causes: list[FieldError]) -> "ApiError":
        """422 Invalid with its field errors (R-API-8)."""
        message = status_message(qualified_kind, name, causes)
        return cls("Invalid", kind, qualified_kind, name, message, tuple(causes))

    @classmethod
    def internal(cls, kind: str, qualified_kind: str, name: str, detail: str) -> "ApiError":
        return cls("InternalError", kind, qualified_kind, name, f"Internal error occurred: {detail}")

    def located(self, source: str, operation: str) -> "ApiError":
        """The same error, attributed to a file and an operation (creating / patching)."""
        return ApiError(
            self.reason, self.kind, self.qualified_kind, self.name, self.message,
            self.causes, source, operation,
        )

    def kubectl_line(self) -> str:
        """``Error from server (<Reason>): error when <op> "<file>": <message>``."""
        where = f'error when {self.operation} "{self.source}": ' if self.source else ""
        return f"Error from server ({self.reason}): {where}{self.message}"

    def __str__(self) -> str:
        return self.message


class ApiRejection(Exception):
    """Internal carrier used while handling one request; never escapes the registry."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def render_errors(errors: list[ApiError]) -> str:
    """What kubectl prints on stderr for the errors of one command (R-API-9)."""
    if len(errors) == 1 and errors[0].reason == "Invalid" and errors[0].causes:
        err = errors[0]
        return kubectl_invalid(err.kind, err.name, list(err.causes))
    return "\n".join(e.kubectl_line() for e in errors)
