"""Configurations where they really live (issue 13): templates and embedded configurations.

The fixture tree (`tests/fixtures/templates/`, written for these tests after the shapes seen in
public repositories) holds a Helm named template, an Ansible Jinja2 role and a `copy: content`
task, a Puppet ERB template, an envsubst template, a shell script that writes the file with
heredocs and `configurator setValue`, a Dockerfile heredoc, a Kubernetes ConfigMap and a Markdown
runbook. Each test runs the real CLI over a copy and checks both what must be found (rule,
level, line, column on the host's own lines) and the false alarms that must not appear.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import FIXTURES, run_cli

TREE = FIXTURES / "templates"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("templates")
    shutil.copytree(TREE, root, dirs_exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    proc = run_cli("--format", "json", "--select", "ALL", "--fail-on", "never", ".", cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    return root, doc, {(f["path"], f["rule"], f["level"], f["line"], f["column"])
                       for f in doc["findings"]}


def rules_of(doc: dict, path: str) -> list[str]:
    return sorted(f["rule"] for f in doc["findings"] if f["path"] == path)


# ---------------------------------------------------------------- findings that must appear


@pytest.mark.parametrize("finding", [
    # Helm named template: a literal `HAOnly = 0` and `haLogStatus = enabled` with no log path
    # are decided whatever the placeholders render to; one placeholder member is one member.
    ("helm/templates/_chrystoki.tpl", "HA101", "warning", 23, 4),
    ("helm/templates/_chrystoki.tpl", "HA107", "warning", 26, 4),
    ("helm/templates/_chrystoki.tpl", "HA104", "warning", 17, 4),
    ("helm/templates/_chrystoki.tpl", "SYN007", "note", 8, 1),
    # Ansible Jinja2 role: `reconnAtt = 0` written literally
    ("ansible/templates/Chrystoki.conf.j2", "HA102", "warning", 22, 4),
    ("ansible/templates/Chrystoki.conf.j2", "SYN007", "note", 1, 3),
    # Ansible `copy: content: |`, on the task file's own lines
    ("ansible/tasks/main.yml", "HA103", "error", 8, 10),
    # Puppet ERB
    ("puppet/templates/Chrystoki.conf.erb", "HA103", "error", 19, 4),
    ("puppet/templates/Chrystoki.conf.erb", "SYN007", "note", 1, 1),
    # envsubst
    ("envsubst/Chrystoki.conf.tmpl", "SYN007", "note", 2, 19),
    # shell heredocs (`cat >`, `cat >>` in a loop, `<<-` with leading TABs) and configurator
    ("scripts/bootstrap.sh", "HA101", "warning", 26, 5),
    ("scripts/bootstrap.sh", "SYN005", "warning", 31, 73),
    ("scripts/bootstrap.sh", "SYN007", "note", 11, 28),
    # Dockerfile heredoc
    ("docker/Dockerfile", "HA103", "error", 6, 4),
    # Kubernetes ConfigMap block scalar
    ("k8s/configmap.yaml", "HA103", "error", 18, 8),
    # Markdown runbook: fenced blocks of one file, joined
    ("docs/runbook.md", "HA104", "warning", 9, 4),
])
def test_findings_land_on_the_hosts_own_lines(report, finding):
    _, doc, found = report
    assert finding in found, sorted(found)


# ---------------------------------------------------------------- false alarms that must not


@pytest.mark.parametrize("path", [
    "helm/templates/_chrystoki.tpl", "ansible/templates/Chrystoki.conf.j2",
    "puppet/templates/Chrystoki.conf.erb", "envsubst/Chrystoki.conf.tmpl", "scripts/bootstrap.sh",
])
def test_placeholders_are_not_syntax_errors_or_bad_values(report, path):
    """`ServerName0{{ $index }} = {{ $host }};`, `VirtualToken00SN = {{ .Values.x }};`,
    `${HA_SERIAL}`, `<%= @group_serial %>`: they parse, and what they render to is not judged
    (no SYN001, no unknown key, no serial-must-be-digits, no serial mismatch)."""
    _, doc, _ = report
    rules = rules_of(doc, path)
    for quiet in ("SYN001", "HA108", "HA110", "HA111", "HA105", "HA109"):
        assert quiet not in rules, (quiet, rules)
    assert not [f for f in doc["findings"] if f["path"] == path and f["rule"] == "SYN005"
                and ("{" in f["message"] or "$" in f["message"] or "<%" in f["message"])]


def test_counts_inside_loops_are_unknown(report):
    """The Jinja2 role lists members inside `{% for %}`: one line stands for one or more."""
    _, doc, _ = report
    assert "HA104" not in rules_of(doc, "ansible/templates/Chrystoki.conf.j2")


def test_a_placeholder_alone_on_a_line_makes_missing_keys_uncertain(tmp_path):
    (tmp_path / "Chrystoki.conf.j2").write_text(
        "VirtualToken = {\n   VirtualToken00Label = a;\n   VirtualToken00SN = 11;\n"
        "   VirtualToken00Members = 1, 2;\n}\nHAConfiguration = {\n{{ extra_ha_settings }}\n}\n")
    proc = run_cli("--format", "json", "--select", "HA101,HA102", "--fail-on", "never",
                   "Chrystoki.conf.j2", cwd=tmp_path)
    found = {f["rule"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found["HA101"]["level"] == "warning"
    assert "unless the placeholder alone on line 7" in found["HA101"]["message"]


def test_template_note_says_which_syntax_and_what_is_not_checked(report):
    _, doc, _ = report
    note = next(f["message"] for f in doc["findings"]
                if f["path"] == "ansible/templates/Chrystoki.conf.j2" and f["rule"] == "SYN007")
    assert "Jinja2" in note and "loop (line 4, 13)" in note
    assert sum(1 for f in doc["findings"] if f["rule"] == "SYN007"
               and f["path"] == "helm/templates/_chrystoki.tpl") == 1


def test_configurator_calls_run_only_single_entry_checks(report):
    """A `configurator setValue` script is a partial configuration: an unknown key is found,
    but nothing is reported as missing from it."""
    _, doc, _ = report
    messages = [f["message"] for f in doc["findings"] if f["path"] == "scripts/bootstrap.sh"
                and f["line"] in (31, 32)]
    assert any("`ServerTimeout`" in m and "ReceiveTimeout" in m for m in messages)
    assert not any("not set" in m or "lacks" in m for m in messages)


def test_hosts_without_luna_content_are_not_reported(report):
    root, doc, _ = report
    assert not rules_of(doc, "unrelated/deploy.sh")
    assert not rules_of(doc, "k8s/other.txt")


def test_markdown_directive_suppresses_the_block_below_it(report):
    """`<!-- lunalint: ignore[HA102] reason -->` above a fence covers that block."""
    root, _, _ = report
    proc = run_cli("--format", "json", "--include-suppressed", "--fail-on", "never",
                   "docs/runbook.md", cwd=root)
    doc = json.loads(proc.stdout)
    suppressed = [f for f in doc["findings"] if f["suppressed"]]
    assert [(f["rule"], f["line"]) for f in suppressed] == [("HA102", 18)]
    assert not [f for f in doc["findings"] if f["rule"].startswith("LUNALINT-SUP")]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_secrets_in_hosts_are_masked(report, fmt):
    """A runbook's LunaCM session and a script's configurator call hold passwords."""
    root, _, _ = report
    proc = run_cli("--format", fmt, "--select", "ALL", "--fail-on", "never", ".", cwd=root)
    out = proc.stdout + proc.stderr
    assert "hunter2-from-script" not in out and "Runb00kSecret" not in out
    assert "LUNA_PASSWORD" not in out


def test_hook_runs_on_templates_and_hosts(report):
    """Named files (as pre-commit passes them) are read as templates or hosts too."""
    root, _, _ = report
    proc = run_cli("--format", "json", "--fail-on", "never", "scripts/bootstrap.sh",
                   "helm/templates/_chrystoki.tpl", cwd=root)
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert paths == {"scripts/bootstrap.sh", "helm/templates/_chrystoki.tpl"}


def test_embedded_scanning_can_be_turned_off(report):
    root, _, _ = report
    (root / ".lunalint.yaml").write_text("embedded: false\n", encoding="utf-8")
    try:
        proc = run_cli("--format", "json", "--fail-on", "never", ".", cwd=root)
        paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
        assert "scripts/bootstrap.sh" not in paths and "docs/runbook.md" not in paths
        assert "helm/templates/_chrystoki.tpl" not in paths  # a YAML-kind host
        assert "puppet/templates/Chrystoki.conf.erb" in paths  # templates are Luna files
        # named, a host is still read
        proc = run_cli("--format", "json", "--fail-on", "never", "scripts/bootstrap.sh", cwd=root)
        assert json.loads(proc.stdout)["findings"]
        (root / ".lunalint.yaml").write_text("embedded: maybe\n", encoding="utf-8")
        proc = run_cli(".", cwd=root)
        assert proc.returncode == 2 and "`embedded` must be true or false" in proc.stderr
    finally:
        (root / ".lunalint.yaml").unlink()
