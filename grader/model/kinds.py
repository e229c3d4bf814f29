"""Which kinds the simulated API server serves, and turning a YAML document into an object.

Resolution follows kubectl: a document must be a mapping with ``apiVersion`` and ``kind``;
an unknown (kind, version) pair gets kubectl's "no matches for kind" message; a ``List``
is unpacked into its items; then the object is strictly decoded (R-API-1).
"""

from __future__ import annotations

import json
from typing import Any

from grader.errors import ManifestError
from grader.model import codec
from grader.model.objects import (
    Deployment,
    EndpointSlice,
    Endpoints,
    Namespace,
    Node,
    Object,
    Pod,
    PodSpec,
    ReplicaSet,
    Service,
)
from grader.model.yamlload import Document
from grader.records import frozen

__all__ = [
    "KINDS",
    "RESOURCES",
    "Resource",
    "DecodeFailure",
    "decode_document",
    "expand_lists",
    "resource_for",
]

KINDS: dict[tuple[str, str], type[Object]] = {
    (cls.API_VERSION, cls.KIND): cls
    for cls in (Pod, Service, Endpoints, EndpointSlice, Deployment, ReplicaSet, Namespace, Node)
}

codec.share_decoded(PodSpec)  # bulk pods of one template decode to one PodSpec (memos downstream hit)


@frozen
class Resource:
    """A REST resource as kubectl names it: plural, singular, short names."""

    cls: type[Object]
    plural: str
    singular: str
    short: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.plural, self.singular, *self.short)


RESOURCES: tuple[Resource, ...] = (
    Resource(Pod, "pods", "pod", ("po",)),
    Resource(Service, "services", "service", ("svc",)),
    Resource(Endpoints, "endpoints", "endpoints", ("ep",)),
    Resource(EndpointSlice, "endpointslices", "endpointslice"),
    Resource(Deployment, "deployments", "deployment", ("deploy",)),
    Resource(ReplicaSet, "replicasets", "replicaset", ("rs",)),
    Resource(Namespace, "namespaces", "namespace", ("ns",)),
    Resource(Node, "nodes", "node", ("no",)),
)


def resource_for(name: str) -> Resource | None:
    """The resource kubectl would pick for ``name`` (``svc``, ``pods``, ``Deployment``, ...)."""
    wanted = name.lower()
    if "." in wanted:
        wanted = wanted.split(".", 1)[0]
    for res in RESOURCES:
        if wanted in res.names or wanted == res.cls.KIND.lower():
            return res
    return None


@frozen
class DecodeFailure:
    """A document the API server answers with BadRequest (strict decoding, R-API-1)."""

    cls: type[Object]
    name: str
    detail: str

    def server_message(self) -> str:
        kind = self.cls.KIND
        return f'{kind} in version "{self.cls.API_VERSION.split("/")[-1]}" cannot be handled as a {kind}: {self.detail}'


def _compact(data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def expand_lists(doc: Document) -> list[Document]:
    """Check the shape of a document and unpack ``kind: List`` into its items."""
    data = doc.data
    if not isinstance(data, dict):
        shape = {list: "a list", str: "a string"}.get(type(data), "a scalar")
        raise ManifestError(
            f"error: error parsing {doc.source}: document {doc.index} (line {doc.line}) is {shape}, "
            "not a mapping; a manifest is a mapping with apiVersion, kind and metadata",
            source=doc.source,
        )
    if data.get("kind") == "List" and isinstance(data.get("items"), list):
        out = []
        for item in data["items"]:
            out.extend(expand_lists(Document(doc.source, doc.index, doc.line, item)))
        return out
    return [doc]


def decode_document(doc: Document) -> Object | DecodeFailure:
    """Decode one mapping into its kind's object, or say why the server refuses it.

    Raises :class:`ManifestError` for what kubectl itself refuses before any request
    (no kind, no apiVersion, a kind the server does not serve).
    """
    data = doc.data
    kind, version = data.get("kind"), data.get("apiVersion")
    if not kind or not isinstance(kind, str):
        raise ManifestError(
            f"error: unable to decode \"{doc.source}\": Object 'Kind' is missing in '{_compact(data)}'",
            source=doc.source,
        )
    if not version or not isinstance(version, str):
        raise ManifestError(
            f"error: unable to decode \"{doc.source}\": Object 'apiVersion' is missing in '{_compact(data)}'",
            source=doc.source,
        )
    cls = KINDS.get((version, kind))
    if cls is None:
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        name = meta.get("name", "")
        ns = meta.get("namespace", "")
        raise ManifestError(
            f'error: resource mapping not found for name: "{name}" namespace: "{ns}" from '
            f'"{doc.source}": no matches for kind "{kind}" in version "{version}"\n'
            "ensure CRDs are installed first",
            source=doc.source,
        )
    try:
        return codec.decode(cls, data)
    except codec.DecodeError as exc:
        meta = data.get("metadata")
        name = meta.get("name", "") if isinstance(meta, dict) else ""
        return DecodeFailure(cls, str(name), exc.detail())
