"""The flags users of ruff, hadolint and yamllint type (issue 11, item 7), through the real CLI:
--statistics, --quiet/-q, --exit-zero, --list-rules as JSON and filtered, --no-color, and the
summary on stderr when the report goes to a file."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from lunalint.registry import load_registry

from .conftest import run_cli, run_json

# Three SYN002 (TABs), two SYN005 (unknown keys), one HA101, one HA103: counts 3, 2, 1, 1.
CONFIG = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
\tHAOnly = 0;
\treconnAtt = -1;
\tAutoReconnectInterval = 30;
   HAAutoRecover = 1;
   HALogging = enabled;
}
HASynchronize = {
   payments = 1;
}
"""
CLEAN = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   HAOnly = 1;
   reconnAtt = -1;
   AutoReconnectInterval = 60;
}
HASynchronize = {
   payments = 1;
}
"""
SUMMARY = re.compile(r"^(Found \d+ problems? .* in \d+ of \d+ files?\.|No problems found in "
                     r"\d+ files?\.)")


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def counts(doc) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in doc["findings"]:
        out[f["rule"]] = out.get(f["rule"], 0) + 1
    return out


# ---------------------------------------------------------------- --statistics


def test_statistics_counts_per_rule_sorted_by_count_then_id(repo):
    _, doc = run_json(".", cwd=repo)
    expected = sorted(counts(doc).items(), key=lambda item: (-item[1], item[0]))
    assert [n for _, n in expected][:2] == [3, 2]  # the fixture really has different counts
    proc = run_cli("--statistics", ".", cwd=repo)
    assert proc.returncode == 1
    *table, blank, summary = proc.stdout.splitlines()
    assert blank == "" and SUMMARY.match(summary)
    rows = [line.split() for line in table]
    assert [(row[1], int(row[0])) for row in rows] == expected
    names = {r.id: r.name for r in load_registry().sorted()}
    assert all(row[3] == names[row[1]] for row in rows)
    assert "Chrystoki.conf:" not in proc.stdout  # counts, not the findings


def test_statistics_as_json(repo):
    _, doc = run_json(".", cwd=repo)
    proc = run_cli("--statistics", "--format", "json", ".", cwd=repo)
    rows = json.loads(proc.stdout)
    assert [(r["rule"], r["count"]) for r in rows] == sorted(
        counts(doc).items(), key=lambda item: (-item[1], item[0]))
    assert set(rows[0]) == {"rule", "name", "level", "count"}
    assert {r["rule"]: r["level"] for r in rows}["SYN002"] == "error"


def test_statistics_in_a_format_that_has_none_is_a_usage_error(repo):
    proc = run_cli("--statistics", "--format", "sarif", ".", cwd=repo)
    assert proc.returncode == 2 and "--statistics" in proc.stderr and proc.stdout == ""


# ---------------------------------------------------------------- --quiet


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_only_the_findings(repo, flag):
    loud = run_cli(".", cwd=repo)
    quiet = run_cli(flag, ".", cwd=repo)
    assert quiet.returncode == loud.returncode == 1
    assert SUMMARY.match(loud.stdout.splitlines()[-1])
    assert not any(SUMMARY.match(line) for line in quiet.stdout.splitlines())
    assert quiet.stdout == loud.stdout[:loud.stdout.rindex("\n\n") + 1]
    assert "warning HA101" in quiet.stdout


def test_quiet_on_a_clean_project_prints_nothing(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CLEAN, encoding="utf-8")
    proc = run_cli("-q", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_quiet_statistics_has_no_summary(repo):
    proc = run_cli("-q", "--statistics", ".", cwd=repo)
    assert proc.stdout and not any(SUMMARY.match(line) for line in proc.stdout.splitlines())


# ---------------------------------------------------------------- --exit-zero


def test_exit_zero_reports_but_exits_zero(repo):
    proc = run_cli("--exit-zero", ".", cwd=repo)
    assert proc.returncode == 0
    assert "error SYN002" in proc.stdout
    # it wins over --fail-on, as `--fail-on never` would
    assert run_cli("--exit-zero", "--fail-on", "note", ".", cwd=repo).returncode == 0
    assert run_cli("--fail-on", "note", ".", cwd=repo).returncode == 1


def test_exit_zero_still_exits_two_on_usage_errors(repo):
    assert run_cli("--exit-zero", "missing/Chrystoki.conf", cwd=repo).returncode == 2


# ---------------------------------------------------------------- --list-rules


def test_list_rules_as_json():
    proc = run_cli("--list-rules", "--format", "json")
    assert proc.returncode == 0
    rows = json.loads(proc.stdout)
    registry = load_registry()
    assert [r["id"] for r in rows] == [r.id for r in registry.sorted()]
    for row in rows:
        rule = registry.get(row["id"])
        assert row == {"id": rule.id, "name": rule.name, "level": rule.level.label,
                       "summary": rule.summary, "help_uri": rule.help_uri,
                       "fix_class": rule.fix_class}
        assert row["help_uri"].endswith(f"/docs/rules/{rule.id}.md")


def test_list_rules_honours_select_and_ignore():
    registry = load_registry()
    proc = run_cli("--list-rules", "--select", "HA,OPS401", "--ignore", "HA101")
    ids = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert ids == [r.id for r in registry.sorted()
                   if (r.id.startswith("HA") and r.id != "HA101") or r.id == "OPS401"]
    proc = run_cli("--list-rules", "--format", "json", "--ignore", "SYN,VER")
    ids = [r["id"] for r in json.loads(proc.stdout)]
    assert ids and not any(i.startswith(("SYN", "VER")) for i in ids)
    assert "HA101" in ids


def test_list_rules_with_an_unknown_selection_is_a_usage_error():
    proc = run_cli("--list-rules", "--select", "NOPE1")
    assert proc.returncode == 2 and "unknown rule or rule prefix 'NOPE1'" in proc.stderr


def test_list_rules_in_a_format_that_has_no_table_is_a_usage_error():
    proc = run_cli("--list-rules", "--format", "junit")
    assert proc.returncode == 2 and proc.stdout == ""


# ---------------------------------------------------------------- --no-color


def test_no_color(repo):
    painted = run_cli("--color", "always", ".", cwd=repo)
    assert "\x1b[" in painted.stdout
    plain = run_cli("--color", "always", "--no-color", ".", cwd=repo)
    assert "\x1b[" not in plain.stdout
    assert plain.stdout == run_cli(".", cwd=repo).stdout


# ---------------------------------------------------------------- --output: summary on stderr


@pytest.mark.parametrize("fmt", ["sarif", "text", "junit"])
def test_report_to_a_file_says_why_on_stderr(repo, fmt):
    proc = run_cli("--format", fmt, "--output", "report.out", ".", cwd=repo)
    assert proc.returncode == 1 and proc.stdout == ""
    line, = proc.stderr.splitlines()
    assert line.startswith("lunalint: Found 7 problems (") and line.endswith(" in 1 of 1 file.")
    assert (repo / "report.out").read_text(encoding="utf-8")


def test_report_to_a_file_of_a_clean_project(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CLEAN, encoding="utf-8")
    proc = run_cli("--format", "sarif", "--output", "r.sarif", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "lunalint: No problems found in 1 file.\n")


def test_quiet_report_to_a_file_says_nothing(repo):
    proc = run_cli("-q", "--format", "sarif", "--output", "r.sarif", ".", cwd=repo)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_help_lists_the_new_flags():
    out = run_cli("--help").stdout
    for flag in ("--statistics", "--quiet", "-q", "--exit-zero", "--no-color",
                 "--output-format", "--report"):
        assert flag in out
