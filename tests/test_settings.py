"""The configuration file: where it is found, what each key does through the real CLI, and
one-line errors (exit 2, file and line) for every kind of mistake."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest

from lunalint import settings
from lunalint.registry import load_registry

from .conftest import run_cli, run_json

KNOWN = list(load_registry(plugins=False).rules)

HA_ZERO = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   ReceiveTimeOut = 1;
}
"""


def write(base: Path, rel: str, text: str) -> Path:
    path = base / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "configs/app/Chrystoki.conf", HA_ZERO)
    return tmp_path


def rules_found(doc: dict) -> list[str]:
    return [f["rule"] for f in doc["findings"]]


# --------------------------------------------------------------------------- discovery

def test_found_by_walking_up_to_the_repository_root(repo):
    write(repo, ".lunalint.yaml", "ignore: [HA101]\n")
    code, doc = run_json("Chrystoki.conf", cwd=repo / "configs" / "app")
    assert "HA101" not in rules_found(doc) and "SYN005" in rules_found(doc)
    assert settings.find_config(str(repo / "configs" / "app")) == str(repo / ".lunalint.yaml")


def test_not_looked_for_above_the_repository_root(repo, tmp_path_factory):
    outer = tmp_path_factory.mktemp("outer")
    inner = outer / "project"
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    write(outer, ".lunalint.yaml", "select: [nope]\n")
    assert settings.find_config(str(inner)) is None


def test_outside_a_repository_only_the_current_directory_counts(tmp_path):
    write(tmp_path, ".lunalint.yaml", "ignore: [HA101]\n")
    (tmp_path / "sub").mkdir()
    assert settings.find_config(str(tmp_path)) == str(tmp_path / ".lunalint.yaml")
    assert settings.find_config(str(tmp_path / "sub")) is None


def test_nearest_directory_wins_and_yaml_beats_pyproject(repo):
    write(repo, ".lunalint.yaml", "ignore: [SYN]\n")
    write(repo, "configs/pyproject.toml", "[tool.lunalint]\nignore = ['HA101']\n")
    assert settings.find_config(str(repo / "configs" / "app")) == str(repo / "configs" /
                                                                       "pyproject.toml")
    write(repo, "configs/.lunalint.yaml", "ignore: [HA]\n")
    assert settings.find_config(str(repo / "configs")) == str(repo / "configs" /
                                                               ".lunalint.yaml")


def test_pyproject_without_the_table_is_skipped(repo):
    write(repo, "pyproject.toml", "[tool.black]\nline-length = 99\n")
    assert settings.find_config(str(repo)) is None


def test_pyproject_tool_table_is_used(repo):
    write(repo, "pyproject.toml", "[project]\nname = 'x'\n\n[tool.lunalint]\n"
                                  "select = ['HA101']\nfail-on = 'error'\n")
    code, doc = run_json("configs", cwd=repo)
    assert (code, rules_found(doc)) == (0, ["HA101"])


def test_explicit_config_overrides_the_found_one(repo):
    write(repo, ".lunalint.yaml", "select: [SYN]\n")
    write(repo, "other.yaml", "select: [HA]\n")
    code, doc = run_json("--config", "other.yaml", "configs", cwd=repo)
    assert rules_found(doc) == ["HA101"]


# --------------------------------------------------------------------------- keys in effect

def test_select_ignore_level_and_fail_on(repo):
    write(repo, ".lunalint.yaml", "select: [HA, SYN]\nignore: [SYN]\n"
                                  "level:\n  HA101: note\nfail-on: warning\n")
    code, doc = run_json("configs", cwd=repo)
    assert [(f["rule"], f["level"]) for f in doc["findings"]] == [("HA101", "note")]
    assert code == 0
    # The command line's --select replaces the file's, its --fail-on wins.
    code, doc = run_json("--select", "SYN005", "--fail-on", "note", "configs", cwd=repo)
    assert (code, rules_found(doc)) == (1, ["SYN005"])


def test_include_and_exclude(repo):
    write(repo, "vendor/Chrystoki.conf", HA_ZERO)
    write(repo, "configs/old/Chrystoki.conf", HA_ZERO)
    write(repo, ".lunalint.yaml", "include: ['configs/**']\nexclude: [old/]\nselect: [HA101]\n")
    code, doc = run_json(".", cwd=repo)
    assert sorted({f["path"] for f in doc["findings"]}) == ["configs/app/Chrystoki.conf"]


