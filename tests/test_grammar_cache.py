"""The parser cache never runs data from disk (issue 10, item 7): it is JSON, not pickle; the
directory is created private; a directory or file others could write is neither read nor
written; every malformed cache is rebuilt without a word."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path

import lark
import pytest

from lunalint import grammars
from lunalint.readers.export import SHAPES

from .conftest import SAMPLES, run_cli

# a line only lark reads (a section opened and closed on one line) forces the parsers in
CONFIG = "Misc = { ToolsDir = /x; }\nLuna = {\n  DefaultTimeOut = 1;\n}\n"
PARSERS = ([("chrystoki.lark", "start"), ("crystoki_ini.lark", "start")]
           + [("export.lark", shape) for shape in SHAPES])


class _Plant:
    """Unpickling this creates ``marker`` (a stand-in for any code an attacker would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _old_pickle_name(name: str, start: str) -> str:
    """Where lunalint up to 0.1 looked for its pickled parsers."""
    text = grammars.grammar_text(name)
    digest = hashlib.sha256(f"{lark.__version__}\0{start}\0{text}".encode()).hexdigest()[:24]
    return f"{Path(name).stem}-{digest}.lark.pickle"


def _names() -> list[str]:
    return [n for name, start in PARSERS
            for n in (_old_pickle_name(name, start), grammars.cache_filename(name, start))]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Chrystoki.conf").write_text(CONFIG)
    (project / "members.lunacm.txt").write_bytes((SAMPLES / "lunacm-session.txt").read_bytes())
    return project


def _lint(project: Path, cache: Path | None):
    env = {"LUNALINT_CACHE_DIR": str(cache)} if cache else {"LUNALINT_NO_CACHE": "1"}
    return run_cli("--format", "json", "--fail-on", "never", ".", cwd=project, env=env)


def test_a_planted_pickle_is_never_unpickled(tmp_path):
    project = _project(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Plant(marker))
    for name in _names():
        (cache / name).write_bytes(payload)
    proc = _lint(project, cache)
    assert not marker.exists(), "data from the cache directory was executed"
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == _lint(project, None).stdout
    # the planted file under the current name was replaced by a valid JSON cache
    assert (cache / grammars.cache_filename("chrystoki.lark")).read_bytes()[:1] == b"{"
    assert not list(cache.glob(".tmp-*"))


def test_the_cache_is_json_in_a_private_directory(tmp_path):
    project = _project(tmp_path)
    cache = tmp_path / "home" / ".cache" / "lunalint"
    proc = _lint(project, cache)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    # (the result cache, issue 12, keeps its own `results/` folder under LUNALINT_CACHE_DIR)
    files = sorted(f for f in cache.iterdir() if f.name != "results")
    assert files and all(f.name.endswith(".lark.json") for f in files)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert b"lunalint_parser_cache" in f.read_bytes()
    # a second run reads it back and agrees with a run without any cache
    assert _lint(project, cache).stdout == proc.stdout == _lint(project, None).stdout


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777])
def test_a_directory_others_can_write_is_neither_read_nor_written(tmp_path, mode):
    project = _project(tmp_path)
    cache = tmp_path / "shared"
    cache.mkdir()
    os.chmod(cache, mode)
    marker = tmp_path / "code-ran"
    for name in _names():
        (cache / name).write_bytes(pickle.dumps(_Plant(marker)))
    before = sorted(p.name for p in cache.iterdir())
    proc = _lint(project, cache)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == _lint(project, None).stdout
    assert not marker.exists()
    assert sorted(p.name for p in cache.iterdir()) == before, "wrote into an untrusted cache"
    assert all((cache / n).read_bytes().startswith(b"\x80") for n in before)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can make a directory owned by someone else")
def test_a_directory_owned_by_another_user_is_not_trusted(tmp_path):
    project = _project(tmp_path)
    cache = tmp_path / "theirs"
    cache.mkdir(mode=0o755)
    os.chown(cache, 65534, 65534)
    proc = _lint(project, cache)
    assert proc.returncode == 0 and proc.stderr == ""
    assert list(cache.iterdir()) == []


def _valid_cache(tmp_path: Path) -> Path:
    """A cache directory filled by a real run."""
    cache = tmp_path / "cache"
    assert _lint(_project(tmp_path), cache).returncode == 0
    return cache


def test_a_valid_cache_file_others_can_write_is_ignored(tmp_path, monkeypatch):
    cache = _valid_cache(tmp_path)
    target = cache / grammars.cache_filename("chrystoki.lark")
    os.chmod(target, 0o666)
    monkeypatch.setenv("LUNALINT_CACHE_DIR", str(cache))
    built = []
    real = lark.Lark.__init__
    monkeypatch.setattr(lark.Lark, "__init__", lambda self, *a, **k: (built.append(1),
                                                                      real(self, *a, **k))[1])
    grammars.load.__wrapped__("chrystoki.lark")
    assert built, "a file others can write was trusted"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # replaced by a private one
    built.clear()
    grammars.load.__wrapped__("chrystoki.lark")
    assert not built, "a private cache file was not used"


