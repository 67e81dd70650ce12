"""Byte-identical output (issue 21): the JSON and SARIF of `examples/` and of a generated
estate are compared with goldens recorded before the speed work started. A change that alters
output on purpose regenerates them with `python tools/regen_golden.py` and says why."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def load_bench():
    spec = importlib.util.spec_from_file_location("lunalint_bench_run", REPO / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclass looks its module up)
    spec.loader.exec_module(module)
    return module


def build_generated(root: Path) -> None:
    """The bench generator with fixed seeds: a mixed estate and config+capture sites."""
    bench = load_bench()
    bench.build_estate(root / "estate", 24, seed=7)
    bench.build_sites(root / "sites", 8, seed=7)


def render(fmt: str, target: str, cwd: Path) -> bytes:
    proc = run_cli("--no-cache", "--select", "ALL", "--format", fmt, "--fail-on", "never",
                   target, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.encode("utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("golden") / "gen"
    build_generated(root)
    return root


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_examples_output_is_unchanged(fmt):
    assert render(fmt, "examples/", REPO) == (GOLDEN / f"examples.{fmt}").read_bytes()


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_generated_estate_output_is_unchanged(generated, fmt):
    assert render(fmt, ".", generated) == (GOLDEN / f"estate.{fmt}").read_bytes()
