"""Speed of the netns backend (a real Linux data plane), side by side with the simulator. Prints JSON.

Two scenarios, each run on both backends (issue "Differential fidelity suite"):

- ``grading``: the reference grading scenario of ``shared/reference/netns-dataplane.md``: the
  kind cluster (3 nodes), 6 pods, 6 Services (one with a wrong targetPort, one with a selector
  typo, one NodePort with ``externalTrafficPolicy: Local``), 22 probes: 14 reached, 5 refused,
  3 timed out. Target: build, rules, probes and teardown on netns in <= 1.5 s (reported with
  and without starting the agent).
- ``scale``: 3 nodes, 50 pods (10 Deployments of 5), 200 Services (every 10th a NodePort), 300
  probes from pods, nodes and the outside client.

Phases on netns: ``start`` (agent and its self-test), ``plan`` (the simulator's state as a
plan), ``build`` (namespaces, links, addresses, routes, waiting for carriers, listeners),
``rules`` (one ``iptables-restore`` per node), ``probes`` (real curl, one batch), ``teardown``
(and the check that nothing is left: no namespace, no process, no ``kp`` link, the host's
iptables rules unchanged); ``scenario_s`` is plan to teardown (what the target is about: the
agent starts once per backend), ``total_s`` includes the start. The simulator's phases:
``build`` (cluster and apply) and ``probes``.
Every probe's real outcome, pod and client IP must be one the simulator says is possible
(``mismatches``). ``ratio`` is netns time over simulator time.

Where the backend cannot run, prints ``{"available": false, "reason": ...}`` and exits 0.
Usage: ``python benchmarks/netns.py [--connect-timeout 0.5] [--scale-probes 300]`` (as root).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
CP, W1, W2 = "172.18.0.2", "172.18.0.3", "172.18.0.4"
TARGET_GRADING_S = 1.5

GRADING = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: kind-worker}}
      containers: [{{name: web, image: "{AGNHOST}", args: ["netexec", "--http-port=8080"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: api, labels: {{app: api}}}}
spec:
  nodeName: kind-worker2
  containers: [{{name: api, image: "{AGNHOST}", args: ["netexec", "--http-port=8080"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: db, labels: {{app: db}}}}
spec:
  nodeName: kind-worker
  containers: [{{name: mysql, image: "mysql:8.4", env: [{{name: MYSQL_ROOT_PASSWORD, value: pw}}]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client-w1}}
spec:
  nodeName: kind-worker
  containers: [{{name: curl, image: "curlimages/curl:8.11.1", command: ["sleep", "infinity"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client-w2}}
spec:
  nodeName: kind-worker2
  containers: [{{name: curl, image: "curlimages/curl:8.11.1", command: ["sleep", "infinity"]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec: {{selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-np}}
spec: {{type: NodePort, selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080, nodePort: 30008}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-local}}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080, nodePort: 30080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: api-wrong-port}}
spec: {{selector: {{app: api}}, ports: [{{port: 80, targetPort: 9090}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: api-typo}}
spec: {{selector: {{app: apii}}, ports: [{{port: 80, targetPort: 8080}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: db}}
spec: {{selector: {{app: db}}, ports: [{{port: 3306}}]}}
"""

# (source, url, expected outcome); {ip:POD} and {cip:SERVICE} are looked up after applying.
GRADING_PROBES = [
    ("pod/client-w1", "web/hostname", "REACHED"),
    ("pod/client-w2", "web/hostname", "REACHED"),
    ("outside", f"{CP}:30008/hostname", "REACHED"),
    ("outside", f"{W1}:30008/hostname", "REACHED"),
    ("outside", f"{W2}:30008/hostname", "REACHED"),
    ("node/kind-worker", "127.0.0.1:30008/clientip", "REACHED"),
    ("pod/client-w1", "db:3306", "REACHED"),
    ("pod/client-w2", "{ip:db}:3306", "REACHED"),
    ("pod/client-w2", "{ip:api}:8080/clientip", "REACHED"),
    ("outside", f"{W1}:30080/clientip", "REACHED"),
    ("pod/client-w2", f"{W2}:30080/clientip", "REACHED"),
    ("pod/client-w1", "web-np/hostname", "REACHED"),
    ("node/kind-control-plane", "{cip:web}:80/clientip", "REACHED"),
    ("pod/client-w2", "web-local/clientip", "REACHED"),
    ("pod/client-w1", "api-wrong-port", "REFUSED"),
    ("pod/client-w1", "api-typo", "REFUSED"),
    ("outside", f"{W1}:80", "REFUSED"),
    ("pod/client-w2", "{ip:api}:9090", "REFUSED"),
    ("outside", f"{W2}:8080", "REFUSED"),
    ("outside", f"{W2}:30080", "TIMEOUT"),
    ("pod/client-w1", "web:8080", "TIMEOUT"),
    ("outside", "{cip:web}:80", "TIMEOUT"),
]


