"""Captures through the real CLI: classified by name or content, read without SYN001."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lunalint import discover

from .conftest import run_json

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SAMPLES = ["lunacm-session.txt", "lunash-hsm-showpolicies.txt", "lunash-hsm-show.txt",
           "partition-showpolicies-bare.txt"]


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_lint_clean_through_the_cli(tmp_path, name):
    shutil.copy(EXPORTS / name, tmp_path / name)
    code, doc = run_json(name, "--select", "SYN001", cwd=tmp_path)
    assert code == 0, doc
    assert doc["findings"] == [] and doc["summary"]["files"] == 1


def test_session_named_like_a_capture_exits_zero_without_syn001(tmp_path):
    shutil.copy(EXPORTS / "lunacm-session.txt", tmp_path / "some.lunacm.txt")
    code, doc = run_json("some.lunacm.txt", cwd=tmp_path)
    assert code == 0, doc
    assert not [f for f in doc["findings"] if f["rule"] == "SYN001"]
    assert doc["summary"]["files"] == 1


def test_broken_policy_line_is_reported_as_syn001_with_its_position(tmp_path):
    lines = (EXPORTS / "lunacm-session.txt").read_text(encoding="utf-8").splitlines()
    lines[99] = "                28: Allow Key Manage"
    (tmp_path / "s.lunacm.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, doc = run_json("s.lunacm.txt", "--select", "SYN001", cwd=tmp_path)
    assert code == 1
    finding, = doc["findings"]
    assert finding["rule"] == "SYN001" and finding["level"] == "error"
    assert (finding["line"], finding["column"]) == (100, 21)
    assert "policy line" in finding["message"]


def test_walked_directory_finds_captures_by_content(tmp_path):
    (tmp_path / "audit").mkdir()
    text = (EXPORTS / "lunash-hsm-showpolicies.txt").read_text(encoding="utf-8")
    (tmp_path / "audit" / "hsm-a.txt").write_text(text.replace("[hsm-a] lunash:>",
                                                               "\x1b[1m[hsm-a] lunash:>\x1b[0m"))
    (tmp_path / "audit" / "notes.txt").write_text("nothing about Luna here\n")
    code, doc = run_json(".", "--select", "SYN001", cwd=tmp_path)
    assert code == 0 and doc["summary"]["files"] == 1


@pytest.mark.parametrize("text", [
    "\x1b[1;32mlunacm:>\x1b[0mslot list\n",
    "[host] lunash:>hsm show\n",
    "\n   Command Result : No Error\n",
    "lunacm (64-bit) v7.3.0. Copyright (c) 2018 SafeNet. All rights reserved.\n",
])
def test_content_sniffing_recognises_captures(text):
    assert discover.classify("capture.txt", text) == ("export", None)


def test_capture_name_pattern_and_config_are_not_confused():
    assert discover.classify("x.lunash.log", "anything")[0] == "export"
    assert discover.classify("crystoki.ini", "[Misc]\nToolsDir=C:\\x\n")[0] == "config"
