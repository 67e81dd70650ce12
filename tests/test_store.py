"""Findings held by file (``lunalint.store``, issue 21: flat memory): the order is exactly a
stable sort of the whole list by ``Finding.sort_key``, every field comes back, stages see a
file at a time, reports read through views, and a run that keeps its findings compressed
writes nothing anywhere and shows no secret, in every format, with the same bytes."""

from __future__ import annotations

import os
import random

import pytest

from lunalint.findings import Edit, Finding, Fix, Level, Location, Related, Suppression
from lunalint.model.base import Span
from lunalint.store import FindingStore, View, held

from .test_secrets import FORMATS, PLANTED, estate  # noqa: F401  (a fixture)


def _made(n: int, seed: int = 0) -> list[Finding]:
    """Findings over a few files, with ties (same sort key) and every optional field."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        line = rng.randint(1, 6)
        out.append(Finding(
            f"SYN00{rng.randint(1, 3)}", Level(1 + i % 3), f"message {rng.randint(0, 2)}",
            f"site-{rng.randint(0, 9)}/{rng.choice(['a', 'b.conf'])}", Span(line, 2, line, 9),
            anchor=f"a/{i}", excerpt=f"line {i} é ✓ \udcff",
            related=Related((Location("b", Span(1, 1, 1, 2), "there"),), 40)
            if i % 5 == 0 else (),
            fix=Fix("safe", (Edit(Span(line, 2, line, 9), "x"),), "fix it") if i % 4 == 0
            else None, proposed=i % 11 == 0,
            suppression=Suppression("inSource", "why", "a:1") if i % 7 == 0 else None))
    return out


def _whole(findings):
    return [(f, f.excerpt, f.fix, f.proposed, getattr(f.related, "total", None))
            for f in findings]


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_the_order_is_a_stable_sort_of_everything_given_and_every_field_comes_back(compact, seed):
    made = _made(700, seed)
    store = FindingStore(compact=compact)
    rng = random.Random(seed)
    start = 0
    while start < len(made):  # given in chunks of any size, a file's findings in several
        step = rng.randint(1, 60)
        store.extend(made[start:start + step])
        start += step
    expected = sorted(made, key=lambda f: f.sort_key)
    assert len(store) == len(made) and bool(store)
    assert _whole(store) == _whole(expected)
    assert _whole(store) == _whole(expected)  # reading it again gives the same
    if compact:  # (chunks compressed by segment; the files are read in another order than
        # their chunks came, so segments are decoded again, and only a few kept decoded)
        assert len(store._segments) > 5 and len(store._filling) < FindingStore.SEGMENT
        assert 0 < len(store._decoded) <= FindingStore.DECODED


@pytest.mark.parametrize("compact", [False, True])
def test_a_stage_sees_each_file_in_order_and_its_store_keeps_the_order_it_was_given(compact):
    made = _made(300, 1)
    seen: list[list[Finding]] = []

    def stage(group):
        seen.append(group)
        # changes what the sort key reads: an ordered store must not sort again
        return [f.__class__(**{**_fields(f), "message": f"z{99 - i}"})
                for i, f in enumerate(group)]

    store = FindingStore(made, compact=compact)
    kept = store.map(stage, ordered=True)
    expected = sorted(made, key=lambda f: f.sort_key)
    assert [f for group in seen for f in group] == expected
    assert [len({f.path for f in g}) for g in seen] == [1] * len(seen)  # one file at a time
    assert [f.message for f in kept] == [f"z{99 - i}" for g in seen for i in range(len(g))]
    again = FindingStore(made, compact=compact).map(stage, ordered=False)
    assert list(again) == sorted(kept, key=lambda f: f.sort_key)


def _fields(f: Finding) -> dict:
    return {name: getattr(f, name) for name in (
        "rule", "level", "message", "path", "span", "anchor", "related", "intentional",
        "suppression", "help_uri", "excerpt", "fix", "proposed")}


def test_views_apply_their_stage_at_each_reading_and_keep_nothing():
    made = _made(200, 2)
    store = FindingStore(made)
    calls = []
    view = store.view(lambda g: calls.append(1) or [f for f in g if f.suppression is None])
    assert isinstance(view, View) and not calls  # nothing is read until the view is
    shown = [f for f in sorted(made, key=lambda f: f.sort_key) if f.suppression is None]
    assert list(view) == shown and view == shown and len(view) == len(shown)
    calls.clear()
    [f for f in view]
    first = len(calls)
    assert first == len({f.path for f in made})  # once per file at each reading
    assert [f for f in view] == shown and len(calls) == 2 * first
    assert view[0] == shown[0] and view[-1] == shown[-1] and view[1:3] == shown[1:3]
    assert not FindingStore().view(lambda g: g) and held(made) == sorted(
        made, key=lambda f: f.sort_key)


def test_stores_of_several_scopes_are_read_as_one_order():
    made = _made(400, 3)
    one, two = FindingStore(made[:150], compact=True), FindingStore(made[150:], compact=True)
    whole = FindingStore(made[:10])
    whole.take(one)
    whole.take(two.view(lambda g: g))
    assert _whole(whole) == _whole(sorted(made[:10] + made[:150] + made[150:],
                                          key=lambda f: f.sort_key))


def _tree(root) -> dict:
    return {os.path.relpath(os.path.join(d, n), root): os.path.getsize(os.path.join(d, n))
            for d, _dirs, names in os.walk(root) for n in names}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_keeping_its_findings_compressed_writes_nothing_shows_no_secret_and_the_same_bytes(
        estate, tmp_path_factory, monkeypatch, capsys, fmt):  # noqa: F811  (the fixture)
    """Hostile: the findings of a large run are held pickled and compressed in memory. Such a
    run must not write them anywhere (no spool, no temporary file: masked excerpts and
    messages would sit on disk), must read every report through redaction (several passes
    over the same store), and must give the bytes a small run gives."""
    from lunalint import engine
    from lunalint.cli import main

    spool = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv("TMPDIR", str(spool))
    monkeypatch.chdir(estate)
    for i in range(30):  # enough findings for many compressed chunks
        (estate / "etc" / f"Chrystoki-{i}.conf").write_text(
            (estate / "etc" / "Chrystoki.conf").read_text(encoding="utf-8"), encoding="utf-8")
    before = _tree(estate)
    outputs = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(engine, "COMPACT_BYTES", threshold)
        # (compact: small segments and one kept decoded, so the run closes many segments
        # and decodes them again as reports read the files in another order)
        monkeypatch.setattr(FindingStore, "SEGMENT", 32 if threshold else 3)
        monkeypatch.setattr(FindingStore, "DECODED", 4 if threshold else 1)
        main(["--no-cache", "--select", "ALL", "--format", fmt, "--fail-on", "never",
              "--jobs", "1", "."])
        captured = capsys.readouterr()
        outputs.append(captured.out)
        assert not PLANTED.findall(captured.out + captured.err), fmt
    assert outputs[0] and outputs[0] == outputs[1]
    assert _tree(estate) == before and os.listdir(spool) == []
