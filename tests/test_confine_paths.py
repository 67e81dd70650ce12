"""Confinement resolves a walked file's path at the cost of its own parts (issue 21): the
answer is realpath's whatever links lie on the way, inside the root or out of it."""

from __future__ import annotations

import os

from lunalint import confine


def test_a_path_under_the_root_resolves_as_realpath_does(tmp_path, monkeypatch):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    for folder in (root / "a" / "b", outside):
        (folder / "f.conf").write_text("x", encoding="utf-8")
    (root / "out").symlink_to(outside, target_is_directory=True)  # a folder link leaving
    (root / "a" / "in").symlink_to(root / "a" / "b", target_is_directory=True)
    (root / "a" / "b" / "g.conf").symlink_to(outside / "f.conf")  # a file link leaving
    (root / "a" / "b" / "h.conf").symlink_to(root / "a" / "b" / "f.conf")
    monkeypatch.chdir(tmp_path)
    paths = ["root/a/b/f.conf", "./root/a/b/f.conf", "root/out/f.conf", "root/a/in/f.conf",
             "root/a/b/g.conf", "root/a/b/h.conf", "root/a/in/../b/f.conf",
             "root/out/../a/b/f.conf", "root/a/b/missing.conf", "root", "outside/f.conf"]
    for root_name in ("root", str(root), "./root/"):
        confine._REAL_ROOTS.clear()
        base = os.path.realpath(root_name)
        for path in paths + [os.path.abspath(p) for p in paths]:
            real = os.path.realpath(path)
            below = confine._below(path, root_name, base)
            assert below is None or below == real, (path, root_name)
            want = real == base or real.startswith(base + os.sep)
            assert confine.inside(path, root_name) is want, (path, root_name)
    confine._REAL_ROOTS.clear()
    assert not confine.inside("root/out/f.conf", "root")
    assert not confine.inside("root/a/b/g.conf", "root")
    assert confine.inside("root/a/in/f.conf", "root")
