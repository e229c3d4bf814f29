"""Results of API requests and kubectl-like commands. Outcomes are data, never exceptions.

:class:`ObjectResult` is what the API server answered for one object; :class:`ApplyResult`
gathers a whole ``kubectl apply`` and renders exactly what kubectl prints (stdout, stderr,
exit code). :class:`CommandOutput` is the same triple for any other command.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from grader.model.apierrors import ApiError, render_errors
from grader.records import frozen

__all__ = ["ApplyResult", "CommandOutput", "ObjectResult"]


@frozen
class CommandOutput:
    """What a command printed and how it exited."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def __str__(self) -> str:
        return "\n".join(part for part in (self.stdout, self.stderr) if part)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": str(self)}


@frozen
class ObjectResult:
    """The API server's answer for one object of an apply.

    ``action`` is ``created``, ``configured`` or ``unchanged`` when accepted, ``""`` when not;
    ``error`` then says why. ``obj`` is the stored object (defaulted, allocated).
    """

    source: str
    kind: str
    name: str
    namespace: str = ""
    action: str = ""
    warnings: tuple[str, ...] = ()
    error: ApiError | None = None
    obj: Any = None

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def ref(self) -> str:
        """kubectl's ``<resource>/<name>`` (``service/web``, ``deployment.apps/web``)."""
        kind = self.kind.lower()
        group = getattr(type(self.obj), "GROUP", "") if self.obj is not None else ""
        return f"{kind}.{group}/{self.name}" if group else f"{kind}/{self.name}"


@frozen
class ApplyResult:
    """Everything one ``apply`` did: per-object results plus errors that stopped a whole file."""

    objects: tuple[ObjectResult, ...] = ()
    file_errors: tuple[str, ...] = ()
    messages: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> list[ApiError]:
        return [r.error for r in self.objects if r.error is not None]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors and not self.messages

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def stdout(self) -> str:
        return "\n".join(f"{r.ref} {r.action}" for r in self.objects if r.accepted)

    @property
    def stderr(self) -> str:
        lines = [f"Warning: {w}" for r in self.objects for w in r.warnings]
        lines.extend(self.messages)
        if self.errors:
            lines.append(render_errors(self.errors))
        lines.extend(self.file_errors)
        return "\n".join(lines)

    def output(self) -> CommandOutput:
        return CommandOutput(self.stdout, self.stderr, self.exit_code)

    def result_for(self, kind: str, name: str) -> ObjectResult | None:
        """The result of the object of that kind and name (kind as in the manifest)."""
        return next((r for r in self.objects if r.kind == kind and r.name == name), None)

    def __str__(self) -> str:
        return str(self.output())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": str(self)}
