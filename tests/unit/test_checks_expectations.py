"""Expectations on the simulator: for every type a passing and a failing case, errors as results.

A check that cannot fail is a defect, so each expectation is shown to FAIL on a known-wrong
cluster with the learner's message, and to PASS on the reference one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.backends.sim import SimBackend
from grader.checks import (
    CheckResult,
    Context,
    Status,
    accepted,
    balances,
    every_node,
    pending,
    predictions,
    reaches,
    refused,
    rejected,
    run,
    running,
    times_out,
    unresolvable,
)
from grader.checks import messages as msg
from grader.checks.base import Expectation
from grader.errors import UsageError

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CLIENTS = (SCENARIOS / "net" / "clients.yaml").read_text()
S01 = (SCENARIOS / "api" / "S01-nodeport-basic.yaml").read_text()
S14 = (SCENARIOS / "net" / "S14-named-targetport.yaml").read_text()
S15 = S14.replace("    ports: [{name: http, containerPort: 9090}]\n", "")
S21 = (SCENARIOS / "net" / "S21-liar.yaml").read_text()
S23 = (SCENARIOS / "net" / "S23-etp-local.yaml").read_text()
S30 = (SCENARIOS / "net" / "S30-hostport.yaml").read_text()
S32 = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge}
spec:
  replicas: 3
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80, hostPort: 80}]}]
"""
BAD_NODE_PORT = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 80}]}
"""
GOOD_NODE_PORT = BAD_NODE_PORT.replace("nodePort: 80}", "nodePort: 30080}")
NO_FREE_PORTS = "didn't have free ports for the requested pod ports"


def context(*manifests: str) -> Context:
    """The reference cluster with the client pods, then the learner's manifests, applied through a Context."""
    ctx = Context(SimBackend())
    ctx.apply(CLIENTS, source="clients.yaml")
    for text in manifests:
        ctx.apply(text, source="learner.yaml")
    return ctx


def verdict(exp: Expectation, ctx) -> CheckResult:
    return exp.evaluate(ctx)


# ---------------------------------------------------------------------- curl outcomes


def test_reaches_passes_when_a_matching_pod_answers_r_kp_4():
    result = verdict(reaches("outside", "kind-worker:30008", pod="app=myapp"), context(S01))
    assert result.status is Status.PASSED
    assert result.points == result.max_points == 1
    assert result.message.startswith("curl from outside to kind-worker:30008 reached pod default/myapp-")


def test_reaches_fails_with_the_diagnosis_when_nothing_answers():
    result = verdict(reaches("outside", "kind-worker2:30080", pod="app=echo"), context(S23))
    assert result.status is Status.FAILED
    assert result.points == 0
    assert result.message == ("curl from outside to kind-worker2:30080 timed out: the Service echo has "
                              "externalTrafficPolicy Local and kind-worker2 runs none of its pods (R-TP-2)")
    assert result.rule == "R-TP-2"
    assert result.trace.startswith("curl from outside to kind-worker2:30080\n")


def test_reaches_fails_when_a_pod_with_other_labels_answers():
    result = verdict(reaches("pod/client-w1", "shop", pod="app=other"), context(S14))
    assert result.status is Status.FAILED
    assert result.message.endswith(": that pod is labelled app=shop")


@pytest.mark.parametrize("pattern, status", [
    ("v[12]", Status.PASSED),
    ("default/v.", Status.PASSED),
    ("v3", Status.FAILED),
])
def test_reaches_matches_pod_names_as_whole_regexes(pattern, status):
    assert verdict(reaches("pod/client-w1", "shop", pod=pattern), context(S14)).status is status


def test_reaches_client_ip_preserved_passes_under_local_policy_r_tp_2():
    exp = reaches("outside", "kind-worker:30080/clientip", client_ip="preserved")
    assert verdict(exp, context(S23)).status is Status.PASSED


def test_reaches_client_ip_preserved_fails_under_cluster_policy_r_kp_9():
    exp = reaches("outside", "kind-worker2:30080/clientip", client_ip="preserved")
    result = verdict(exp, context(S23.replace("  externalTrafficPolicy: Local\n", "")))
    assert result.status is Status.FAILED
    assert "it saw the client as 172.18.0.4, not as 172.18.0.1: kind-worker2 rewrote the source address" in result.message
    assert result.hint == msg.FIX_LOCAL_POLICY
    assert result.rule == "R-KP-9"


