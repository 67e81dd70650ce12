"""``--jobs N``: this process and N - 1 forked helpers share the per-file work (issue 21).

The main process works too (a pool of N workers left it receiving every result, a third
process on two cores), takes the helpers' results as they come, and yields everything in file
order; a helper that stops, or whose results cannot be sent, costs only time. Each case runs
in a fresh interpreter (forking inside the test runner, which has threads of its own, is not
what a user's run does), with a probe rule declared as a plugin would.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="helpers are forked where the system can fork")

INI = "[Luna]\nDefaultTimeOut=500000\n"
FILES = 40

# The probe reports, on each file, which process checked it; MODE says what a helper does.
PROBE = r'''
import json, os, sys, time
from pathlib import Path
from lunalint import engine
from lunalint.findings import Level
from lunalint.rules.base import Problem, rule

mode, root = sys.argv[1], Path(sys.argv[2])
main, first = os.getpid(), sorted(str(p.relative_to(root)) for p in root.rglob("*.ini"))[0]
started = root / "helper-started"

class Unsendable(str):
    def __reduce__(self):
        raise TypeError("this message cannot leave its process")

@rule("TEST-WHO", "who-probe", Level.NOTE, summary="s", reference="r", fix="f",
      placeholders="keep")
def probe(config, ctx):
    """Says which process checked the file."""
    here = "main" if os.getpid() == main else "helper"
    if here == "helper":
        started.touch()
        if mode == "die":
            os._exit(3)
    elif config.path != first and mode != "one":  # (the first is checked before helpers start)
        for _ in range(3000):  # so that the helper surely takes some of the files
            if started.exists():
                break
            time.sleep(0.01)
    message = here if mode == "share" else "checked"
    if mode == "unsendable" and here == "helper":
        message = Unsendable(message)
    yield Problem(config.sections[0].header_span, message)

os.chdir(root)
jobs = 1 if mode == "one" else 2
result = engine.lint(["."], [probe], jobs=jobs)
print(json.dumps([[f.path, str(f.message)] for f in result.findings]))
'''


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for i in range(FILES):
        site = root / f"site-{i:03d}"
        site.mkdir(parents=True)
        (site / "crystoki.ini").write_text(INI, encoding="utf-8")
    return root


def _lint(mode: str, root: Path) -> list[list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode, str(root)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # a helper that stops says nothing
    return json.loads(proc.stdout)


def test_the_main_process_and_a_helper_share_the_files_in_order(tmp_path):
    root = _project(tmp_path)
    found = _lint("share", root)
    assert [path for path, _ in found] == [f"site-{i:03d}/crystoki.ini" for i in range(FILES)]
    assert {who for _, who in found} == {"main", "helper"}


@pytest.mark.parametrize("mode", ["die", "unsendable"])
def test_what_a_helper_does_not_deliver_is_done_by_the_main_process(tmp_path, mode):
    """A helper killed on its first file, or one whose results cannot be sent back: every file
    is still checked, once, and the findings are those of one process."""
    root = _project(tmp_path)
    assert _lint(mode, root) == _lint("one", root)
