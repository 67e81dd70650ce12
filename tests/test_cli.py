"""The command line as users run it: exit codes, formats, selection, stdout hygiene."""

from __future__ import annotations

import json
import shutil

import pytest

from lunalint import __version__
from lunalint.registry import load_registry

from .conftest import SAMPLES, run_cli, run_json

BAD = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
}
HASynchronize = {
   payments = 1;
}
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "Chrystoki.conf").write_text(BAD)
    shutil.copy(SAMPLES / "crystoki.ini", tmp_path / "configs" / "crystoki.ini")
    return tmp_path


def test_sample_ini_json_contract(tmp_path):
    shutil.copy(SAMPLES / "crystoki.ini", tmp_path / "crystoki.ini")
    code, doc = run_json("crystoki.ini", cwd=tmp_path)
    assert code == 1
    assert doc["tool"] == {"name": "lunalint", "version": __version__}
    finding, = doc["findings"]
    # RULES.md puts HA101 on the HAOnly entry: `HAOnly=0` is line 32 of the vendor sample.
    assert finding == {
        "rule": "HA101", "level": "warning",
        "message": finding["message"], "path": "crystoki.ini",
        "line": 32, "column": 1, "end_line": 32, "end_column": 9,
        "anchor": "HAConfiguration/HAOnly", "intentional": False, "suppressed": None,
        "help_uri": "https://github.com/lunalint/lunalint/blob/main/docs/rules/HA101.md",
        "related": [],
        # issue 15: the (unsafe) fix sets the value to 1
        "fix": {"applicability": "unsafe", "description": "set `HAOnly = 1` in `HAConfiguration`",
                "edits": [{"path": "crystoki.ini", "start": {"line": 32, "column": 8},
                           "end": {"line": 32, "column": 9}, "replacement": "1"}]}}
    assert "HAOnly" in finding["message"]
    assert doc["summary"] == {"files": 1, "error": 0, "warning": 1, "note": 0,
                              "intentional": 0, "suppressed": 0}


def test_paths_are_relative_with_slashes_and_sorted(repo):
    code, doc = run_json(".", cwd=repo)
    assert code == 1
    paths = [f["path"] for f in doc["findings"]]
    assert paths == ["configs/Chrystoki.conf", "configs/crystoki.ini"]
    keys = [(f["path"], f["line"], f["column"], f["rule"]) for f in doc["findings"]]
    assert keys == sorted(keys)


def test_clean_file_exits_zero_and_says_so(tmp_path):
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout == "No problems found in 1 file.\n"
    assert proc.stderr == ""


