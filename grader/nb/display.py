"""What notebook helpers show: one renderer, two MIME types, and a failure without a traceback wall.

Every view renders ``text/plain`` (canonical: what tests assert, what nbgrader feedback and
logs show) and ``text/html`` from the same strings. Nothing random or time-dependent goes into
either, so the same cell always shows the same bytes.

:class:`CheckFailed` is what a failed graded cell raises. It is an :class:`AssertionError`
whose message is the learner-facing verdict, and it renders itself in IPython
(``_render_traceback_``), so JupyterLab and nbgrader's feedback show the verdict alone — no
frames of the grader's internals.
"""

from __future__ import annotations

import html
from typing import Any

from grader.records import frozen
from grader.sim.results import CommandOutput

__all__ = ["ApplyView", "CheckFailed", "CurlView", "ManifestView", "Message", "blank"]

_RED = "#cf222e"


def blank(text: object) -> bool:
    """True when a manifest holds nothing but blank lines and YAML comments (the release's stub)."""
    if text is None:
        return True
    if not isinstance(text, (str, bytes)):
        return False
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _pre(text: str, colour: str = "") -> str:
    style = f' style="color:{colour}"' if colour else ""
    return f"<pre{style}>{html.escape(text)}</pre>" if text else ""


@frozen
class Message:
    """A short note to the learner (usage problems, unknown names): never a traceback."""

    text: str
    error: bool = True

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text, "text/html": _pre(self.text, _RED if self.error else "")}


@frozen
class ApplyView:
    """``kubectl apply -f SOURCE`` and what it printed (stdout, then warnings and errors)."""

    source: str
    output: CommandOutput

    @property
    def ok(self) -> bool:
        return self.output.ok

    def text(self) -> str:
        return f"$ kubectl apply -f {self.source}\n{self.output}".rstrip("\n")

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        out = self.output
        body = _pre(f"$ kubectl apply -f {self.source}\n{out.stdout}".rstrip("\n")) + _pre(out.stderr, _RED if not out.ok else "#9a6700")
        return {"text/plain": self.text(), "text/html": f'<div class="kports-apply">{body}</div>'}


@frozen
class ManifestView:
    """A manifest saved from a cell, with what a fresh simulated API server said about it."""

    name: str
    applied: ApplyView | None

    def text(self) -> str:
        if self.applied is None:
            return f"manifest {self.name!r} is empty: write it below the %%manifest {self.name} line"
        verdict = "saved" if self.applied.ok else "saved, but kubectl apply reports a problem"
        return f"manifest {self.name!r} {verdict}\n{self.applied.text()}"

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        if self.applied is None:
            return Message(self.text())._repr_mimebundle_()
        head = html.escape(self.text().splitlines()[0])
        inner = self.applied._repr_mimebundle_()["text/html"]
        return {"text/plain": self.text(), "text/html": f"<div><p>{head}</p>{inner}</div>"}


@frozen
class CurlView:
    """A probe as the learner sees it: curl's own output, then (folded in HTML) every hop."""

    command: str  # with its prompt: "$ curl ..." from outside, "pod/client $ curl ..." from a pod
    stdout: str
    stderr: str
    exit_code: int
    trace: str

    @classmethod
    def of(cls, source: str, url: str, probe: Any) -> "CurlView":
        prompt = "$" if source in ("", "outside") else f"{source} $"
        command = f"{prompt} curl -sS --connect-timeout 3 {url}"
        return cls(command, probe.stdout, probe.stderr, probe.exit_code, probe.trace())

    def output(self) -> str:
        return "\n".join(p for p in (self.stdout.rstrip("\n"), self.stderr) if p)

    def text(self) -> str:
        return f"{self.command}\n{self.output()}\n(exit code {self.exit_code})\n\n{self.trace}"

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        colour = "" if self.exit_code == 0 else _RED
        body = (_pre(self.command) + _pre(self.output(), colour)
                + f"<p>exit code {self.exit_code}</p>"
                + f"<details><summary>trace</summary>{_pre(self.trace)}</details>")
        return {"text/plain": self.text(), "text/html": f'<div class="kports-curl">{body}</div>'}


class CheckFailed(AssertionError):
    """A graded task failed; ``str(exc)`` is the whole learner-facing verdict.

    IPython calls :meth:`_render_traceback_` instead of formatting frames, so the cell shows
    the verdict and nothing else (in JupyterLab and in nbgrader's feedback alike).
    """

    def __init__(self, text: str, result: Any = None) -> None:
        super().__init__(text)
        self.result = result

    def _render_traceback_(self) -> list[str]:
        first, *rest = str(self).splitlines() or [""]
        return [f"\x1b[0;31mAssertionError\x1b[0m: {first}", *rest]
