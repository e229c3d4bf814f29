"""Pod validation and pod port warnings, with Kubernetes' exact texts (R-CP-*, R-HN-*, R-W-1).

Mirrors ``pkg/apis/core/validation/validation.go`` (``ValidatePodCreate``, ``ValidatePodSpec``,
``validateContainers``, ``validateInitContainers``, ``validateEphemeralContainers``,
``validateContainerCommon``, ``validateContainerPorts``, ``AccumulateUniqueHostPorts``,
``validatePodHostNetworkDeps``, ``validateHostUsers``, ``ValidateTolerations``,
``ValidatePodUpdate``) and ``pkg/api/pod/warnings.go``. Errors come out in the order the API
server produces them. Fields the simulator keeps as Raw (volumes, probes, resources, security
contexts, affinity, ...) are not validated.

Validation expects a *defaulted* object (:mod:`grader.model.pod_defaults`), exactly like the
API server: an undefaulted Pod reports ``Required value`` for the fields defaulting fills in.
"""

from __future__ import annotations

from typing import Sequence

from grader.model.fielderrors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    invalid_each,
    not_found,
    not_supported,
    required,
)
from grader.model.meta_validation import (
    dns1123_subdomain_name,
    validate_annotations,
    validate_labels,
    validate_object_meta,
)
from grader.model.names import (
    inclusive_range_error,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
)
from grader.model.memo import IdentityMemo
from grader.model.objects import (
    evolve,
    Container,
    ContainerPort,
    EphemeralContainer,
    Pod,
    PodSpec,
    PodTemplateSpec,
    Toleration,
)

__all__ = [
    "POD_UPDATE_FORBIDDEN",
    "SUPPORTED_PORT_PROTOCOLS",
    "pod_template_warnings",
    "pod_warnings",
    "validate_container_ports",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_template",
    "validate_pod_update",
    "validate_tolerations",
]

SUPPORTED_PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
"""``sets.List(supportedPortProtocols)``: sorted, as the NotSupported message lists them."""

_RESTART_POLICIES = ("Always", "OnFailure", "Never")  # validateRestartPolicy's order
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")  # sets.List: sorted
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_TOLERATION_OPERATORS = ("Equal", "Exists")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")
_MAX_INT32 = 2**31 - 1

_EPHEMERAL_FORBIDDEN = (
    # Fields of EphemeralContainerCommon not in allowedEphemeralContainerFields, struct order.
    ("ports", "ports"),
    ("resources", "resources"),
    ("resize_policy", "resizePolicy"),
    ("restart_policy", "restartPolicy"),
    ("restart_policy_rules", "restartPolicyRules"),
    ("liveness_probe", "livenessProbe"),
    ("readiness_probe", "readinessProbe"),
    ("startup_probe", "startupProbe"),
    ("lifecycle", "lifecycle"),
)
_EPHEMERAL_TEXT = "cannot be set for an Ephemeral Container"
_INIT_ONLY_TEXT = "may not be set for init containers without restartPolicy=Always"

POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than "
    "`spec.containers[*].image`,"
    "`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
"""First sentence of ValidatePodUpdate's Forbidden detail (``updatablePodSpecFields``).

The API server follows it with ``\\n`` and a ``cmp.Diff`` of the old and new specs (Go struct
syntax, unstable spacing); that diff is left out here.
"""


# --------------------------------------------------------------------------- container ports


def validate_container_ports(ports: Sequence[ContainerPort], path: str) -> list[FieldError]:
    """``validateContainerPorts`` for one container (R-CP-10..15)."""
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        where = f"{path}[{i}]"
        errs.extend(_port_name_errors(port.name, names, f"{where}.name"))
        errs.extend(_port_number_errors(port, where))
        if not port.protocol:
            errs.append(required(f"{where}.protocol"))
        elif port.protocol not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(not_supported(f"{where}.protocol", port.protocol, SUPPORTED_PORT_PROTOCOLS))
    return errs


def _port_name_errors(name: str, seen: set[str], path: str) -> list[FieldError]:
    """R-CP-14 (one error per failed IANA rule) and R-CP-15 (duplicates only for valid names)."""
    if not name:
        return []
    msgs = is_valid_port_name(name)
    if msgs:
        return invalid_each(path, name, msgs)
    if name in seen:
        return [duplicate(path, name)]
    seen.add(name)
    return []


