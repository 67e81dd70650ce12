"""The link stage keeps what it needs compactly (issue 21, memory): the masked lines kept for
the excerpts of linking findings as one string per file, spans in facts as one number, and
the records linking joins (slots, policy sets, HSM policies, HA listings) marshalled until a
rule reads them, each read exactly as the capture's own model."""

from __future__ import annotations

import marshal

import pytest

from lunalint import facts as factsmod
from lunalint.engine import Excerpts
from lunalint.model.base import Span
from lunalint.readers.export import read_export
from lunalint.redact import secrets_of

from .conftest import SAMPLES


@pytest.mark.parametrize("before", [0, Excerpts.SAMPLES + 3])
def test_excerpt_lines_are_found_by_file_and_number_and_later_parts_replace_a_line(before):
    kept = Excerpts()
    for i in range(before):  # other files first: then these are kept compressed
        kept.add(f"site-{i}/Chrystoki.conf", {3: f"   VirtualToken00Label = app{i};"})
    kept.add("a.conf", {12: "   HAOnly = 0;", 1: "# top", 40: "", 7: "Pin = ****;"})
    kept.add("b.txt", {3: "Slot Id ->  3"})
    assert kept.get("a.conf", 1) == "# top" and kept.get("a.conf", 7) == "Pin = ****;"
    assert kept.get("a.conf", 12) == "   HAOnly = 0;" and kept.get("a.conf", 40) == ""
    assert kept.get("a.conf", 2) is None and kept.get("a.conf", 41) is None
    assert kept.get("c.conf", 1) is None and kept.get("b.txt", 3) == "Slot Id ->  3"
    kept.add("a.conf", {7: "Pin = ******;", 8: "é ünïcode ✓ \udcff"})  # another part of a host
    assert kept.get("a.conf", 7) == "Pin = ******;" and kept.get("a.conf", 8) == "é ünïcode ✓ \udcff"
    assert kept.get("a.conf", 12) == "   HAOnly = 0;" and kept.get("a.conf", 1) == "# top"
    for i in range(before):
        assert kept.get(f"site-{i}/Chrystoki.conf", 3) == f"   VirtualToken00Label = app{i};"
    if before:
        assert isinstance(kept._files["b.txt"], bytes)  # (compressed)


def _capture():
    return read_export("members.lunacm.txt",
                       (SAMPLES / "lunacm-session.txt").read_text(encoding="utf-8"))


def _fields(fields):
    return [(f.key, f.value, f.key_span, f.value_span, f.span) for f in fields]


def _pvalues(values):
    return [(p.number, p.name, p.value, p.span, p.value_span, p.trailing) for p in values]


def test_a_linked_slot_reads_as_the_slot_it_came_from():
    doc = _capture()
    slots = [s for s in doc.slots if s.serial]
    assert slots
    for slot in slots:
        linked = factsmod.slot_of(marshal.dumps(factsmod._slot(slot)))
        assert _fields(linked.fields) == _fields(slot.fields)
        for name in ("Serial Number", "Label", "Firmware Version", "Model", "Nothing"):
            got, want = linked.field(name), slot.field(name)
            assert (got is None) == (want is None)
            if want is not None:
                assert (got.key, got.value, got.span) == (want.key, want.value, want.span)
        assert (linked.serial, linked.label, linked.firmware, linked.span, linked.slot_id,
                linked.authentication, linked.authentication_span, linked.ha_virtual) == \
            (slot.serial, slot.label, slot.firmware, slot.span, slot.slot_id,
             slot.authentication, slot.authentication_span, slot.ha_virtual)


def test_linked_policies_and_listings_read_as_the_capture_shows_them():
    doc = _capture()
    assert doc.policy_sets and doc.ha_groups
    for pset in doc.policy_sets:
        linked = factsmod.policy_set_of(factsmod._blob(factsmod._pset(pset)))
        assert _pvalues(linked.policy_values) == _pvalues(pset.policy_values)
        assert sorted(linked.policies) == sorted(pset.policies)
        for number in (0, 4, 22, 28, 999):
            got, want = linked.policy(number), pset.policy(number)
            assert _pvalues([got] if got else []) == _pvalues([want] if want else [])
        assert (linked.span, linked.serial, linked.slot_id, linked.elided) == \
            (pset.span, pset.serial, pset.slot_id, pset.elided)
    for group in doc.ha_groups:
        linked = factsmod.status_of(factsmod._blob(factsmod._status(group)))
        assert _fields(linked.fields) == _fields(group.fields)
        assert _fields(linked.settings) == _fields(group.settings)
        assert linked.members == group.members and linked.span == group.span
        assert linked.member_serials == group.member_serials
        assert (linked.label, linked.serial, linked.needs_sync_field.value,
                linked.auto_recovery_field.value) == \
            (group.label, group.serial, group.needs_sync_field.value,
             group.auto_recovery_field.value)


