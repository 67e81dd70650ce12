"""Report formats for the CI systems users run (issue 11, item 6), through the real CLI.

``--format junit`` is validated against the JUnit schema Jenkins' xUnit plugin publishes (as
pytest ships it: tests/schemas/README.md) and checked for its structure; ``--format gitlab`` for
the fields GitLab's Code Quality widget reads, with fingerprints that survive moved lines;
``--report FORMAT:FILE`` writes several reports from one run; ``--output-format`` is ``--format``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lunalint.reporters import FORMATS

from .conftest import SAMPLES, run_cli, run_json
from .test_secrets import PLANTED, estate  # noqa: F401  (fixture)

HERE = Path(__file__).parent
REPO = HERE.parent
JUNIT_XSD = HERE / "schemas" / "junit-10.xsd"
SARIF_SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"

BAD = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   AutoReconnectInterval = 30;
   HAAutoRecover = 1;
}
HASynchronize = {
   payments = 1;
}
"""


def git_repo(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


@pytest.fixture
def estate_with_clean_file(tmp_path):
    """Two configs with findings and one clean one, in a git work tree."""
    git_repo(tmp_path)
    (tmp_path / "hosts" / "app01").mkdir(parents=True)
    (tmp_path / "hosts" / "app01" / "Chrystoki.conf").write_text(BAD, encoding="utf-8")
    (tmp_path / "hosts" / "win").mkdir()
    shutil.copy(SAMPLES / "crystoki.ini", tmp_path / "hosts" / "win" / "crystoki.ini")
    (tmp_path / "hosts" / "clean").mkdir()
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "hosts" / "clean" / "Chrystoki.conf")
    return tmp_path


def junit_doc(*args: str, cwd) -> tuple[subprocess.CompletedProcess, ET.Element]:
    proc = run_cli("--format", "junit", *args, cwd=cwd)
    assert proc.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>'), proc.stderr
    return proc, ET.fromstring(proc.stdout)


def validate_junit(text: str) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(text)


# ---------------------------------------------------------------- junit


