"""Pathological inputs cost time in proportion to their size (issue 10, item 6; issue 12, item 5).

Each case runs the real CLI on an input of size n and on the same shape at 2n, in one test,
and compares the CPU time the two child processes used (``getrusage(RUSAGE_CHILDREN)``), less
the CPU time of a run on a tiny input (interpreter start-up and imports). Linear work doubles;
quadratic work quadruples. The bound (3x) is generous for noise and there is no absolute time
limit anywhere. Sizes are chosen so that each case takes a few seconds on a loaded 2-core machine.

Shapes: long runs of blanks inside keys, names and table rows (regular expressions that
rescanned the run from each blank), a flood of `A = {` lines (SYN001/SYN004), one section repeated thousands of times
(SYN004 counted the repeats by rescanning), a capture of thousands of repeated sessions (POL302
collected every group per policy set; `Workspace.groups_of` scanned every group), and a
workspace of thousands of HA groups with incomplete definitions, listed in a capture along
with as many groups no configuration defines (HA108 looked up each group's section by scanning
every entry: 2.7x at these sizes before it was indexed, so this case guards the link stage and
the group rules rather than catching that one).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
MAX_RATIO = 3.0


def _session() -> str:
    return (SAMPLES / "lunacm-session.txt").read_text(encoding="utf-8")


def brace_flood(n: int) -> dict[str, str]:
    return {"Chrystoki.conf": "A = {\n" * n}


def repeated_sections(n: int) -> dict[str, str]:
    return {"Chrystoki.conf": "Misc = {\n   PE1746Enabled = 0;\n}\n" * n}


def repeated_sessions(n: int) -> dict[str, str]:
    """The sample session (slot list, policies, `hagroup listgroups`) n times in one capture,
    next to the configuration of its group."""
    return {"Chrystoki.conf": (SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8"),
            "captures/site.lunacm.txt": _session() * n}


def many_groups(n: int) -> dict[str, str]:
    """One configuration with n HA groups that lack their SN key, and a capture that lists each
    of them and as many groups again that no configuration defines."""
    lines, listing = [], []
    for i in range(n):
        a, b = 3000000000 + 2 * i, 3000000001 + 2 * i
        lines.append(f"   VirtualToken{i:02d}Label = g{i};\n"
                     f"   VirtualToken{i:02d}Members = {a}, {b};\n")
        for label in (f"g{i}", f"other{i}"):
            listing.append(f"         HA Group Label:  {label}\n"
                           f"          Group Members:  {a}, {b}\n\n")
    return {"Chrystoki.conf": "VirtualToken = {\n" + "".join(lines) + "}\n"
                              "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n}\n",
            "captures/estate.lunacm.txt": "lunacm:>hagroup listgroups\n\n" + "".join(listing)}


def blank_runs(n: int) -> dict[str, str]:
    """Lines with runs of n blanks where a key, a name or a table cell ends (regular
    expressions that looked ahead past the run from every blank in it took quadratic time, one
    that searched for the last key cubic)."""
    gap = " " * n
    return {
        "Chrystoki.conf": (f"Misc = {{\n   Tools{gap}Dir = /opt/luna\n"
                           f"   x{gap}y = 1 = 2\n   PE1746Enabled = 0;\n}}\n"),
        "crystoki.ini": f"[Misc]\nTools{gap}Dir=C:\\luna\nk{gap}\n",
        "captures/site.lunacm.txt": (
            f"   Serial{gap}Number -> 1\n   HSM{gap}Label: a\n"
            "lunacm:>partition showpolicies\n   Partition Policies\n"
            f"      1: Allow{gap}wrapping : 1\n      2: Allow{gap}x\n\n"
            "[hsm-a] lunash:>hsm showpolicies\n"
            "   Description                              Value        Code      Destructive\n"
            f"   Allow{gap}cloning{gap}On{gap}7{gap}Yes\n   Allow x{gap}\n"),
    }


def _cpu_of_run(tmp: Path, files: dict[str, str], name: str) -> float:
    """CPU seconds (user + system) of one lunalint run over ``files`` in a fresh git tree."""
    root = tmp / name
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "lunalint", "--format", "json", "--fail-on",
                           "never", "-j", "1", "."], cwd=root, env=dict(os.environ),
                          capture_output=True, text=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["findings"], "the input must give findings to be a test"
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize("shape, n, small", [
    (brace_flood, 6000, 10),
    (repeated_sections, 6000, 10),
    (repeated_sessions, 250, 1),
    (many_groups, 2000, 4),
    (blank_runs, 3000, 10),
])
def test_cost_grows_linearly(tmp_path, shape, n, small):
    base = _cpu_of_run(tmp_path, shape(small), "base")
    one = _cpu_of_run(tmp_path, shape(n), "one") - base
    two = _cpu_of_run(tmp_path, shape(2 * n), "two") - base
    ratio = two / max(one, 0.05)
    print(f"{shape.__name__}: n={n} {one:.2f}s, 2n {two:.2f}s over a {base:.2f}s start, "
          f"ratio {ratio:.2f}")
    assert ratio <= MAX_RATIO, (
        f"{shape.__name__}: doubling the input multiplied the CPU time by {ratio:.2f} "
        f"({one:.2f}s → {two:.2f}s beyond start-up); the work is not linear")