def test_only_the_records_read_last_hold_what_was_built_of_them():
    doc = _capture()
    blob = factsmod._blob(factsmod._pset(doc.policy_sets[0]))
    views = [factsmod.policy_set_of(blob) for _ in range(factsmod._KEPT + 10)]
    for view in views:
        assert view.policy(0) is not None
    assert views[0]._held is None and views[-1]._held is not None  # let go, still held
    assert sum(v._held is not None for v in views) <= factsmod._KEPT
    assert _pvalues(views[0].policy_values) == _pvalues(doc.policy_sets[0].policy_values)


def test_facts_keep_their_records_through_the_result_cache_form():
    doc = _capture()
    found = factsmod.of(doc, secrets_of(doc))
    back = factsmod.FileFacts.from_plain(found.plain())
    assert back.plain() == found.plain()
    for (key, blob), (key2, blob2) in zip(found.slots, back.slots):
        assert key == key2 and marshal.loads(blob) == marshal.loads(blob2)
    assert [s[:2] for s in back.statuses] == [s[:2] for s in found.statuses]


@pytest.mark.parametrize("where", [Span(3, 4, 3, 9), Span(1, 1, 900_000, 1),
                                   Span(2 ** 21, 1, 2 ** 21, 4), Span(5, 2 ** 22, 6, 1)])
def test_a_span_in_facts_is_one_number_when_it_fits(where):
    packed = factsmod._s(where)
    fits = max(where.line, where.column, where.end_line, where.end_column) < 2 ** 21
    assert isinstance(packed, int) == fits
    assert factsmod.span(packed) == where


def _linked(config_text: str, what_if: dict | None = None):
    from lunalint import workspace
    from lunalint.readers.config import read_config

    config = read_config("Chrystoki.conf", config_text)
    capture = _capture()
    files = [factsmod.of(doc, secrets_of(doc)) for doc in (config, capture)]
    return config, workspace.build(files, facts={"what_if": what_if} if what_if else None)


TWO_GROUPS = ("VirtualToken = {\n"
              "   VirtualToken00Label = payments;\n"
              "   VirtualToken00Members = 1541234567001, 1541234567002;\n"
              "   VirtualToken01Label = billing;\n"
              "   VirtualToken01Members = 1541234567001, 1541299999999;\n"
              "}\n")


