"""Third-party rules: the example plugin in examples/plugin/, installed with pip into a real
temporary virtual environment, runs like a built-in rule; a broken plugin is reported and the
built-in rules still run.

The venvs see the lunalint under test through the site directories of the interpreter running
the tests, named explicitly (``conftest.child_venv``), so this passes under system Python, in a
venv and in a venv made inside a venv; plugins are installed with ``--no-deps`` so pip never
replaces it. The tests share one plugin venv (module scope; ``--dist loadscope`` keeps a
module on one xdist worker, so it is built once).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import child_venv

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "examples" / "plugin"
EXAMPLES = ROOT / "examples"
SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


def make_venv(where: Path) -> Path:
    python = child_venv(where)
    # The child imports the very lunalint under test, not whatever the base interpreter has.
    probe = subprocess.run([str(python), "-c", "import lunalint, sys; print(lunalint.__file__)"],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    import lunalint

    assert Path(probe.stdout.strip()) == Path(lunalint.__file__), probe.stdout
    return python


def pip_install(python: Path, source: Path, tmp: Path) -> None:
    # Build from a copy so the source tree gets no build/ or egg-info droppings.
    copy = tmp / f"src-{source.name}"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                           "--disable-pip-version-check", str(copy)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def lunalint(python: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NO_COLOR"] = "1"
    return subprocess.run([str(python), "-m", "lunalint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("plugin-venv")
    python = make_venv(tmp / "venv")
    pip_install(python, PLUGIN, tmp)
    return python


def test_plugin_rule_is_listed(plugin_python):
    proc = lunalint(plugin_python, "--list-rules")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert "ACME001" in ids
    assert "HA101" in ids and "SYN001" in ids
    row = next(line for line in proc.stdout.splitlines() if line.startswith("ACME001"))
    assert row.split()[1:4] == ["warning", "none", "client-key-outside-key-dir"]
    assert proc.stderr == ""


def test_plugin_rule_is_not_there_without_the_plugin():
    proc = subprocess.run([sys.executable, "-m", "lunalint", "--list-rules"],
                          capture_output=True, text=True, timeout=120)
    assert "ACME001" not in proc.stdout


def test_plugin_rule_runs_with_exact_position(plugin_python):
    proc = lunalint(plugin_python, "--format", "json", "examples")
    assert proc.returncode == 1, proc.stderr
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "ACME001"]
    by_path = {f["path"]: f for f in found}
    payments = by_path["examples/payments/Chrystoki.conf"]
    line = (EXAMPLES / "payments" / "Chrystoki.conf").read_text().splitlines()[
        payments["line"] - 1]
    assert line.strip().startswith("ClientPrivKeyFile = ")
    assert payments["column"] == line.index("/usr/") + 1
    assert payments["level"] == "warning"
    assert payments["anchor"] == "LunaSA Client/ClientPrivKeyFile"
    assert "examples/windows/crystoki.ini" in by_path


def test_plugin_rule_is_quiet_on_compliant_config(plugin_python, tmp_path):
    conf = tmp_path / "Chrystoki.conf"
    conf.write_text("LunaSA Client = {\n   ClientPrivKeyFile = /etc/acme/luna-keys/a.pem;\n}\n")
    proc = lunalint(plugin_python, "--format", "json", "--select", "ACME", str(conf))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []


def test_plugin_rule_selectable_and_ignorable_like_builtins(plugin_python):
    only = lunalint(plugin_python, "--format", "json", "--select", "ACME001", "examples")
    rules = {f["rule"] for f in json.loads(only.stdout)["findings"]}
    assert rules == {"ACME001"}
    without = lunalint(plugin_python, "--format", "json", "--ignore", "ACME", "examples")
    rules = {f["rule"] for f in json.loads(without.stdout)["findings"]}
    assert "ACME001" not in rules and "HA101" in rules


def test_plugin_rule_explain_and_sarif(plugin_python, tmp_path):
    explained = lunalint(plugin_python, "--explain", "ACME001")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("# ACME001: client-key-outside-key-dir\n")
    assert "## How to fix" in explained.stdout
    out = tmp_path / "plugin.sarif"
    lunalint(plugin_python, "--format", "sarif", "--output", str(out), "examples")
    doc = json.loads(out.read_text())
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["ACME001"]["properties"] == {
        "tags": ["security", "site-policy"], "precision": "very-high",
        "security-severity": "4.0", "fixClass": "none"}
    assert "helpUri" not in rules["ACME001"]  # lunalint's docs do not cover plugin rules
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)


def _config_file_available(python: Path, tmp_path: Path) -> bool:
    probe = tmp_path / "probe.yaml"
    probe.write_text("select: [HA]\n")
    (tmp_path / "empty").mkdir()
    proc = lunalint(python, "--config", str(probe), str(tmp_path / "empty"))
    return "not available yet" not in proc.stderr


def test_plugin_rule_configurable_in_config_file(plugin_python, tmp_path):
    if not _config_file_available(plugin_python, tmp_path):
        pytest.skip("the .lunalint.yaml config file is not available yet (issue 4)")
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "payments", ws)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / ".lunalint.yaml").write_text("ignore: [ACME001]\n")
    proc = lunalint(plugin_python, "--format", "json", ".", cwd=ws)
    assert proc.returncode in (0, 1), proc.stderr
    assert "ACME001" not in {f["rule"] for f in json.loads(proc.stdout)["findings"]}
    (ws / ".lunalint.yaml").write_text("select: [ACME001]\n")
    proc = lunalint(plugin_python, "--format", "json", ".", cwd=ws)
    assert {f["rule"] for f in json.loads(proc.stdout)["findings"]} == {"ACME001"}
    (ws / ".lunalint.yaml").write_text("select: [ACME001]\nlevel: {ACME001: error}\n")
    proc = lunalint(plugin_python, "--format", "json", ".", cwd=ws)
    assert {f["level"] for f in json.loads(proc.stdout)["findings"]} == {"error"}


def test_plugin_rule_waivable_in_config_file(plugin_python, tmp_path):
    if not _config_file_available(plugin_python, tmp_path):
        pytest.skip("the .lunalint.yaml config file is not available yet (issue 4)")
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "payments", ws)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / ".lunalint.yaml").write_text(
        "select: [ACME001]\n"
        "waivers:\n"
        "  - rule: ACME001\n"
        "    path: Chrystoki.conf\n"
        "    anchor: LunaSA Client/ClientPrivKeyFile\n"
        "    reason: key path fixed by the appliance image (ticket 12)\n")
    proc = lunalint(plugin_python, "--format", "json", ".", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    shown = lunalint(plugin_python, "--format", "json", "--include-suppressed", ".", cwd=ws)
    (finding,) = json.loads(shown.stdout)["findings"]
    assert finding["rule"] == "ACME001" and finding["suppressed"]


def test_plugin_rule_waivable_inline(plugin_python, tmp_path):
    conf = tmp_path / "Chrystoki.conf"
    body = ("LunaSA Client = {\n"
            "   # lunalint: ignore[{rule}] key kept on the HSM appliance image (ticket 12)\n"
            "   ClientPrivKeyFile = /tmp/a.pem;\n"
            "   ReceiveTimeout = 20000;\n"
            "}\n"
            "HAConfiguration = {\n"
            "   # lunalint: ignore[SYN005] vendor-supported key (ticket 12)\n"
            "   NotAKeyAtAll = 1;\n"
            "}\n")
    conf.write_text(body.replace("{rule}", "ACME001"))
    probe = lunalint(plugin_python, "--format", "json", "--select", "SYN005", str(conf))
    if any(f["rule"] == "SYN005" for f in json.loads(probe.stdout)["findings"]):
        pytest.skip("inline suppressions are not available yet (issue 4)")
    proc = lunalint(plugin_python, "--format", "json", "--select", "ACME", str(conf))
    assert json.loads(proc.stdout)["findings"] == [], proc.stdout
    shown = lunalint(plugin_python, "--format", "json", "--select", "ACME",
                     "--include-suppressed", str(conf))
    (finding,) = json.loads(shown.stdout)["findings"]
    assert finding["rule"] == "ACME001" and finding["suppressed"]


BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "lunalint-broken"
version = "0.0.1"

[project.entry-points."lunalint.rules"]
broken = "lunalint_broken.rules"

[tool.setuptools]
packages = ["lunalint_broken"]
"""


def test_broken_plugin_is_reported_and_builtins_still_run(tmp_path):
    src = tmp_path / "broken"
    (src / "lunalint_broken").mkdir(parents=True)
    (src / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (src / "lunalint_broken" / "__init__.py").write_text("")
    (src / "lunalint_broken" / "rules.py").write_text(
        "import lunalint_missing_dependency  # not installed: the import fails\n")
    python = make_venv(tmp_path / "venv")
    pip_install(python, src, tmp_path)

    proc = lunalint(python, "--format", "json", "examples")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "plugin 'broken' (lunalint_broken.rules) failed to load: ModuleNotFoundError" \
        in proc.stderr
    assert "lunalint_missing_dependency" in proc.stderr
    assert "HA101" in {f["rule"] for f in json.loads(proc.stdout)["findings"]}

    listed = lunalint(python, "--list-rules")
    assert listed.returncode == 0
    assert "HA101" in listed.stdout and "failed to load" in listed.stderr
