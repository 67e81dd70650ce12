"""A large run links its project part by part (issue 21, memory): files that linking does not
join are linked and checked one part at a time, and what the rules read of the whole project
(HA113: some capture exists; HA117: some configuration enables HA-only or STC; HA114-HA116:
every configuration that defines a listed group, whatever part it is in) is worked out for
the whole project first. Every report here is rendered both ways through ``main()`` and must
be the same, byte for byte; each project is built so that the fact a part alone would get
wrong decides a finding."""

from __future__ import annotations

import json

import pytest

from lunalint import engine
from lunalint.cli import main
from lunalint.workspace import Linker, Parts

from .conftest import SAMPLES

CONF = (SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8")
LUNACM = (SAMPLES / "lunacm-session.txt").read_text(encoding="utf-8")
LUNASH = (SAMPLES / "lunash-hsm-showpolicies.txt").read_text(encoding="utf-8")
SCRIPT = ('#!/bin/sh\nlunacm -c "hagroup createGroup -label payments -serialNumber '
          '1238696044 -password $PW"\n')


def own(text: str, n: int) -> str:
    """``text`` with the serials of site ``n`` (sites share no member, HSM or group serial;
    they do share the group label `payments`, as the bench estate's sites do)."""
    return text.replace("1541234", f"{3000000 + n:07d}")


def site(root, n: int, conf: str | None = CONF, capture: str | None = LUNACM,
         lunash: str | None = None, script: str | None = None) -> None:
    folder = root / f"site-{n:02d}"
    folder.mkdir(parents=True)
    for name, text in (("Chrystoki.conf", conf), ("members.lunacm.txt", capture),
                       ("hsm.lunash.txt", lunash), ("setup.sh", script)):
        if text is not None:
            (folder / name).write_text(own(text, n), encoding="utf-8")


def render(root, monkeypatch, capsys, parts: bool, fmt: str = "sarif",
           extra: tuple = ()) -> tuple[str, list[int]]:
    """The report of ``root`` linked part by part (``parts``) or whole, and the size of each
    part linked (none when linked whole)."""
    monkeypatch.chdir(root)
    monkeypatch.setattr(engine, "COMPACT_BYTES", 0)  # (the run is "large": kept compactly)
    monkeypatch.setattr(engine, "BY_PARTS", parts)
    sizes: list[int] = []
    real = Parts.link
    monkeypatch.setattr(Parts, "link", lambda self, part: sizes.append(len(part))
                        or real(self, part))
    main(["--no-cache", "--select", "ALL", "--format", fmt, "--fail-on", "never",
          "--jobs", "1", *extra, "."])
    return capsys.readouterr().out, sizes


def both(root, monkeypatch, capsys, fmt: str = "sarif", extra: tuple = ()) -> tuple[str, list]:
    whole, none = render(root, monkeypatch, capsys, False, fmt, extra)
    assert none == []
    by_parts, sizes = render(root, monkeypatch, capsys, True, fmt, extra)
    assert by_parts == whole
    return whole, sizes


def findings(out: str) -> list[dict]:
    return json.loads(out)["findings"] if out.lstrip().startswith("{") else []


def rules_of(sarif: str) -> list[tuple[str, str, str]]:
    """(rule, file, level) of each result of a SARIF report."""
    run = json.loads(sarif)["runs"][0]
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["level"]) for r in run["results"]]


