"""The write boundary (issue 19, ``lunalint.writeout``): fixes, reports and baselines never
write through a link or over an input, a fix keeps owner, group and mode and is never
redirected by a folder swapped for a link between read and write, paths like
``outlink/../Chrystoki.conf`` are resolved as the system does, and names that are not UTF-8
never cause a traceback. Through the real command line, except where said."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLES, run_cli

ROOT = Path(__file__).resolve().parent.parent
BAD = "HAConfiguration = {\n\tHAOnly = 1;\t# one\n}\n"  # SYN002, safe fix
GOOD = "HAConfiguration = {\n   HAOnly = 1;   # one\n}\n"


def git_project(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(where)], check=True)
    return where


def error_lines(proc) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if "error" in line]


# --------------------------------------------------------------------------- one boundary

WRITES = re.compile(r"""open\([^)]*["'][wax+]b?["']|O_WRONLY|O_RDWR|O_CREAT|os\.replace\(|"""
                    r"""os\.rename\(|mkstemp|NamedTemporaryFile|write_text\(|write_bytes\(|"""
                    r"""os\.mkdir\(|os\.makedirs\(|\.mkdir\(|os\.unlink\(|os\.remove\(|"""
                    r"""rmtree\(|os\.link\(|os\.symlink\(|os\.chmod\(|os\.chown\(|os\.utime\(""")


def test_only_writeout_writes():
    offenders = []
    for folder in ("linter", "rules", "grammar"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "writeout.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if WRITES.search(code) and "os.devnull" not in code:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# --------------------------------------------------------------------------- fixes

def test_fix_through_a_folder_link_is_not_written(tmp_path):
    root = git_project(tmp_path / "p")
    (root / "real").mkdir()
    (root / "real" / "Chrystoki.conf").write_text(BAD)
    (root / "linkdir").symlink_to("real", target_is_directory=True)
    proc = run_cli("--fix", "linkdir/Chrystoki.conf", cwd=root)
    assert any("symbolic link" in line and "not fixed" in line for line in error_lines(proc))
    assert proc.returncode == 2
    assert (root / "real" / "Chrystoki.conf").read_text() == BAD
    proc = run_cli("--fix", "real/Chrystoki.conf", cwd=root)
    assert (root / "real" / "Chrystoki.conf").read_text() == GOOD, proc.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another owner needs root")
def test_fix_keeps_owner_group_and_mode(tmp_path):
    root = git_project(tmp_path / "p")
    conf = root / "Chrystoki.conf"
    conf.write_text(BAD)
    os.chown(conf, 4321, 4321)
    os.chmod(conf, 0o640)
    proc = run_cli("--fix", "Chrystoki.conf", cwd=root)
    assert proc.returncode == 0, proc.stderr
    info = conf.stat()
    assert conf.read_text() == GOOD
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 4321, 0o640)


def test_read_only_file_is_not_replaced_and_others_are_fixed(tmp_path):
    root = git_project(tmp_path / "p")
    for site in ("a", "b"):
        (root / site).mkdir()
        (root / site / "Chrystoki.conf").write_text(BAD)
    os.chmod(root / "a" / "Chrystoki.conf", 0o444)
    proc = run_cli("--fix", ".", cwd=root)
    errors = error_lines(proc)
    assert len(errors) == 1 and "a/Chrystoki.conf" in errors[0] and "read-only" in errors[0]
    assert proc.returncode == 2
    assert (root / "a" / "Chrystoki.conf").read_text() == BAD
    assert (root / "b" / "Chrystoki.conf").read_text() == GOOD


RACER = '''
import os
from lunalint.findings import Level
from lunalint.model import ClientConfig
from lunalint.rules.base import rule


@rule("RACE001", "race", Level.NOTE, summary="Swaps a folder for a link while fixes verify",
      reference="test only", fix="none", bad="x = {\\n}", good="x = {\\n}")
def race001(config: ClientConfig, ctx):
    """Between the fix stage's read and its write (the fixed text is being verified), replace
    the folder holding the file with a link to a copy elsewhere."""
    site = os.environ.get("RACE_SITE")
    if site and "   HAOnly = 1;   # one" in config.lines and os.path.isdir(site) \\
            and not os.path.islink(site):
        os.rename(site, site + ".moved")
        os.symlink(os.environ["RACE_TARGET"], site)
    return iter(())
'''


