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

Issue 19, item 4 (the readers and the sniffing of walked files), CPU at n and 2n before the
fixes: a walked `notes.txt` of 8000 blank lines 1.5 s / 6 s; YAML lines of 1000 blanks 1.30 s /
9.48 s; 6000 `configurator setValue` lines 4.13 s / 21.00 s; 600 fenced LunaCM blocks 1.30 s /
5.88 s; an 8000-character `-password` word 0.98 s / 3.29 s; lines of 6000 `{{` (and the other
openers) 2.58 s / 10.57 s. After: each below 1 s at 2n, ratios about 2 or lost in the noise.
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
# Work below this (CPU seconds beyond start-up) is within the noise of a shared machine: a
# fixed shape that costs almost nothing at n must not fail on a 0.05 s -> 0.17 s jitter.
NOISE = 0.2


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


# Issue 19, item 4: the readers and the sniffing of walked files. Each shape comes with a small
# configuration that has a finding, as the test asks for findings.
_FINDING = {"Chrystoki.conf": "A = {\n"}


def blank_notes(n: int) -> dict[str, str]:
    """A walked `notes.txt` of n blank lines (`^\\s*` in the capture sniffer crossed lines, so
    each line start rescanned every blank line after it: a 64 KB file took minutes)."""
    return {**_FINDING, "notes.txt": "\n" * n}


def yaml_blank_lines(n: int) -> dict[str, str]:
    """YAML with lines of n blanks around a block scalar (the block-key pattern matched blanks
    three ways: cubic in the length of the line)."""
    pad = " " * n
    return {"values.yaml": (f"{pad}\n" + "\t" * n + "\n- " + pad + "\n"
                            f"Chrystoki.conf: |\n  Misc = {{\n{pad}\n    A = 1\n  }}\n{pad}\n"
                            + "x:  " * (n // 4) + "\n")}


def many_set_values(n: int) -> dict[str, str]:
    """A script of n `configurator setValue` lines (each finding was checked against every
    call's entry)."""
    return {"setup.sh": "".join(f"configurator setValue -s Misc -e Key{i} -v {i}\n"
                                for i in range(n))}


def many_fenced_captures(n: int) -> dict[str, str]:
    """A runbook of n fenced LunaCM blocks (each block was read, and linted, as a document
    the length of the whole runbook)."""
    block = "```\nlunacm:>slot list\n\nSlot Id ->  0\n```\n\n"
    return {**_FINDING, "runbook.md": "```\nMisc = {\n```\n" + block * n}


def long_password_word(n: int) -> dict[str, str]:
    """A capture with one n-character `-password` word (the `key=value` pattern of the
    redaction restarted at each letter of the word)."""
    word = "x" * n
    return {**_FINDING, "captures/site.lunacm.txt": (
        f"lunacm:>partition login -password {word}\nlunacm:>role login -p:{word}\n"
        f"lunacm:>ntls x -password={word} a:{word}\n")}


def brace_template_flood(n: int) -> dict[str, str]:
    """A template with lines of n unclosed `{{` (and the other openers): each opener searched
    for its closer to the end of the line; control lines with a comment or blanks that could
    end in several places; a Markdown directive left open."""
    lines = [f"   A = {opener * n}" for opener in ("{{", "{%", "{#", "<%", "${", "#{", "$(", "@@")]
    lines += ["{{/*" + " */if" * n, "{{- if" + " }}x" * n, "<% " + " " * n + "x",
              "{% if" + " %}x" * n]
    return {"Chrystoki.conf.j2": "Misc = {\n" + "\n".join(lines) + "\n}\n",
            "runbook.md": "<!-- lunalint: " + " " * n + "x\n" * 3 + "```\nMisc = {\n```\n"}


def directive_flood(n: int) -> dict[str, str]:
    """A comment of n unclosed `lunalint: ignore[` (each was searched to the end of the line)."""
    return {"Chrystoki.conf": "# " + "lunalint: ignore[" * n + "\nA = {\n"}


def script_lexer_flood(n: int) -> dict[str, str]:
    """Scripts the command reader lexes (issue 20): n lines each with an unclosed quote,
    backquote, `${`, `$(` or template opener (each search for the closer ran to the end of the
    file), a `lunacm -c` argument of n commands over n lines (each command's span covered the
    whole argument), and an unclosed heredoc of n commands."""
    lines = [f"lunacm -c {o}x" for o in ("'", "`", "${", "$(", "{{", "<%", "{%")] * n
    many = "lunacm -c \"" + "hagroup haonly -enable\n" * n + "\"\n"
    return {**_FINDING, "a.sh": "\n".join(lines) + "\n", "b.sh": many,
            "c.sh": "lunacm <<EOF\n" + "slot list\n" * n,
            "d.yaml": "- shell: |\n" + "    lunacm -c 'x\n" * n}


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
    (repeated_sections, 20000, 10),
    (repeated_sessions, 250, 1),
    (many_groups, 2000, 4),
    (blank_runs, 3000, 10),
    (blank_notes, 8000, 10),
    (yaml_blank_lines, 1000, 10),
    (many_set_values, 6000, 10),
    (many_fenced_captures, 600, 2),
    (long_password_word, 8000, 10),
    (brace_template_flood, 6000, 10),
    (directive_flood, 3000, 10),
    (script_lexer_flood, 1000, 10),
])
def test_cost_grows_linearly(tmp_path, shape, n, small):
    base = _cpu_of_run(tmp_path, shape(small), "base")
    one = _cpu_of_run(tmp_path, shape(n), "one") - base
    two = _cpu_of_run(tmp_path, shape(2 * n), "two") - base
    ratio = two / max(one, NOISE)
    print(f"{shape.__name__}: n={n} {one:.2f}s, 2n {two:.2f}s over a {base:.2f}s start, "
          f"ratio {ratio:.2f}")
    assert ratio <= MAX_RATIO, (
        f"{shape.__name__}: doubling the input multiplied the CPU time by {ratio:.2f} "
        f"({one:.2f}s → {two:.2f}s beyond start-up); the work is not linear")
