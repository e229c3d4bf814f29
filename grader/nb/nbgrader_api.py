"""The few things every nbgrader step here needs: the course's config, an API, a usable PATH.

nbgrader reads ``nbgrader_config.py`` from the course root; :func:`course_config` loads that
same file and then points the course at another directory (a scratch copy), so release and
parallel autograde run nbgrader exactly as configured without writing a gradebook, logs or
``submitted/`` into the repository. nbgrader starts ``alembic`` by name when it creates a
gradebook, so :func:`nbgrader_path` puts this interpreter's ``bin`` directory on ``PATH``
(a virtualenv used as ``.venv/bin/python -m pytest`` is not on it).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from grader.errors import UsageError

__all__ = ["CONFIG_FILE", "api_for", "course_config", "nbgrader_path", "require_nbgrader"]

CONFIG_FILE = "nbgrader_config.py"


def require_nbgrader() -> None:
    """Raise :class:`UsageError` with the install hint when nbgrader is missing."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise UsageError('nbgrader is not installed: pip install -e ".[instructor]"') from None


def course_config(root: Path, *, workdir: Path | None = None, timeout: int | None = None) -> Any:
    """The traitlets Config of the course at ``root``, optionally re-rooted at ``workdir``."""
    require_nbgrader()
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    config = Config()
    if (root / CONFIG_FILE).is_file():
        config.merge(PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config())
    where = Path(workdir).resolve() if workdir is not None else root
    config.CourseDirectory.root = str(where)
    config.CourseDirectory.db_url = f"sqlite:///{where / 'gradebook.db'}"
    if timeout is not None:
        config.ExecutePreprocessor.timeout = timeout
        config.Execute.timeout = timeout
    return config


def api_for(config: Any) -> Any:
    """An ``NbGraderAPI`` over ``config``."""
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(config=config)


@contextmanager
def nbgrader_path() -> Iterator[None]:
    """Run with this interpreter's scripts directory first on ``PATH`` (nbgrader calls ``alembic``)."""
    scripts = str(Path(sys.executable).parent)
    old = os.environ.get("PATH", "")
    if scripts in old.split(os.pathsep):
        yield
        return
    os.environ["PATH"] = scripts + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old