def test_sites_are_linked_one_at_a_time_and_report_the_same(tmp_path, monkeypatch, capsys):
    # Sites that differ in what the linking rules look at: firmware, policies, live state,
    # HA-only, STC, HSM policies from LunaSH.
    site(tmp_path, 1)
    site(tmp_path, 2, capture=LUNACM.replace("Firmware Version ->     7.7.1\n        Boot",
                                             "Firmware Version ->     7.4.2\n        Boot", 1)
         .replace("Only Show HA Slots:  yes", "Only Show HA Slots:  no")
         .replace("37: Force Secure Trusted Channel : 0", "37: Force Secure Trusted Channel : 1"))
    site(tmp_path, 3, conf=CONF.replace("HAOnly = 1;", "HAOnly = 0;"),
         capture=LUNACM.replace("pay-b     alive", "pay-b     down")
         .replace("Needs sync:  no", "Needs sync:  yes")
         .replace("HA auto recovery:  enabled", "HA auto recovery:  disabled"),
         lunash=LUNASH.replace("Allow cloning                            On",
                               "Allow cloning                            Off"))
    site(tmp_path, 4, conf=CONF + "\nSecure Trusted Channel = {\n   ClientIdentitiesDir = x;\n}\n",
         capture=None)
    site(tmp_path, 5, conf=None, capture=LUNACM.replace("Maximum auto recovery retry:  500",
                                                        "Maximum auto recovery retry:  0"))
    for fmt in ("sarif", "json"):
        out, sizes = both(tmp_path, monkeypatch, capsys, fmt)
        assert len(sizes) == 5 and sum(sizes) == 9, sizes  # one part a site
    for what_if in (("--target-firmware", "6.2.0"), ("--target-firmware", "3000002567002=7.9.0",
                                                     "--target-client", "10.2.0")):
        out, sizes = both(tmp_path, monkeypatch, capsys, "json", what_if)
        assert len(sizes) == 5 and "would run firmware" in out
    seen = {rule for rule, _, _ in rules_of(render(tmp_path, monkeypatch, capsys, True)[0])}
    assert {"HA101", "HA113", "HA114", "HA115", "HA116", "VER203", "POL305"} <= seen, seen


POLICIES = """\
policies:
  - id: ACME1
    title: Members run 7.7 or later
    level: error
    check: {firmware: {at-least: "7.7.0"}}
  - id: ACME2
    title: Groups have three members
    check: {group: {members-at-least: 3}}
  - id: ACME3
    title: Members deny key wrapping
    check: {partition-policy: {1: 0}}
"""


def test_organisation_policies_see_one_group_at_a_time(tmp_path, monkeypatch, capsys):
    site(tmp_path, 1)
    site(tmp_path, 2, capture=LUNACM.replace("Firmware Version ->     7.7.1\n        Boot",
                                             "Firmware Version ->     7.4.2\n        Boot", 1)
         .replace("1: Allow private key wrapping : 0", "1: Allow private key wrapping : 1"))
    site(tmp_path, 3, conf=None)
    (tmp_path / ".lunalint.yaml").write_text(POLICIES, encoding="utf-8")
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert len(sizes) == 3
    assert {"ACME1", "ACME2", "ACME3"} <= {r[0] for r in rules_of(out)}


def test_ha113_knows_a_capture_in_another_part(tmp_path, monkeypatch, capsys):
    """HA113 says nothing in a project without captures; a capture anywhere in the project
    makes the members no capture shows worth a note, also in a site with none of its own."""
    site(tmp_path, 1, capture=None)
    site(tmp_path, 2, conf=None)
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert len(sizes) == 2
    assert ("HA113", "site-01/Chrystoki.conf", "note") in rules_of(out)


@pytest.mark.parametrize("other, fires, level", [
    (CONF, False, None),  # another site's client sets HAOnly = 1: HA117 says nothing
    (CONF.replace("HAOnly = 1;", "HAOnly = 0;"), True, "warning"),
    (CONF.replace("HAOnly = 1;", "HAOnly = 0;")
     + "\nSecure Trusted Channel = {\n   ClientIdentitiesDir = x;\n}\n", True, "error"),
])
def test_ha117_reads_every_configuration_of_the_project(tmp_path, monkeypatch, capsys, other,
                                                        fires, level):
    site(tmp_path, 1, conf=None, capture=None, script=SCRIPT)
    site(tmp_path, 2, conf=other, capture=None)
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert len(sizes) == 2
    found = [r for r in rules_of(out) if r[0] == "HA117"]
    assert found == ([("HA117", "site-01/setup.sh", level)] if fires else [])