def test_linked_configuration_entries_read_as_the_configuration():
    config, ws = _linked((SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8"))
    (linked,) = ws.configs
    for section in linked.sections:
        (own,) = [s for s in config.sections if s.name == section.name]
        assert section.entries == own.entries
        assert [(e.key_span, e.value_span, e.span) for e in section.entries] == \
            [(e.key_span, e.value_span, e.span) for e in own.entries]


def test_members_of_one_serial_work_out_their_records_once():
    _config, ws = _linked(TWO_GROUPS)
    payments, billing = ws.groups
    a, b = payments.members[0], billing.members[0]
    assert a.serial == b.serial == "1541234567001" and a.listed != b.listed
    assert a.firmware == b.firmware and str(a.firmware[0]) == "7.7.1"
    assert a._cache is b._cache  # one serial, worked out once
    assert payments.members[1]._cache is not a._cache


def test_what_if_firmware_stays_on_each_members_own_line():
    _config, ws = _linked(TWO_GROUPS, {"firmware": {"*": "7.8.0"}})
    payments, billing = ws.groups
    a, b = payments.members[0], billing.members[0]
    assert str(a.firmware[0]) == str(b.firmware[0]) == "7.8.0"
    assert a.firmware[1] == b.firmware[1] == a.current_firmware[1]  # the captured line
    unseen = billing.members[1]  # no capture shows it: where its group lists it
    assert unseen.current_firmware is None and unseen.firmware[1] == unseen.listed


def test_a_run_without_an_audit_report_keeps_only_the_files_the_workspace_joined(tmp_path):
    from lunalint import pipeline
    from lunalint.registry import load_registry
    from lunalint.settings import Settings

    (tmp_path / "Chrystoki.conf").write_text(TWO_GROUPS, encoding="utf-8")
    (tmp_path / "members.lunacm.txt").write_text(
        (SAMPLES / "lunacm-session.txt").read_text(encoding="utf-8"), encoding="utf-8")
    registry = load_registry(plugins=False)
    rules = list(registry.rules.values())
    for audit in (False, True):
        outcome = pipeline.run(pipeline.Options([str(tmp_path)], rules, Settings(),
                                                cwd=str(tmp_path), audit=audit, cache=False))
        (ws,) = outcome.workspaces
        assert [c.path for c in ws.configs] == ["Chrystoki.conf"]
        assert [e.path for e in ws.exports] == ["members.lunacm.txt"]
        assert hasattr(ws, "groups") == audit
        paths = pipeline.inputs_read(pipeline.Options([str(tmp_path)], rules, Settings(),
                                                      cwd=str(tmp_path)), outcome)
        assert str(tmp_path / "members.lunacm.txt") in paths


def test_records_kept_compressed_read_as_the_records_they_came_from():
    doc = _capture()
    slot = next(s for s in doc.slots if s.serial)
    slot_blob = factsmod._blob(factsmod._slot(slot))
    pset_blob = factsmod._blob(factsmod._pset(doc.policy_sets[0]))
    status_blob = factsmod._blob(factsmod._status(doc.ha_groups[0]))
    for blob, of, want in ((slot_blob, factsmod.slot_of, slot),
                           (pset_blob, factsmod.policy_set_of, doc.policy_sets[0]),
                           (status_blob, factsmod.status_of, doc.ha_groups[0])):
        packer = factsmod.Packer()
        kept = [packer.pack(blob) for _ in range(factsmod.Packer.SAMPLES + 3)]
        assert kept[:factsmod.Packer.SAMPLES] == [blob] * factsmod.Packer.SAMPLES
        packed = kept[-1]
        assert packed[:1] == b"\xff" and len(packed) < len(blob) // 2  # (the dictionary helps)
        for held in (kept[0], packed):
            assert packer.unpack(held) == blob
            linked = of(held, packer)
            assert linked.span == want.span
            if hasattr(want, "policy_values"):
                assert _pvalues(linked.policy_values) == _pvalues(want.policy_values)
            else:
                assert _fields(linked.fields) == _fields(want.fields)


def test_linked_configurations_share_their_keys_and_values():
    text = (SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8")
    first = _linked(text)[1].configs[0]
    second = _linked("".join(text))[1].configs[0]  # read again: strings of its own
    for a, b in zip(first.sections, second.sections):
        assert a.keys == b.keys and a.entries == b.entries
        for (ka, ea), (kb, eb) in zip(a._index.items(), b._index.items()):
            assert ka is kb  # the folded key: one string for every configuration
            for x, y in zip(ea, eb):
                assert x.key is y.key and x.value is y.value
        for key in a.keys:  # still found whatever the case
            assert a.get(key.upper()) is a.all(key.lower())[-1] and a.get(key).key == key


def test_linked_configurations_keep_their_sections_compressed_until_read():
    from lunalint import record as records
    from lunalint.model.config import ClientConfig
    from lunalint.readers.config import read_config

    text = (SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8")
    own = read_config("Chrystoki.conf", text)
    plain = factsmod.config_of(factsmod.of(own, secrets_of(own)))
    packer = factsmod.Packer()
    many = [factsmod.config_of(factsmod.of(own, secrets_of(own)), packer)
            for _ in range(factsmod._CONFIGS_KEPT + factsmod.Packer.SAMPLES + 2)]
    linked = many[-1]
    assert linked._held is None and linked._blob[:1] == b"\xff"  # nothing built yet
    assert linked.sections == plain.sections and linked.path == plain.path
    assert linked.get("Chrystoki2", "LibUNIX") == plain.get("Chrystoki2", "LibUNIX")
    assert linked.sections_named("luna") == plain.sections_named("Luna")
    assert linked.repeats_sections == plain.repeats_sections
    assert linked._held is not None
    for other in many[:-1]:  # reading the others lets the oldest go
        assert other.entries("Luna") == plain.entries("Luna")
    assert many[0]._held is None and many[-2]._held is not None
    assert linked._held is None and linked.sections == plain.sections  # built again
    copy = records.replace(linked, path="other.conf")
    assert type(copy) is ClientConfig and copy.sections == plain.sections
    assert copy.path == "other.conf" and copy.form == plain.form
    import pickle

    back = pickle.loads(pickle.dumps(linked))
    assert type(back) is ClientConfig and back == plain


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_compacting_is_for_large_runs_and_changes_no_byte(tmp_path, monkeypatch, capsys, fmt):
    """Below engine.COMPACT_BYTES of input the link stage keeps its records and lines as they
    are (compressing them cost a small run more time than its memory is worth); from there on
    it compresses them. Either way the report is the golden one, byte for byte."""
    from lunalint import engine
    from lunalint.cli import main

    from .test_golden_output import GOLDEN, build_generated

    build_generated(tmp_path / "gen")
    monkeypatch.chdir(tmp_path / "gen")
    calls = []
    real = factsmod.deflate
    monkeypatch.setattr(factsmod, "deflate", lambda *a: calls.append(1) or real(*a))
    for threshold, compressed in ((10**12, False), (0, True)):
        monkeypatch.setattr(engine, "COMPACT_BYTES", threshold)
        calls.clear()
        main(["--no-cache", "--select", "ALL", "--format", fmt, "--fail-on", "never",
              "--jobs", "1", "."])
        out = capsys.readouterr().out
        assert out.encode("utf-8") == (GOLDEN / f"estate.{fmt}").read_bytes()
        assert bool(calls) is compressed, (threshold, len(calls))
