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


def validate(command: list[str], sarif: Path, tmp_path: Path) -> list[dict]:
    """Run the validator on ``sarif``; return its results (each with level, rule and text)."""
    log = tmp_path / (sarif.stem + ".validation.sarif")
    proc = subprocess.run(
        [*command, "validate", "--rule-kind", "Ghas;Sarif", "--level", "Error;Warning;Note",
         "--log", "ForceOverwrite", "--output", str(log), str(sarif)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    assert log.is_file(), f"validator wrote no log (exit {proc.returncode}):\n" \
                          f"{proc.stdout}\n{proc.stderr}"
    doc = json.loads(log.read_text(encoding="utf-8-sig"))
    run = doc["runs"][0]
    # A validator that could not run at all reports it as a tool execution notification.
    for invocation in run.get("invocations", []):
        for note in invocation.get("toolExecutionNotifications", []):
            assert note.get("level") != "error", note
        assert invocation.get("executionSuccessful", True), invocation
    out = []
    for result in run.get("results", []):
        args = result.get("message", {}).get("arguments", [])
        out.append({"level": result.get("level", "warning"), "rule": result.get("ruleId"),
                    "where": args[0] if args else "", "args": args})
    return out


def check(command, case, tmp_path) -> list[dict]:
    sarif = build(case, tmp_path)
    results = validate(command, sarif, tmp_path)
    errors = [r for r in results if r["level"] == "error"]
    warnings = [r for r in results if r["level"] == "warning"
                and r["rule"] not in EXPLAINED_WARNINGS]
    assert not errors, f"{case}: the SARIF validator reports errors:\n" + \
        "\n".join(json.dumps(r) for r in errors)
    assert not warnings, f"{case}: unexplained validator warnings:\n" + \
        "\n".join(json.dumps(r) for r in warnings)
    return results


@pytest.mark.parametrize("case", ["examples", "suppressed", "clean", "fixes", "policies",
                                  "what-if"])
def test_validator_accepts_our_sarif(validator, case, tmp_path):
    check(validator, case, tmp_path)


def test_validator_is_really_checking(validator, tmp_path):
    """A log GitHub would refuse (absolute URI outside any base, no region) is reported as an
    error, so a clean verdict on ours means something."""
    bad = {"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "t", "rules": [{"id": "R1"}]}},
        "results": [{"ruleId": "R1", "message": {"text": "m"}, "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": "C:/x/y.conf"}}}]}]}]}
    path = tmp_path / "bad.sarif"
    path.write_text(json.dumps(bad), encoding="utf-8")
    levels = {r["level"] for r in validate(validator, path, tmp_path)}
    assert "error" in levels