def test_a_listing_is_every_definition_of_its_label_in_the_project(tmp_path, monkeypatch,
                                                                   capsys):
    """HA114's level and HA114-HA116's related locations come from every configuration
    defining the listed label, whatever part it is in: here the only client using STC and
    the other definitions of `payments` are in other sites."""
    site(tmp_path, 1, conf=None, capture=LUNACM.replace("Only Show HA Slots:  yes",
                                                        "Only Show HA Slots:  no")
         .replace("pay-b     alive", "pay-b     down"))
    site(tmp_path, 2, capture=None,
         conf=CONF + "\nSecure Trusted Channel = {\n   ClientIdentitiesDir = x;\n}\n")
    site(tmp_path, 3, capture=None)
    out, sizes = both(tmp_path, monkeypatch, capsys, "json")
    assert len(sizes) == 3
    live = [f for f in findings(out) if f["rule"] in ("HA114", "HA116")]
    assert {f["rule"] for f in live} == {"HA114", "HA116"}
    for f in live:
        assert {r["path"] for r in f["related"]} == {"site-02/Chrystoki.conf",
                                                     "site-03/Chrystoki.conf"}
    assert [f["level"] for f in live if f["rule"] == "HA114"] == ["error"]


def test_a_member_forcing_stc_in_another_part_makes_the_listing_an_error(tmp_path, monkeypatch,
                                                                          capsys):
    site(tmp_path, 1, conf=None, capture=LUNACM.replace("Only Show HA Slots:  yes",
                                                        "Only Show HA Slots:  no"))
    site(tmp_path, 2, capture=LUNACM.replace("37: Force Secure Trusted Channel : 0",
                                             "37: Force Secure Trusted Channel : 1"))
    out, sizes = both(tmp_path, monkeypatch, capsys, "json")
    assert len(sizes) == 2
    assert [f["level"] for f in findings(out) if f["rule"] == "HA114"] == ["error"]


def test_a_listing_claimed_by_a_configuration_in_another_part_is_no_group_of_its_own(
        tmp_path, monkeypatch, capsys):
    """The first listing of a label is the status of every configuration's group with that
    label, so it is not also a group of its own; its members' firmware differs here, which
    only a group built from the listing would report (VER203)."""
    site(tmp_path, 1, capture=None)
    site(tmp_path, 2, conf=None, capture=LUNACM.replace(
        "Firmware Version ->     7.7.1\n        Boot", "Firmware Version ->     7.4.2\n        Boot",
        1))
    site(tmp_path, 3, conf=None, capture=LUNACM.replace(
        "Firmware Version ->     7.7.1\n        Boot", "Firmware Version ->     7.4.2\n        Boot",
        1))
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert len(sizes) == 3
    # site 2's listing is claimed by site 1's configuration; site 3's is a group of its own
    assert [r[1] for r in rules_of(out) if r[0] == "VER203"] == ["site-03/members.lunacm.txt"]


def test_an_hsm_owns_the_serials_it_prefixes_whatever_file_shows_it(tmp_path, monkeypatch,
                                                                     capsys):
    site(tmp_path, 1, capture=None)
    site(tmp_path, 2, conf=None, capture=None,
         lunash=own(LUNASH, 1).replace("Allow network replication                On",
                                       "Allow network replication                Off"))
    site(tmp_path, 3)
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert sizes == [2, 2]  # site 1's configuration with site 2's HSM
    assert ("POL305", "site-02/hsm.lunash.txt", "error") in rules_of(out)


def test_the_last_record_of_a_serial_wins_across_files(tmp_path, monkeypatch, capsys):
    site(tmp_path, 1, capture=None)
    first = own(LUNACM, 1).replace("Firmware Version ->     7.7.1\n        Boot",
                                   "Firmware Version ->     7.4.2\n        Boot", 1)
    (tmp_path / "site-01" / "a.lunacm.txt").write_text(first, encoding="utf-8")
    (tmp_path / "site-01" / "b.lunacm.txt").write_text(
        first.replace("7.4.2", "7.8.0"), encoding="utf-8")
    site(tmp_path, 2)
    out, sizes = both(tmp_path, monkeypatch, capsys, "json")
    assert sorted(sizes) == [2, 3]
    messages = [f["message"] for f in findings(out) if f["rule"] == "VER202"]
    assert messages and all("7.8.0" in m for m in messages) and not any("7.4.2" in m
                                                                        for m in messages)