def _port_number_errors(port: ContainerPort, where: str) -> list[FieldError]:
    """R-CP-10 (containerPort required), R-CP-11 and R-CP-12 (ranges)."""
    errs: list[FieldError] = []
    if port.container_port == 0:
        errs.append(required(f"{where}.containerPort"))
    else:
        cp = port.container_port
        errs.extend(invalid_each(f"{where}.containerPort", cp, is_valid_port_num(cp)))
    if port.host_port != 0:
        hp = port.host_port
        errs.extend(invalid_each(f"{where}.hostPort", hp, is_valid_port_num(hp)))
    return errs


def _accumulate_unique_host_ports(
    containers: Sequence[Container], seen: set[str], path: str
) -> list[FieldError]:
    """``AccumulateUniqueHostPorts``: key ``<protocol>/<hostIP>/<hostPort>`` (R-CP-17)."""
    errs: list[FieldError] = []
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(ctr.ports):
            if port.host_port == 0:
                continue
            key = f"{port.protocol}/{port.host_ip}/{port.host_port}"
            if key in seen:
                errs.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            else:
                seen.add(key)
    return errs


def _check_host_port_conflicts(containers: Sequence[Container], path: str) -> list[FieldError]:
    return _accumulate_unique_host_ports(containers, set(), path)


# --------------------------------------------------------------------------- containers


def _validate_container_common(ctr: Container, path: str) -> list[FieldError]:
    """``validateContainerCommon``: name, image, terminationMessagePolicy, ports, pull policy."""
    errs: list[FieldError] = []
    if not ctr.name:
        errs.append(required(f"{path}.name"))
    else:
        errs.extend(invalid_each(f"{path}.name", ctr.name, is_dns1123_label(ctr.name)))
    if not ctr.image:
        errs.append(required(f"{path}.image"))
    policy, policy_path = ctr.termination_message_policy, f"{path}.terminationMessagePolicy"
    errs.extend(_enum_errors(policy, _TERMINATION_MESSAGE_POLICIES, policy_path))
    errs.extend(validate_container_ports(ctr.ports, f"{path}.ports"))
    errs.extend(_enum_errors(ctr.image_pull_policy, _PULL_POLICIES, f"{path}.imagePullPolicy"))
    return errs


def _enum_errors(value: str, supported: Sequence[str], path: str) -> list[FieldError]:
    """The usual switch: empty is Required, anything unknown is NotSupported."""
    if not value:
        return [required(path)]
    if value not in supported:
        return [not_supported(path, value, supported)]
    return []


def _validate_containers(containers: Sequence[Container], path: str) -> list[FieldError]:
    """``validateContainers``: required list, unique names, then host ports across all (R-CP-17)."""
    if not containers:
        return [required(path)]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, ctr in enumerate(containers):
        where = f"{path}[{i}]"
        errs.extend(_validate_container_common(ctr, where))
        if ctr.name in names:
            errs.append(duplicate(f"{where}.name", ctr.name))
        names.add(ctr.name)
        if ctr.restart_policy is not None:
            detail = "may not be set for non-init containers"
            errs.append(forbidden(f"{where}.restartPolicy", detail))
    return errs + _check_host_port_conflicts(containers, path)


def _validate_init_containers(
    inits: Sequence[Container], regular: Sequence[Container], path: str
) -> list[FieldError]:
    """``validateInitContainers``: names unique with regular containers; host ports per container.

    Kubernetes checks each init container's host ports on its own by passing a one-element
    list, so the reported index is always ``[0]`` (``spec.initContainers[0].ports[1].hostPort``
    even for the third init container); reproduced as is.
    """
    errs: list[FieldError] = []
    names = {c.name for c in regular}
    for i, ctr in enumerate(inits):
        where = f"{path}[{i}]"
        errs.extend(_validate_container_common(ctr, where))
        errs.extend(_init_restart_policy_errors(ctr.restart_policy, f"{where}.restartPolicy"))
        if ctr.name in names:
            errs.append(duplicate(f"{where}.name", ctr.name))
        elif ctr.name:
            names.add(ctr.name)
        errs.extend(_check_host_port_conflicts([ctr], path))
        if ctr.restart_policy != "Always":
            errs.extend(_init_only_errors(ctr, where))
    return errs


