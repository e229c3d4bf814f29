"""The ``%%manifest NAME`` cell magic: the cell's text becomes the learner's manifest ``NAME``.

::

    %%manifest web
    apiVersion: v1
    kind: Service
    ...

The text is saved on the :class:`~grader.nb.lab.Lab` (``lab.manifests["web"]``), applied to a
scratch simulated cluster, and kubectl's answer is the cell's output: ``service/web created``,
any ``Warning:`` lines, or the API server's exact rejection. Nothing the learner writes makes
the cell show a Python traceback.
"""

from __future__ import annotations

from typing import Any

from grader.nb.display import Message

__all__ = ["USAGE", "register"]

USAGE = "usage: %%manifest NAME, then the manifest's YAML on the following lines (NAME like web)"


def register(shell: Any, lab: Any) -> None:
    """Register ``%%manifest`` on an IPython ``shell``, saving into ``lab``."""

    def manifest(line: str, cell: str) -> Any:
        words = line.split()
        if len(words) != 1:
            return Message(USAGE)
        try:
            return lab.manifest(words[0], cell)
        except Exception as exc:  # the learner must never see the grader's internals
            return Message(f"could not read manifest {words[0]!r}: {type(exc).__name__}: {exc}")

    manifest.__doc__ = __doc__
    shell.register_magic_function(manifest, magic_kind="cell", magic_name="manifest")