def test_a_project_joined_into_one_part(tmp_path, monkeypatch, capsys):
    shared = ", 1999999999999"  # every site's group lists this member too
    for n in range(1, 5):
        site(tmp_path, n, conf=CONF.replace("1541234567002;", "1541234567002" + shared + ";"))
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert sizes == [8]


def test_files_with_nothing_to_join(tmp_path, monkeypatch, capsys):
    bare = "Chrystoki2 = {\n   LibUNIX = /usr/lib/libCryptoki2.so;\n}\n"
    banner = "LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.\n"
    site(tmp_path, 1, conf=bare, capture=banner)
    site(tmp_path, 2)
    out, sizes = both(tmp_path, monkeypatch, capsys)
    assert sorted(sizes) == [1, 1, 2]


def test_a_part_that_cannot_be_linked_costs_only_its_own_findings(tmp_path, monkeypatch,
                                                                   capsys):
    """Linking fails for site 2 only: its part gives the link stage's internal finding (on
    its first file); the other sites' linking findings and every per-file finding stay. Linked
    whole, the same failure gives that one finding in place of every linking finding, as
    before."""
    for n in (1, 2, 3):
        site(tmp_path, n, conf=CONF.replace("HAOnly = 1;", "HAOnly = 0;"),
             capture=LUNACM.replace("pay-b     alive", "pay-b     down"))
    healthy = rules_of(render(tmp_path, monkeypatch, capsys, True)[0])
    real = Linker.add

    def add(self, f):
        if f.path.startswith("site-02/"):
            raise RuntimeError("cannot link this")
        return real(self, f)

    monkeypatch.setattr(Linker, "add", add)
    out, sizes = render(tmp_path, monkeypatch, capsys, True)
    got = rules_of(out)
    internal = [r for r in got if r[0] == engine.INTERNAL_RULE]
    assert internal == [(engine.INTERNAL_RULE, "site-02/Chrystoki.conf", "error")]
    assert [r for r in got if r[0] != engine.INTERNAL_RULE] == [
        r for r in healthy if not (r[1].startswith("site-02/") and r[0] in engine.PART_RULES)]
    assert any(r[0] == "HA116" and r[1].startswith("site-03/") for r in got)
    whole = rules_of(render(tmp_path, monkeypatch, capsys, False)[0])
    assert [r for r in whole if r[0] == engine.INTERNAL_RULE] == [
        (engine.INTERNAL_RULE, "site-01/Chrystoki.conf", "error")]
    assert not any(r[0] in ("HA101", "HA116") for r in whole)


def test_a_rule_failing_in_several_parts_is_reported_once(tmp_path, monkeypatch, capsys):
    from lunalint.rules import versions

    for n in (1, 2, 3):
        site(tmp_path, n, capture=LUNACM.replace(
            "Firmware Version ->     7.7.1\n        Boot",
            "Firmware Version ->     7.8.0\n        Boot", 1))
    healthy = rules_of(render(tmp_path, monkeypatch, capsys, True)[0])
    assert sum(r[0] == "VER202" for r in healthy) == 3
    real = versions.odd_ones

    def odd_ones(items, newest=None):
        if any(m.serial.startswith(("3000001", "3000002")) for m, _ in items):  # sites 1, 2
            raise RuntimeError("odd")
        return real(items, newest)

    monkeypatch.setattr(versions, "odd_ones", odd_ones)
    got = rules_of(render(tmp_path, monkeypatch, capsys, True)[0])
    assert [r for r in got if r[0] == engine.INTERNAL_RULE] == [
        (engine.INTERNAL_RULE, "site-01/Chrystoki.conf", "error")]
    assert [r[1] for r in got if r[0] == "VER202"] == ["site-03/members.lunacm.txt"]