def _scale_manifests(services: int = 200) -> list[dict]:
    objects: list[dict] = [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app-{i}"},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"app": f"app-{i}"}},
                 "template": {"metadata": {"labels": {"app": f"app-{i}"}},
                              "spec": {"containers": [{"name": "web", "image": AGNHOST,
                                                       "args": ["netexec", "--http-port=8080"]}]}}},
    } for i in range(10)]
    for i in range(services):
        spec: dict = {"selector": {"app": f"app-{i % 10}"}, "ports": [{"port": 80, "targetPort": 8080}]}
        if i % 10 == 0:
            spec["type"] = "NodePort"
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"}, "spec": spec})
    return objects


def _scale_probes(cluster: Any, count: int) -> list[tuple[str, str]]:
    rng = random.Random(0)
    pods = sorted(p.name for p in cluster.list("pods") if p.status.phase == "Running")
    services = sorted((s for s in cluster.list("services") if s.name.startswith("svc-")), key=lambda s: s.name)
    nodes = [n for n in cluster.topology.nodes]
    probes = []
    for i in range(count):
        svc = services[i % len(services)]
        kind = i % 4
        if kind == 0 and svc.spec.ports[0].node_port:
            probes.append(("outside", f"{rng.choice(nodes).ip}:{svc.spec.ports[0].node_port}/hostname"))
        elif kind == 1:
            probes.append((f"node/{rng.choice(nodes).name}", f"{svc.spec.cluster_ip}:80/hostname"))
        elif kind == 2:
            probes.append((f"pod/{rng.choice(pods)}", f"{svc.spec.cluster_ip}:8080"))  # not a Service port
        else:
            probes.append((f"pod/{rng.choice(pods)}", f"{svc.name}/hostname"))
    return probes


def _fill(url: str, cluster: Any) -> str:
    for pod in cluster.list("pods"):
        url = url.replace(f"{{ip:{pod.name}}}", pod.status.pod_ip or "")
    for svc in cluster.list("services"):
        url = url.replace(f"{{cip:{svc.name}}}", svc.spec.cluster_ip)
    return url


def _key(result: Any) -> tuple:
    return (result.outcome, result.answered_by, result.client_ip)


def simulate(manifests: Any, probes: list[tuple[str, str]] | None, scale_probes: int) -> dict:
    """The same scenario on the simulator: build, then every probe (one possible result each)."""
    from grader.sim.cluster import Cluster
    from grader.sim.probe import curl

    start = time.perf_counter()
    cluster = Cluster("kind", seed=0)
    applied = cluster.apply(manifests)
    built = time.perf_counter()
    pairs = [(s, _fill(u, cluster)) for s, u in probes] if probes is not None else _scale_probes(cluster, scale_probes)
    outcomes: dict[str, int] = {}
    for source, url in pairs:
        result = curl(cluster, source, url)
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    done = time.perf_counter()
    return {"applied_cleanly": applied.ok, "build_s": round(built - start, 4), "probes_s": round(done - built, 4),
            "total_s": round(done - start, 4), "outcomes": outcomes}


