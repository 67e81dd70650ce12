"""The bad-input matrix (issue 7): one case each, through the real CLI in a temporary directory.

Every case must give a clear finding or message (never a traceback), and a good file linted in
the same run must still get its finding.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

# A control file: HA groups with HAOnly = 0 gives HA101 on line 7.
CONTROL = """VirtualToken = {
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
CONTROL_HA101 = ("control/Chrystoki.conf", 7)


def lint(tmp: Path, *targets: str, cwd: Path | None = None,
         prefix: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess, dict]:
    """Lint the control file and ``targets`` in one run; JSON report, never a traceback."""
    control = tmp / "control"
    control.mkdir(exist_ok=True)
    (control / "Chrystoki.conf").write_text(CONTROL, encoding="utf-8")
    args = ["--format", "json", "--fail-on", "never", "-j", "1", "control", *targets]
    # A generous timeout: the big cases are slow on a loaded CI machine, but must not hang.
    proc = subprocess.run([*prefix, sys.executable, "-m", "lunalint", *args], cwd=cwd or tmp,
                          env=dict(os.environ), capture_output=True, text=True, timeout=900)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 2), proc.stderr
    assert proc.stdout, proc.stderr
    doc = json.loads(proc.stdout)
    found = {(f["path"], f["line"]) for f in doc["findings"] if f["rule"] == "HA101"}
    assert CONTROL_HA101 in found, "the good file was not linted"
    return proc, doc


def findings_for(doc: dict, path: str) -> list[dict]:
    return [f for f in doc["findings"] if f["path"] == path]


def syn001_message(doc: dict, path: str) -> str:
    found = [f for f in findings_for(doc, path) if f["rule"] == "SYN001"]
    assert found, f"no SYN001 finding on {path}: {doc['findings']}"
    return found[0]["message"]


def keys(doc: dict, path: str) -> list[tuple]:
    return [(f["rule"], f["line"], f["column"], f["end_column"])
            for f in findings_for(doc, path)]


def reference(tmp: Path) -> list[tuple]:
    """Findings on the control text itself, written as plain UTF-8 with LF."""
    ref = tmp / "ref"
    ref.mkdir()
    (ref / "Chrystoki.conf").write_text(CONTROL, encoding="utf-8")
    _, doc = lint(tmp, "ref/Chrystoki.conf")
    return keys(doc, "ref/Chrystoki.conf")


def write_case(tmp: Path, data: bytes, name: str = "Chrystoki.conf") -> str:
    case = tmp / "case"
    case.mkdir(exist_ok=True)
    (case / name).write_bytes(data)
    return f"case/{name}"


def test_empty_file_is_linted_quietly(tmp_path):
    target = write_case(tmp_path, b"")
    _, doc = lint(tmp_path, target)
    assert findings_for(doc, target) == []
    assert doc["summary"]["files"] == 2  # counted as linted, not skipped


def test_binary_file_is_reported_not_parsed(tmp_path):
    target = write_case(tmp_path, bytes(range(256)) * 8)
    _, doc = lint(tmp_path, "case")  # met in a directory walk: a Luna name is still reported
    assert "binary" in syn001_message(doc, target)


def test_nul_bytes_in_a_config(tmp_path):
    target = write_case(tmp_path, CONTROL.encode().replace(b"HAOnly", b"HA\x00Only"))
    _, doc = lint(tmp_path, target)
    message = syn001_message(doc, target)
    assert "NUL" in message and "offset" in message


def test_invalid_utf8_is_read_as_latin1_and_said(tmp_path):
    target = write_case(tmp_path, CONTROL.encode().replace(b"payments;", b"paym\xe9nts;", 1))
    _, doc = lint(tmp_path, target)
    assert "not valid UTF-8" in syn001_message(doc, target)
    assert ("HA101", 7) in [(f["rule"], f["line"]) for f in findings_for(doc, target)]


