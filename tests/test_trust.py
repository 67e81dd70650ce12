"""Issue 14, through the real CLI: vendor citations where users read them (`--explain`, SARIF
help markdown), live HA state findings pointing at the capture and back at the config's group,
the LIB family, and firmware the version table cannot judge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lunalint.registry import load_registry
from lunalint.rules import sources

from .conftest import FIXTURES, run_cli, run_json

SCENARIOS = FIXTURES / "scenarios"
NEW_RULES = ("HA114", "HA115", "HA116", "LIB501", "LIB502", "VER205")


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(SCENARIOS / name, dest, ignore=shutil.ignore_patterns("expected.yaml"))
    return dest


@pytest.mark.parametrize("rule_id", NEW_RULES)
def test_new_rules_are_listed_and_explained_with_vendor_pages(rule_id):
    listed = run_cli("--list-rules")
    assert listed.returncode == 0 and rule_id in listed.stdout
    explained = run_cli("--explain", rule_id)
    assert explained.returncode == 0, explained.stderr
    rule = load_registry(plugins=False).get(rule_id)
    assert rule.cites
    for page in rule.cites:
        assert page.title in explained.stdout
        if page.url:
            assert page.url in explained.stdout
    assert "LUNA.md" not in explained.stdout and "RULES.md" not in explained.stdout


def test_sarif_help_markdown_carries_the_vendor_links(tmp_path):
    project = _copy("23-live-ha-state", tmp_path)
    done = run_cli("--format", "sarif", "--fail-on", "never", ".", cwd=project)
    import json

    run = json.loads(done.stdout)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    ha114 = rules["HA114"]
    assert ha114["helpUri"].endswith("/docs/rules/HA114.md")  # our page stays the helpUri
    assert f"]({sources.HA_ONLY.url})" in ha114["help"]["markdown"]
    for rule in rules.values():
        assert "LUNA.md" not in rule["help"]["markdown"]
    # Every live-state finding relates to the config's group definition (the Label entry).
    results = [r for r in run["results"] if r["ruleId"] in ("HA114", "HA115", "HA116")]
    assert len(results) == 4
    for result in results:
        related = {(r["physicalLocation"]["artifactLocation"]["uri"],
                    r["physicalLocation"]["region"]["startLine"])
                   for r in result.get("relatedLocations", [])}
        assert ("Chrystoki.conf", 20) in related, result


def test_seen_or_inferred_rules_say_so_in_plain_words():
    rule = load_registry(plugins=False).get("SYN007")
    assert rule.basis == sources.SEEN
    explained = run_cli("--explain", "SYN007").stdout
    assert "Not stated by the vendor:** seen in real files" in explained
    inferred = run_cli("--explain", "VER205").stdout
    assert "Not stated by the vendor:** inferred by lunalint" in inferred


def test_a_capture_alone_still_gets_live_state_findings(tmp_path):
    """No config in the workspace: the findings stand on the capture, with nothing related."""
    project = _copy("23-live-ha-state", tmp_path)
    (project / "Chrystoki.conf").unlink()
    _, report = run_json(".", cwd=project)
    live = [(f["rule"], f["line"]) for f in report["findings"]
            if f["rule"] in ("HA114", "HA115", "HA116")]
    assert live == [("HA115", 123), ("HA114", 128), ("HA116", 135), ("HA116", 141)]


def test_live_state_messages_name_the_group_and_what_to_do(tmp_path):
    project = _copy("23-live-ha-state", tmp_path)
    _, report = run_json(".", cwd=project)
    by_rule = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f["message"])
    assert "`Only Show HA Slots: no` while HA group `payments` exists" in by_rule["HA114"][0]
    assert "`HAOnly = 1`" in by_rule["HA114"][0]
    assert "`HA auto recovery: disabled` for HA group `payments`" in by_rule["HA115"][0]
    assert any("member 1541235567002 of HA group `payments` is down" in m
               for m in by_rule["HA116"])
    assert any("needs sync" in m for m in by_rule["HA116"])


def test_cklog_rules_on_windows_ini(tmp_path):
    (tmp_path / "crystoki.ini").write_bytes(
        b"[Chrystoki2]\r\nLibNT=C:\\Program Files\\SafeNet\\LunaClient\\cklog201.dll\r\n\r\n"
        b"[CkLog2]\r\nEnabled=1\r\nLibNT=C:\\Program Files\\SafeNet\\LunaClient\\cryptoki.dll\r\n")
    code, report = run_json(".", cwd=tmp_path)
    assert [f["rule"] for f in report["findings"]] == []  # set up as the vendor says
    assert code == 0
