"""README completeness (issue 11, item 9): every option `lunalint --help` prints is in the
README's options table; installation with pip and pipx; the supported Python versions are
those of pyproject.toml; a capture recorded as the README says is read like a plain one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lunalint.reporters import FORMATS

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n## ", start + len(title) + 2)
    return README[start:] if end == -1 else README[start:end]


def help_options() -> set[str]:
    """Every option string of ``--help`` (both spellings of aliases), read from its output."""
    out = run_cli("--help", env={"COLUMNS": "1000"}).stdout
    body = out[out.index("\noptions:\n"):]
    found = set()
    for line in body.splitlines():
        if re.match(r"^  -", line):
            invocation = re.split(r"\s{2,}", line.strip())[0]
            invocation = re.sub(r"\{[^}]*\}", "", invocation)  # choices
            found |= set(OPTION.findall(invocation))
    return found


def readme_table_options() -> set[str]:
    usage = section("## Usage")
    table = usage[usage.index("| option | meaning |"):]
    found = set()
    for row in table.splitlines():
        if not row.startswith("|"):
            break
        first = re.split(r"(?<!\\)\|", row)[1]  # cells end at a `|` that is not `\|`
        for code in re.findall(r"`([^`]*)`", first):
            found |= set(OPTION.findall(code))
    return found


def test_every_help_option_is_in_the_readme_table():
    shown = help_options()
    # the parse has teeth: it sees aliases and short forms
    assert {"--format", "--output-format", "-o", "-q", "-j", "-h", "--help"} <= shown
    missing = shown - readme_table_options()
    assert not missing, f"options in --help but not in README.md's options table: {missing}"


def test_the_readme_table_names_no_option_that_does_not_exist():
    extra = readme_table_options() - help_options()
    assert not extra, f"README.md's options table names unknown options: {extra}"


def test_every_format_is_in_the_readme():
    usage = section("## Usage")
    for fmt in FORMATS:
        assert f"`{fmt}`" in usage, fmt


def test_supported_python_versions_match_pyproject():
    minimum = re.search(r'requires-python\s*=\s*">=(\d+\.\d+)"', PYPROJECT).group(1)
    install = section("## Installation")
    stated = re.search(r"Python (\d+\.\d+) or newer", install)
    assert stated and stated.group(1) == minimum
    assert f'`requires-python = ">={minimum}"`' in install


def test_installation_with_pip_and_pipx():
    """No release exists yet (issue 22): the commands install from a checkout, and the text
    says which commands will work once the first release is on PyPI."""
    install = section("## Installation")
    name = re.search(r'^name = "([^"]+)"', PYPROJECT, re.M).group(1)
    block = re.search(r"```sh\n(.*?)```", install, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert "python -m pip install ." in commands and "pipx install ." in commands
    assert f"python -m pip install {name}" not in commands
    text = " ".join(install.split())
    assert f"`python -m pip install {name}` and `pipx install {name}` work" in text


def test_capture_section_names_the_commands_and_file_names():
    text = " ".join(section("## How to produce a capture").split())
    for needed in ("`slot list`", "`slot set -slot N`", "`partition showpolicies`",
                   "`hsm showpolicies`", "`hagroup listgroups`", "`hsm show`",
                   "`*.lunacm.txt`", "`*.lunash.txt`", "`script -q members.lunacm.txt`"):
        assert needed in text, needed


def _findings(root: Path, *paths: str) -> list[tuple]:
    proc = run_cli("--format", "json", "--fail-on", "never", "--select", "ALL", *paths, cwd=root)
    doc = json.loads(proc.stdout)
    return [(f["rule"], f["path"], f["line"], f["message"]) for f in doc["findings"]]


@pytest.mark.parametrize("header", [0, 2])
def test_a_capture_recorded_as_the_readme_says_is_read_like_a_plain_one(tmp_path, header):
    """`script` adds a header line, CRLF line ends and a footer around the LunaCM session;
    the capture must give the same findings, the lines shifted by the lines added above."""
    plain, recorded = tmp_path / "plain", tmp_path / "recorded"
    for root in (plain, recorded):
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        shutil.copy(ROOT / "examples" / "payments" / "Chrystoki.conf", root / "Chrystoki.conf")
    session = (ROOT / "examples" / "payments" / "members.lunacm.txt").read_text(encoding="utf-8")
    (plain / "members.lunacm.txt").write_text(session, encoding="utf-8")
    top = ['Script started on 2026-11-29 22:00:00+00:00 [TERM="xterm" TTY="/dev/pts/0"]',
           "$ lunacm"][:header]
    with open(recorded / "members.lunacm.txt", "w", encoding="utf-8", newline="") as handle:
        handle.write("".join(line + "\r\n" for line in top + session.splitlines()))
        handle.write("lunacm:>exit\r\n$ exit\r\n\r\nScript done on 2026-11-29 22:05:00+00:00 "
                     '[COMMAND_EXIT_CODE="0"]\r\n')
    want = _findings(plain, ".")
    assert any(path == "members.lunacm.txt" for _, path, _, _ in want)
    got = _findings(recorded, ".")
    assert got == [(rule, path, line + (header if path == "members.lunacm.txt" else 0), message)
                   for rule, path, line, message in want]


def test_pre_commit_sarif_snippet_says_to_git_ignore_the_report():
    integrations = section("## Integrations")
    start = integrations.index("<!-- snippet: pre-commit-sarif -->")
    after = integrations[start:integrations.index("###", start)]
    assert "`.gitignore`" in after and "`lunalint.sarif`" in after
    assert "stderr" in after  # and why a failing hook still says why
