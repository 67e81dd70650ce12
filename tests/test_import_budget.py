"""Cold-start budget (issue 21): a one-config run imports only what it needs. The lunalint
modules it may import are listed exactly (a new import on this path must be added here on
purpose), and the costly standard modules it must not need are named. Nothing is timed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .conftest import SAMPLES

# Every lunalint module a run over one Chrystoki.conf (text report, no project) may import.
ALLOWED = {
    "lunalint", "lunalint.chars", "lunalint.cli", "lunalint.confine", "lunalint.discover",
    "lunalint.engine", "lunalint.facts", "lunalint.findings", "lunalint.grammar",
    "lunalint.grammars", "lunalint.model", "lunalint.model.base", "lunalint.model.config",
    "lunalint.patch", "lunalint.pipeline", "lunalint.readers", "lunalint.readers.config",
    "lunalint.readers.template", "lunalint.record", "lunalint.redact", "lunalint.registry",
    "lunalint.reporters", "lunalint.reporters.text", "lunalint.rules",
    "lunalint.rules._workspace", "lunalint.rules.base", "lunalint.rules.catalog",
    "lunalint.rules.edits", "lunalint.rules.ha", "lunalint.rules.lib", "lunalint.rules.ops",
    "lunalint.rules.policies", "lunalint.rules.sec", "lunalint.rules.sources",
    "lunalint.rules.suppression",
    "lunalint.rules.syntax", "lunalint.rules.versions", "lunalint.settings",
    "lunalint.settings.errors", "lunalint.settings.globs", "lunalint.settings.loader",
    "lunalint.settings.schema", "lunalint.source",
    "lunalint.suppress", "lunalint.versions", "lunalint.workspace",
    # the cache boundary of other branches, when they land (the run is --no-cache)
    "lunalint.writeout",
}
# Standard and third-party modules that cost start-up time and that such a run never needs:
# dataclasses pulls inspect, ast and dis in; shutil pulls the archive modules; traceback is
# for a failing rule only; difflib for an unknown name only. typing is for annotations, which
# are never evaluated at run time; hashlib (OpenSSL) and pathlib (urllib, ipaddress) are for
# building or keying a parser, which the fast path does not need.
FORBIDDEN = ("dataclasses", "typing", "hashlib", "pathlib", "inspect", "shutil", "traceback",
             "difflib", "lark",
             "importlib.metadata", "importlib.resources", "multiprocessing",
             "concurrent.futures", "yaml", "lunalint.model.export", "lunalint.readers.export",
             "lunalint.readers.embedded", "lunalint.audit", "lunalint.fix", "lunalint.baseline",
             "lunalint.cache", "lunalint.reporters.sarif", "lunalint.reporters.json")


def test_one_config_run_imports_no_more_than_it_needs(tmp_path):
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    code = ("import sys\n"
            "before = set(sys.modules)\n"
            "from lunalint.cli import main\n"
            "try:\n"
            "    main(['--no-cache', '--fail-on', 'never', 'Chrystoki.conf'])\n"
            "finally:\n"
            "    sys.stderr.write('\\n'.join(sorted(set(sys.modules) - before)))\n")
    env = dict(os.environ)
    for _ in range(2):  # the first run may build the terminal cache
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert "1 file" in proc.stdout, proc.stdout + proc.stderr
    modules = set(proc.stderr.split())
    assert "lunalint.readers.config" in modules  # the file was really read
    extra = sorted(m for m in modules if m.startswith("lunalint") and m not in ALLOWED)
    assert not extra, f"a one-config run imports more lunalint modules: {extra}"
    imported = [m for m in FORBIDDEN if m in modules]
    assert not imported, f"a one-config run imports {imported}"
