"""Issue 20: scripts and programs that write Luna configurations (hosts), read through the CLI.

The fixture tree ``tests/fixtures/scripts`` holds an Ansible role, an ERB script, a
Helm-templated script with `if/else` (template and shell), a Dockerfile with `echo >>`, a
runbook with an indented shell fence and an elided block, an extensionless build script, a
Ruby installer and a Nix module (the last three each hold a `Chrystoki2 = {` line).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_json

FIXTURES = Path(__file__).parent / "fixtures" / "scripts"
SECRET = "Zx9-n0tReal"

EXPECTED = {
    # a Luna command line with a literal password (masked everywhere)
    ("SEC601", "error", "Dockerfile", 5, 85),
    # the broken configuration the build script really writes (TAB, quotes, key with a
    # blank, `};`) at the script's own lines; `}\` joins the next line as the shell does
    ("SYN002", "error", "build-client", 6, 1),
    ("SYN008", "note", "build-client", 6, 14),
    ("SYN005", "warning", "build-client", 9, 4),
    ("SYN001", "error", "build-client", 10, 2),
    # `{{ .Values.x | include "y" }}` is one value; `{{- if }}/{{- else }}` and shell
    # `if/else` branches are alternatives: no SYN003/SYN004; each branch's deprecated
    # section is reported where it is written
    ("SYN007", "note", "chart/templates/hsm-setup.sh", 5, 88),
    ("HA106", "warning", "chart/templates/hsm-setup.sh", 12, 1),
    ("HA106", "warning", "chart/templates/hsm-setup.sh", 18, 1),
    # `<% if %>/<% else %>` branches: no SYN003
    ("SYN007", "note", "configure_hsm.erb", 8, 74),
    ("SYN007", "note", "luna-client.nix", 10, 22),
    # the Ruby installer's `<<~CONF` heredoc (no target on its line, a whole configuration)
    ("SYN007", "note", "install.rb", 7, 20),
    # a runbook's listing taken before its later steps enable HA-only and recovery: notes
    # naming those steps, not warnings about the final state
    ("HA115", "note", "docs/ha-check.md", 8, 18),
    ("HA114", "note", "docs/ha-check.md", 10, 16),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scripts")
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    # One project: a file named alone is linked with the others (the role enables HA-only,
    # so the Dockerfile's group creation is not HA117 whether named or walked).
    (root / ".lunalint.yaml").write_text("{}\n")
    return root


def _found(doc: dict) -> set[tuple]:
    return {(f["rule"], f["level"], f["path"], f["line"], f["column"])
            for f in doc["findings"]}


def test_fixture_tree_gives_exactly_the_expected_findings(tree):
    code, doc = run_json("--no-cache", ".", cwd=tree)
    assert code == 1
    assert _found(doc) == EXPECTED


NAMED = ["build-client", "install.rb", "luna-client.nix", "configure_hsm.erb",
         "chart/templates/hsm-setup.sh", "docs/runbook.md", "docs/ha-check.md", "Dockerfile",
         "roles/hsm_client/tasks/main.yaml"]


def test_named_and_walked_agree(tree):
    """Hosts named on the command line are read as when walked: never as a config."""
    _, doc = run_json("--no-cache", *NAMED, cwd=tree)
    assert _found(doc) == EXPECTED


FORMATS = ["json", "sarif", "github", "junit", "gitlab", "markdown", "html"]


def test_literal_credential_masked_in_every_format(tree, tmp_path):
    reports = [f"--report={fmt}:{tmp_path / ('out.' + fmt)}" for fmt in FORMATS]
    proc = run_cli("--no-cache", *reports, ".", cwd=tree)
    assert proc.returncode == 1, proc.stderr
    assert "SEC601" in proc.stdout and SECRET not in proc.stdout + proc.stderr
    for fmt in FORMATS:
        text = (tmp_path / ("out." + fmt)).read_text()
        assert text and SECRET not in text, fmt


def test_program_with_a_config_like_line_is_not_a_config(tmp_path):
    """One `Chrystoki2 = {` line in a Ruby program without a heredoc: nothing to lint, and
    never 300 SYN001 errors on its Ruby lines."""
    (tmp_path / "installer").write_text(
        "#!/usr/bin/env ruby\n# Chrystoki2 = {\nputs 'LibUNIX64 = x'\nexit 0\n")
    code, doc = run_json("--no-cache", "installer", cwd=tmp_path)
    assert doc["findings"] == [] and code == 0


def test_section_closed_with_brace_semicolon_is_one_finding(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(
        "Chrystoki2 = {\n   LibUNIX64 = /usr/lib/libCryptoki2_64.so;\n};\n")
    _, doc = run_json("--no-cache", "Chrystoki.conf", cwd=tmp_path)
    assert _found(doc) == {("SYN001", "error", "Chrystoki.conf", 3, 2)}


def test_shell_case_and_functions_are_alternatives(tmp_path):
    (tmp_path / "setup.sh").write_text(
        "ha() {\n  configurator setValue -s HAConfiguration -e HAOnly -v 1\n}\n"
        "single() {\n  configurator setValue -s HAConfiguration -e HAOnly -v 0\n}\n"
        "case \"$MODE\" in\n"
        "  a) configurator setValue -s Misc -e ToolsDir -v /opt/a ;;\n"
        "  *) configurator setValue -s Misc -e ToolsDir -v /opt/b ;;\n"
        "esac\n"
        "configurator setValue -s Misc -e ToolsDir -v /opt/c\n")
    _, doc = run_json("--no-cache", "setup.sh", cwd=tmp_path)
    # only the unconditional last call repeats a key set before it
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("SYN003", 11)]


def test_template_branches_in_a_config_are_alternatives(tmp_path):
    (tmp_path / "Chrystoki.conf.j2").write_text(
        "HAConfiguration = {\n{% if ha %}\n   HAOnly = 1;\n{% else %}\n   HAOnly = 0;\n"
        "{% endif %}\n}\n")
    _, doc = run_json("--no-cache", "Chrystoki.conf.j2", cwd=tmp_path)
    assert not [f for f in doc["findings"] if f["rule"] == "SYN003"]


def test_erb_template_of_a_config_with_multi_line_ruby(tmp_path):
    """`encryption.conf.erb` (a BOSH job template of the client configuration) is a config
    template, not a script; Ruby inside one `<% … %>` tag over several lines is template
    code, not entries (seen in a public BOSH release: 8 false SYN001)."""
    (tmp_path / "encryption.conf.erb").write_text(
        "<% providers = p('hsm.providers').to_a\n  if providers.any?\n"
        "    hsm = providers.first\n  end\n%>\n"
        "Chrystoki2 = {\n   LibUNIX64 = <%= hsm['lib'] %>;\n}\n"
        "HAConfiguration = {\n   HAOnly = 1;\n   HAOnly = 0;\n}\n")
    _, doc = run_json("--no-cache", "encryption.conf.erb", cwd=tmp_path)
    assert {(f["rule"], f["line"]) for f in doc["findings"]} == {("SYN007", 1), ("SYN003", 11)}


def test_program_fragments_are_not_read_piece_by_piece(tmp_path):
    """A Ruby class writing Chrystoki.conf from heredoc fragments in several methods (seen in
    a public buildpack): no fragment is read as a configuration of its own."""
    (tmp_path / "provider.rb").write_text(
        "require 'fileutils'\nmodule Luna\n  class Provider\n    def prologue(f)\n"
        "      f.write <<EOS\nChrystoki2 = {\nEOS\n    end\n    def epilogue(f)\n"
        "      f.write <<EOS\n}\nHAConfiguration = {\n  HAOnly = 1;\n}\nEOS\n    end\n"
        "  end\nend\n")
    code, doc = run_json("--no-cache", "provider.rb", cwd=tmp_path)
    assert doc["findings"] == [] and code == 0


def test_runbook_block_showing_a_file_with_prompts_and_omissions(tmp_path):
    """A TAB-indented block in a list item shows `cat /etc/Chrystoki.conf` with parts left
    out (seen in a public cloud guide: 20 false errors): the prompt lines are commands, the
    `[OUTPUT OMITTED]` lines elisions, the page's TABs layout; a real error still shows."""
    (tmp_path / "ntl.md").write_text(
        "1.\tCheck the file:\n\n\t```\n\troot@vpx# cat /etc/Chrystoki.conf\n"
        "\tChrystoki2 = {\n\t\tLibUNIX64 = /usr/lib/libCryptoki2_64.so;\n\t\t}\n\n"
        "\t[OUTPUT OMMITED]\n\t\tNetClient = 1;\n\t\tServerPort00 = 1792\n\t}\n"
        "\t[OUTPUT OMITTED]\n\t```\n")
    _, doc = run_json("--no-cache", "ntl.md", cwd=tmp_path)
    assert {(f["rule"], f["line"]) for f in doc["findings"]} == {("SYN001", 11)}