def test_kinds_globs_make_unusual_names_configs(repo):
    write(repo, "templates/client.luna", HA_ZERO)
    write(repo, ".lunalint.yaml", "select: [HA101]\nkinds:\n  configs: ['*.luna']\n")
    code, doc = run_json("templates", cwd=repo)
    assert [f["path"] for f in doc["findings"]] == ["templates/client.luna"]
    write(repo, ".lunalint.yaml", "select: [HA101]\n")
    proc = run_cli("--format", "json", "templates", cwd=repo)
    assert '"findings": []' in proc.stdout


def test_facts_for_matching_files(tmp_path):
    path = write(tmp_path, ".lunalint.yaml",
                 "facts:\n  - path: 'prod/**'\n    client-version: '10.4.0'\n"
                 "  - path: 'prod/new/*'\n    client-version: \"10.7\"\n")
    cfg = settings.load(str(path), KNOWN)
    assert cfg.facts_for(str(tmp_path / "prod" / "a" / "Chrystoki.conf")) == {
        "client-version": "10.4.0"}
    assert cfg.facts_for(str(tmp_path / "prod" / "new" / "Chrystoki.conf")) == {
        "client-version": "10.7"}
    assert cfg.facts_for(str(tmp_path / "lab" / "Chrystoki.conf")) == {}


def test_waiver_fields_are_read(tmp_path):
    path = write(tmp_path, "c.yaml", "waivers:\n  - rule: ha101\n    path: x/*\n"
                                     "    reason: ' why '\n    expires: 2030-02-01\n")
    (waiver,) = settings.load(str(path), KNOWN).waivers
    assert (waiver.rule, waiver.path, waiver.reason, waiver.expires, waiver.line) == (
        "HA101", "x/*", "why", datetime.date(2030, 2, 1), 2)
    assert waiver.expired(datetime.date(2030, 2, 2)) and not waiver.expired(
        datetime.date(2030, 2, 1))


@pytest.mark.parametrize("glob, path, hit", [
    ("*.conf", "a/b/Chrystoki.conf", True),
    ("a/*.conf", "a/b/Chrystoki.conf", False),
    ("a/**/*.conf", "a/Chrystoki.conf", True),
    ("a/**/*.conf", "a/b/c/Chrystoki.conf", True),
    ("a/", "a/b/Chrystoki.conf", True),
    ("./a/b/Chrystoki.conf", "a/b/Chrystoki.conf", True),
    ("a/?/x.ini", "a/bb/x.ini", False),
    ("[!x]*.ini", "crystoki.ini", True),
])
def test_glob_semantics(glob, path, hit):
    assert settings.glob_match(glob, path) is hit


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, line, words", [
    ("select: [HA\nignore: []\n", 2, "invalid YAML"),
    ("select: [HA]\n\nselekt: [SYN]\n", 3, "unknown key 'selekt'; did you mean 'select'?"),
    ("ignore:\n  - SYN005\n  - ZZZ1\n", 3, "unknown rule or rule prefix 'ZZZ1'"),
    ("level:\n  HA999: note\n", 2, "unknown rule 'HA999'"),
    ("waivers:\n  - {rule: HA1O1, path: x, reason: y}\n", 2,
     "unknown rule 'HA1O1' in a waiver; did you mean HA101?"),
    ("level:\n  HA101: loud\n", 2, "must be error, warning or note"),
    ("fail-on: sometimes\n", 1, "`fail-on` must be one of"),
    ("include: 3\n", 1, "`include` must be a list of strings"),
    ("kinds:\n  configz: ['*.j2']\n", 2, "unknown key 'configz' in `kinds`"),
    ("facts:\n  - path: a\n    firmware: 7.8.0\n", 3, "unknown fact 'firmware'"),
    ("facts:\n  - path: a\n    client-version: latest\n", 3, "must be a version"),
    ("waivers:\n  - rule: HA101\n    path: x\n", 2, "a waiver needs `reason`"),
    ("waivers:\n  - rule: HA101\n    path: x\n    reason: y\n    expires: soon\n", 5,
     "`expires` must be a date"),
    ("waivers:\n  - rule: HA101\n    path: x\n    reason: y\n    because: z\n", 5,
     "unknown key 'because' in a waiver"),
    ("- just\n- a list\n", 1, "must be a mapping"),
    ("a: !!python/object:os.system ls\n", 1, "invalid YAML"),
    ("select: [HA]\nselect: [SYN]\n", 2, "key 'select' is given twice"),
    ("waivers:\n  - {rule: HA101, path: x, reason: y, expires: 2027-13-01}\n", 2,
     "invalid YAML value: month must be in 1..12"),
    ("fail-on: !!int abc\n", 1, "invalid YAML value"),
])
def test_mistakes_exit_two_with_one_line_naming_file_and_line(tmp_path, text, line, words):
    write(tmp_path, "Chrystoki.conf", HA_ZERO)
    write(tmp_path, ".lunalint.yaml", text)
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    err = proc.stderr.strip()
    assert "\n" not in err, err
    assert err.startswith(f"lunalint: error: .lunalint.yaml:{line}: "), err
    assert words in err, err


