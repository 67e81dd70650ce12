"""Organisation policies as data (issue 24): policies in YAML, their errors, `lunalint test`,
and what-if upgrades, all through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import run_cli, run_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "policies"
CASES = EXAMPLE / "policies" / "tests"
BUILTIN_FIXTURES = ROOT / "tests" / "fixtures" / "rules"

HA_CONF = """\
VirtualToken = {
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
   haLogStatus = disabled;
}
"""

LOG_POLICY = """\
policies:
  - id: ACME104
    title: HA logging enabled
    level: warning
    check:
      config: {section: HAConfiguration, key: haLogStatus, equals: enabled}
"""


def project(tmp_path: Path, config: str, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "proj"
    (root / "prod").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".lunalint.yaml").write_text(config, encoding="utf-8")
    (root / "prod" / "Chrystoki.conf").write_text(HA_CONF, encoding="utf-8")
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def declared() -> set[tuple[str, str, int]]:
    """(rule, path from examples/policies, line) of every finding the bad cases declare."""
    out = set()
    for expected in CASES.glob("*/expected.yaml"):
        for case, items in yaml.safe_load(expected.read_text()).items():
            for item in items:
                base = expected.parent / case
                path = base / item["path"] if "path" in item else base
                out.add((item["rule"], path.relative_to(EXAMPLE).as_posix(), item["line"]))
    return out


# --------------------------------------------------------------------------- the examples

def test_example_policies_pass_their_own_cases():
    proc = run_cli("test", cwd=EXAMPLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line.split()[:3] for line in proc.stdout.splitlines()[1:-1]]
    assert {r[0] for r in rows} == {"ACME101", "ACME102", "ACME103", "ACME104", "ACME105"}
    assert all(r[2] == "pass" for r in rows)
    assert sum(r[1].startswith("good") for r in rows) >= 5
    assert proc.stdout.splitlines()[-1] == f"{len(rows)} of {len(rows)} cases passed."


def test_example_policies_fire_exactly_on_bad_cases_through_the_cli():
    """The whole example project linted: policy findings are exactly the declared ones, none
    in a good case."""
    code, doc = run_json("--select", "ACME", ".", cwd=EXAMPLE)
    assert code == 1
    got = {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}
    assert got == declared()
    assert not any("/good" in f["path"] for f in doc["findings"])


def test_test_path_finds_the_configuration_from_the_path():
    proc = run_cli("test", "examples/policies/policies/tests/ACME105", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "2 of 2 cases passed."


def test_builtin_rule_fixtures_run_through_the_same_harness():
    proc = run_cli("test", str(BUILTIN_FIXTURES), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rules = {line.split()[0] for line in proc.stdout.splitlines()[1:-1]}
    folders = {p.name for p in BUILTIN_FIXTURES.iterdir() if p.is_dir()}
    assert rules == folders
    assert "FAIL" not in proc.stdout


def test_harness_fails_on_a_wrong_expectation_and_an_unexpected_finding(tmp_path):
    case = tmp_path / "HA101"
    shutil.copytree(BUILTIN_FIXTURES / "HA101", case)
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    expected["bad.conf"][0]["line"] += 1
    (case / "expected.yaml").write_text(yaml.safe_dump(expected))
    shutil.copy(case / "bad.conf", case / "good-but-not.conf")
    proc = run_cli("test", str(case), cwd=tmp_path)
    assert proc.returncode == 1
    rows = {line.split()[1]: line for line in proc.stdout.splitlines()[1:-1]}
    assert "FAIL" in rows["bad.conf"] and "missing HA101 at line 9" in rows["bad.conf"]
    assert "unexpected HA101 at bad.conf:8:4" in rows["bad.conf"]
    assert "FAIL" in rows["good-but-not.conf"]
    assert " pass " in rows["bad.ini"]
    assert proc.stdout.splitlines()[-1].endswith("2 failed.")


def test_harness_fails_a_folder_naming_no_rule_and_a_bad_case_without_expectations(tmp_path):
    (tmp_path / "NOPE1").mkdir()
    (tmp_path / "NOPE1" / "bad.conf").write_text("HAConfiguration = {\n}\n")
    (tmp_path / "HA101").mkdir()
    shutil.copy(BUILTIN_FIXTURES / "HA101" / "bad.conf", tmp_path / "HA101" / "bad.conf")
    proc = run_cli("test", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    row = next(line for line in proc.stdout.splitlines() if line.startswith("NOPE1"))
    assert row.split()[:3] == ["NOPE1", "-", "FAIL"] and "no rule or policy has this id" in row
    assert "no findings declared for it in expected.yaml" in proc.stdout


def test_a_folder_called_test_is_linted_as_dot_slash_test(tmp_path):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "Chrystoki.conf").write_text(HA_CONF)
    code, doc = run_json("./test", cwd=tmp_path)
    assert code == 1 and any(f["rule"] == "HA101" for f in doc["findings"])
    assert run_cli("test", cwd=tmp_path).returncode == 2  # the subcommand: no policies/tests


# --------------------------------------------------------------------------- behaviour

def test_policy_findings_behave_like_built_in_ones(tmp_path):
    """Levels from `level:`, inline suppressions, waivers and baselines name policy ids;
    --list-rules and --explain show them."""
    root = project(tmp_path, LOG_POLICY + "level: {ACME104: error}\n")
    code, doc = run_json(".", cwd=root)
    mine = [f for f in doc["findings"] if f["rule"] == "ACME104"]
    assert [(f["path"], f["line"], f["column"], f["level"]) for f in mine] == [
        ("prod/Chrystoki.conf", 12, 4, "error")]
    assert mine[0]["message"] == ("HA logging enabled: `haLogStatus` in `HAConfiguration` is "
                                  "`disabled`, not `enabled`")
    assert any(f["rule"] == "HA101" for f in doc["findings"])  # built-ins still run
    assert mine[0].get("fix") is None

    listed = run_cli("--list-rules", cwd=root).stdout
    assert "ACME104" in listed and "HA logging enabled" in listed
    explained = run_cli("--explain", "ACME104", cwd=root)
    assert explained.returncode == 0
    assert "# ACME104: HA logging enabled" in explained.stdout
    assert "`haLogStatus` in `HAConfiguration` is `enabled`" in explained.stdout
    assert "**Fix:** none" in explained.stdout

    assert run_cli("--write-baseline", "base.json", ".", cwd=root).returncode in (0, 1)
    code, doc = run_json("--baseline", "base.json", ".", cwd=root)
    assert not [f for f in doc["findings"] if f["rule"] == "ACME104"
                and f.get("suppression") is None]

    text = HA_CONF.replace("   haLogStatus = disabled;",
                           "   # lunalint: ignore[ACME104] logging goes to syslog here\n"
                           "   haLogStatus = disabled;")
    (root / "prod" / "Chrystoki.conf").write_text(text)
    code, doc = run_json(".", cwd=root)
    assert not [f for f in doc["findings"] if f["rule"] == "ACME104"]


def test_templated_values_are_unknown_never_passing(tmp_path):
    template = HA_CONF.replace("haLogStatus = disabled", "haLogStatus = {{ .Values.haLog }}")
    root = project(tmp_path, LOG_POLICY.replace("level: warning", "level: error"),
                   {"prod/Chrystoki.conf.tmpl": template})
    (root / "prod" / "Chrystoki.conf").unlink()
    code, doc = run_json(".", cwd=root)
    mine = [f for f in doc["findings"] if f["rule"] == "ACME104"]
    assert len(mine) == 1, doc["findings"]
    assert "cannot be checked" in mine[0]["message"]
    assert "template placeholder" in mine[0]["message"]
    assert mine[0]["level"] == "warning"  # like the built-ins on templates: never an error


def test_scope_when_and_combinations(tmp_path):
    config = """\
