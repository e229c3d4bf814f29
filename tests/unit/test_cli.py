"""``kports``: kubectl's output and exit codes; bad input never produces a traceback."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from grader import cli
from grader.model import yamlload

S01 = Path(__file__).resolve().parents[1] / "scenarios" / "api" / "S01-nodeport-basic.yaml"


class _Stdin(io.StringIO):
    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.buffer = io.BytesIO(data)


def run(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdin=_Stdin(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, name: str, data: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def test_apply_prints_kubectls_lines_and_exits_zero():
    assert run("apply", "-f", str(S01)) == (0, "deployment.apps/myapp created\nservice/myapp created\n", "")


def test_apply_of_an_invalid_service_exits_one_with_the_message_on_stderr(tmp_path):
    path = _write(tmp_path, "web.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                  "spec: {type: NodePort, ports: [{port: 80, nodePort: 80}]}\n")
    code, out, err = run("apply", "-f", path)
    assert (code, out) == (1, "")
    assert err == ('The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not '
                   "in the valid range. The range of valid ports is 30000-32767\n")


def test_files_apply_in_order_so_a_later_file_can_collide_with_an_earlier_one(tmp_path):
    a = _write(tmp_path, "a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
               "spec: {type: NodePort, ports: [{port: 80, nodePort: 30008}]}\n")
    b = _write(tmp_path, "b.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
               "spec: {type: NodePort, ports: [{port: 80, nodePort: 30008}]}\n")
    code, out, err = run("apply", "-f", a, "-f", b)
    assert (code, out) == (1, "service/a created\n")
    assert err.endswith("Invalid value: 30008: provided port is already allocated\n")


def test_stdin_is_read_with_dash():
    code, out, _ = run("apply", "-f", "-", stdin=S01.read_bytes())
    assert (code, out) == (0, "deployment.apps/myapp created\nservice/myapp created\n")


def test_get_prints_the_table_after_applying():
    code, out, err = run("get", "svc", "myapp", "-f", str(S01))
    assert code == 0 and err == ""
    assert out.splitlines()[1].split()[4] == "80:30008/TCP"


def test_r_ep_7_get_endpoints_prints_the_deprecation_warning_before_the_table():
    """kubectl prints the API server's Warning header as the response arrives, before the table."""
    both = io.StringIO()
    code = cli.main(["get", "endpoints", "myapp", "-f", str(S01)], stdin=_Stdin(b""), stdout=both, stderr=both)
    lines = both.getvalue().splitlines()
    assert code == 0
    assert lines[0] == "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
    assert lines[1].split() == ["NAME", "ENDPOINTS", "AGE"]


def test_get_yaml_and_describe_work_from_the_command_line():
    assert "nodePort: 30008" in run("get", "svc", "myapp", "-o", "yaml", "-f", str(S01))[1]
    assert "NodePort:                 <unset>  30008/TCP" in run("describe", "svc", "myapp", "-f", str(S01))[1]


def test_get_of_a_missing_object_is_not_found():
    assert run("get", "svc", "nope") == (1, "", 'Error from server (NotFound): services "nope" not found\n')


def test_get_of_an_unknown_resource_type():
    assert run("get", "gadgets") == (1, "", 'error: the server doesn\'t have a resource type "gadgets"\n')


def test_empty_list_says_no_resources_found_on_stderr():
    assert run("get", "pods") == (0, "", "No resources found in default namespace.\n")


def test_single_node_cluster_option():
    code, out, _ = run("get", "nodes", "--cluster", "single")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["NAME", "kind-control-plane"]


BAD_INPUTS = {
    "syntax": ("apiVersion: v1\nkind: Service\nmetadata: {name: web\n", "error converting YAML to JSON: yaml: line"),
    "tabs": ("apiVersion: v1\nkind: Service\nspec:\n\tports: []\n", "found a tab character"),
    "list-document": ("- a\n- b\n", "is a list, not a mapping"),
    "scalar-document": ("hello\n", "is a string, not a mapping"),
    "no-kind": ("apiVersion: v1\nmetadata: {name: x}\n", "Object 'Kind' is missing"),
    "no-api-version": ("kind: Service\nmetadata: {name: x}\n", "Object 'apiVersion' is missing"),
    "empty": ("", "error: no objects passed to apply"),
    "comments-only": ("# nothing\n---\n", "error: no objects passed to apply"),
    "non-utf8": (b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9}\n", "invalid UTF-8 byte 0xe9"),
    "alias-bomb": ("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
                   "document contains excessive aliasing"),
    "comment-after-value": ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                            "spec:\n  type: NodePort   // outside access\n  ports: [{port: 80}]\n",
                            'spec.type: Unsupported value: "NodePort   // outside access"'),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_message_and_exit_one(tmp_path, case):
    data, expected = BAD_INPUTS[case]
    path = _write(tmp_path, "bad.yaml", data)
    code, out, err = run("apply", "-f", path)
    assert (code, out) == (1, "")
    assert expected in err and "Traceback" not in err
    assert "bad.yaml" in err or "no objects passed" in err or "is invalid" in err


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlload, "MAX_BYTES", 100)
    path = _write(tmp_path, "big.yaml", "# " + "x" * 200 + "\n")
    assert run("apply", "-f", path) == (
        1, "", f"error: {path}: the file is 203 bytes, over the 100-byte limit for a manifest\n"
    )


