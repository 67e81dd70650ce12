"""Luna commands in scripts (issue 20 items 1 and 3): the command reader through the CLI, and
literal credentials masked in every output."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import run_cli, run_json

SECRETS = ("Hunter2pw", "Adm1n-Secret", "PlinkPass1", "CloneDom1", "New-Pass2")

SCRIPT = """\
#!/bin/bash
LUNACM=/usr/safenet/lunaclient/bin/lunacm
$LUNACM -c "hagroup createGroup -label payments -serialNumber 1238696044 -password Hunter2pw"
sshpass -p 'Adm1n-Secret' ssh admin@hsm-a "partition showpolicies -partition p1"
plink -ssh -pw PlinkPass1 admin@hsm-b "hsm show"
echo copy | lunacm -c "partition init -label p1 -password $PW -domain CloneDom1"
lunacm -q role changepw -name co -oldpw "$OLD" -newpw New-Pass2
lunacm <<EOF
slot set -label payments
partition changepolicy -policy 22 -value 1
EOF
/usr/safenet/lunaclient/bin/configurator setValue -s HAConfiguration -e reconnAtt \\
    -v {{ .Values.retries | default "-1" | quote }}
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("scripts")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "setup.sh").write_text(SCRIPT, encoding="utf-8")
    return root


def test_script_findings_through_the_cli(tree):
    code, out = run_json(".", cwd=tree)
    got = sorted((f["rule"], f["level"], f["line"], f["column"]) for f in out["findings"]
                 if f["rule"] in ("SEC601", "HA117", "OPS401"))
    assert got == [("HA117", "warning", 3, 13), ("OPS401", "error", 10, 1),
                   ("SEC601", "error", 3, 84), ("SEC601", "error", 4, 12),
                   ("SEC601", "error", 5, 16), ("SEC601", "error", 6, 71),
                   ("SEC601", "error", 7, 55)]
    # the placeholder holding spaces, pipes and quotes is one opaque value: no finding on it
    assert not [f for f in out["findings"] if f["line"] in (12, 13) and f["level"] != "note"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit", "gitlab", "html",
                                 "markdown"])
def test_literal_credentials_masked_in_every_format(tree, fmt):
    proc = run_cli("--format", fmt, "--include-suppressed", ".", cwd=tree)
    assert "Traceback" not in proc.stderr
    assert "SEC601" in proc.stdout
    for secret in SECRETS:
        assert secret not in proc.stdout, (fmt, secret)
        assert secret not in proc.stderr, (fmt, secret)


def test_literal_credentials_masked_in_a_baseline(tree, tmp_path):
    baseline = tmp_path / "baseline.json"
    run_cli("--write-baseline", str(baseline), ".", cwd=tree)
    text = baseline.read_text(encoding="utf-8")
    assert "SEC601" in text
    for secret in SECRETS:
        assert secret not in text


def test_haonly_enabled_elsewhere_in_the_workspace(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "create.sh").write_text(
        'lunacm -c "hagroup createGroup -label g -serialNumber 1 -password $PW"\n')
    (tmp_path / "haonly.yaml").write_text(
        "- name: ha only\n  ansible.builtin.command: >-\n"
        "    /usr/safenet/lunaclient/bin/lunacm -c 'hagroup haonly -enable'\n")
    _, out = run_json("--select", "HA117", ".", cwd=tmp_path)
    assert out["findings"] == []
