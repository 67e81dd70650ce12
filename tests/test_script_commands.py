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


DOCKERFILE = """\
FROM ubuntu:22.04
RUN cat > /etc/Chrystoki.conf <<EOF
VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541235567002;
}
EOF
RUN echo "HAConfiguration = {" >> /etc/Chrystoki.conf && \\
    echo "   HAOnly = 0;" >> /etc/Chrystoki.conf && \\
    echo "}" >> /etc/Chrystoki.conf
"""
MAKEFILE = """\
ha:
\t$(LUNACM) -c "hagroup createGroup -label payments -serialNumber 1 -password $$PW"
\t@lunacm -c "hagroup addMember -group payments -serialNumber 2 -password Mk-Secret1"
"""
RUNBOOK = """\
# HA

```console
$ ssh admin@hsm-a <<EOF
partition showpolicies -partition p1
EOF
$ lunacm -c "hagroup haonly -enable"
Command Result : No Error
```
"""


def test_dockerfile_echo_makefile_and_console_runbook(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "Makefile").write_text(MAKEFILE)
    (tmp_path / "runbook.md").write_text(RUNBOOK)
    _, out = run_json("--select", "HA101,HA117,SEC601", ".", cwd=tmp_path)
    got = sorted((f["path"], f["rule"], f["line"], f["column"]) for f in out["findings"])
    # `echo … >>` lines join the heredoc written to the same file (HA101 at the echoed entry);
    # the runbook's console session (a heredoc to ssh, then a prompt) enables HA-only, so the
    # Makefile's group creation is not reported; its literal password is
    assert got == [("Dockerfile", "HA101", 10, 14), ("Makefile", "SEC601", 3, 73)]


@pytest.mark.parametrize("kind, text, want", [
    ("shell", 'lunacm -c "hagroup createGroup \\\n -label g"\n',
     [("lunacm", ["hagroup", "createGroup", "-label", "g"])]),
    ("shell", "L=/opt/lunaclient/bin/lunacm\n$L -c 'slot list'\n${LUNACM} -c hsm\n",
     [("lunacm", ["slot", "list"]), ("lunacm", ["hsm"])]),
    ("shell", "lunacm <<-'EOF'\n\tslot set -slot 1\n\tEOF\nlunacm -c x\n",
     [("lunacm", ["slot", "set", "-slot", "1"]), ("lunacm", ["x"])]),
    ("shell", 'echo "slot list" | lunacm\n', [("lunacm", ["slot", "list"])]),
    ("shell", 'configurator setValue -s A -e B -v {{ .Values.a | include "b c" }}\n', []),
    ("shell", "ssh -i key.pem admin@hsm 'hsm show'; ssh deploy@web 'ls'\n",
     [("lunash", ["hsm", "show"])]),
    ("yaml", "- shell: >\n    lunacm -c\n    'hagroup haonly -enable'\n",
     [("lunacm", ["hagroup", "haonly", "-enable"])]),
    ("makefile", "all:\n\tlunacm -c \"slot list\" | grep $$X\n", [("lunacm", ["slot", "list"])]),
])
def test_command_forms(kind, text, want):
    from lunalint.readers import commands

    found = commands.read(kind, text.split("\n"))
    assert [(tool, [w.text for w in words]) for tool, words, _ in found.session] == want


def test_placeholder_with_pipes_and_quotes_is_one_value():
    from lunalint.readers import commands

    line = 'configurator setValue -s HAConfiguration -e HAOnly -v {{ .Values.x | include "y" }}'
    (call,) = commands.read("shell", [line]).set_values
    assert call.value == '{{ .Values.x | include "y" }}'
    assert line[call.value_at[0]:call.value_at[1]] == call.value
