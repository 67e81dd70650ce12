"""The one-pack cache (issue 21): a fully warm run takes the whole outcome of the project from
one entry. It is held to the same rules as the per-file entries (issue 19): used only when
every file reads as it did, authenticated with the cache's key, free of secret values, never
the source of a fix, never read or written through a link. Everything through the real CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lunalint.cache import FORMAT, PACK_FORMAT

from .conftest import run_cli
from .test_trust_cache import CAPTURE, CONFIG, EVIL, PASSWORD, PIN, grep_cache, key_of

MAGIC = PACK_FORMAT.encode() + b" "


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with a configuration and a capture of its members (linked by HA rules)."""
    monkeypatch.delenv("LUNALINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("LUNALINT_NO_CACHE", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    (root / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    (root / "members.lunacm.txt").write_text(CAPTURE, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def lint(root: Path, *args: str, fmt: str = "json") -> str:
    proc = run_cli("--format", fmt, "--select", "ALL", "--fail-on", "never", *(args or (".",)),
                   cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def packs(root: Path) -> list[Path]:
    folder = root / ".lunalint_cache" / "pk"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def per_file(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".lunalint_cache").rglob("*.json") if p.parent.name != "pk")


def sign(body: bytes, key: bytes | None) -> bytes:
    if key is None:  # a plain digest, as someone without the key could compute
        return hashlib.sha256(body).hexdigest().encode()
    return hmac.new(key, MAGIC + b"\0" + body + b"\0", hashlib.sha256).hexdigest().encode()


def body_of(path: Path) -> bytes:
    """A pack is its format's name, a JSON body, a line end and the body's keyed digest."""
    data = path.read_bytes()
    assert data.startswith(MAGIC)
    return data[len(MAGIC):].rpartition(b"\n")[0]


def forge(path: Path, mutate, key: bytes | None) -> None:
    doc = json.loads(body_of(path))
    mutate(doc)
    new = json.dumps(doc, separators=(",", ":")).encode()
    path.write_bytes(MAGIC + new + b"\n" + sign(new, key))


def hide_findings(doc) -> None:
    doc[3][0] = []


def test_warm_run_takes_the_pack_not_the_entries(project):
    fresh = lint(project, "--no-cache")
    assert json.loads(fresh)["findings"]
    assert lint(project) == fresh
    assert len(packs(project)) == 1
    # Per-file entries emptied under the real key would hide every finding if they were read:
    # an unchanged project is answered from its pack alone.
    key = key_of(project)
    for entry in per_file(project):
        head, _, body = entry.read_bytes().partition(b"\n")
        doc = json.loads(body)
        doc[4][1] = []
        new = json.dumps(doc, separators=(",", ":")).encode()
        magic = FORMAT.encode() + b" "
        entry.write_bytes(magic + hmac.new(key, magic + b"\0" + new + b"\0",
                                           hashlib.sha256).hexdigest().encode() + b"\n" + new)
    assert lint(project) == fresh
    for fmt in ("sarif", "text"):
        assert lint(project, fmt=fmt) == lint(project, "--no-cache", fmt=fmt)


@pytest.mark.parametrize("signer", ["sha256", "other-cache"])
def test_forged_pack_cannot_hide_findings(project, tmp_path, signer):
    fresh = lint(project, "--no-cache")
    lint(project)
    key = None
    if signer == "other-cache":
        other = tmp_path / "other" / "project"
        shutil.copytree(project, other, ignore=shutil.ignore_patterns(".lunalint_cache"))
        lint(other)
        key = key_of(other)
    forge(packs(project)[0], hide_findings, key)
    assert lint(project) == fresh
    # ... and the forged pack was replaced by a good one
    assert b"HA101" in packs(project)[0].read_bytes()
    assert lint(project) == fresh


@pytest.mark.parametrize("damage", ["garbage", "truncated", "digest", "other-files"])
def test_damaged_or_stale_pack_is_not_used(project, damage):
    fresh = lint(project, "--no-cache")
    lint(project)
    pack = packs(project)[0]
    data = pack.read_bytes()
    if damage == "garbage":
        pack.write_bytes(os.urandom(200))
    elif damage == "truncated":
        pack.write_bytes(data[: len(data) // 2])
    elif damage == "digest":  # a changed body under the old signature
        pack.write_bytes(data.replace(b"HA101", b"HA100"))
    else:  # a good pack of this cache, but of other files: what the digest protects
        forge(pack, lambda doc: doc.__setitem__(0, "0" * 64), key_of(project))
    assert lint(project) == fresh


def test_a_changed_context_file_is_seen(project):
    """Only the configuration is named; the capture it links with is context. A pack made
    before the capture changed (or went) is not used after."""
    capture = project / "members.lunacm.txt"
    # (no password in it: a secret's position in a changed file would catch the change too)
    capture.write_text(CAPTURE.replace(f" -password {PASSWORD}", ""), encoding="utf-8")
    lint(project, "Chrystoki.conf")
    before = lint(project, "Chrystoki.conf")
    assert "HA113" in before  # the capture shows none of the group's members
    capture.write_text(capture.read_text(encoding="utf-8").replace("1238700701509",
                                                                   "1238700701777"),
                       encoding="utf-8")
    assert lint(project, "Chrystoki.conf") == lint(project, "Chrystoki.conf", "--no-cache")
    capture.unlink()
    after = lint(project, "Chrystoki.conf")
    assert after == lint(project, "Chrystoki.conf", "--no-cache")
    assert "HA113" not in after, "the capture's removal did not reach the linked findings"


def test_one_pack_per_project_and_settings(project):
    lint(project)
    lint(project, "Chrystoki.conf")
    lint(project, "members.lunacm.txt")
    assert len(packs(project)) == 1, "each run over the project should replace its pack"
    proc = run_cli("--format", "json", "--select", "HA", "--fail-on", "never", ".",
                   cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert len(packs(project)) == 2  # other rules: another pack, the first one kept


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_no_secret_in_the_pack_and_output_identical(project, fmt):
    conf = project / "Chrystoki.conf"
    conf.write_text(CONFIG + f"Misc = {{\n   UserPin = {PIN};\n"
                    f"   PartitionPassword {PASSWORD}x\n}}\n", encoding="utf-8")
    fresh = lint(project, "--no-cache", fmt=fmt)
    assert PASSWORD not in fresh and PIN not in fresh
    assert lint(project, fmt=fmt) == fresh
    assert packs(project)
    assert lint(project, fmt=fmt) == fresh  # from the pack: values read back from the files
    for secret in (PASSWORD, PIN, PASSWORD + "x"):
        assert grep_cache(project, secret) == []


def test_secret_positions_are_checked_against_the_file(project):
    """A pack whose secret position points past a file's end (or at a file that changed) is
    not used: the values it needs are not there."""
    fresh = lint(project, "--no-cache")
    lint(project)
    pack = packs(project)[0]
    assert json.loads(body_of(pack))[2], "the capture's password should be kept as a position"
    forge(pack, lambda doc: doc[2][0].__setitem__(1, 10**6), key_of(project))
    assert lint(project) == fresh


def test_fix_never_comes_from_the_pack(project):
    lint(project)
    key = key_of(project)

    def plant(doc) -> None:
        for finding in doc[3][0]:
            line = finding[4][0]
            finding[10] = ["safe", "tidy", [[[line, 1, line, 1], EVIL + "\n"]]]

    forge(packs(project)[0], plant, key)
    proc = run_cli("--fix", "--unsafe-fixes", "--format", "json", ".", cwd=project)
    assert "Traceback" not in proc.stderr
    text = (project / "Chrystoki.conf").read_text(encoding="utf-8")
    assert "libevil" not in text and "attacker" not in text
    assert "HAOnly = 1;" in text and "\t" not in text  # the real fixes were made


def test_linked_pack_folder_is_not_followed(project, tmp_path):
    fresh = lint(project, "--no-cache")
    lint(project)
    folder = project / ".lunalint_cache" / "pk"
    elsewhere = tmp_path / "attacker"
    shutil.copytree(folder, elsewhere)
    name = packs(project)[0].name
    forge(elsewhere / name, hide_findings, key_of(project))
    planted = (elsewhere / name).read_bytes()
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    assert lint(project) == fresh
    assert not folder.is_symlink() and folder.is_dir(), "the linked folder was not replaced"
    assert (elsewhere / name).read_bytes() == planted, "written through the link"


def test_report_is_not_written_over_a_context_file_on_a_warm_run(project):
    """The capture is read as context only; a report must not replace it, pack or no pack."""
    lint(project, "Chrystoki.conf")
    lint(project, "Chrystoki.conf")
    capture = project / "members.lunacm.txt"
    before = capture.read_bytes()
    proc = run_cli("--format", "json", "--select", "ALL", "-o", "members.lunacm.txt",
                   "Chrystoki.conf", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert capture.read_bytes() == before