def test_pyproject_mistakes_name_the_line(tmp_path):
    write(tmp_path, "Chrystoki.conf", HA_ZERO)
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n[tool.lunalint]\n"
                                      "select = ['HA']\nfailon = 'error'\n")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("lunalint: error: pyproject.toml:5: unknown key 'failon'; "
                                   "did you mean 'fail-on'? (known keys: select, ignore, level, "
                                   "fail-on, include, exclude, kinds, facts, waivers, embedded, "
                                   "policies, policy-files)")
    write(tmp_path, "pyproject.toml", "[tool.lunalint]\nselect = [\n")
    proc = run_cli("Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2 and "pyproject.toml:" in proc.stderr
    assert "invalid TOML" in proc.stderr and proc.stderr.count("\n") == 1


def test_missing_explicit_config_exits_two(tmp_path):
    write(tmp_path, "Chrystoki.conf", HA_ZERO)
    proc = run_cli("--config", "nope.yaml", "Chrystoki.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lunalint: error: nope.yaml: configuration file not found"


def test_list_rules_and_explain_work_with_a_broken_config(tmp_path):
    write(tmp_path, ".lunalint.yaml", "select: [\n")
    assert run_cli("--list-rules", cwd=tmp_path).returncode == 0
    assert run_cli("--explain", "HA101", cwd=tmp_path).returncode == 0


def test_empty_config_file_is_fine(tmp_path):
    write(tmp_path, "Chrystoki.conf", HA_ZERO)
    write(tmp_path, ".lunalint.yaml", "# nothing configured yet\n")
    code, doc = run_json("--select", "HA101", "Chrystoki.conf", cwd=tmp_path)
    assert (code, rules_found(doc)) == (1, ["HA101"])


def test_facts_reach_rules_through_the_context(tmp_path, monkeypatch, capsys):
    """A rule (declared here like any plugin rule) sees the client version of its file."""
    from lunalint import engine
    from lunalint.cli import _settings, build_parser
    from lunalint.findings import Level
    from lunalint.rules.base import Problem, rule

    @rule("TEST-FACTS", "facts-probe", Level.NOTE, summary="s", reference="r", fix="f")
    def probe(config, ctx):
        """Reports the client version the configuration file gives for this file."""
        facts = ctx.facts["file_facts"].facts_for(config.path)
        yield Problem(config.sections[0].header_span, facts.get("client-version", "unknown"))

    write(tmp_path, "prod/Chrystoki.conf", HA_ZERO)
    write(tmp_path, "lab/Chrystoki.conf", HA_ZERO)
    write(tmp_path, ".lunalint.yaml", "facts:\n  - {path: 'prod/*', client-version: 10.7.0}\n")
    monkeypatch.chdir(tmp_path)
    cfg = _settings(build_parser().parse_args([]), load_registry(plugins=False))
    result = engine.lint(["."], [probe], facts={"file_facts": cfg}, jobs=1)
    assert [(f.path, f.message) for f in result.findings] == [
        ("lab/Chrystoki.conf", "unknown"), ("prod/Chrystoki.conf", "10.7.0")]


def test_a_file_named_on_the_command_line_is_linted_even_if_excluded(repo):
    write(repo, ".lunalint.yaml", "exclude: [configs/]\nselect: [HA101]\n")
    code, doc = run_json("configs", cwd=repo)
    assert rules_found(doc) == []
    code, doc = run_json("configs/app/Chrystoki.conf", cwd=repo)
    assert rules_found(doc) == ["HA101"]