def _init_restart_policy_errors(policy: str | None, path: str) -> list[FieldError]:
    if policy is None or policy == "Always":
        return []
    return [not_supported(path, policy, ("Always",))]


def _init_only_errors(ctr: Container, where: str) -> list[FieldError]:
    fields = (("lifecycle", "lifecycle"), ("liveness_probe", "livenessProbe"),
              ("readiness_probe", "readinessProbe"), ("startup_probe", "startupProbe"))
    return [forbidden(f"{where}.{js}", _INIT_ONLY_TEXT)
            for attr, js in fields if getattr(ctr, attr) is not None]


def _validate_ephemeral_containers(
    ephemerals: Sequence[EphemeralContainer],
    regular: Sequence[Container],
    inits: Sequence[Container],
    path: str,
) -> list[FieldError]:
    """``validateEphemeralContainers``: common checks, unique names, target, forbidden fields."""
    errs: list[FieldError] = []
    others = {c.name for c in regular} | {c.name for c in inits}
    names = set(others)
    for i, ec in enumerate(ephemerals):
        where = f"{path}[{i}]"
        errs.extend(_validate_container_common(ec, where))
        errs.extend(_image_whitespace_errors(ec, where))
        if ec.name in names:
            errs.append(duplicate(f"{where}.name", ec.name))
        names.add(ec.name)
        if ec.target_container_name and ec.target_container_name not in others:
            errs.append(not_found(f"{where}.targetContainerName", ec.target_container_name))
        errs.extend(  # R-CP-18
            forbidden(f"{where}.{js}", _EPHEMERAL_TEXT)
            for attr, js in _EPHEMERAL_FORBIDDEN if getattr(ec, attr)
        )
    return errs


def _image_whitespace_errors(ctr: Container, path: str) -> list[FieldError]:
    """``validateContainerOnlyForPod``: Pods (not templates) refuse padded image names."""
    if ctr.image != ctr.image.strip():
        return [invalid(f"{path}.image", ctr.image, "must not have leading or trailing whitespace")]
    return []


# --------------------------------------------------------------------------- pod spec


def _validate_host_network_deps(spec: PodSpec, path: str, is_template: bool) -> list[FieldError]:
    """R-HN-2: with hostNetwork, hostPort must equal containerPort (a template may leave it 0)."""
    if not spec.host_network:
        return []
    errs: list[FieldError] = []
    for ci, ctr in enumerate(spec.containers):
        for pi, port in enumerate(ctr.ports):
            hp, cp = port.host_port, port.container_port
            if (not is_template or hp != 0) and hp != cp:
                errs.append(invalid(
                    f"{path}.containers[{ci}].ports[{pi}].hostPort",
                    hp,
                    "must match `containerPort` when `hostNetwork` is true",
                ))
    return errs


def _validate_host_users(spec: PodSpec, path: str) -> list[FieldError]:
    """R-HN-4 (``validateHostUsers``): host namespaces are forbidden with ``hostUsers: false``."""
    if spec.host_users is None or spec.host_users:
        return []
    detail = "when `pod.Spec.HostUsers` is false"
    flags = (
        (spec.host_network, "hostNetwork"), (spec.host_pid, "HostPID"), (spec.host_ipc, "HostIPC")
    )
    return [forbidden(f"{path}.{name}", detail) for on, name in flags if on]