def test_junit_one_testcase_per_file_failed_by_findings_at_or_above_fail_on(
        estate_with_clean_file):
    root = estate_with_clean_file
    code, doc = run_json(".", cwd=root)
    proc, xml = junit_doc(".", cwd=root)
    assert proc.returncode == code == 1
    validate_junit(proc.stdout)
    assert xml.tag == "testsuites"
    suite, = xml.findall("testsuite")
    cases = suite.findall("testcase")
    # every linted file is a testcase, the clean one too (a passing test)
    assert [c.get("name") for c in cases] == ["hosts/app01/Chrystoki.conf",
                                              "hosts/clean/Chrystoki.conf",
                                              "hosts/win/crystoki.ini"]
    assert doc["summary"]["files"] == len(cases)
    clean = cases[1]
    assert list(clean) == []
    # at most one failure per testcase; the counts are of testcases, not of findings
    failing = {f["path"] for f in doc["findings"] if f["level"] in ("warning", "error")}
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == sorted(failing)
    assert all(len(c.findall("failure")) <= 1 for c in cases)
    for element in (xml, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(len(failed))
        assert element.get("errors") == "0"
    # the failure names the rules as type; its text lists each finding line and its help
    for case in failed:
        mine = [f for f in doc["findings"] if f["path"] == case.get("name")
                and f["level"] in ("warning", "error")]
        failure = case.find("failure")
        assert failure.get("type") == ",".join(sorted({f["rule"] for f in mine}))
        for f in mine:
            assert (f"{f['path']}:{f['line']}:{f['column']}: {f['level']} {f['rule']} "
                    f"{f['message']}") in failure.text
            assert f"help: {f['help_uri']}" in failure.text
        assert failure.get("message").startswith(f"{len(mine)} finding")


def test_junit_findings_below_fail_on_are_system_out_not_failures(estate_with_clean_file):
    """A run that exits 0 must not show red in Jenkins or GitLab: with --fail-on error, the
    warnings are listed in system-out; with --exit-zero nothing fails."""
    root = estate_with_clean_file
    code, doc = run_json("--fail-on", "error", ".", cwd=root)
    proc, xml = junit_doc("--fail-on", "error", ".", cwd=root)
    validate_junit(proc.stdout)
    errors = {f["path"] for f in doc["findings"] if f["level"] == "error"}
    assert proc.returncode == code == (1 if errors else 0)
    failed = [c.get("name") for c in xml.iter("testcase") if c.find("failure") is not None]
    assert failed == sorted(errors)
    assert xml.get("failures") == str(len(failed))
    outs = "\n".join(c.find("system-out").text for c in xml.iter("testcase")
                     if c.find("system-out") is not None)
    for f in doc["findings"]:
        if f["level"] != "error":
            assert f"{f['path']}:{f['line']}:{f['column']}: {f['level']} {f['rule']}" in outs
    assert "[below --fail-on]" in outs
    proc, xml = junit_doc("--exit-zero", ".", cwd=root)
    assert proc.returncode == 0
    validate_junit(proc.stdout)
    assert xml.get("failures") == "0" and list(xml.iter("failure")) == []
    assert int(xml.get("tests")) == len(list(xml.iter("testcase"))) == 3


def test_junit_intentional_findings_are_not_failures():
    """POL302 (the replica design) is reported by design; in JUnit it must not turn a
    Jenkins build red: it is listed in the testcase's system-out instead."""
    proc, xml = junit_doc("examples/payments", cwd=REPO)
    validate_junit(proc.stdout)
    case, = [c for c in xml.iter("testcase") if c.get("name").endswith("members.lunacm.txt")]
    out = case.find("system-out")
    assert out is not None and "POL302" in out.text and "[intentional]" in out.text
    assert all(f.get("type") != "POL302" for f in xml.iter("failure"))
    assert xml.get("failures") == str(len(list(xml.iter("failure"))))


def test_junit_with_suppressed_findings(estate_with_clean_file):
    root = estate_with_clean_file
    conf = root / "hosts" / "app01" / "Chrystoki.conf"
    conf.write_text(BAD.replace("HAOnly = 0;", "HAOnly = 0; # lunalint: ignore[HA101] lab only"),
                    encoding="utf-8")
    proc, xml = junit_doc("--include-suppressed", ".", cwd=root)
    validate_junit(proc.stdout)
    case = next(c for c in xml.iter("testcase") if c.get("name") == "hosts/app01/Chrystoki.conf")
    assert "HA101" not in [f.get("type") for f in case.iter("failure")]
    assert "suppressed: lab only" in case.find("system-out").text


def test_junit_stays_valid_xml_whatever_the_files_hold(tmp_path):
    """Markup, quotes and control characters from a linted file reach messages (an unknown
    section name is quoted back); the document must still parse and validate."""
    git_repo(tmp_path)
    (tmp_path / "Chrystoki.conf").write_bytes(
        b'Bad<&]]>"\'\x01\x1b[31m = {\n   key = 1;\n}\nHAConfiguration = {\n   HAOnly = 1;\n}\n')
    proc, xml = junit_doc("--fail-on", "note", ".", cwd=tmp_path)
    validate_junit(proc.stdout)
    messages = [f.get("message") + f.text for f in xml.iter("failure")]
    assert any("Bad<&]]>" in m for m in messages), messages
    assert "\x01" not in proc.stdout and "\x1b" not in proc.stdout


def test_junit_without_files_is_an_empty_valid_suite(tmp_path):
    git_repo(tmp_path)
    (tmp_path / "README.txt").write_text("nothing to lint\n", encoding="utf-8")
    proc, xml = junit_doc(".", cwd=tmp_path)
    validate_junit(proc.stdout)
    assert xml.get("tests") == "0" and xml.get("failures") == "0"


# ---------------------------------------------------------------- gitlab


def gitlab(*args: str, cwd) -> list[dict]:
    proc = run_cli("--format", "gitlab", *args, cwd=cwd)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def test_gitlab_code_quality_fields(estate_with_clean_file):
    root = estate_with_clean_file
    _, doc = run_json(".", cwd=root)
    issues = gitlab(".", cwd=root)
    assert len(issues) == len(doc["findings"]) > 1
    severity = {"note": "info", "warning": "major", "error": "critical"}
    for issue, finding in zip(issues, doc["findings"]):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity",
                              "location"}
        assert issue["check_name"] == finding["rule"]
        assert finding["message"] in issue["description"]
        assert issue["severity"] == severity[finding["level"]]
        assert issue["location"] == {"path": finding["path"],
                                     "lines": {"begin": finding["line"]}}
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 32
    assert {i["severity"] for i in issues} >= {"major", "critical"}
    # GitLab shows only the first issue of each fingerprint
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_paths_are_relative_to_the_repository_from_any_folder(estate_with_clean_file):
    root = estate_with_clean_file
    issues = gitlab(".", cwd=root / "hosts" / "app01")
    assert {i["location"]["path"] for i in issues} == {"hosts/app01/Chrystoki.conf"}


def test_gitlab_fingerprints_survive_moved_lines(estate_with_clean_file):
    root = estate_with_clean_file
    conf = root / "hosts" / "app01" / "Chrystoki.conf"
    before = gitlab(".", cwd=root)
    conf.write_text("# moved down by a comment\n\n\n" + BAD, encoding="utf-8")
    after = gitlab(".", cwd=root)
    moved = [(a, b) for a, b in zip(before, after)
             if a["location"]["path"] == "hosts/app01/Chrystoki.conf"]
    assert moved and len(before) == len(after)
    for a, b in moved:
        assert b["location"]["lines"]["begin"] == a["location"]["lines"]["begin"] + 3
        assert b["fingerprint"] == a["fingerprint"], a["check_name"]


def test_gitlab_intentional_is_info_and_suppressed_is_left_out(estate_with_clean_file):
    issues = gitlab("examples/payments", cwd=REPO)
    pol302, = [i for i in issues if i["check_name"] == "POL302"]
    assert pol302["severity"] == "info" and "(intentional)" in pol302["description"]
    root = estate_with_clean_file
    conf = root / "hosts" / "app01" / "Chrystoki.conf"
    conf.write_text(BAD.replace("HAOnly = 0;", "HAOnly = 0; # lunalint: ignore[HA101] lab only"),
                    encoding="utf-8")
    issues = gitlab("--include-suppressed", ".", cwd=root)
    assert ("HA101", "hosts/app01/Chrystoki.conf") not in {
        (i["check_name"], i["location"]["path"]) for i in issues}


