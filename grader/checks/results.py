"""Results of expectations and the report that gathers them: one renderer, two MIME types.

A :class:`CheckResult` is what one expectation (or one part of one: a node of ``every_node``,
a cell of ``predictions``) found: a :class:`Status`, the learner-facing ``message``, a one-line
``hint``, the ``rule`` id, ``evidence`` (a kubectl view) and the probe ``trace``, plus points.

A :class:`Report` renders results as ``text/plain`` (canonical: logs, nbgrader feedback, tests)
and ``text/html`` (JupyterLab) from the same rows (:func:`_rows`), so the two never disagree.
The HTML is escaped, uses fixed inline styles and contains nothing random (no ids, no time),
so the same results always give the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import replace
from enum import Enum
from typing import Any

from grader.checks.messages import number
from grader.records import frozen

__all__ = ["CheckResult", "Report", "Status"]


class Status(str, Enum):
    """How an expectation ended. ``str(Status.PASSED) == "PASSED"``."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"

    def __str__(self) -> str:
        return self.value


@frozen
class CheckResult:
    """One verdict. ``points`` is what was earned (``max_points`` when PASSED, else 0)."""

    expectation: str
    status: Status
    message: str = ""
    hint: str = ""
    rule: str = ""
    evidence: str = ""
    trace: str = ""
    points: float = 0.0
    max_points: float = 1.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def redacted(self, expectation: str) -> "CheckResult":
        """The same verdict for a hidden check: another sentence, no trace."""
        return replace(self, expectation=expectation, trace="")

    def text(self) -> str:
        """This result alone, as :meth:`Report.text` renders it."""
        return _text(_rows((self,)))

    def html(self) -> str:
        return _html(_rows((self,)), "")

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}


@frozen
class Report:
    """Every result of one run, in order."""

    results: tuple[CheckResult, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", tuple(self.results))

    @property
    def passed(self) -> bool:
        """True when there is at least one result and every result PASSED (a skip is not a pass)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def score(self) -> float:
        return round(sum(r.points for r in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_points for r in self.results), 6)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def summary(self) -> str:
        """``3 of 4 checks passed (1 failed), score 3/4``."""
        others = [f"{self.count(s)} {s.value.lower()}" for s in (Status.FAILED, Status.ERROR, Status.SKIPPED)
                  if self.count(s)]
        extra = f" ({', '.join(others)})" if others else ""
        total = len(self.results)
        noun = "check" if total == 1 else "checks"
        return (f"{self.count(Status.PASSED)} of {total} {noun} passed{extra}, "
                f"score {number(self.score)}/{number(self.max_score)}")

    def text(self) -> str:
        """The canonical rendering: a summary line, then one block per result."""
        body = _text(_rows(self.results))
        return f"{self.summary()}\n\n{body}" if body else self.summary()

    def html(self) -> str:
        return _html(_rows(self.results), self.summary())

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}


# ---------------------------------------------------------------------- one renderer


@frozen
class _Row:
    status: Status
    title: str
    points: str
    lines: tuple[tuple[str, str], ...]  # (label, text); label "" = the message
    blocks: tuple[tuple[str, str], ...]  # (label, preformatted text)


def _rows(results: tuple[CheckResult, ...]) -> list[_Row]:
    """What both renderers show. A PASSED result is one line; others carry their explanation."""
    rows = []
    for r in results:
        points = f"{number(r.points)}/{number(r.max_points)}"
        if r.passed:
            rows.append(_Row(r.status, r.expectation, points, (), ()))
            continue
        lines = [("", r.message)] if r.message else []
        if r.hint:
            lines.append(("hint", r.hint))
        if r.rule and r.rule not in r.message:
            lines.append(("rule", r.rule))
        blocks = [(label, text) for label, text in (("evidence", r.evidence), ("trace", r.trace)) if text]
        rows.append(_Row(r.status, r.expectation, points, tuple(lines), tuple(blocks)))
    return rows


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _text(rows: list[_Row]) -> str:
    out = []
    for row in rows:
        out.append(f"{row.status.value:<7} {row.title}  [{row.points}]")
        for label, text in row.lines:
            out.append(_indent(f"{label}: {text}" if label else text, "        "))
        for label, text in row.blocks:
            out.append(f"        {label}:")
            out.append(_indent(text, "          "))
    return "\n".join(out)


_COLOURS = {Status.PASSED: "#1a7f37", Status.FAILED: "#cf222e", Status.ERROR: "#9a6700", Status.SKIPPED: "#57606a"}


def _html(rows: list[_Row], summary: str) -> str:
    esc = html.escape
    out = ['<div class="kports-report" style="font-family:sans-serif;line-height:1.4">']
    if summary:
        out.append(f'<p class="kports-summary"><b>{esc(summary)}</b></p>')
    out.append('<ul style="list-style:none;padding-left:0;margin:0">')
    for row in rows:
        colour = _COLOURS[row.status]
        out.append(f'<li class="kports-{row.status.value.lower()}" style="margin:0.4em 0">'
                   f'<span style="color:{colour};font-weight:bold;font-family:monospace">{esc(row.status.value)}</span> '
                   f'{esc(row.title)} <span style="color:#57606a">[{esc(row.points)}]</span>')
        for label, text in row.lines:
            head = f"<b>{esc(label)}:</b> " if label else ""
            out.append(f'<div style="margin-left:2em">{head}{esc(text)}</div>')
        for label, text in row.blocks:
            out.append(f'<details style="margin-left:2em"><summary>{esc(label)}</summary>'
                       f'<pre style="margin:0.2em 0">{esc(text)}</pre></details>')
        out.append("</li>")
    out.append("</ul></div>")
    return "\n".join(out)
