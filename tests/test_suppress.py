"""Suppressions through the real CLI: inline directives, waivers, and the LUNALINT-SUP findings
about them (missing reason, unknown rule, unused directive, expired waiver)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lunalint.cli import main

from .conftest import FIXTURES, run_cli, run_json

SUPPRESS = FIXTURES / "suppress"

GROUPS = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
"""


def config(haconf: str) -> str:
    return GROUPS + "HAConfiguration = {\n" + haconf + "   reconnAtt = -1;\n}\n"


def write(tmp_path: Path, text: str, name: str = "Chrystoki.conf") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def rules_of(doc: dict) -> list[tuple]:
    return [(f["rule"], f["line"], f["column"], f["suppressed"] is not None)
            for f in doc["findings"]]


# --------------------------------------------------------------------------- inline

def test_inline_directive_with_reason_hides_the_finding(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab client, no STC\n   HAOnly = 0;\n"))
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "HA101" not in proc.stdout and "LUNALINT" not in proc.stdout
    assert proc.stderr == ""
    code, doc = run_json("Chrystoki.conf", cwd=tmp_path)
    assert (code, doc["findings"], doc["summary"]["suppressed"]) == (0, [], 1)


def test_include_suppressed_sarif_carries_in_source_suppression(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab client, no STC\n   HAOnly = 0;\n"))
    proc = run_cli("--include-suppressed", "--format", "sarif", "Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    (result,) = json.loads(proc.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "HA101"
    assert result["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                       "justification": "lab client, no STC"}]


def test_trailing_directive_covers_its_own_line(tmp_path):
    write(tmp_path, config("   HAOnly = 0; # lunalint: ignore[HA101] lab only\n"))
    code, doc = run_json("--include-suppressed", "Chrystoki.conf", cwd=tmp_path)
    assert code == 0
    assert [(f["rule"], f["suppressed"]) for f in doc["findings"]] == [
        ("HA101", {"kind": "inSource", "justification": "lab only"})]


def test_directive_without_reason_is_reported_and_suppresses_nothing(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101]\n   HAOnly = 0;\n"))
    code, doc = run_json("Chrystoki.conf", cwd=tmp_path)
    assert code == 1
    assert rules_of(doc) == [("LUNALINT-SUP001", 10, 4, False), ("HA101", 11, 4, False)]


def test_unknown_rule_in_directive_is_reported_known_ones_still_apply(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101,HA1O1] lab only\n   HAOnly = 0;\n"))
    code, doc = run_json("--include-suppressed", "Chrystoki.conf", cwd=tmp_path)
    assert rules_of(doc) == [("LUNALINT-SUP002", 10, 4, False), ("HA101", 11, 4, True)]
    assert "HA1O1" in doc["findings"][0]["message"]


def test_malformed_directive_is_reported(tmp_path):
    write(tmp_path, config("   # lunalint: ignore HA101 lab only\n   HAOnly = 0;\n"))
    code, doc = run_json("Chrystoki.conf", cwd=tmp_path)
    assert rules_of(doc) == [("LUNALINT-SUP002", 10, 4, False), ("HA101", 11, 4, False)]


def test_unused_directive_is_reported(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab only\n   HAOnly = 1;\n"))
    code, doc = run_json("Chrystoki.conf", cwd=tmp_path)
    assert code == 1
    assert rules_of(doc) == [("LUNALINT-SUP003", 10, 4, False)]


def test_directive_for_a_rule_not_selected_is_not_unused(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab only\n   HAOnly = 0;\n"))
    code, doc = run_json("--select", "SYN,LUNALINT", "Chrystoki.conf", cwd=tmp_path)
    assert (code, doc["findings"]) == (0, [])


def test_stacked_directives_cover_the_next_entry(tmp_path):
    text = config("   # lunalint: ignore[HA101] lab only\n"
                  "   # lunalint: ignore[SYN006] house style\n"
                  "   haonly = 0;\n")
    write(tmp_path, text)
    code, doc = run_json("--include-suppressed", "Chrystoki.conf", cwd=tmp_path)
    assert code == 0
    assert rules_of(doc) == [("HA101", 12, 4, True), ("SYN006", 12, 4, True)]


def test_directive_two_lines_above_does_not_apply(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab only\n\n   HAOnly = 0;\n"))
    code, doc = run_json("Chrystoki.conf", cwd=tmp_path)
    assert rules_of(doc) == [("LUNALINT-SUP003", 10, 4, False), ("HA101", 12, 4, False)]


def test_ini_directive_on_the_line_above(tmp_path):
    text = ("[VirtualToken]\r\nVirtualToken00Label=payments\r\nVirtualToken00SN=11541234567001\r\n"
            "VirtualToken00Members=1541234567001,1541234567002\r\n[HASynchronize]\r\n"
            "payments=1\r\n[HAConfiguration]\r\n; lunalint: ignore[HA101] lab only\r\n"
            "HAOnly=0\r\nreconnAtt=-1\r\n")
    write(tmp_path, text, "crystoki.ini")
    code, doc = run_json("--include-suppressed", "crystoki.ini", cwd=tmp_path)
    assert code == 0
    assert rules_of(doc) == [("HA101", 9, 1, True)]


def test_no_inline_suppressions_audit_mode(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101] lab only\n   HAOnly = 0;\n"))
    code, doc = run_json("--no-inline-suppressions", "Chrystoki.conf", cwd=tmp_path)
    assert code == 1
    assert rules_of(doc) == [("HA101", 11, 4, False)]


def test_sup_findings_obey_select_and_level_overrides(tmp_path):
    write(tmp_path, config("   # lunalint: ignore[HA101]\n   HAOnly = 0;\n"))
    code, doc = run_json("--ignore", "LUNALINT-SUP001", "Chrystoki.conf", cwd=tmp_path)
    assert rules_of(doc) == [("HA101", 11, 4, False)]
    write(tmp_path, "level:\n  LUNALINT-SUP001: note\n", ".lunalint.yaml")
    code, doc = run_json("--fail-on", "warning", "--select", "LUNALINT", "Chrystoki.conf",
                         cwd=tmp_path)
    assert (code, [(f["rule"], f["level"]) for f in doc["findings"]]) == (
        0, [("LUNALINT-SUP001", "note")])


# --------------------------------------------------------------------------- waivers

WAIVER = """waivers:
  - rule: HA101
    path: "lab/*.conf"
    anchor: HAConfiguration/HAOnly
    reason: lab HSMs have no STC
    expires: {expires}
"""


def test_waiver_hides_matching_findings_as_external(tmp_path):
    write(tmp_path, config("   HAOnly = 0;\n"), "lab/Chrystoki.conf")
    write(tmp_path, config("   HAOnly = 0;\n"), "prod/Chrystoki.conf")
    write(tmp_path, WAIVER.format(expires="2999-12-31"), ".lunalint.yaml")
    code, doc = run_json("--include-suppressed", ".", cwd=tmp_path)
    assert code == 1  # prod is not waived
    got = [(f["path"], f["rule"], f["suppressed"]) for f in doc["findings"]]
    assert got == [
        ("lab/Chrystoki.conf", "HA101", {"kind": "external", "justification":
                                         "lab HSMs have no STC"}),
        ("prod/Chrystoki.conf", "HA101", None)]
    proc = run_cli("--include-suppressed", "--format", "sarif", "lab", cwd=tmp_path)
    (result,) = json.loads(proc.stdout)["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "lab HSMs have no STC"}]


def test_waiver_anchor_must_match(tmp_path):
    write(tmp_path, config("   HAOnly = 0;\n"), "lab/Chrystoki.conf")
    write(tmp_path, WAIVER.format(expires="2999-12-31").replace("HAConfiguration/HAOnly",
                                                                 "HAConfiguration/reconnAtt"),
          ".lunalint.yaml")
    code, doc = run_json(".", cwd=tmp_path)
    assert [(f["rule"], f["suppressed"]) for f in doc["findings"]] == [("HA101", None)]


def test_expired_waiver_is_reported_and_the_finding_comes_back(tmp_path):
    write(tmp_path, config("   HAOnly = 0;\n"), "lab/Chrystoki.conf")
    write(tmp_path, WAIVER.format(expires="2020-01-31"), ".lunalint.yaml")
    code, doc = run_json(".", cwd=tmp_path)
    assert code == 1
    got = [(f["path"], f["rule"], f["line"], f["suppressed"]) for f in doc["findings"]]
    assert got == [(".lunalint.yaml", "LUNALINT-SUP004", 2, None),
                   ("lab/Chrystoki.conf", "HA101", 10, None)]
    assert "2020-01-31" in doc["findings"][0]["message"]


def test_waiver_glob_ending_in_slash_covers_a_folder(tmp_path):
    """Waivers are path-based, so they also work for files that cannot carry comments."""
    write(tmp_path, config("   HAOnly = 0;\n"), "lab/weird.cfg")
    write(tmp_path, "waivers:\n  - {rule: HA101, path: 'lab/', reason: lab}\n", ".lunalint.yaml")
    code, doc = run_json("lab/weird.cfg", cwd=tmp_path)
    assert (code, doc["findings"]) == (0, [])


# --------------------------------------------------------------------------- fixtures

def _fixture_cases():
    for folder in sorted(p for p in SUPPRESS.iterdir() if p.is_dir()):
        expected = yaml.safe_load((folder / "expected.yaml").read_text()) or {}
        for item in sorted(folder.iterdir()):
            if item.name.startswith(("bad", "good")) and not item.name.endswith(".lunalint.yaml"):
                yield pytest.param(folder.name, item, expected.get(item.name, []),
                                   id=f"{folder.name}/{item.name}")


@pytest.mark.parametrize("rule_id, fixture, expected", list(_fixture_cases()))
def test_suppression_rule_fixture(rule_id, fixture, expected, tmp_path, capsys, monkeypatch):
    """tests/fixtures/suppress/<RULE>/: bad* must give exactly the listed findings of the
    rule, good* none (same layout as tests/fixtures/rules/)."""
    (tmp_path / fixture.name).write_bytes(fixture.read_bytes())
    extra = []
    side = fixture.parent / (fixture.name + ".lunalint.yaml")
    if side.exists():
        (tmp_path / ".lunalint.yaml").write_bytes(side.read_bytes())
        extra = ["--config", ".lunalint.yaml"]
    monkeypatch.chdir(tmp_path)
    main(["--format", "json", "--fail-on", "never", *extra, fixture.name])
    found = json.loads(capsys.readouterr().out)["findings"]
    got = [{"rule": f["rule"], "level": f["level"], "line": f["line"], "column": f["column"]}
           for f in found if f["rule"] == rule_id]
    assert got == expected
    if fixture.name.startswith("bad"):
        assert got, "a bad fixture must make its rule fire"


def test_suppression_rules_are_listed_and_explained():
    proc = run_cli("--list-rules")
    rows = {row.split()[0]: row.split()[1] for row in proc.stdout.splitlines()[1:]}
    for rule_id in ("LUNALINT-SUP001", "LUNALINT-SUP002", "LUNALINT-SUP003", "LUNALINT-SUP004"):
        assert rows[rule_id] == "warning"
        text = run_cli("--explain", rule_id).stdout
        assert text.startswith(f"# {rule_id}: ")
        assert "## How to fix" in text and "## Example that triggers it" in text
