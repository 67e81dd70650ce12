"""Baselines: keyed by rule + path + logical anchor, so moving lines keeps them valid."""

from __future__ import annotations

import json
import shutil

from .conftest import SAMPLES, run_cli, run_json

CONFIG = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   AutoReconnectInterval = 60;
}
"""


def _workspace(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    shutil.copy(SAMPLES / "lunacm-session.txt", tmp_path / "members.lunacm.txt")
    return tmp_path


def test_write_then_apply_hides_recorded_findings(tmp_path):
    ws = _workspace(tmp_path)
    code, before = run_json(".", cwd=ws)
    assert code == 1
    assert {f["rule"] for f in before["findings"]} == {"HA101", "POL302"}
    proc = run_cli("--write-baseline", "lunalint-baseline.json", ".", cwd=ws)
    assert proc.returncode == 0, proc.stdout
    assert "recorded 2 findings in lunalint-baseline.json" in proc.stderr
    entries = json.loads((ws / "lunalint-baseline.json").read_text())["findings"]
    assert all("line" not in e for e in entries)
    assert {(e["rule"], e["path"], e["anchor"]) for e in entries} == {
        ("HA101", "Chrystoki.conf", "HAConfiguration/HAOnly"),
        ("POL302", "members.lunacm.txt", "1541234567002/policy-28")}
    code, after = run_json("--baseline", "lunalint-baseline.json", ".", cwd=ws)
    assert code == 0
    assert after["findings"] == []
    assert after["summary"]["suppressed"] == 2


def test_moving_lines_keeps_the_baseline_valid_and_new_findings_show(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    # Move HAConfiguration to the top and push everything down: every line number changes.
    head, ha = CONFIG.split("HAConfiguration = {")
    moved = "# moved\n\nHAConfiguration = {" + ha + "\n" + head
    moved = moved.replace("reconnAtt = -1;", "reconnAtt = 0;")  # a new problem (HA102)
    (ws / "Chrystoki.conf").write_text(moved)
    code, doc = run_json("--baseline", "b.json", ".", cwd=ws)
    assert code == 1
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("HA102", 5)]
    assert doc["summary"]["suppressed"] == 2


def test_fixed_entries_are_listed_in_the_summary(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    (ws / "Chrystoki.conf").write_text(CONFIG.replace("HAOnly = 0;", "HAOnly = 1;"))
    proc = run_cli("--baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 0
    assert "1 baseline entry no longer found (fixed): HA101 Chrystoki.conf " \
           "HAConfiguration/HAOnly." in proc.stdout


def test_baselined_findings_carry_an_external_suppression_when_included(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    _, doc = run_json("--baseline", "b.json", "--include-suppressed", ".", cwd=ws)
    assert {f["rule"] for f in doc["findings"]} == {"HA101", "POL302"}
    assert all(f["suppressed"]["kind"] == "external" for f in doc["findings"])


def test_a_broken_baseline_is_a_usage_error(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text("{not json")
    proc = run_cli("--baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 2
    assert "b.json:1: not a lunalint baseline" in proc.stderr
    (ws / "c.json").write_text('{"findings": []}')
    assert "not a lunalint baseline" in run_cli("--baseline", "c.json", ".", cwd=ws).stderr
    assert run_cli("--baseline", "missing.json", ".", cwd=ws).returncode == 2
