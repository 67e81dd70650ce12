"""The client-config reader: both forms, exact spans, plain-words errors, recovery."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lunalint.model import Span
from lunalint.model.config import ha_groups
from lunalint.readers import config as reader
from lunalint.readers.config import read_config, sniff_form

from .conftest import SAMPLES


def test_brace_sample_parses_into_ordered_sections():
    cfg = read_config("Chrystoki.conf", (SAMPLES / "Chrystoki.conf").read_text())
    assert cfg.problems == ()
    assert cfg.form == "brace"
    assert [s.name for s in cfg.sections] == [
        "Chrystoki2", "Luna", "CardReader", "Misc", "LunaSA Client", "VirtualToken",
        "HASynchronize", "HAConfiguration"]
    client = cfg.section("lunasa client")  # case-insensitive lookup keeps the spelling
    assert client.name == "LunaSA Client"
    assert client.name_span == Span(25, 1, 25, 14)
    assert client.header_span == Span(25, 1, 25, 18)
    entry = cfg.get("haconfiguration", "haonly")
    assert (entry.key, entry.value) == ("HAOnly", "1")
    assert entry.key_span == Span(53, 4, 53, 10)
    assert entry.value_span == Span(53, 13, 53, 14)
    assert entry.span == Span(53, 4, 53, 15)
    members = cfg.get("VirtualToken", "VirtualToken00Members")
    assert members.value == "1541234567001, 1541234567002"
    group, = ha_groups(cfg)
    assert group.name == "payments"
    assert [(s.text, s.span) for s in group.member_serials] == [
        ("1541234567001", Span(44, 28, 44, 41)), ("1541234567002", Span(44, 43, 44, 56))]


@pytest.mark.parametrize("prefix", [b"", codecs.BOM_UTF8])
def test_windows_sample_with_crlf_and_bom_parses(prefix):
    data = prefix + (SAMPLES / "crystoki.ini").read_bytes()
    assert b"\r\n" in data
    from lunalint.source import decode

    cfg = read_config("crystoki.ini", decode(data).text)
    assert cfg.problems == ()
    assert cfg.form == "ini"
    entry = cfg.get("HAConfiguration", "HAOnly")
    assert entry.value == "0"
    assert entry.span == Span(32, 1, 32, 9)
    lib = cfg.get("Chrystoki2", "LibNT")
    assert lib.value == r"C:\Program Files\SafeNet\LunaClient\cryptoki.dll"
    assert lib.value_span == Span(2, 7, 2, 7 + len(lib.value))


def test_names_with_spaces_padded_equals_empty_values_and_comments():
    text = (
        "# production client\n"
        "Secure Trusted Channel   =   {\n"
        "   ClientTokenLib    =   /usr/lib/libsofttoken.so ;   // vendor style comment\n"
        "   SoftTokenDir=;\n"
        "}\n"
        "HASynchronize = {\n"
        "   my group = 1;\n"
        "}\n")
    cfg = read_config("c.conf", text)
    assert cfg.problems == ()
    stc = cfg.section("Secure Trusted Channel")
    lib = stc.get("ClientTokenLib")
    assert lib.value == "/usr/lib/libsofttoken.so"
    assert lib.value_span == Span(3, 26, 3, 50)
    assert stc.get("SoftTokenDir").value == ""
    assert cfg.get("HASynchronize", "my group").value == "1"
    assert [c for _, c in cfg.comments] == ["# production client", "// vendor style comment"]


def test_one_line_section_with_several_statements():
    cfg = read_config("c.conf", "Luna = { DefaultTimeOut = 500000; PEDTimeout1 = 1; } # x\n")
    assert cfg.problems == ()
    luna = cfg.section("Luna")
    assert [(e.key, e.value) for e in luna.entries] == [("DefaultTimeOut", "500000"),
                                                         ("PEDTimeout1", "1")]
    assert luna.get("PEDTimeout1").key_span == Span(1, 35, 1, 46)


def test_missing_semicolon_is_reported_in_words_and_the_entry_is_kept():
    text = "HAConfiguration = {\n   HAOnly = 1\n   reconnAtt = -1;\n}\n"
    cfg = read_config("c.conf", text)
    problem, = cfg.problems
    assert problem.message == "expected `;` after the value of `HAOnly`"
    assert (problem.span.line, problem.span.column) == (2, 14)
    assert cfg.get("HAConfiguration", "HAOnly").value == "1"
    assert cfg.get("HAConfiguration", "reconnAtt").value == "-1"


def test_missing_close_brace_before_next_section_resumes_there():
    text = "Luna = {\n   DefaultTimeOut = 1;\nMisc = {\n   ToolsDir = /x;\n}\n"
    cfg = read_config("c.conf", text)
    problem, = cfg.problems
    assert problem.span.line == 3 and problem.span.column == 1
    assert "expected `}` to close section `Luna` (opened on line 1)" in problem.message
    assert [s.name for s in cfg.sections] == ["Luna", "Misc"]
    assert cfg.get("Misc", "ToolsDir").value == "/x"


def test_unterminated_section_at_end_of_file():
    cfg = read_config("c.conf", "Luna = {\n   DefaultTimeOut = 1;\n")
    problem, = cfg.problems
    assert problem.span == Span(2, 23, 2, 23)
    assert problem.message.endswith("before the end of the file")
    assert cfg.get("Luna", "DefaultTimeOut").value == "1"


def test_stray_brace_entry_outside_section_and_missing_equals():
    text = "}\nHAOnly = 1;\nLuna = {\n   DefaultTimeOut 500000;\n   PEDTimeout1 = 2;\n}\n"
    cfg = read_config("c.conf", text)
    got = [(p.span.line, p.span.column, p.message) for p in cfg.problems]
    assert got == [
        (1, 1, "unexpected `}`: no section is open here"),
        (2, 1, "entry `HAOnly` is outside any section; expected it inside `Name = { ... }`"),
        (4, 4, "expected `=` between the key `DefaultTimeOut` and its value"),
    ]
    assert cfg.get("Luna", "PEDTimeout1").value == "2"  # resumed at the next line


def test_ini_errors():
    text = "[Luna\nDefaultTimeOut=1\n[Misc]\nToolsDir\n"
    cfg = read_config("c.ini", text, "ini")
    got = [(p.span.line, p.span.column, p.message) for p in cfg.problems]
    assert got == [
        (1, 1, "expected `]` to close the section name"),
        (2, 1, "entry `DefaultTimeOut` is outside any section; expected it inside a `[Name]` "
               "section"),
        (4, 1, "expected `=` and a value after `ToolsDir`"),
    ]


def test_template_directives_are_skipped_and_marked():
    text = ("<% if @ha %>\nHAConfiguration = {\n   HAOnly = <%= @ha_only %>;\n}\n<% end %>\n"
            "LunaSA Client = {\n   ServerName00 = {{ .Values.host }};\n}\n")
    cfg = read_config("c.conf", text)
    assert cfg.problems == ()
    assert cfg.template_spans[0] == Span(1, 1, 1, 13)  # the whole `<% if @ha %>`
    assert cfg.get("LunaSA Client", "ServerName00").value == "{{ .Values.host }}"


def test_cr_only_line_endings():
    cfg = read_config("c.conf", "Luna = {\r   DefaultTimeOut = 1;\r}\r")
    assert cfg.problems == ()
    assert cfg.get("Luna", "DefaultTimeOut").span.line == 2


@pytest.mark.parametrize("text, form", [
    ("Luna = {\n}\n", "brace"),
    ("[Luna]\nA=1\n", "ini"),
    ("# only a comment\n", None),
])
def test_sniff_form(text, form):
    assert sniff_form(text) == form


def test_secret_values_are_not_echoed_in_syntax_messages():
    cfg = read_config("c.conf", "Misc = {\n   UserPassword s3cr3tvalue\n}\n")
    assert cfg.problems
    assert all("s3cr3tvalue" not in p.message for p in cfg.problems)


_LINE = st.text(alphabet=st.sampled_from(list("Ab1 =;{}#/\t\"'[]<%-.,")), max_size=30)


@settings(max_examples=400, deadline=None)
@given(_LINE, st.sampled_from(["brace", "ini"]))
def test_fast_path_agrees_with_the_grammar(line, form):
    """The regex fast path may decline a line, but when it accepts one, lark agrees."""
    parser = reader._parser(form)
    fast = parser.fast(line, 7)
    if fast is None:
        return
    parser.transformer.line = 7
    try:
        slow = parser.lark.parse(line)
    except Exception:
        pytest.fail(f"fast path accepted {line!r} but the grammar rejects it")
    assert [(s.kind, s.span, s.name, s.name_span, s.value, s.value_span) for s in fast] == \
        [(s.kind, s.span, s.name, s.name_span, s.value, s.value_span) for s in slow]


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=12), st.sampled_from(["brace", "ini"]))
def test_reader_never_raises_and_spans_stay_in_the_file(lines, form):
    text = "\n".join(lines)
    cfg = read_config("f", text, form)
    count = len(cfg.lines)
    for problem in cfg.problems:
        assert 1 <= problem.span.line <= max(count, 1)
        assert problem.message


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Ab1 \t=;{}#/[]\x0c.")), max_size=24),
       st.sampled_from([reader.BRACE_GRAMMAR, reader.INI_GRAMMAR]))
def test_the_fast_path_key_pattern_matches_what_the_grammar_key_matches(text, grammar):
    """The fast path writes the grammar's lazy KEY terminal greedily (issue 21): at every
    start, both forms match the same text or both fail."""
    import re

    from lunalint import grammars

    lazy = grammars.terminals(grammar)["KEY"]
    greedy = reader._greedy_key(lazy)
    assert greedy != lazy
    for start in range(len(text) + 1):
        a, b = re.compile(lazy).match(text, start), re.compile(greedy).match(text, start)
        assert (a and a.group()) == (b and b.group()), (text, start)


@pytest.mark.parametrize("keys", [[], ["A"], ["A", "B", "C"], ["A", "a", "B"],
                                  ["ServerName00", "B", "servername00", "SERVERNAME00", "B"],
                                  ["Straße", "STRASSE", "x"]])
def test_a_section_indexes_its_entries_by_folded_key_in_file_order(keys):
    from lunalint.model.base import Span
    from lunalint.model.config import Entry, Section

    span = Span(1, 1, 1, 2)
    entries = tuple(Entry(k, str(n), span, span, span) for n, k in enumerate(keys))
    section = Section("S", span, span, entries)
    expected: dict = {}
    for entry in entries:
        expected.setdefault(entry.key.casefold(), []).append(entry)
    assert list(section._index) == list(expected)
    assert section._index == {k: tuple(v) for k, v in expected.items()}
    assert section.keys == tuple(keys)
    assert section.repeats_keys == (len(expected) < len(keys))