def test_reaches_client_ip_snat_passes_when_the_source_was_rewritten():
    exp = reaches("outside", "kind-worker2:30080", client_ip="snat")
    assert verdict(exp, context(S23.replace("  externalTrafficPolicy: Local\n", ""))).status is Status.PASSED


def test_reaches_client_ip_snat_fails_when_the_pod_saw_the_real_client():
    result = verdict(reaches("outside", "kind-worker:30080", client_ip="snat"), context(S23))
    assert result.status is Status.FAILED
    assert result.message.endswith("it saw the client's own address 172.18.0.1: nothing rewrote the source")


@pytest.mark.parametrize("address, status", [("172.18.0.1", Status.PASSED), ("10.9.9.9", Status.FAILED)])
def test_reaches_client_ip_exact(address, status):
    assert verdict(reaches("outside", "kind-worker:8080", client_ip=address), context(S30)).status is status


@pytest.mark.parametrize("body, status", [(r"^v[12]$", Status.PASSED), (r"^v3$", Status.FAILED)])
def test_reaches_body_is_a_regex_searched_in_the_answer(body, status):
    result = verdict(reaches("pod/client-w1", "shop/hostname", body=body), context(S14))
    assert result.status is status
    if status is Status.FAILED:
        assert result.message.endswith("it answered 'v1'") or result.message.endswith("it answered 'v2'")


def test_refused_passes_on_a_reset_from_the_pod_r_cp_1():
    result = verdict(refused("pod/client-w1", "liar"), context(S21))
    assert result.status is Status.PASSED
    assert result.message.startswith("curl from pod/client-w1 to liar was refused: the Service liar sends port 80")


def test_refused_fails_when_the_connection_is_accepted():
    result = verdict(refused("pod/client-w1", "liar"), context(S21.replace("ports: [{port: 80}]",
                                                                           "ports: [{port: 80, targetPort: 8080}]")))
    assert result.status is Status.FAILED
    assert result.message.startswith("curl from pod/client-w1 to liar reached pod default/liar (container web)")


def test_times_out_passes_on_a_local_policy_drop_and_fails_on_a_refusal():
    ctx = context(S23)
    assert verdict(times_out("outside", "kind-worker2:30080"), ctx).status is Status.PASSED
    failed = verdict(times_out("outside", "kind-worker2:80"), ctx)
    assert failed.status is Status.FAILED
    assert failed.message.startswith("curl from outside to kind-worker2:80 was refused")


def test_unresolvable_passes_on_a_missing_name_and_fails_on_a_service():
    ctx = context(S01)
    assert verdict(unresolvable("pod/client-w1", "nope"), ctx).status is Status.PASSED
    assert verdict(unresolvable("pod/client-w1", "myapp"), ctx).status is Status.FAILED


# ---------------------------------------------------------------------- every node


def test_every_node_passes_on_a_cluster_policy_node_port_r_kp_4():
    report = run(context(S01), every_node(30008, pod="app=myapp"))
    assert [r.status for r in report.results] == [Status.PASSED] * 3
    assert [r.expectation for r in report.results] == [
        f"from outside, {ip}:30008 ({name}) reaches a pod labelled app=myapp"
        for ip, name in (("172.18.0.2", "kind-control-plane"), ("172.18.0.3", "kind-worker"), ("172.18.0.4", "kind-worker2"))
    ]
    assert report.score == report.max_score == 1


def test_every_node_fails_on_nodes_without_a_local_endpoint_with_partial_credit_r_tp_2():
    exp = every_node(30080, pod="app=echo")
    report = run(context(S23), exp)
    assert [r.status for r in report.results] == [Status.FAILED, Status.PASSED, Status.FAILED]
    assert report.score == pytest.approx(1 / 3)
    combined = exp.evaluate(context(S23))
    assert combined.expectation == "from outside, every node's port 30080 reaches a pod labelled app=echo"
    assert combined.status is Status.FAILED
    assert combined.message.endswith("kind-control-plane runs none of its pods (R-TP-2)")
    assert combined.points == pytest.approx(1 / 3) and combined.max_points == 1


def test_every_node_can_expect_another_outcome():
    report = run(context(S01), every_node(30009, expect="REFUSED"))
    assert report.passed and len(report.results) == 3


# ---------------------------------------------------------------------- load balancing


def test_balances_passes_when_every_ready_pod_can_answer_r_kp_6():
    result = verdict(balances("pod/client-w1", "shop", "app=shop"), context(S14))
    assert result.status is Status.PASSED
    assert result.message == "curl from pod/client-w1 to shop is answered by default/v1 (50%) and default/v2 (50%)"


