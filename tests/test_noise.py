"""Less noise (issue 14): configurations pasted from documentation, full of TABs and broken
braces, through the real CLI. Every problem is still found, in far fewer findings and lines:

* one SYN002 per line, saying how many TABs it holds;
* one SYN001 per broken region (a header that did not parse and the entries it left outside
  any section), on the header, with the region's line range;
* no SYN005 for entries a broken INI header would otherwise have put in the section above.

"Every problem is still found" is checked against the reader's own list of problems and the
file's TAB characters, which is what one finding each used to be reported for.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lunalint.readers.config import read_config

from .conftest import FIXTURES, run_cli, run_json

NOISE = FIXTURES / "noise"
CASES = ("pasted-from-docs.conf", "pasted-from-docs.ini")


def _copy(name: str, tmp_path: Path) -> Path:
    shutil.copy(NOISE / name, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("name", CASES)
def test_every_tab_line_once_with_its_count(name, tmp_path):
    path = _copy(name, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    _, report = run_json(name, cwd=tmp_path)
    syn002 = [f for f in report["findings"] if f["rule"] == "SYN002"]
    tab_lines = {n: line.count("\t") for n, line in enumerate(lines, start=1) if "\t" in line}
    assert sorted(f["line"] for f in syn002) == sorted(tab_lines)  # one per line, every line
    for f in syn002:
        count = tab_lines[f["line"]]
        said = "a TAB character" if count == 1 else f"{count} TAB characters"
        assert f["message"].startswith(said), f["message"]
        assert f["column"] == lines[f["line"] - 1].index("\t") + 1
        assert f["end_column"] == lines[f["line"] - 1].rindex("\t") + 2


@pytest.mark.parametrize("name", CASES)
def test_every_syntax_problem_is_still_covered(name, tmp_path):
    path = _copy(name, tmp_path)
    model = read_config(name, path.read_text(encoding="utf-8"))
    _, report = run_json(name, cwd=tmp_path)
    syn001 = [f for f in report["findings"] if f["rule"] == "SYN001"]
    for problem in model.problems:
        line = problem.span.line
        assert any(f["line"] <= line <= f["end_line"] for f in syn001), (line, problem.message)
    # A problem that only follows from an earlier one (an entry a broken header left outside
    # any section, the `}` meant to close it) is reported with it, once, with the line range;
    # every other problem keeps its own finding at its own place.
    groups: list[list] = []
    open_group: dict[int, list] = {}
    for problem in model.problems:
        group = open_group.get(problem.region)
        if problem.follows and group is not None:
            group.append(problem)
            continue
        groups.append([problem])
        if problem.region is not None:
            open_group[problem.region] = groups[-1]
    assert any(len(g) > 1 for g in groups), "the fixture has a broken region"
    assert len(syn001) == len(groups)
    for lead, *rest in groups:
        (finding,) = [f for f in syn001 if (f["line"], f["column"]) ==
                      (lead.span.line, lead.span.column)]
        if rest:
            end = max(p.span.end_line for p in rest)
            assert finding["end_line"] == end
            assert f"lines {lead.span.line}–{end}" in finding["message"]
            assert f"the {len(rest)} other problems" in finding["message"]


@pytest.mark.parametrize("name", CASES)
def test_far_fewer_findings_and_lines_than_one_per_problem(name, tmp_path):
    path = _copy(name, tmp_path)
    text = path.read_text(encoding="utf-8")
    model = read_config(name, text)
    one_per_problem = text.count("\t") + len(model.problems)
    _, report = run_json(name, cwd=tmp_path)
    syntax = [f for f in report["findings"] if f["rule"] in ("SYN001", "SYN002")]
    assert len(syntax) * 2 <= one_per_problem, (len(syntax), one_per_problem)
    out = run_cli("--fail-on", "never", "--color", "never", name, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # The whole text report (three lines per finding) is shorter than the old report's list
    # of findings alone.
    assert len(out.stdout.splitlines()) < one_per_problem * 3 / 2
    assert len(syntax) < one_per_problem


def test_broken_ini_header_does_not_push_its_entries_into_the_section_above(tmp_path):
    _copy("pasted-from-docs.ini", tmp_path)
    _, report = run_json("pasted-from-docs.ini", cwd=tmp_path)
    assert not [f for f in report["findings"] if f["rule"] == "SYN005"]
    (region,) = [f for f in report["findings"] if f["rule"] == "SYN001"]
    assert (region["line"], region["column"], region["end_line"]) == (9, 1, 17)
    assert re.search(r"expected `\]` to close the section name; because of it, lines 9–17",
                     region["message"])


def test_one_finding_per_broken_brace_header(tmp_path):
    _copy("pasted-from-docs.conf", tmp_path)
    _, report = run_json("pasted-from-docs.conf", cwd=tmp_path)
    syn001 = [(f["line"], f["column"], f["end_line"]) for f in report["findings"]
              if f["rule"] == "SYN001"]
    # `LunaSA Client =` (line 26, `{` on the next line), `VirtualToken` without `= {` (43),
    # and the `}` HASynchronize lacks before HAConfiguration (54).
    assert syn001 == [(26, 16, 41), (43, 1, 49), (54, 1, 54)]
