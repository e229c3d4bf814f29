"""nbgrader configuration for the course (read from the repository root, where nbgrader runs).

``solutions/<NN-slug>/`` is nbgrader's *source* step and ``exercises/<NN-slug>/`` its
*release* step; ``kports release`` regenerates the release and CI checks it is up to date.
The per-cell timeout follows the backend the grading kernels use (``KPORTS_BACKEND``): the
simulator answers in milliseconds, a real data plane or a real cluster needs time to start
pods. A cell that runs longer is interrupted and scores zero; the cells after it still run.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

CELL_TIMEOUTS = {"sim": 30, "netns": 120, "kube": 600}
"""Seconds one cell may run during autograde/validate, per backend."""

_backend = os.environ.get("KPORTS_BACKEND") or "sim"

c.CourseDirectory.course_id = "kubernetes-ports-hands-on"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

c.ExecutePreprocessor.timeout = CELL_TIMEOUTS.get(_backend, CELL_TIMEOUTS["kube"])
c.ExecutePreprocessor.startup_timeout = 60

# Answers are manifests in %%manifest cells: the stub is a YAML comment, not Python.
c.ClearSolutions.code_stub = {"python": "# YOUR MANIFEST HERE"}

# A learner who deletes a graded cell gets it back (and its checks run) instead of a blank.
c.OverwriteCells.add_missing_cells = True
