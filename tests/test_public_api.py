"""The public surface of ``grader`` is exactly ``__all__``, sorted, and every name resolves."""

from __future__ import annotations

import grader


def test_all_is_sorted_and_exact():
    assert grader.__all__ == sorted(grader.__all__)
    assert grader.__all__ == [
        "ApplyResult",
        "BackendUnavailable",
        "Cluster",
        "CommandOutput",
        "GraderError",
        "ManifestError",
        "NotFoundError",
        "ObjectResult",
        "Topology",
        "UsageError",
        "__version__",
    ]


def test_every_public_name_resolves():
    for name in grader.__all__:
        assert getattr(grader, name) is not None


def test_exceptions_share_one_base():
    for name in ("BackendUnavailable", "ManifestError", "NotFoundError", "UsageError"):
        assert issubclass(getattr(grader, name), grader.GraderError)
