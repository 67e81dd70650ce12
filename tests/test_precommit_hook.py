"""The pre-commit hook, run by the real `pre-commit try-repo` against this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .test_cli import BAD

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), "lunalint", "--all-files", "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_hook_fails_on_bad_config_and_passes_once_fixed(tmp_path):
    if shutil.which("pre-commit") is None:
        pytest.fail("pre-commit is a test dependency: install the package with its [test] extra")
    repo = tmp_path / "client-configs"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ops@example.invalid")
    _git(repo, "config", "user.name", "ops")
    (repo / "etc").mkdir()
    conf = repo / "etc" / "Chrystoki.conf"
    conf.write_text(BAD)
    (repo / "README.txt").write_text("not a Luna file; the hook must not be given it\n")
    _git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    failed = _pre_commit(repo, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "etc/Chrystoki.conf:7:4: warning HA101 HA groups are defined but `HAOnly` is `0`" \
        in failed.stdout
    # the hook is given README.txt too (walking would sniff it) and says it skipped it
    assert "skipped 1 named file with no Luna client configuration or capture in it: " \
        "README.txt" in failed.stdout
    assert failed.stdout.count("README.txt") == 1

    conf.write_text(BAD.replace("HAOnly = 0;", "HAOnly = 1;"))
    _git(repo, "add", ".")
    passed = _pre_commit(repo, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


@pytest.mark.parametrize("path, taken", [
    ("Chrystoki.conf", True), ("etc/chrystoki.CONF", True), ("win/CRYSTOKI.ini", True),
    ("audit/pay-a.lunacm.txt", True), ("audit/HSM-A.LunaSH.TXT", True),
    ("etc/Chrystoki.conf.bak", False), ("logo.png", False), ("src/main.py", False),
    # templates of the Luna files, and Helm chart templates (issue 13)
    ("roles/luna/templates/Chrystoki.conf.j2", True), ("templates/Chrystoki.conf.erb", True),
    ("chart/templates/_chrystoki.tpl", True), ("chart/templates/configmap.yaml", True),
    ("crystoki.ini.tmpl", True),
    # what walking sniffs for Luna content (issue 22): the hook sees what the CLI sees
    ("chart/values.yaml", True), ("notes.txt", True), ("xChrystoki.conf", True),
    ("docker/Dockerfile", True), ("Containerfile.prod", True), ("bin/docker-entrypoint", True),
    ("deploy/install.sh", True), ("docs/runbook.md", True), ("app.dockerfile", True),
])
def test_hook_files_pattern(path, taken):
    import re

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["lunalint", "lunalint-fix"]
    for hook in hooks:  # the fixing hook sees the same files (captures give it context)
        assert hook["language"] == "python"
        assert bool(re.search(hook["files"], path)) is taken


def test_hook_files_are_what_walking_reads():
    """Every name lunalint reads when it walks a folder (lunalint.confine) is given to the
    hooks, and nothing else: built from discover's own lists, so a new host kind added there
    without the hook fails here."""
    import re

    import yaml

    from lunalint import confine, discover

    names = [f"x{ext}" for ext in discover.SNIFF_EXTENSIONS]
    names += [f"x{ext.upper()}" for ext in discover.SNIFF_EXTENSIONS]
    names += [f"Chrystoki.conf{t}" for t in (".j2", ".jinja", ".jinja2", ".erb", ".tpl",
                                             ".tmpl", ".template", ".tt", ".in", ".mustache",
                                             ".hbs", ".gotmpl", ".bak", ".orig", "~")]
    names += ["crystoki-prod.ini.in", "Dockerfile", "dockerfile.dev", "Containerfile",
              "entrypoint", "docker-entrypoint.sh", "run-entrypoint", "a.lunacm.log",
              "Makefile", "x.py", "x.json", "x.toml", "x.xml", "x.conf.bak", "x.png", "README",
              "LICENSE", "x.ini~", "x.lunacm", "x.yaml.bak", "x.rb", "x.nix", "x.mk", ".bashrc",
              "GNUmakefile", "install", "x.erb"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        assert hook["entry"].split()[0] == "lunalint" and "--skip-unrecognised" in hook["entry"]
        assert hook["minimum_pre_commit_version"] >= "3"
        for name in names:
            for path in (name, f"deep/er/{name}"):
                assert bool(re.search(hook["files"], path)) is confine._worth_reading(name), path