def validate_tolerations(tolerations: Sequence[Toleration], path: str) -> list[FieldError]:
    """``ValidateTolerations``, including its habit of reporting a bad value on ``operator``."""
    errs: list[FieldError] = []
    for i, t in enumerate(tolerations):
        where = f"{path}[{i}]"
        if t.key:
            errs.extend(invalid_each(f"{where}.key", t.key, is_qualified_name(t.key)))
        if not t.key and t.operator != "Exists":
            errs.append(invalid(f"{where}.operator", t.operator,
                                'operator must be Exists when `key` is empty, which means '
                                '"match all values and all keys"'))
        if t.toleration_seconds is not None and t.effect != "NoExecute":
            errs.append(invalid(f"{where}.effect", t.effect,
                                "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        errs.extend(_toleration_operator_errors(t, where))
        if t.effect and t.effect not in _TAINT_EFFECTS:
            errs.append(not_supported(f"{where}.effect", t.effect, _TAINT_EFFECTS))
    return errs


def _toleration_operator_errors(t: Toleration, where: str) -> list[FieldError]:
    if t.operator in ("Equal", ""):
        msgs = is_valid_label_value(t.value)
        return [invalid(f"{where}.operator", t.value, ";".join(msgs))] if msgs else []
    if t.operator == "Exists":
        if t.value:
            return [invalid(f"{where}.operator", t.value,
                            "value must be empty when `operator` is 'Exists'")]
        return []
    return [not_supported(f"{where}.operator", t.operator, _TOLERATION_OPERATORS)]


def validate_pod_spec(
    spec: PodSpec, path: str = "spec", is_template: bool = False
) -> list[FieldError]:
    """``ValidatePodSpec`` with every path under ``path`` (``spec`` or ``spec.template.spec``).

    ``is_template`` is the opposite of ``PodValidationOptions.ResourceIsPod``: it only relaxes
    R-HN-2 (a template may leave ``hostPort`` at 0).
    """
    errs: list[FieldError] = []
    if spec.termination_grace_period_seconds is None:
        errs.append(required(f"{path}.terminationGracePeriodSeconds"))
    errs.extend(_validate_container_lists(spec, path))
    errs.extend(_validate_host_network_deps(spec, path, is_template))
    errs.extend(_enum_errors(spec.restart_policy, _RESTART_POLICIES, f"{path}.restartPolicy"))
    errs.extend(_enum_errors(spec.dns_policy, _DNS_POLICIES, f"{path}.dnsPolicy"))
    errs.extend(validate_labels(spec.node_selector, f"{path}.nodeSelector"))
    errs.extend(_validate_host_users(spec, path))
    errs.extend(_validate_spec_names(spec, path))
    if spec.tolerations:
        errs.extend(validate_tolerations(spec.tolerations, f"{path}.tolerations"))
    return errs + _validate_priority(spec, path)


def _validate_container_lists(spec: PodSpec, path: str) -> list[FieldError]:
    """Regular, init and ephemeral containers, in that order."""
    regular, inits = spec.containers, spec.init_containers
    errs = _validate_containers(regular, f"{path}.containers")
    errs.extend(_validate_init_containers(inits, regular, f"{path}.initContainers"))
    errs.extend(_validate_ephemeral_containers(
        spec.ephemeral_containers, regular, inits, f"{path}.ephemeralContainers"
    ))
    return errs


def _validate_spec_names(spec: PodSpec, path: str) -> list[FieldError]:
    """serviceAccountName, nodeName, activeDeadlineSeconds, hostname and subdomain."""
    errs: list[FieldError] = []
    for value, field in ((spec.service_account_name, "serviceAccountName"),
                         (spec.node_name, "nodeName")):
        if value:
            errs.extend(invalid_each(f"{path}.{field}", value, is_dns1123_subdomain(value)))
    ads = spec.active_deadline_seconds
    if ads is not None and not 1 <= ads <= _MAX_INT32:
        detail = inclusive_range_error(1, _MAX_INT32)
        errs.append(invalid(f"{path}.activeDeadlineSeconds", ads, detail))
    for value, field in ((spec.hostname, "hostname"), (spec.subdomain, "subdomain")):
        if value:
            errs.extend(invalid_each(f"{path}.{field}", value, is_dns1123_label(value)))
    return errs


def _validate_priority(spec: PodSpec, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = spec.priority_class_name
    if name:
        errs.extend(invalid_each(f"{path}.priorityClassName", name, is_dns1123_subdomain(name)))
    if spec.preemption_policy is not None:
        policy_path = f"{path}.preemptionPolicy"
        errs.extend(_enum_errors(spec.preemption_policy, _PREEMPTION_POLICIES, policy_path))
    return errs


def validate_pod_template(template: PodTemplateSpec, path: str) -> list[FieldError]:
    """``ValidatePodTemplateSpec`` at ``path`` (``spec.template``).

    Note Kubernetes' own quirk: template labels are reported at ``<path>.labels``, not
    ``<path>.metadata.labels``.
    """
    errs = validate_labels(template.metadata.labels, f"{path}.labels")
    errs.extend(validate_annotations(template.metadata.annotations, f"{path}.annotations"))
    errs.extend(_template_spec_errors(template.spec, f"{path}.spec"))
    if template.spec.ephemeral_containers:
        errs.append(forbidden(f"{path}.spec.ephemeralContainers",
                              "ephemeral containers not allowed in pod template"))
    return errs


def _template_spec_errors(spec: PodSpec, path: str) -> list[FieldError]:
    """``validate_pod_spec`` of a template's spec, memoized per spec object and path."""
    memo = _TEMPLATE_MEMOS.get(path)
    if memo is None:
        if len(_TEMPLATE_MEMOS) > 64:
            _TEMPLATE_MEMOS.clear()
        memo = _TEMPLATE_MEMOS[path] = IdentityMemo(
            lambda s, where=path: tuple(validate_pod_spec(s, where, is_template=True)))
    return list(memo(spec))


_TEMPLATE_MEMOS: dict[str, IdentityMemo] = {}


# --------------------------------------------------------------------------- pods


def _validate_pod_metadata_and_spec(pod: Pod) -> list[FieldError]:
    """``validatePodMetadataAndSpec``: shared by create and update."""
    errs = validate_object_meta(pod.metadata, True, dns1123_subdomain_name)
    errs.extend(_pod_spec_errors(pod.spec))
    return errs


def _spec_errors_of_pod(spec: PodSpec) -> tuple[FieldError, ...]:
    """The spec part of ``validatePodMetadataAndSpec``: a pure function of the spec."""
    errs = validate_pod_spec(spec, "spec", is_template=False)
    for i, ctr in enumerate(spec.containers):
        errs.extend(_image_whitespace_errors(ctr, f"spec.containers[{i}]"))
    for i, ctr in enumerate(spec.init_containers):
        errs.extend(_image_whitespace_errors(ctr, f"spec.initContainers[{i}]"))
    return tuple(errs)


_pod_spec_errors = IdentityMemo(_spec_errors_of_pod)


def validate_pod(pod: Pod) -> list[FieldError]:
    """``ValidatePodCreate``: every field error of a (defaulted) Pod, in Kubernetes' order."""
    errs = _validate_pod_metadata_and_spec(pod)
    if pod.spec.ephemeral_containers:
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    return errs


def validate_pod_update(old: Pod, new: Pod) -> list[FieldError]:
    """The update-only part of ``ValidatePodUpdate`` (R-CP-5: the pod spec is immutable).

    Returns only what an update adds to :func:`validate_pod` of the new object (the caller
    runs both and removes duplicates). ``new`` must be the object the server would store:
    defaulted and with server-set fields (``nodeName``) carried over, as ``kubectl apply``'s
    patch does. The Forbidden detail is :data:`POD_UPDATE_FORBIDDEN` without the spec diff.
    """
    counts = (
        ("containers", len(old.spec.containers), len(new.spec.containers)),
        ("initContainers", len(old.spec.init_containers), len(new.spec.init_containers)),
    )
    for field, before, after in counts:
        if before != after:
            return [forbidden(f"spec.{field}", "pod updates may not add or remove containers")]
    errs = _active_deadline_update_errors(old.spec, new.spec)
    if errs and new.spec.active_deadline_seconds is not None:
        return errs  # ValidatePodUpdate returns right after these two deadline errors
    errs.extend(_toleration_update_errors(old.spec.tolerations, new.spec.tolerations))
    if _munged_spec(old.spec, new.spec) != old.spec:
        errs.append(forbidden("spec", POD_UPDATE_FORBIDDEN))
    return errs


def _active_deadline_update_errors(old: PodSpec, new: PodSpec) -> list[FieldError]:
    path = "spec.activeDeadlineSeconds"
    value, before = new.active_deadline_seconds, old.active_deadline_seconds
    if value is None:
        if before is not None:
            # A nil *int64 renders as the quoted string "null" in ErrorBody.
            detail = "must not update from a positive integer to nil value"
            return [invalid(path, GoLiteral('"null"'), detail)]
        return []
    if not 0 <= value <= _MAX_INT32:
        return [invalid(path, value, inclusive_range_error(0, _MAX_INT32))]
    if before is not None and before < value:
        return [invalid(path, value, "must be less than or equal to previous value")]
    return []


def _toleration_update_errors(
    old: Sequence[Toleration], new: Sequence[Toleration]
) -> list[FieldError]:
    """``validateOnlyAddedTolerations``: existing tolerations may only change tolerationSeconds."""
    for before in old:
        if not any(evolve(before, toleration_seconds=t.toleration_seconds) == t
                   for t in new):
            detail = "existing toleration can not be modified except its tolerationSeconds"
            return [forbidden("spec.tolerations", detail)]
    return validate_tolerations(new, "spec.tolerations")


def _munged_spec(old: PodSpec, new: PodSpec) -> PodSpec:
    """The new spec with every updatable field put back to its old value."""

    def images(news: Sequence[Container], olds: Sequence[Container]) -> tuple:
        return tuple(evolve(n, image=o.image) for n, o in zip(news, olds))

    grace, old_grace = new.termination_grace_period_seconds, old.termination_grace_period_seconds
    if old_grace is not None and old_grace < 0 and grace == 1:
        grace = old_grace
    return evolve(
        new,
        containers=images(new.containers, old.containers),
        init_containers=images(new.init_containers, old.init_containers),
        active_deadline_seconds=old.active_deadline_seconds,
        scheduling_gates=old.scheduling_gates,
        tolerations=old.tolerations,
        termination_grace_period_seconds=grace,
    )


# --------------------------------------------------------------------------- warnings (R-W-1)


def _go_port(port: ContainerPort) -> str:
    """A ContainerPort as Go's ``%+v`` prints the internal struct."""
    return (
        f"{{Name:{port.name} HostPort:{port.host_port} ContainerPort:{port.container_port} "
        f"Protocol:{port.protocol} HostIP:{port.host_ip}}}"
    )


def _visit_containers(spec: PodSpec, path: str) -> list[tuple[Container, str]]:
    """``pods.VisitContainersWithPath`` order: init containers, containers, ephemeral containers."""
    return (
        [(c, f"{path}.initContainers[{i}]") for i, c in enumerate(spec.init_containers)]
        + [(c, f"{path}.containers[{i}]") for i, c in enumerate(spec.containers)]
        + [(c, f"{path}.ephemeralContainers[{i}]") for i, c in enumerate(spec.ephemeral_containers)]
    )


def _port_warning(port: ContainerPort, where: str, other: ContainerPort, other_where: str) -> str:
    if port.host_ip == other.host_ip and port.host_port == other.host_port:
        return f"{where}: duplicate port definition with {other_where}"
    if port.host_port == 0 or other.host_port == 0:
        return f"{where}: overlapping port definition with {other_where}"
    if port.host_port == other.host_port and (port.host_ip == "") != (other.host_ip == ""):
        return f"{where}: dangerously ambiguous port definition with {other_where}"
    return ""


def _port_warnings(spec: PodSpec, spec_path: str) -> list[str]:
    """The port part of ``warningsForPodSpecAndMeta``, keyed ``<containerPort>/<protocol>``."""
    warnings: list[str] = []
    seen: dict[str, list[tuple[ContainerPort, str]]] = {}
    for ctr, cpath in _visit_containers(spec, spec_path):
        for i, port in enumerate(ctr.ports):
            where = f"{cpath}.ports[{i}]"
            if port.host_ip and port.host_port == 0:
                warnings.append(f"{where}: hostIP set without hostPort: {_go_port(port)}")
            others = seen.setdefault(f"{port.container_port}/{port.protocol}", [])
            warnings.extend(
                w for w in (_port_warning(port, where, o, ow) for o, ow in others) if w
            )
            others.append((port, where))
    return warnings


def pod_warnings(pod: Pod) -> list[str]:
    """R-W-1 warnings of a Pod (``GetWarningsForPod``), without the ``Warning: `` prefix."""
    return list(_pod_spec_warnings(pod.spec))


_pod_spec_warnings = IdentityMemo(lambda spec: tuple(_port_warnings(spec, "spec")))


def pod_template_warnings(template: PodTemplateSpec, path_prefix: str) -> list[str]:
    """R-W-1 warnings of a pod template at ``path_prefix`` (``spec.template``)."""
    return _port_warnings(template.spec, f"{path_prefix}.spec")
