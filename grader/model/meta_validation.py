"""Validation of ``metadata`` and of label maps, shared by every kind.

Mirrors apimachinery's ``ValidateObjectMetaAccessor``: ``name`` (or ``generateName``) is
required and checked with the kind's name rule, ``namespace`` is required for namespaced kinds
and forbidden otherwise, labels and annotations must have qualified-name keys and valid values.
"""

from __future__ import annotations

from typing import Callable

from grader.model.fielderrors import FieldError, forbidden, invalid, required, too_long
from grader.model.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
)
from grader.model.objects import ObjectMeta

__all__ = [
    "NameRule",
    "dns1035_name",
    "dns1123_label_name",
    "dns1123_subdomain_name",
    "validate_annotations",
    "validate_labels",
    "validate_object_meta",
]

NameRule = Callable[[str, bool], list[str]]
"""``rule(name, is_prefix) -> messages``; a prefix (``generateName``) may end with a dash."""

TOTAL_ANNOTATION_SIZE = 256 * 1024


def _mask_trailing_dash(name: str) -> str:
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def dns1123_subdomain_name(name: str, prefix: bool) -> list[str]:
    """Names of Pods, Deployments, ReplicaSets, Endpoints, EndpointSlices."""
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def dns1035_name(name: str, prefix: bool) -> list[str]:
    """Names of Services (R-SV-1)."""
    return is_dns1035_label(_mask_trailing_dash(name) if prefix else name)


def dns1123_label_name(name: str, prefix: bool) -> list[str]:
    """Names of Namespaces."""
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    """Every key a qualified name, every value a label value; errors on the map's path."""
    errs = []
    for key in sorted(labels):
        errs.extend(invalid(path, key, m) for m in is_qualified_name(key))
        value = labels[key]
        errs.extend(invalid(path, value, m) for m in is_valid_label_value(value))
    return errs


def validate_annotations(annotations: dict[str, str], path: str) -> list[FieldError]:
    errs = []
    total = 0
    for key in sorted(annotations):
        errs.extend(invalid(path, key, m) for m in is_qualified_name(key.lower()))
        total += len(key) + len(annotations[key])
    if total > TOTAL_ANNOTATION_SIZE:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE))
    return errs


def validate_object_meta(
    meta: ObjectMeta, namespaced: bool, name_rule: NameRule, path: str = "metadata"
) -> list[FieldError]:
    """All errors of one ``metadata`` block."""
    errs: list[FieldError] = []
    if meta.generate_name:
        errs.extend(
            invalid(f"{path}.generateName", meta.generate_name, m)
            for m in name_rule(meta.generate_name, True)
        )
    if not meta.name:
        errs.append(required(f"{path}.name", "name or generateName is required"))
    else:
        errs.extend(invalid(f"{path}.name", meta.name, m) for m in name_rule(meta.name, False))
    if namespaced:
        if not meta.namespace:
            errs.append(required(f"{path}.namespace"))
        else:
            errs.extend(
                invalid(f"{path}.namespace", meta.namespace, m)
                for m in dns1123_label_name(meta.namespace, False)
            )
    elif meta.namespace:
        errs.append(forbidden(f"{path}.namespace", "not allowed on this type"))
    if meta.generation < 0:
        errs.append(invalid(f"{path}.generation", meta.generation, "must be greater than or equal to 0"))
    errs.extend(validate_labels(meta.labels, f"{path}.labels"))
    errs.extend(validate_annotations(meta.annotations, f"{path}.annotations"))
    return errs