def test_folder_swapped_for_a_link_between_read_and_write(tmp_path):
    """A real rule plugin (an entry point on the path) swaps the folder during verification."""
    plugins = tmp_path / "plugins"
    (plugins / "racer-0.1.dist-info").mkdir(parents=True)
    (plugins / "racer-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: racer\nVersion: 0.1\n")
    (plugins / "racer-0.1.dist-info" / "entry_points.txt").write_text(
        "[lunalint.rules]\nracer = racer_rules\n")
    (plugins / "racer_rules.py").write_text(RACER)
    root = git_project(tmp_path / "p")
    site = root / "site"
    site.mkdir()
    (site / "Chrystoki.conf").write_text(BAD)
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    (attacker / "Chrystoki.conf").write_text(BAD)
    env = {"PYTHONPATH": str(plugins), "RACE_SITE": str(site), "RACE_TARGET": str(attacker)}
    proc = run_cli("--fix", "site/Chrystoki.conf", cwd=root, env=env)
    assert site.is_symlink(), proc.stderr  # the swap happened
    assert (attacker / "Chrystoki.conf").read_text() == BAD, "the write followed the link"
    assert sorted(p.name for p in attacker.iterdir()) == ["Chrystoki.conf"]
    assert (root / "site.moved" / "Chrystoki.conf").read_text() == BAD
    errors = error_lines(proc)
    assert len(errors) == 1 and "symbolic link" in errors[0] and "not fixed" in errors[0]
    assert proc.returncode == 2


