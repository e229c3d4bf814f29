"""Expectations from YAML: each entry kind builds what its Python builder builds; schema errors are one line."""

from __future__ import annotations

import pytest

from grader.backends.sim import SimBackend
from grader.checks import (
    accepted,
    balances,
    every_node,
    load_expectations,
    pending,
    reaches,
    refused,
    rejected,
    run,
    running,
    times_out,
    unresolvable,
)
from grader.errors import UsageError

EXAMPLE = """
# the issue's examples, one per entry kind
- {from: outside, curl: "kind-worker2:30080", expect: TIMEOUT}
- {every_node: 30008, expect: REACHED, pod: app=myapp}
- {rejected: Service/web, containing: "provided port is not in the valid range"}
- {from: pod/client, curl: "web:80", expect: reached, pod: app=web, client_ip: preserved, body: "^web", points: 2}
- {from: pod/client, curl: "web:81", expect: REFUSED}
- {from: pod/client, curl: "nope", expect: DNS, namespace: shop}
- {balances: "shop:80", from: pod/client, pods: app=shop}
- {accepted: svc/web}
- {pending: "edge-.*", because: "didn't have free ports"}
- {running: "web-.*", node: kind-worker}
"""


def test_every_entry_kind_builds_the_same_expectation_as_its_builder():
    assert load_expectations(EXAMPLE) == [
        times_out("outside", "kind-worker2:30080"),
        every_node(30008, pod="app=myapp"),
        rejected("Service", "web", "provided port is not in the valid range"),
        reaches("pod/client", "web:80", pod="app=web", client_ip="preserved", body="^web", points=2),
        refused("pod/client", "web:81"),
        unresolvable("pod/client", "nope", namespace="shop"),
        balances("pod/client", "shop:80", "app=shop"),
        accepted("Service", "web"),
        pending("edge-.*", because="didn't have free ports"),
        running("web-.*", node="kind-worker"),
    ]


def test_a_file_is_read_from_a_path(tmp_path):
    path = tmp_path / "checks.yaml"
    path.write_text("- {every_node: 30008}\n")
    assert load_expectations(path) == [every_node(30008)]
    assert load_expectations(str(path)) == [every_node(30008)]


def test_an_empty_file_has_no_expectations():
    assert load_expectations("# nothing yet\n") == []


def test_loaded_expectations_run():
    sim = SimBackend()
    sim.apply("""
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30008}]}
""")
    report = run(sim, load_expectations("- {every_node: 30008, expect: REFUSED}"))
    assert report.passed and len(report.results) == 3


@pytest.mark.parametrize("text, message", [
    ("- {from: outside, curl: x:1, expct: TIMEOUT}",
     "entry 1 (line 1): unknown key 'expct' for a curl entry; allowed keys: body, client_ip, curl, expect, from, "
     "namespace, pod, points"),
    ("- {curl: 'x:1'}", "entry 1 (line 1): a curl entry needs expect"),
    ("- {curl: 'x:1', expect: TIMEDOUT}", "entry 1 (line 1): expect must be one of REACHED, REFUSED, TIMEOUT, DNS, not 'TIMEDOUT'"),
    ("- 3", 'entry 1 (line 1): an entry must be a mapping such as {from: outside, curl: "kind-worker:30008", expect: REACHED}'),
    ("- {foo: 1}", "entry 1 (line 1): say what to check with one of: accepted, balances, curl, every_node, pending, "
                   "rejected, running"),
    ("- {curl: 'x:1', rejected: Service/web, expect: DNS}", "entry 1 (line 1): choose one of curl and rejected, not both"),
    ("- {every_node: abc}", "entry 1 (line 1): every_node must be a port number between 1 and 65535, not 'abc'"),
    ("- {every_node: 70000}", "entry 1 (line 1): every_node must be a port number between 1 and 65535, not 70000"),
    ("- {rejected: web, containing: x}", "entry 1 (line 1): rejected must be KIND/NAME, e.g. Service/web, not 'web'"),
    ("- {rejected: Service/web}", "entry 1 (line 1): a rejected entry needs containing"),
    ("- {rejected: Sevice/web, containing: x}", "entry 1 (line 1): unknown kind 'Sevice': use Service, Pod, Deployment, ..."),
    ("- {curl: 'x:1', expect: REFUSED, pod: app=x}", "entry 1 (line 1): pod only applies when expect is REACHED"),
    ("- {curl: 'x:1', expect: DNS, points: -1}", "entry 1 (line 1): points must be a number >= 0, not -1"),
    ("- {curl: 'x:1', expect: DNS, from: moon}", "entry 1 (line 1): unknown probe source 'moon': use outside, node/NAME or pod/NAME"),
    ("- {curl: 'x:1', expect: REACHED, client_ip: maybe}",
     "entry 1 (line 1): client_ip must be \"preserved\", \"snat\" or an IP address, not 'maybe'"),
    ("- {curl: 'x:1', expect: REACHED, body: '('}",
     "entry 1 (line 1): body '(' is not a valid regular expression: missing ), unterminated subpattern at position 0"),
    ("- {curl: 8080, expect: DNS}", "entry 1 (line 1): curl must be a string (quote it), not 8080"),
    ("- {pending: ''}", "entry 1 (line 1): pending must not be empty"),
    ("\n\n- {curl: 'x:1', expect: DNS}\n- {curl: 'x:1'}", "entry 2 (line 4): a curl entry needs expect"),
    ("{curl: 'x:1'}", 'expectations must be a YAML list of entries such as - {from: outside, curl: "kind-worker:30008", '
                      'expect: REACHED}'),
    ("- {every_node: 1}\n---\n- {every_node: 2}", "expected one YAML document (a list of entries), found 2"),
])
def test_schema_errors_are_one_line_naming_the_entry(text, message):
    with pytest.raises(UsageError) as info:
        load_expectations(text, name="checks.yaml")
    assert str(info.value) == f"checks.yaml: {message}"
    assert "\n" not in str(info.value)


def test_yaml_syntax_errors_name_the_file_and_line():
    with pytest.raises(UsageError) as info:
        load_expectations("- [", name="checks.yaml")
    assert str(info.value) == ("error: error parsing checks.yaml: error converting YAML to JSON: yaml: line 2, "
                               "column 1: did not find expected node content")


def test_duplicate_keys_are_refused():
    with pytest.raises(UsageError, match='key "expect" already set in map'):
        load_expectations("- {curl: 'x:1', expect: DNS, expect: TIMEOUT}")


def test_an_alias_bomb_is_refused_without_expanding_it():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    with pytest.raises(UsageError, match="excessive aliasing"):
        load_expectations(bomb)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        load_expectations(tmp_path / "nope.yaml")


def test_something_that_is_not_yaml_text_or_a_path_is_refused():
    with pytest.raises(UsageError, match="needs YAML text or a path, not int"):
        load_expectations(42)  # type: ignore[arg-type]