@pytest.mark.parametrize("codec,bom", [("utf-16-le", codecs.BOM_UTF16_LE),
                                       ("utf-16-be", codecs.BOM_UTF16_BE),
                                       ("utf-8", codecs.BOM_UTF8)])
def test_byte_order_marks_are_decoded(tmp_path, codec, bom):
    expected = reference(tmp_path)
    target = write_case(tmp_path, bom + CONTROL.encode(codec))
    _, doc = lint(tmp_path, target)
    assert keys(doc, target) == expected


def test_utf16_without_a_valid_body_is_explained(tmp_path):
    target = write_case(tmp_path, codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate
    _, doc = lint(tmp_path, target)
    assert "UTF-16 LE" in syn001_message(doc, target)


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "cr-only"])
def test_line_endings_keep_positions(tmp_path, ending):
    expected = reference(tmp_path)
    target = write_case(tmp_path, CONTROL.replace("\n", ending).encode())
    _, doc = lint(tmp_path, target)
    assert keys(doc, target) == expected


@pytest.mark.stress
def test_ten_megabyte_single_line(tmp_path):
    text = "Luna = {\n   DefaultTimeOut = " + "9" * 10_000_000 + "\n}\n"  # no `;`
    target = write_case(tmp_path, text.encode())
    _, doc = lint(tmp_path, target)
    message = syn001_message(doc, target)
    assert "expected `;`" in message
    assert len(json.dumps(doc)) < 1_000_000  # the line itself is not echoed


@pytest.mark.stress
def test_a_million_lines(tmp_path):
    body = "Luna = {\n   DefaultTimeOut = 500000;\n" + "   # tuned by ops\n" * 999_996
    text = body + "   DefaultTimeOut = 600000;\n}\n"  # a duplicate key at the very end
    assert text.count("\n") == 1_000_000
    target = write_case(tmp_path, text.encode())
    _, doc = lint(tmp_path, target)
    assert [f["line"] for f in findings_for(doc, target)] == [999_999]


@pytest.mark.stress
def test_ten_thousand_nested_braces(tmp_path):
    text = "A = {\n" * 10_000 + "}\n" * 10_001 + "}" * 10_000 + "\n"
    target = write_case(tmp_path, text.encode())
    _, doc = lint(tmp_path, target)
    mine = findings_for(doc, target)
    assert mine and all(f["rule"].startswith("SYN") for f in mine)
    assert any("no section is open" in f["message"] for f in mine)


def test_unterminated_section(tmp_path):
    target = write_case(tmp_path, b"Luna = {\n   DefaultTimeOut = 500000;\n")
    _, doc = lint(tmp_path, target)
    message = syn001_message(doc, target)
    assert "expected `}` to close section `Luna`" in message and "end of the file" in message


def test_directory_named_like_a_config(tmp_path):
    (tmp_path / "etc" / "Chrystoki.conf").mkdir(parents=True)
    proc, doc = lint(tmp_path, "etc/Chrystoki.conf")
    assert "etc/Chrystoki.conf: no Luna client configuration or capture found" in proc.stderr
    proc, doc = lint(tmp_path, "etc")  # and inside a walked tree it is simply walked into
    assert findings_for(doc, "etc/Chrystoki.conf") == []


def test_missing_file_is_an_error_but_the_rest_is_linted(tmp_path):
    proc, doc = lint(tmp_path, "nope/Chrystoki.conf")
    assert proc.returncode == 2
    assert "no such file or directory: nope/Chrystoki.conf" in proc.stderr


def _cannot_drop_dac() -> str | None:
    if os.name != "posix":
        return "POSIX permissions only"
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv") is None:
        return "running as root without setpriv: cannot make a file unreadable to this process"
    probe = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        return "running as root and setpriv cannot drop CAP_DAC_OVERRIDE here"
    return None