policies:
  - id: ACME201
    title: Production needs HAOnly
    scope: {paths: ["prod/"]}
    when: {config: {section: VirtualToken, key: VirtualToken00Members, present: true}}
    check:
      any:
        - config: {section: HAConfiguration, key: HAOnly, equals: 1}
        - not: {config: {section: HAConfiguration, key: reconnAtt, at-least: -1}}
"""
    lab = HA_CONF  # the same file outside prod/: out of scope
    root = project(tmp_path, config, {"lab/Chrystoki.conf": lab,
                                      "prod/other/Chrystoki.conf": "Luna = {\n}\n"})
    code, doc = run_json("--select", "ACME", ".", cwd=root)
    assert [(f["rule"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("ACME201", "prod/Chrystoki.conf", 10), ("ACME201", "prod/Chrystoki.conf", 11)]
    assert "which the policy forbids" in doc["findings"][1]["message"]


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize(("policy", "message"), [
    ("  - id: ACME1\n    title: t\n    check: {firmwre: {at-least: \"7.8.4\"}}\n",
     "policies.yaml:4: policy ACME1: unknown check 'firmwre'; did you mean 'firmware'? "
     "(known: config, partition-policy, hsm-policy, client-version, firmware, group, all, "
     "any, not)"),
    ("  - id: ACME1\n    title: t\n    check:\n      group: {members-at-least: two}\n",
     "policies.yaml:5: policy ACME1: `members-at-least` takes a number, not 'two'"),
    ("  - id: ACME1\n    title: t\n    check:\n      config: {section: Luna, key: A, "
     "at-least: \"5\"}\n",
     "policies.yaml:5: policy ACME1: `at-least` takes a number, not '5' (write it without "
     "quotes)"),
    ("  - id: HA999\n    title: t\n    check: {firmware: {below: \"8.0.0\"}}\n",
     "policies.yaml:2: policy HA999: ids starting with HA belong to lunalint's own rules; use "
     "your team's prefix (e.g. ACME101)"),
    ("  - id: ACME1\n    title: t\n    check: {firmware: {below: \"8.0.0\"}}\n"
     "  - id: acme1\n    title: u\n    check: {firmware: {below: \"9.0.0\"}}\n",
     "policies.yaml:5: policy id ACME1 is already defined at policies/policies.yaml:2; give each "
     "policy its own id"),
    ("  - id: ACME1\n    title: t\n    check: {hsm-policy: {\"Allow Clonning\": 1}}\n",
     "policies.yaml:4: policy ACME1: unknown hsm policy 'Allow Clonning'; did you mean "
     "'Allow Cloning'? (or give its number)"),
    ("  - id: ACME1\n    title: t\n    check: {client-version: {at-least: 10.10}}\n",
     "policies.yaml:4: policy ACME1: client-version at-least must be a version in quotes: "
     "10.10 reads as a number; write \"10.10\""),
    ("  - id: ACME1\n    title: t\n    levl: error\n    check: {firmware: {below: \"8\"}}\n",
     "policies.yaml:4: policy ACME1: unknown key 'levl'; did you mean 'level'? (known: id, "
     "title, level, why, link, scope, when, check)"),
    ("  - id: ACME1\n    title: t\n    check:\n      all:\n        - firmware: {below: \"8\"}\n"
     "        - config: {section: Luna, key: DefaultTimeOut, present: true}\n",
     "policies.yaml:7: policy ACME1: a policy about groups, members or versions reads only the "
     "sections VirtualToken, HAConfiguration and Secure Trusted Channel, not 'Luna'; put the "
     "`config` check in a policy of its own"),
])
def test_a_bad_policy_is_one_line_with_its_position_and_never_stops_the_rest(
        tmp_path, policy, message):
    good = ("  - id: ACME9\n    title: HA logging enabled\n    check:\n      config: {section: "
            "HAConfiguration, key: haLogStatus, equals: enabled}\n")
    root = project(tmp_path, "policy-files: [\"policies/*.yaml\"]\n",
                   {"policies/policies.yaml": "policies:\n" + policy,
                    "policies/more.yaml": good})
    proc = run_cli("--format", "json", ".", cwd=root)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("lunalint: error:")]
    assert errors == [f"lunalint: error: policies/{message}"]
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"]}
    assert {"HA101", "ACME9"} <= rules  # the built-ins and the good policy still ran


def test_scope_glob_matching_nothing_is_named_with_a_did_you_mean(tmp_path):
    root = project(tmp_path, LOG_POLICY.replace("    level: warning\n",
                                                "    level: warning\n    scope: "
                                                "{paths: [\"production/**\"]}\n"))
    proc = run_cli(".", cwd=root)
    assert ("lunalint: warning: .lunalint.yaml:5: policy ACME104: scope glob 'production/**' "
            "matches no file linted; did you mean 'prod/**'?") in proc.stderr.splitlines()


def test_policy_files_stay_inside_the_project(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "p.yaml").write_text(LOG_POLICY)
    root = project(tmp_path, "policy-files: [\"../elsewhere/*.yaml\", \"links/*.yaml\"]\n")
    (root / "links").mkdir()
    os.symlink(outside / "p.yaml", root / "links" / "p.yaml")
    proc = run_cli("--format", "json", ".", cwd=root)
    assert proc.returncode == 2
    assert ".lunalint.yaml:1: `policy-files` glob '../elsewhere/*.yaml' matches no file in " \
           "the project" in proc.stderr
    assert "'links/*.yaml' matches no file in the project" in proc.stderr
    assert "ACME104" not in proc.stdout


# --------------------------------------------------------------------------- what-if

def test_what_if_names_the_clients_a_79_firmware_upgrade_leaves_behind():
    code, doc = run_json("--target-firmware", "7.9.0", "--select", "VER201", "examples/",
                         cwd=ROOT)
    assert doc["summary"]["what_if"] == {"firmware": {"*": "7.9.0"}}
    behind = {(f["message"].split("`")[1], f["message"].split("the client is ")[1].split()[0])
              for f in doc["findings"]}
    assert behind == {('"legacy"', "10.3.0"), ("payments", "10.4.0")}
    assert all("would run firmware 7.9.0 (what-if; now 7." in f["message"]
               and "needs HSM Client 10.8.0 or newer" in f["message"] for f in doc["findings"])
    # without the what-if the payments client is fine for its firmware
    code, now = run_json("--select", "VER201", "examples/", cwd=ROOT)
    assert {f["message"].split("`")[1] for f in now["findings"]} == {'"legacy"'}
    assert "what_if" not in now["summary"]
    # upgrading the clients first clears them
    code, after = run_json("--target-firmware", "7.9.0", "--target-client", "10.8.0",
                           "--select", "VER201", "examples/", cwd=ROOT)
    assert after["findings"] == []


def test_what_if_by_serial_and_in_the_text_summary_and_version_policies():
    proc = run_cli("--target-firmware", "1541234567001=7.9.0", "--select", "VER201,VER202",
                   "examples/payments", cwd=ROOT)
    assert proc.stdout.rstrip().endswith("What-if run: as if 1541234567001 ran 7.9.0.")
    assert "member 1541234567001 of group `payments` would run firmware 7.9.0" in proc.stdout
    assert "member 1541234567002" not in proc.stdout.split("VER202")[0]
    code, doc = run_json("--target-firmware", "7.8.4", "--select", "ACME102", ".",
                         cwd=EXAMPLE)
    assert doc["findings"] == []  # every member would run 7.8.4: the firmware policy holds
    bad = run_cli("--target-firmware", "seven", ".", cwd=EXAMPLE)
    assert bad.returncode == 2 and "expected a version like 7.9.0" in bad.stderr


def test_hostile_policy_files_are_refused_in_one_line(tmp_path):
    """A policy file is as untrusted as the configuration: the same bounded loader (an alias
    bomb is refused before it expands), regular expressions that could backtrack for ever
    are refused, and the built-ins still run."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    redos = ("- id: ACME2\n  title: t\n  check:\n    config: {section: HAConfiguration, "
             "key: haLogPath, matches: \"(a+)+$\"}\n")
    root = project(tmp_path, "policy-files: [\"policies/*.yaml\"]\n",
                   {"policies/bomb.yaml": bomb, "policies/redos.yaml": redos})
    proc = run_cli("--format", "json", ".", cwd=root)
    assert proc.returncode == 2
    errors = sorted(line for line in proc.stderr.splitlines() if "error:" in line)
    assert len(errors) == 2, proc.stderr
    assert errors[0].startswith("lunalint: error: policies/bomb.yaml:4: invalid YAML: aliases "
                                "expand to more than 10000 values")
    assert errors[1] == ("lunalint: error: policies/redos.yaml:4: policy ACME2: `matches` "
                         "patterns must be under 200 characters without nested repetition "
                         "like (a+)+")
    assert "HA101" in {f["rule"] for f in json.loads(proc.stdout)["findings"]}