def test_missing_path_exits_two_with_one_line(tmp_path):
    proc = run_cli("nope/Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert "no such file or directory: nope/Chrystoki.conf" in proc.stderr


def test_text_format_has_location_excerpt_and_caret(repo):
    proc = run_cli("configs/Chrystoki.conf", cwd=repo)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("configs/Chrystoki.conf:7:4: warning HA101 ")
    assert lines[1] == "    7 |    HAOnly = 0;"
    assert lines[2] == "      |    ^^^^^^^^^^^"
    assert lines[-1] == "Found 1 problem (1 warning) in 1 of 1 file."
    assert "\033[" not in proc.stdout  # not a terminal: no colour


def test_colour_only_when_asked_and_never_with_no_color(repo):
    coloured = run_cli("--color", "always", "configs/Chrystoki.conf", cwd=repo)
    assert "\033[1;33mwarning" in coloured.stdout
    plain = run_cli("configs/Chrystoki.conf", cwd=repo, env={"NO_COLOR": "1"})
    assert "\033[" not in plain.stdout


@pytest.mark.parametrize("fail_on, code", [("error", 0), ("warning", 1), ("note", 1),
                                           ("never", 0)])
def test_fail_on(repo, fail_on, code):
    assert run_cli("--fail-on", fail_on, ".", cwd=repo).returncode == code


def test_select_and_ignore_by_id_and_prefix(repo):
    _, doc = run_json("--select", "SYN", ".", cwd=repo)
    assert doc["findings"] == []
    code, doc = run_json("--select", "HA101,SYN", "--ignore", "HA", ".", cwd=repo)
    assert code == 0 and doc["findings"] == []
    _, doc = run_json("--select", "HA101", ".", cwd=repo)
    assert {f["rule"] for f in doc["findings"]} == {"HA101"}


def test_unknown_rule_in_select_is_a_usage_error(repo):
    proc = run_cli("--select", "HA999", ".", cwd=repo)
    assert proc.returncode == 2
    assert "unknown rule or rule prefix 'HA999'" in proc.stderr


def test_output_file_leaves_stdout_empty(repo):
    proc = run_cli("--format", "json", "--output", "out.json", ".", cwd=repo)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert json.loads((repo / "out.json").read_text())["summary"]["warning"] == 2


def test_github_annotations(repo):
    proc = run_cli("--format", "github", "configs/Chrystoki.conf", cwd=repo)
    assert proc.stdout.startswith(
        "::warning file=configs/Chrystoki.conf,line=7,col=4,endLine=7,endColumn=15,"
        "title=HA101::HA101 HA groups are defined")
    assert proc.stdout.count("\n") == 1


def test_list_rules_and_explain():
    proc = run_cli("--list-rules")
    assert proc.returncode == 0
    rows = proc.stdout.splitlines()
    assert rows[0].split() == ["ID", "LEVEL", "FIX", "NAME", "DESCRIPTION"]
    ids = [row.split()[0] for row in rows[1:]]
    assert ids == [r.id for r in load_registry().sorted()]
    assert {"HA101", *(f"SYN00{i}" for i in range(1, 9))} <= set(ids)
    assert any(row.split()[:4] == ["HA101", "warning", "unsafe", "ha-only-off"] for row in rows)
    explain = run_cli("--explain", "ha101")
    assert explain.returncode == 0
    rule = load_registry().get("HA101")
    assert explain.stdout == rule.help_markdown
    assert "## Vendor reference" in explain.stdout and "HAOnly = 1;" in explain.stdout
    assert run_cli("--explain", "NOPE1").returncode == 2


def test_version():
    proc = run_cli("--version")
    assert proc.stdout.strip() == f"lunalint {__version__}"


def test_unrecognised_file_named_explicitly_is_not_skipped_silently(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to do with Luna\n")
    proc = run_cli("notes.txt", cwd=tmp_path)
    assert proc.returncode == 2  # nothing else was linted: not a silent all-clear either
    assert "notes.txt: not recognised as a Luna client configuration or capture" in proc.stderr


def test_a_crashing_rule_becomes_a_finding_and_the_run_goes_on(tmp_path):
    from lunalint import engine
    from lunalint.findings import Level
    from lunalint.rules.base import rule

    @rule("TEST900", "always-crashes", Level.WARNING, summary="crashes", reference="none",
          fix="none")
    def broken(config, ctx):
        """Raises on purpose."""
        raise RuntimeError("boom")
        yield  # pragma: no cover

    (tmp_path / "Chrystoki.conf").write_text(BAD)
    ha101 = load_registry(plugins=False).get("HA101")
    result = engine.lint([str(tmp_path)], [broken, ha101], cwd=str(tmp_path))
    rules = [(f.rule, f.level) for f in result.findings]
    assert ("LUNALINT-INTERNAL", Level.ERROR) in rules
    assert ("HA101", Level.WARNING) in rules
    internal = next(f for f in result.findings if f.rule == "LUNALINT-INTERNAL")
    assert "rule TEST900 failed on this file: RuntimeError: boom" in internal.message


def test_terminal_escapes_from_files_never_reach_the_terminal(tmp_path):
    capture = (SAMPLES / "lunacm-session.txt").read_text().replace(
        "28: Allow Key Management Functions : 0",
        "\x1b[31m28: Allow Key Management Functions : 0\x1b[0m")
    (tmp_path / "pay.lunacm.txt").write_text(capture)
    proc = run_cli("--color", "always", "pay.lunacm.txt", cwd=tmp_path)
    assert "POL302" in proc.stdout
    excerpt = next(line for line in proc.stdout.splitlines() if "Key Management" in line
                   and "|" in line)
    assert "\x1b[31m" not in proc.stdout.replace("\033[1;31m", "")
    assert "?[31m28: Allow Key Management Functions : 0?[0m" in excerpt


def test_excerpts_of_very_long_lines_show_a_window_around_the_span(tmp_path):
    long_value = "x" * 5000
    (tmp_path / "Chrystoki.conf").write_text(
        f"Misc = {{\n   ToolsDir = {long_value}; HAOnly 1;\n}}\n")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    lines = proc.stdout.splitlines()
    finding = next(i for i, line in enumerate(lines) if "SYN001" in line)
    excerpt, caret = lines[finding + 1], lines[finding + 2]
    assert len(excerpt) < 140 and excerpt.startswith("    2 | …")
    assert excerpt[caret.index("^")] == "H"  # the caret still points at `HAOnly`


def test_a_rule_returning_bad_spans_is_reported_and_sarif_stays_valid(tmp_path):
    """A plugin returning a span at line 0, a string for a span, or a related location with a
    reversed span must not crash a reporter or produce schema-invalid SARIF (issue 10)."""
    from lunalint import engine
    from lunalint.findings import Level
    from lunalint.model.base import Span
    from lunalint.reporters import Report, renderer
    from lunalint.rules.base import Problem, rule

    from .test_sarif_schema import validate

    @rule("TEST901", "bad-spans", Level.WARNING, summary="bad spans", reference="none",
          fix="none")
    def bad(config, ctx):
        """Reports with broken positions on purpose."""
        yield Problem(Span(0, 0, 0, 0), "line zero")
        yield Problem("1:1", "a string span")  # type: ignore[arg-type]
        yield Problem(Span(2, 1, 2, 5), "bad related", related=((None, Span(3, 5, 2, 1), "x"),))
        yield "not a problem"  # type: ignore[misc]
        yield Problem(Span(2, 1, 2, 5), "this one is fine")

    (tmp_path / "Chrystoki.conf").write_text(BAD)
    result = engine.lint([str(tmp_path)], [bad], cwd=str(tmp_path))
    got = [(f.rule, f.message.split(" (")[0] if f.rule == "TEST901" else "") for f in result.findings]
    assert got.count(("LUNALINT-INTERNAL", "")) == 4
    assert ("TEST901", "this one is fine") in got
    internal = [f.message for f in result.findings if f.rule == "LUNALINT-INTERNAL"]
    assert any("starts before line 1" in m for m in internal)
    assert any("type str, not Span" in m for m in internal)
    assert any("related location" in m for m in internal)
    assert any("a str, not a Problem" in m for m in internal)
    for fmt in ("text", "json", "github"):
        assert renderer(fmt)(Report(result.findings, 1, rules=[bad]))
    validate(json.loads(renderer("sarif")(Report(result.findings, 1, rules=[bad]))))