# ---------------------------------------------------------------- several reports, one run


def test_report_writes_sarif_and_json_while_text_goes_to_the_log(estate_with_clean_file):
    root = estate_with_clean_file
    (root / "out").mkdir()
    proc = run_cli("--report", "sarif:out/lunalint.sarif", "--report", "junit:out/junit.xml",
                   "--report", "gitlab:out/gl.json", "--report", "json:out/l.json", ".",
                   cwd=root)
    assert proc.returncode == 1, proc.stderr
    # the log (stdout) is the text report, with its summary
    assert "warning HA101" in proc.stdout and proc.stdout.rstrip().endswith("files.")
    doc = json.loads((root / "out" / "l.json").read_text(encoding="utf-8"))
    findings = {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}
    assert findings
    sarif = json.loads((root / "out" / "lunalint.sarif").read_text(encoding="utf-8"))
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in sarif["runs"][0]["results"]} == findings
    junit = (root / "out" / "junit.xml").read_text(encoding="utf-8")
    validate_junit(junit)
    # one failure per file with a finding at or above --fail-on (warning)
    failing = {f["path"] for f in doc["findings"] if f["level"] in ("warning", "error")}
    assert len(ET.fromstring(junit).findall(".//failure")) == len(failing)
    issues = json.loads((root / "out" / "gl.json").read_text(encoding="utf-8"))
    assert {(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"])
            for i in issues} == findings
    text_lines = {line.split(": ", 1)[0] for line in proc.stdout.splitlines()
                  if line.startswith("hosts/")}
    assert text_lines == {f"{f['path']}:{f['line']}:{f['column']}" for f in doc["findings"]}


def test_report_and_output_together(estate_with_clean_file):
    root = estate_with_clean_file
    proc = run_cli("--format", "json", "--output", "main.json", "--report", "text:log.txt", ".",
                   cwd=root)
    assert proc.returncode == 1 and proc.stdout == ""
    main = json.loads((root / "main.json").read_text(encoding="utf-8"))
    log = (root / "log.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in log  # a file never gets colour
    assert len(main["findings"]) == sum(1 for line in log.splitlines()
                                        if line.startswith("hosts/") and ": " in line)


@pytest.mark.parametrize("bad, says", [
    ("sarif", "expected FORMAT:FILE"),
    ("sarif:", "expected FORMAT:FILE"),
    ("xml:out.xml", "unknown format 'xml'"),
])
def test_report_spec_errors_are_usage_errors(tmp_path, bad, says):
    proc = run_cli("--report", bad, ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert says in proc.stderr and proc.stdout == ""


def test_two_reports_to_one_file_is_a_usage_error(tmp_path):
    proc = run_cli("--output", "r.txt", "--report", "sarif:./r.txt", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "same file" in proc.stderr
    assert not (tmp_path / "r.txt").exists()


def test_report_path_may_hold_a_colon(estate_with_clean_file):
    root = estate_with_clean_file
    proc = run_cli("--report", "json:a:b.json", ".", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert json.loads((root / "a:b.json").read_text(encoding="utf-8"))["findings"]


def test_reports_in_files_carry_no_secret(estate):  # noqa: F811  (fixture from test_secrets)
    args = []
    for fmt in FORMATS:
        args += ["--report", f"{fmt}:report.{fmt}"]
    proc = run_cli(*args, "--format", "junit", "--fail-on", "never", "--select", "ALL", ".",
                   cwd=estate)
    assert proc.returncode == 0, proc.stderr
    outputs = [proc.stdout, proc.stderr] + [
        (estate / f"report.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS]
    assert all(outputs[2:])
    leaked = [PLANTED.findall(text) for text in outputs]
    assert leaked == [[]] * len(outputs)


# ---------------------------------------------------------------- --output-format


@pytest.mark.parametrize("fmt", ["json", "gitlab"])
def test_output_format_is_an_alias_of_format(estate_with_clean_file, fmt):
    root = estate_with_clean_file
    a = run_cli("--format", fmt, ".", cwd=root)
    b = run_cli("--output-format", fmt, ".", cwd=root)
    assert a.returncode == b.returncode == 1
    assert a.stdout == b.stdout and a.stdout


def test_every_format_is_in_the_help():
    out = run_cli("--help").stdout
    for fmt in FORMATS:
        assert fmt in out


@pytest.mark.parametrize("fmt", ["junit", "gitlab"])
def test_new_formats_are_byte_identical_across_runs_and_jobs(fmt):
    """No times, no ordering from workers: CI can diff two reports."""
    one = run_cli("--format", fmt, "--jobs", "1", "examples", cwd=REPO)
    two = run_cli("--format", fmt, "--jobs", "2", "examples", cwd=REPO)
    assert one.stdout and one.stdout == two.stdout