def test_runbook_capture_without_later_steps_stays_a_warning(tree, tmp_path):
    text = (tree / "docs" / "ha-check.md").read_text()
    (tmp_path / "check.md").write_text(text.split("2. Turn on")[0])
    _, doc = run_json("--no-cache", "check.md", cwd=tmp_path)
    assert {(f["rule"], f["level"], f["line"]) for f in doc["findings"]} == {
        ("HA115", "warning", 8), ("HA114", "warning", 10)}


def test_ansible_role_creating_a_group_with_unquoted_lunacm_command(tmp_path):
    """`lunacm -c hagroup createGroup \\` continued over lines in a `shell: |` task, HA-only
    never enabled (the issue's first example, seen in a public role): HA117 at the command."""
    (tmp_path / "main.yaml").write_text(
        "- name: Create ha partition\n  ansible.builtin.shell: |\n    set -o pipefail\n"
        "    echo 'copy' | /usr/safenet/lunaclient/bin/lunacm -c hagroup createGroup \\\n"
        "      -label  {{ ha_label }} \\\n      -serialNumber {{ serial }} \\\n"
        "      -password {{ pin }}\n")
    _, doc = run_json("--no-cache", "main.yaml", cwd=tmp_path)
    assert [(f["rule"], f["level"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("HA117", "warning", 4, 57)]
