"""The result cache (issue 12): where it lives, what bypasses it, that a warm run gives the
same bytes as a fresh one, that a changed file is linted again, and that a damaged or foreign
entry is never trusted. Also the cold-start import budget: what a one-file run must not
import. Everything goes through the real command line; nothing here times anything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lunalint.cache import FORMAT, PACK_FORMAT

from .conftest import SAMPLES, run_cli

ARGS = ("--fail-on", "never")


@pytest.fixture
def project(tmp_path):
    """A git work tree with configs and captures (workspace rules link them)."""
    root = tmp_path / "project"
    for i in range(6):
        site = root / f"site-{i}"
        site.mkdir(parents=True)
        shutil.copy(SAMPLES / "Chrystoki.conf", site / "Chrystoki.conf")
        shutil.copy(SAMPLES / "crystoki.ini", site / "crystoki.ini")
        if i % 2 == 0:
            shutil.copy(SAMPLES / "lunacm-session.txt", site / "members.lunacm.txt")
            shutil.copy(SAMPLES / "lunash-hsm-showpolicies.txt", site / "hsm.lunash.txt")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def lint(root: Path, fmt: str, *extra: str, env: dict | None = None,
         select: str = "ALL") -> bytes:
    proc = run_cli("--format", fmt, "--select", select, *ARGS, *extra, ".", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout.encode("utf-8")


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if not p.name.startswith(".tmp-"))


@pytest.fixture
def default_location(monkeypatch):
    """No LUNALINT_CACHE_DIR: the cache goes where users get it, at the project root."""
    monkeypatch.delenv("LUNALINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("LUNALINT_NO_CACHE", raising=False)


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_warm_run_is_byte_identical_to_fresh_and_uncached(project, default_location, fmt):
    uncached = lint(project, fmt, "--no-cache")
    assert not (project / ".lunalint_cache").exists(), "--no-cache wrote a cache"
    fresh = lint(project, fmt)
    cache = project / ".lunalint_cache"
    assert entries(cache), "a fresh run wrote no cache entries"
    warm = lint(project, fmt)
    assert fresh == uncached
    assert warm == fresh
    for jobs in ("1", "2", "3"):
        assert lint(project, fmt, "--jobs", jobs) == fresh, f"warm run with --jobs {jobs}"


def test_cache_at_project_root_is_private_and_ignored_by_git(project, default_location):
    lint(project, "json")
    cache = project / ".lunalint_cache"
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=project, capture_output=True, text=True, check=True).stdout
    assert ".lunalint_cache" not in status
    # the cache folder is never walked as input
    proc = run_cli("--format", "json", "--select", "ALL", *ARGS, ".", cwd=project)
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert not any(".lunalint_cache" in p for p in paths)


def test_cache_dir_variable_moves_it_and_no_cache_variable_bypasses_it(project, tmp_path,
                                                                       default_location):
    moved = tmp_path / "elsewhere"
    lint(project, "json", env={"LUNALINT_CACHE_DIR": str(moved)})
    assert entries(moved / "results")
    assert not (project / ".lunalint_cache").exists()
    lint(project, "json", env={"LUNALINT_NO_CACHE": "1"})
    assert not (project / ".lunalint_cache").exists()


def test_no_project_no_cache(tmp_path, default_location):
    """Outside a git work tree with no settings file there is no project root: nothing is
    written next to the user's files."""
    folder = tmp_path / "loose"
    folder.mkdir()
    shutil.copy(SAMPLES / "Chrystoki.conf", folder / "Chrystoki.conf")
    lint(folder, "json")
    assert [p.name for p in folder.iterdir()] == ["Chrystoki.conf"]


def test_changed_file_is_linted_again(project, default_location):
    before = json.loads(lint(project, "json"))
    conf = project / "site-1" / "Chrystoki.conf"
    conf.write_text(conf.read_text(encoding="utf-8").replace("HAOnly = 1;", "HAOnly = 0;"),
                    encoding="utf-8")
    after = json.loads(lint(project, "json"))
    fresh = json.loads(lint(project, "json", "--no-cache"))
    assert after == fresh
    rules = lambda doc: {(f["rule"], f["path"]) for f in doc["findings"]}  # noqa: E731
    assert ("HA101", "site-1/Chrystoki.conf") in rules(after) - rules(before)


