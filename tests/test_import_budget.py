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
    "lunalint.patch", "lunalint.patterns", "lunalint.pipeline", "lunalint.readers",
    "lunalint.readers.config",
    "lunalint.readers.template", "lunalint.record", "lunalint.redact", "lunalint.registry",
    "lunalint.reporters", "lunalint.reporters.text", "lunalint.rules",
    "lunalint.rules._workspace", "lunalint.rules.base", "lunalint.rules.catalog",
    "lunalint.rules.edits", "lunalint.rules.ha", "lunalint.rules.lib", "lunalint.rules.ops",
    "lunalint.rules.policies", "lunalint.rules.sec", "lunalint.rules.sources",
    "lunalint.rules.suppression",
    "lunalint.rules.syntax", "lunalint.rules.versions", "lunalint.settings",
    "lunalint.settings.errors", "lunalint.settings.globs", "lunalint.settings.loader",
    "lunalint.settings.schema", "lunalint.source", "lunalint.store",
    "lunalint.suppress", "lunalint.versions", "lunalint.workspace",
    # the cache boundary of other branches, when they land (the run is --no-cache)
    "lunalint.writeout",
}
# Standard and third-party modules that cost start-up time and that such a run never needs:
# dataclasses pulls inspect, ast and dis in; shutil pulls the archive modules; traceback is
# for a failing rule only; difflib for an unknown name only. typing is for annotations, which
# are never evaluated at run time; hashlib (OpenSSL) and pathlib (urllib, ipaddress) are for
# building or keying a parser, which the fast path does not need; datetime is for a waiver's
# expiry date and threading for a configuration's globs, and this run has no configuration;
# argparse (gettext, locale) reads only a command line the quick reading leaves to it.
FORBIDDEN = ("dataclasses", "typing", "hashlib", "pathlib", "datetime", "threading",
             "argparse", "gettext", "locale",
             "inspect", "shutil", "traceback", "difflib", "lark", "importlib.metadata",
             "importlib.resources", "multiprocessing",
             "concurrent.futures", "yaml", "lunalint.model.export", "lunalint.readers.export",
             "lunalint.readers.embedded", "lunalint.audit", "lunalint.fix", "lunalint.baseline",
             "lunalint.cache", "lunalint.reporters.sarif", "lunalint.reporters.json")

# Lazily compiled patterns (lunalint.patterns.lazy) such a run may compile: none so far.
NEEDED_LAZY: set[str] = set()


def test_one_config_run_imports_no_more_than_it_needs(tmp_path):
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    code = ("import sys\n"
            "before = set(sys.modules)\n"
            "from lunalint.cli import main\n"
            "try:\n"
            "    main(['--no-cache', '--fail-on', 'never', 'Chrystoki.conf'])\n"
            "finally:\n"
            "    from lunalint.patterns import LazyPattern\n"
            "    compiled = [f'{name}.{key}' for name, mod in list(sys.modules.items())\n"
            "                if name.startswith('lunalint') for key, value in vars(mod).items()\n"
            "                if isinstance(value, LazyPattern) and '_compiled' in vars(value)]\n"
            "    sys.stderr.write('\\n'.join(sorted(set(sys.modules) - before)))\n"
            "    sys.stderr.write('\\ncompiled: ' + ' '.join(compiled) + '\\n')\n")
    env = dict(os.environ)
    for _ in range(2):  # the first run may build the terminal cache
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert "1 file" in proc.stdout, proc.stdout + proc.stderr
    modules_part, _, compiled = proc.stderr.partition("compiled:")
    modules = set(modules_part.split())
    assert "lunalint.readers.config" in modules  # the file was really read
    extra = sorted(m for m in modules if m.startswith("lunalint") and m not in ALLOWED)
    assert not extra, f"a one-config run imports more lunalint modules: {extra}"
    imported = [m for m in FORBIDDEN if m in modules]
    assert not imported, f"a one-config run imports {imported}"
    # patterns for captures, scripts, templates and command lines are compiled on first use,
    # and this run has none of those (lunalint.patterns)
    lazy_compiled = sorted(set(compiled.split()) - NEEDED_LAZY)
    assert not lazy_compiled, f"a one-config run compiles {lazy_compiled}"
    assert "lunalint.discover._EXPORT_CONTENT" not in compiled


def test_a_run_from_the_result_cache_imports_no_typing_argparse_or_parser(tmp_path):
    """The same file with the result cache warm (the signed cache needs hashlib and json,
    nothing more)."""
    shutil.copy(SAMPLES / "Chrystoki.conf", tmp_path / "Chrystoki.conf")
    # (only what the run imported counts: a site hook may import typing before it starts)
    code = ("import sys\n"
            "before = set(sys.modules)\n"
            "from lunalint.cli import main\n"
            "try:\n"
            "    main(['--fail-on', 'never', 'Chrystoki.conf'])\n"
            "finally:\n"
            "    sys.stderr.write(' '.join(set(sys.modules) - before))\n")
    env = dict(os.environ, LUNALINT_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):  # the first run fills the cache
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert "1 file" in proc.stdout, proc.stdout + proc.stderr
    modules = set(proc.stderr.split())
    assert "lunalint.cache" in modules  # the cache was really used
    imported = [m for m in ("typing", "argparse", "lark", "yaml", "dataclasses", "inspect",
                            "multiprocessing", "lunalint.reporters.sarif") if m in modules]
    assert not imported, f"a run from the result cache imports {imported}"


def test_a_lazy_pattern_behaves_as_the_compiled_one_and_compiles_once():
    import pickle
    import re

    from lunalint.patterns import LazyPattern, lazy

    pat = lazy(r"(?P<k>[a-z]+)=(?P<v>\d+)", re.IGNORECASE)
    assert isinstance(pat, LazyPattern) and "_compiled" not in vars(pat)
    real = re.compile(r"(?P<k>[a-z]+)=(?P<v>\d+)", re.IGNORECASE)
    text = "A=1 b=22 c=x"
    assert pat.search(text).groupdict() == real.search(text).groupdict()
    compiled = vars(pat)["_compiled"]
    assert compiled is pat.compiled()  # compiled once, kept
    assert vars(pat)["search"] == compiled.search  # later calls go straight to it
    for name, args in (("match", (text,)), ("fullmatch", ("ab=3",)), ("findall", (text,)),
                       ("sub", ("-", text)), ("subn", ("-", text)), ("split", (text,))):
        got, want = getattr(pat, name)(*args), getattr(real, name)(*args)
        if isinstance(want, re.Match):
            got, want = (got.span(), got.groups()), (want.span(), want.groups())
        assert got == want, name
    assert [m.span() for m in pat.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert (pat.pattern, pat.flags, pat.groups, pat.groupindex) \
        == (real.pattern, real.flags, real.groups, real.groupindex)
    assert pickle.loads(pickle.dumps(pat)) == real
    fresh = lazy("x(")  # an error shows at first use, not at import
    try:
        fresh.match("x")
    except re.error:
        pass
    else:
        raise AssertionError("a bad pattern compiled")
    for method in ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn",
                   "split"):  # each stand-in compiles
        one = lazy("a")
        getattr(one, method)(*(("b", "a") if method in ("sub", "subn") else ("a",)))
        assert "_compiled" in vars(one), method