def test_a_symlinked_cache_file_is_not_followed(tmp_path, monkeypatch):
    cache = _valid_cache(tmp_path)
    target = cache / grammars.cache_filename("chrystoki.lark")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(elsewhere)
    monkeypatch.setenv("LUNALINT_CACHE_DIR", str(cache))
    built = []
    real = lark.Lark.__init__
    monkeypatch.setattr(lark.Lark, "__init__", lambda self, *a, **k: (built.append(1),
                                                                      real(self, *a, **k))[1])
    grammars.load.__wrapped__("chrystoki.lark")
    assert built, "a symbolic link in the cache was followed"
    assert not target.is_symlink()  # replaced atomically by a regular file
    assert elsewhere.read_bytes()[:1] == b"{"


@pytest.mark.parametrize("blob", [
    pytest.param(b"\x80\x04garbage", id="pickle-bytes"),
    pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deep-nesting"),
    pytest.param(b'{"d": [[[1], 2]]}', id="unhashable-key"),
    pytest.param(b'{"d": [["lunalint_parser_cache", 1], ["lark", "%s"], ["data", {"d": '
                 b'[["__type__", "os.system"]]}], ["memo", {"d": []}]]}'
                 % lark.__version__.encode(), id="foreign-type"),
    pytest.param(b" " * (grammars.MAX_CACHE_BYTES + 10), id="oversized"),
    pytest.param(b"", id="empty"),
])
def test_a_malformed_cache_is_rebuilt_silently(tmp_path, blob):
    cache = _valid_cache(tmp_path)
    project = tmp_path / "project"
    good = _lint(project, cache).stdout
    for path in cache.glob("*.lark.json"):
        path.write_bytes(blob)
    proc = _lint(project, cache)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == good


def test_a_cache_for_another_start_rule_is_not_used(tmp_path):
    """A valid file under the wrong name (copied, or a digest collision) is refused."""
    cache = _valid_cache(tmp_path)
    project = tmp_path / "project"
    good = _lint(project, cache).stdout
    other = (cache / grammars.cache_filename("export.lark", SHAPES[0])).read_bytes()
    (cache / grammars.cache_filename("chrystoki.lark")).write_bytes(other)
    proc = _lint(project, cache)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == good


def test_the_cached_parser_equals_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LUNALINT_CACHE_DIR", str(tmp_path / "cache"))
    for name, start in PARSERS:
        built = grammars.load.__wrapped__(name, start)      # builds and writes
        loaded = grammars.load.__wrapped__(name, start)     # reads back
        assert (cache_path := tmp_path / "cache" / grammars.cache_filename(name, start)).exists()
        assert [t.name for t in loaded.terminals] == [t.name for t in built.terminals]
        assert [t.pattern.to_regexp() for t in loaded.terminals] \
            == [t.pattern.to_regexp() for t in built.terminals]
        assert loaded.parser.parser.parser.parse_table.states \
            == built.parser.parser.parser.parse_table.states, cache_path



def _terminal_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.terminals.lark.json"))


@pytest.mark.parametrize("blob", [
    pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deep-nesting"),
    pytest.param(b'{"lunalint_parser_cache": "terminals", "terminals": {"KEY": "x"}}',
                 id="no-key"),
    pytest.param(b'{"lunalint_parser_cache": "terminals", "key": "another lark", '
                 b'"terminals": {"KEY": "x", "VALUE": "y"}}', id="another-key"),
    pytest.param(b"\xff\xfe not json", id="not-utf8"),
    pytest.param(b'"just a string"', id="not-an-object"),
])
def test_a_damaged_or_foreign_terminals_file_is_rebuilt_silently(tmp_path, blob):
    """The readers' fast-path regexes come from a small terminals file in the cache (issue
    21); one that is damaged, or was made for another lark or grammar, is never used: a
    fresh process (no result cache) reads the file as if there were no cache at all."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Chrystoki.conf").write_bytes((SAMPLES / "Chrystoki.conf").read_bytes())
    cache = tmp_path / "cache"
    args = ("--no-cache", "--format", "json", "--fail-on", "never", "Chrystoki.conf")
    good = run_cli(*args, cwd=project, env={"LUNALINT_NO_CACHE": "1"})
    assert good.returncode == 0 and good.stderr == ""
    assert run_cli(*args, cwd=project, env={"LUNALINT_CACHE_DIR": str(cache)}).stdout \
        == good.stdout
    files = _terminal_files(cache)
    assert files, "no terminals file was cached"
    for path in files:
        path.write_bytes(blob)
    proc = run_cli(*args, cwd=project, env={"LUNALINT_CACHE_DIR": str(cache)})
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == good.stdout
    for path in _terminal_files(cache):  # replaced by a good one
        assert b'"key"' in path.read_bytes() and stat.S_IMODE(path.stat().st_mode) == 0o600

if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX cache checks")