def test_selection_and_settings_are_part_of_the_key(project, default_location):
    full = lint(project, "json")
    only = lint(project, "json", select="SYN")
    assert only == lint(project, "json", "--no-cache", select="SYN")
    assert full != only
    (project / ".lunalint.yaml").write_text(
        "facts:\n  - path: \"site-*/Chrystoki.conf\"\n    client-version: \"10.2.0\"\n",
        encoding="utf-8")
    assert lint(project, "json") == lint(project, "json", "--no-cache")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "digest", "shape", "other-key",
                                    "pickle"])
def test_damaged_entries_are_ignored_and_rewritten(project, default_location, damage):
    fresh = lint(project, "sarif")
    found = entries(project / ".lunalint_cache")
    assert found
    for path in found:
        data = path.read_bytes()
        head, _, body = data.partition(b"\n")
        if damage == "garbage":
            path.write_bytes(os.urandom(64))
        elif damage == "truncated":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "digest":  # a changed body under the old digest
            path.write_bytes(head + b"\n" + body.replace(b"error", b"note"))
        elif damage == "shape":  # valid entry framing, nonsense inside
            import hashlib

            bad = json.dumps([path.parent.name + path.stem, {"x": 1}]).encode()
            path.write_bytes(head.split(b" ")[0] + b" " +
                             hashlib.sha256(bad).hexdigest().encode() + b"\n" + bad)
        elif damage == "other-key":  # an intact entry stored under another file's name
            other = found[(found.index(path) + 1) % len(found)]
            path.write_bytes(other.read_bytes() if other != path else b"")
        else:  # something that would run code if it were ever unpickled
            import pickle

            path.write_bytes(pickle.dumps(os.system))
    assert lint(project, "sarif") == fresh
    # ... and the entries are good again
    for path in entries(project / ".lunalint_cache"):
        data = path.read_bytes()
        if path.parent.name == "pk":  # the project's pack: its keyed digest comes last
            assert data.startswith(PACK_FORMAT.encode() + b" ")
            json.loads(data[len(PACK_FORMAT.encode() + b" "):].rpartition(b"\n")[0])
            continue
        head, _, body = data.partition(b"\n")
        assert head.startswith(FORMAT.encode() + b" ")
        json.loads(body)
    assert lint(project, "sarif") == fresh


def test_concurrent_runs_on_an_empty_cache_agree(project, default_location):
    procs = [subprocess.Popen([sys.executable, "-m", "lunalint", "--format", "json",
                               "--select", "ALL", *ARGS, "."], cwd=project, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
             for _ in range(6)]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        outputs.append(out)
    assert len(set(outputs)) == 1
    assert outputs[0] == lint(project, "json", "--no-cache")
    leftovers = [p for p in (project / ".lunalint_cache").rglob("*.tmp")]
    assert leftovers == []


def test_one_config_run_imports_only_what_it_needs(tmp_path):
    """Cold start (issue 12): a run over one Chrystoki.conf does not import lark (the fast
    path has its terminal regexes), plugin discovery, importlib.resources, the capture model
    and reader, or a process pool."""
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    code = ("import sys\n"
            "from lunalint.cli import main\n"
            "main(['--no-cache', '--fail-on', 'never', '--format', 'json', '-o', 'out.json', "
            "'Chrystoki.conf'])\n"
            "print('\\n'.join(sorted(sys.modules)))\n")
    env = dict(os.environ)
    for _ in range(2):  # the first run may build the parser and terminal caches
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    # What the interpreter imports before lunalint runs (a site's .pth files may import
    # certifi, and with it importlib.resources) is not lunalint's doing.
    bare = subprocess.run([sys.executable, "-c", "import sys\nprint('\\n'.join(sys.modules))"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    modules = set(proc.stdout.split()) - set(bare.stdout.split())
    assert "lunalint.readers.config" in modules  # the file was really read
    findings = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["findings"]
    assert isinstance(findings, list)
    for forbidden in ("lark", "importlib.metadata", "importlib.resources",
                      "lunalint.model.export", "lunalint.readers.export", "multiprocessing",
                      "yaml"):
        assert forbidden not in modules, f"{forbidden} imported by a one-config run"