def test_every_linking_rule_of_lunalint_was_audited_for_parts():
    """A linking rule is linked part by part only once it is named in engine.PART_RULES
    (read it for anything global first: counting across the project, comparing with other
    groups, reading every capture or configuration)."""
    from lunalint.registry import load_registry

    own_rules = [r for r in load_registry(plugins=False).rules.values()
                 if r.needs_workspace and r.origin == "lunalint"]
    assert own_rules and {r.id for r in own_rules} == engine.PART_RULES


def test_only_audited_rules_and_policies_see_parts():
    from dataclasses import replace as _replace

    from lunalint.registry import load_registry

    rules = [r for r in load_registry(plugins=False).rules.values() if r.needs_workspace]
    assert engine.by_parts(rules)
    plugin = _replace(rules[0], origin="plugin example") if hasattr(
        rules[0], "__dataclass_fields__") else None
    if plugin is None:
        from lunalint import record as records

        plugin = records.replace(rules[0], origin="plugin example")
    assert not engine.by_parts([*rules, plugin])


def test_an_audit_report_links_the_whole_project(tmp_path, monkeypatch, capsys):
    site(tmp_path, 1)
    site(tmp_path, 2)
    _, sizes = render(tmp_path, monkeypatch, capsys, True, "json",
                      ("--format", "html", "-o", str(tmp_path / "audit.html")))
    assert sizes == []