@pytest.mark.skipif(_cannot_drop_dac() is not None, reason=str(_cannot_drop_dac()))
def test_unreadable_file(tmp_path):
    target = write_case(tmp_path, CONTROL.encode())
    os.chmod(tmp_path / target, 0)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root reads anything: run the CLI without the override capability
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    _, doc = lint(tmp_path, target, prefix=prefix)
    assert "permission denied" in syn001_message(doc, target)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this platform")
def test_symlink_loop(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    os.symlink("Chrystoki.conf", case / "Chrystoki.conf")
    # met while walking: never followed, reported as skipped
    proc, doc = lint(tmp_path, "case")
    assert not findings_for(doc, "case/Chrystoki.conf")
    assert "case/Chrystoki.conf: symbolic link not followed; skipped" in proc.stderr
    # named: the loop is reported on the file
    _, doc = lint(tmp_path, "case/Chrystoki.conf")
    assert "symbolic link" in syn001_message(doc, "case/Chrystoki.conf")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_does_not_hang(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    os.mkfifo(case / "Chrystoki.conf")  # nobody ever writes to it: reading would block
    _, doc = lint(tmp_path, "case/Chrystoki.conf")
    assert "not a regular file" in syn001_message(doc, "case/Chrystoki.conf")
    _, doc = lint(tmp_path, "case")
    assert "not a regular file" in syn001_message(doc, "case/Chrystoki.conf")


def test_path_with_spaces_and_non_ascii(tmp_path):
    folder = tmp_path / "HSM configs" / "Zürich Ünïcødé 東京"
    folder.mkdir(parents=True)
    (folder / "Chrystoki.conf").write_text(CONTROL, encoding="utf-8")
    shown = "HSM configs/Zürich Ünïcødé 東京/Chrystoki.conf"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # paths from its root
    _, doc = lint(tmp_path, "HSM configs")
    assert ("HA101", 7) in [(f["rule"], f["line"]) for f in findings_for(doc, shown)]
    proc = run_cli("--format", "sarif", "--fail-on", "never", "HSM configs", cwd=tmp_path)
    sarif = json.loads(proc.stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert "HSM%20configs/Z%C3%BCrich%20%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E6%9D%B1%E4%BA%AC/" \
           "Chrystoki.conf" in uris
    text = run_cli("--fail-on", "never", "HSM configs", cwd=tmp_path)
    assert f"{shown}:7:4: warning HA101" in text.stdout


def test_every_bad_file_at_once_with_a_pool(tmp_path):
    """The whole matrix in one directory, linted by worker processes: still one clean report."""
    case = tmp_path / "case"
    case.mkdir()
    samples = {
        "empty": b"", "binary": bytes(range(256)), "nul": b"Luna = {\x00}\n",
        "latin1": b"Luna = {\n DefaultTimeOut = \xe9;\n}\n",
        "utf16": codecs.BOM_UTF16_LE + CONTROL.encode("utf-16-le"),
        "cr": CONTROL.replace("\n", "\r").encode(), "open": b"Luna = {\n",
    }
    for i, (name, data) in enumerate(samples.items()):
        sub = case / f"{i:02d}-{name}"
        sub.mkdir()
        (sub / "Chrystoki.conf").write_bytes(data)
    if hasattr(os, "mkfifo"):
        (case / "fifo").mkdir()
        os.mkfifo(case / "fifo" / "Chrystoki.conf")
    if hasattr(os, "symlink"):
        (case / "loop").mkdir()
        os.symlink("Chrystoki.conf", case / "loop" / "Chrystoki.conf")
    proc = run_cli("--format", "json", "--fail-on", "never", "-j", "2", "control", "case",
                   cwd=_with_control(tmp_path))
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert CONTROL_HA101 in {(f["path"], f["line"]) for f in doc["findings"]
                             if f["rule"] == "HA101"}
    assert not [f for f in doc["findings"] if f["rule"] == "LUNALINT-INTERNAL"]


def _with_control(tmp: Path) -> Path:
    (tmp / "control").mkdir(exist_ok=True)
    (tmp / "control" / "Chrystoki.conf").write_text(CONTROL, encoding="utf-8")
    return tmp