def on_netns(manifests: Any, probes: list[tuple[str, str]] | None, scale_probes: int, connect_timeout: float) -> dict:
    """The scenario on the kernel, phase by phase, checked against the simulator probe by probe."""
    from grader.backends.netns import NetnsBackend, root_snapshot
    from grader.sim.probe import curl

    before = root_snapshot()
    start = time.perf_counter()
    backend = NetnsBackend("kind", seed=0, connect_timeout=connect_timeout)
    reason = backend.available()
    if reason is not None:
        backend.close()
        return {"available": False, "reason": reason}
    started = time.perf_counter()
    try:
        applied = backend.apply(manifests)
        pairs = ([(s, _fill(u, backend.cluster)) for s, u in probes] if probes is not None
                 else _scale_probes(backend.cluster, scale_probes))
        backend.sync()
        synced = time.perf_counter()
        results = backend.curl_many(pairs)
        probed = time.perf_counter()
        mismatches = []
        for (source, url), real in zip(pairs, results):
            possible = curl(backend.cluster, source, url, every=True)
            if _key(real) not in {_key(r) for r in possible}:  # type: ignore[union-attr]
                mismatches.append(f"{source} -> {url}: kernel {_key(real)}, simulator {sorted({_key(r) for r in possible})}")  # type: ignore[union-attr]
        stats = backend.timings["realise"][-1]
    finally:
        closing = time.perf_counter()
        backend.close()
        ended = time.perf_counter()
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    build = sum(stats[k] for k in ("delete_seconds", "namespaces_seconds", "links_seconds", "settle_seconds",
                                   "listeners_seconds"))
    return {
        "applied_cleanly": applied.ok,
        "start_s": round(started - start, 4),
        "plan_s": round(synced - started - stats["seconds"], 4),
        "build_s": round(build, 4),
        "rules_s": round(stats["rules_seconds"], 4),
        "probes_s": round(probed - synced, 4),
        "teardown_s": round(ended - closing, 4),
        "scenario_s": round(ended - started, 4),
        "total_s": round(ended - start, 4),
        "namespaces": stats["namespaces_added"],
        "links": stats["links_added"],
        "connect_timeout_s": connect_timeout,
        "outcomes": outcomes,
        "mismatches": mismatches,
        "teardown_leaves_nothing": backend.teardown_report.get("problems") == [] and root_snapshot() == before,
    }


def scenario(name: str, manifests: Any, probes: list[tuple[str, str]] | None, scale_probes: int,
             connect_timeout: float) -> dict:
    real = on_netns(manifests, probes, scale_probes, connect_timeout)
    if real.get("available") is False:
        return real
    sim = simulate(manifests, probes, scale_probes)
    report = {"netns": real, "simulator": sim,
              "ratio_scenario": round(real["scenario_s"] / sim["total_s"], 1) if sim["total_s"] else None,
              "ratio_total": round(real["total_s"] / sim["total_s"], 1) if sim["total_s"] else None}
    if name == "grading":
        expected: dict[str, int] = {}
        for _, _, outcome in GRADING_PROBES:
            expected[outcome] = expected.get(outcome, 0) + 1
        report["expected_outcomes"] = expected
        report["target_s"] = TARGET_GRADING_S
        report["scenario_within_target"] = real["scenario_s"] <= TARGET_GRADING_S
        report["total_within_target"] = real["total_s"] <= TARGET_GRADING_S
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect-timeout", type=float, default=0.5)
    parser.add_argument("--scale-probes", type=int, default=300)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from grader.backends.netns import static_reason

    header = {"benchmark": "netns", "python": sys.version.split()[0], "kernel": platform.release(),
              "cpus": os.cpu_count()}
    reason = static_reason()
    if reason is None:
        grading = scenario("grading", GRADING, [(s, u) for s, u, _ in GRADING_PROBES], 0, args.connect_timeout)
        reason = grading.get("reason") if grading.get("available") is False else None
    if reason is not None:
        print(json.dumps({**header, "available": False, "reason": reason}, indent=2))
        return
    scale = scenario("scale", _scale_manifests(), None, args.scale_probes, args.connect_timeout)
    report = {**header, "available": True,
              "grading": {"nodes": 3, "pods": 6, "services": 6, "probes": len(GRADING_PROBES), **grading},
              "scale": {"nodes": 3, "pods": 50, "services": 200, "probes": args.scale_probes, **scale}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