def test_level_or_waiver_naming_a_broken_policy_keeps_the_configuration(tmp_path):
    config = LOG_POLICY.replace("equals: enabled", "equals: [enabled]") + \
        "level: {ACME104: error}\n"
    root = project(tmp_path, config)
    proc = run_cli(".", cwd=root)
    assert proc.returncode == 2
    # (the run's own "N fixable with ..." hint may follow; the policy error is the only error)
    assert [line for line in proc.stderr.splitlines() if "fixable with" not in line] == [
        "lunalint: error: .lunalint.yaml:6: policy ACME104: `equals` compares with a value "
        "(text or number), not a list"]
    assert "HA101" in proc.stdout


def test_markdown_summary_says_what_if():
    proc = run_cli("--format", "markdown", "--target-firmware", "7.9.0", "examples/payments",
                   cwd=ROOT)
    assert "What-if run: as if members ran firmware 7.9.0 · " in proc.stdout, proc.stdout


def test_a_templated_member_list_is_unknown_for_group_checks(tmp_path):
    """As in real Helm charts: `VirtualToken00Members = {{ .Values.hsm.serialNumber }};`."""
    config = """\
policies:
  - id: ACME301
    title: Groups have two members
    level: error
    check: {group: {members-at-least: 2}}
"""
    template = HA_CONF.replace("1541234567001, 1541234567002", "{{ .Values.hsm.serial }}")
    root = project(tmp_path, config, {"prod/Chrystoki.conf.tmpl": template})
    (root / "prod" / "Chrystoki.conf").unlink()
    code, doc = run_json("--select", "ACME", ".", cwd=root)
    assert [(f["line"], f["level"]) for f in doc["findings"]] == [(4, "warning")]
    assert "cannot be checked" in doc["findings"][0]["message"]


