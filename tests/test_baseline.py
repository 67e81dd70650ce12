"""Baselines: keyed by rule + path + logical anchor, so moving lines keeps them valid."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from .conftest import SAMPLES, run_cli, run_json

CONFIG = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   AutoReconnectInterval = 60;
}
"""


def _workspace(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    shutil.copy(SAMPLES / "lunacm-session.txt", tmp_path / "members.lunacm.txt")
    return tmp_path


def test_write_then_apply_hides_recorded_findings(tmp_path):
    ws = _workspace(tmp_path)
    code, before = run_json(".", cwd=ws)
    assert code == 1
    assert {f["rule"] for f in before["findings"]} == {"HA101", "POL302"}
    proc = run_cli("--write-baseline", "lunalint-baseline.json", ".", cwd=ws)
    assert proc.returncode == 0, proc.stdout
    assert "recorded 2 findings in lunalint-baseline.json" in proc.stderr
    entries = json.loads((ws / "lunalint-baseline.json").read_text())["findings"]
    assert all("line" not in e for e in entries)
    assert {(e["rule"], e["path"], e["anchor"]) for e in entries} == {
        ("HA101", "Chrystoki.conf", "HAConfiguration/HAOnly"),
        ("POL302", "members.lunacm.txt", "1541234567002/policy-28")}
    code, after = run_json("--baseline", "lunalint-baseline.json", ".", cwd=ws)
    assert code == 0
    assert after["findings"] == []
    assert after["summary"]["suppressed"] == 2


def test_moving_lines_keeps_the_baseline_valid_and_new_findings_show(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    # Move HAConfiguration to the top and push everything down: every line number changes.
    head, ha = CONFIG.split("HAConfiguration = {")
    moved = "# moved\n\nHAConfiguration = {" + ha + "\n" + head
    moved = moved.replace("reconnAtt = -1;", "reconnAtt = 0;")  # a new problem (HA102)
    (ws / "Chrystoki.conf").write_text(moved)
    code, doc = run_json("--baseline", "b.json", ".", cwd=ws)
    assert code == 1
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("HA102", 5)]
    assert doc["summary"]["suppressed"] == 2


def test_fixed_entries_are_listed_in_the_summary(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    (ws / "Chrystoki.conf").write_text(CONFIG.replace("HAOnly = 0;", "HAOnly = 1;"))
    proc = run_cli("--baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 0
    assert "1 baseline entry no longer found (fixed): HA101 Chrystoki.conf " \
           "HAConfiguration/HAOnly." in proc.stdout


def test_baselined_findings_carry_an_external_suppression_when_included(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    _, doc = run_json("--baseline", "b.json", "--include-suppressed", ".", cwd=ws)
    assert {f["rule"] for f in doc["findings"]} == {"HA101", "POL302"}
    assert all(f["suppressed"]["kind"] == "external" for f in doc["findings"])


def test_a_broken_baseline_is_a_usage_error(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text("{not json")
    proc = run_cli("--baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 2
    assert "b.json:1: not a lunalint baseline" in proc.stderr
    (ws / "c.json").write_text('{"findings": []}')
    assert "not a lunalint baseline" in run_cli("--baseline", "c.json", ".", cwd=ws).stderr
    assert run_cli("--baseline", "missing.json", ".", cwd=ws).returncode == 2


# --------------------------------------------------------------------------- hostile baselines
# (issue 10): a baseline sits in the repository, so a pull request can plant any of these.

def _run_bounded(*args: str, cwd, memory_mb: int = 400) -> subprocess.CompletedProcess:
    """The CLI with at most ``memory_mb`` of address space and 60 s of CPU."""
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180, preexec_fn=limit)


def _one_line_error(proc, *words: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err[-2000:]
    assert err.startswith("lunalint: error: "), err
    for word in words:
        assert word in err, err
    return err


def _baseline(entries) -> str:
    return json.dumps({"lunalint_baseline": 1, "version": "0.1.0", "findings": entries})


FIXED_ENTRY = {"rule": "HA101", "path": "Chrystoki.conf", "anchor": "VirtualToken/gone"}


@pytest.mark.parametrize("count", [10**18, 10**9, 1_000_001])
def test_a_huge_count_is_a_one_line_error(tmp_path, count):
    """Entries no longer found used to be listed once per count: 10**18 of them."""
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text(_baseline([dict(FIXED_ENTRY, count=count)]))
    proc = _run_bounded("--baseline", "b.json", ".", cwd=ws)
    _one_line_error(proc, "b.json: entry 1: malformed entry",
                    "`count` must be a whole number from 1 to 1000000")


@pytest.mark.parametrize("count", ['"5"', "1.5", "true", "0", "-3", "null", "[1]",
                                   "1" + "0" * 5000])
def test_a_count_that_is_not_a_small_whole_number_is_refused(tmp_path, count):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text('{"lunalint_baseline": 1, "findings": [{"rule": "HA101", '
                               '"path": "Chrystoki.conf", "anchor": "x", "count": '
                               f"{count}}}]}}")
    _one_line_error(run_cli("--baseline", "b.json", ".", cwd=ws), "b.json:",
                    "not a lunalint baseline" if len(count) > 100 else "`count`")


def test_many_entries_for_one_key_add_up_to_the_same_bound(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text(_baseline([dict(FIXED_ENTRY, count=600_000)] * 2))
    _one_line_error(run_cli("--baseline", "b.json", ".", cwd=ws),
                    "b.json: entry 2: more than 1000000 findings")


HEAD = '{"lunalint_baseline": 1, "findings": '


@pytest.mark.parametrize("body, words", [
    pytest.param(lambda: HEAD + "[" + ",".join(["[]"] * 5_000_000) + "]}",
                 "far more values", id="millions-of-empty-arrays"),
    pytest.param(lambda: HEAD + "[" + ",".join(['{"a":"b"}'] * 1_500_000) + "]}",
                 "far more values", id="many-objects"),
    pytest.param(lambda: HEAD + "[" * 150_000 + "]" * 150_000 + "}",
                 "nested too deeply", id="deep-nesting"),
    pytest.param(None, "larger than 16 MiB", id="a-1-GiB-file"),
])
def test_huge_or_deep_baselines_are_refused_in_little_memory(tmp_path, body, words):
    ws = _workspace(tmp_path)
    if body is None:  # sparse: costs no disk, but reading it all would take 1 GiB
        with open(ws / "b.json", "wb") as handle:
            handle.write(HEAD.encode())
            handle.truncate(1 << 30)
    else:
        (ws / "b.json").write_text(body())
    proc = _run_bounded("--baseline", "b.json", ".", cwd=ws, memory_mb=300)
    _one_line_error(proc, "b.json", words)


def test_too_many_entries_is_a_one_line_error(tmp_path):
    ws = _workspace(tmp_path)
    entries = [{"rule": "HA101", "path": "p", "anchor": str(i)} for i in range(100_001)]
    (ws / "b.json").write_text(_baseline(entries))
    _one_line_error(run_cli("--baseline", "b.json", ".", cwd=ws), "more than 100000 entries")


def test_a_baseline_that_is_not_utf8_is_a_one_line_error(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_bytes(b'{"lunalint_baseline": 1,\n "findings": ["\xff"]}')
    _one_line_error(run_cli("--baseline", "b.json", ".", cwd=ws),
                    "b.json:2: not a lunalint baseline (not UTF-8)")


def test_a_malformed_entry_is_named_by_position_never_by_its_values(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").write_text(_baseline([
        dict(FIXED_ENTRY, count=1),
        {"rule": "HA101", "path": "Chrystoki.conf", "anchor": "UserPin = 739264", "count": "x"},
    ]))
    err = _one_line_error(run_cli("--baseline", "b.json", ".", cwd=ws), "b.json: entry 2: ")
    assert "739264" not in err


def test_a_fixed_entry_with_a_count_is_listed_once(tmp_path):
    ws = _workspace(tmp_path)
    run_cli("--write-baseline", "b.json", ".", cwd=ws)
    doc = json.loads((ws / "b.json").read_text())
    for entry in doc["findings"]:
        if entry["rule"] == "HA101":
            entry["count"] = 3
    (ws / "b.json").write_text(json.dumps(doc))
    (ws / "Chrystoki.conf").write_text(CONFIG.replace("HAOnly = 0;", "HAOnly = 1;"))
    proc = run_cli("--baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert "1 baseline entry no longer found (fixed): HA101 Chrystoki.conf " \
           "HAConfiguration/HAOnly (3 times)." in proc.stdout


# --------------------------------------------------------------------------- writing safely

def _refused_write(ws, target: str) -> str:
    proc = run_cli("--write-baseline", target, ".", cwd=ws)
    return _one_line_error(proc, f"cannot write {target}: it is ",
                           "a baseline is written only to a new or regular file")


def test_write_baseline_refuses_a_symlink(tmp_path):
    ws = _workspace(tmp_path)
    victim = tmp_path.parent / f"{tmp_path.name}-victim.txt"
    victim.write_text("keep me\n")
    (ws / "b.json").symlink_to(victim)
    assert "a symbolic link" in _refused_write(ws, "b.json")
    assert (ws / "b.json").is_symlink() and victim.read_text() == "keep me\n"
    (ws / "dangling.json").symlink_to(tmp_path / "nowhere")
    _refused_write(ws, "dangling.json")
    assert not (tmp_path / "nowhere").exists()


def test_write_baseline_refuses_a_fifo(tmp_path):
    ws = _workspace(tmp_path)
    os.mkfifo(ws / "b.json")
    assert "a FIFO" in _refused_write(ws, "b.json")
    assert stat.S_ISFIFO(os.lstat(ws / "b.json").st_mode)


def test_write_baseline_refuses_a_directory(tmp_path):
    ws = _workspace(tmp_path)
    (ws / "b.json").mkdir()
    (ws / "b.json" / "inside").write_text("x")
    assert "a directory" in _refused_write(ws, "b.json")
    assert (ws / "b.json" / "inside").read_text() == "x"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a device node needs root")
def test_write_baseline_refuses_a_device(tmp_path):
    ws = _workspace(tmp_path)
    os.mknod(ws / "null.json", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert "a device" in _refused_write(ws, "null.json")
    assert stat.S_ISCHR(os.lstat(ws / "null.json").st_mode)


def test_write_baseline_replaces_a_regular_file_atomically(tmp_path):
    ws = _workspace(tmp_path)
    old = ws / "b.json"
    old.write_text("old\n")
    os.chmod(old, 0o640)
    other_name = ws / "hardlink.json"
    os.link(old, other_name)
    proc = run_cli("--write-baseline", "b.json", ".", cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(old.read_text())["lunalint_baseline"] == 1
    assert stat.S_IMODE(old.stat().st_mode) == 0o640       # the file's mode is kept
    assert other_name.read_text() == "old\n"                # a new file, not written in place
    assert sorted(p.name for p in ws.iterdir() if p.name.startswith(".")) == []


def test_concurrent_baseline_writes_leave_a_whole_file(tmp_path):
    ws = _workspace(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-m", "lunalint", "--write-baseline", "b.json",
                               "."], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    assert len(json.loads((ws / "b.json").read_text())["findings"]) == 2
    assert [p.name for p in ws.iterdir() if p.name.startswith(".")] == []
