"""The result cache is a hint, never an authority (issue 19): forged entries are rejected, a
planted fix is never written, a cache folder others may write (or a link) is ignored and made
anew, the key is private, and no secret value ever reaches the cache on disk. Everything goes
through the real command line."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from lunalint.cache import FORMAT

from .conftest import SAMPLES, run_cli

MAGIC = FORMAT.encode() + b" "
# SYN002 (tab indentation) has a safe fix; HA101 (HAOnly = 0) an unsafe one.
CONFIG = ("VirtualToken = {\n   VirtualToken00Label = payments;\n"
          "   VirtualToken00SN = 1154438865287;\n"
          "   VirtualToken00Members = 154438865287,1238700701509;\n}\n"
          "HAConfiguration = {\n\tHAOnly = 0;\t# one\n}\n")
EVIL = "LibUNIX64 = /tmp/attacker/libevil.so;"
PASSWORD = "Tr0ub4dor-and-3"
PIN = "93812745"
CAPTURE = f"""lunacm:> partition login -password {PASSWORD}

        Command Result : 0 (Success)

lunacm:> hagroup addmember -group payments -serial 1238700701509 -password {PASSWORD}

        Command Result : 0 (Success)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git work tree whose cache is where users get it: .lunalint_cache at the root."""
    monkeypatch.delenv("LUNALINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("LUNALINT_NO_CACHE", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    (root / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def lint(root: Path, *extra: str, fmt: str = "json") -> str:
    proc = run_cli("--format", fmt, "--fail-on", "never", *extra, ".", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def entries(root: Path) -> list[Path]:
    """The per-file entries (not the scope's pack, in ``pk/``)."""
    return sorted(p for p in (root / ".lunalint_cache").rglob("*.json") if p.parent.name != "pk")


def drop_packs(root: Path) -> None:
    """Remove the one-pack entries, so that the next run reads the per-file entries."""
    shutil.rmtree(root / ".lunalint_cache" / "pk", ignore_errors=True)


def forge(path: Path, mutate, key: bytes | None) -> None:
    """Rewrite the entry at ``path`` with ``mutate`` applied to its body, signed with HMAC
    under ``key`` (as someone holding that key would) or, with None, a plain SHA-256."""
    head, _, body = path.read_bytes().partition(b"\n")
    doc = json.loads(body)
    mutate(doc)
    new = json.dumps(doc, separators=(",", ":")).encode()
    if key is None:
        digest = hashlib.sha256(new).hexdigest()
    else:
        digest = hmac.new(key, MAGIC + b"\0" + new + b"\0", hashlib.sha256).hexdigest()
    path.write_bytes(MAGIC + digest.encode() + b"\n" + new)


def hide_findings(doc) -> None:
    doc[4][1] = []


def plant_fix(doc) -> None:
    for finding in doc[4][1]:
        span = finding[4]
        finding[10] = ["safe", "tidy", [[[span[0], 1, span[0], 1], EVIL + "\n"]]]


def key_of(root: Path) -> bytes:
    return (root / ".lunalint_cache" / "key").read_bytes()


def test_key_is_private_and_entries_are_signed(project):
    lint(project)
    cache = project / ".lunalint_cache"
    key = cache / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    for sub in cache.iterdir():
        if sub.is_dir():
            assert stat.S_IMODE(sub.stat().st_mode) == 0o700
    assert entries(project)
    for entry in entries(project):
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.mark.parametrize("signer", ["sha256", "other-cache"])
def test_forged_entry_cannot_hide_findings(project, tmp_path, signer):
    fresh = lint(project, "--no-cache")
    assert json.loads(fresh)["findings"]
    assert lint(project) == fresh
    if signer == "other-cache":  # the same file linted in another project: another key
        other = tmp_path / "other" / "project"
        shutil.copytree(project, other, ignore=shutil.ignore_patterns(".lunalint_cache"))
        lint(other)
        key = key_of(other)
        assert key != key_of(project)
    else:
        key = None
    for entry in entries(project):
        forge(entry, hide_findings, key)
    drop_packs(project)
    assert lint(project) == fresh
    # ... and the forged entries were replaced by good ones
    assert lint(project) == fresh


def test_entry_copied_from_another_cache_is_rejected(project, tmp_path):
    fresh = lint(project, "--no-cache")
    lint(project)
    other = tmp_path / "other" / "project"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns(".lunalint_cache"))
    (other / "Chrystoki.conf").write_text(CONFIG.replace("\t", "   "), encoding="utf-8")
    lint(other)
    mine, theirs = entries(project), entries(other)
    assert len(mine) == len(theirs) == 1
    mine[0].write_bytes(theirs[0].read_bytes())
    drop_packs(project)
    assert lint(project) == fresh


