"""Secrets never leave the machine through a report (issue 7, "Secrets").

Values of keys that can hold secrets (`pass`, `pin`, `secret` in the key) and values of
password options on capture command lines (`-password`, `-pw`, `-oldpw`, `-newpw`) are planted
in files that also provoke findings on those very lines (parse errors, unknown keys, commands in
an HA slot). Every output format is then grepped for every planted value.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from lunalint import engine, redact
from lunalint.readers.config import read_config
from lunalint.reporters import FORMATS  # every registered format, new ones included

from .conftest import SAMPLES, run_cli

BRACE = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
Misc = {
   ClientPassword = PLANT-brace-1;
   PartitionPin = PLANT-brace-2
   SecretKey	=	PLANT-brace-3;
   Passwd = PLANT-brace-4;
   PartitionPassword = PLANT-brace-5; PartitionPassword = PLANT-brace-6;
   passWORD = "PLANT brace 7" junk ; ;
}
HAConfiguration = {
   HAOnly = 0;
   UserPin = {PLANT-brace-8;
}
"""

INI = """[VirtualToken]
VirtualToken00Label=payments
VirtualToken00Members=1541234567001,1541234567002
[Misc]
ClientPassword=PLANT-ini-1
PartitionPIN =	PLANT-ini-2
SecretKey=PLANT-ini-3
SecretKey=PLANT-ini-4
[Pass=PLANT-ini-5
[HAConfiguration]
HAOnly=0
"""

CAPTURE = """LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.

        Slot Id ->              5
        HSM Label ->            payments
        HSM Serial Number ->    11541234567001
        HSM Model ->            LunaVirtual
        HSM Status ->           N/A - HA Group

        Current Slot Id: 5

lunacm:>partition login -password PLANT-cap-1

Command Result : No Error

lunacm:>partition changepw -oldpw PLANT-cap-2 -newpw PLANT-cap-3

Command Result : No Error

lunacm:>role login -name co -pw PLANT-cap-4

Command Result : 0x5 (CKR_ACCESS_ID_ALREADY_EXISTS)

lunacm:>partition init -label p1 -password=PLANT-cap-5 -domain PLANT-cap-domain

Command Result : No Error

lunacm:>partition changepolicy -policy 0 -value 0 -PW "PLANT cap 6"

Command Result : No Error

lunacm:>partition clear -password 'PLANT-cap-7

Command Result : No Error
"""

PLANTED = re.compile(r"PLANT[ -](?:brace|ini|cap)[ -]\d")


@pytest.fixture
def estate(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "Chrystoki.conf").write_text(BRACE, encoding="utf-8")
    (tmp_path / "win").mkdir()
    (tmp_path / "win" / "crystoki.ini").write_text(INI, encoding="utf-8")
    (tmp_path / "captures").mkdir()
    (tmp_path / "captures" / "admin.lunacm.txt").write_text(CAPTURE, encoding="utf-8")
    shutil.copy(SAMPLES / "lunacm-session.txt", tmp_path / "captures" / "members.lunacm.txt")
    return tmp_path


def test_plants_are_all_there(estate):
    """The test has teeth: each planted value is in the files, and the run reports on them."""
    planted = set()
    for path in estate.rglob("*"):
        if path.is_file():
            planted |= set(PLANTED.findall(path.read_text(encoding="utf-8")))
    assert len(planted) == 20
    proc = run_cli("--format", "json", "--fail-on", "never", "--select", "ALL", ".", cwd=estate)
    doc = json.loads(proc.stdout)
    lines = {(f["path"], f["line"]) for f in doc["findings"]}
    # Findings land on secret-bearing lines, so excerpts of those lines are really produced.
    assert ("etc/Chrystoki.conf", 7) in lines  # the missing `;` after a PIN
    assert ("win/crystoki.ini", 9) in lines  # the broken header holding a password


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_echoes_a_secret(estate, fmt):
    proc = run_cli("--format", fmt, "--fail-on", "never", "--select", "ALL", ".", cwd=estate)
    assert proc.stdout, proc.stderr
    leaked = PLANTED.findall(proc.stdout + proc.stderr)
    assert not leaked, f"{fmt} output shows {sorted(set(leaked))}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_echoes_a_secret_from_a_pool(estate, fmt):
    for i in range(80):  # enough files for the default process pool to start
        shutil.copy(estate / "etc" / "Chrystoki.conf", estate / "etc" / f"Chrystoki-{i}.conf")
    proc = run_cli("--format", fmt, "--fail-on", "never", ".", cwd=estate)
    assert not PLANTED.findall(proc.stdout + proc.stderr)


def test_masking_keeps_the_line_shape():
    """Masked excerpts keep every column, so carets still point at the right place."""
    doc = read_config("x", BRACE, "brace")
    line = redact.secrets_of(doc).mask_line(6, doc.lines[5])
    assert line == "   ClientPassword = *************;"
    assert len(line) == len(BRACE.splitlines()[5])


@pytest.mark.parametrize("text,masked", [
    ("lunacm:>partition login -password abc", "lunacm:>partition login -password ***"),
    ("lunash:>x -oldpw a1 -newpw b22 -pw=c333", "lunash:>x -oldpw ** -newpw *** -pw=****"),
    ('lunacm:>role login -PW "a b"', 'lunacm:>role login -PW "***"'.replace('"***"', "*****")),
    ("lunacm:>partition show -slot 1", "lunacm:>partition show -slot 1"),
    ("lunacm:>x -passwordless y", "lunacm:>x -passwordless y"),
])
def test_capture_command_lines_are_masked(text, masked):
    secrets = redact.secrets_of(engine.Linted("x", (text,), (), of_kind="export"))
    assert secrets.mask_line(1, text) == masked



def test_secret_lines_are_found_as_the_pattern_finds_them_line_by_line():
    """The lines that name a secret are found from the lowered text with one `find` per word
    (issue 21); that gives exactly the lines SECRET_KEY matches one by one, `VirtualToken`
    (no secret) and upper case included."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = ["pass", "PIN", "Secret", "challenge", "token", "VirtualToken", "virtual",
             "domain", "pwd", "credential", "x", " ", "=", ";", "\n", "tok", "en", "é"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(words), max_size=25))
    def check(parts):
        lines = "".join(parts).split("\n")
        want = [n for n, line in enumerate(lines, start=1) if redact.SECRET_KEY.search(line)]
        assert redact._lines_matching(redact.SECRET_KEY, lines) == want

    check()
