"""``kubectl get`` and ``kubectl describe`` against a simulated cluster.

The rendering is pure (:mod:`grader.sim.printers`, :mod:`grader.sim.describe`); this module
fetches the objects and frames the result the way kubectl does: what goes to stdout, what to
stderr (``No resources found``, the v1 Endpoints deprecation warning, ``NotFound``), and the
exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.errors import UsageError
from grader.model.kinds import resource_for
from grader.model.objects import EndpointSlice, Endpoints, Pod, Service
from grader.sim import describe, printers
from grader.sim.results import CommandOutput

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster

__all__ = ["ENDPOINTS_DEPRECATION", "kubectl_describe", "kubectl_get"]

ENDPOINTS_DEPRECATION = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def _unknown(resource: str) -> CommandOutput:
    return CommandOutput("", f'error: the server doesn\'t have a resource type "{resource}"', 1)


def _not_found(plural: str, name: str) -> CommandOutput:
    return CommandOutput("", f'Error from server (NotFound): {plural} "{name}" not found', 1)


def kubectl_get(
    cluster: "Cluster",
    resource: str,
    name: str | None = None,
    *,
    namespace: str = "default",
    output: str = "",
    all_namespaces: bool = False,
) -> CommandOutput:
    """``kubectl get RESOURCE [NAME] [-n NS] [-A] [-o wide|yaml]``."""
    res = resource_for(resource)
    if res is None:
        return _unknown(resource)
    scope = None if all_namespaces or not res.cls.NAMESPACED else namespace
    if name:
        obj = cluster.registry.get(res.cls, namespace if res.cls.NAMESPACED else "", name)
        if obj is None:
            return _not_found(res.plural, name)
        objects = [obj]
    else:
        objects = cluster.registry.list(res.cls, scope)
    warning = ENDPOINTS_DEPRECATION if res.cls is Endpoints else ""
    if output == "yaml":
        if not objects:
            return CommandOutput(printers.get_yaml([], as_list=True).rstrip("\n"), warning, 0)
        text = printers.get_yaml(objects, as_list=not name)
        return CommandOutput(text.rstrip("\n"), warning, 0)
    try:
        table = printers.get_table(
            res.plural, objects, now=cluster.clock.now, wide=output == "wide",
            all_namespaces=all_namespaces, namespace=namespace,
        )
    except UsageError as exc:
        return CommandOutput("", str(exc), 1)
    if not objects:
        return CommandOutput("", "\n".join(p for p in (warning, table.rstrip("\n")) if p), 0)
    return CommandOutput(table.rstrip("\n"), warning, 0)


def kubectl_describe(cluster: "Cluster", resource: str, name: str, *, namespace: str = "default") -> CommandOutput:
    """``kubectl describe service|pod NAME``."""
    res = resource_for(resource)
    if res is None:
        return _unknown(resource)
    if res.cls not in (Service, Pod):
        return CommandOutput("", f"error: describe supports services and pods here, not {res.plural}", 1)
    obj = cluster.registry.get(res.cls, namespace, name)
    if obj is None:
        return _not_found(res.plural, name)
    events = [e for e in cluster.events if e.is_about(res.cls.KIND, name, namespace)]
    if res.cls is Service:
        slices = [
            s for s in cluster.registry.list(EndpointSlice, namespace)
            if s.metadata.labels.get("kubernetes.io/service-name") == name
        ]
        text = describe.describe_service(obj, None, events, now=cluster.clock.now, endpoint_slices=slices)
    else:
        text = describe.describe_pod(obj, events, now=cluster.clock.now)
    return CommandOutput(text.rstrip("\n"), "", 0)
