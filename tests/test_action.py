"""The composite GitHub Action in action.yml: its YAML is a valid composite action, and its
shell steps, run locally with bash exactly as written (``${{ }}`` expressions substituted the way
the runner would), install lunalint, lint ``examples/`` and leave a SARIF report that the
upload step would send and that matches the SARIF schema.

``uses:`` steps (setup-python, upload-sarif) need GitHub's runner; they are checked for shape
here, and the report they would upload is checked instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from .conftest import child_venv

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_action_is_a_valid_composite_action():
    assert set(ACTION) <= {"name", "description", "author", "branding", "inputs", "outputs",
                           "runs"}
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    for name, spec in ACTION["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name)
        assert spec["description"]
        assert isinstance(spec.get("default", ""), str), name  # inputs are strings
    for name, spec in ACTION["outputs"].items():
        assert spec["description"] and EXPR.search(spec["value"]), name
    ids = set()
    for step in ACTION["runs"]["steps"]:
        assert step["name"]
        assert ("run" in step) != ("uses" in step), step["name"]
        if "run" in step:
            assert step["shell"] == "bash", "composite run steps must name their shell"
        if "id" in step:
            assert step["id"] not in ids
            ids.add(step["id"])
        for expression in EXPR.findall(yaml.safe_dump(step)):
            for ref in re.findall(r"\b(inputs|steps)\.([\w-]+)", expression):
                if ref[0] == "inputs":
                    assert ref[1] in ACTION["inputs"], ref
                else:
                    assert ref[1] in ids, f"step {ref[1]!r} is used before it is defined"


def test_action_uploads_with_codeql_upload_sarif_even_after_findings():
    (upload,) = [s for s in ACTION["runs"]["steps"]
                 if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert re.fullmatch(r"github/codeql-action/upload-sarif@v\d+", upload["uses"])
    assert "always()" in upload["if"]
    assert "steps.lint.outputs.sarif-file" in upload["with"]["sarif_file"]
    names = [s["name"] for s in ACTION["runs"]["steps"]]
    # The verdict (which fails the job on findings) comes after the upload.
    assert names.index(upload["name"]) < names.index("Verdict")


class Runner:
    """Runs the action's ``run:`` steps with bash, as GitHub's runner does for a composite."""

    def __init__(self, workspace: Path, action_path: Path, python_bin: Path, tmp: Path):
        self.workspace, self.action_path, self.bin, self.tmp = workspace, action_path, \
            python_bin, tmp
        self.outputs: dict[str, dict[str, str]] = {}
        self.uploaded: list[str] = []

    def expand(self, text: str, inputs: dict[str, str]) -> str:
        def value(m: re.Match) -> str:
            expr = m.group(1)
            if expr.startswith("inputs."):
                return inputs[expr.split(".", 1)[1]]
            if expr == "github.action_path":
                return str(self.action_path)
            m2 = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if m2:
                return self.outputs.get(m2.group(1), {}).get(m2.group(2), "")
            raise AssertionError(f"expression the local runner does not support: {expr}")
        return EXPR.sub(value, text)

    def run(self, given: dict[str, str] | None = None) -> list[tuple[str, int, str]]:
        inputs = {k: v.get("default", "") for k, v in ACTION["inputs"].items()}
        inputs.update(given or {})
        results = []
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "uses" in step:
                if "upload-sarif" in step["uses"] and inputs["upload"] == "true":
                    self.uploaded.append(self.expand(step["with"]["sarif_file"], inputs))
                continue
            output_file = self.tmp / f"output-{index}"
            output_file.write_text("")
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
            env.update({k: self.expand(str(v), inputs) for k, v in step.get("env", {}).items()})
            env.update(GITHUB_OUTPUT=str(output_file), GITHUB_ACTION_PATH=str(self.action_path),
                       GITHUB_WORKSPACE=str(self.workspace), NO_COLOR="1",
                       PATH=f"{self.bin}{os.pathsep}{os.environ['PATH']}")
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail",
                                   "-c", step["run"]],
                                  cwd=self.workspace, env=env, capture_output=True, text=True,
                                  timeout=600)
            results.append((step["name"], proc.returncode, proc.stdout + proc.stderr))
            if "id" in step:
                self.outputs[step["id"]] = dict(
                    line.split("=", 1) for line in output_file.read_text().splitlines() if line)
            if proc.returncode != 0:
                break
        return results


@pytest.fixture(scope="module")
def runner_env(tmp_path_factory):
    """A venv (seeing this checkout's dependencies) where the install step puts lunalint, and
    a workspace holding a copy of examples/ in a git work tree."""
    tmp = tmp_path_factory.mktemp("action")
    action_path = tmp / "action"
    shutil.copytree(ROOT, action_path, ignore=shutil.ignore_patterns(
        ".git", "node", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    env_dir = tmp / "venv"
    child_venv(env_dir)  # sees the test run's dependencies through an explicit .pth only
    workspace = tmp / "workspace"
    shutil.copytree(ROOT / "examples", workspace / "examples",
                    ignore=shutil.ignore_patterns("plugin"))
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    runner = Runner(workspace, action_path, env_dir / "bin", tmp)
    steps = runner.run({"paths": "examples", "fail-on": "never", "category": "hsm-configs"})
    return runner, steps


def test_install_step_installs_lunalint_from_the_action_checkout(runner_env):
    runner, steps = runner_env
    name, code, log = steps[0]
    assert name == "Install lunalint" and code == 0, log
    assert re.search(r"^lunalint \d+\.\d+", log, re.MULTILINE), log
    where = subprocess.run([str(runner.bin / "python"), "-c",
                            "import lunalint; print(lunalint.__file__)"],
                           capture_output=True, text=True, cwd=runner.tmp)
    assert str(runner.bin.parent) in where.stdout, "lunalint was not installed into the venv"


def test_run_step_writes_sarif_that_upload_would_send(runner_env):
    runner, steps = runner_env
    assert [(name, code) for name, code, _ in steps] == [
        ("Install lunalint", 0), ("Run lunalint", 0), ("Verdict", 0)], steps
    assert runner.outputs["lint"]["exit-code"] == "0"  # fail-on never
    (uploaded,) = runner.uploaded
    assert uploaded == "lunalint.sarif"
    doc = json.loads((runner.workspace / uploaded).read_text())
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(doc)
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "lunalint/hsm-configs"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert "examples/windows/crystoki.ini" in uris
    # The same findings were shown as annotations in the job log.
    log = steps[1][2]
    assert "::warning file=examples/windows/crystoki.ini" in log


def test_verdict_fails_the_job_on_findings_after_upload(runner_env):
    runner, _ = runner_env
    runner.uploaded.clear()
    steps = runner.run({"paths": "examples", "fail-on": "warning", "upload": "true"})
    assert [(name, code) for name, code, _ in steps] == [
        ("Install lunalint", 0), ("Run lunalint", 0), ("Verdict", 1)], steps
    assert "::error title=lunalint::findings at or above 'warning'" in steps[2][2]
    assert runner.uploaded == ["lunalint.sarif"]


def test_usage_error_stops_the_run_step(runner_env):
    runner, _ = runner_env
    steps = runner.run({"paths": "no-such-dir", "upload": "false"})
    name, code, log = steps[-1]
    assert name == "Run lunalint" and code == 2
    assert "no such file or directory: no-such-dir" in log
