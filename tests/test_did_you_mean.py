"""Did-you-mean for known misspellings (issue 11, item 8), through the real CLI.

Some misspellings are too far from the key meant for an edit-distance guess, or close to the
wrong key (difflib offers `ServerHtl00` for `ServerHost00`); SYN005 takes those from the table
of known typos in `rules/catalog.py`, and still falls back to the closest name for the rest.
"""

from __future__ import annotations

import shutil

import pytest

from lunalint.rules import catalog

from .conftest import SAMPLES, run_json

CASES = [
    # (section, typed key, suggestion)
    ("HAConfiguration", "HAAutoRecover", "reconnAtt"),
    ("HAConfiguration", "haautorecovery", "reconnAtt"),
    ("HAConfiguration", "HARecoveryInterval", "AutoReconnectInterval"),
    ("HAConfiguration", "MaxAutoRecoveryRetry", "reconnAtt"),
    ("HAConfiguration", "OnlyShowHASlots", "HAOnly"),
    ("HAConfiguration", "HALogging", "haLogStatus"),
    ("HAConfiguration", "HALogFile", "haLogPath"),
    ("LunaSA Client", "ServerTimeout", "ReceiveTimeout"),
    ("LunaSA Client", "ServerHost01", "ServerName01"),
    ("LunaSA Client", "ServerIP00", "ServerName00"),
    # not in the table: the edit-distance guess still works
    ("HAConfiguration", "AutoReconnectedInterval", "AutoReconnectInterval"),
    ("VirtualToken", "VirtualToken00Serial", "VirtualToken00SN"),
]


def _config(cases) -> tuple[str, dict[str, int]]:
    lines, where = [], {}
    for section in dict.fromkeys(section for section, _, _ in cases):
        lines.append(f"{section} = {{")
        for sec, key, _ in cases:
            if sec == section:
                lines.append(f"   {key} = 1;")
                where[key] = len(lines)
        lines.append("}")
    return "\n".join(lines) + "\n", where


def test_known_misspellings_get_the_key_meant(tmp_path):
    text, where = _config(CASES)
    (tmp_path / "Chrystoki.conf").write_text(text, encoding="utf-8")
    code, doc = run_json("--select", "SYN005", "Chrystoki.conf", cwd=tmp_path)
    assert code == 1
    found = {f["line"]: f for f in doc["findings"]}
    for section, key, meant in CASES:
        f = found[where[key]]
        assert (f["rule"], f["level"], f["column"]) == ("SYN005", "warning", 4), f
        assert f["end_column"] == 4 + len(key)
        assert f["message"] == (f"unknown key `{key}` in section `{section}`; "
                                f"did you mean `{meant}`?"), f["message"]


def test_the_ini_form_gets_the_same_suggestion(tmp_path):
    shutil.copy(SAMPLES / "crystoki.ini", tmp_path / "crystoki.ini")
    text = (tmp_path / "crystoki.ini").read_text(encoding="utf-8")
    text = text.replace("[HAConfiguration]", "[HAConfiguration]\nHAAutoRecover=1", 1)
    (tmp_path / "crystoki.ini").write_text(text, encoding="utf-8")
    _, doc = run_json("--select", "SYN005", "crystoki.ini", cwd=tmp_path)
    messages = [f["message"] for f in doc["findings"]]
    assert "unknown key `HAAutoRecover` in section `HAConfiguration`; did you mean " \
           "`reconnAtt`?" in messages


def test_a_known_typo_is_only_known_in_its_section(tmp_path):
    """`HAAutoRecover` in `Luna` is not the HAConfiguration typo: no `reconnAtt`, which is not
    a `Luna` key."""
    (tmp_path / "Chrystoki.conf").write_text("Luna = {\n   HAAutoRecover = 1;\n}\n",
                                             encoding="utf-8")
    _, doc = run_json("--select", "SYN005", "Chrystoki.conf", cwd=tmp_path)
    f, = doc["findings"]
    assert "reconnAtt" not in f["message"]


@pytest.mark.parametrize("section", sorted(catalog.TYPOS))
def test_every_suggestion_is_a_known_key(section):
    """The table never suggests a name that SYN005 would itself call unknown."""
    for typo, meant in catalog.TYPOS[section].items():
        name = meant.format("00")
        assert catalog.canonical_key(section, name) == name, (typo, meant)
        assert catalog.canonical_key(section, typo.format("00")) is None, typo
