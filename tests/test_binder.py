"""binder/ (repo2docker) installs what README command 1 installs, on a Python the package supports.

repo2docker cannot run here (no Docker engine), so this checks the configuration against what
CI does run: README command 1 (`pip install -e ".[lab]"`, then the course) is executed by
``.ci/run``, and Binder must install exactly the same thing. Conventions: ../shared/reference/ecosystem.md §3.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_binder_installs_the_package_with_the_extras_of_readme_command_1():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command_1 = re.search(r'pip install -e "\.\[(\w+)\]" && \.venv/bin/jupyter lab course/', readme)
    assert command_1, "README command 1 no longer installs an extra and opens course/"
    assert _requirements() == [f"-e .[{command_1.group(1)}]"]


def test_the_binder_extra_brings_jupyterlab():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = re.fullmatch(r"-e \.\[(\w+)\]", _requirements()[0]).group(1)
    assert any(dep.startswith("jupyterlab") for dep in project["optional-dependencies"][extra])


def test_binder_python_satisfies_requires_python():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    version = tuple(int(part) for part in re.fullmatch(r"python-(\d+)\.(\d+)", runtime).groups())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = tuple(int(part) for part in re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"]).groups())
    assert version >= floor


def test_only_binder_configures_repo2docker():
    """With binder/ present repo2docker ignores root config files, and binder/ + .binder/ is an error."""
    assert not (ROOT / ".binder").exists()
    ignored = ("environment.yml", "requirements.txt", "runtime.txt", "apt.txt", "postBuild", "start", "Dockerfile")
    assert [name for name in ignored if (ROOT / name).exists()] == []


def test_the_binder_link_in_the_readme_opens_a_lesson_that_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = re.findall(r"urlpath=lab/tree/(\S+?\.ipynb)", readme)
    assert paths and all((ROOT / path).is_file() for path in paths)
