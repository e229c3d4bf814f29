"""Regenerate ``exercises/`` from ``solutions/`` with ``nbgrader generate_assignment``.

``python -m grader.nb.release`` (or ``kports release``) releases every assignment folder of
``solutions/`` (or the ones named). nbgrader runs in a scratch copy of the course, so no
gradebook or log lands in the repository; the released folder then replaces
``exercises/<assignment>/``. The output is byte-for-byte reproducible (nbgrader keeps cell
ids and writes sorted JSON), which is what lets CI check that the committed release is
up to date: ``kports release --check`` exits 1 when it is not.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence, TextIO

from grader.errors import UsageError
from grader.nb.nbgrader_api import api_for, course_config, nbgrader_path

__all__ = ["find_assignments", "main", "release", "release_command", "stale"]


def find_assignments(root: Path) -> list[str]:
    """Assignment folders of ``solutions/`` that hold a notebook, sorted."""
    solutions = Path(root) / "solutions"
    if not solutions.is_dir():
        return []
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def release(root: Path, assignments: Sequence[str] | None = None, *, into: Path | None = None,
            in_place: bool = False) -> list[Path]:
    """Release ``assignments`` (default: all) into ``into`` (default: ``root/exercises``).

    nbgrader runs in a scratch copy of the course, unless ``in_place``: then it runs in
    ``root`` itself and leaves its gradebook there, ready for ``autograde`` (an instructor's
    course directory, a test's scratch course; never the repository).
    """
    root = Path(root).resolve()
    names = list(assignments) if assignments else find_assignments(root)
    unknown = [n for n in names if not (root / "solutions" / n).is_dir()]
    if unknown:
        raise UsageError(f"no folder solutions/{unknown[0]} in {root}")
    target = Path(into) if into is not None else root / "exercises"
    with tempfile.TemporaryDirectory(prefix="kports-release-") as tmp:
        work = root if in_place else Path(tmp)
        if not in_place:
            for name in names:
                shutil.copytree(root / "solutions" / name, work / "solutions" / name)
        api = api_for(course_config(root, workdir=work))
        written = []
        for name in names:
            with nbgrader_path():
                outcome = api.generate_assignment(name, force=True, create=True)
            if not outcome.get("success"):
                raise UsageError(f"nbgrader generate_assignment {name} failed:\n{outcome.get('log', '')}"
                                 f"{outcome.get('error', '')}")
            dest = target / name
            if dest.resolve() != (work / "exercises" / name).resolve():
                if dest.exists():
                    shutil.rmtree(dest)
                shutil.copytree(work / "exercises" / name, dest)
            written.append(dest)
    return written


def _same_tree(a: Path, b: Path) -> bool:
    if not a.is_dir() or not b.is_dir():
        return False
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def stale(root: Path, assignments: Sequence[str] | None = None) -> list[str]:
    """Assignments whose committed ``exercises/`` differs from a fresh release (byte for byte)."""
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="kports-release-check-") as tmp:
        fresh = release(root, assignments, into=Path(tmp))
        return [p.name for p in fresh if not _same_tree(p, root / "exercises" / p.name)]


def release_command(root: Path, assignments: Sequence[str], *, check: bool = False,
                    stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """``kports release [--check] [ASSIGNMENT...]``."""
    if not (find_assignments(root) or assignments):
        raise UsageError(f"no assignments in {Path(root) / 'solutions'}")
    if check:
        out_of_date = stale(root, assignments or None)
        for name in out_of_date:
            print(f"exercises/{name} is out of date: run kports release {name}", file=stderr)
        return 1 if out_of_date else 0
    for path in release(root, assignments or None):
        print(f"released {path}", file=stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m grader.nb.release [--root DIR] [--check] [ASSIGNMENT...]``."""
    parser = argparse.ArgumentParser(prog="python -m grader.nb.release", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        return release_command(args.root, args.assignments, check=args.check)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
