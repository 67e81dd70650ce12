"""``--fix``, ``--unsafe-fixes``, ``--diff`` and ``--show-fixes`` through the real CLI (issue 15):
each rule's fix on exact text, what is never edited, verification, redaction of what a fix
writes, JSON ``fix`` and the fix classes in the rule listings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from lunalint import fix, pipeline
from lunalint.findings import Edit, Fix, Level
from lunalint.model.base import Span
from lunalint.registry import load_registry
from lunalint.rules.base import Problem, rule
from lunalint.settings import Settings

from .conftest import run_cli

GROUP = ("VirtualToken = {\n   VirtualToken00Label = payments;\n"
         "   VirtualToken00SN = 11541234567001;\n"
         "   VirtualToken00Members = 1541234567001, 1541234567002;\n}\n")
SYNCED = "HASynchronize = {\n   payments = 1;\n}\n"


def conf(tmp_path: Path, text: str, name: str = "Chrystoki.conf", data: bytes | None = None):
    path = tmp_path / name
    path.write_bytes(data if data is not None else text.encode())
    return path


def lint(path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, path.name, cwd=path.parent)


@pytest.mark.parametrize("rule_id, before, after", [
    ("SYN002", "HAConfiguration = {\n\tHAOnly = 1;\t# one\n}\n",
     "HAConfiguration = {\n   HAOnly = 1;   # one\n}\n"),
    ("SYN006", GROUP + SYNCED + "HAConfiguration = {\n   HAOnly = 1;\n   ReconnAtt = -1;\n}\n",
     GROUP + SYNCED + "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n}\n"),
    # HAOnly set where it is 0; added after the last entry, with that entry's indentation and
    # spacing around `=`; the section created when there is none.
    ("HA101", GROUP + "HAConfiguration = {\n   HAOnly = 0;  // off\n}\n",
     GROUP + "HAConfiguration = {\n   HAOnly = 1;  // off\n}\n"),
    ("HA101", GROUP + "HAConfiguration = {\n    reconnAtt=-1;\n}\n",
     GROUP + "HAConfiguration = {\n    reconnAtt=-1;\n    HAOnly=1;\n}\n"),
    ("HA101", GROUP, GROUP + "\nHAConfiguration = {\n   HAOnly = 1;\n}\n"),
    ("HA102", GROUP + "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = 0;\n}\n",
     GROUP + "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n}\n"),
    # one-line section: the entry goes right after the last one, before the `}`
    ("HA102", GROUP + "HAConfiguration = { HAOnly = 1; }\n",
     GROUP + "HAConfiguration = { HAOnly = 1; reconnAtt = -1; }\n"),
    ("HA103", "HAConfiguration = {\n   AutoReconnectInterval = 30;\n}\n",
     "HAConfiguration = {\n   AutoReconnectInterval = 60;\n}\n"),
    ("HA105", GROUP + "HASynchronize = {\n  other = 1;\n}\n",
     GROUP + "HASynchronize = {\n  other = 1;\n  payments = 1;\n}\n"),
    ("HA105", GROUP + "HASynchronize = {\n   payments = 0;\n}\n", GROUP + SYNCED),
    ("HA105", GROUP, GROUP + "\n" + SYNCED),
])
def test_each_rule_fixes_exactly_what_it_reports(tmp_path, rule_id, before, after):
    path = conf(tmp_path, before)
    proc = lint(path, "--fix", "--unsafe-fixes", "--select", rule_id, "--show-fixes")
    assert path.read_text() == after, proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"fixed Chrystoki.conf:" in proc.stderr and f" {rule_id} " in proc.stderr
    assert "1 fixed, 0 remaining." in proc.stdout


def test_ini_insertions_follow_the_ini_form(tmp_path):
    ini = ("[VirtualToken]\r\nVirtualToken00Label=payments\r\n"
           "VirtualToken00Members=1541234567001,1541234567002\r\n"
           "[HAConfiguration]\r\nHAOnly=1\r\n")
    path = conf(tmp_path, ini, "crystoki.ini")
    proc = lint(path, "--fix", "--unsafe-fixes", "--select", "HA102,HA105")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes().decode() == ini + "reconnAtt=-1\r\n\r\n[HASynchronize]\r\npayments=1\r\n"


def test_safe_only_without_unsafe_fixes_and_diff_changes_nothing(tmp_path):
    text = GROUP + SYNCED + "HAConfiguration = {\n\tHAOnly = 0;\n   reconnAtt = -1;\n}\n"
    path = conf(tmp_path, text)
    diff = lint(path, "--diff")
    assert diff.returncode == 1
    assert diff.stdout == ("--- a/Chrystoki.conf\n+++ b/Chrystoki.conf\n"
                           "@@ -7,6 +7,6 @@\n    payments = 1;\n }\n HAConfiguration = {\n"
                           "-\tHAOnly = 0;\n+   HAOnly = 0;\n    reconnAtt = -1;\n }\n")
    assert path.read_text() == text
    unsafe = lint(path, "--diff", "--unsafe-fixes")
    assert "+   HAOnly = 1;" in unsafe.stdout and path.read_text() == text

    fixed = lint(path, "--fix")
    assert fixed.returncode == 1  # HA101 remains: its fix is unsafe
    assert path.read_text() == text.replace("\tHAOnly", "   HAOnly")
    assert "HA101" in fixed.stdout and "1 fixed, 1 remaining." in fixed.stdout
    assert lint(path, "--diff").returncode == 0  # nothing safe left to do
    assert lint(path, "--diff").stdout == ""


def test_fixes_that_need_the_same_place_are_all_made_in_one_run(tmp_path):
    # HAOnly and reconnAtt both go into an HAConfiguration section that does not exist yet,
    # and HASynchronize is created too: one run makes them all, in a deterministic order.
    path = conf(tmp_path, GROUP)
    proc = lint(path, "--fix", "--unsafe-fixes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text() == (GROUP + "\nHAConfiguration = {\n   HAOnly = 1;\n"
                                "   reconnAtt = -1;\n}\n\n" + SYNCED)
    assert "3 fixed, 0 remaining." in proc.stdout


def test_crlf_utf16_bom_and_mode_are_kept(tmp_path):
    text = GROUP + SYNCED + "HAConfiguration = {\n\tHAOnly = 1;\n   reconnAtt = -1;\n}\n"
    data = text.replace("\n", "\r\n").encode("utf-16-be")
    path = conf(tmp_path, "", "crystoki.conf", b"\xfe\xff" + data)
    os.chmod(path, 0o640)
    proc = lint(path, "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = path.read_bytes()
    assert out == b"\xfe\xff" + text.replace("\tHAOnly", "   HAOnly").replace(
        "\n", "\r\n").encode("utf-16-be")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name != path.name]  # no temporary left


def test_latin1_file_stays_latin1(tmp_path):
    text = "# caf\xe9 Paris\nHAConfiguration = {\n\tAutoReconnectInterval = 60;\n}\n"
    path = conf(tmp_path, "", data=text.encode("latin-1"))
    lint(path, "--fix")
    assert path.read_bytes() == text.replace("\t", "   ").encode("latin-1")


def test_templates_placeholders_loops_and_open_files_are_not_edited(tmp_path):
    text = ("VirtualToken = {\n   VirtualToken00Label = payments;\n"
            "   VirtualToken00Members = {{ .Values.a }}, {{ .Values.b }};\n}\n"
            "LunaSA Client = {\n{{- range $i, $h := .Values.hosts }}\n"
            "\tServerName0{{ $i }} = {{ $h }};\n{{- end }}\n}\n"
            "HAConfiguration = {\n\tHAOnly = 0;\n   AutoReconnectInterval = {{ .Values.i }};\n}\n"
            "{{ .Values.extra }}\n")
    path = conf(tmp_path, text, "Chrystoki.conf.tpl")
    proc = lint(path, "--format", "json", "--unsafe-fixes", "--diff")
    findings = json.loads(run_cli("--format", "json", path.name, cwd=tmp_path).stdout)["findings"]
    by_line = {(f["rule"], f["line"]): f["fix"] for f in findings}
    assert by_line[("SYN002", 7)] is None  # inside the loop
    assert by_line[("SYN002", 11)] is not None  # outside it
    assert by_line[("HA101", 11)] is not None  # a literal value is still set
    assert by_line.get(("HA102", 10), "absent") is None  # an insertion in an open template
    proc = lint(path, "--fix", "--unsafe-fixes")
    assert path.read_text() == text.replace("\tHAOnly = 0", "   HAOnly = 1"), proc.stderr


def test_embedded_configs_and_captures_are_never_edited(tmp_path):
    script = ("#!/bin/sh\ncat > /etc/Chrystoki.conf <<EOF\n" + GROUP
              + "HAConfiguration = {\n\tHAOnly = 0;\n}\nEOF\n")
    host = conf(tmp_path, script, "install.sh")
    capture = conf(tmp_path, "lunacm:>hagroup listgroups\n\tOnly Show HA Slots:  no\n",
                   "client.lunacm.txt")
    before = json.loads(run_cli("--format", "json", "install.sh", "client.lunacm.txt",
                                cwd=tmp_path).stdout)["findings"]
    assert {f["rule"] for f in before if f["path"] == "install.sh"} >= {"HA101", "SYN002"}
    assert all(f["fix"] is None for f in before)
    proc = run_cli("--fix", "--unsafe-fixes", "install.sh", "client.lunacm.txt", cwd=tmp_path)
    assert host.read_text() == script and "\tOnly" in capture.read_text(), proc.stderr
    assert "0 fixed" in proc.stdout


def test_inline_suppression_of_the_rule_keeps_its_line(tmp_path):
    text = ("HAConfiguration = {\n   # lunalint: ignore[SYN002] aligned with tabs on purpose\n"
            "\tHAOnly = 1;\n}\nLuna = {\n\tDefaultTimeOut = 500000;\n}\n")
    path = conf(tmp_path, text)
    proc = lint(path, "--fix")
    assert path.read_text() == text.replace("\tDefaultTimeOut", "   DefaultTimeOut")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_files_outside_the_project_and_links_are_not_edited(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    outside = conf(tmp_path, "Luna = {\n\tDefaultTimeOut = 500000;\n}\n")
    inside = conf(project, "Luna = {\n\tDefaultTimeOut = 500000;\n}\n", "real.conf")
    link = project / "Chrystoki.conf"
    link.symlink_to(inside.name)
    proc = run_cli("--fix", str(outside), "Chrystoki.conf", cwd=project)
    assert "\t" in outside.read_text() and "\t" in inside.read_text()
    assert link.is_symlink()
    assert "not fixed: outside the project" in proc.stderr
    assert "not fixed: a symbolic link" in proc.stderr


def test_what_a_fix_writes_is_masked_in_output_but_not_in_the_file(tmp_path):
    # The group label is also a password elsewhere in the file: reports, the diff and
    # --show-fixes mask it; the file gets the real label.
    text = ("VirtualToken = {\n   VirtualToken00Label = s3cretLabel;\n"
            "   VirtualToken00Members = 1541234567001, 1541234567002;\n}\n"
            "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n}\n"
            "Misc = {\n   ClientPassword = s3cretLabel;\n}\n")
    path = conf(tmp_path, text)
    report = lint(path, "--format", "json")
    assert "s3cretLabel" not in report.stdout
    fixes = [f["fix"] for f in json.loads(report.stdout)["findings"] if f["rule"] == "HA105"]
    assert fixes and "****" in fixes[0]["edits"][0]["replacement"]
    sarif = lint(path, "--format", "sarif")
    assert "s3cretLabel" not in sarif.stdout and '"fixes"' in sarif.stdout
    diff = lint(path, "--diff", "--unsafe-fixes", "--show-fixes")
    assert "+   **** = 1;" in diff.stdout
    assert "lunalint: would fix Chrystoki.conf:2:4: HA105 add an `HASynchronize` section" \
        in diff.stderr
    assert "s3cretLabel" not in diff.stdout + diff.stderr
    lint(path, "--fix", "--unsafe-fixes")
    assert path.read_text().endswith("HASynchronize = {\n   s3cretLabel = 1;\n}\n")


def test_json_fix_contract(tmp_path):
    path = conf(tmp_path, "HAConfiguration = {\n   AutoReconnectInterval = 30;\n}\n")
    doc = json.loads(lint(path, "--format", "json").stdout)
    (f,) = doc["findings"]
    assert f["fix"] == {"applicability": "unsafe",
                        "description": "set `AutoReconnectInterval = 60`",
                        "edits": [{"path": "Chrystoki.conf", "start": {"line": 2, "column": 28},
                                   "end": {"line": 2, "column": 30}, "replacement": "60"}]}
    doc = json.loads(lint(path, "--format", "json", "--fix", "--unsafe-fixes").stdout)
    assert doc["findings"] == [] and doc["summary"]["fixed"] == 1


@pytest.mark.parametrize("rule_id", ["SYN002", "HA101", "HA102", "HA105"])
def test_json_edits_applied_by_a_consumer_give_what_fix_writes(tmp_path, rule_id):
    text = (GROUP.replace("   VirtualToken00SN", "\tVirtualToken00SN") + "HAConfiguration = {\n"
            "   HAOnly = 0;\n}\n").replace("\n", "\r\n")
    path = conf(tmp_path, "", data=text.encode())
    doc = json.loads(lint(path, "--format", "json", "--select", rule_id).stdout)
    (edits,) = [f["fix"]["edits"] for f in doc["findings"]]
    lines = text.split("\r\n")  # the consumer: line/column (1-based, end exclusive)
    for e in sorted(edits, key=lambda e: (e["start"]["line"], e["start"]["column"]),
                    reverse=True):
        (sl, sc), (el, ec) = (e["start"].values()), (e["end"].values())
        joined = "\r\n".join(lines)
        offsets = [sum(len(x) + 2 for x in lines[:n]) for n in range(len(lines))]
        a, b = offsets[sl - 1] + sc - 1, offsets[el - 1] + ec - 1
        lines = (joined[:a] + e["replacement"] + joined[b:]).split("\r\n")
    lint(path, "--fix", "--unsafe-fixes", "--select", rule_id)
    assert path.read_bytes().decode() == "\r\n".join(lines)


def test_verification_drops_a_fix_that_would_break_the_file(tmp_path):
    """A (plugin) rule whose fix would leave a line that does not parse: the fix is dropped and
    reported, the file keeps its content except for the other, good fix."""

    @rule("ACME001", "breaks-things", Level.WARNING, summary="Test rule", reference="none",
          fix="none", fix_class="unsafe", placeholders="keep")
    def acme(config, ctx):
        """A rule whose fix is wrong on purpose."""
        entry = config.get("Luna", "DefaultTimeOut")
        if entry is not None:
            yield Problem(entry.key_span, "rename it", anchor="Luna/DefaultTimeOut",
                          fix=Fix("unsafe", (Edit(entry.key_span, "Default TimeOut {"),),
                                  "break it"))

    path = conf(tmp_path, "Luna = {\n\tDefaultTimeOut = 500000;\n}\n")
    registry = load_registry(plugins=False)
    rules = [registry.rules["SYN002"], registry.rules["SYN001"], acme]
    options = pipeline.Options([str(path)], rules, Settings(), cwd=str(tmp_path),
                               known_rules={**registry.rules, "ACME001": acme})
    result = fix.run(options, unsafe=True)
    assert [a.rule for a in result.applied] == ["SYN002"]
    assert [(d.rule, d.reason.split(":")[0]) for d in result.dropped] == \
        [("ACME001", "the fixed text did not verify")]
    assert path.read_text() == "Luna = {\n   DefaultTimeOut = 500000;\n}\n"


def test_fix_classes_in_listings_and_explain():
    table = run_cli("--list-rules").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "LEVEL", "FIX"]
    rows = {line.split()[0]: line.split()[2] for line in table[1:]}
    assert rows["SYN002"] == "safe" and rows["HA101"] == "unsafe" and rows["HA104"] == "none"
    listed = json.loads(run_cli("--list-rules", "--format", "json").stdout)
    assert {r["id"]: r["fix_class"] for r in listed}["HA105"] == "unsafe"
    assert "**Fix:** safe (no change in meaning" in run_cli("--explain", "SYN002").stdout
    assert "**Fix:** none" in run_cli("--explain", "HA104").stdout


@pytest.mark.parametrize("args", [["--unsafe-fixes"], ["--show-fixes"],
                                  ["--fix", "--write-baseline", "b.json"]])
def test_fix_options_out_of_place_are_usage_errors(tmp_path, args):
    proc = run_cli(*args, ".", cwd=tmp_path)
    assert proc.returncode == 2 and "lunalint: error:" in proc.stderr


def test_standard_input_cannot_be_fixed(tmp_path):
    import sys

    path = conf(tmp_path, "Luna = {\n\tDefaultTimeOut = 500000;\n}\n")
    proc = subprocess.run([sys.executable, "-m", "lunalint", "--fix", "-", "--stdin-filename",
                           "Chrystoki.conf"], cwd=tmp_path, input=path.read_text(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "standard input (`-`) cannot be fixed" in proc.stderr
    assert "\t" in path.read_text()


def test_fixes_survive_the_result_cache(tmp_path):
    """A second run in a project reads per-file results from the cache: the fixes (HA101's
    joined after linking too) come back the same, and no proposal leaks out as a finding."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    path = conf(tmp_path, GROUP + "HAConfiguration = {\n\tHAOnly = 0;\n}\n")
    first = json.loads(lint(path, "--format", "json").stdout)["findings"]
    second = json.loads(lint(path, "--format", "json").stdout)["findings"]
    assert first == second
    assert {f["rule"] for f in second if f["fix"]} == {"SYN002", "HA101", "HA102", "HA105"}
    assert all(f["message"] for f in second)
