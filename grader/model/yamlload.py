"""Reading manifests: multi-document YAML from a string, bytes or a file, safely.

Everything here treats the input as hostile data: only the safe YAML constructors are used,
files are size-limited, bytes must be UTF-8, aliases may not expand a document beyond a node
budget (the "billion laughs" bomb), duplicate keys are refused, and timestamps stay strings
(kubectl converts YAML to JSON, where there are no dates). Problems raise
:class:`~grader.errors.ManifestError` with one line that names the source and the problem.

PyYAML is imported on the first parse, not with this module: reading objects that are
already mappings (and ``import grader``) does not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import ManifestError
from grader.records import frozen

if TYPE_CHECKING:
    import yaml

__all__ = ["Document", "MAX_BYTES", "MAX_NODES", "load_documents", "read_source"]

MAX_BYTES = 4 * 1024 * 1024
"""Largest manifest file accepted (the API server's own request limit is 3 MiB)."""

MAX_NODES = 200_000
"""Largest number of YAML nodes one document may expand to once aliases are followed."""

_LOADER: Any = None


def _loader_class() -> Any:
    """The safe loader that refuses duplicate keys and keeps timestamps as strings (built once)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loader = type("_Loader", (base,), {"__doc__": _loader_class.__doc__})
        loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
        loader.add_constructor(
            "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
        )
        _LOADER = loader
    return _LOADER


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise _Problem(key_node, "a mapping key must be a plain scalar") from None
        if key in mapping:
            raise _Problem(key_node, f'key "{key}" already set in map')
        mapping[key] = loader.construct_object(value_node, deep=False)
    return mapping


class _Problem(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1


@frozen
class Document:
    """One non-empty YAML document of a source."""

    source: str
    index: int
    line: int
    data: Any


def read_source(path: str | Path) -> bytes:
    """Read a manifest file, refusing anything larger than :data:`MAX_BYTES`."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ManifestError(_too_big(str(path), size), source=str(path))
        with p.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ManifestError(f'error: the path "{path}" does not exist', source=str(path)) from None
    except IsADirectoryError:
        raise ManifestError(f'error: the path "{path}" is a directory', source=str(path)) from None
    except PermissionError:
        raise ManifestError(f'error: the path "{path}" cannot be read', source=str(path)) from None


def _too_big(source: str, size: int) -> str:
    return f"error: {source}: the file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit for a manifest"


def _parse_error(source: str, detail: str) -> ManifestError:
    return ManifestError(
        f"error: error parsing {source}: error converting YAML to JSON: yaml: {detail}", source=source
    )


def _decode_text(raw: str | bytes, source: str) -> str:
    if isinstance(raw, str):
        return raw
    if len(raw) > MAX_BYTES:
        raise ManifestError(_too_big(source, len(raw)), source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _parse_error(
            source, f"line {line}: invalid UTF-8 byte 0x{raw[exc.start]:02x} (save the file as UTF-8)"
        ) from None
    return text.removeprefix("\ufeff")


def load_documents(raw: str | bytes, source: str = "<string>") -> list[Document]:
    """Parse every document of a YAML stream; empty documents are skipped, as kubectl does."""
    text = _decode_text(raw, source)
    if len(text) > MAX_BYTES:
        raise ManifestError(_too_big(source, len(text)), source=source)
    docs: list[Document] = []
    import yaml

    loader = _loader_class()(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None:
                continue
            _check_expansion(node, source)
            data = loader.construct_document(node)
            if data is None:
                continue
            docs.append(Document(source, index, node.start_mark.line + 1, data))
    except _Problem as exc:
        raise _parse_error(source, f"line {exc.line}, column {exc.column}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        raise _parse_error(source, _describe(exc, text)) from None
    except yaml.YAMLError as exc:
        raise _parse_error(source, str(exc).splitlines()[0]) from None
    except RecursionError:
        raise _parse_error(source, "the document is nested too deeply") from None
    finally:
        loader.dispose()
    return docs


def _describe(exc: yaml.MarkedYAMLError, text: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return problem
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    lines = text.splitlines()
    bad = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in bad[: mark.column + 1] or "'\\t'" in problem:
        return f"{where}: found a tab character; YAML indentation must use spaces"
    return f"{where}: {problem}"


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse documents whose aliases expand past :data:`MAX_NODES` nodes or refer to themselves."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _parse_error(source, f"line {node.start_mark.line + 1}: an alias refers to itself")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        active.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            raise _parse_error(source, "document contains excessive aliasing")
        return total

    size(root)