def test_balances_fails_when_a_pod_lacks_the_named_port_r_ep_5():
    """S15: v2 declares no port named http, so it is never an endpoint."""
    result = verdict(balances("pod/client-w1", "shop", "app=shop"), context(S15))
    assert result.status is Status.FAILED
    assert result.message == ("curl from pod/client-w1 to shop is answered by default/v1 (100%), never by "
                              "default/v2; v2 is not an endpoint: it declares no containerPort named 'http'")
    assert result.hint == "name the pods' containerPort 'http' (name: http, containerPort: 9090), or set targetPort: 9090"
    assert result.rule == "R-EP-5"


def test_balances_fails_with_the_diagnosis_of_a_path_that_fails():
    result = verdict(balances("pod/client-w1", "liar", "app=liar"), context(S21))
    assert result.message.startswith("curl from pod/client-w1 to liar is answered by no pod, never by default/liar; "
                                     "a connection was refused: the Service liar sends port 80")
    assert result.hint == "set targetPort: 8080"


def test_balances_fails_when_no_ready_pod_is_selected():
    result = verdict(balances("pod/client-w1", "liar", "app=nothing"), context(S21))
    assert (result.status, result.message) == (Status.FAILED, msg.NO_READY_POD)


# ---------------------------------------------------------------------- API answers


def test_rejected_passes_on_the_apiservers_text_r_np_2():
    result = verdict(rejected("Service", "web", "provided port is not in the valid range"), context(BAD_NODE_PORT))
    assert result.status is Status.PASSED
    assert result.message == ('the Service "web" was rejected: Service "web" is invalid: spec.ports[0].nodePort: '
                              "Invalid value: 80: provided port is not in the valid range. The range of valid "
                              "ports is 30000-32767")
    assert result.evidence.startswith("$ kubectl apply -f learner.yaml\nThe Service \"web\" is invalid: ")


def test_rejected_fails_on_another_message():
    result = verdict(rejected("svc", "web", "already allocated"), context(BAD_NODE_PORT))
    assert result.status is Status.FAILED
    assert result.message.startswith('the Service "web" was rejected: ')


def test_rejected_fails_when_the_object_was_accepted():
    result = verdict(rejected("Service", "web", "valid range"), context(GOOD_NODE_PORT))
    assert (result.status, result.message) == (Status.FAILED, 'the Service "web" was accepted (service/web created)')


def test_rejected_fails_when_the_object_was_never_applied():
    result = verdict(rejected("Service", "api", "valid range"), context(GOOD_NODE_PORT))
    assert result.message == 'no Service "api" was applied'


def test_rejected_names_the_file_error_that_stopped_the_object():
    result = verdict(rejected("Service", "web", "valid range"), context("kind: Service\n  bad: [indent"))
    assert result.status is Status.FAILED
    assert result.message.startswith('the Service "web" never reached the API server: error: error parsing learner.yaml')


def test_rejected_without_apply_results_is_an_error_that_says_what_is_needed():
    sim = SimBackend()
    result = verdict(rejected("Service", "web", "valid range"), sim)
    assert (result.status, result.message) == (Status.ERROR, msg.NO_APPLY_RESULTS)


def test_the_newest_apply_decides_after_a_fix():
    ctx = context(BAD_NODE_PORT, GOOD_NODE_PORT)
    assert verdict(accepted("Service", "web"), ctx).status is Status.PASSED
    assert verdict(rejected("Service", "web", "valid range"), ctx).status is Status.FAILED


def test_accepted_passes_and_fails():
    assert verdict(accepted("Service", "web"), context(GOOD_NODE_PORT)).status is Status.PASSED
    failed = verdict(accepted("Service", "web"), context(BAD_NODE_PORT))
    assert failed.status is Status.FAILED
    assert failed.message.startswith('the Service "web" was rejected: Service "web" is invalid')


def test_accepted_without_apply_results_looks_the_object_up():
    sim = SimBackend()
    sim.apply(GOOD_NODE_PORT)
    assert verdict(accepted("Service", "web"), sim).message == 'the Service "web" exists in the cluster'
    missing = verdict(accepted("Service", "api"), sim)
    assert (missing.status, missing.message) == (Status.FAILED, 'the Service "api" does not exist in the cluster')


# ---------------------------------------------------------------------- pods


