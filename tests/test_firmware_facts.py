"""The client/firmware table ships as data and users extend it under `facts` (VER201)."""

from __future__ import annotations

from lunalint import firmware
from lunalint.versions import Version

from .conftest import SAMPLES, run_cli, run_json

CONFIG = (SAMPLES / "Chrystoki.conf").read_text()


def _capture(fw: str, client: str = "10.4.0-417") -> str:
    text = (SAMPLES / "lunacm-session.txt").read_text()
    return text.replace("Firmware Version ->     7.7.1", f"Firmware Version ->     {fw}") \
        .replace("LunaCM v10.4.0-417", f"LunaCM v{client}")


def test_shipped_table_rows_and_confidence():
    row = firmware.row_for(Version.parse("7.8.3"))
    assert (str(row.min_client), row.confidence) == ("10.6.0", "inferred")
    assert firmware.row_for(Version.parse("7.7.0")).confidence == "doc"
    assert firmware.row_for(Version.parse("7.5.1")) is None  # not in the table: no guessing
    assert firmware.newer_than_known(Version.parse("7.10.0"))


def test_user_rows_extend_and_override_the_table(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    (tmp_path / "members.lunacm.txt").write_text(_capture("7.10.0"))
    _, doc = run_json(".", cwd=tmp_path)
    notes = [f for f in doc["findings"] if f["rule"] in ("VER201", "VER205")]
    assert {(f["rule"], f["level"], f["line"]) for f in notes} == {
        ("VER205", "note", 9), ("VER205", "note", 19)}
    assert "newer than lunalint's client/firmware table knows" in notes[0]["message"]

    (tmp_path / ".lunalint.yaml").write_text(
        'facts:\n  - firmware: "7.10.0"\n    below: "7.11.0"\n    min-client: "10.9.0"\n')
    _, doc = run_json(".", cwd=tmp_path)
    found = [f for f in doc["findings"] if f["rule"] == "VER201"]
    assert {(f["level"], f["line"]) for f in found} == {("warning", 9), ("warning", 19)}
    assert not [f for f in doc["findings"] if f["rule"] == "VER205"]  # the row covers it now
    assert "needs HSM Client 10.9.0 or newer (user); the client is 10.4.0" in found[0]["message"]

    # A user row with the same `from` as a shipped row replaces it.
    (tmp_path / "members.lunacm.txt").write_text(_capture("7.7.1"))
    (tmp_path / ".lunalint.yaml").write_text(
        'facts:\n  - firmware: "7.7.1"\n    below: "7.8.0"\n    min-client: "10.5.0"\n'
        '    confidence: doc\n')
    _, doc = run_json(".", cwd=tmp_path)
    assert [f["level"] for f in doc["findings"] if f["rule"] == "VER201"] == ["warning"] * 2


def test_client_version_from_facts_beats_the_banner(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    (tmp_path / "members.lunacm.txt").write_text(_capture("7.8.1"))
    (tmp_path / ".lunalint.yaml").write_text(
        'facts:\n  - path: "Chrystoki.conf"\n    client-version: "10.5.0"\n')
    _, doc = run_json(".", cwd=tmp_path)
    assert not [f for f in doc["findings"] if f["rule"] == "VER201"]
    (tmp_path / ".lunalint.yaml").write_text(
        'facts:\n  - path: "Chrystoki.conf"\n    client-version: "10.4.0"\n')
    _, doc = run_json(".", cwd=tmp_path)
    found = [f for f in doc["findings"] if f["rule"] == "VER201"]
    assert found and "(from `facts` in the configuration file)" in found[0]["message"]


def test_a_bad_firmware_fact_is_a_configuration_error(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    (tmp_path / ".lunalint.yaml").write_text(
        'facts:\n  - firmware: "7.10.0"\n    below: soon\n    min-client: "10.9.0"\n')
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 2
    assert ".lunalint.yaml:3:" in proc.stderr and "below" in proc.stderr
