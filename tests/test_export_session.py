"""Whole sessions: slot tracking, prompts, results, damaged captures, and a long generated one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lunalint.model.base import Span
from lunalint.readers.export import read_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SESSION = (EXPORTS / "lunacm-session.txt").read_text(encoding="utf-8")


def text_at(doc, span: Span) -> str:
    return doc.lines[span.line - 1][span.column - 1:span.end_column - 1]


def slot_block(slot_id: int, label: str, serial: str, virtual: bool = False,
               auth: str = "PW", firmware: str = "7.7.1") -> list[str]:
    if virtual:
        return [f"        Slot Id ->              {slot_id}",
                f"        HSM Label ->            {label}",
                f"        HSM Serial Number ->    {serial}",
                "        HSM Model ->            LunaVirtual",
                f"        HSM Firmware Version -> {firmware}",
                f"        HSM Configuration ->    Luna Virtual HSM ({auth}) Key Export With "
                "Cloning Mode",
                "        HSM Status ->           N/A - HA Group", ""]
    return [f"        Slot Id ->              {slot_id}",
            f"        Label ->                {label}",
            f"        Serial Number ->        {serial}",
            f"        Model ->                LunaSA {firmware}",
            f"        Firmware Version ->     {firmware}",
            f"        Configuration ->        Luna User Partition With SO ({auth}) Key Export "
            "With Cloning Mode",
            "        Slot Description ->     Net Token Slot", ""]


def showpolicies(values: dict[int, int]) -> list[str]:
    lines = ["", "        Partition Capabilities"]
    lines += [f"                {n:>2}: Enable thing {n} : 1" for n in values]
    lines += ["", "        Partition Policies"]
    lines += [f"                {n:>2}: Allow thing {n} : {v}" for n, v in values.items()]
    return lines + [""]


def test_slot_set_moves_the_current_slot_and_ha_virtual_slot_is_known():
    text = "\n".join([
        "LunaCM v10.7.0-111. Copyright (c) 2023 Thales. All rights reserved.", "",
        *slot_block(0, "a", "1541234567001"), *slot_block(5, "g", "11541234567001", True),
        "        Current Slot Id: 0", "",
        "lunacm:>slot set -slot 5", "", "        Current Slot Id:    5", "",
        "Command Result : No Error", "",
        "lunacm:>partition changepolicy -policy 28 -value 0", "",
        "Command Result : 0x00000005 (CKR_GENERAL_ERROR)", "",
        "lunacm:>partition showpolicies", *showpolicies({0: 1}), "Command Result : No Error",
    ]) + "\n"
    doc = read_export("s.txt", text)
    assert doc.problems == ()
    assert str(doc.client_version) == "10.7.0"
    change = doc.commands[1]
    assert change.name == "partition changepolicy" and change.slot_id == 5
    assert change.ha_virtual is True
    assert change.result.code == 5 and change.result.name == "CKR_GENERAL_ERROR"
    assert change.result.ok is False
    assert change.span.line == 27 and text_at(doc, change.span).startswith("partition change")
    ps, = doc.policy_sets
    assert ps.slot_id == 5 and ps.ha_virtual and ps.serial == "11541234567001"


def test_slot_set_with_elided_output_uses_its_argument():
    text = "\n".join([
        *slot_block(0, "a", "1541234567001"), *slot_block(1, "b", "1541234567002"),
        "lunacm:>slot set -slot 1", "[OUTPUT OMITTED]", "Command Result : No Error",
        "lunacm:>partition showpolicies", *showpolicies({0: 1}), "Command Result : No Error",
        "lunacm:>slot set -slot 0", "Command Result : 0x3 (CKR_SLOT_ID_INVALID)",
        "lunacm:>partition showpolicies", *showpolicies({0: 0}),
    ])
    doc = read_export("s.txt", text)
    assert doc.problems == ()
    assert [p.serial for p in doc.policy_sets] == ["1541234567002", "1541234567002"]
    assert doc.commands[0].elided is True
    assert doc.elisions and text_at(doc, doc.elisions[0]) == "[OUTPUT OMITTED]"
    assert doc.commands[3].result is None  # truncated capture: no result line


def test_slot_listed_only_after_the_command_is_still_resolved():
    text = "\n".join(["lunacm:>partition showpolicies", *showpolicies({0: 1}),
                      "Command Result : No Error", "lunacm:>slot list",
                      *slot_block(0, "a", "1541234567001"), "Command Result : No Error"])
    doc = read_export("s.txt", text)
    # no current slot is known before the first `Current Slot Id` line or `slot set`
    assert doc.policy_sets[0].slot_id is None and doc.policy_sets[0].serial is None
    assert doc.slots[0].command_index == 1


def test_lunash_prompts_with_host_and_ckr_results():
    text = ("[hsm-a.example.com] lunash:>partition list\n\nsome table\n\n"
            "Command Result : 0 (Success)\n"
            "lunash:>\n"
            "lunacm:>partition login\n"
            "Command Result : 0x000001a7 (CKR_ACCESS_ID_ALREADY_EXISTS)\n"
            "lunacm:>x\nCommand Result : CKR_ACCESS_ID_ALREADY_EXISTS\n"
            "lunacm:>y\nCommand Result : 65535 (Luna Shell execution)\n")
    doc = read_export("s.txt", text)
    assert doc.problems == ()
    first, empty, login, bare, shell = doc.commands
    assert (first.tool, first.host, first.name) == ("lunash", "hsm-a.example.com",
                                                    "partition list")
    assert empty.text == "" and empty.tool == "lunash" and empty.result is None
    assert (login.result.code, login.result.name) == (0x1A7, "CKR_ACCESS_ID_ALREADY_EXISTS")
    assert login.result.span == Span(8, 1, 8, 59)
    assert text_at(doc, login.result.value_span) == "0x000001a7 (CKR_ACCESS_ID_ALREADY_EXISTS)"
    assert (bare.result.code, bare.result.name) == (None, "CKR_ACCESS_ID_ALREADY_EXISTS")
    assert bare.result.ok is False
    assert (shell.result.code, shell.result.name) == (65535, "Luna Shell execution")


def test_unknown_commands_are_opaque_not_errors():
    text = ("lunacm:>clientconfig listservers\n"
            "Server ID    Server                    Channel     HTL Required\n"
            "   1         10.0.0.1                  NTLS        no\n"
            "   2:  a line that merely starts like a policy\n"
            "random -> arrow without slot\n"
            "Command Result : No Error\n")
    doc = read_export("s.txt", text)
    assert doc.problems == () and doc.policy_sets == () and doc.slots == ()
    assert doc.commands[0].output_span == Span(2, 1, 6, 26)


def test_broken_policy_line_is_a_problem_at_the_break_and_reading_goes_on():
    lines = SESSION.splitlines()
    assert lines[99].strip().startswith("28:")
    lines[99] = "                28: Allow Key Manage"
    lines[56] = "                 0: Allow private key cloning : x"
    doc = read_export("s.txt", "\n".join(lines))
    first, second = doc.problems
    assert first.span == Span(57, 49, 57, 50)
    assert "broken policy line" in first.message and "an integer value" in first.message
    assert "found `x`" in first.message
    assert second.span.line == 100 and second.span.column == 21
    assert "found `Allow Key Manage`" in second.message
    a, b = doc.policy_sets
    assert len(a.capability_values) == 20 and 28 not in b.policies and 37 in b.policies
    assert len(doc.ha_groups) == 1  # later output still read


def test_broken_table_rows_are_problems():
    text = ("[h] lunash:>hsm showpolicies\n"
            "   Serial #:    1541234\n"
            "   Description                              Value        Code      Destructive\n"
            "   ===========                              =====        ====      ===========\n"
            "   Allow cloning                            On           seven     Yes\n"
            "   Allow network replication                On           16        No\n"
            "\n"
            "lunacm:>hagroup listgroups\n"
            "         HA Group Label:  g\n"
            "Slot #    Member S/N                      Member Label    Status\n"
            "======    ==========                      ============    ======\n"
            "     0    1541234567001\n"
            "     1    1541234567002                          pay-b     alive\n")
    doc = read_export("s.txt", text)
    row, member = doc.problems
    assert row.span.line == 5 and "policy table row" in row.message
    assert member.span == Span(12, 24, 12, 24)
    assert "member table row" in member.message and "end of the line" in member.message
    hsm, = doc.hsm_policies
    assert sorted(hsm.policies) == [16]
    assert [m.serial for m in doc.ha_groups[0].members] == ["1541234567002"]


def test_slot_id_that_is_not_a_number_is_a_problem():
    doc = read_export("s.txt", "        Slot Id ->   zero\n        Label ->  a\n")
    problem, = doc.problems
    assert problem.span == Span(1, 22, 1, 26) and "slot number" in problem.message
    assert doc.slots == ()


@pytest.mark.parametrize("transform", ["crlf", "tabs", "ansi", "fenced", "elided", "cr"])
def test_damaged_captures_give_the_same_model(transform):
    text = SESSION
    if transform == "crlf":
        text = text.replace("\n", "\r\n")
    elif transform == "cr":
        text = text.replace("\n", "\r")
    elif transform == "tabs":
        text = text.replace("        ", "\t")
    elif transform == "ansi":
        text = text.replace("lunacm:>", "\x1b[1;32mlunacm:>\x1b[0m")
        text = text.replace(" : 1\n", " : \x1b[31m1\x1b[0m\n")
    elif transform == "fenced":
        text = "Here is what lunacm printed:\n\n```text\n" + text + "```\n\nThanks.\n"
    elif transform == "elided":
        lines = text.splitlines()
        lines[60:64] = ["                ..."]
        text = "\n".join(lines)
    doc = read_export("s.txt", text)
    assert doc.problems == ()
    assert str(doc.client_version) == "10.4.0"
    assert [s.slot_id for s in doc.slots] == [0, 1, 5]
    assert [p.serial for p in doc.policy_sets] == ["1541234567001", "1541234567002"]
    assert doc.policy_sets[1].policies[28].value == 0
    group, = doc.ha_groups
    assert [m.alive for m in group.members] == [True, True]
    if transform == "ansi":  # spans are columns of the original line, codes included
        cmd = doc.commands[0]
        assert text_at(doc, cmd.span) == "partition showpolicies"
        value = doc.policy_sets[0].policies[0].value_span
        assert text_at(doc, value) == "1"
    if transform == "elided":
        assert doc.policy_sets[0].elided and len(doc.elisions) == 1


def generated_session(seed: int = 7) -> tuple[str, list[str | None]]:
    """A long LunaCM session: 200 commands, many of them unknown, with slot changes."""
    rng = random.Random(seed)
    serials = {i: f"15412345670{i:02d}" for i in range(4)}
    lines = ["LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.", "",
             "        Available HSMs:", ""]
    for i, serial in serials.items():
        lines += slot_block(i, f"part-{i}", serial)
    lines += slot_block(9, "group", "1" + serials[0], virtual=True)
    lines += ["        Current Slot Id: 0", ""]
    expected: list[str | None] = []
    current = 0
    unknown = ["partition contents", "hsm show", "clientconfig listservers", "audit show",
               "partition showinfo", "stc status", "role show", "ped show"]
    commands = 0
    while commands < 200:
        commands += 1
        pick = rng.random()
        if pick < 0.15:
            current = rng.choice([0, 1, 2, 3, 9])
            lines += [f"lunacm:>slot set -slot {current}", "",
                      f"        Current Slot Id:    {current}     (Luna User Slot 7.7.1 (PW))",
                      "", "Command Result : No Error", ""]
        elif pick < 0.35:
            numbers = rng.sample([0, 1, 4, 20, 22, 23, 28, 37, 43], 5)
            lines += ["lunacm:>partition showpolicies"]
            lines += showpolicies({n: rng.randint(0, 1) for n in numbers})
            lines += ["Command Result : No Error", ""]
            expected.append("1" + serials[0] if current == 9 else serials[current])
        else:
            lines += [f"lunacm:>{rng.choice(unknown)} -opt {rng.randint(0, 99)}", ""]
            for k in range(rng.randint(20, 80)):
                lines.append(rng.choice([
                    f"   Object {k}: handle={rng.randint(1, 9999)}",
                    f"        Some Field:  value {k}",
                    f"   {k:>3}    CKO_SECRET_KEY    label-{k}",
                    "   ======   ===========",
                    f"   {k}: looks like a numbered line",
                    "   The quick brown fox, [x], (y) -> z",
                    "",
                ]))
            lines += ["", rng.choice(["Command Result : No Error",
                                      "Command Result : 0x000000a0 (CKR_PIN_INCORRECT)"]), ""]
    while len(lines) < 10_000:
        lines.insert(-1, "   padding output of the last command")
    return "\n".join(lines) + "\n", expected


def test_long_generated_session_attributes_every_policy_set():
    text, expected = generated_session()
    assert len(text.splitlines()) >= 10_000
    doc = read_export("long.txt", text)
    assert doc.problems == ()
    assert len(doc.commands) == 200
    assert [p.serial for p in doc.policy_sets] == expected
    assert len(expected) > 20
    assert all(p.ha_virtual == (p.slot_id == 9) for p in doc.policy_sets)
    assert all(c.result is not None for c in doc.commands)
    assert len(doc.slots) == 5


def test_lunacm_hsm_showpolicies_groups_and_tab_separated_lunash_table():
    doc = read_export("m.txt", (EXPORTS / "mixed-hsm-policies-and-groups.txt").read_text())
    assert doc.problems == ()
    lunacm, lunash = doc.hsm_policies
    assert lunacm.tool == "lunacm" and lunacm.serial is None and lunacm.command_index == 0
    assert sorted(lunacm.policies) == [7, 12, 16] and sorted(lunacm.capabilities) == [0, 7]
    p7 = lunacm.policy(7)
    assert (p7.value, p7.number, p7.enabled) == ("1", 1, True)
    assert p7.trailing == "(destructive)" and p7.destructive is True
    assert lunacm.policy(16).destructive is None and lunacm.policy(12).enabled is False
    assert text_at(doc, p7.value_span) == "1"
    assert lunash.tool == "lunash" and lunash.policy(16).value == "Off"
    assert lunash.policy(7).description == "Allow cloning"
    g1, g2 = doc.ha_groups
    assert (g1.label, g1.slot_id, g2.label, g2.slot_id) == ("g1", 6, "g2", 7)
    assert [s.text for s in g1.standby_serials] == ["154000000009", "154000000010"]
    assert [m.serial for m in g1.members] == ["154000000001"]
    assert [(m.slot, m.status, m.alive) for m in g2.members] == [("2", "alive", True),
                                                                ("N/A", "down", False)]
    assert g1.setting("HA auto recovery").value == "disabled" and g1.settings == g2.settings
    assert doc.ha_slot_ids == {6, 7}


def test_verbose_partition_policies_keep_trailing_text():
    text = ("lunacm:>partition showpolicies -verbose\n"
            "        Partition Policies\n"
            "                 0: Allow private key cloning : 1   (destructive: no)\n")
    ps, = read_export("v.txt", text).policy_sets
    assert ps.policies[0].value == 1 and ps.policies[0].trailing == "(destructive: no)"
