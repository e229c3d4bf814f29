"""``kports grade``, ``kports release`` and ``kports autograde``: the course's instructor commands.

``kports grade ASSIGNMENT/TASK FILE...`` grades manifests without executing any notebook:
the files are read as data (size limit, strict UTF-8, safe YAML loader), applied after the
task's provided manifests to a fresh cluster, and the task's expectations (public and hidden)
decide. ``kports grade ASSIGNMENT FILE...`` grades every task, matching files to the
manifests the tasks grade by file name (``web.yaml`` is the manifest ``web``).

Exit codes: 0 every task passed, 1 some did not, 2 the command itself was wrong (unknown
assignment or task, a file that does not exist, a file name that matches no manifest).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from grader.errors import ManifestError, UsageError

__all__ = ["add_parsers", "run_command"]

COMMANDS = ("grade", "release", "autograde")


def add_parsers(sub: Any) -> None:
    """Add the three commands to ``kports``' sub-parsers."""
    grade = sub.add_parser("grade", help="grade manifest files against a task, without running a notebook")
    grade.add_argument("task", metavar="ASSIGNMENT[/TASK]", help="e.g. 00-sample/myapp_reachable_on_every_node_port_30008")
    grade.add_argument("files", nargs="+", metavar="FILE", help="the learner's manifest file(s)")
    grade.add_argument("--backend", default=None, help="sim (default: $KPORTS_BACKEND, then sim), netns or kube")
    grade.add_argument("--json", action="store_true", help="print JSON: per task and per expectation status and points")
    grade.add_argument("--trace", action="store_true", help="include every probe's hop-by-hop trace")

    release = sub.add_parser("release", help="regenerate exercises/ from solutions/ with nbgrader")
    release.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every one in solutions/")
    release.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: .)")
    release.add_argument("--check", action="store_true", help="only report assignments whose release is stale")

    auto = sub.add_parser("autograde", help="nbgrader autograde, several submissions at a time")
    auto.add_argument("assignment", metavar="ASSIGNMENT")
    auto.add_argument("--students", nargs="*", default=None, metavar="STUDENT", help="default: every submission")
    auto.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count + 1)")
    auto.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: .)")
    auto.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: nbgrader_config.py)")


def run_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run one of :data:`COMMANDS`; usage problems print one line and return 2."""
    try:
        if args.command == "grade":
            return _grade(args, stdout)
        if args.command == "release":
            from grader.nb.release import release_command

            return release_command(args.root, args.assignments, check=args.check, stdout=stdout, stderr=stderr)
        from grader.nb.autograde import autograde_command

        return autograde_command(args.root, args.assignment, students=args.students, jobs=args.jobs,
                                 timeout=args.timeout, stdout=stdout, stderr=stderr)
    except UsageError as exc:
        print(f"error: {exc}", file=stderr)
        return 2


# ---------------------------------------------------------------------- grade


def _read(name: str) -> tuple[str, Any]:
    """A learner's file as bytes; a missing path is a usage error, an oversized one an answer problem."""
    from grader.model.yamlload import read_source

    path = Path(name)
    if not path.is_file():
        raise UsageError(f'the path "{name}" does not exist' if not path.exists() else f'"{name}" is not a file')
    try:
        return name, read_source(path)
    except ManifestError as exc:
        return name, exc  # graded as a manifest that kubectl could not read


def _grade(args: argparse.Namespace, stdout: TextIO) -> int:
    from grader.nb.grading import grade_task
    from grader.nb.tasks import find_task, load_assignment

    files = [_read(name) for name in args.files]
    if "/" in args.task:
        tasks = [find_task(args.task)]
        answers = {tasks[0].answer: files}
    else:
        assignment = load_assignment(args.task)
        tasks = list(assignment.tasks)
        answers = _by_name(files, assignment.answers)
    results = []
    for task in tasks:
        results.append(grade_task(task, answers.get(task.answer) or None, backend=args.backend))
    if args.json:
        json.dump(_summary(args.task, results), stdout, indent=2, sort_keys=True)
        stdout.write("\n")
    else:
        stdout.write("\n\n".join(r.text(traces=args.trace) for r in results) + "\n")
    return 0 if all(r.passed for r in results) else 1


def _by_name(files: list[tuple[str, Any]], names: tuple[str, ...]) -> dict[str, list[tuple[str, Any]]]:
    found: dict[str, list[tuple[str, Any]]] = {}
    for source, data in files:
        stem = Path(source).name.split(".")[0]
        if stem not in names:
            raise UsageError(f"{source}: the file name must be one of the manifests this assignment grades: "
                             f"{', '.join(n + '.yaml' for n in names)}")
        found.setdefault(stem, []).append((source, data))
    return found


def _summary(ref: str, results: list[Any]) -> dict[str, Any]:
    return {
        "graded": ref,
        "passed": all(r.passed for r in results),
        "score": round(sum(r.score for r in results), 6),
        "max_score": round(sum(r.max_score for r in results), 6),
        "tasks": [r.as_dict() for r in results],
    }
