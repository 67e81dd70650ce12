"""lunalint's SARIF against the official SARIF 2.1.0 JSON schema, plus the properties GitHub code
scanning relies on (rule metadata, automation id, stable URIs and fingerprints)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from lunalint.registry import load_registry
from lunalint.reporters.sarif import FINGERPRINT_KEY

from .sarif_inputs import (CLEAN_CONF, EXAMPLES, REPO, SUPPRESSED_CONF, build, git_init, sarif,
                           suppressed_available, workspace)

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))


def validate(doc: dict) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    errors = sorted(cls(SCHEMA).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_is_the_official_sarif_2_1_0_schema():
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]


def test_schema_rejects_a_broken_log():
    """The schema check has teeth: a result with an unknown level is refused."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                         "results": [{"message": {"text": "m"},
                                                      "level": "fatal"}]}]}
    with pytest.raises(AssertionError, match="fatal"):
        validate(bad)


@pytest.mark.parametrize("case", ["examples", "clean", "syn001", "suppressed", "fixes",
                                  "policies", "what-if"])
def test_sarif_matches_schema(case, tmp_path):
    out = build(case, tmp_path)
    validate(json.loads(out.read_text(encoding="utf-8")))


def test_every_rule_has_github_metadata(tmp_path):
    doc = sarif("--select", "ALL", "examples", cwd=REPO, out=tmp_path / "a.sarif")
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    registry = load_registry()
    assert [r["id"] for r in rules] == sorted(r.id for r in registry.sorted())
    for descriptor in rules:
        rule = registry.get(descriptor["id"])
        props = descriptor["properties"]
        assert isinstance(props["security-severity"], str)
        assert 0.0 <= float(props["security-severity"]) <= 10.0
        assert re.fullmatch(r"\d+\.\d", props["security-severity"])
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert descriptor["helpUri"] == rule.help_uri
        assert descriptor["helpUri"].endswith(f"/docs/rules/{rule.id}.md")
        assert (REPO / "docs" / "rules" / f"{rule.id}.md").is_file()
        assert descriptor["help"]["markdown"] == rule.help_markdown
        assert descriptor["defaultConfiguration"]["level"] == rule.level.label


def test_every_result_has_a_location_rule_index_and_our_fingerprint(tmp_path):
    doc = sarif("examples", cwd=REPO, out=tmp_path / "a.sarif")
    run = doc["runs"][0]
    for result in run["results"]:
        assert result["locations"], result
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert set(result["partialFingerprints"]) == {FINGERPRINT_KEY}
        assert "primaryLocationLineHash" not in json.dumps(doc)


def test_context_region_holds_the_line_with_secrets_masked(tmp_path):
    doc = sarif("examples", cwd=REPO, out=tmp_path / "a.sarif")
    for result in doc["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        line = physical["region"]["startLine"]
        if "contextRegion" in physical:
            assert physical["contextRegion"]["startLine"] == line
            text = (REPO / uri).read_text(encoding="utf-8").splitlines()[line - 1]
            assert len(physical["contextRegion"]["snippet"]["text"]) == len(text)


@pytest.mark.parametrize(("category", "expected"), [("", "lunalint/"),
                                                     ("prod-configs", "lunalint/prod-configs")])
def test_automation_id(category, expected, tmp_path):
    args = ["--category", category] if category else []
    doc = sarif(*args, "examples", cwd=REPO, out=tmp_path / "a.sarif")
    assert doc["runs"][0]["automationDetails"]["id"] == expected


def test_uris_are_repo_relative_whatever_the_working_directory(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root / "examples")
    git_init(root)
    from_root = sarif("examples", cwd=root, out=tmp_path / "root.sarif")
    from_sub = sarif(".", cwd=root / "examples" / "windows", out=tmp_path / "sub.sarif")
    from_deep = sarif("../../examples/windows", cwd=root / "examples" / "payments",
                      out=tmp_path / "deep.sarif")

    def uris(doc, under=""):
        # A result belongs to a run over examples/windows when it, or a related location
        # (the windows client's HA group definition), is there.
        def places(r):
            return [loc["physicalLocation"]["artifactLocation"]["uri"]
                    for loc in r["locations"] + r.get("relatedLocations", [])]
        return {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["partialFingerprints"][FINGERPRINT_KEY]) for r in doc["runs"][0]["results"]
                if any(p.startswith(under) for p in places(r))}

    windows = uris(from_root, "examples/windows/")
    assert windows, uris(from_root)
    assert uris(from_sub) == windows
    assert uris(from_deep) == windows
    for doc in (from_root, from_sub, from_deep):
        for r in doc["runs"][0]["results"]:
            loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
            assert loc["uriBaseId"] == "%SRCROOT%"
            assert not loc["uri"].startswith(("/", "file:", "."))


