"""Shared test helpers: build objects from YAML so tests read like manifests."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from grader.model.kinds import decode_document
from grader.model.yamlload import load_documents


def manifest(text: str, namespace: str = "default"):
    """Decode the first document of ``text``; namespaced objects land in ``namespace``."""
    obj = decode_document(load_documents(textwrap.dedent(text))[0])
    if obj.NAMESPACED and not obj.metadata.namespace:
        obj = obj.replace(metadata=dataclasses.replace(obj.metadata, namespace=namespace))
    return obj


@pytest.fixture
def cluster():
    from grader.sim.cluster import Cluster

    return Cluster(seed=0)
