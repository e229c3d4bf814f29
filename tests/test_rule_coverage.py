"""Every rule of the behaviour spec that the simulator implements is cited by at least one test.

The spec (``../shared/reference/k8s-port-semantics.md``) gives each rule an id (``R-SV-14``).
Tests cite the ids they pin in their names or docstrings; this test reads the spec and the
test tree and lists rules nobody cites. Sections 1-17 are the simulator's (§18-§20 are
e2e references, scenarios and open questions).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "reference" / "k8s-port-semantics.md"
RULE = re.compile(r"\*\*(R-[A-Z]+-\d+)\b")


def _spec_rules() -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    body = text.split("## 18.")[0]
    return sorted(set(RULE.findall(body)), key=lambda r: (r.rsplit("-", 1)[0], int(r.rsplit("-", 1)[1])))


def _cited() -> set[str]:
    cited: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        cited.update(re.findall(r"R-[A-Z]+-\d+", text))
        cited.update(m.upper().replace("_", "-") for m in re.findall(r"r_[a-z]+_\d+", text))
    return cited


@pytest.fixture(scope="module")
def spec_rules() -> list[str]:
    if not SPEC.exists():
        pytest.skip(f"the behaviour spec is not beside the project ({SPEC})")
    return _spec_rules()


def test_the_spec_has_rules(spec_rules):
    assert len(spec_rules) > 100 and "R-SV-14" in spec_rules


def test_every_rule_is_cited_by_a_test(spec_rules):
    missing = [rule for rule in spec_rules if rule not in _cited()]
    assert missing == []
