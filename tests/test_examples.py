"""The bundled examples/ show every rule family, every level, and the intentional POL302."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_json

ROOT = Path(__file__).resolve().parent.parent


def test_examples_show_each_family_and_the_intentional_replica():
    code, doc = run_json("examples/", cwd=ROOT)
    assert code == 1
    findings = doc["findings"]
    families = {f["rule"].rstrip("0123456789") for f in findings}
    assert {"SYN", "HA", "LIB", "VER", "POL", "OPS"} <= families
    assert {f["level"] for f in findings} == {"error", "warning", "note"}
    replica = [f for f in findings if f["rule"] == "POL302"]
    assert replica and all(f["intentional"] and f["level"] == "note" for f in replica)
    assert "cloning a key in is not creating it" in replica[0]["message"]
    assert all(f["path"].startswith("examples/") for f in findings)
    assert not any(f["rule"] == "LUNALINT-INTERNAL" for f in findings)


def test_examples_include_a_template_and_a_runbook():
    """The Helm named template and the Markdown runbook are linted on their own lines."""
    code, doc = run_json("examples/", cwd=ROOT)
    by_path = {}
    for f in doc["findings"]:
        by_path.setdefault(f["path"], set()).add(f["rule"])
    assert {"SYN007", "HA101", "HA107"} <= by_path["examples/helm/templates/_chrystoki.tpl"]
    assert "HA104" in by_path["examples/runbook/payments-runbook.md"]
