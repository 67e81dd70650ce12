"""Issue 22: what the README promises holds whatever the working directory, the install or the
typing: paths do not depend on where lunalint runs, `--config` does not widen the project, a
broken install is one line (not findings), and the command line follows the conventions users
know from ruff (one-line errors, did-you-mean, no abbreviations, colour variables, fix hint).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from .conftest import SAMPLES, fresh_venv, run_cli, run_json

REPO = Path(__file__).resolve().parent.parent
FORMATS = ["text", "json", "sarif", "gitlab", "junit", "github"]


def git_init(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """A git work tree holding a copy of examples/, a folder beside it, and a copy of
    examples/ in a folder that is in no project."""
    top = tmp_path_factory.mktemp("places")
    repo = top / "repo"
    repo.mkdir()
    git_init(repo)
    shutil.copytree(REPO / "examples", repo / "examples")
    (top / "sibling").mkdir()
    shutil.copytree(REPO / "examples", top / "loose")
    return top


def outputs(args: list[str], cwd) -> dict[str, str]:
    """Every format of one run (text on stdout, the others through --report)."""
    with TemporaryDirectory() as out_dir:
        reports = [f"--report={fmt}:{os.path.join(out_dir, fmt)}" for fmt in FORMATS[1:]]
        proc = run_cli("--no-cache", "--fail-on", "never", *reports, *args, cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        out = {fmt: Path(out_dir, fmt).read_text(encoding="utf-8") for fmt in FORMATS[1:]}
    out["text"] = proc.stdout
    return out


def test_paths_and_fingerprints_do_not_depend_on_the_working_directory(places):
    repo = places / "repo"
    inside = outputs(["examples"], cwd=repo)
    assert "examples/legacy/Chrystoki.conf:" in inside["text"]
    assert '"uri": "examples/legacy/Chrystoki.conf"' in inside["sarif"]
    # from /, and from a folder beside the work tree, named absolutely or relatively
    assert outputs([str(repo / "examples")], cwd="/") == inside
    assert outputs(["../repo/examples"], cwd=places / "sibling") == inside
    # from a folder inside the project, too: paths stay relative to its root
    assert outputs(["."], cwd=repo / "examples") == inside


def test_without_a_project_paths_are_relative_to_the_folder_named(places):
    loose = places / "loose"
    here = outputs(["."], cwd=loose)
    assert here["text"].startswith("helm/templates/_chrystoki.tpl:")
    assert outputs([str(loose)], cwd="/") == here
    assert outputs(["../loose"], cwd=places / "sibling") == here


def test_config_in_a_parent_folder_chooses_settings_not_the_project(tmp_path):
    """`--config ../.lunalint.yaml` must not make the parent folder the project: a capture
    in a sibling checkout stays unread, and paths stay relative to the git work tree."""
    (tmp_path / ".lunalint.yaml").write_text("ignore: [SYN008]\n", encoding="utf-8")
    project = tmp_path / "project"
    git_init(project)
    shutil.copy(REPO / "examples" / "legacy" / "Chrystoki.conf", project / "Chrystoki.conf")
    sibling = tmp_path / "sibling"
    git_init(sibling)
    shutil.copy(REPO / "examples" / "legacy" / "legacy-members.lunacm.txt",
                sibling / "legacy-members.lunacm.txt")
    _, plain = run_json("--fail-on", "never", "--no-cache", ".", cwd=project)
    _, chosen = run_json("--fail-on", "never", "--no-cache", "--config", "../.lunalint.yaml",
                         ".", cwd=project)
    assert any(f["rule"] == "SYN008" for f in plain["findings"])
    assert not any(f["rule"] == "SYN008" for f in chosen["findings"])  # settings were read
    assert chosen["summary"]["files"] == plain["summary"]["files"] == 1
    assert {f["path"] for f in chosen["findings"]} == {"Chrystoki.conf"}
    assert not any(f["rule"].startswith(("VER", "POL")) for f in chosen["findings"])
    help_text = run_cli("--help").stdout
    assert "never the project root" in " ".join(help_text.split())


# ---------------------------------------------------------------- a broken install


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A fresh venv without lark or PyYAML (not even the base interpreter's), which imports
    lunalint from a copy of this work tree's sources."""
    top = tmp_path_factory.mktemp("bare")
    src = top / "src" / "lunalint"
    shutil.copytree(REPO / "linter", src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", src / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "grammar", src / "grammar")
    return fresh_venv(top / "venv", parent_site=False), top / "src"


def test_missing_lark_is_one_line_and_exit_2_before_any_file_is_read(bare_python, tmp_path):
    python, src = bare_python
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    env = {**os.environ, "PYTHONPATH": str(src)}
    probe = subprocess.run([str(python), "-c", "import lark"], env=env, capture_output=True)
    assert probe.returncode != 0  # the venv really lacks it
    for args in (["Chrystoki.conf"], ["--exit-zero", "--format", "json", "Chrystoki.conf"],
                 ["no/such/file.conf"]):
        proc = subprocess.run([str(python), "-m", "lunalint", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""
        line, = proc.stderr.splitlines()
        assert line.startswith("lunalint: error: lunalint needs the Python module 'lark'")
        assert "pip install 'lark'" in line and "Traceback" not in line
    # --version and --help still answer
    version = subprocess.run([str(python), "-m", "lunalint", "--version"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("lunalint ")


@pytest.mark.parametrize("stub", ["raise ImportError('half-installed')\n", "", "pkg"])
def test_broken_yaml_shadowing_the_real_one_is_named(tmp_path, stub):
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    if stub == "pkg":  # a package of that name that is not PyYAML
        (shadow / "yaml").mkdir()
        (shadow / "yaml" / "__init__.py").write_text("", encoding="utf-8")
    else:
        (shadow / "yaml.py").write_text(stub, encoding="utf-8")
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    (tmp_path / ".lunalint.yaml").write_text("ignore: [SYN008]\n", encoding="utf-8")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path,
                   env={"PYTHONPATH": os.pathsep.join([str(shadow), *sys.path[1:]])})
    assert proc.returncode == 2 and proc.stdout == ""
    line, = proc.stderr.splitlines()
    assert "the Python module 'yaml' (PyYAML)" in line and str(shadow) in line
    assert "pip install 'PyYAML'" in line


# ---------------------------------------------------------------- conventions


@pytest.mark.parametrize("args, suggestion", [
    (["--select", "HA1O1"], "'HA101'"), (["--ignore", "SYN0O1"], "'SYN001'"),
    (["--explain", "HA1O1"], "'HA101'"), (["--explain", "POL3O1"], "'POL301'"),
])
def test_mistyped_rule_ids_get_a_did_you_mean(args, suggestion, tmp_path):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    line, = proc.stderr.splitlines()
    assert line.startswith("lunalint: error: unknown rule") and f"did you mean {suggestion}?" \
        in line


def test_usage_errors_are_one_line_and_options_are_not_abbreviated(tmp_path):
    for args in (["--form", "json"], ["--exit-z"], ["--format", "xml"]):
        proc = run_cli(*args, ".", cwd=tmp_path)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.splitlines()[1:] == ["For more information, try '--help'."]
        assert proc.stderr.startswith("lunalint: error: ") and "usage:" not in proc.stderr


def test_colour_follows_force_color_term_dumb_and_no_color(tmp_path):
    shutil.copy(SAMPLES / "crystoki.ini", tmp_path / "crystoki.ini")
    base = {"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm"}
    plain = run_cli("crystoki.ini", cwd=tmp_path, env=base).stdout
    forced = run_cli("crystoki.ini", cwd=tmp_path, env={**base, "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in plain and "\x1b[" in forced
    assert "\x1b[" not in run_cli("crystoki.ini", cwd=tmp_path,
                                  env={**base, "FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli("--color", "never", "crystoki.ini", cwd=tmp_path,
                                  env={**base, "FORCE_COLOR": "1"}).stdout
    # TERM=dumb: no colour on a terminal (script(1) gives the run a real one)
    if shutil.which("script") is None:
        pytest.skip("script(1) is not installed")
    cmd = f"{sys.executable} -m lunalint crystoki.ini"
    tty = {**os.environ, **base}
    on_tty = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=tmp_path, env=tty,
                            capture_output=True, text=True, timeout=60).stdout
    dumb = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=tmp_path,
                          env={**tty, "TERM": "dumb"}, capture_output=True, text=True,
                          timeout=60).stdout
    assert "\x1b[" in on_tty and "HA101" in dumb and "\x1b[" not in dumb


def test_a_run_says_how_many_findings_fixes_would_fix(tmp_path):
    shutil.copy(REPO / "examples" / "legacy" / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 1
    assert "lunalint: 1 fixable with --fix (2 more with --fix --unsafe-fixes)" in proc.stderr
    fixed = run_cli("--fix", "Chrystoki.conf", cwd=tmp_path)
    assert "lunalint: 2 fixable with --unsafe-fixes" in fixed.stderr
    quiet = run_cli("--quiet", "Chrystoki.conf", cwd=tmp_path)
    assert "fixable" not in quiet.stderr
    everything = run_cli("--fix", "--unsafe-fixes", "Chrystoki.conf", cwd=tmp_path)
    assert "fixable" not in everything.stderr
