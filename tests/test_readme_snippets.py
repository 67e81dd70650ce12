"""The snippets of README.md's "Integrations" section, extracted from the README and run.

Each snippet follows a ``<!-- snippet: NAME -->`` marker. Shell snippets run verbatim with bash;
YAML snippets are used as written, except that the published hook repository and revision
(which need the network) are pointed at a committed snapshot of this work tree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from lunalint import __version__
from lunalint.rules.base import REPOSITORY

from .conftest import child_venv
from .test_action import ACTION, Runner
from .test_precommit_integration import BAD_CONF, git, hook_repo, home, new_repo, pre_commit

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())
MARKER = re.compile(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)

__all__ = ["hook_repo", "home"]  # fixtures shared with the pre-commit integration tests

# No release exists yet (issue 22): the snippets name what works today, the main branch; the
# README says releases will be tagged v<version> (.github/workflows/release.yml builds them).
UNRELEASED_REV = "main"


def integrations() -> str:
    start = README.index("\n## Integrations\n")
    end = README.find("\n## ", start + 1)
    return README[start:] if end == -1 else README[start:end]


SNIPPETS = {name: (lang, body) for name, lang, body in MARKER.findall(integrations())}


def snippet(name: str, lang: str) -> str:
    assert name in SNIPPETS, f"README.md Integrations has no snippet {name!r}"
    assert SNIPPETS[name][0] == lang
    return SNIPPETS[name][1]


def validate_sarif(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(doc)
    return doc


def test_every_snippet_is_tested():
    tested = {"pre-commit-config", "pre-commit-sarif", "github-workflow", "sarif-cli",
              "gitlab-ci", "plugin-entry-point", "plugin-install"}
    assert set(SNIPPETS) == tested
    # Every code block in the section is a marked snippet.
    assert integrations().count("```") == 2 * len(SNIPPETS)


def local_hook(config: dict, hook_repo) -> dict:
    """The README's config with the published repository replaced by the local snapshot."""
    (entry,) = config["repos"]
    assert entry["repo"] == REPOSITORY
    assert entry["rev"] == UNRELEASED_REV
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    return config


@pytest.mark.parametrize("name", ["pre-commit-config", "pre-commit-sarif"])
def test_pre_commit_snippets(name, tmp_path, home, hook_repo):
    config = local_hook(yaml.safe_load(snippet(name, "yaml")), hook_repo)
    repo = new_repo(tmp_path / "ops", {"etc/luna/Chrystoki.conf": BAD_CONF})
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "add", ".")
    proc = pre_commit(repo, home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    if name == "pre-commit-sarif":
        doc = validate_sarif(repo / "lunalint.sarif")
        assert "HA101" in {r["ruleId"] for r in doc["runs"][0]["results"]}
    else:
        assert "etc/luna/Chrystoki.conf:10:4: warning HA101" in out


def workspace(tmp_path: Path, with_plugin: bool = False) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "examples", ws / "examples", ignore=shutil.ignore_patterns(
        *(() if with_plugin else ("plugin",)), "build", "*.egg-info", "__pycache__"))
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    return ws


def bash(script: str, cwd: Path, path_first: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(NO_COLOR="1", PATH=f"{path_first}{os.pathsep}{env['PATH']}")
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=900)


def test_sarif_cli_snippet(tmp_path):
    ws = workspace(tmp_path)
    proc = bash(snippet("sarif-cli", "sh"), ws, Path(sys.executable).parent)
    assert proc.returncode == 0, proc.stderr
    doc = validate_sarif(ws / "lunalint.sarif")
    assert doc["runs"][0]["automationDetails"]["id"] == "lunalint/hsm-configs"


def test_gitlab_ci_snippet(tmp_path, user_venv):
    """The job's script on a checkout holding examples/ (the venv stands for its pip install):
    the job fails on the examples' findings and leaves both reports GitLab collects."""
    job = yaml.safe_load(snippet("gitlab-ci", "yaml"))["lunalint"]
    install, *commands = job["script"]
    assert install == f'python -m pip install "git+{REPOSITORY}@{UNRELEASED_REV}"'
    ws = workspace(tmp_path)
    proc = bash("\n".join(commands), ws, user_venv)
    assert proc.returncode == 1, proc.stderr
    assert "error POL301" in proc.stdout  # the job log keeps the text report
    assert job["artifacts"]["when"] == "always"  # a failing job still uploads them
    reports = job["artifacts"]["reports"]
    issues = json.loads((ws / reports["codequality"]).read_text(encoding="utf-8"))
    assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issues[0])
    assert ("POL301", "examples/legacy/legacy-members.lunacm.txt") in {
        (i["check_name"], i["location"]["path"]) for i in issues}
    xmlschema = pytest.importorskip("xmlschema")
    junit = (ws / reports["junit"]).read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(Path(__file__).parent / "schemas" / "junit-10.xsd")).validate(junit)
    assert re.search(r'<failure type="[A-Z0-9,]*POL301', junit)


