"""Deployment and ReplicaSet validation, with Kubernetes' exact texts.

Mirrors ``pkg/apis/apps/validation/validation.go`` (``ValidateDeploymentSpec``,
``ValidateReplicaSetSpec``, ``ValidatePodTemplateSpecForReplicaSet``,
``ValidateDeploymentStrategy``, ``ValidateRollingUpdateDeployment``), the label-selector
checks of ``apimachinery/pkg/apis/meta/v1/validation`` and the apps/v1 selector immutability
of ``pkg/registry/apps/{deployment,replicaset}/strategy.go``. The pod template goes through
:func:`grader.model.pod_validation.validate_pod_template` with ``spec.template`` paths.

Go value renderings used in messages:

* template labels are a ``map[string]string`` printed with ``%#v``
  (``map[string]string{"app":"x"}``; absent labels print ``map[string]string(nil)``);
* a ``*metav1.LabelSelector`` implements ``fmt.Stringer`` (gogo-protobuf ``String()``), which
  apimachinery's ``ErrorBody`` prefers:
  ``&LabelSelector{MatchLabels:map[string]string{app: x,},``
  ``MatchExpressions:[]LabelSelectorRequirement{},}`` (one line).
  Releases before that ``ErrorBody`` change printed ``v1.LabelSelector{MatchLabels:...}``.
"""

from __future__ import annotations

from typing import Any

from grader.model.fielderrors import (
    FieldError,
    GoLiteral,
    forbidden,
    go_quote,
    invalid,
    not_supported,
    required,
)
from grader.model.meta_validation import (
    dns1123_subdomain_name,
    validate_labels,
    validate_object_meta,
)
from grader.model.names import is_qualified_name, is_valid_label_value, regex_error
from grader.model.objects import (
    Deployment,
    DeploymentStrategy,
    LabelSelector,
    LabelSelectorRequirement,
    PodTemplateSpec,
    ReplicaSet,
)
from grader.model.pod_validation import pod_template_warnings, validate_pod_template

__all__ = [
    "deployment_warnings",
    "label_selector_literal",
    "labels_literal",
    "selector_matches",
    "validate_deployment",
    "validate_deployment_update",
    "validate_label_selector",
    "validate_replicaset",
    "validate_replicaset_update",
]

_NEGATIVE = "must be greater than or equal to 0"
_IMMUTABLE = "field is immutable"
_PERCENT_FMT = "[0-9]+%"
_PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'"


# --------------------------------------------------------------------------- Go renderings


def labels_literal(labels: dict[str, str]) -> GoLiteral:
    """A label map as Go's ``%#v`` prints it (keys sorted, as ``fmt`` sorts map keys)."""
    if not labels:
        return GoLiteral("map[string]string(nil)")
    pairs = ", ".join(f"{go_quote(k)}:{go_quote(labels[k])}" for k in sorted(labels))
    return GoLiteral(f"map[string]string{{{pairs}}}")


def _requirement_text(req: LabelSelectorRequirement) -> str:
    values = "[" + " ".join(req.values) + "]"
    return f"LabelSelectorRequirement{{Key:{req.key},Operator:{req.operator},Values:{values},}},"


