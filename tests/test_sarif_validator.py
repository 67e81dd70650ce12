"""lunalint's SARIF through Microsoft's SARIF validator with GitHub's rules (``Ghas``) and the
SARIF spec's own rules (``Sarif``), the check GitHub code scanning documents for uploads.

The validator is the ``@microsoft/sarif-multitool`` npm package, which carries a self-contained
Linux binary; ``.ci/run`` installs it into ``.ci/node``. Set ``SARIF_MULTITOOL`` to use another
copy. The validator exits 0 even when it finds problems, so the test reads its output log.

Review of what it reports at ``note`` level (the test fails on ``error`` and on any ``warning``
not explained in ``EXPLAINED_WARNINGS``):

- SARIF2002 (use ``message.id`` and ``arguments``): our messages are specific sentences; there is
  no message-string table to refer to.
- SARIF2003 (no ``versionControlProvenance``): reporters see only findings, not the git state;
  ``github/codeql-action/upload-sarif`` records the commit and ref itself.
- SARIF2006 (URI not reachable): the tests run without the network; the ``helpUri`` pages exist
  in the repository (``tests/test_rule_docs.py``).
- SARIF2010 (no ``region.snippet``): the region is part of a line; the whole line, with secret
  values masked, is in ``contextRegion.snippet`` instead.
- SARIF2009 (unconventional rule id, for ``LUNALINT-SUP001``..): the suppression rules' ids are
  part of the public contract (RULES.md) and must not be renamed.
- SARIF2012 (rule ``name`` not PascalCase): rule names are kebab-case in the public CLI and JSON
  contract (RULES.md) and must not be renamed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from .sarif_inputs import REPO, build

BINARY = REPO / ".ci" / "node" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / \
    "Sarif.Multitool"

# Validator rule id -> why a warning from it is acceptable. Empty: none is, today.
EXPLAINED_WARNINGS: dict[str, str] = {}


def find_validator() -> list[str] | None:
    override = os.environ.get("SARIF_MULTITOOL")
    if override:
        return [override]
    if BINARY.is_file() and os.access(BINARY, os.X_OK):
        return [str(BINARY)]
    found = shutil.which("sarif-multitool")
    return [found] if found else None


@pytest.fixture(scope="module")
def validator() -> list[str]:
    command = find_validator()
    if command is None:
        message = (f"SARIF validator not installed (expected {BINARY.relative_to(REPO)}; "
                   "install with: npm install --no-save --prefix .ci/node "
                   "@microsoft/sarif-multitool, or set SARIF_MULTITOOL)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- required under CI=true")
        pytest.skip(message)
    return command


# A log GitHub would refuse: an absolute URI outside any base, no region.
BAD = {"version": "2.1.0", "runs": [{
    "tool": {"driver": {"name": "t", "rules": [{"id": "R1"}]}},
    "results": [{"ruleId": "R1", "message": {"text": "m"}, "locations": [
        {"physicalLocation": {"artifactLocation": {"uri": "C:/x/y.conf"}}}]}]}]}
CASES = ("examples", "suppressed", "clean", "fixes", "policies", "what-if")


def validate(command: list[str], logs: list[Path], tmp_path: Path) -> dict[str, list[dict]]:
    """Run the validator once over ``logs`` (its start-up is most of its cost); return each
    log's results (level, rule and text), keyed by the log's file name."""
    out_log = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [*command, "validate", "--rule-kind", "Ghas;Sarif", "--level", "Error;Warning;Note",
         "--log", "ForceOverwrite", "--output", str(out_log), *map(str, logs)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    assert out_log.is_file(), f"validator wrote no log (exit {proc.returncode}):\n" \
                              f"{proc.stdout}\n{proc.stderr}"
    doc = json.loads(out_log.read_text(encoding="utf-8-sig"))
    run = doc["runs"][0]
    # A validator that could not run at all reports it as a tool execution notification.
    for invocation in run.get("invocations", []):
        for note in invocation.get("toolExecutionNotifications", []):
            assert note.get("level") != "error", note
        assert invocation.get("executionSuccessful", True), invocation
    out: dict[str, list[dict]] = {log.name: [] for log in logs}
    for result in run.get("results", []):
        args = result.get("message", {}).get("arguments", [])
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        out.setdefault(uri.rsplit("/", 1)[-1], []).append(
            {"level": result.get("level", "warning"), "rule": result.get("ruleId"),
             "where": args[0] if args else "", "args": args})
    return out


@pytest.fixture(scope="module")
def validated(validator, tmp_path_factory) -> dict[str, list[dict] | str]:
    """Every case's log built, then judged in one validator run: case -> its results, or why
    the case could not be built (a skip)."""
    base = tmp_path_factory.mktemp("sarif-validator")
    logs, outcome = [], {}
    for case in CASES:
        where = base / case
        where.mkdir()
        try:
            logs.append(build(case, where))
        except pytest.skip.Exception as why:
            outcome[case] = str(why)
    logs.append(base / "bad.sarif")
    logs[-1].write_text(json.dumps(BAD), encoding="utf-8")
    judged = validate(validator, logs, base)
    for log in logs:
        outcome[log.stem] = judged[log.name]
    return outcome


@pytest.mark.parametrize("case", CASES)
def test_validator_accepts_our_sarif(validated, case):
    results = validated[case]
    if isinstance(results, str):
        pytest.skip(results)
    # Each log was really read: the validator notes on any log that it names no commit
    # (SARIF2003, explained above), so a log it skipped would have no results at all.
    assert any(r["rule"] == "SARIF2003" for r in results), (case, results)
    errors = [r for r in results if r["level"] == "error"]
    warnings = [r for r in results if r["level"] == "warning"
                and r["rule"] not in EXPLAINED_WARNINGS]
    assert not errors, f"{case}: the SARIF validator reports errors:\n" + \
        "\n".join(json.dumps(r) for r in errors)
    assert not warnings, f"{case}: unexplained validator warnings:\n" + \
        "\n".join(json.dumps(r) for r in warnings)


def test_validator_is_really_checking(validated):
    """A log GitHub would refuse (absolute URI outside any base, no region), judged in the
    same validator run as ours, is reported as an error: a clean verdict on ours means
    something."""
    assert "error" in {r["level"] for r in validated["bad"]}