def test_planted_fix_is_never_written(project):
    """Even an entry that passes authentication (here signed with the cache's own key) cannot
    put a fix into a file: --fix works its fixes out from the file's text."""
    lint(project)
    key = key_of(project)
    for entry in entries(project):
        forge(entry, plant_fix, key)
    drop_packs(project)
    proc = run_cli("--fix", "--unsafe-fixes", "--format", "json", ".", cwd=project)
    assert "Traceback" not in proc.stderr
    text = (project / "Chrystoki.conf").read_text(encoding="utf-8")
    assert "libevil" not in text and "attacker" not in text
    assert "HAOnly = 1;" in text and "\t" not in text  # the real fixes were made


def test_planted_entry_in_an_open_or_linked_subfolder_is_ignored_and_rewritten(project,
                                                                              tmp_path):
    fresh = lint(project, "--no-cache")
    lint(project)
    key = key_of(project)
    entry = entries(project)[0]
    forge(entry, hide_findings, key)  # what a writer of that folder could not do without it
    drop_packs(project)
    sub = entry.parent
    os.chmod(sub, 0o777)
    assert lint(project) == fresh
    assert stat.S_IMODE(sub.stat().st_mode) == 0o700, "the open folder was not made anew"
    # a sub-folder replaced by a link to someone else's folder holding a planted entry
    elsewhere = tmp_path / "attacker"
    shutil.copytree(sub, elsewhere)
    forge(elsewhere / entry.name, hide_findings, key)
    planted = (elsewhere / entry.name).read_bytes()
    shutil.rmtree(sub)
    sub.symlink_to(elsewhere, target_is_directory=True)
    drop_packs(project)
    assert lint(project) == fresh
    assert not sub.is_symlink() and sub.is_dir(), "the linked folder was not replaced"
    assert (elsewhere / entry.name).read_bytes() == planted, "written through the link"
    assert sorted(p.name for p in elsewhere.iterdir()) == [entry.name]


def test_key_others_may_read_is_replaced_and_old_entries_dropped(project):
    fresh = lint(project)
    cache = project / ".lunalint_cache"
    old_key = key_of(project)
    os.chmod(cache / "key", 0o644)
    assert lint(project) == fresh
    assert key_of(project) != old_key
    assert stat.S_IMODE((cache / "key").stat().st_mode) == 0o600


def test_open_cache_root_is_not_used(project):
    fresh = lint(project)
    cache = project / ".lunalint_cache"
    key = key_of(project)
    for entry in entries(project):
        forge(entry, hide_findings, key)
    drop_packs(project)
    os.chmod(cache, 0o777)
    assert lint(project) == fresh
    os.chmod(cache, 0o700)


def grep_cache(root: Path, secret: str) -> list[str]:
    hits = []
    needles = {secret.encode(), json.dumps(secret)[1:-1].encode(),
               secret.encode("utf-16-le")}
    for path in (root / ".lunalint_cache").rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [str(path) for n in needles if n in data]
    return hits


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_no_secret_on_disk_and_output_identical(project, fmt):
    (project / "members.lunacm.txt").write_text(CAPTURE, encoding="utf-8")
    conf = project / "Chrystoki.conf"
    # a secret in a configuration, on a line that parses and on one that does not
    conf.write_text(CONFIG + f"Misc = {{\n   UserPin = {PIN};\n"
                    f"   PartitionPassword {PASSWORD}x\n}}\n", encoding="utf-8")
    fresh = lint(project, "--no-cache", fmt=fmt)
    assert lint(project, fmt=fmt) == fresh
    assert lint(project, fmt=fmt) == fresh  # warm
    assert PASSWORD not in fresh and PIN not in fresh
    assert len(entries(project)) == 2  # both files cached, secrets and all
    for secret in (PASSWORD, PIN, PASSWORD + "x"):
        assert grep_cache(project, secret) == []


def test_removed_secret_leaves_no_trace(project):
    capture = project / "members.lunacm.txt"
    capture.write_text(CAPTURE, encoding="utf-8")
    lint(project)
    count = len(entries(project))
    capture.write_text(CAPTURE.replace(PASSWORD, "Other-Pass-9"), encoding="utf-8")
    assert lint(project) == lint(project, "--no-cache")
    assert grep_cache(project, PASSWORD) == []
    assert len(entries(project)) == count, "the old entry of the capture was kept"


def test_cache_from_an_older_lunalint_is_wiped(project):
    """A cache without a key (issue 12's format kept secret values in entries) loses every
    entry when a lunalint with keys first uses it."""
    cache = project / ".lunalint_cache"
    (cache / "ab").mkdir(parents=True, mode=0o700)
    cache.chmod(0o700)
    old = cache / "ab" / ("0" * 62 + ".json")
    old.write_bytes(b"lunalint-results/2 x\n" + PASSWORD.encode())
    fresh = lint(project, "--no-cache")
    assert lint(project) == fresh
    assert not old.exists()
    assert grep_cache(project, PASSWORD) == []


def test_samples_warm_equals_fresh(project):
    for name in ("lunacm-session.txt", "lunash-hsm-showpolicies.txt"):
        shutil.copy(SAMPLES / name, project / name.replace(".txt", ".lunacm.txt"))
    fresh = lint(project, "--no-cache", fmt="sarif")
    assert lint(project, fmt="sarif") == fresh
    assert lint(project, fmt="sarif") == fresh
