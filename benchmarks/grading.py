"""Speed of grading. Prints one JSON document.

Measures:
- ``kports grade ASSIGNMENT/TASK FILE`` from the command line, wall time including interpreter
  start (fresh process each run; best and median of ``--runs``), plus a whole assignment;
- autograding ``--students`` submissions of the sample assignment (the reference answer and the
  known-wrong answers of tests/nbgrader_workflow/catalogue.yaml, in turn) with nbgrader alone
  (``nbgrader autograde``: one submission after another) and with ``kports autograde`` (its
  default number of workers, or ``--jobs N``),
  each in its own scratch course, and checks both gave every student the same score.

Targets (issue "grader and nbgrader workflow"): grading one task <= 0.3 s; the parallel wrapper
>= 1.8x faster than nbgrader alone on 2 cores. Needs nbgrader (pip install -e ".[test]").
Usage: ``python benchmarks/grading.py [--students 50] [--jobs N] [--runs 7] [--skip-autograde]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00-sample"
TASK = f"{ASSIGNMENT}/myapp_reachable_on_every_node_port_30008"
CATALOGUE = ROOT / "tests" / "nbgrader_workflow" / "catalogue.yaml"


def _env() -> dict[str, str]:
    env = dict(os.environ, KPORTS_BACKEND="sim")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    return env


def _wall(argv: list[str], cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True)
    return time.perf_counter() - start, done


def _cpu_of_children() -> float:
    """CPU seconds used so far by finished child processes (and their own children)."""
    times = os.times()
    return times.children_user + times.children_system


def _load() -> float:
    """The 1-minute load average: on a shared machine, wall times mean little without it."""
    return round(os.getloadavg()[0], 2)


def _answers() -> dict[str, str]:
    from grader.nb.assignments import SAMPLE

    return {s.answer: s.solution.strip() + "\n" for s in SAMPLE.sections}


def cli_grading(runs: int) -> dict:
    """``kports grade`` in fresh interpreters: one task, then the whole assignment."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, text in _answers().items():
            (Path(tmp) / f"{name}.yaml").write_text(text, encoding="utf-8")
            files.append(str(Path(tmp) / f"{name}.yaml"))
        for label, argv in (("one_task", ["grade", TASK, files[0]]), ("whole_assignment", ["grade", ASSIGNMENT, *files])):
            times = []
            for _ in range(runs):
                seconds, done = _wall([sys.executable, "-m", "grader", *argv])
                if done.returncode != 0:
                    raise SystemExit(f"kports {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
                times.append(seconds)
            out[label] = {"best_s": round(min(times), 3), "median_s": round(statistics.median(times), 3), "runs": runs}
        seconds, _ = _wall([sys.executable, "-c", "pass"])
        out["bare_interpreter_s"] = round(seconds, 3)
    out["target_s"] = 0.3
    out["load_average"] = _load()
    out["one_task_within_target"] = out["one_task"]["best_s"] <= 0.3
    return out


def _course(base: Path, students: int) -> Path:
    """A scratch course with the sample released and ``students`` submissions."""
    import nbformat

    from grader.nb.nbgrader_api import nbgrader_path
    from grader.nb.release import release

    base.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", base / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, base / "solutions" / ASSIGNMENT)
    with nbgrader_path():
        release(base, [ASSIGNMENT], in_place=True)
    release_nb = nbformat.read(base / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    wrong = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    for i in range(students):
        answers = _answers()
        if i % 3:  # two in three submissions carry one known-wrong answer
            entry = wrong[i % len(wrong)]
            answers[entry["answer"]] = entry["manifest"]
        nb = copy.deepcopy(release_nb)
        for cell in nb.cells:
            if cell.get("id", "").startswith("answer-"):
                name = cell["id"].removeprefix("answer-")
                cell.source = f"%%manifest {name}\n{answers[name]}"
        folder = base / "submitted" / f"student-{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return base


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(ASSIGNMENT)}


def autograding(students: int, jobs: int | None) -> dict:
    """nbgrader alone vs ``kports autograde`` (as shipped, or ``--jobs N``) on the same submissions."""
    from grader.nb.autograde import default_jobs

    with tempfile.TemporaryDirectory() as tmp:
        alone = _course(Path(tmp) / "alone", students)
        wrapped = Path(tmp) / "wrapped"
        shutil.copytree(alone, wrapped)
        load_before, cpu0 = _load(), _cpu_of_children()
        seq_s, seq = _wall([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], cwd=alone)
        cpu1 = _cpu_of_children()
        par_s, par = _wall([sys.executable, "-m", "grader", "autograde", ASSIGNMENT,
                            *(["--jobs", str(jobs)] if jobs else []),
                            "--root", str(wrapped)])
        cpu2, load_after = _cpu_of_children(), _load()
        if seq.returncode or par.returncode:
            raise SystemExit(f"autograde failed:\n{seq.stderr[-3000:]}\n{par.stderr[-3000:]}")
        same = _scores(alone) == _scores(wrapped)
    return {
        "students": students,
        "jobs": jobs or default_jobs(),
        "cpus": os.cpu_count(),
        "nbgrader_alone_s": round(seq_s, 2),
        "kports_autograde_s": round(par_s, 2),
        "nbgrader_alone_cpu_s": round(cpu1 - cpu0, 2),
        "kports_autograde_cpu_s": round(cpu2 - cpu1, 2),
        "load_average_before_after": [load_before, load_after],
        "speedup": round(seq_s / par_s, 2),
        "target_speedup": 1.8,
        "same_scores": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: kports autograde's own default)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-autograde", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    report = {"cli_grade": cli_grading(args.runs)}
    if not args.skip_autograde:
        report["autograde"] = autograding(args.students, args.jobs)
    print(json.dumps(report, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
