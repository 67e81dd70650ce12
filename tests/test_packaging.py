"""Packaging and releasing (issue 22): the sdist and the wheel build (``python -m build``, as
.github/workflows/release.yml does on a tag); the wheel, installed with its dependencies into a
fresh virtual environment by the workflow's own check step, gives one import package,
`lunalint`, with its grammars, and its command lints the bundled examples. The workflow's steps
are checked for what releasing promises: build on a `v*` tag, `twine check`, the wheel tried in
a fresh venv, trusted publishing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lunalint import __version__

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())


def step(job: str, name: str) -> dict:
    (found,) = [s for s in WORKFLOW["jobs"][job]["steps"] if s.get("name") == name]
    return found


def bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A copy of this work tree, its sdist and wheel built, and the wheel installed by the
    release workflow's check step: (source copy, dist folder, the venv's bin folder)."""
    tmp = tmp_path_factory.mktemp("release")
    # Build from a copy so the test never writes build artefacts into the checkout.
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "*.egg-info", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis",
        "node_modules", ".ci", ".lunalint_cache"))
    built = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir",
                            "dist", "."], cwd=src, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    # The workflow's step, verbatim, with the runner's variables; `python` is this one.
    check = step("build", "Install the wheel in a fresh venv and lint examples/")["run"]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    proc = bash(check, src, {"RUNNER_TEMP": str(tmp), "PATH": path, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return src, src / "dist", tmp / "check" / "bin"


def test_sdist_and_wheel_are_built(released):
    _, dist, _ = released
    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"lunalint-{__version__}-py3-none-any.whl", f"lunalint-{__version__}.tar.gz"]


def test_fresh_install_ships_one_package_and_lints_examples(released):
    _, _, bin_dir = released
    python = bin_dir / "python"
    site = subprocess.run([str(python), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    others = {"pip", "setuptools", "pkg_resources", "_distutils_hack", "lark", "yaml", "_yaml"}
    ours = {p.name for p in Path(site).iterdir()
            if not p.name.endswith((".dist-info", ".pth")) and p.name not in others}
    assert ours == {"lunalint"}, f"unexpected top-level packages: {sorted(ours)}"
    grammar_files = sorted(p.name for p in (Path(site) / "lunalint" / "grammar").glob("*.lark"))
    assert "chrystoki.lark" in grammar_files and "crystoki_ini.lark" in grammar_files
    # the dependencies came from the wheel's metadata, not from the test run's environment
    deps = subprocess.run([str(python), "-c", "import lark, yaml; print(lark.__file__)"],
                          capture_output=True, text=True)
    assert deps.returncode == 0 and deps.stdout.startswith(site), deps.stdout + deps.stderr

    exe = bin_dir / "lunalint"
    proc = subprocess.run([str(exe), "--format", "json", "examples/"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    levels = {f["level"] for f in doc["findings"]}
    assert levels == {"error", "warning", "note"}
    clean = subprocess.run([str(exe), "examples/payments/Chrystoki.conf"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout
    missing = subprocess.run([str(exe), "no/such/dir"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_release_workflow_builds_checks_and_publishes_on_a_version_tag():
    on = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on == {"push": {"tags": ["v*"]}}
    assert WORKFLOW["permissions"] == {"contents": "read"}
    build = WORKFLOW["jobs"]["build"]
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build --sdist --wheel" in runs
    assert "twine check" in step("build", "Check the distributions")["run"]
    check = step("build", "Install the wheel in a fresh venv and lint examples/")["run"]
    assert "python -m venv" in check and "pip install dist/*.whl" in check
    assert "lunalint\" examples/" in check
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-")]
    assert uploads and uploads[0]["with"]["path"] == "dist/"
    publish = WORKFLOW["jobs"]["publish"]
    assert publish["needs"] == "build"
    # trusted publishing: an OpenID Connect token, no stored password or API token
    assert publish["permissions"] == {"id-token": "write"}
    uses = [s.get("uses", "") for s in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    assert not any("password" in (s.get("with") or {}) for s in publish["steps"])
    assert "secrets." not in (ROOT / ".github" / "workflows" / "release.yml").read_text()


@pytest.mark.parametrize("tag, code", [(f"v{__version__}", 0), ("v99.0.0", 1),
                                       (__version__, 1)])
def test_release_refuses_a_tag_that_is_not_the_version(tag, code, tmp_path):
    script = step("build", "Tag matches the version")["run"]
    proc = bash(script, ROOT, {"GITHUB_REF_NAME": tag})
    assert proc.returncode == code, proc.stdout + proc.stderr
