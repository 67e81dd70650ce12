"""Safe output (issue 10, item 5), through the real CLI.

A path, a key name, a message or a notice may hold newlines, terminal escapes, C1 controls
and bidi overrides: none of them reaches the terminal or the CI log raw, in text or github
output or on stderr (a directory name must not inject `::error`/`::add-mask` workflow
commands). A stdout that cannot encode, is closed or is full ends in one line on stderr, never
a traceback. ``--output`` never overwrites an input file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lunalint.findings import Finding, Level, Location
from lunalint.model.base import Span
from lunalint.reporters import Report, neutralise, renderer

from .conftest import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Every character that must never reach a terminal or CI log raw (besides the line ends).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
EVIL_DIR = "x\n::error file=a,line=1::pwned\n::add-mask::\x1b[2J\x1b]0;title\x07\x9b31m\u202e\r"
EVIL_KEY = "Evil\x1b]0;pwn\x07Key\x85"


def commands(out: str) -> list[str]:
    """The workflow commands a GitHub runner would see: lines starting with `::`."""
    return [line for line in out.splitlines() if line.lstrip().startswith("::")]


@pytest.fixture
def evil_tree(tmp_path):
    """A repository whose HA example sits under a directory named to inject workflow
    commands and terminal escapes; one config has a key name with escapes in it."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    evil = tmp_path / EVIL_DIR
    shutil.copytree(EXAMPLES / "payments", evil)
    (evil / "notes.txt").write_text("not a Luna file\n")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "Chrystoki.conf").write_text(
        f"HAConfiguration = {{\n   HAOnly = 1;\n   {EVIL_KEY} = 3;\n   \u202eBad = 1;\n}}\n",
        encoding="utf-8")
    return tmp_path


def test_text_output_carries_no_control_character(evil_tree):
    proc = run_cli("--color", "never", "--fail-on", "never", ".", "k", cwd=evil_tree)
    assert proc.returncode == 0, proc.stderr
    assert "x\\n::error file=a,line=1::pwned\\n::add-mask::\\x1b[2J" in proc.stdout
    assert "Bad`" in proc.stdout  # the key with a bidi override is reported, the override inert
    assert "Evil\\x1b]0;pwn\\x07Key\\x85" in proc.stdout  # SYN001 quotes the line
    assert not RAW.search(proc.stdout), repr(RAW.search(proc.stdout))
    assert not commands(proc.stdout)
    # the related locations of POL302 name the evil directory too
    assert any(line.startswith("    x\\n::error") for line in proc.stdout.splitlines())


def test_github_output_cannot_inject_workflow_commands(evil_tree):
    proc = run_cli("--format", "github", "--fail-on", "never", ".", "k", cwd=evil_tree)
    assert proc.returncode == 0, proc.stderr
    assert not RAW.search(proc.stdout), repr(RAW.search(proc.stdout))
    lines = proc.stdout.splitlines()
    assert lines and lines == commands(proc.stdout)
    # each line is one of our annotations; nothing after a newline became a command
    assert all(re.match(r"::(error|warning|notice) file=[^:]*,line=\d+,", line) for line in lines)
    assert not any(line.startswith(("::add-mask", "::error file=a")) for line in lines)
    assert "x\\n%3A%3Aerror file=a%2Cline=1%3A%3Apwned" in proc.stdout


def test_stderr_notices_are_neutralised(evil_tree):
    named = os.path.join(EVIL_DIR, "notes.txt")
    proc = run_cli("--fail-on", "never", named, "k/Chrystoki.conf", cwd=evil_tree)
    assert proc.returncode == 0, proc.stderr
    assert not RAW.search(proc.stderr), repr(proc.stderr)
    assert not commands(proc.stderr)
    notice = [line for line in proc.stderr.splitlines() if "notes.txt" in line]
    assert len(notice) == 1 and notice[0].startswith("lunalint: warning: x\\n::error")
    # a path that does not exist, and the usage error it causes, likewise
    proc = run_cli(os.path.join(EVIL_DIR, "gone.conf"), cwd=evil_tree)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and not RAW.search(proc.stderr.rstrip("\n"))


def test_rule_ids_and_every_field_are_neutralised_in_line_formats():
    """A plugin's rule id or a related location from a hostile file: the renderer, which
    every format goes through, neutralises them."""
    span = Span(1, 1, 1, 2)
    finding = Finding("X1\n::error::y", Level.ERROR, "m\x1b[31m", "p\u202e/Chrystoki.conf", span,
                      related=(Location("r\n::add-mask::s", span, "rel\x9bmsg"),),
                      excerpt="a\x1bb")
    report = Report([finding], 1)
    for name in ("text", "github"):
        out = renderer(name)(report)
        assert not RAW.search(out), (name, out)
        assert not [line for line in out.splitlines()[1:] if line.startswith("::")], out
    assert neutralise("a\nb\x1b\u2028", columns=True) == "a?b??"