def label_selector_literal(selector: LabelSelector) -> GoLiteral:
    """A ``*metav1.LabelSelector`` as its generated ``String()`` prints it."""
    labels = "".join(f"{k}: {selector.match_labels[k]}," for k in sorted(selector.match_labels))
    exprs = "".join(_requirement_text(r) for r in selector.match_expressions)
    return GoLiteral(
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


# --------------------------------------------------------------------------- selectors


def validate_label_selector(selector: LabelSelector, path: str) -> list[FieldError]:
    """``ValidateLabelSelector`` (strict: label values in expressions are checked)."""
    errs = validate_labels(selector.match_labels, f"{path}.matchLabels")
    for i, req in enumerate(selector.match_expressions):
        errs.extend(_validate_requirement(req, f"{path}.matchExpressions[{i}]"))
    return errs


def _validate_requirement(req: LabelSelectorRequirement, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if req.operator in ("In", "NotIn"):
        if not req.values:
            detail = "must be specified when `operator` is 'In' or 'NotIn'"
            errs.append(required(f"{path}.values", detail))
    elif req.operator in ("Exists", "DoesNotExist"):
        if req.values:
            detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            errs.append(forbidden(f"{path}.values", detail))
    else:
        errs.append(invalid(f"{path}.operator", req.operator, "not a valid selector operator"))
    errs.extend(invalid(f"{path}.key", req.key, m) for m in is_qualified_name(req.key))
    for j, value in enumerate(req.values):
        errs.extend(invalid(f"{path}.values[{j}]", value, m) for m in is_valid_label_value(value))
    return errs


def _requirement_matches(req: LabelSelectorRequirement, labels: dict[str, str]) -> bool:
    present = req.key in labels
    if req.operator == "In":
        return present and labels[req.key] in req.values
    if req.operator == "NotIn":
        return not present or labels[req.key] not in req.values
    if req.operator == "Exists":
        return present
    return not present  # DoesNotExist


def selector_matches(selector: LabelSelector | None, labels: dict[str, str]) -> bool:
    """``LabelSelectorAsSelector(sel).Matches(labels)``: a nil selector matches nothing."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in selector.match_labels.items()):
        return False
    return all(_requirement_matches(r, labels) for r in selector.match_expressions)


# --------------------------------------------------------------------------- shared spec parts


def _nonnegative(value: int | None, path: str) -> list[FieldError]:
    return [invalid(path, value, _NEGATIVE)] if value is not None and value < 0 else []


def _selector_errors(selector: LabelSelector | None) -> list[FieldError]:
    """Required, strict validation, and the non-empty rule (its text says "deployment" for both)."""
    if selector is None:
        return [required("spec.selector")]
    errs = validate_label_selector(selector, "spec.selector")
    if not selector.match_labels and not selector.match_expressions:
        errs.append(invalid("spec.selector", label_selector_literal(selector),
                            "empty selector is invalid for deployment"))
    return errs


def _template_errors(template: PodTemplateSpec, selector: LabelSelector | None) -> list[FieldError]:
    """``LabelSelectorAsSelector`` then ``ValidatePodTemplateSpecForReplicaSet``."""
    if selector is not None and validate_label_selector(selector, "spec.selector"):
        literal = label_selector_literal(selector)
        return [invalid("spec.selector", literal, "invalid label selector")]
    errs: list[FieldError] = []
    empty = selector is not None and not selector.match_labels and not selector.match_expressions
    labels = template.metadata.labels
    if not empty and not selector_matches(selector, labels):
        errs.append(invalid("spec.template.metadata.labels", labels_literal(labels),
                            "`selector` does not match template `labels`"))
    errs.extend(validate_pod_template(template, "spec.template"))
    policy = template.spec.restart_policy
    if policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", policy, ("Always",)))
    if template.spec.active_deadline_seconds is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


def _selector_immutable(old: LabelSelector | None, new: LabelSelector | None) -> list[FieldError]:
    """apps/v1 strategies: ``ValidateImmutableField(new.Spec.Selector, old.Spec.Selector)``."""
    if old == new:
        return []
    value = GoLiteral('"null"') if new is None else label_selector_literal(new)
    return [invalid("spec.selector", value, _IMMUTABLE)]


# --------------------------------------------------------------------------- Deployment strategy


def _int_or_percent(value: Any) -> tuple[int, bool]:
    """``getIntOrPercentValue``: (number, is_valid_percent)."""
    if isinstance(value, str):
        if value[:-1].isdigit() and value.endswith("%") and value[:-1].isascii():
            return int(value[:-1]), True
        return (int(value) if value.lstrip("-").isdigit() else 0), False
    return (value if isinstance(value, int) and not isinstance(value, bool) else 0), False


def _positive_int_or_percent(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str):
        if _int_or_percent(value)[1]:
            return []
        msg = regex_error(_PERCENT_MSG, _PERCENT_FMT, "1%", "93%")
        return [invalid(path, GoLiteral(value), msg)]
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, _NEGATIVE)]
    return []


def _rolling_update_errors(rolling: dict, path: str) -> list[FieldError]:
    """``ValidateRollingUpdateDeployment`` (values print through ``IntOrString.String()``)."""
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    errs = _positive_int_or_percent(unavailable, f"{path}.maxUnavailable")
    errs.extend(_positive_int_or_percent(surge, f"{path}.maxSurge"))
    if _int_or_percent(unavailable)[0] == 0 and _int_or_percent(surge)[0] == 0:
        errs.append(invalid(f"{path}.maxUnavailable", GoLiteral(str(unavailable)),
                            "may not be 0 when `maxSurge` is 0"))
    number, is_percent = _int_or_percent(unavailable)
    if is_percent and number > 100:
        errs.append(invalid(f"{path}.maxUnavailable", GoLiteral(str(unavailable)),
                            "must not be greater than 100%"))
    return errs


def _strategy_literal(strategy: DeploymentStrategy) -> GoLiteral:
    # A non-nil pointer prints as its address in Go; the address below is a stand-in.
    pointer = "nil" if strategy.rolling_update is None else "0xc000000000"
    return GoLiteral(
        f"apps.DeploymentStrategy{{Type:{go_quote(strategy.type)}, "
        f"RollingUpdate:(*apps.RollingUpdateDeployment)({pointer})}}"
    )


def _strategy_errors(strategy: DeploymentStrategy, path: str) -> list[FieldError]:
    """``ValidateDeploymentStrategy``."""
    if strategy.type == "Recreate":
        if strategy.rolling_update is not None:
            return [forbidden(f"{path}.rollingUpdate",
                              "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if strategy.type == "RollingUpdate":
        if not isinstance(strategy.rolling_update, dict):
            return [required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
        return _rolling_update_errors(strategy.rolling_update, f"{path}.rollingUpdate")
    return [not_supported(path, _strategy_literal(strategy), ("Recreate", "RollingUpdate"))]


# --------------------------------------------------------------------------- Deployment


def _deployment_spec_errors(d: Deployment) -> list[FieldError]:
    """``ValidateDeploymentSpec``."""
    spec = d.spec
    errs = _nonnegative(spec.replicas, "spec.replicas")
    errs.extend(_selector_errors(spec.selector))
    errs.extend(_template_errors(spec.template, spec.selector))
    errs.extend(_strategy_errors(spec.strategy, "spec.strategy"))
    errs.extend(_nonnegative(spec.min_ready_seconds, "spec.minReadySeconds"))
    errs.extend(_nonnegative(spec.revision_history_limit, "spec.revisionHistoryLimit"))
    deadline = spec.progress_deadline_seconds
    if deadline is not None:
        errs.extend(_nonnegative(deadline, "spec.progressDeadlineSeconds"))
        if deadline <= spec.min_ready_seconds:
            errs.append(invalid("spec.progressDeadlineSeconds", deadline,
                                "must be greater than minReadySeconds"))
    return errs


def validate_deployment(d: Deployment) -> list[FieldError]:
    """``ValidateDeployment``: metadata, then the spec (template paths under ``spec.template``)."""
    errs = validate_object_meta(d.metadata, True, dns1123_subdomain_name)
    return errs + _deployment_spec_errors(d)


def validate_deployment_update(old: Deployment, new: Deployment) -> list[FieldError]:
    """``ValidateDeploymentUpdate`` (spec) plus apps/v1 selector immutability.

    Metadata is left to :func:`validate_deployment`, which the caller also runs.
    """
    return _deployment_spec_errors(new) + _selector_immutable(old.spec.selector, new.spec.selector)


def deployment_warnings(d: Deployment) -> list[str]:
    """R-W-1 warnings of the pod template, on ``spec.template.spec...`` paths."""
    return pod_template_warnings(d.spec.template, "spec.template")


# --------------------------------------------------------------------------- ReplicaSet


def _replicaset_spec_errors(rs: ReplicaSet) -> list[FieldError]:
    """``ValidateReplicaSetSpec``."""
    spec = rs.spec
    errs = _nonnegative(spec.replicas, "spec.replicas")
    errs.extend(_nonnegative(spec.min_ready_seconds, "spec.minReadySeconds"))
    errs.extend(_selector_errors(spec.selector))
    errs.extend(_template_errors(spec.template, spec.selector))
    return errs


def validate_replicaset(rs: ReplicaSet) -> list[FieldError]:
    """``ValidateReplicaSet``."""
    errs = validate_object_meta(rs.metadata, True, dns1123_subdomain_name)
    return errs + _replicaset_spec_errors(rs)


def validate_replicaset_update(old: ReplicaSet, new: ReplicaSet) -> list[FieldError]:
    """``ValidateReplicaSetUpdate`` (spec) plus apps/v1 selector immutability."""
    return _replicaset_spec_errors(new) + _selector_immutable(old.spec.selector, new.spec.selector)

