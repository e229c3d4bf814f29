"""Speed and memory of the simulated API server. Prints one JSON document.

Measures:
- cold ``import grader`` and ``import grader`` + the simulator (fresh interpreters, best of 5);
- applying every reference scenario's manifests (``tests/scenarios/api/*.yaml``), YAML included;
- applying 10,000 Services and 150,000 Pods into one cluster (parsed manifests, 1,000 objects per
  ``apply`` call), in a fresh interpreter, with its peak RSS.

Targets (issue "Foundation"): import <= 150 ms; 10k Services + 150k Pods <= 60 s and <= 4 GB.
Usage: ``python benchmarks/api.py [--services N] [--pods N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios" / "api"


def _cold_import(statement: str, runs: int = 5) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    return min(times)


def _scenarios() -> dict:
    from grader.sim.cluster import Cluster

    files = sorted(SCENARIOS.glob("*.yaml"))
    start = time.perf_counter()
    objects = 0
    for path in files:
        result = Cluster(seed=0).apply(path.read_bytes(), source=path.name)
        objects += len(result.objects)
    elapsed = time.perf_counter() - start
    return {"files": len(files), "objects": objects, "seconds": round(elapsed, 4)}


def _service(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{i}", "labels": {"app": f"app-{i % 500}"}},
        "spec": {"selector": {"app": f"app-{i % 500}"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


def _pod(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i}", "labels": {"app": f"app-{i % 500}"}},
        "spec": {"containers": [{"name": "web", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                 "args": ["netexec", "--http-port=8080"],
                                 "ports": [{"name": "http", "containerPort": 8080}]}]},
    }


def _bulk(services: int, pods: int) -> dict:
    """Runs in a fresh interpreter (``--bulk-child``) so its peak RSS is its own."""
    from grader.sim.cluster import Cluster

    cluster = Cluster(seed=0)
    start = time.perf_counter()
    rejected = 0
    for make, count in ((_service, services), (_pod, pods)):
        for chunk in range(0, count, 1000):
            batch = [make(i) for i in range(chunk, min(chunk + 1000, count))]
            rejected += len(cluster.apply(batch, source="bulk").errors)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "services": services,
        "pods": pods,
        "rejected": rejected,
        "seconds": round(elapsed, 2),
        "objects_per_second": round((services + pods) / elapsed),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--pods", type=int, default=150_000)
    parser.add_argument("--bulk-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.bulk_child:
        print(json.dumps(_bulk(args.services, args.pods)))
        return
    child = subprocess.run(
        [sys.executable, __file__, "--bulk-child", "--services", str(args.services), "--pods", str(args.pods)],
        capture_output=True, text=True, check=True,
    )
    report = {
        "benchmark": "api",
        "python": sys.version.split()[0],
        "import_grader_ms": round(_cold_import("import grader") * 1000, 1),
        "import_grader_with_simulator_ms": round(_cold_import("import grader; grader.Cluster") * 1000, 1),
        "reference_scenarios": _scenarios(),
        "bulk_apply": json.loads(child.stdout),
        "targets": {"import_ms": 150, "bulk_seconds": 60, "bulk_peak_rss_mib": 4096},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
