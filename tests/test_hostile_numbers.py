"""Numbers are ASCII digits of bounded length; everything else is text (issue 10, item 3).

A superscript (``²``), another script's digits (Arabic-Indic ``١``, full-width ``１``) or a
5,000-digit run in any numeric place of a capture must never raise: every capture under the
project root is read for linking, so one odd capture would sink a run on an unrelated config.
Each such place gives a SYN001 finding when a block expects a number there, or is quietly
kept as text. In configurations, such digits are not numbers either: the rule that checks the
key reports the value. Everything runs through the real CLI in a git work tree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import run_cli

# A configuration unrelated to the capture: HAOnly = 0 gives HA101 on line 7.
CONFIG = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
}
HASynchronize = {
   payments = 1;
}
"""

VARIANTS = {
    "superscript": "²",
    "arabic-indic": "١",
    "full-width": "１",
    "5000-digits": "9" * 5000,
}


def capture(n: str) -> tuple[str, dict[str, int]]:
    """A capture with ``n`` in every place that holds a number, and the 1-based line of each
    place where a block expects a number (there a SYN001 is due)."""
    lines: list[str] = []
    expected: dict[str, int] = {}

    def add(text: str, expect: str | None = None) -> None:
        lines.append(text)
        if expect:
            expected[expect] = len(lines)

    add(f"LunaCM v{n}.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.")
    add("")
    add("        Slot Id ->              0")
    add("        Label ->                pay-a")
    add("        Serial Number ->        1541234567001")
    add(f"        Firmware Version ->     7.{n}.1")
    add("        Configuration ->        Luna User Partition With SO (PW) Key Export")
    add("")
    add(f"        Slot Id ->              {n}", "slot id")
    add("        Serial Number ->        1541234567009")
    add("")
    add(f"        Current Slot Id: {n}", "current slot")
    add("")
    add(f"lunacm:>slot set -slot {n}")
    add(f"Command Result : {n} (Success)")
    add("")
    add(f"lunacm:>partition showpolicies -slot {n}")
    add("")
    add("        Partition Policies")
    add(f"                 {n}: Allow private key cloning : 1", "policy number")
    add(f"                 4: Allow secret key cloning : {n}", "policy value")
    add("                28: Allow Key Management Functions : 0")
    add("")
    add(f"Command Result : 0x{n}")
    add("")
    add("lunacm:>hagroup listgroups")
    add("         HA Group Label:  payments")
    add(f"       HA Group Slot ID:  {n}")
    add("          Group Members:  1541234567001, 1541234567002")
    add("")
    add("Slot #    Member S/N                      Member Label    Status")
    add("======    ==========                      ============    ======")
    add(f"     {n}    1541234567001                          pay-a     alive")
    add("")
    add("[hsm-a] lunash:>hsm showpolicies")
    add("   HSM Label:  hsm-a")
    add(f"   Serial #:  {n}")
    add("")
    add("   Description                              Value        Code      Destructive")
    add("   ===========                              =====        ====      ===========")
    add(f"   Allow cloning                            On           {n}         Yes",
        "policy code")
    add(f"   Allow non-FIPS algorithms                {n}           12        Yes")
    add("")
    return "\n".join(lines) + "\n", expected


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def lint_json(cwd: Path, *args: str) -> dict:
    proc = run_cli("--format", "json", "--fail-on", "never", *args, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_odd_number_in_an_unrelated_capture_does_not_sink_the_run(tmp_path, variant):
    text, _ = capture(VARIANTS[variant])
    root = project(tmp_path, {"configs/Chrystoki.conf": CONFIG,
                              "captures/site.lunacm.txt": text})
    doc = lint_json(root, "configs/Chrystoki.conf")  # the capture is read for linking only
    found = {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}
    assert ("HA101", "configs/Chrystoki.conf", 7) in found, doc["findings"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_odd_number_where_a_number_is_expected_is_a_syntax_finding(tmp_path, variant):
    n = VARIANTS[variant]
    text, expected = capture(n)
    root = project(tmp_path, {"configs/Chrystoki.conf": CONFIG,
                              "captures/site.lunacm.txt": text})
    doc = lint_json(root, "configs/Chrystoki.conf", "captures/site.lunacm.txt")
    syn = {f["line"]: f for f in doc["findings"]
           if f["rule"] == "SYN001" and f["path"] == "captures/site.lunacm.txt"}
    for place, line in expected.items():
        assert line in syn, (place, sorted(syn))
        message = syn[line]["message"]
        if variant == "5000-digits":
            assert "5000 digits" in message, (place, message)
            assert len(message) < 300, "a long number is shortened in the message"
        else:
            assert f"U+{ord(n):04X}" in message and "not an ASCII digit" in message, \
                (place, message)
    # Nothing else in the capture is an error: the other odd numbers are kept as text.
    assert set(syn) == set(expected.values()), sorted(syn)
    assert ("HA101", "configs/Chrystoki.conf") in {(f["rule"], f["path"])
                                                   for f in doc["findings"]}


def test_policy_list_goes_on_after_a_broken_number(tmp_path):
    """A policy line with a superscript number is reported, and the lines after it still count:
    policy 28 = 0 with cloning allowed is still seen (POL302)."""
    text = ("lunacm:>partition showpolicies\n"
            "        Partition Policies\n"
            "                 ²: Allow private key wrapping : 1\n"
            "                 0: Allow private key cloning : 1\n"
            "                28: Allow Key Management Functions : 0\n")
    root = project(tmp_path, {"configs/Chrystoki.conf": CONFIG,
                              "captures/site.lunacm.txt": text})
    doc = lint_json(root, "captures/site.lunacm.txt")
    found = {(f["rule"], f["line"]) for f in doc["findings"]}
    assert ("SYN001", 3) in found and ("POL302", 5) in found, doc["findings"]


# Config values written with digits other than ASCII ones are not numbers: the rule that
# checks the key says so and names the character.
UNICODE_CONFIG = """LunaSA Client = {
   ReceiveTimeout = \u0662\u0660\u0660\u0660\u0660;
}
VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = \u0661\u0661\u0665\u0664\u0661;
   VirtualToken00Members = 1541234567001, 15412345670\uff10\uff12;
   VirtualToken\u0660\u0661Label = second;
}
HAConfiguration = {
   HAOnly = 1;
   reconnAtt = \u0661;
   AutoReconnectInterval = \uff16\uff10;
}
HASynchronize = {
   payments = 1;
}
"""


def test_unicode_digits_in_a_config_are_reported_by_the_rule_of_the_key(tmp_path):
    root = project(tmp_path, {"Chrystoki.conf": UNICODE_CONFIG})
    doc = lint_json(root, "Chrystoki.conf")
    by_rule = {(f["rule"], f["line"]): f["message"] for f in doc["findings"]}
    assert "U+0662 ARABIC-INDIC DIGIT TWO" in by_rule[("HA112", 2)]
    assert "U+0661 ARABIC-INDIC DIGIT ONE" in by_rule[("HA108", 6)]
    assert "U+FF10 FULLWIDTH DIGIT ZERO" in by_rule[("HA108", 7)]
    assert "VirtualToken\u0660\u0661Label" in by_rule[("SYN005", 8)]
    assert "U+0661 ARABIC-INDIC DIGIT ONE" in by_rule[("HA102", 12)]
    assert "U+FF16 FULLWIDTH DIGIT SIX" in by_rule[("HA103", 13)]


def test_long_numbers_in_a_config_are_not_numbers(tmp_path):
    digits = "7" * 5000
    text = UNICODE_CONFIG.replace("\u0661;\n   AutoReconnectInterval", f"{digits};\n"
                                  "   AutoReconnectInterval").replace(
        "\u0662\u0660\u0660\u0660\u0660", digits).replace("\uff16\uff10", digits)
    root = project(tmp_path, {"Chrystoki.conf": text})
    doc = lint_json(root, "Chrystoki.conf")
    by_rule = {(f["rule"], f["line"]): f["message"] for f in doc["findings"]}
    for key in (("HA112", 2), ("HA102", 12), ("HA103", 13)):
        assert "5000 digits" in by_rule[key], (key, by_rule.get(key))
