"""Shared test helpers: run the real CLI in-process or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"


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
