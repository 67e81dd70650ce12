"""HA101-HA112 on a corpus of client configs (tests/fixtures/ha/), file by file.

Each config is linted with every rule through the real CLI; the findings must equal the ones
listed in ``expected.yaml`` exactly (rule, level, line, column, end), so a rule that fires
where it should not, or misses a place, fails the test for that file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from lunalint import engine
from lunalint.cli import main
from lunalint.registry import load_registry

from .conftest import FIXTURES, SAMPLES

HA = FIXTURES / "ha"
EXPECTED = yaml.safe_load((HA / "expected.yaml").read_text())
CORPUS = sorted(p.name for p in HA.iterdir() if p.suffix in (".conf", ".ini"))
HA_RULES = [f"HA{n}" for n in range(101, 113)]


def _findings(path: Path, capsys, monkeypatch, *extra: str) -> list[dict]:
    # Lint a copy outside the repository: inside it, the repository's own .lunalint.yaml and
    # workspace (examples/ captures) would apply.
    # (removed afterwards: one folder per call was left behind in the system temp folder)
    with tempfile.TemporaryDirectory(prefix="ha-corpus-") as work, \
            monkeypatch.context() as local:
        shutil.copy(path, Path(work) / path.name)
        local.chdir(work)
        code = main(["--format", "json", "--fail-on", "never", *extra, path.name])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)["findings"]


def _key(f: dict) -> tuple:
    return (f["rule"], f["level"], f["line"], f["column"], f["end_line"], f["end_column"])


def test_corpus_is_large_and_covers_both_forms():
    assert len(CORPUS) >= 25
    assert {p.rsplit(".", 1)[1] for p in CORPUS} == {"conf", "ini"}
    assert set(CORPUS) == set(EXPECTED), "every corpus file needs an expected.yaml entry"


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_file(name, capsys, monkeypatch):
    got = sorted(_key(f) for f in _findings(HA / name, capsys, monkeypatch))
    want = sorted(_key(e) for e in EXPECTED[name] or [])
    assert got == want


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_every_ha_rule_fires_in_both_forms(rule_id):
    forms = {name.rsplit(".", 1)[1] for name, fs in EXPECTED.items()
             for f in fs or [] if f["rule"] == rule_id}
    assert forms == {"conf", "ini"}, (rule_id, forms)


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_every_ha_rule_is_silent_on_some_corpus_file_with_groups(rule_id):
    clean = [name for name, fs in EXPECTED.items()
             if not any(f["rule"] == rule_id for f in fs or [])]
    assert any(n.startswith("clean") for n in clean)


def test_samples_shipped_with_the_tests(capsys, monkeypatch):
    """The vendor-style samples: the brace one is clean, the INI one has `HAOnly=0`."""
    assert [_key(f) for f in _findings(SAMPLES / "Chrystoki.conf", capsys, monkeypatch)
            if f["rule"].startswith("HA")] == []
    got = [_key(f) for f in _findings(SAMPLES / "crystoki.ini", capsys, monkeypatch)
           if f["rule"].startswith("HA")]
    assert got == [("HA101", "warning", 32, 1, 32, 9)]


def test_ha101_escalates_under_stc_and_names_it(capsys, monkeypatch):
    found = _findings(HA / "ha101-stc.conf", capsys, monkeypatch)
    assert [f["level"] for f in found] == ["error"]
    assert "Secure Trusted Channel" in found[0]["message"]
    assert found[0]["anchor"] == "HAConfiguration/HAOnly"


def test_ha109_points_back_at_the_first_listing():
    rule = load_registry(plugins=False).get("HA109")
    result = engine.lint([str(HA / "ha109-repeat-across-groups.ini")], [rule], cwd=str(HA))
    (finding,) = result.findings
    (related,) = finding.related
    assert (related.span.line, related.span.column) == (13, 37)
    assert "payments" in finding.message


def test_findings_survive_a_copy_elsewhere(tmp_path, capsys, monkeypatch):
    """Nothing in the corpus depends on this repository's layout or configuration."""
    shutil.copy(HA / "many-problems.conf", tmp_path / "Chrystoki.conf")
    got = sorted(_key(f) for f in _findings(tmp_path / "Chrystoki.conf", capsys, monkeypatch))
    assert got == sorted(_key(e) for e in EXPECTED["many-problems.conf"])


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_help_text_has_what_why_reference_fix_and_snippets(rule_id):
    rule = load_registry(plugins=False).get(rule_id)
    assert rule.summary and len(rule.description) > 80
    assert rule.reference and rule.cites and "LUNA.md" not in rule.help_markdown
    assert rule.fix and rule.bad and rule.good
    text = rule.help_markdown
    for heading in ("## Vendor reference", "## How to fix", "## Example that triggers it",
                    "## Fixed"):
        assert heading in text
