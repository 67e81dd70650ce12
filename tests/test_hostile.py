"""Hostile input (issue 10): each attack is planted in a real tree and the real CLI is run.

Confinement: symbolic links are never followed while walking, a named link leading outside the
project is not read, and without a project only what was named is read. Redaction: every
secret-bearing LunaCM/LunaSH option (and the abbreviations the tools accept) is masked in every
format, in baselines and with ``--include-suppressed``; anchors never carry line text; masking
never removes ordinary words from unrelated messages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from lunalint.reporters import FORMATS  # every registered format, new ones included

from .conftest import FIXTURES, run_cli

CONFIG = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 1541234567;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   AutoReconnectInterval = 60;
}
"""


def git_repo(path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def everything(proc) -> str:
    return proc.stdout + proc.stderr


# ---------------------------------------------------------------- confinement: symbolic links


@pytest.fixture
def linked_repo(tmp_path):
    """A repository whose Chrystoki.conf links to a secret file outside it, whose crystoki.ini
    links to its own .git/config, and whose `more/` folder links to a folder outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "token.conf").write_text(
        "Misc = {\n   url = https://x:TOKEN-OUTSIDE-123@git.example/;\n}\n", encoding="utf-8")
    (outside / "Chrystoki.conf").write_text(CONFIG.replace("payments", "OUTSIDE-LABEL"),
                                            encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    git_repo(repo)
    with open(repo / ".git" / "config", "a", encoding="utf-8") as handle:
        handle.write('[http]\n\textraheader = AUTHORIZATION: basic GITCRED-456\n')
    (repo / "etc").mkdir()
    (repo / "etc" / "real.conf").write_text(CONFIG, encoding="utf-8")
    os.symlink(outside / "token.conf", repo / "etc" / "Chrystoki.conf")
    os.symlink(repo / ".git" / "config", repo / "crystoki.ini")
    os.symlink(outside, repo / "more")
    return repo


@pytest.mark.parametrize("fmt", FORMATS)
def test_walked_symlinks_are_never_followed(linked_repo, fmt):
    proc = run_cli("--format", fmt, "--fail-on", "never", ".", cwd=linked_repo)
    out = everything(proc)
    assert proc.returncode == 0, out
    for secret in ("TOKEN-OUTSIDE-123", "GITCRED-456", "OUTSIDE-LABEL", "extraheader"):
        assert secret not in out
    # ...and each link is reported as skipped, not silently ignored
    assert "etc/Chrystoki.conf: symbolic link not followed; skipped" in proc.stderr
    assert "crystoki.ini: symbolic link not followed; skipped" in proc.stderr
    assert "more: symbolic link not followed; skipped" in proc.stderr


def test_named_symlink_outside_the_project_is_not_read(linked_repo):
    proc = run_cli("--format", "json", "--fail-on", "never", "etc/Chrystoki.conf",
                   "crystoki.ini", cwd=linked_repo)
    out = everything(proc)
    for secret in ("TOKEN-OUTSIDE-123", "GITCRED-456", "extraheader"):
        assert secret not in out
    doc = json.loads(proc.stdout)
    messages = {f["path"]: f["message"] for f in doc["findings"]}
    assert "outside the project" in messages["etc/Chrystoki.conf"]
    assert "`.git` directory" in messages["crystoki.ini"]


def test_named_symlink_inside_the_project_is_read(tmp_path):
    git_repo(tmp_path)
    (tmp_path / "real.conf").write_text(CONFIG, encoding="utf-8")
    os.symlink("real.conf", tmp_path / "Chrystoki.conf")
    code, doc = _json("Chrystoki.conf", cwd=tmp_path)
    assert "HA101" in [f["rule"] for f in doc["findings"]]


def _json(*args, cwd):
    proc = run_cli("--format", "json", "--fail-on", "never", *args, cwd=cwd)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# ---------------------------------------------------------------- confinement: the project root


def test_without_a_project_only_what_was_named_is_read(tmp_path):
    """No git work tree, no .lunalint.yaml: the cwd's tree is not the project. A capture beside
    the named file but not named gives it no context."""
    home = tmp_path / "home"
    (home / "other").mkdir(parents=True)
    (home / "other" / "Chrystoki.conf").write_text(_MEMBER_CONFIG, encoding="utf-8")
    # A capture in the cwd that would link to the config (it lists a member's policies).
    (home / "unrelated.lunacm.txt").write_text(_POLICY_CAPTURE, encoding="utf-8")
    code, doc = _json("other/Chrystoki.conf", cwd=home)
    assert all(f["path"] == "other/Chrystoki.conf" for f in doc["findings"]), doc["findings"]
    assert not any(f["rule"].startswith("POL") for f in doc["findings"])
    # the same capture, named too, is linked: the test has teeth
    code, doc = _json("other/Chrystoki.conf", "unrelated.lunacm.txt", cwd=home)
    assert any(f["rule"] == "POL301" for f in doc["findings"]), doc["findings"]


def test_a_named_directory_is_its_own_root(tmp_path):
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "stray.lunacm.txt").write_text(_POLICY_CAPTURE, encoding="utf-8")
    code, doc = _json("estate", cwd=tmp_path)
    # (with no project, paths are shown relative to the folder named: issue 22)
    assert {f["path"] for f in doc["findings"]} == {"Chrystoki.conf"}


def test_a_path_named_outside_the_project_is_linted_alone(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git_repo(repo)
    (repo / "members.lunacm.txt").write_text(_POLICY_CAPTURE, encoding="utf-8")
    (tmp_path / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    code, doc = _json(str(tmp_path / "Chrystoki.conf"), cwd=repo)
    assert doc["findings"], "the outside file is still linted"
    assert not any(f["rule"].startswith("POL") for f in doc["findings"])


def test_deeply_nested_directories_are_walked(tmp_path):
    """1,100 nested folders (os.walk recursion overflowed on 3.10/3.11)."""
    git_repo(tmp_path)
    here = str(tmp_path)
    for _ in range(1100):  # os.makedirs recurses per level: make them one by one
        here = os.path.join(here, "d")
        os.mkdir(here)
    with open(os.path.join(here, "Chrystoki.conf"), "w", encoding="utf-8") as handle:
        handle.write(CONFIG)
    try:
        code, doc = _json(".", cwd=tmp_path)
        assert "HA101" in [f["rule"] for f in doc["findings"]]
    finally:  # shutil.rmtree recurses per level too: remove the tree bottom-up
        os.remove(os.path.join(here, "Chrystoki.conf"))
        while here != str(tmp_path):
            os.rmdir(here)
            here = os.path.dirname(here)


_FIXTURE = FIXTURES / "rules" / "POL301" / "bad-denies-cloning"
_POLICY_CAPTURE = (_FIXTURE / "pay-b.lunacm.txt").read_text(encoding="utf-8")
_MEMBER_CONFIG = (_FIXTURE / "Chrystoki.conf").read_text(encoding="utf-8")


# ---------------------------------------------------------------- redaction: capture options

OPTIONS = [
    ("partition login", "-password", " "), ("partition login", "-pass", " "),
    ("partition login", "-passw", " "), ("partition login", "-p", " "),
    ("partition login", "-pwd", " "), ("partition login", "-pw", " "),
    ("partition init", "-dom", " "), ("partition init", "-domain", " "),
    ("partition activate", "-challenge", " "), ("partition activate", "-cha", " "),
    ("role login", "-authtokenpw", " "), ("partition changepw", "-newpass", " "),
    ("partition changepw", "-opw", " "), ("partition changepw", "-npw", " "),
    ("partition changepw", "-oldpw", " "), ("partition changepw", "-newpw", " "),
    ("partition login", "-password", ":"), ("partition login", "-password", "="),
    ("partition login", "-PASSWORD", " "), ("partition init", "-domai", " "),
    ("role changepw", "-newpassword", " "), ("role changepw", "-oldpassword", " "),
]


def _capture_with_options() -> tuple[str, list[str]]:
    # Slot 5 is the HA virtual slot: every command run there is an OPS401 finding on its own
    # line, so excerpts of the command lines really are produced.
    lines = ["LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.", "",
             "        Slot Id ->              5", "        HSM Label ->            payments",
             "        HSM Serial Number ->    11541234567001",
             "        HSM Model ->            LunaVirtual",
             "        HSM Status ->           N/A - HA Group", "", "        Current Slot Id: 5", ""]
    planted = []
    for i, (command, option, sep) in enumerate(OPTIONS):
        value = f"SeCrEt{i:02d}x"
        planted.append(value)
        # `partition init` on the HA slot: OPS401 reports the command line itself
        lines += [f"lunacm:>partition init -label x{i} {option}{sep}{value}", "",
                  "Command Result : 0x5 (CKR_ACCESS_ID_ALREADY_EXISTS)", ""]
    return "\n".join(lines) + "\n", planted


@pytest.fixture
def capture_estate(tmp_path):
    git_repo(tmp_path)
    text, planted = _capture_with_options()
    (tmp_path / "admin.lunacm.txt").write_text(text, encoding="utf-8")
    (tmp_path / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    return tmp_path, planted


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_secret_option_is_masked(capture_estate, fmt):
    root, planted = capture_estate
    proc = run_cli("--format", fmt, "--fail-on", "never", "--select", "ALL", ".", cwd=root)
    out = everything(proc)
    # the test has teeth: a finding lands on each command line (OPS402 on the result), and
    # the text format shows excerpts of those lines
    assert proc.stdout
    leaked = [v for v in planted if v in out]
    assert not leaked, f"{fmt}: {leaked}"


def test_options_that_carry_no_secret_stay_readable(capture_estate):
    root, _ = capture_estate
    proc = run_cli("--fail-on", "never", "--select", "ALL", ".", cwd=root)
    assert "-label x3 -p *********" in proc.stdout


def test_baselines_and_suppressed_findings_carry_no_secret(capture_estate):
    root, planted = capture_estate
    proc = run_cli("--write-baseline", "base.json", "--fail-on", "never", "--select", "ALL", ".",
                   cwd=root)
    assert proc.returncode == 0, proc.stderr
    text = (root / "base.json").read_text(encoding="utf-8")
    assert json.loads(text)["findings"]
    for fmt in FORMATS:
        proc = run_cli("--baseline", "base.json", "--include-suppressed", "--format", fmt,
                       "--fail-on", "never", "--select", "ALL", ".", cwd=root)
        out = everything(proc) + text
        assert not [v for v in planted if v in out], fmt


# ---------------------------------------------------------------- redaction: anchors, scrubbing


def test_anchors_carry_no_line_text(tmp_path):
    """SYN001 and SYN002 anchors are structural; a short PIN without `;` (masked in the excerpt)
    leaked through them and into baselines."""
    git_repo(tmp_path)
    (tmp_path / "Chrystoki.conf").write_text(
        "Misc = {\n   UserPin = 739\n\tPartitionPassword = 4242;\n   %% broken 8512\n}\n",
        encoding="utf-8")
    code, doc = _json("--select", "SYN", ".", cwd=tmp_path)
    anchors = {f["rule"]: f["anchor"] for f in doc["findings"]}
    assert anchors["SYN002"] == "tab:Misc/PartitionPassword"
    assert all("739" not in f["anchor"] and "4242" not in f["anchor"] for f in doc["findings"])
    assert "Misc/line-3" in {f["anchor"].split(":", 1)[1] for f in doc["findings"]
                             if f["rule"] == "SYN001"}
    proc = run_cli("--write-baseline", "b.json", "--fail-on", "never", ".", cwd=tmp_path)
    text = (tmp_path / "b.json").read_text(encoding="utf-8")
    assert "739" not in text and "4242" not in text and "broken" not in text, proc.stderr
    proc = run_cli("--fail-on", "never", ".", cwd=tmp_path)
    assert "739" not in proc.stdout and "4242" not in proc.stdout


def test_masking_never_removes_ordinary_words(tmp_path):
    """A password made of ordinary words does not blank those words elsewhere: HA101's anchor
    (used by waivers) stays HAConfiguration/HAOnly."""
    git_repo(tmp_path)
    (tmp_path / "Chrystoki.conf").write_text(
        CONFIG.replace("HAConfiguration = {\n",
                       "HAConfiguration = {\n   ClientPassword = payments HAOnly 2024;\n"),
        encoding="utf-8")
    code, doc = _json("--select", "HA101", ".", cwd=tmp_path)
    (f,) = doc["findings"]
    assert f["anchor"] == "HAConfiguration/HAOnly"
    assert "payments HAOnly 2024" not in json.dumps(doc)
    # a waiver keyed on that anchor still matches
    (tmp_path / ".lunalint.yaml").write_text(
        "waivers:\n  - rule: HA101\n    path: Chrystoki.conf\n    anchor: HAConfiguration/HAOnly\n"
        "    reason: accepted for the lab\n", encoding="utf-8")
    code, doc = _json(".", cwd=tmp_path)
    assert [f for f in doc["findings"] if f["rule"] == "HA101"] == []


def test_redactor_matches_values_on_token_boundaries():
    from lunalint.redact import Redactor

    r = Redactor({"1234", "hunter2", "ab"})
    assert r.text("serial 71234567 and 1234") == "serial 71234567 and ****"
    assert r.text("value `ab` on line ab") == "value `****` on line ab"
    assert r.output(json.dumps({"m": 'x "hunter2"'})) == json.dumps({"m": 'x "****"'})


@pytest.mark.parametrize("word,secret", [
    ("password", True), ("pass", True), ("passw", True), ("p", True), ("pwd", True),
    ("dom", True), ("domain", True), ("challenge", True), ("authtokenpw", True),
    ("newpass", True), ("opw", True), ("npw", True),
    ("slot", False), ("serial", False), ("size", False), ("label", False), ("name", False),
    ("policy", False), ("value", False), ("passwordless", False), ("d", False),
])
def test_secret_options(word, secret):
    from lunalint.redact import secret_option

    assert secret_option(word) is secret


def test_secret_values_leave_no_trace_in_related_and_notices(tmp_path):
    """A secret that also names a file (a folder called like the password) is masked in notices."""
    git_repo(tmp_path)
    (tmp_path / "Chrystoki.conf").write_text(
        CONFIG.replace("HAConfiguration = {\n", "HAConfiguration = {\n   ClientPin = VeryS3cret;\n"),
        encoding="utf-8")
    (tmp_path / "VeryS3cret").mkdir()
    proc = run_cli("--fail-on", "never", ".", "VeryS3cret", cwd=tmp_path)
    assert "VeryS3cret" not in everything(proc)
    assert re.search(r"\*\*\*\*: no Luna client configuration", proc.stderr), proc.stderr


def test_related_locations_are_capped_with_named_files_first(tmp_path):
    """POL302 relates to every group listing the replica partition: with 30 configs listing it,
    a finding shows 20, says how many more, and always those in the files the user named."""
    git_repo(tmp_path)
    fixture = FIXTURES / "rules" / "POL302" / "bad-replica"
    (tmp_path / "app01.lunacm.txt").write_text(
        (fixture / "app01.lunacm.txt").read_text(encoding="utf-8"), encoding="utf-8")
    config = (fixture / "Chrystoki.conf").read_text(encoding="utf-8")
    for i in range(30):
        (tmp_path / f"site-{i:02d}").mkdir()
        (tmp_path / f"site-{i:02d}" / "Chrystoki.conf").write_text(config, encoding="utf-8")
    code, doc = _json("--select", "POL302", ".", cwd=tmp_path)
    (f,) = doc["findings"]
    assert "related locations: 20 are listed, 10 more are not" in f["message"]
    proc = run_cli("--format", "sarif", "--select", "POL302", "--fail-on", "never",
                   "site-29/Chrystoki.conf", cwd=tmp_path)
    run = json.loads(proc.stdout)["runs"][0]
    (result,) = run["results"]
    uris = [r["physicalLocation"]["artifactLocation"]["uri"] for r in result["relatedLocations"]]
    assert len(uris) == 20 and uris[0] == "site-29/Chrystoki.conf"