def test_encoding_errors_are_replaced_not_raised(tmp_path):
    folder = tmp_path / "café…"
    shutil.copytree(EXAMPLES / "payments", folder)
    (folder / "Chrystoki.conf").write_text(
        (folder / "Chrystoki.conf").read_text(encoding="utf-8")
        .replace("HAOnly = 1", "HAOnly = 0 # é"), encoding="utf-8")
    for fmt in ("text", "github", "json"):
        proc = run_cli("--format", fmt, "café…", "naïve.conf", cwd=tmp_path,
                       env={"PYTHONIOENCODING": "ascii"})
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 2  # the missing path, after the report
        assert "caf??" in proc.stdout or "caf\\u00e9" in proc.stdout
        assert "lunalint: error: no such file or directory: na?ve.conf" in proc.stderr


def _closed_pipe_run(*args, cwd):
    read, write = os.pipe()
    os.close(read)  # nobody will read: every write to stdout fails with EPIPE
    try:
        return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd,
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)


def one_error_line(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("args", [("examples/payments",), ("--list-rules",)])
def test_closed_stdout_ends_with_one_line_and_exit_two(args):
    root = EXAMPLES.parent
    line = one_error_line(_closed_pipe_run(*args, cwd=root))
    assert line == "lunalint: error: cannot write the report to standard output: Broken pipe"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_stdout_ends_with_one_line_and_exit_two():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "lunalint", "--format", "sarif",
                               "examples/payments"], cwd=EXAMPLES.parent, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    line = one_error_line(proc)
    assert line.startswith("lunalint: error: cannot write the report to standard output: No "
                           "space left on device")


def test_stdout_closed_at_start_ends_with_one_line():
    proc = subprocess.run(f"{sys.executable} -m lunalint examples/payments >&-", shell=True,
                          cwd=EXAMPLES.parent, stderr=subprocess.PIPE, text=True, timeout=120)
    assert one_error_line(proc) == "lunalint: error: cannot write the report: standard output " \
                                   "is closed"


@pytest.fixture
def project(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copytree(EXAMPLES / "legacy", tmp_path / "legacy")
    os.symlink("legacy/Chrystoki.conf", tmp_path / "link.json")
    return tmp_path


@pytest.mark.parametrize("output", [
    "legacy/Chrystoki.conf",  # named
    "link.json",  # a link that resolves to a named file
    "legacy/./../legacy/Chrystoki.conf",  # another spelling of it
    "legacy/legacy-members.lunacm.txt",  # found in the named directory / linked as context
])
@pytest.mark.parametrize("named", ["legacy/Chrystoki.conf", "legacy"])
def test_output_refuses_an_input_file(project, output, named):
    before = {p: p.read_bytes() for p in (project / "legacy").iterdir()}
    proc = run_cli("--format", "json", "--output", output, named, cwd=project)
    line = one_error_line(proc)
    # (a link is refused as a link before lunalint learns what it points at)
    assert line.startswith(f"lunalint: error: {output} is an input file") or (
        output == "link.json" and "it is a symbolic link" in line)
    assert {p: p.read_bytes() for p in (project / "legacy").iterdir()} == before
    assert proc.stdout == ""


def test_output_next_to_the_inputs_is_written(project):
    proc = run_cli("--format", "json", "--output", "legacy/report.json", "legacy", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert json.loads((project / "legacy" / "report.json").read_text())["findings"]


def test_report_files_refuse_input_files_too(project):
    before = (project / "legacy" / "legacy-members.lunacm.txt").read_bytes()
    proc = run_cli("--report", "sarif:legacy/legacy-members.lunacm.txt", "legacy/Chrystoki.conf",
                   cwd=project)
    line = one_error_line(proc)
    assert line.startswith("lunalint: error: legacy/legacy-members.lunacm.txt is an input file")
    assert (project / "legacy" / "legacy-members.lunacm.txt").read_bytes() == before


def test_a_hard_link_to_an_input_is_refused_and_the_input_named(project):
    # (the run keeps only each input's device and inode: the input the report would
    # overwrite is looked up again to be named)
    os.link(project / "legacy" / "legacy-members.lunacm.txt", project / "out.sarif")
    before = (project / "out.sarif").read_bytes()
    # (the capture is not named: it is read as context, and refused after the run)
    proc = run_cli("--report", "sarif:out.sarif", "legacy/Chrystoki.conf", cwd=project)
    line = one_error_line(proc)
    assert line.startswith("lunalint: error: out.sarif is an input file ("), line
    assert "legacy/legacy-members.lunacm.txt); the report was not written" in line
    assert (project / "out.sarif").read_bytes() == before
