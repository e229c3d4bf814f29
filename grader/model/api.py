"""One registry strategy per kind: defaulting, validation on create and update, warnings.

This is the only place that knows which kind uses which function; the simulated API server
(:mod:`grader.sim.registry`) calls :func:`strategy_for` and nothing else. Validation and
defaulting happen here, once, at the API boundary; everything downstream trusts the objects.

The validators are imported when the first strategy is asked for, not with this module, so
``import grader`` does not compile them.
"""

from __future__ import annotations

from typing import Any, Callable

from grader.model import discovery_validation as dv
from grader.model import pod_defaults as pd
from grader.model import pod_validation as pv
from grader.model import workload_validation as wv
from grader.model.fielderrors import FieldError, dedupe
from grader.model.memo import IdentityMemo
from grader.model.objects import (
    evolve,
    Deployment,
    EndpointSlice,
    Endpoints,
    Namespace,
    Object,
    Pod,
    ReplicaSet,
    Service,
)
from grader.model.service_defaults import default_service
from grader.model.service_strategy import begin_create, begin_update, drop_type_dependent_fields
from grader.model.service_validation import validate_service, validate_service_update
from grader.model.service_warnings import service_warnings
from grader.records import frozen

__all__ = ["Strategy", "strategy_for"]

Validate = Callable[[Any], list[FieldError]]


def _no_update_rules(old: Any, new: Any) -> list[FieldError]:
    return []


def _identity(obj: Any) -> Any:
    return obj


def _keep_new(old: Any, new: Any) -> Any:
    return new


@frozen
class Strategy:
    """How the API server treats one kind.

    ``prepare_create`` runs after defaulting (registry fill-ins), ``patch_update`` before
    allocation on update (keep allocated values the client omitted), ``prepare_update``
    after allocation (type-dependent clean-ups), then the update validators run.
    ``check_allocation`` runs just before allocation (create and update) and can refuse the
    request the way the Service registry's ``initIPFamilyFields`` does.
    """

    default: Callable[[Any], Any]
    validate: Validate
    validate_update: Callable[[Any, Any], list[FieldError]] = _no_update_rules
    warnings: Callable[[Any, Any], list[str]] = lambda new, old: []
    prepare_create: Callable[[Any], Any] = _identity
    patch_update: Callable[[Any, Any], Any] = _keep_new
    prepare_update: Callable[[Any, Any], Any] = _keep_new
    check_allocation: Callable[[Any, Any], list[FieldError]] = lambda new, old: []

    def validate_all(self, obj: Object, old: Object | None = None) -> list[FieldError]:
        """Every field error of a create (``old`` is None) or an update, duplicates removed."""
        if old is None:
            return dedupe(self.validate(obj))
        return dedupe(self.validate_update(old, obj) + self.validate(obj))


def _service_allocation_errors(new: Service, old: Service | None) -> list[FieldError]:
    from grader.model.service_defaults import ip_family_errors
    from grader.model.service_validation import validate_cluster_ips_related_fields

    errs = validate_cluster_ips_related_fields(new.spec)
    return errs or ip_family_errors(new, old)


def _pod_prepare_create(pod: Pod) -> Pod:
    """The pod registry's ``PrepareForCreate``: every new pod starts ``Pending``."""
    return pod.replace(status=_pending(pod.status))


_pending = IdentityMemo(lambda status: evolve(status, phase="Pending"))


def _keep_node_name(old: Pod, new: Pod) -> Pod:
    """A manifest never names the node the scheduler chose; keep it so re-apply is a no-op."""
    if new.spec.node_name or not old.spec.node_name:
        return new
    return new.replace(spec=evolve(new.spec, node_name=old.spec.node_name))


def _strategies() -> dict[type, Strategy]:
    """Every kind's strategy (built once, on first use)."""

    def replicaset_warnings(new: ReplicaSet, old: ReplicaSet | None) -> list[str]:
        return pv.pod_template_warnings(new.spec.template, "spec.template")

    return {
        Pod: Strategy(
            pd.default_pod,
            pv.validate_pod,
            lambda old, new: pv.validate_pod(new) + pv.validate_pod_update(old, new),
            lambda new, old: pv.pod_warnings(new),
            prepare_create=_pod_prepare_create,
            patch_update=_keep_node_name,
        ),
        Service: Strategy(
            default_service,
            validate_service,
            validate_service_update,
            service_warnings,
            prepare_create=begin_create,
            patch_update=begin_update,
            prepare_update=drop_type_dependent_fields,
            check_allocation=_service_allocation_errors,
        ),
        Deployment: Strategy(
            pd.default_deployment,
            wv.validate_deployment,
            wv.validate_deployment_update,
            lambda new, old: wv.deployment_warnings(new),
        ),
        ReplicaSet: Strategy(
            pd.default_replicaset, wv.validate_replicaset, wv.validate_replicaset_update, replicaset_warnings
        ),
        Namespace: Strategy(pd.default_namespace, dv.validate_namespace),
        EndpointSlice: Strategy(pd.default_endpoint_slice, dv.validate_endpoint_slice),
        Endpoints: Strategy(pd.default_endpoints, dv.validate_endpoints),
    }


_STRATEGIES: dict[type, Strategy] = {}


def strategy_for(cls: type) -> Strategy | None:
    """The strategy of a kind the API accepts writes for, or None (Nodes are read-only here)."""
    if not _STRATEGIES:
        _STRATEGIES.update(_strategies())
    return _STRATEGIES.get(cls)