def test_readme_installs_what_exists_and_names_the_release_tags():
    """Until the first release, no line may promise a PyPI package or a tag that does not
    exist; the README names the tag format the release workflow builds on."""
    blocks = re.findall(r"^```\w*\n(.*?)^```", README, re.DOTALL | re.MULTILINE)
    for line in "\n".join(blocks).splitlines():
        code = line.split("#")[0].strip()
        assert not re.search(r"(pip|pipx) install lunalint$", code), line
        assert not re.match(r"rev: v\d", code), line
        assert not re.search(r"lunalint/lunalint@v\d", code), line
    assert f"`v{__version__}`" in README and "`vMAJOR.MINOR.PATCH`" in README
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert workflow.get("on", workflow.get(True))["push"]["tags"] == ["v*"]
    # what "install from a checkout" says is what the README's own first command does
    assert "python -m pip install .    # into the active environment" in README


def test_plugin_entry_point_snippet_matches_the_example():
    shown = tomllib.loads(snippet("plugin-entry-point", "toml"))
    real = tomllib.loads((ROOT / "examples" / "plugin" / "pyproject.toml").read_text())
    assert shown["project"]["entry-points"] == real["project"]["entry-points"]


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory) -> Path:
    """A user's venv with lunalint installed (from a copy of this work tree); its bin folder."""
    tmp = tmp_path_factory.mktemp("user")
    src = tmp / "lunalint-src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "node", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    # A fresh venv that sees the test run's own dependencies through an explicit .pth (the
    # one helper every venv-making test uses); never the base interpreter's site-packages.
    bin_dir = child_venv(tmp / "venv").parent
    proc = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
                           "--no-deps", "--disable-pip-version-check", str(src)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return bin_dir


def test_plugin_install_snippet(tmp_path, user_venv):
    ws = workspace(tmp_path, with_plugin=True)
    proc = bash(snippet("plugin-install", "sh"), ws, user_venv)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^ACME001\s+warning\s+none\s+client-key-outside-key-dir", proc.stdout,
                     re.M)
    assert "# ACME001: client-key-outside-key-dir" in proc.stdout
    assert "examples/payments/Chrystoki.conf:28:24: warning ACME001" in proc.stdout


def test_github_workflow_snippet(tmp_path, user_venv):
    workflow = yaml.safe_load(snippet("github-workflow", "yaml"))
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(on) == {"push", "pull_request"}
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    uses = [step["uses"] for step in job["steps"]]
    assert uses[0].startswith("actions/checkout@")
    (ours,) = [s for s in job["steps"] if s["uses"].split("@")[0] == "lunalint/lunalint"]
    assert REPOSITORY.endswith("/" + ours["uses"].split("@")[0])
    assert ours["uses"].split("@")[1] == UNRELEASED_REV
    assert set(ours["with"]) <= set(ACTION["inputs"]), "the README uses an unknown input"

    # The action's steps with the README's inputs, on a checkout holding examples/.
    ws = workspace(tmp_path)
    runner = Runner(ws, action_checkout(tmp_path), user_venv, tmp_path)
    steps = runner.run({k: str(v) for k, v in ours["with"].items()})
    codes = [(name, code) for name, code, _ in steps]
    # examples/ has error-level findings on purpose: uploaded, then the job fails.
    assert codes == [("Install lunalint", 0), ("Run lunalint", 0), ("Verdict", 1)], steps
    doc = validate_sarif(ws / runner.uploaded[0])
    assert doc["runs"][0]["automationDetails"]["id"] == "lunalint/hsm-configs"


def action_checkout(tmp_path: Path) -> Path:
    """The action's own checkout (``github.action_path``), as a copy of this work tree."""
    dest = tmp_path / "action"
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", "node", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    return dest
