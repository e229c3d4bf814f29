"""The notebook's ``lab`` (grader/nb/lab.py), ``%%manifest`` (magic.py) and what cells show (display.py)."""

from __future__ import annotations

import pytest

from grader.nb import CheckFailed, Lab, setup
from grader.nb.assignments import SAMPLE
from grader.nb.display import CurlView, blank
from grader.nb.magic import USAGE

SOLUTIONS = {s.answer: s.solution for s in SAMPLE.sections}
TASK = "00-sample/myapp_reachable_on_every_node_port_30008"
OUT_OF_RANGE = SOLUTIONS["web"].replace("nodePort: 30008", "nodePort: 80")


def test_setup_outside_ipython_returns_a_lab_on_the_backend_of_kports_backend(monkeypatch):
    monkeypatch.setenv("KPORTS_BACKEND", "sim")
    lab = setup()
    assert isinstance(lab, Lab) and lab.backend_name == "sim"


def test_a_saved_manifest_shows_what_kubectl_apply_says():
    view = Lab().manifest("web", SOLUTIONS["web"])
    assert view.text() == "manifest 'web' saved\n$ kubectl apply -f web.yaml\nservice/myapp created"


def test_a_rejected_manifest_is_saved_and_shows_the_api_servers_exact_words():
    lab = Lab()
    view = lab.manifest("web", OUT_OF_RANGE)
    assert lab.manifests["web"] == OUT_OF_RANGE
    assert view.text().splitlines()[0] == "manifest 'web' saved, but kubectl apply reports a problem"
    assert ('The Service "myapp" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in '
            "the valid range. The range of valid ports is 30000-32767") in view.text()


def test_the_release_stub_counts_as_no_answer():
    lab = Lab()
    view = lab.manifest("web", "# YOUR MANIFEST HERE")
    assert blank("# YOUR MANIFEST HERE\n\n") and lab.answer("web") is None
    assert "is empty" in view.text()


def test_a_bad_manifest_name_is_a_message_not_an_exception():
    assert "a manifest name is lowercase" in str(Lab().manifest("My Web", "x: 1"))


def test_grade_passes_silently_and_fails_with_the_verdict_as_the_assertion_message(capsys):
    lab = Lab()
    lab.manifest("web", SOLUTIONS["web"])
    assert lab.grade(TASK) is None
    assert capsys.readouterr().out.startswith("PASSED 00-sample/myapp_reachable_on_every_node_port_30008  [2/2]")
    lab.manifest("web", OUT_OF_RANGE)
    with pytest.raises(AssertionError) as err:
        lab.grade(TASK)
    text = str(err.value)
    assert text.startswith("FAILED 00-sample/myapp_reachable_on_every_node_port_30008  [0/2]\n\n"
                           "Check that from outside, port 30008 of every node reaches the myapp pods")
    assert "provided port is not in the valid range" in text
    assert "trace:" not in text  # the hop-by-hop trace is for lab.check and the try-it cell


def test_check_failed_renders_in_ipython_as_the_verdict_alone():
    failure = CheckFailed("FAILED a/b  [0/1]\n\nwhy")
    assert failure._render_traceback_() == ["\x1b[0;31mAssertionError\x1b[0m: FAILED a/b  [0/1]", "", "why"]


def test_a_hidden_only_task_passes_its_public_call_and_is_decided_by_the_hidden_one():
    lab = Lab()
    lab.manifest("web", SOLUTIONS["web"].replace("  ports:", "  externalIPs: [172.18.0.3]\n  ports:"))
    lab.grade("00-sample/service_port_80_not_open_on_the_nodes")  # nothing public to check
    with pytest.raises(CheckFailed, match=r"kind-worker:80 \(hidden check\)"):
        lab.grade("00-sample/service_port_80_not_open_on_the_nodes", hidden=True)