def test_boundary_writes_into_the_folder_it_checked(tmp_path):
    """The folder descriptor is the folder checked: swapping it for a link afterwards does
    not move the write; a swap before the walk is refused."""
    from lunalint import writeout

    root = tmp_path / "p"
    (root / "site").mkdir(parents=True)
    conf = root / "site" / "Chrystoki.conf"
    conf.write_bytes(b"old\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with writeout.folder_of(str(conf), [str(root)]) as folder:
        os.rename(root / "site", root / "site.moved")
        os.symlink(elsewhere, root / "site")
        writeout.replace_at(folder.fd, folder.name, b"new\n", 0o644)
    assert (root / "site.moved" / "Chrystoki.conf").read_bytes() == b"new\n"
    assert list(elsewhere.iterdir()) == []
    (elsewhere / "Chrystoki.conf").write_bytes(b"new\n")
    why = writeout.rewrite(str(conf), b"new\n", b"evil\n", [str(root)])
    assert why is not None and "symbolic link" in why
    assert (elsewhere / "Chrystoki.conf").read_bytes() == b"new\n"


# --------------------------------------------------------------------------- reports, baselines

@pytest.fixture
def checkout(tmp_path):
    """A CI runner's home with a .bashrc and a checkout two levels down holding a project."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export PATH=/usr/bin\n")
    repo = git_project(home / "work" / "repo")
    shutil.copytree(ROOT / "examples" / "legacy", repo / "legacy")
    return home, repo


@pytest.mark.parametrize("args", [
    ("--report", "sarif:lunalint.sarif"),
    ("--format", "sarif", "--output", "lunalint.sarif"),
    ("--write-baseline", "lunalint.sarif"),
])
def test_pull_request_link_to_bashrc_is_not_written(checkout, args):
    home, repo = checkout
    (repo / "lunalint.sarif").symlink_to("../../.bashrc")
    (repo / "other.json").write_text("keep\n")
    proc = run_cli(*args, "--report", "json:other.json", "legacy", cwd=repo)
    errors = error_lines(proc)
    assert len(errors) == 1 and "lunalint.sarif" in errors[0] and "symbolic link" in errors[0]
    assert proc.returncode == 2
    assert (home / ".bashrc").read_text() == "export PATH=/usr/bin\n"
    assert (repo / "lunalint.sarif").is_symlink()
    assert (repo / "other.json").read_text() == "keep\n", "another report was written"


@pytest.mark.parametrize("option", ["--output", "--report", "--write-baseline"])
def test_no_write_through_a_linked_folder_in_the_project(checkout, option):
    home, repo = checkout
    (repo / "reports").symlink_to(home, target_is_directory=True)
    target = "reports/.bashrc"
    args = (option, "json:" + target if option == "--report" else target)
    proc = run_cli(*args, "legacy", cwd=repo)
    errors = error_lines(proc)
    assert len(errors) == 1 and "symbolic link" in errors[0], proc.stderr
    assert (home / ".bashrc").read_text() == "export PATH=/usr/bin\n"


def test_baseline_never_written_over_an_input(checkout):
    home, repo = checkout
    capture = repo / "legacy" / "legacy-members.lunacm.txt"
    before = capture.read_bytes()
    proc = run_cli("--write-baseline", "legacy/legacy-members.lunacm.txt",
                   "legacy/Chrystoki.conf", cwd=repo)
    errors = error_lines(proc)
    assert len(errors) == 1 and "input" in errors[0]
    assert capture.read_bytes() == before


def test_reports_are_written_atomically_beside_the_inputs(checkout):
    home, repo = checkout
    proc = run_cli("--report", "sarif:out/lunalint.sarif", "--write-baseline", "b.json",
                   "legacy", cwd=repo) if (repo / "out").mkdir() is None else None
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads((repo / "out" / "lunalint.sarif").read_text())["runs"]
    assert json.loads((repo / "b.json").read_text())["lunalint_baseline"] == 1
    assert [p.name for p in (repo / "out").iterdir()] == ["lunalint.sarif"]


# --------------------------------------------------------------------------- link/..

def test_link_dot_dot_is_resolved_as_the_system_does(tmp_path):
    root = git_project(tmp_path / "p")
    (root / "Chrystoki.conf").write_text(GOOD)
    shutil.copy(SAMPLES / "lunacm-session.txt", root / "members.lunacm.txt")
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "Chrystoki.conf").write_text("Misc = {\n   UserPin = 55667788SECRET;\n}\n"
                                            "Broken = {\n")
    (root / "outlink").symlink_to(outside / "sub", target_is_directory=True)
    proc = run_cli("--format", "json", "outlink/../Chrystoki.conf", cwd=root)
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert "55667788SECRET" not in proc.stdout + proc.stderr
    [finding] = doc["findings"]
    assert "outside the project" in finding["message"] and "not read" in finding["message"]
    assert finding["path"] != "Chrystoki.conf"  # not shown as the project's own file
    assert all(not r["path"].endswith(".lunacm.txt") for r in finding["related"])
    proc = run_cli("--fix", "outlink/../Chrystoki.conf", cwd=root)
    assert (outside / "Chrystoki.conf").read_text().endswith("Broken = {\n")


# --------------------------------------------------------------------------- names not UTF-8

FORMATS = ["text", "json", "sarif", "github", "junit", "gitlab", "html", "markdown"]


@pytest.mark.skipif(sys.platform in ("darwin", "win32"),
                    reason="the file system takes only valid Unicode names")
def test_names_that_are_not_utf8(tmp_path):
    root = git_project(tmp_path / "p")
    raw = os.fsencode(root)
    with open(raw + b"/Chr\xffstoki.conf", "wb") as handle:
        handle.write(BAD.encode())
    os.mkdir(raw + b"/d\xfe")
    with open(raw + b"/d\xfe/x\xff.lunacm.txt", "wb") as handle:
        handle.write((SAMPLES / "lunacm-session.txt").read_bytes())
    for fmt in FORMATS:
        proc = run_cli("--format", fmt, ".", cwd=root)
        assert "Traceback" not in proc.stderr, (fmt, proc.stderr)
        assert proc.returncode in (0, 1), (fmt, proc.stderr)
        proc = run_cli("--format", fmt, "--output", f"out.{fmt}", ".", cwd=root)
        assert "Traceback" not in proc.stderr, (fmt, proc.stderr)
        data = (root / f"out.{fmt}").read_bytes()
        data.decode("utf-8")  # a report file is always valid UTF-8
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(data)
    doc = json.loads((root / "out.json").read_text(encoding="utf-8"))
    assert any(f["path"] == os.fsdecode(b"Chr\xffstoki.conf") for f in doc["findings"])
    sarif = (root / "out.sarif").read_text(encoding="utf-8")
    assert "Chr%FFstoki.conf" in sarif
    proc = run_cli("--write-baseline", "b.json", ".", cwd=root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    (root / "b.json").read_bytes().decode("utf-8")
    proc = run_cli("--format", "json", "--baseline", "b.json", ".", cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0 and json.loads(proc.stdout)["findings"] == [], proc.stdout
