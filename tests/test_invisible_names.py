"""Invisible characters in section names and keys (issue 10, "smaller ones").

A zero-width space, a bidi control or a byte-order mark inside a key makes a key that looks
right in an editor and is not: the library ignores it, so the setting silently does not take
effect. SYN005 reports the first such character of each name, at its column, and names it; in
free-form sections (HASynchronize) and uncatalogued ones too. Through the real CLI.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import run_cli

INVISIBLE = ([chr(c) for c in range(0x200B, 0x2010)] + [chr(c) for c in range(0x202A, 0x202F)]
             + [chr(c) for c in range(0x2066, 0x206A)] + ["\ufeff"])


def lint(tmp_path, text: str) -> list[dict]:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "Chrystoki.conf").write_text(text, encoding="utf-8")
    proc = run_cli("--format", "json", "--fail-on", "never", "Chrystoki.conf", cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["findings"]


def test_every_invisible_character_in_a_key_is_reported_with_its_column(tmp_path):
    # One line per character, in a catalogued section: `   HA<c>Only = 1;` (column 6).
    body = "".join(f"   HA{ch}Only = 1;\n" for ch in INVISIBLE)
    findings = lint(tmp_path, "HAConfiguration = {\n" + body + "}\n")
    syn005 = {f["line"]: f for f in findings if f["rule"] == "SYN005"}
    for number, ch in enumerate(INVISIBLE, start=2):
        f = syn005.get(number)
        assert f is not None, f"U+{ord(ch):04X} on line {number} passed silently"
        assert (f["column"], f["end_column"]) == (6, 7), f
        assert f"U+{ord(ch):04X}" in f["message"] and "column 6" in f["message"], f
        assert ch not in f["message"], "the message shows the character, not the character"
        assert "looks like `HAOnly`" in f["message"], f


@pytest.mark.parametrize("ch", ["\u200b", "\u202e", "\u2066", "\ufeff"])
def test_free_form_keys_and_section_names_too(tmp_path, ch):
    text = (f"HASynchronize = {{\n   pay{ch}ments = 1;\n}}\n"
            f"HAConf{ch}iguration = {{\n   HAOnly = 1;\n}}\n"
            f"REST = {{\n   Ap{ch}pId = 1;\n}}\n")
    findings = lint(tmp_path, text)
    got = {(f["line"], f["column"]): f["message"] for f in findings if f["rule"] == "SYN005"}
    assert set(got) == {(2, 7), (4, 7), (8, 6)}, got
    assert "section `HAConf<U+" in got[(4, 7)], got
    assert all(f"U+{ord(ch):04X}" in m for m in got.values()), got


def test_plain_names_are_not_reported(tmp_path):
    text = "HAConfiguration = {\n   HAOnly = 1;\n}\nHASynchronize = {\n   paymënts = 1;\n}\n"
    assert not [f for f in lint(tmp_path, text) if f["rule"] == "SYN005"]
