"""Issue 11, items 2–5, through the real CLI: standard input with ``--stdin-filename``, related
locations in JSON and github output, honest summaries, intentional findings that never fail a
run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GROUP_HERE = {"path": "legacy/Chrystoki.conf", "line": 13, "column": 4, "end_line": 13,
              "end_column": 35, "message": "the HA group is defined here"}


def run_stdin(text: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd, input=text,
                          capture_output=True, text=True, timeout=120)


def git_project(tmp_path, *examples: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    for name in examples:
        shutil.copytree(EXAMPLES / name, project / name)
    return project


def summary_counts(text: str) -> tuple[int, int]:
    m = re.search(r"in (\d+) of (\d+) files?\.", text)
    assert m, text
    return int(m.group(1)), int(m.group(2))


# ------------------------------------------------------------------------------ standard input


@pytest.fixture
def legacy(tmp_path):
    project = git_project(tmp_path, "legacy")
    conf = project / "legacy" / "Chrystoki.conf"
    text = conf.read_text(encoding="utf-8")
    conf.write_text("# an older copy on disk: no TAB, nothing quoted\n", encoding="utf-8")
    return project, text


def test_stdin_is_linted_as_the_named_file_and_joined_with_its_project(legacy):
    project, text = legacy
    proc = run_stdin(text, "--format", "json", "-", "--stdin-filename", "legacy/Chrystoki.conf",
                     cwd=project)
    assert proc.returncode == 1, proc.stderr
    found = {(f["rule"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]}
    # what was piped in, not the file on disk, under the name given
    assert ("SYN002", "legacy/Chrystoki.conf", 23) in found
    assert ("HA105", "legacy/Chrystoki.conf", 13) in found
    # linked with the captures of the project: cross-file findings point back at stdin's lines
    assert ("VER203", "legacy/legacy-members.lunacm.txt", 9) in found
    assert ("POL301", "legacy/legacy-members.lunacm.txt", 44) in found
    linked = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "VER203"]
    assert linked[0]["related"][0] == GROUP_HERE


def test_stdin_takes_the_project_of_the_named_path_not_of_the_cwd(legacy, tmp_path):
    project, text = legacy
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    name = str(project / "legacy" / "Chrystoki.conf")
    proc = run_stdin(text, "--format", "json", "-", "--stdin-filename", name, cwd=elsewhere)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    # shown relative to that project's root, whatever the working directory (issue 22)
    assert {f["path"] for f in findings} == {"legacy/Chrystoki.conf",
                                             "legacy/legacy-members.lunacm.txt"}
    assert any(f["rule"] == "VER203" for f in findings)


def test_stdin_kind_comes_from_the_name_which_need_not_exist(tmp_path):
    body = "; written by the installer\n"  # nothing in it says Luna
    proc = run_stdin(body, "--format", "json", "-", "--stdin-filename", "new/crystoki.ini",
                     cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["files"] == 1
    proc = run_stdin(body, "-", "--stdin-filename", "new/settings.ini", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == ("lunalint: error: new/settings.ini: not recognised as a Luna client "
                           "configuration or capture, so nothing was linted (name it like "
                           "Chrystoki.conf, crystoki.ini, *.lunacm.txt or *.lunash.txt, or map "
                           "it under `kinds` in .lunalint.yaml)\n")
    bad = "HAConfiguration = {\n   HAOnly = 0;\n"
    proc = run_stdin(bad, "-", "--stdin-filename", "Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout.startswith("Chrystoki.conf:"), proc.stdout
    assert not (tmp_path / "Chrystoki.conf").exists()


def test_stdin_replaces_the_file_found_in_a_walked_folder(tmp_path):
    project = git_project(tmp_path, "windows")
    disk = (project / "windows" / "crystoki.ini").read_text(encoding="utf-8")
    fixed = disk.replace("HAOnly=0", "HAOnly=1")
    for folder in (".", "windows", "windows/"):
        proc = run_stdin(fixed, "--format", "json", "-", folder, "--stdin-filename",
                         "windows/crystoki.ini", cwd=project)
        assert proc.returncode == 0, (folder, proc.stdout, proc.stderr)
        assert json.loads(proc.stdout)["summary"]["files"] == 1  # not the disk copy as well
        assert proc.stderr == ""  # and the folder is not "empty"


def test_stdin_filename_without_dash_is_a_usage_error(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text("Misc = {\n}\n")
    proc = run_cli("Chrystoki.conf", "--stdin-filename", "x/Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--stdin-filename names what `-` (standard input) stands for" in proc.stderr


# -------------------------------------------------------------------------- related locations


def test_json_findings_carry_related_locations(tmp_path):
    project = git_project(tmp_path, "legacy")
    proc = run_cli("--format", "json", "legacy", cwd=project)
    findings = json.loads(proc.stdout)["findings"]
    assert all(isinstance(f["related"], list) for f in findings)
    syn = next(f for f in findings if f["rule"] == "SYN002")
    assert syn["related"] == []
    ver = next(f for f in findings if f["rule"] == "VER201")
    assert ver["related"] == [GROUP_HERE, {
        "path": "legacy/legacy-members.lunacm.txt", "line": 1, "column": 9, "end_line": 1,
        "end_column": 19, "message": "client version"}]


def test_github_messages_mention_related_locations(tmp_path):
    project = git_project(tmp_path, "legacy")
    proc = run_cli("--format", "github", "legacy", cwd=project)
    line = next(x for x in proc.stdout.splitlines() if "title=VER203" in x)
    assert line.endswith("%0Arelated: legacy/Chrystoki.conf:13:4: the HA group is defined here")
    assert "related:" not in next(x for x in proc.stdout.splitlines() if "title=SYN002" in x)


# -------------------------------------------------------------------------- honest summaries


def test_files_with_findings_through_related_locations_are_counted(tmp_path):
    project = git_project(tmp_path, "legacy")
    proc = run_cli("legacy/Chrystoki.conf", cwd=project)
    # five findings in the named config, three in the capture linked to it
    assert "legacy/legacy-members.lunacm.txt:9:9:" in proc.stdout
    assert proc.stdout.rstrip().endswith("in 2 of 2 files.")
    proc = run_cli("--format", "json", "legacy/Chrystoki.conf", cwd=project)
    doc = json.loads(proc.stdout)
    assert doc["summary"]["files"] == len({f["path"] for f in doc["findings"]}) == 2


def test_the_configuration_file_is_counted_when_it_carries_a_finding(tmp_path):
    project = git_project(tmp_path, "legacy")
    (project / ".lunalint.yaml").write_text(
        "waivers:\n  - rule: HA105\n    path: legacy/Chrystoki.conf\n"
        "    anchor: nothing\n    reason: gone\n    expires: 2020-01-01\n")
    proc = run_cli("--select", "SYN,LUNALINT", "legacy/Chrystoki.conf", cwd=project)
    assert ".lunalint.yaml:" in proc.stdout, proc.stdout + proc.stderr
    problems, files = summary_counts(proc.stdout)
    assert (problems, files) == (2, 2)


def test_summary_never_says_more_files_with_problems_than_files(tmp_path):
    project = git_project(tmp_path, "legacy", "payments")
    for args in (["legacy/Chrystoki.conf"], ["legacy/legacy-members.lunacm.txt"],
                 ["payments/Chrystoki.conf", "legacy/Chrystoki.conf"], ["."]):
        proc = run_cli(*args, cwd=project)
        if "No problems" not in proc.stdout:
            problems, files = summary_counts(proc.stdout)
            assert problems <= files, (args, proc.stdout)


def test_a_named_non_luna_file_alone_exits_two(tmp_path):
    # (A named script, runbook or YAML file is a host of embedded parts: without Luna content
    # it is simply not ours, as pre-commit names every template; that is not this case.)
    (tmp_path / "notes.txt").write_text("shopping list\n")
    proc = run_cli("notes.txt", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "lunalint: error: notes.txt: not recognised as a Luna client configuration or capture, "
        "so nothing was linted (name it like Chrystoki.conf, crystoki.ini, *.lunacm.txt or "
        "*.lunash.txt, or map it under `kinds` in .lunalint.yaml)"]
    # beside a Luna file it is only a warning, and the Luna file is linted
    shutil.copy(EXAMPLES / "windows" / "crystoki.ini", tmp_path / "crystoki.ini")
    proc = run_cli("notes.txt", "crystoki.ini", cwd=tmp_path)
    assert proc.returncode == 1
    assert "lunalint: warning: notes.txt: not recognised" in proc.stderr
    assert summary_counts(proc.stdout)[1] == 1


# ---------------------------------------------------------------------- intentional findings


@pytest.mark.parametrize("fail_on", ["note", "warning", "error"])
def test_intentional_findings_never_fail_a_run(tmp_path, fail_on):
    project = git_project(tmp_path, "payments")
    proc = run_cli("--fail-on", fail_on, "payments", cwd=project)
    assert "POL302" in proc.stdout and "[intentional]" in proc.stdout
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.rstrip().endswith("No problems found in 3 files. 1 intentional.")


def test_intentional_findings_are_counted_apart(tmp_path):
    project = git_project(tmp_path, "payments")
    conf = project / "payments" / "Chrystoki.conf"
    conf.write_text(conf.read_text().replace("HAOnly = 1", "HAOnly = 0"))
    proc = run_cli("--fail-on", "note", "payments", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.rstrip().endswith(
        "Found 1 problem (1 warning) in 1 of 3 files. 1 intentional.")
    proc = run_cli("--format", "json", "payments", cwd=project)
    summary = json.loads(proc.stdout)["summary"]
    assert summary == {"files": 3, "error": 0, "warning": 1, "note": 1, "intentional": 1,
                       "suppressed": 0}