def test_files_kept_for_their_part_read_back_as_they_were_given(tmp_path):
    """Parts keeps each file's facts compressed (after the first few) until its part is
    linked, and gives them back whole, in the order the files came."""
    from lunalint import facts as factsmod
    from lunalint.readers.config import read_config
    from lunalint.readers.export import read_export
    from lunalint.redact import secrets_of

    given = []
    for n in range(factsmod.FilePacker.SAMPLES + 4):
        for doc in (read_config(f"site-{n}/Chrystoki.conf", own(CONF, n)),
                    read_export(f"site-{n}/members.lunacm.txt", own(LUNACM, n))):
            given.append(factsmod.of(doc, secrets_of(doc)))
    parts = Parts()
    for f in given:
        parts.add(f)
    assert all(isinstance(kept, bytes) for kept in parts._kept)
    assert parts._kept[-1][:1] == b"\xff" and parts._kept[0][:1] != b"\xff"
    found = parts.parts()
    assert found == [[2 * n, 2 * n + 1] for n in range(len(given) // 2)]
    linked = []
    real = Linker.add
    try:
        Linker.add = lambda self, f: linked.append(f) or real(self, f)
        for part in found:
            parts.link(part)
    finally:
        Linker.add = real
    assert [(f.path, f.kind) for f in linked] == [(f.path, f.kind) for f in given]
    for got, want in zip(linked, given):
        want.lines = {}  # (the link stage reads lines from the excerpts, not from facts)
        assert got == want


def test_when_the_parts_cannot_be_worked_out_the_link_stage_says_so_once(tmp_path, monkeypatch,
                                                                         capsys):
    for n in (1, 2):  # (a TAB: a per-file finding, SYN002)
        site(tmp_path, n, conf=CONF.replace("   HAOnly = 1;", "\tHAOnly = 0;"))

    def broken(self):
        raise RuntimeError("no parts")

    monkeypatch.setattr(Parts, "_project", broken)
    got = rules_of(render(tmp_path, monkeypatch, capsys, True)[0])
    assert [r for r in got if r[0] == engine.INTERNAL_RULE] == [
        (engine.INTERNAL_RULE, "site-01/Chrystoki.conf", "error")]
    assert not any(r[0] in engine.PART_RULES for r in got)
    assert [r[1] for r in got if r[0] == "SYN002"] == ["site-01/Chrystoki.conf",
                                                       "site-02/Chrystoki.conf"]


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_the_examples_render_the_same_linked_part_by_part(monkeypatch, capsys, fmt):
    """The bundled examples: templates, hosts with several parts (runbooks, scripts, charts),
    captures of every kind, organisation policies; several parts, one of them large."""
    from pathlib import Path

    from .test_golden_output import GOLDEN

    examples = Path(__file__).resolve().parent.parent / "examples"
    out, sizes = both(examples, monkeypatch, capsys, fmt)
    assert len(sizes) > 1
    assert out.encode("utf-8") == (GOLDEN / f"examples.{fmt}").read_bytes()


VARIANTS = CONF.replace("VirtualToken = {", "virtualtoken = {\n   virtualtoken01label = two;\n"
                        "   VirtualToken01Members = ,1541234567009 , ;\n"
                        "   VirtualToken02SN = 99;\n   VirtualToken00Members = 1541234567003;") \
    .replace("HAOnly = 1;", "HAOnly = \"1\";\n   haonly = 0;") + (
    "\nHAConfiguration = {\n   HAONLY = '1' ;\n}\n\nVirtualToken = {\n"
    "   VirtualToken00Label = again;\n   VirtualToken03StandbyMembers = 1541234567004;\n}\n"
    "\nsecure trusted channel = {\n   x = 1;\n}\n")


@pytest.mark.parametrize("where", ["examples", "variants"])
def test_groups_read_from_facts_are_the_configurations_groups(tmp_path, monkeypatch, capsys,
                                                               where):
    """What Parts reads of each configuration without building it (plain_groups) is what
    the model's ha_groups, sets_ha_only and has_stc give on the configuration."""
    from pathlib import Path

    from lunalint import facts as factsmod
    from lunalint.model.config import ha_groups
    from lunalint.workspace import has_stc, plain_groups, sets_ha_only

    checked = []
    real = Parts._keys

    def keys(self, i, f):
        if f.kind == "config":
            config = factsmod.config_of(f)
            want = [(d.label.value if d.label is not None else None,
                     d.sn.value if d.sn is not None else None,
                     (d.label or d.anchor_entry).span,
                     [s.text.strip() for s in d.member_serials],
                     [s.text.strip() for s in d.standby_serials]) for d in ha_groups(config)]
            groups, ha_only, stc = plain_groups(f.sections)
            assert [(a, b, factsmod.span(c), d, e) for a, b, c, d, e in groups] == want
            assert (ha_only, stc) == (sets_ha_only(config), has_stc(config))
            checked.append((bool(want), ha_only, stc))
        return real(self, i, f)

    monkeypatch.setattr(Parts, "_keys", keys)
    if where == "examples":
        root = Path(__file__).resolve().parent.parent / "examples"
    else:
        root = tmp_path
        for n, text in enumerate((VARIANTS, VARIANTS.replace("HAONLY = '1' ;", "HAOnly = 2;"),
                                  (SAMPLES / "crystoki.ini").read_text(encoding="utf-8"))):
            site(tmp_path, n, conf=text, capture=None)
            if n == 2:
                (tmp_path / f"site-{n:02d}" / "Chrystoki.conf").rename(
                    tmp_path / f"site-{n:02d}" / "crystoki.ini")
    render(root, monkeypatch, capsys, True)
    assert {True} == {c[0] for c in checked} or where == "examples"
    assert {c[1] for c in checked} == {True, False} and True in {c[2] for c in checked} \
        or where == "examples"
    assert len(checked) >= 3


def test_facts_from_the_result_cache_link_part_by_part_as_fresh_ones(tmp_path, monkeypatch,
                                                                     capsys):
    """Unchanged files' facts come from the result cache (their plain form): linked part by
    part they give what freshly read facts give."""
    import subprocess

    for n in range(1, 5):
        site(tmp_path, n, conf=CONF.replace("HAOnly = 1;", "HAOnly = 0;"),
             capture=LUNACM.replace("pay-b     alive", "pay-b     down"))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(engine, "COMPACT_BYTES", 0)
    args = ["--select", "ALL", "--format", "sarif", "--fail-on", "never", "--jobs", "1", "."]
    main(args)  # (fills the cache)
    capsys.readouterr()
    changed = tmp_path / "site-02" / "Chrystoki.conf"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    sizes: list[int] = []
    real = Parts.link
    monkeypatch.setattr(Parts, "link", lambda self, part: sizes.append(len(part))
                        or real(self, part))
    main(args)
    cached = capsys.readouterr().out
    assert len(sizes) == 4
    main(["--no-cache", *args])
    assert capsys.readouterr().out == cached