def test_fingerprint_survives_moving_the_finding_down(tmp_path):
    """Inserting lines above a finding changes its line, not its fingerprint."""
    root = workspace(tmp_path, "Chrystoki.conf", SUPPRESSED_CONF.replace(
        "   # lunalint: ignore[HA101] the batch host opens member slots on purpose (change 4711)\n",
        ""))
    before = sarif(".", cwd=root, out=tmp_path / "before.sarif")["runs"][0]["results"]
    conf = root / "configs" / "Chrystoki.conf"
    conf.write_text("Luna = {\n   DefaultTimeOut = 500000;\n}\n\n" + conf.read_text(),
                    encoding="utf-8")
    after = sarif(".", cwd=root, out=tmp_path / "after.sarif")["runs"][0]["results"]
    assert before and len(before) == len(after)
    for a, b in zip(before, after):
        assert a["locations"][0]["physicalLocation"]["region"]["startLine"] + 4 == \
            b["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert a["partialFingerprints"] == b["partialFingerprints"]


def test_suppressed_results_carry_sarif_suppressions(tmp_path):
    root = workspace(tmp_path, "Chrystoki.conf", SUPPRESSED_CONF)
    if not suppressed_available(root):
        pytest.skip("lunalint --include-suppressed is not available yet (issue 4)")
    hidden = sarif(".", cwd=root, out=tmp_path / "hidden.sarif")["runs"][0]["results"]
    assert not any(r["ruleId"] == "HA101" for r in hidden)
    shown = sarif("--include-suppressed", ".", cwd=root, out=tmp_path / "shown.sarif")
    ha101 = [r for r in shown["runs"][0]["results"] if r["ruleId"] == "HA101"]
    assert len(ha101) == 1
    (suppression,) = ha101[0]["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["status"] == "accepted"
    assert "change 4711" in suppression["justification"]


def test_clean_run_has_no_results_and_all_rules(tmp_path):
    root = workspace(tmp_path, "Chrystoki.conf", CLEAN_CONF)
    doc = sarif(".", cwd=root, out=tmp_path / "clean.sarif")
    run = doc["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(load_registry().rules)


@pytest.mark.parametrize("root", ["/", "/work", "/work/repo", "/work/repo/", "relative/dir"])
@pytest.mark.parametrize("path", ["a.conf", "sub/x/crystoki.ini", "./sub/../a b.conf",
                                  "../outside/Chrystoki.conf", "/work/repo2/c.conf",
                                  "/work/repo/deep/d.conf", "sub/%20/é.ini"])
def test_uris_are_what_relpath_gives(root, path):
    """A path under the source root is shown by cutting the root off (no relpath per file);
    the URI is the one relpath gives, and a path outside the root is a file: URI."""
    import os
    from urllib.parse import quote

    from lunalint.reporters.sarif import _uri_of

    full = os.path.abspath(os.path.join(root, path))
    rel = os.path.relpath(full, os.path.abspath(root))
    expected = ("file://" + quote(full, errors="surrogateescape") if rel.startswith(os.pardir)
                else quote(rel, errors="surrogateescape"))
    assert _uri_of(path, root) == expected
