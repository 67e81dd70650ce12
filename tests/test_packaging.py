"""`pip install .` into a fresh virtual environment gives one import package, `lunalint`,
with its grammars, and the installed command lints the bundled examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fresh_install_ships_one_package_and_lints_examples(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Build from a copy so the test never writes build artefacts into the checkout.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "*.egg-info", "build", "__pycache__", ".pytest_cache", ".hypothesis",
        "node_modules", ".ci"))
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(src)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    others = {"pip", "setuptools", "pkg_resources", "_distutils_hack", "lark", "yaml", "_yaml"}
    ours = {p.name for p in Path(site).iterdir()
            if not p.name.endswith((".dist-info", ".pth")) and p.name not in others}
    assert ours == {"lunalint"}, f"unexpected top-level packages: {sorted(ours)}"
    grammar_files = sorted(p.name for p in (Path(site) / "lunalint" / "grammar").glob("*.lark"))
    assert "chrystoki.lark" in grammar_files and "crystoki_ini.lark" in grammar_files

    exe = env_dir / "bin" / "lunalint"
    proc = subprocess.run([str(exe), "--format", "json", "examples/"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    levels = {f["level"] for f in doc["findings"]}
    assert levels == {"error", "warning", "note"}
    clean = subprocess.run([str(exe), "examples/payments/Chrystoki.conf"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout
    missing = subprocess.run([str(exe), "no/such/dir"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
