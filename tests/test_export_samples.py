"""The reference captures parse into a model whose values are checked field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunalint.model.base import Span
from lunalint.model.export import Export
from lunalint.readers.export import read_export
from lunalint.versions import Version

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def load(name: str) -> Export:
    return read_export(name, (EXPORTS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def session() -> Export:
    return load("lunacm-session.txt")


def text_at(doc: Export, span: Span) -> str:
    assert span.line == span.end_line
    return doc.lines[span.line - 1][span.column - 1:span.end_column - 1]


def test_session_is_an_export_document_without_problems(session):
    assert session.kind == "export"
    assert session.problems == ()
    assert len(session.lines) == 127


def test_session_client_version_from_banner(session):
    assert session.client_version == Version.parse("10.4.0")
    assert session.client_version.build == "417"
    assert text_at(session, session.client_version_span) == "10.4.0-417"
    assert session.banner.span.line == 1


def test_session_slots(session):
    assert [s.slot_id for s in session.slots] == [0, 1, 5]
    a, b, ha = session.slots
    assert (a.label, a.serial, a.model, a.firmware) == ("pay-a", "1541234567001", "LunaSA 7.7.1",
                                                         Version.parse("7.7.1"))
    assert (b.label, b.serial) == ("pay-b", "1541234567002")
    assert not a.ha_virtual and not b.ha_virtual
    assert a.authentication == b.authentication == "PW"
    assert text_at(session, a.authentication_span) == "PW"
    assert a.authentication_span.line == 11
    assert a.firmware_field.value_span == Span(9, 33, 9, 38)
    assert text_at(session, a.serial_field.value_span) == "1541234567001"
    assert a.span == Span(5, 9, 13, 49)
    assert a.command_index is None  # listed at start-up
    assert ha.ha_virtual
    assert (ha.label, ha.serial, ha.model) == ("payments", "11541234567001", "LunaVirtual")
    assert ha.firmware == "7.7.1"
    assert session.virtual_slots == (ha,)
    assert set(session.partitions) == {"1541234567001", "1541234567002"}
    assert session.slot(5) is ha and session.slot(9) is None


def test_session_commands(session):
    names = [c.name for c in session.commands]
    assert names == ["partition showpolicies", "slot set", "partition showpolicies",
                     "hagroup listgroups"]
    first, slot_set, second, groups = session.commands
    assert [c.slot_id for c in session.commands] == [0, 0, 1, 1]
    assert first.slot.serial == "1541234567001" and second.slot.serial == "1541234567002"
    assert not any(c.ha_virtual for c in session.commands)
    assert first.tool == "lunacm" and first.host is None
    assert first.span == Span(35, 9, 35, 31)
    assert text_at(session, first.span) == "partition showpolicies"
    assert slot_set.option("-slot") == "1"
    assert first.output_span.line == 37 and first.output_span.end_line == 77
    for c in session.commands:
        assert c.result is not None and c.result.ok and c.result.code == 0
        assert c.result.text == "No Error"
    assert first.result.span.line == 77
    assert text_at(session, first.result.value_span) == "No Error"


def test_session_policy_sets_attributed_to_partitions(session):
    assert [p.serial for p in session.policy_sets] == ["1541234567001", "1541234567002"]
    a, b = session.policy_sets
    assert a.slot_id == 0 and b.slot_id == 1 and not a.ha_virtual
    assert a.command_index == 0 and b.command_index == 2
    assert len(a.partition_capabilities) == 21 and len(a.partition_policies) == 15
    assert sorted(b.policies) == [0, 1, 4, 28, 37]
    assert a.policies[28].value == 1 and b.policies[28].value == 0
    assert a.policies[20].value == 10
    p28 = b.policy(28)
    assert p28.name == "Allow Key Management Functions"
    assert p28.span == Span(100, 17, 100, 55)
    assert text_at(session, p28.value_span) == "0"
    assert a.capabilities[22].value == 0 and a.capabilities[0].name == "Enable private key cloning"
    assert a.span.line == 37 and a.span.end_line == 75
    assert session.policy_sets_for("1541234567002") == (b,)


def test_session_ha_group(session):
    group, = session.ha_groups
    assert group.label == "payments"
    assert group.serial == "11541234567001"
    assert group.slot_id == 5
    assert [s.text for s in group.member_serials] == ["1541234567001", "1541234567002"]
    assert text_at(session, group.member_serials[1].span) == "1541234567002"
    assert group.standby_serials == ()
    assert [(m.slot, m.serial, m.label, m.status) for m in group.members] == [
        ("0", "1541234567001", "pay-a", "alive"), ("1", "1541234567002", "pay-b", "alive")]
    assert all(m.alive for m in group.members)
    assert text_at(session, group.members[0].status_span) == "alive"
    assert group.setting("HA recovery mode").value == "activeEnhanced"
    assert group.setting("Maximum auto recovery retry").value == "500"
    assert group.setting("Only Show HA Slots").value == "yes"
    assert group.field("Needs sync").value == "no"
    assert group.command_index == 3


@pytest.fixture(scope="module")
def lunash() -> Export:
    return load("lunash-hsm-showpolicies.txt")


def test_lunash_showpolicies(lunash):
    assert lunash.problems == ()
    assert lunash.client_version is None
    cmd, = lunash.commands
    assert (cmd.tool, cmd.host, cmd.name) == ("lunash", "hsm-a", "hsm showpolicies")
    assert (cmd.result.code, cmd.result.name, cmd.result.ok) == (0, "Success", True)
    hsm, = lunash.hsm_policies
    assert (hsm.tool, hsm.label, hsm.serial) == ("lunash", "hsm-a", "1541234")
    assert hsm.firmware == Version.parse("7.7.1")
    assert hsm.firmware_field.value_span == Span(5, 17, 5, 22)
    assert sorted(hsm.policies) == [6, 7, 12, 15, 16, 20, 21, 22, 39]
    p16 = hsm.policy(16)
    assert (p16.description, p16.value, p16.number, p16.enabled, p16.destructive) == (
        "Allow network replication", "On", 1, True, False)
    assert p16.span.line == 24 and text_at(lunash, p16.value_span) == "On"
    assert hsm.policy(12).enabled is False and hsm.policy(7).destructive is True
    caps = [(c.description, c.value, c.number) for c in hsm.capability_values]
    assert caps == [("PIN-based authentication", "True", 1),
                    ("PED-based authentication", "False", 0)]
    assert lunash.hsm_policies_for("1541234") == (hsm,)
    assert lunash.hsms == ()


def test_lunash_hsm_show():
    doc = load("lunash-hsm-show.txt")
    assert doc.problems == ()
    info, = doc.hsms
    assert (info.label, info.serial, info.model) == ("hsm-a", "1541234", "Luna K7")
    assert info.firmware == "7.7.1" and info.software_version == "7.7.1"
    assert info.authentication == "Password"
    assert text_at(doc, info.firmware_field.value_span) == "7.7.1"
    assert doc.hsm_policies == ()


def test_bare_showpolicies_without_prompt():
    doc = load("partition-showpolicies-bare.txt")
    assert doc.problems == () and doc.commands == ()
    ps, = doc.policy_sets
    assert ps.serial is None and ps.slot is None and ps.command_index is None
    assert ps.policies[23].value == 0 and ps.capabilities[23].value == 1
    # a name holding a colon is kept whole; the value is the number after ` : `
    assert ps.policies[25].name == "Minimum pin length (inverted: 255 - min)"
    assert ps.policies[25].value == 247
