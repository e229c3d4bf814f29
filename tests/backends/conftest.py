"""Shared fixtures of the backend tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def netns_reason():
    """Skip (with the backend's own reason) where the netns data plane cannot run: no root, no user namespaces."""
    from grader.backends.netns import NetnsBackend

    backend = NetnsBackend()
    try:
        reason = backend.available()
    finally:
        backend.close()
    if reason is not None:
        pytest.skip(f"netns backend unavailable: {reason}")