def test_check_never_raises_and_shows_every_task():
    lab = Lab()
    verdicts = lab.check("00-sample")
    assert [line for line in verdicts.text().splitlines() if line.startswith(("PASSED 00", "FAILED 00"))] == [
        "FAILED 00-sample/myapp_reachable_on_every_node_port_30008  [0/2]",
        "FAILED 00-sample/service_port_80_not_open_on_the_nodes  [0/1]",
        "FAILED 00-sample/mysql_service_port_33306_reaches_the_database  [0/2]",
        "FAILED 00-sample/mysql_service_answers_only_on_port_33306  [0/1]",
    ]
    assert "has no task 'nope'" in str(lab.check("00-sample/nope"))


def test_try_it_reset_apply_and_curl_show_kubectl_and_curl_output():
    lab = Lab()
    lab.manifest("web", SOLUTIONS["web"])
    assert str(lab.reset(TASK)) == "$ kubectl apply -f myapp.yaml\ndeployment.apps/myapp created"
    assert str(lab.apply("web")) == "$ kubectl apply -f web.yaml\nservice/myapp created"
    view = lab.curl("outside", "172.18.0.3:30008")
    assert isinstance(view, CurlView) and view.exit_code == 0
    assert view.text().startswith("$ curl -sS --connect-timeout 3 172.18.0.3:30008\n<!DOCTYPE html>")
    bundle = view._repr_mimebundle_()
    assert "<details><summary>trace</summary>" in bundle["text/html"]
    assert "[kind-worker] nat KUBE-NODEPORTS" in bundle["text/plain"]


def test_apply_of_an_unknown_name_is_a_message():
    assert "no manifest named 'nope'" in str(Lab().apply("nope"))


def test_curl_from_a_pod_that_does_not_exist_is_a_message():
    assert str(Lab().curl("pod/ghost", "web:80")) == 'pods "ghost" not found'


# ---------------------------------------------------------------------- inside IPython


@pytest.fixture
def shell():
    interactive = pytest.importorskip("IPython.core.interactiveshell", reason="IPython is not installed")
    ip = interactive.InteractiveShell.instance()
    yield ip
    interactive.InteractiveShell.clear_instance()


def test_setup_registers_the_manifest_cell_magic(shell, capsys):
    shell.run_cell("from grader.nb import setup\nlab = setup()")
    result = shell.run_cell("%%manifest web\n" + SOLUTIONS["web"])
    assert result.success
    assert result.result.text().startswith("manifest 'web' saved")
    assert shell.user_ns["lab"].manifests["web"] == SOLUTIONS["web"]


def test_the_manifest_magic_never_shows_a_traceback(shell, capsys):
    shell.run_cell("from grader.nb import setup\nlab = setup()")
    assert str(shell.run_cell("%%manifest\nx: 1").result) == USAGE
    broken = shell.run_cell("%%manifest web\nkind: Service\n\tbad: tab\n")
    assert broken.success and "found a tab character" in str(broken.result)


def test_a_failed_grade_cell_shows_the_verdict_and_no_frames(shell, capsys):
    shell.run_cell("from grader.nb import setup\nlab = setup()")
    shell.run_cell("%%manifest web\n" + OUT_OF_RANGE)
    capsys.readouterr()
    result = shell.run_cell(f'"""Check that it works"""\nlab.grade("{TASK}")')
    shown = capsys.readouterr().out
    assert isinstance(result.error_in_exec, CheckFailed)
    assert shown.startswith("\x1b[0;31mAssertionError\x1b[0m: FAILED 00-sample/myapp_reachable")
    assert "Traceback" not in shown and "lab.py" not in shown and "provided port is not in the valid range" in shown


def test_a_plain_string_variable_counts_as_the_manifest(shell, capsys):
    shell.run_cell("from grader.nb import setup\nlab = setup()")
    shell.user_ns["web"] = SOLUTIONS["web"]
    result = shell.run_cell(f'lab.grade("{TASK}")')
    assert result.success


def test_every_public_name_of_grader_nb_resolves_and_all_is_sorted():
    import grader.nb

    assert grader.nb.__all__ == sorted(grader.nb.__all__)
    assert all(getattr(grader.nb, name) is not None for name in grader.nb.__all__)