def test_policies_in_pyproject_toml_name_their_line(tmp_path):
    root = project(tmp_path, "")
    (root / ".lunalint.yaml").unlink()
    (root / "pyproject.toml").write_text(
        "[tool.lunalint]\n\n[[tool.lunalint.policies]]\nid = \"ACME1\"\ntitle = \"Logs\"\n"
        "check = {config = {section = \"HAConfiguration\", key = \"haLogStatus\", "
        "equals = \"enabled\"}}\n\n[[tool.lunalint.policies]]\nid = \"ACME2\"\ntitle = \"t\"\n"
        "check = {firmwre = {at-least = \"7.8.4\"}}\n")
    proc = run_cli("--select", "ACME", ".", cwd=root)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0].startswith(
        "lunalint: error: pyproject.toml:11: policy ACME2: unknown check 'firmwre'")
    assert "prod/Chrystoki.conf:12:4: warning ACME1 Logs:" in proc.stdout


def _worker_rules() -> list[str]:
    from lunalint import engine

    return [r.id for r in engine._WORKER["rules"]]


def test_policy_rules_travel_to_spawned_workers():
    """Where workers are spawned, not forked (macOS, Windows), they load rules by id from
    the registry, which has no policies: policy rules travel as they are (picklable)."""
    import multiprocessing

    from lunalint import engine, settings
    from lunalint.registry import load_registry

    registry = load_registry(plugins=False)
    cfg = settings.load(str(EXAMPLE / ".lunalint.yaml"), list(registry.rules))
    rules = registry.add_policies(cfg.policies) + [registry.rules["HA101"]]
    plan = engine.plan_for(rules)
    portable = tuple(r for r in rules if getattr(r, "portable", False))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, engine._init_worker, ([r.id for r in rules], {}, plan, portable)) as pool:
        got = pool.apply(_worker_rules)
    assert got == [r.id for r in rules]