def test_pending_passes_with_the_failed_scheduling_message_r_sch_4():
    result = verdict(pending("edge-.*", because=NO_FREE_PORTS), context(S32))
    assert result.status is Status.PASSED
    assert result.message.endswith(
        "is Pending: 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    assert "Warning  FailedScheduling" in result.evidence


def test_pending_fails_on_another_reason():
    result = verdict(pending("edge-.*", because="Insufficient cpu"), context(S32))
    assert result.status is Status.FAILED
    assert NO_FREE_PORTS in result.message


def test_pending_fails_when_every_pod_runs():
    result = verdict(pending("hp"), context(S30))
    assert (result.status, result.message) == (Status.FAILED, "pod hp is Running and ready on kind-worker")


def test_pending_fails_when_no_pod_matches():
    result = verdict(pending("web-.*"), context(S30))
    assert result.message == "no pod in namespace default matches web-.*"


def test_running_passes_on_the_named_node_r_hp_3():
    result = verdict(running("hp", node="kind-worker"), context(S30))
    assert (result.status, result.message) == (Status.PASSED, "pod hp is Running and ready on kind-worker")


def test_running_fails_on_another_node():
    result = verdict(running("hp", node="kind-worker2"), context(S30))
    assert (result.status, result.message) == (Status.FAILED, "pod hp is Running and ready on kind-worker")


def test_running_fails_on_a_pending_replica_with_its_reason():
    result = verdict(running("app=edge"), context(S32))
    assert result.status is Status.FAILED
    assert NO_FREE_PORTS in result.message


# ---------------------------------------------------------------------- predictions


MATRIX = {
    ("outside", "kind-worker:30008"): "REACHED",
    ("outside", "kind-worker:80"): "timeout",
    ("pod/client-w1", "myapp:30008"): "maybe",
}


def test_predictions_give_one_result_per_cell_and_partial_credit():
    report = run(context(S01), predictions(MATRIX, points=3))
    assert [r.status for r in report.results] == [Status.PASSED, Status.FAILED, Status.FAILED]
    assert (report.score, report.max_score) == (1, 3)
    wrong = report.results[1]
    assert wrong.expectation == "your prediction: from outside, kind-worker:80 is timeout"
    assert wrong.message.startswith("you predicted TIMEOUT; curl from outside to kind-worker:80 was refused: "
                                    "kind-worker does not listen on port 80")
    assert wrong.hint == "curl kind-worker:30008"
    assert report.results[2].message.startswith("'maybe' is not an outcome; predict one of REACHED, REFUSED, "
                                                "TIMEOUT, DNS; curl from pod/client-w1 to myapp:30008 timed out")


def test_predictions_accept_a_nested_matrix_and_lowercase_outcomes():
    report = run(context(S01), predictions({"outside": {"kind-worker:30008": "reached", "kind-worker:80": "refused"}}))
    assert report.passed and len(report.results) == 2


@pytest.mark.parametrize("matrix, message", [
    ("REACHED", msg.BAD_MATRIX),
    ({}, msg.BAD_MATRIX),
    ({42: "REACHED"}, "cannot read the prediction '42': a key must be (source, url)"),
    ({("outside", 30008): "REACHED"}, "cannot read the prediction \"('outside', 30008)\": a key must be (source, url)"),
    ({"outside": {30008: "REACHED"}}, "cannot read the prediction \"('outside', 30008)\": a key must be (source, url)"),
    ({("outside", "web 80"): "DNS"}, "curl: (3) URL rejected: Malformed input to a URL function ('web 80')"),
    ({("moon", "web"): "DNS"}, "unknown probe source 'moon': use outside, node/NAME or pod/NAME"),
])
def test_predictions_a_learner_cannot_write_become_failed_cells(matrix, message):
    report = run(context(S01), predictions(matrix))
    assert [(r.status, r.message) for r in report.results] == [(Status.FAILED, message)]


# ---------------------------------------------------------------------- errors, skips, hidden


def test_a_source_pod_that_does_not_exist_is_an_error_naming_the_expectation():
    result = verdict(refused("pod/nope", "web"), context(S01))
    assert result.status is Status.ERROR
    assert result.expectation == "from pod/nope, web is refused"
    assert result.message == 'the check could not run: pods "nope" not found'


def test_run_keeps_going_after_an_error():
    report = run(context(S01), [refused("pod/nope", "web"), reaches("outside", "kind-worker:30008")])
    assert [r.status for r in report.results] == [Status.ERROR, Status.PASSED]


def test_a_bug_inside_an_expectation_becomes_an_error_result():
    class Broken(Expectation):
        points = 2.0

        def describe(self, hidden=False):
            return "a broken check"

        def _check(self, ctx):
            raise KeyError("boom")

    result = run(context(), [Broken()]).results[0]
    assert (result.status, result.message, result.max_points) == (
        Status.ERROR, "the check could not run: KeyError: 'boom'", 2.0)


def test_run_reports_things_that_are_not_expectations():
    result = run(context(), ["reaches web"]).results[0]
    assert (result.status, result.message) == (Status.ERROR, "not an expectation: 'reaches web'")


def test_run_on_something_that_is_not_a_backend_is_an_error_per_expectation():
    result = run(object(), [refused("outside", "web")]).results[0]
    assert (result.status, result.message) == (
        Status.ERROR, "the check could not run: expected a backend or a Context, not object")


def test_an_unavailable_backend_skips_every_expectation_with_its_reason():
    class Down(SimBackend):
        name = "kind"

        def available(self):
            return "docker is not running"

    report = run(Down(), [refused("outside", "web"), every_node(30008)])
    assert [(r.status, r.message) for r in report.results] == [
        (Status.SKIPPED, "skipped: backend 'kind' is unavailable: docker is not running")] * 2
    assert not report.passed and report.score == 0 and report.max_score == 2


def test_hidden_keeps_the_message_and_hint_but_not_the_expected_value_or_the_trace():
    ctx = context(BAD_NODE_PORT, S23)
    exps = [rejected("Service", "web", "SECRET-TEXT"), reaches("outside", "kind-worker2:30080", pod="app=SECRETLABEL")]
    report = run(ctx, exps, hidden=True)
    text, html = report.text(), report.html()
    assert "SECRET" not in text and "SECRET" not in html
    assert [r.expectation for r in report.results] == [
        'the Service "web" (hidden check)', "from outside, kind-worker2:30080 (hidden check)"]
    assert report.results[1].hint.startswith("curl a node that runs one of its pods")
    assert all(r.trace == "" for r in report.results)
    assert report.results[1].message == run(ctx, exps[1:]).results[0].message


# ---------------------------------------------------------------------- builders refuse misuse


@pytest.mark.parametrize("build, message", [
    (lambda: reaches("moon", "web"), "unknown probe source 'moon': use outside, node/NAME or pod/NAME"),
    (lambda: reaches("outside", "ftp://web"), 'curl: (1) Protocol "ftp" not supported (the simulator speaks http:// and udp://)'),
    (lambda: reaches("outside", "web", client_ip="maybe"), 'client_ip must be "preserved", "snat" or an IP address, not \'maybe\''),
    (lambda: reaches("outside", "web", pod="("), "'(' is not a valid regular expression: missing ), unterminated subpattern at position 0"),
    (lambda: every_node(0), "every_node needs a port number between 1 and 65535, not 0"),
    (lambda: every_node(30008, expect="OK"), "expect must be one of REACHED, REFUSED, TIMEOUT, DNS, not 'OK'"),
    (lambda: rejected("Sevice", "web", "x"), "unknown kind 'Sevice': use Service, Pod, Deployment, ..."),
    (lambda: rejected("Service", "web", ""), "rejected() needs the text the error message must contain"),
    (lambda: refused("outside", "web", points=-1), "points must be a number >= 0, not -1"),
])
def test_builders_raise_usage_errors_for_instructor_mistakes(build, message):
    with pytest.raises(UsageError) as info:
        build()
    assert str(info.value) == message


def test_expectations_are_frozen_and_comparable():
    assert reaches("outside", "web:80") == reaches("outside", "web:80")
    with pytest.raises(AttributeError):
        reaches("outside", "web:80").url = "other"  # type: ignore[misc]
    assert str(times_out("outside", "kind-worker2:30080")) == "from outside, kind-worker2:30080 times out"


def test_balances_names_a_selected_pod_the_service_does_not_select_r_ep_1():
    result = verdict(balances("pod/client-w1", "shop", "v1|client-w1"), context(S14))
    assert result.status is Status.FAILED
    assert result.message == ("curl from pod/client-w1 to shop is answered by default/v1 (50%) and default/v2 (50%), "
                              "never by default/client-w1; client-w1 is not an endpoint: the selector app=shop of the "
                              "Service shop does not match its labels")
    assert result.rule == "R-EP-1"
