"""Speed and memory of the simulated control plane and data plane. Prints one JSON document.

Two measurements (issue "The simulator's cluster and data plane"):
- course size: 3 nodes, 30 pods (10 Deployments of 3), 15 Services; build the cluster, then
  100 probes (mixed sources, Services, nodePorts, pod IPs). Target: total <= 100 ms.
- large: 5,000 nodes, 150,000 pods, 10,000 Services; build time and peak RSS (fresh
  interpreter), then probes from pods and from outside: median and p99 per probe. The data plane
  (``cluster.network()``: the snapshot of every pod, and the first probe, which builds the
  client node's rules) is built lazily, so it is timed apart (``dataplane_build_seconds``) and
  counted into ``ready_seconds`` = build + data plane. Targets: ready <= 60 s, <= 4 GB, probe
  median <= 1 ms.

Usage: ``python benchmarks/dataplane.py [--nodes N] [--pods N] [--services N] [--probes N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _deployment(i: int, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"app-{i}"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": f"app-{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"app-{i}"}},
                "spec": {"containers": [{"name": "web", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                         "args": ["netexec", "--http-port=8080"],
                                         "ports": [{"name": "http", "containerPort": 8080}]}]},
            },
        },
    }


def _service(i: int, app: int, node_port: bool) -> dict:
    spec: dict = {"selector": {"app": f"app-{app}"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    if node_port:
        spec["type"] = "NodePort"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"}, "spec": spec}


def _topology(nodes: int):
    from grader.sim.topology import Topology

    entries = [("kind-control-plane", "172.18.0.2", True)]
    entries += [(f"worker-{i}", f"172.{18 + (i + 3) // 65000}.{(i + 3) // 250 % 260}.{(i + 3) % 250 + 2}", False)
                for i in range(nodes - 1)]
    return Topology.build("large", entries, pod_cidr="10.0.0.0/8")


def course_size() -> dict:
    from grader.sim.cluster import Cluster
    from grader.sim.probe import curl

    start = time.perf_counter()
    cluster = Cluster(seed=0)
    objects = [_deployment(i, 3) for i in range(10)] + [_service(i, i % 10, i % 3 == 0) for i in range(15)]
    cluster.apply(objects, source="course.yaml")
    built = time.perf_counter()
    pods = [p.name for p in cluster.list("pods")]
    services = [s for s in cluster.list("services") if s.name.startswith("svc-")]
    rng = random.Random(0)
    node_ips = [n.ip for n in cluster.topology.nodes]
    outcomes: dict[str, int] = {}
    for i in range(100):
        svc = services[i % len(services)]
        if svc.spec.ports[0].node_port and i % 2:
            result = curl(cluster, "outside", f"{rng.choice(node_ips)}:{svc.spec.ports[0].node_port}/hostname")
        else:
            result = curl(cluster, f"pod/{rng.choice(pods)}", f"{svc.name}/hostname")
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    probed = time.perf_counter()
    return {
        "nodes": 3, "pods": len(pods), "services": len(services),
        "build_ms": round((built - start) * 1000, 1),
        "probes": 100, "probe_total_ms": round((probed - built) * 1000, 1),
        "total_ms": round((probed - start) * 1000, 1),
        "outcomes": outcomes,
    }


def large(nodes: int, pods: int, services: int, probes: int) -> dict:
    """Runs in a fresh interpreter (``--large-child``) so its peak RSS is its own."""
    from grader.sim.cluster import Cluster
    from grader.sim.probe import curl

    start = time.perf_counter()
    cluster = Cluster(_topology(nodes), seed=0)
    per_deploy = 15
    deploys = pods // per_deploy
    batch: list[dict] = []
    for i in range(deploys):
        batch.append(_deployment(i, per_deploy))
        if len(batch) == 200:
            cluster.apply(batch, source="large.yaml")
            batch = []
    for i in range(services):
        batch.append(_service(i, i % deploys, i % 20 == 0))
        if len(batch) == 1000:
            cluster.apply(batch, source="large.yaml")
            batch = []
    if batch:
        cluster.apply(batch, source="large.yaml")
    built = time.perf_counter()
    rng = random.Random(1)
    all_pods = cluster.list("pods")
    svc_names = [s.name for s in cluster.list("services") if s.name.startswith("svc-")]
    timings = []
    outcomes: dict[str, int] = {}
    client = all_pods[0].name
    listed = time.perf_counter()
    cluster.network()
    first = curl(cluster, f"pod/{client}", f"{svc_names[0]}/hostname")
    dataplane_seconds = time.perf_counter() - listed
    for i in range(probes):
        target = rng.choice(svc_names)
        t0 = time.perf_counter()
        result = curl(cluster, f"pod/{client}", f"{target}/hostname")
        timings.append(time.perf_counter() - t0)
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    timings.sort()
    return {
        "nodes": nodes, "pods": len(all_pods), "services": len(svc_names),
        "build_seconds": round(built - start, 2),
        "dataplane_build_seconds": round(dataplane_seconds, 2),
        "ready_seconds": round(built - start + dataplane_seconds, 2),
        "first_probe_outcome": first.outcome,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "probes": probes,
        "probe_median_ms": round(statistics.median(timings) * 1000, 3),
        "probe_p99_ms": round(timings[int(len(timings) * 0.99) - 1] * 1000, 3),
        "probe_max_ms": round(timings[-1] * 1000, 1),
        "outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=150_000)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--large-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.large_child:
        print(json.dumps(large(args.nodes, args.pods, args.services, args.probes)))
        return
    child = subprocess.run(
        [sys.executable, __file__, "--large-child", "--nodes", str(args.nodes), "--pods", str(args.pods),
         "--services", str(args.services), "--probes", str(args.probes)],
        capture_output=True, text=True, check=True,
    )
    report = {
        "benchmark": "dataplane",
        "python": sys.version.split()[0],
        "course_size": course_size(),
        "large": json.loads(child.stdout),
        "targets": {"course_total_ms": 100, "large_ready_seconds": 60, "large_peak_rss_mib": 4096,
                    "probe_median_ms": 1.0},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
