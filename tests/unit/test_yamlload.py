"""Reading manifests safely: one clear line per problem, never a traceback."""

from __future__ import annotations

import pytest

from grader.errors import ManifestError
from grader.model import yamlload
from grader.model.yamlload import load_documents, read_source


def _error(raw, source="web.yaml") -> str:
    with pytest.raises(ManifestError) as info:
        load_documents(raw, source)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_documents_keep_their_index_and_line_and_empty_ones_are_skipped():
    docs = load_documents("a: 1\n---\n---\n# only a comment\n---\nb: 2\n", "x.yaml")
    assert [(d.index, d.line, d.data) for d in docs] == [(1, 1, {"a": 1}), (4, 6, {"b": 2})]


def test_syntax_error_names_file_line_and_column():
    assert _error("a: [1, 2\nb: 3\n") == (
        "error: error parsing web.yaml: error converting YAML to JSON: yaml: line 2, column 2: "
        "did not find expected ',' or ']'"
    )


def test_tab_indentation_gets_a_plain_explanation():
    assert _error("spec:\n\tports: []\n").endswith(
        "yaml: line 2, column 1: found a tab character; YAML indentation must use spaces"
    )


def test_duplicate_keys_are_refused():
    assert _error("spec:\n  port: 80\n  port: 81\n").endswith('line 3, column 3: key "port" already set in map')


def test_non_utf8_bytes_are_refused_with_the_byte_and_line():
    assert _error(b"a: 1\nb: caf\xe9\n").endswith("yaml: line 2: invalid UTF-8 byte 0xe9 (save the file as UTF-8)")


def test_utf8_bom_is_accepted():
    assert load_documents("\ufeffa: 1\n".encode())[0].data == {"a": 1}


def test_alias_bomb_is_refused_before_expansion():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefg", "bcdefgh"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    assert _error("\n".join(lines)).endswith("yaml: document contains excessive aliasing")


def test_self_referencing_alias_is_refused():
    assert _error("a: &a [*a]\n").endswith("an alias refers to itself")


def test_small_aliases_are_fine():
    assert load_documents("a: &x {k: v}\nb: *x\n")[0].data == {"a": {"k": "v"}, "b": {"k": "v"}}


def test_timestamps_stay_strings_like_yaml_to_json():
    assert load_documents("t: 2026-01-01T00:00:00Z\n")[0].data == {"t": "2026-01-01T00:00:00Z"}


def test_oversized_text_is_refused(monkeypatch):
    monkeypatch.setattr(yamlload, "MAX_BYTES", 10)
    assert _error(b"a: 123456789012\n") == "error: web.yaml: the file is 16 bytes, over the 10-byte limit for a manifest"


def test_oversized_file_is_refused_without_reading_it(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 64)
    monkeypatch.setattr(yamlload, "MAX_BYTES", 32)
    with pytest.raises(ManifestError) as info:
        read_source(big)
    assert str(info.value) == f"error: {big}: the file is 64 bytes, over the 32-byte limit for a manifest"


def test_missing_file_is_reported_like_kubectl(tmp_path):
    with pytest.raises(ManifestError) as info:
        read_source(tmp_path / "nope.yaml")
    assert str(info.value) == f'error: the path "{tmp_path / "nope.yaml"}" does not exist'


def test_deep_nesting_is_refused_cleanly():
    message = _error("[" * 5000 + "]" * 5000)
    assert message.startswith("error: error parsing web.yaml")
