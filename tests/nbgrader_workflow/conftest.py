"""Fixtures for the nbgrader workflow: a scratch copy of the course and its fake submissions.

Nothing here writes into the repository: the course (``nbgrader_config.py``, ``solutions/``)
is copied to a temporary directory, nbgrader releases, autogrades and writes feedback there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "00-sample"

@pytest.fixture(scope="session")
def kernel_env():
    """Grading kernels import ``grader`` from this checkout and use the simulator."""
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "KPORTS_BACKEND")}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), saved["PYTHONPATH"]) if p)
    os.environ["KPORTS_BACKEND"] = "sim"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def course(tmp_path_factory, kernel_env) -> Path:
    """A scratch course root with the sample assignment released (and its gradebook)."""
    from grader.nb.release import release

    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    release(root, [ASSIGNMENT], in_place=True)
    return root
