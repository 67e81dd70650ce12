"""HA scenario workspaces (issue 5, "Done when"): the whole tool, run as users run it, on one
small project per HA scenario of LUNA.md section 3 (tests/fixtures/scenarios/README.md).

Each folder is copied to a temporary directory outside the repository, so neither the
repository's `.lunalint.yaml` nor its examples take part, and `python -m lunalint --format json
--fail-on never .` runs there. Its findings must equal the folder's `expected.yaml` exactly:
rule, level, path, line, column and the intentional mark.

The pre-commit case: a hook is given only `Chrystoki.conf`, yet a member's capture elsewhere in
the repository makes POL301 fire, reported against the capture's path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = HERE / "fixtures" / "scenarios"
FOLDERS = sorted(p for p in SCENARIOS.iterdir() if p.is_dir())
CLEAN = SCENARIOS / "01-clean-group"
KEYS = ("rule", "level", "path", "line", "column", "intentional")
# Scenarios on which the tool disagrees with RULES.md (see the folder's expected.yaml).
KNOWN_BUGS: dict[str, str] = {}


def _lint(cwd: Path, *paths: str, fmt: str = "json") -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "lunalint", "--format", fmt, "--fail-on", "never", *paths],
        cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _copy(folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / folder.name
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("expected.yaml"))
    return dest


def _row(finding: dict) -> dict:
    return {"rule": finding["rule"], "level": finding["level"], "path": finding["path"],
            "line": finding["line"], "column": finding["column"],
            "intentional": bool(finding.get("intentional"))}


def _expected(folder: Path) -> list[dict]:
    listed = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))["findings"]
    return [{k: item.get(k, False) for k in KEYS} for item in listed or []]


def test_there_is_a_scenario_per_ha_fact():
    assert len(FOLDERS) >= 15
    for folder in FOLDERS:
        assert (folder / "expected.yaml").is_file(), folder.name
        names = [p.name for p in folder.iterdir()]
        assert any(n in ("Chrystoki.conf", "crystoki.ini") for n in names), folder.name
        assert any(n.endswith(".lunacm.txt") for n in names), folder.name


def test_the_copies_are_outside_any_project(tmp_path):
    """Otherwise a `.lunalint.yaml` or a git work tree above them would change the root."""
    for parent in tmp_path.parents:
        assert not (parent / ".lunalint.yaml").exists(), parent
        assert not (parent / ".git").exists(), parent


@pytest.mark.parametrize("folder", [
    pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[f.name]))
    if f.name in KNOWN_BUGS else f for f in FOLDERS], ids=lambda p: p.name)
def test_scenario_gets_exactly_the_expected_findings(folder, tmp_path):
    report = _lint(_copy(folder, tmp_path), ".")
    got = [_row(f) for f in report["findings"]]
    assert not [f for f in got if f["rule"].startswith("LUNALINT-INTERNAL")], got
    assert got == _expected(folder)


def test_clean_scenario_has_nothing_at_warning_or_above(tmp_path):
    report = _lint(_copy(CLEAN, tmp_path), ".")
    assert [f for f in report["findings"] if f["level"] in ("error", "warning")] == []
    assert report["summary"]["files"] == 4


def test_replica_partition_is_explained_not_blamed(tmp_path):
    report = _lint(_copy(SCENARIOS / "03-replica-kmf-denied", tmp_path), ".")
    finding, = report["findings"]
    assert (finding["rule"], finding["level"], finding["intentional"]) == ("POL302", "note", True)
    assert "legitimate HA replica design" in finding["message"]
    assert "cloning a key in is not creating it" in finding["message"]


def _related(result: dict) -> set[tuple[str, int]]:
    """(uri, line) of a SARIF result's related locations (the JSON contract has none)."""
    return {(r["physicalLocation"]["artifactLocation"]["uri"],
             r["physicalLocation"]["region"]["startLine"])
            for r in result.get("relatedLocations", [])}


def test_findings_about_a_group_point_back_at_its_definition(tmp_path):
    """Every finding about a config-defined group carries the Label entry as related
    location (issue 5), so a hook given only the config still reports it."""
    sarif = _lint(_copy(SCENARIOS / "02-member-denies-cloning", tmp_path), ".", fmt="sarif")
    results = sarif["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["POL301"]
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "pay-b.lunacm.txt"
        assert ("Chrystoki.conf", 20) in _related(result), result


# --- pre-commit: the hook names only the client configuration -----------------------------

def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def estate(tmp_path) -> Path:
    """A git repository holding the client config and, elsewhere, pay-b's capture."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "estate"
    (repo / "configs").mkdir(parents=True)
    (repo / "captures").mkdir()
    source = SCENARIOS / "02-member-denies-cloning"
    shutil.copy(source / "Chrystoki.conf", repo / "configs" / "Chrystoki.conf")
    shutil.copy(source / "pay-b.lunacm.txt", repo / "captures" / "pay-b.lunacm.txt")
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ops@example.invalid")
    _git(repo, "config", "user.name", "ops")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "estate")
    return repo


def test_naming_only_the_config_still_reports_pol301_against_the_capture(estate):
    report = _lint(estate, "configs/Chrystoki.conf")
    pol301 = [f for f in report["findings"] if f["rule"] == "POL301"]
    assert [(f["path"], f["line"], f["column"], f["level"]) for f in pol301] == [
        ("captures/pay-b.lunacm.txt", 41, 18, "error")]
    # pay-a and pay-c have no capture in this repository: HA113 says their policies went
    # unchecked, once for the group, on the config's Members entry (line 22); with one
    # member's policies known there is nothing to compare, so no POL303.
    others = [f for f in report["findings"] if f["rule"] != "POL301"]
    assert [(f["rule"], f["path"], f["line"]) for f in others] == [
        ("HA113", "configs/Chrystoki.conf", 22)]
    assert "2 members of group `payments` (1541234567001, 1541236567003)" in others[0]["message"]


def test_precommit_try_repo_given_only_the_config_reports_pol301(estate, tmp_path):
    if shutil.which("pre-commit") is None:
        pytest.fail("pre-commit is a test dependency: install the package with its [test] extra")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), NO_COLOR="1")
    done = subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), "lunalint", "--files", "configs/Chrystoki.conf",
         "--color", "never"],
        cwd=estate, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("captures/pay-b.lunacm.txt:41:18: error POL301 member 1541235567002 of group "
            "`payments` denies secret key cloning") in done.stdout, done.stdout
