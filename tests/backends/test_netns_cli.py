"""``kports curl|trace|rules --backend netns`` run real packets and agree with the simulator."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from grader import cli

HERE = Path(__file__).resolve().parents[1] / "scenarios"
S23 = str(HERE / "net" / "S23-etp-local.yaml")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("url, code", [("172.18.0.3:30080/hostname", 0), ("172.18.0.4:30080", 28), ("172.18.0.3:81", 7)])
def test_r_tp_2_curl_on_the_kernel_gives_the_simulators_exit_code(netns_reason, url, code):
    assert _run("curl", "--backend", "netns", "--connect-timeout", "0.5", url, "-f", S23)[0] == code
    assert _run("curl", "--backend", "sim", url, "-f", S23)[0] == code


def test_rules_on_the_kernel_are_what_iptables_save_reads_back(netns_reason):
    code, out, _ = _run("rules", "--backend", "netns", "--node", "kind-worker2", "-f", S23)
    assert code == 0 and "iptables-save" in out.splitlines()[0]
    assert '"default/echo has no local endpoints"' in out
