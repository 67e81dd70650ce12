"""``--diff`` through the real CLI (issue 19 item 3, issue 22 point 7): the diff applies with
``git apply`` and ``patch`` and gives exactly what ``--fix`` writes, each line with its own
ending (CRLF kept, a last line without one marked); and it is printed like every other
output: no secret value (a fix next to a password line), no raw control character, no line a
CI runner reads as a workflow command, file names neutralised; ``--exit-zero`` exits 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

TOOLS = {tool: shutil.which(tool) for tool in ("git", "patch")}

# Safe fixes (SYN002, TABs) and unsafe ones (HA103: 30 -> 60), in three files that end their
# lines differently.
CRLF = ("HAConfiguration = {\r\n\tAutoReconnectInterval = 30;\r\n   reconnAtt = -1;\r\n}\r\n"
        "Misc = {\r\n\tPE1746Enabled = 0;\r\n}\r\n")
LF = "Misc = {\n\tPE1746Enabled = 0;\n}\nHAConfiguration = {\n\tAutoReconnectInterval = 30;\n}\n"
NO_END = "HAConfiguration = {\n   reconnAtt = -1;\n\tAutoReconnectInterval = 30;\n}"
FILES = {"Chrystoki.conf": CRLF, "lf/Chrystoki.conf": LF, "noeol/Chrystoki.conf": NO_END}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return root


def _cli_bytes(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI's stdout as bytes (text mode would turn CRLF into LF before we look)."""
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd,
                          capture_output=True, timeout=120)


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and not p.name.endswith((".orig", ".rej"))}


@pytest.mark.skipif(not all(TOOLS.values()), reason=f"needs git and patch: {TOOLS}")
@pytest.mark.parametrize("unsafe", [False, True])
def test_diff_applies_with_git_and_patch_and_gives_what_fix_writes(tmp_path, unsafe):
    extra = ["--unsafe-fixes"] if unsafe else []
    source = _tree(tmp_path / "src", FILES)
    before = _contents(source)
    proc = _cli_bytes(source, "--diff", *extra, ".")
    assert proc.returncode == 1, proc.stderr
    diff = proc.stdout
    assert _contents(source) == before  # --diff changes nothing
    assert b"-\tAutoReconnectInterval = 30;\r\n" in diff  # CRLF kept, TABs kept
    assert b"+\tPE1746Enabled" not in diff and b"+   PE1746Enabled = 0;\r\n" in diff
    assert b"\\ No newline at end of file\n" in diff
    assert (b"AutoReconnectInterval = 60;" in diff) == unsafe

    fixed = tmp_path / "fixed"
    shutil.copytree(source, fixed)
    assert _cli_bytes(fixed, "--fix", *extra, ".").returncode in (0, 1)
    want = _contents(fixed)
    assert want != before

    with_git = tmp_path / "git"
    shutil.copytree(source, with_git)
    (tmp_path / "p.diff").write_bytes(diff)
    git = subprocess.run(["git", "apply", "--verbose", str(tmp_path / "p.diff")],
                         cwd=with_git, capture_output=True, text=True)
    assert git.returncode == 0, git.stderr
    assert _contents(with_git) == want

    with_patch = tmp_path / "patch"
    shutil.copytree(source, with_patch)
    applied = subprocess.run(["patch", "-p1", "--batch", "--fuzz=0", "-i",
                              str(tmp_path / "p.diff")], cwd=with_patch,
                             capture_output=True, text=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _contents(with_patch) == want


def test_exit_zero_with_diff(tmp_path):
    root = _tree(tmp_path, {"Chrystoki.conf": LF})
    assert run_cli("--diff", ".", cwd=root).returncode == 1
    proc = run_cli("--diff", "--exit-zero", ".", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "+   PE1746Enabled = 0;" in proc.stdout


@pytest.mark.skipif(not TOOLS["git"], reason="needs git")
def test_diff_context_never_shows_a_secret(tmp_path):
    # A short password (too short to be masked wherever it appears) two lines from the fix:
    # the context narrows so that its line is not shown, and the hunk still applies.
    near = ("Misc = {\n   ClientPassword = q1;\n   ToolsDir = /opt;\n}\n"
            "HAConfiguration = {\n\tAutoReconnectInterval = 60;\n}\n")
    # Right next to the fix: the line is shown, its value masked.
    next_to = "HAConfiguration = {\n   ClientPassword = Zx9;\n\treconnAtt = -1;\n}\n"
    root = _tree(tmp_path, {"a/Chrystoki.conf": near, "b/Chrystoki.conf": next_to})
    proc = run_cli("--diff", ".", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert "q1" not in proc.stdout and "Zx9" not in proc.stdout
    assert "   ClientPassword = ****;\n" in proc.stdout
    assert "+   AutoReconnectInterval = 60;" in proc.stdout
    a_part = proc.stdout.split("--- a/b/")[0]
    (tmp_path / "a.diff").write_text(a_part)
    check = subprocess.run(["git", "apply", "--check", str(tmp_path / "a.diff")], cwd=root,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_diff_escapes_control_characters_names_and_workflow_commands(tmp_path):
    text = ("HAConfiguration = {\n\tAutoReconnectInterval = 60;\n"
            "   reconnAtt = -1; # \x1b]0;owned\x07 \x1b[2J \u202e gnp.exe\n}\n"
            "  ::error file=x::injected\n")
    name = "sub\n::warning::named\x1b[31m"
    if os.name == "nt":
        pytest.skip("file names with control characters")
    root = _tree(tmp_path, {f"{name}/Chrystoki.conf": text})
    proc = _cli_bytes(root, "--diff", ".")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode()
    assert "-\tAutoReconnectInterval = 60;\n+   AutoReconnectInterval = 60;\n" in out
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in out
    assert "\\x1b]0;owned\\x07 \\x1b[2J \\u202e" in out
    for line in out.splitlines():  # GitHub's runner trims blanks, then reads `::name ...`
        assert not line.lstrip().startswith("::"), line
    assert "--- a/sub\\n::warning::named\\x1b[31m/Chrystoki.conf\n" in out
