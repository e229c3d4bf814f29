"""API objects as frozen, typed dataclasses with Kubernetes names.

Attributes are ``snake_case``; the JSON name is the camelCase form unless Kubernetes spells it
differently (``hostIP``, ``clusterIPs``), which :func:`json_field` records. The annotations
are the schema the strict decoder enforces (see :mod:`grader.model.codec`); fields the
simulator never interprets (volumes, resources, security contexts, ...) are :data:`Raw`, kept
as written so that ``-o yaml`` shows them.

Go pointers are ``X | None``; Go scalars use their zero value for "absent", exactly as the
API server does, so ``nodePort: 0`` and no ``nodePort`` are the same thing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any, ClassVar

from grader.model.codec import Int32, Int64, IntOrString, Raw, json_field
from grader.model.drafts import WARM, draft_class
from grader.records import frozen

__all__ = [
    "evolve",
    "ClientIPConfig",
    "Container",
    "ContainerPort",
    "ContainerStatus",
    "Deployment",
    "DeploymentSpec",
    "DeploymentStatus",
    "DeploymentStrategy",
    "Endpoint",
    "EndpointAddress",
    "EndpointConditions",
    "EndpointPort",
    "EndpointSlice",
    "EndpointSubset",
    "Endpoints",
    "EnvVar",
    "EphemeralContainer",
    "LabelSelector",
    "LabelSelectorRequirement",
    "LoadBalancerIngress",
    "LoadBalancerStatus",
    "Namespace",
    "NamespaceSpec",
    "NamespaceStatus",
    "Node",
    "NodeAddress",
    "NodeSpec",
    "NodeStatus",
    "Object",
    "ObjectMeta",
    "ObjectReference",
    "OwnerReference",
    "Pod",
    "PodCondition",
    "PodIP",
    "PodSpec",
    "PodStatus",
    "PodTemplateSpec",
    "ReplicaSet",
    "ReplicaSetSpec",
    "ReplicaSetStatus",
    "Service",
    "ServicePort",
    "ServiceSpec",
    "ServiceStatus",
    "SessionAffinityConfig",
    "SliceEndpointPort",
    "Taint",
    "Toleration",
]


_EVOLVERS: dict[tuple, Any] = {}
"""``(class, *changed fields)`` → a compiled copier for that change (hot changes only)."""
_FIELDS: dict[type, tuple[str, ...]] = {}
_USES: dict[tuple, int] = {}
_HOT = 128
"""Uses of one (class, changed fields) pair before it gets its own compiled copier (compiling costs
about as much as a hundred plain copies)."""


def _compile_copier(cls: type, changed: tuple[str, ...]) -> Any:
    """One line per field, no loops: changed fields from ``c``, the others from the original."""
    draft = draft_class(cls)
    if draft is not None:
        lines = [f"def evolve_{cls.__name__}(obj, c):", "    n = _new(_draft)"]
        lines += [f"    n.{name} = c[{name!r}]" if name in changed else f"    n.{name} = obj.{name}"
                  for name in _FIELDS[cls]]
        lines += ["    n.__class__ = _cls", "    return n"]
    else:
        lines = [f"def evolve_{cls.__name__}(obj, c):", "    n = _new(_cls)"]
        lines += [f"    _set(n, {name!r}, c[{name!r}])" if name in changed else f"    _set(n, {name!r}, obj.{name})"
                  for name in _FIELDS[cls]]
        lines.append("    return n")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_draft": draft, "_set": object.__setattr__}
    exec("\n".join(lines), scope)  # noqa: S102 - source built from the class's own field names
    return scope[f"evolve_{cls.__name__}"]


def _copy(obj: Any, changes: dict[str, Any]) -> Any:
    """The plain copy loop, for changes too rare to be worth compiling (through the class's draft
    twin once the class has been copied often enough to be worth making one)."""
    cls = type(obj)
    draft = _DRAFT_OF.get(cls)
    if draft is None:
        copies = _PLAIN_COPIES[cls] = _PLAIN_COPIES.get(cls, 0) + 1
        if copies >= WARM:
            draft = _DRAFT_OF[cls] = draft_class(cls)
    if draft is None:
        new = object.__new__(cls)
        for name in _FIELDS[cls]:
            object.__setattr__(new, name, changes[name] if name in changes else getattr(obj, name))
        return new
    new = object.__new__(draft)
    for name in _FIELDS[cls]:
        setattr(new, name, changes[name] if name in changes else getattr(obj, name))
    new.__class__ = cls
    return new


_PLAIN_COPIES: dict[type, int] = {}
_DRAFT_OF: dict[type, Any] = {}


def _copier(key: tuple) -> Any:
    """The copier for ``key`` = ``(class, *changed fields)``: the plain loop until the change is hot."""
    uses = _USES.get(key)
    if uses is None:  # a new change: check its field names once
        cls = key[0]
        names = _FIELDS.get(cls)
        if names is None:
            names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
        unknown = sorted(set(key[1:]) - set(names))
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
        uses = 0
    uses += 1
    if uses < _HOT:
        _USES[key] = uses
        return _copy
    del _USES[key]
    copier = _EVOLVERS[key] = _compile_copier(key[0], key[1:])
    return copier


def evolve(obj: Any, /, **changes: Any) -> Any:
    """A copy of a frozen dataclass with some fields changed: ``dataclasses.replace``, faster.

    The model copies objects constantly (defaulting, allocation, status writes), and the
    standard ``replace`` re-inspects the class on every call. This one copies field by field,
    compiles a copier for each class and set of changed fields once that change is frequent,
    and skips ``__init__`` (no model class has ``__post_init__``).
    """
    key = (type(obj), *changes)
    copier = _EVOLVERS.get(key)
    if copier is None:
        copier = _copier(key)
    return copier(obj, changes)


def _map() -> Any:
    return field(default_factory=dict)


# --------------------------------------------------------------------------- metadata


@frozen
class OwnerReference:
    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None
    block_owner_deletion: bool | None = None


@frozen
class ObjectMeta:
    name: str = ""
    generate_name: str = ""
    namespace: str = ""
    self_link: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: Int64 = 0
    creation_timestamp: Raw = None
    deletion_timestamp: Raw = None
    deletion_grace_period_seconds: Int64 | None = None
    labels: dict[str, str] = _map()
    annotations: dict[str, str] = _map()
    owner_references: tuple[OwnerReference, ...] = ()
    finalizers: tuple[str, ...] = ()
    managed_fields: Raw = None


@frozen
class LabelSelectorRequirement:
    key: str = ""
    operator: str = ""
    values: tuple[str, ...] = ()


@frozen
class LabelSelector:
    match_labels: dict[str, str] = _map()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()


@frozen
class ObjectReference:
    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    resource_version: str = ""
    field_path: str = ""


# --------------------------------------------------------------------------- pods


@frozen
class ContainerPort:
    KEEP_ZERO: ClassVar[tuple[str, ...]] = ("container_port",)
    name: str = ""
    host_port: Int32 = 0
    container_port: Int32 = 0
    protocol: str = ""
    host_ip: str = json_field("hostIP", default="")


@frozen
class EnvVar:
    name: str = ""
    value: str = ""
    value_from: Raw = None


@frozen
class Container:
    name: str = ""
    image: str = ""
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    working_dir: str = ""
    ports: tuple[ContainerPort, ...] = ()
    env_from: Raw = None
    env: tuple[EnvVar, ...] = ()
    resources: Raw = None
    resize_policy: Raw = None
    restart_policy: str | None = None
    restart_policy_rules: Raw = None
    volume_mounts: Raw = None
    volume_devices: Raw = None
    liveness_probe: Raw = None
    readiness_probe: Raw = None
    startup_probe: Raw = None
    lifecycle: Raw = None
    termination_message_path: str = ""
    termination_message_policy: str = ""
    image_pull_policy: str = ""
    security_context: Raw = None
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False


@frozen
class EphemeralContainer(Container):
    target_container_name: str = ""


@frozen
class Toleration:
    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""
    toleration_seconds: Int64 | None = None


@frozen
class PodSpec:
    volumes: Raw = None
    init_containers: tuple[Container, ...] = ()
    containers: tuple[Container, ...] = ()
    ephemeral_containers: tuple[EphemeralContainer, ...] = ()
    restart_policy: str = ""
    termination_grace_period_seconds: Int64 | None = None
    active_deadline_seconds: Int64 | None = None
    dns_policy: str = ""
    node_selector: dict[str, str] = _map()
    service_account_name: str = ""
    service_account: str = ""
    automount_service_account_token: bool | None = None
    node_name: str = ""
    host_network: bool = False
    host_pid: bool = json_field("hostPID", default=False)
    host_ipc: bool = json_field("hostIPC", default=False)
    share_process_namespace: bool | None = None
    security_context: Raw = None
    image_pull_secrets: Raw = None
    hostname: str = ""
    subdomain: str = ""
    affinity: Raw = None
    scheduler_name: str = ""
    tolerations: tuple[Toleration, ...] = ()
    host_aliases: Raw = None
    priority_class_name: str = ""
    priority: Int32 | None = None
    dns_config: Raw = None
    readiness_gates: Raw = None
    runtime_class_name: str | None = None
    enable_service_links: bool | None = None
    preemption_policy: str | None = None
    overhead: Raw = None
    topology_spread_constraints: Raw = None
    set_hostname_as_fqdn: bool | None = json_field("setHostnameAsFQDN", default=None)
    os: Raw = None
    host_users: bool | None = None
    scheduling_gates: Raw = None
    resource_claims: Raw = None
    resources: Raw = None
    hostname_override: str | None = None


@frozen
class PodCondition:
    type: str = ""
    status: str = ""
    observed_generation: Int64 = 0
    last_probe_time: Raw = None
    last_transition_time: Raw = None
    reason: str = ""
    message: str = ""


@frozen
class PodIP:
    ip: str = ""


@frozen
class ContainerStatus:
    KEEP_ZERO: ClassVar[tuple[str, ...]] = ("ready", "restart_count")
    name: str = ""
    state: Raw = None
    last_state: Raw = None
    ready: bool = False
    restart_count: Int32 = 0
    image: str = ""
    image_id: str = json_field("imageID", default="")
    container_id: str = json_field("containerID", default="")
    started: bool | None = None


@frozen
class PodStatus:
    observed_generation: Int64 = 0
    phase: str = ""
    conditions: tuple[PodCondition, ...] = ()
    message: str = ""
    reason: str = ""
    nominated_node_name: str = ""
    host_ip: str = json_field("hostIP", default="")
    host_ips: Raw = json_field("hostIPs", default=None)
    pod_ip: str = json_field("podIP", default="")
    pod_ips: tuple[PodIP, ...] = json_field("podIPs", default=())
    start_time: Raw = None
    init_container_statuses: Raw = None
    container_statuses: tuple[ContainerStatus, ...] = ()
    qos_class: str = json_field("qosClass", default="")
    ephemeral_container_statuses: Raw = None
    resize: str = ""
    resource_claim_statuses: Raw = None


@frozen
class PodTemplateSpec:
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)


# --------------------------------------------------------------------------- services


@frozen
class ServicePort:
    KEEP_ZERO: ClassVar[tuple[str, ...]] = ("port",)
    name: str = ""
    protocol: str = ""
    app_protocol: str | None = None
    port: Int32 = 0
    target_port: IntOrString = 0
    node_port: Int32 = 0


@frozen
class ClientIPConfig:
    timeout_seconds: Int32 | None = None


@frozen
class SessionAffinityConfig:
    client_ip: ClientIPConfig | None = json_field("clientIP", default=None)


@frozen
class ServiceSpec:
    ports: tuple[ServicePort, ...] = ()
    selector: dict[str, str] = _map()
    cluster_ip: str = json_field("clusterIP", default="")
    cluster_ips: tuple[str, ...] = json_field("clusterIPs", default=())
    type: str = ""
    external_ips: tuple[str, ...] = json_field("externalIPs", default=())
    session_affinity: str = ""
    load_balancer_ip: str = json_field("loadBalancerIP", default="")
    load_balancer_source_ranges: tuple[str, ...] = ()
    external_name: str = ""
    external_traffic_policy: str = ""
    health_check_node_port: Int32 = 0
    publish_not_ready_addresses: bool = False
    session_affinity_config: SessionAffinityConfig | None = None
    ip_families: tuple[str, ...] = json_field("ipFamilies", default=())
    ip_family_policy: str | None = json_field("ipFamilyPolicy", default=None)
    allocate_load_balancer_node_ports: bool | None = None
    load_balancer_class: str | None = None
    internal_traffic_policy: str | None = None
    traffic_distribution: str | None = None


@frozen
class LoadBalancerIngress:
    ip: str = ""
    hostname: str = ""
    ip_mode: str | None = None
    ports: Raw = None


@frozen
class LoadBalancerStatus:
    ingress: tuple[LoadBalancerIngress, ...] = ()


@frozen
class ServiceStatus:
    load_balancer: LoadBalancerStatus = field(default_factory=LoadBalancerStatus)
    conditions: Raw = None


# --------------------------------------------------------------------------- endpoints


@frozen
class EndpointAddress:
    ip: str = ""
    hostname: str = ""
    node_name: str | None = None
    target_ref: ObjectReference | None = None


@frozen
class EndpointPort:
    KEEP_ZERO: ClassVar[tuple[str, ...]] = ("port",)
    name: str = ""
    port: Int32 = 0
    protocol: str = ""
    app_protocol: str | None = None


@frozen
class EndpointSubset:
    addresses: tuple[EndpointAddress, ...] = ()
    not_ready_addresses: tuple[EndpointAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


@frozen
class EndpointConditions:
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


@frozen
class Endpoint:
    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions = field(default_factory=EndpointConditions)
    hostname: str | None = None
    target_ref: ObjectReference | None = None
    deprecated_topology: dict[str, str] = _map()
    node_name: str | None = None
    zone: str | None = None
    hints: Raw = None


@frozen
class SliceEndpointPort:
    GO_NAME: ClassVar[str] = "EndpointPort"
    name: str | None = None
    protocol: str | None = None
    port: Int32 | None = None
    app_protocol: str | None = None


# --------------------------------------------------------------------------- workloads


@frozen
class DeploymentStrategy:
    type: str = ""
    rolling_update: Raw = None


@frozen
class DeploymentSpec:
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)
    strategy: DeploymentStrategy = field(default_factory=DeploymentStrategy)
    min_ready_seconds: Int32 = 0
    revision_history_limit: Int32 | None = None
    paused: bool = False
    progress_deadline_seconds: Int32 | None = None


@frozen
class DeploymentStatus:
    observed_generation: Int64 = 0
    replicas: Int32 = 0
    updated_replicas: Int32 = 0
    ready_replicas: Int32 = 0
    available_replicas: Int32 = 0
    unavailable_replicas: Int32 = 0
    terminating_replicas: Int32 | None = None
    conditions: Raw = None
    collision_count: Int32 | None = None


@frozen
class ReplicaSetSpec:
    replicas: Int32 | None = None
    min_ready_seconds: Int32 = 0
    selector: LabelSelector | None = None
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)


@frozen
class ReplicaSetStatus:
    KEEP_ZERO: ClassVar[tuple[str, ...]] = ("replicas",)
    replicas: Int32 = 0
    fully_labeled_replicas: Int32 = 0
    ready_replicas: Int32 = 0
    available_replicas: Int32 = 0
    terminating_replicas: Int32 | None = None
    observed_generation: Int64 = 0
    conditions: Raw = None


# --------------------------------------------------------------------------- cluster-scoped


@frozen
class NamespaceSpec:
    finalizers: tuple[str, ...] = ()


@frozen
class NamespaceStatus:
    phase: str = ""
    conditions: Raw = None


@frozen
class Taint:
    key: str = ""
    value: str = ""
    effect: str = ""
    time_added: Raw = None


@frozen
class NodeSpec:
    pod_cidr: str = json_field("podCIDR", default="")
    pod_cidrs: tuple[str, ...] = json_field("podCIDRs", default=())
    provider_id: str = json_field("providerID", default="")
    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()
    config_source: Raw = None
    external_id: str = json_field("externalID", default="")


@frozen
class NodeAddress:
    type: str = ""
    address: str = ""


@frozen
class NodeStatus:
    capacity: Raw = None
    allocatable: Raw = None
    phase: str = ""
    conditions: Raw = None
    addresses: tuple[NodeAddress, ...] = ()
    daemon_endpoints: Raw = None
    node_info: Raw = None
    images: Raw = None
    volumes_in_use: Raw = None
    volumes_attached: Raw = None
    config: Raw = None
    runtime_handlers: Raw = None
    features: Raw = None
    declared_features: Raw = None


# --------------------------------------------------------------------------- top-level kinds


class Object:
    """Mixin for top-level kinds: identity, ``str()`` for messages, a short ``repr()``.

    Each subclass sets ``KIND``, ``API_VERSION``, ``GROUP`` (``""`` for core) and
    ``NAMESPACED``.
    """

    __slots__ = ()
    KIND: ClassVar[str] = ""
    API_VERSION: ClassVar[str] = ""
    GROUP: ClassVar[str] = ""
    NAMESPACED: ClassVar[bool] = True
    metadata: ObjectMeta

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @classmethod
    def qualified_kind(cls) -> str:
        """``Service`` or ``Deployment.apps``, as the API server names the kind (R-API-8)."""
        return f"{cls.KIND}.{cls.GROUP}" if cls.GROUP else cls.KIND

    def replace(self, **changes: Any) -> Any:
        """A copy with some attributes changed (objects are frozen)."""
        return evolve(self, **changes)

    def __str__(self) -> str:
        return f"{self.KIND.lower()}/{self.metadata.name}"

    def _where(self) -> str:
        ns = self.metadata.namespace
        return f"{ns}/{self.metadata.name}" if ns else self.metadata.name

    def __repr__(self) -> str:
        return f"<{self.KIND} {self._where()}>"


def _kind(kind: str, api_version: str, group: str = "", namespaced: bool = True) -> Any:
    def wrap(cls: type) -> type:
        cls.KIND, cls.API_VERSION, cls.GROUP, cls.NAMESPACED = kind, api_version, group, namespaced
        return cls

    return wrap


@_kind("Pod", "v1")
@frozen(repr=False)
class Pod(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)
    status: PodStatus = field(default_factory=PodStatus)

    def __repr__(self) -> str:
        node = self.spec.node_name or "<none>"
        ip = self.status.pod_ip or "<none>"
        return f"<Pod {self._where()} node={node} ip={ip} {self.status.phase or 'Pending'}>"


@_kind("Service", "v1")
@frozen(repr=False)
class Service(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)
    status: ServiceStatus = field(default_factory=ServiceStatus)

    def __repr__(self) -> str:
        ports = ",".join(
            f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}"
            for p in self.spec.ports
        )
        ip = self.spec.cluster_ip or "<none>"
        return f"<Service {self._where()} {self.spec.type or 'ClusterIP'} {ip} {ports or '<none>'}>"


@_kind("Endpoints", "v1")
@frozen(repr=False)
class Endpoints(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    subsets: tuple[EndpointSubset, ...] = ()


@_kind("EndpointSlice", "discovery.k8s.io/v1", "discovery.k8s.io")
@frozen(repr=False)
class EndpointSlice(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    address_type: str = ""
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[SliceEndpointPort, ...] = ()


@_kind("Deployment", "apps/v1", "apps")
@frozen(repr=False)
class Deployment(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: DeploymentSpec = field(default_factory=DeploymentSpec)
    status: DeploymentStatus = field(default_factory=DeploymentStatus)


@_kind("ReplicaSet", "apps/v1", "apps")
@frozen(repr=False)
class ReplicaSet(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ReplicaSetSpec = field(default_factory=ReplicaSetSpec)
    status: ReplicaSetStatus = field(default_factory=ReplicaSetStatus)


@_kind("Namespace", "v1", namespaced=False)
@frozen(repr=False)
class Namespace(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NamespaceSpec = field(default_factory=NamespaceSpec)
    status: NamespaceStatus = field(default_factory=NamespaceStatus)


@_kind("Node", "v1", namespaced=False)
@frozen(repr=False)
class Node(Object):
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NodeSpec = field(default_factory=NodeSpec)
    status: NodeStatus = field(default_factory=NodeStatus)

    def internal_ip(self) -> str:
        """The node's ``InternalIP`` address, or ``""``."""
        return next((a.address for a in self.status.addresses if a.type == "InternalIP"), "")
