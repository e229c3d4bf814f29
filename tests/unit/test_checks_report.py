"""Reports: one renderer, two MIME types; text is canonical; HTML is escaped; same inputs, same bytes."""

from __future__ import annotations

from pathlib import Path

import grader.checks
from grader.backends.sim import SimBackend
from grader.checks import CheckResult, Context, Report, Status, every_node, reaches, rejected, run, times_out

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

FAILED = CheckResult(
    "from outside, kind-worker2:30080 reaches a pod",
    Status.FAILED,
    "curl from outside to kind-worker2:30080 timed out: the Service echo has externalTrafficPolicy Local and "
    "kind-worker2 runs none of its pods (R-TP-2)",
    hint="curl a node that runs one of its pods (kind-worker), or set externalTrafficPolicy: Cluster",
    rule="R-TP-2",
    evidence="$ kubectl get endpoints echo\nNAME   ENDPOINTS\necho   10.244.1.2:8080",
    trace="curl from outside to kind-worker2:30080\n  => TIMEOUT: default/echo has no local endpoints",
    points=0,
    max_points=2,
)
PASSED = CheckResult("from outside, kind-worker:30080 reaches a pod", Status.PASSED, "reached", points=1, max_points=1)
ERROR = CheckResult("from pod/nope, web is refused", Status.ERROR, 'the check could not run: pods "nope" not found',
                    rule="R-X-1")


def test_text_is_a_summary_then_one_block_per_result():
    report = Report((PASSED, FAILED, ERROR))
    assert report.text() == (
        "1 of 3 checks passed (1 failed, 1 error), score 1/4\n"
        "\n"
        "PASSED  from outside, kind-worker:30080 reaches a pod  [1/1]\n"
        "FAILED  from outside, kind-worker2:30080 reaches a pod  [0/2]\n"
        "        curl from outside to kind-worker2:30080 timed out: the Service echo has externalTrafficPolicy "
        "Local and kind-worker2 runs none of its pods (R-TP-2)\n"
        "        hint: curl a node that runs one of its pods (kind-worker), or set externalTrafficPolicy: Cluster\n"
        "        evidence:\n"
        "          $ kubectl get endpoints echo\n"
        "          NAME   ENDPOINTS\n"
        "          echo   10.244.1.2:8080\n"
        "        trace:\n"
        "          curl from outside to kind-worker2:30080\n"
        "            => TIMEOUT: default/echo has no local endpoints\n"
        "ERROR   from pod/nope, web is refused  [0/1]\n"
        "        the check could not run: pods \"nope\" not found\n"
        "        rule: R-X-1"
    )
    assert str(report) == report.text()


def test_scores_sum_points_and_passed_needs_every_result_passed():
    report = Report((PASSED, FAILED, ERROR))
    assert (report.score, report.max_score, report.passed) == (1, 4, False)
    assert Report((PASSED,)).passed
    assert not Report(()).passed  # nothing checked is not a pass
    assert Report(()).text() == "0 of 0 checks passed, score 0/0"


def test_points_are_printed_without_noise():
    third = CheckResult("x", Status.PASSED, points=1 / 3, max_points=1 / 3)
    assert Report((third, third, third)).summary() == "3 of 3 checks passed, score 1/1"
    assert "[0.33/0.33]" in Report((third,)).text()


def test_status_prints_as_its_name():
    assert [str(s) for s in Status] == ["PASSED", "FAILED", "ERROR", "SKIPPED"]


def test_html_is_rendered_from_the_same_rows_and_escaped():
    nasty = CheckResult('the Service "<b>web</b>" & co', Status.FAILED, "<script>alert(1)</script>",
                        evidence="a < b", trace="x > y")
    html = Report((PASSED, nasty)).html()
    assert "<script>" not in html and "<b>web</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "the Service &quot;&lt;b&gt;web&lt;/b&gt;&quot; &amp; co" in html
    assert "<pre style=\"margin:0.2em 0\">a &lt; b</pre>" in html and "x &gt; y" in html
    assert html.count('<li class="kports-') == 2
    assert '<p class="kports-summary"><b>1 of 2 checks passed (1 failed), score 1/2</b></p>' in html


def test_mimebundle_offers_text_and_html():
    report = Report((PASSED, FAILED))
    assert report._repr_mimebundle_() == {"text/plain": report.text(), "text/html": report.html()}
    assert FAILED._repr_mimebundle_()["text/plain"] == FAILED.text()
    assert FAILED.text().startswith("FAILED  from outside, kind-worker2:30080 reaches a pod  [0/2]\n")


def _graded_run(hidden: bool = False) -> Report:
    ctx = Context(SimBackend())
    for name in ("net/S23-etp-local.yaml", "net/clients.yaml"):
        ctx.apply((SCENARIOS / name).read_text(), source=name)
    ctx.apply("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
              "spec: {type: NodePort, ports: [{port: 80, nodePort: 80}]}\n", source="web.yaml")
    return run(ctx, [
        every_node(30080, pod="app=echo"),
        reaches("outside", "kind-worker:30080/clientip", client_ip="preserved"),
        times_out("outside", "kind-worker2:30080"),
        rejected("Service", "web", "valid range"),
        reaches("pod/client-w1", "nope"),
        reaches("pod/missing", "echo"),
    ], hidden=hidden)


def test_same_inputs_give_byte_identical_text_and_html():
    first, second = _graded_run(), _graded_run()
    assert first.text() == second.text()
    assert first.html() == second.html()
    assert first == second
    assert _graded_run(hidden=True).html() == _graded_run(hidden=True).html()


def test_a_graded_run_reports_every_status_and_the_partial_score():
    report = _graded_run()
    assert [r.status for r in report.results] == [
        Status.FAILED, Status.PASSED, Status.FAILED,  # every_node: one result per node
        Status.PASSED, Status.PASSED, Status.PASSED, Status.FAILED, Status.ERROR,
    ]
    assert report.summary() == "4 of 8 checks passed (3 failed, 1 error), score 3.33/6"


def test_the_checks_public_api_is_sorted_and_exact():
    assert grader.checks.__all__ == sorted(grader.checks.__all__)
    assert grader.checks.__all__ == [
        "Accepted", "Balances", "CheckResult", "Context", "Curl", "EveryNode", "Expectation", "Explanation",
        "Pending", "Prediction", "Predictions", "Rejected", "Report", "Running", "Status", "accepted", "balances",
        "every_node", "explain", "load_expectations", "pending", "predictions", "reaches", "refused", "rejected",
        "run", "running", "times_out", "unresolvable",
    ]
    for name in grader.checks.__all__:
        assert getattr(grader.checks, name) is not None
