"""Shared test helpers: run the real CLI in-process or as a subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"


def pytest_configure(config):
    """Byte-compile lunalint once, before any test runs it. The suite starts ``python -m
    lunalint`` a few thousand times; an editable install has no ``.pyc`` files, and where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on our machines) none is ever written, so every run
    compiled every module again: a third of a one-config run, and minutes of the suite. A
    wheel install compiles them the same way (pip does it at install time)."""
    import compileall

    import lunalint
    import lunalint.rules

    for package in (lunalint, lunalint.rules):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=2, workers=1)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Grammar caches go to one per-session temp dir, never the developer's home."""
    monkeypatch.setenv("LUNALINT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)


def run_cli(*args: str, cwd: str | os.PathLike | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m lunalint`` as a user would, capturing stdout and stderr."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def run_json(*args: str, cwd=None, env=None) -> tuple[int, dict]:
    proc = run_cli("--format", "json", *args, cwd=cwd, env=env)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def parent_site_dirs() -> list[str]:
    """The site directories the interpreter running the tests imports from: a venv's own, the
    base interpreter's when there is no venv (or the venv sees them), and the user site."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    seen: list[str] = []
    for d in dirs:
        if os.path.isdir(d) and d not in seen:
            seen.append(d)
    return seen


def fresh_venv(where: Path, *, parent_site: bool = True, pip: bool = False) -> Path:
    """The one way tests make a virtual environment; its python. Never with
    ``--system-site-packages`` (the base interpreter need not have lark or PyYAML, and inside
    a venv it has no lunalint, or an older one).

    ``parent_site`` (default): the venv also imports, explicitly, from the site directories of
    the interpreter running the tests. The lunalint under test and its dependencies live
    wherever ``pip install -e '.[test]'`` put them: the system site-packages, a venv, a venv
    made inside a venv. A ``.pth`` file in the child runs ``site.addsitedir`` on each parent
    directory, after the child's own site-packages, so what is installed into the child comes
    first and editable installs (``.pth`` finders) of the parent still work. pip comes from the
    parent too when it has one, which spares an ``ensurepip`` per venv.

    Without ``parent_site`` the venv has nothing but the standard library (and pip with
    ``pip``): what a user's fresh venv has before ``pip install`` brings the dependencies.
    """
    have_pip = importlib.util.find_spec("pip") is not None
    venv.EnvBuilder(with_pip=pip or (parent_site and not have_pip)).create(where)
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    assert python.exists()
    if not parent_site:
        return python
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert Path(purelib).is_relative_to(where.resolve()) or Path(purelib).is_relative_to(where)
    lines = "; ".join(f"site.addsitedir({d!r})" for d in parent_site_dirs())
    (Path(purelib) / "_lunalint_tests_parent_site.pth").write_text(f"import site; {lines}\n")
    return python


def child_venv(where: Path) -> Path:
    """A fresh venv that sees the test run's own packages (see :func:`fresh_venv`)."""
    return fresh_venv(where)