def test_missing_file_is_reported_like_kubectl(tmp_path):
    missing = str(tmp_path / "missing.yaml")
    assert run("apply", "-f", missing) == (1, "", f'error: the path "{missing}" does not exist\n')


def test_a_bad_topology_file_is_a_clear_error(tmp_path):
    topo = _write(tmp_path, "topo.yaml", "nodes: []\n")
    code, _, err = run("get", "nodes", "--cluster", topo)
    assert code == 1 and err == f"error: {topo}: 'nodes' must be a non-empty list\n"


def test_python_dash_m_grader_runs_the_same_cli():
    proc = subprocess.run([sys.executable, "-m", "grader", "apply", "-f", str(S01)],
                          capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, "deployment.apps/myapp created\nservice/myapp created\n")


# ---------------------------------------------------------------- curl, trace, rules (R-C-1)

NET = Path(__file__).resolve().parents[1] / "scenarios" / "net"


def test_curl_prints_the_body_exactly_and_exits_zero():
    code, out, err = run("curl", "172.18.0.3:30008/", "-f", str(S01))
    assert code == 0 and err == "" and "<title>Welcome to nginx!</title>" in out


def test_r_c_1_curl_refused_exits_7_with_curls_message():
    assert run("curl", "172.18.0.3:80", "-f", str(S01)) == (
        7, "", "curl: (7) Failed to connect to 172.18.0.3 port 80 after 0 ms: Couldn't connect to server\n")


def test_r_c_1_curl_timeout_exits_28_after_the_connect_timeout():
    code, out, err = run("curl", "--connect-timeout", "1", "10.96.0.1:80")
    assert (code, out) == (28, "")
    assert err == "curl: (28) Failed to connect to 10.96.0.1 port 80 after 1001 ms: Timeout was reached\n"


def test_r_c_1_unresolvable_name_exits_6():
    assert run("curl", "--from", "pod/client-w1", "nosuch", "-f", str(NET / "clients.yaml")) == (
        6, "", "curl: (6) Could not resolve host: nosuch\n")


def test_curl_from_a_pod_uses_the_cluster_dns():
    code, out, _ = run("curl", "--from", "pod/client-w1", "quiet/hostname",
                       "-f", str(NET / "S20-no-containerport.yaml"), "-f", str(NET / "clients.yaml"))
    assert (code, out) == (0, "quiet")


def test_curl_from_a_missing_pod_is_not_found():
    code, _, err = run("curl", "--from", "pod/ghost", "web")
    assert code == 1 and err == 'error: pods "ghost" not found\n'


def test_trace_names_each_hop_and_the_rule_that_dropped_the_packet():
    code, out, _ = run("trace", "172.18.0.4:30080", "-f", str(NET / "S23-etp-local.yaml"))
    assert code == 28
    assert "[kind-worker2] filter KUBE-EXTERNAL-SERVICES: DROP" in out
    assert '"default/echo has no local endpoints"' in out and "R-TP-2" in out
    assert out.rstrip().splitlines()[-1].startswith("  => TIMEOUT: default/echo has no local endpoints")


def test_trace_every_lists_each_possible_endpoint_with_its_probability():
    code, out, _ = run("trace", "--every", "--from", "pod/client-w1", "shop/hostname",
                       "-f", str(NET / "S14-named-targetport.yaml"), "-f", str(NET / "clients.yaml"))
    assert code == 0
    assert out.count("[50.0%] curl from pod/client-w1 to shop/hostname") == 2
    assert "REACHED pod default/v1" in out and "REACHED pod default/v2" in out


def test_rules_prints_an_iptables_save_document_for_a_node():
    code, out, _ = run("rules", "--node", "kind-worker", "-f", str(S01))
    assert code == 0
    assert out.startswith("# Generated by kports for node kind-worker")
    assert "*nat" in out and "*filter" in out and out.rstrip().endswith("COMMIT")
    assert '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/myapp" -m tcp --dport 30008 -j KUBE-EXT-' in out


def test_rules_for_an_unknown_node():
    assert run("rules", "--node", "nope") == (1, "", 'Error from server (NotFound): nodes "nope" not found\n')


def test_curl_url_errors_are_clean():
    code, _, err = run("curl", "ftp://x/")
    assert code == 1 and err.startswith("error: curl: (1) Protocol \"ftp\" not supported")


def test_curl_on_an_unknown_backend_is_a_usage_error():
    code, _, err = run("curl", "--backend", "nosuch", "172.18.0.3:30008")
    assert code == 1 and err.startswith("error: unknown backend 'nosuch'")


def test_curl_backend_sim_is_the_simulator():
    assert run("curl", "--backend", "sim", "172.18.0.3:80", "-f", str(S01))[0] == 7
