"""The simulated network's edges: unknown apps, malformed URLs."""

from __future__ import annotations

import pytest

from grader.errors import UsageError
from grader.sim.cluster import Cluster
from grader.sim.probe import UNKNOWN, curl, parse_url

MYSTERY = """
apiVersion: v1
kind: Pod
metadata: {name: mystery}
spec: {containers: [{name: app, image: "example.com/mystery:1"}]}
"""


def test_an_unknown_app_makes_the_probe_say_it_cannot_know_instead_of_guessing():
    cluster = Cluster(seed=0)
    assert cluster.apply(MYSTERY).ok
    ip = cluster.get("pod", "mystery").status.pod_ip
    result = curl(cluster, "node/kind-worker", f"{ip}:8080")
    assert result.outcome == UNKNOWN and result.exit_code == -1
    assert 'listen.kports.dev/app: "8080/TCP"' in result.stderr


def test_the_listen_annotation_makes_an_unknown_app_answer():
    cluster = Cluster(seed=0)
    text = MYSTERY.replace("metadata: {name: mystery}",
                           'metadata: {name: mystery, annotations: {listen.kports.dev/app: "8080/TCP"}}')
    assert cluster.apply(text).ok
    ip = cluster.get("pod", "mystery").status.pod_ip
    assert curl(cluster, "node/kind-worker", f"{ip}:8080").outcome == "REACHED"
    assert curl(cluster, "node/kind-worker", f"{ip}:9090").outcome == "REFUSED"


def test_a_url_with_spaces_is_rejected_like_curl_does():
    with pytest.raises(UsageError, match=r"curl: \(3\) URL rejected: Malformed input to a URL function"):
        parse_url("web 80")
