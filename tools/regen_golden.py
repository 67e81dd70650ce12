"""Regenerate tests/fixtures/golden/ (the byte-identical output test's goldens) with the
lunalint this interpreter imports. Only for an intended output change: say why in the commit."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_golden_output import GOLDEN, build_generated  # noqa: E402


def render(fmt: str, target: str, cwd: Path) -> bytes:
    env = dict(os.environ, LUNALINT_CACHE_DIR=tempfile.mkdtemp(prefix="lunalint-golden-"))
    return subprocess.run([sys.executable, "-m", "lunalint", "--no-cache", "--select", "ALL",
                           "--format", fmt, "--fail-on", "never", target], cwd=cwd, env=env,
                          capture_output=True, check=True).stdout


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "gen"
        build_generated(gen)
        for fmt in ("json", "sarif"):
            (GOLDEN / f"examples.{fmt}").write_bytes(render(fmt, "examples/", REPO))
            (GOLDEN / f"estate.{fmt}").write_bytes(render(fmt, ".", gen))


if __name__ == "__main__":
    main()
