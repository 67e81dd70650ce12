"""Determinism (issue 7): two runs give byte-identical JSON and SARIF, with or without worker
processes, and the output does not depend on the working directory beyond relative paths.
Also: the grammar parser cache is safe when several processes build it at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLES, run_cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def estate(tmp_path):
    """Configs and captures in nested folders, enough files for the default process pool."""
    root = tmp_path / "estate"
    for i in range(40):
        site = root / f"site-{i:02d}"
        site.mkdir(parents=True)
        shutil.copy(SAMPLES / "Chrystoki.conf", site / "Chrystoki.conf")
        shutil.copy(SAMPLES / "crystoki.ini", site / "crystoki.ini")
        if i % 4 == 0:
            shutil.copy(SAMPLES / "lunacm-session.txt", site / "members.lunacm.txt")
            shutil.copy(SAMPLES / "lunash-hsm-showpolicies.txt", site / "hsm.lunash.txt")
        (site / "broken-Chrystoki.conf").write_text("Luna = {\n  DefaultTimeOut = 1\n",
                                                    encoding="utf-8")
    return root


def report(fmt: str, *paths: str, cwd: Path, jobs: str | None = None) -> bytes:
    args = ["--format", fmt, "--fail-on", "never", "--select", "ALL", *paths]
    if jobs is not None:
        args += ["--jobs", jobs]
    proc = run_cli(*args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout.encode("utf-8")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_two_runs_are_byte_identical(estate, fmt):
    first = report(fmt, ".", cwd=estate)
    assert first == report(fmt, ".", cwd=estate)
    assert b"site-39/broken-Chrystoki.conf" in first


@pytest.mark.parametrize("fmt", ["json", "sarif", "text", "github"])
def test_worker_processes_do_not_change_the_output(estate, fmt):
    one = report(fmt, ".", cwd=estate, jobs="1")
    assert one == report(fmt, ".", cwd=estate, jobs="2")
    assert one == report(fmt, ".", cwd=estate, jobs="3")


def test_json_depends_on_cwd_only_through_relative_paths(estate):
    inside = report("json", ".", cwd=estate).decode()
    above = report("json", "estate", cwd=estate.parent).decode()
    # no project: paths are relative to the folder named, wherever lunalint runs (issue 22)
    assert above == inside
    # (a folder without captures: captures found around the cwd give workspace rules context)
    inner = estate / "site-01"
    single = [f for f in json.loads(report("json", "crystoki.ini", cwd=inner))["findings"]
              if f["path"] == "crystoki.ini"]
    assert [f["rule"] for f in single] == ["HA101"]
    def inner_paths(f: dict) -> dict:
        fix = f["fix"] and dict(f["fix"], edits=[dict(e, path=e["path"].removeprefix("site-01/"))
                                                 for e in f["fix"]["edits"]])
        return dict(f, path=f["path"].removeprefix("site-01/"), fix=fix)

    outer = [inner_paths(f)
             for f in json.loads(report("json", "site-01/crystoki.ini", cwd=estate))["findings"]
             if f["path"] == "site-01/crystoki.ini"]
    assert single == outer


def test_sarif_uris_are_relative_to_the_repository_root(estate):
    subprocess.run(["git", "init", "-q", str(estate)], check=True)
    from_root = report("sarif", ".", cwd=estate)
    from_sub = report("sarif", ".", cwd=estate / "site-00")
    assert b'"uri": "site-00/Chrystoki.conf"' in from_sub
    assert b'"uri": "site-00/Chrystoki.conf"' in from_root


def test_parallel_cold_cache_builds_are_safe(tmp_path):
    """Eight processes start at once with an empty cache dir: all agree, the cache is whole."""
    cache = tmp_path / "cache"
    env = dict(os.environ, LUNALINT_CACHE_DIR=str(cache))
    target = tmp_path / "t"
    target.mkdir()
    shutil.copy(SAMPLES / "Chrystoki.conf", target / "Chrystoki.conf")
    shutil.copy(SAMPLES / "crystoki.ini", target / "crystoki.ini")
    # a line only lark reads (a section opened and closed on one line) forces the parsers in
    (target / "Chrystoki.conf").write_text(
        (SAMPLES / "Chrystoki.conf").read_text() + "Misc = { ToolsDir = /x; }\n")
    procs = [subprocess.Popen([sys.executable, "-m", "lunalint", "--format", "json",
                               "--fail-on", "never", "-j", "1", "."], cwd=target, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    assert not any(e for _, e in outs)
    cached = sorted(cache.glob("*.lark.json"))
    assert cached, "no parser was cached"
    assert not list(cache.glob(".tmp-*")), "a temporary file was left behind"
    again = subprocess.run([sys.executable, "-m", "lunalint", "--format", "json", "--fail-on",
                            "never", "."], cwd=target, env=env, capture_output=True)
    assert again.stdout == outs[0][0]


def test_a_corrupt_cache_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    env = dict(os.environ, LUNALINT_CACHE_DIR=str(cache))
    target = tmp_path / "Chrystoki.conf"
    target.write_text("Misc = { ToolsDir = /x; }\nLuna = {\n  DefaultTimeOut = 1;\n}\n")
    first = subprocess.run([sys.executable, "-m", "lunalint", "--format", "json", str(target)],
                           env=env, capture_output=True)
    for cached in cache.glob("*.lark.json"):
        cached.write_bytes(b"\x80\x04garbage")
    second = subprocess.run([sys.executable, "-m", "lunalint", "--format", "json", str(target)],
                            env=env, capture_output=True)
    assert second.stdout == first.stdout
    assert second.stderr == b""


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_cache_fresh_warm_and_bypassed_give_the_same_bytes_with_any_jobs(estate, tmp_path, fmt):
    """Issue 12: the result cache changes nothing in the output: an empty cache (fresh), a
    filled one (warm) and ``--no-cache``, each with one, two and three processes."""
    env = {"LUNALINT_CACHE_DIR": str(tmp_path / "cache")}

    def run(*extra: str) -> bytes:
        proc = run_cli("--format", fmt, "--fail-on", "never", "--select", "ALL", *extra, ".",
                       cwd=estate, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.encode("utf-8")

    reference = run("--no-cache", "--jobs", "1")
    assert not (tmp_path / "cache" / "results").exists()
    fresh = run("--jobs", "2")
    assert any((tmp_path / "cache" / "results").rglob("*.json"))
    assert fresh == reference
    for jobs in ("1", "2", "3"):
        assert run("--jobs", jobs) == reference, f"warm, --jobs {jobs}"
        assert run("--no-cache", "--jobs", jobs) == reference, f"no cache, --jobs {jobs}"
