"""Defaulting for Pods, pod templates, workloads, Namespaces and endpoints (R-API-2).

Pure functions: each takes a decoded object and returns a new frozen object with what the API
server fills in before validation. Every function is idempotent (defaulting a defaulted object
changes nothing).

Sources: ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Pod``, ``SetDefaults_PodSpec``,
``SetDefaults_Container``, ``defaultHostNetworkPorts``, ``SetDefaults_Namespace``,
``SetDefaults_Endpoints``), the declarative ``protocol: TCP`` default on ContainerPort,
``pkg/apis/apps/v1/defaults.go``, ``pkg/apis/discovery/v1/defaults.go``, and the admission
plugins that a kind cluster runs on Pod create (ServiceAccount, Priority,
DefaultTolerationSeconds) plus the Namespace strategy's ``PrepareForCreate``.

Representation choices:

* ``spec.securityContext`` and ``spec.template.spec.securityContext`` become ``{}`` when absent,
  as ``SetDefaults_PodSpec`` does; the shared encoder omits empty Raw values, so ``-o yaml``
  does not show ``securityContext: {}`` (a real cluster does).
* The ServiceAccount admission plugin also mounts a projected token volume
  (``kube-api-access-*``); that volume is not simulated.
* ``status.phase``/``status.qosClass`` of a new Pod are set by the registry strategy, not here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from grader.model.memo import IdentityMemo
from grader.model.objects import (
    evolve,
    Container,
    ContainerPort,
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    Endpoints,
    EndpointSlice,
    EphemeralContainer,
    Namespace,
    Pod,
    PodSpec,
    PodTemplateSpec,
    ReplicaSet,
    Toleration,
)

__all__ = [
    "DEFAULT_TOLERATION_SECONDS",
    "METADATA_NAME_LABEL",
    "default_container",
    "default_deployment",
    "default_endpoint_slice",
    "default_endpoints",
    "default_namespace",
    "default_pod",
    "default_pod_template",
    "default_replicaset",
    "image_pull_policy_for",
]

METADATA_NAME_LABEL = "kubernetes.io/metadata.name"
"""The label every Namespace carries with its own name (``v1.LabelMetadataName``)."""

DEFAULT_TOLERATION_SECONDS = 300
"""``--default-not-ready-toleration-seconds`` / ``--default-unreachable-toleration-seconds``."""

_NOT_READY = "node.kubernetes.io/not-ready"
_UNREACHABLE = "node.kubernetes.io/unreachable"

C = TypeVar("C", Container, EphemeralContainer)


# --------------------------------------------------------------------------- containers


def image_pull_policy_for(image: str) -> str:
    """``Always`` for a ``:latest`` (or implied latest) tag, else ``IfNotPresent``.

    Mirrors ``parsers.ParseImageName``: a reference with neither tag nor digest is tagged
    ``latest``; a digest without a tag has no tag; an unparsable reference has no tag.
    """
    tag = _image_tag(image)
    return "Always" if tag == "latest" else "IfNotPresent"


def _image_tag(image: str) -> str:
    if not image or image != image.strip():
        return ""
    name, _, digest = image.partition("@")
    head, _, last = name.rpartition("/")
    repo, sep, tag = last.partition(":")
    repository = _repository_path(f"{head}/{repo}" if head else repo)
    if not repo or repository != repository.lower():
        return ""
    if sep:
        return tag
    return "" if digest else "latest"


def _repository_path(path: str) -> str:
    """The part after the registry host (docker's ``splitDockerDomain``); must be lowercase."""
    first, slash, rest = path.partition("/")
    if slash and (any(c in first for c in ".:") or first == "localhost" or first != first.lower()):
        return rest
    return path


def _default_port(port: ContainerPort, host_network: bool) -> ContainerPort:
    changes: dict[str, Any] = {}
    if not port.protocol:
        changes["protocol"] = "TCP"
    if host_network and port.host_port == 0:
        changes["host_port"] = port.container_port
    return evolve(port, **changes) if changes else port


def default_container(ctr: C, host_network: bool = False) -> C:
    """``SetDefaults_Container`` plus the port defaults (R-CP-6; R-HN-1 when ``host_network``)."""
    ports = tuple(_default_port(p, host_network) for p in ctr.ports)
    return evolve(
        ctr,
        ports=ports,
        image_pull_policy=ctr.image_pull_policy or image_pull_policy_for(ctr.image),
        termination_message_path=ctr.termination_message_path or "/dev/termination-log",
        termination_message_policy=ctr.termination_message_policy or "File",
    )


# --------------------------------------------------------------------------- pod specs


def _default_pod_spec(spec: PodSpec, host_network_ports: bool) -> PodSpec:
    """``SetDefaults_PodSpec`` and the container defaults; R-HN-1 only for Pods."""
    hn = host_network_ports and spec.host_network
    return evolve(
        spec,
        containers=tuple(default_container(c, hn) for c in spec.containers),
        init_containers=tuple(default_container(c, hn) for c in spec.init_containers),
        # R-HN-1 does not touch ephemeral containers (they may not declare ports anyway).
        ephemeral_containers=tuple(default_container(c) for c in spec.ephemeral_containers),
        dns_policy=spec.dns_policy or "ClusterFirst",
        restart_policy=spec.restart_policy or "Always",
        security_context={} if spec.security_context is None else spec.security_context,
        termination_grace_period_seconds=_or(spec.termination_grace_period_seconds, 30),
        scheduler_name=spec.scheduler_name or "default-scheduler",
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _admit_pod_spec(spec: PodSpec) -> PodSpec:
    """What the ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add."""
    account = spec.service_account_name or spec.service_account or "default"
    changes: dict[str, Any] = dict(service_account_name=account, service_account=account)
    if not spec.priority_class_name:
        changes["priority"] = _or(spec.priority, 0)
        changes["preemption_policy"] = _or(spec.preemption_policy, "PreemptLowerPriority")
    changes["tolerations"] = _with_default_tolerations(spec.tolerations)
    return evolve(spec, **changes)


def _tolerates(tolerations: tuple[Toleration, ...], key: str) -> bool:
    return any(t.key in (key, "") and t.effect in ("NoExecute", "") for t in tolerations)


def _with_default_tolerations(tolerations: tuple[Toleration, ...]) -> tuple[Toleration, ...]:
    added = tuple(
        Toleration(key=key, operator="Exists", effect="NoExecute",
                   toleration_seconds=DEFAULT_TOLERATION_SECONDS)
        for key in (_NOT_READY, _UNREACHABLE)
        if not _tolerates(tolerations, key)
    )
    return tolerations + added


def default_pod(pod: Pod) -> Pod:
    """A Pod as the API server stores it on create: v1 defaults, R-CP-6..8, R-HN-1, admission."""
    return pod.replace(spec=_default_pod_only_spec(pod.spec))


def _default_pod_spec_of_pod(spec: PodSpec) -> PodSpec:
    """The defaulted spec of a Pod: a pure function of the spec, memoized per spec object."""
    spec = _default_pod_spec(spec, host_network_ports=True)
    if spec.enable_service_links is None:
        spec = evolve(spec, enable_service_links=True)
    return _admit_pod_spec(spec)


_default_pod_only_spec = IdentityMemo(_default_pod_spec_of_pod)


def default_pod_template(template: PodTemplateSpec) -> PodTemplateSpec:
    """A workload's pod template: the PodSpec/container defaults only.

    No R-HN-1 (templates keep ``hostPort: 0``, the Pod made from them is defaulted), no
    ``enableServiceLinks`` (``SetDefaults_Pod``) and no admission defaults: templates are not
    Pods.
    """
    return evolve(template, spec=_default_template_spec(template.spec))


_default_template_spec = IdentityMemo(lambda spec: _default_pod_spec(spec, False))


# --------------------------------------------------------------------------- workloads


def _default_rolling_update(strategy: DeploymentStrategy) -> DeploymentStrategy:
    kind = strategy.type or "RollingUpdate"
    rolling = strategy.rolling_update
    if kind == "RollingUpdate":
        rolling = dict(rolling) if isinstance(rolling, dict) else {}
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
        rolling = {k: rolling[k] for k in sorted(rolling)}
    return DeploymentStrategy(type=kind, rolling_update=rolling)


def default_deployment(d: Deployment) -> Deployment:
    """``SetDefaults_Deployment``: replicas 1, RollingUpdate 25%/25%, history 10, deadline 600."""
    spec: DeploymentSpec = d.spec
    spec = evolve(
        spec,
        replicas=_or(spec.replicas, 1),
        strategy=_default_rolling_update(spec.strategy),
        revision_history_limit=_or(spec.revision_history_limit, 10),
        progress_deadline_seconds=_or(spec.progress_deadline_seconds, 600),
        template=default_pod_template(spec.template),
    )
    return d.replace(spec=spec)


def default_replicaset(rs: ReplicaSet) -> ReplicaSet:
    """``SetDefaults_ReplicaSet``: replicas 1; the template gets the pod-template defaults."""
    spec = evolve(
        rs.spec, replicas=_or(rs.spec.replicas, 1), template=default_pod_template(rs.spec.template)
    )
    return rs.replace(spec=spec)


# --------------------------------------------------------------------------- cluster objects


def default_namespace(ns: Namespace) -> Namespace:
    """The name label (NamespaceDefaultLabelName), the ``kubernetes`` finalizer, phase Active."""
    meta = ns.metadata
    if meta.name and meta.labels.get(METADATA_NAME_LABEL) != meta.name:
        labels = dict(meta.labels)
        labels[METADATA_NAME_LABEL] = meta.name
        meta = evolve(meta, labels=labels)
    finalizers = ns.spec.finalizers
    if "kubernetes" not in finalizers:
        finalizers = finalizers + ("kubernetes",)
    return ns.replace(
        metadata=meta,
        spec=evolve(ns.spec, finalizers=finalizers),
        status=evolve(ns.status, phase=ns.status.phase or "Active"),
    )


def default_endpoint_slice(s: EndpointSlice) -> EndpointSlice:
    """``SetDefaults_EndpointPort``: protocol TCP and name "" when absent.

    ``endpoints[].conditions`` are left alone: the API does not default ``ready``.
    """
    ports = tuple(
        evolve(p, protocol=_or(p.protocol, "TCP"), name=_or(p.name, ""))
        for p in s.ports
    )
    return s.replace(ports=ports)


def default_endpoints(e: Endpoints) -> Endpoints:
    """``SetDefaults_Endpoints``: every subset port's protocol defaults to TCP."""
    subsets = tuple(
        evolve(
            ss, ports=tuple(evolve(p, protocol=p.protocol or "TCP") for p in ss.ports)
        )
        for ss in e.subsets
    )
    return e.replace(subsets=subsets)
