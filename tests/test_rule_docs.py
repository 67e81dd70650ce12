"""docs/rules/ is generated from the rules' metadata and must be up to date; --explain, the
SARIF help and the page say the same thing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lunalint.registry import load_registry

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "gen_rule_docs.py"
DOCS = ROOT / "docs" / "rules"
BUILTIN = load_registry(plugins=False).sorted()


def gen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True,
                          timeout=120)


def test_docs_are_up_to_date():
    proc = gen("--check")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_page_equals_explain_and_help_uri(rule):
    page = (DOCS / f"{rule.id}.md").read_text(encoding="utf-8")
    assert page == rule.help_markdown
    explained = run_cli("--explain", rule.id.lower())
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout == page
    assert rule.help_uri.endswith(f"/blob/main/docs/rules/{rule.id}.md")
    assert page.startswith(f"# {rule.id}: {rule.name}\n")


def test_index_lists_every_rule():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for rule in BUILTIN:
        assert f"[{rule.id}]({rule.id}.md)" in index


def test_check_detects_stale_missing_and_orphan_pages(tmp_path):
    out = tmp_path / "rules"
    shutil.copytree(DOCS, out)
    assert gen("--check", "--out", str(out)).returncode == 0
    first = BUILTIN[0].id
    (out / f"{first}.md").write_text("# edited by hand\n", encoding="utf-8")
    (out / f"{BUILTIN[-1].id}.md").unlink()
    (out / "XX999.md").write_text("# gone\n", encoding="utf-8")
    proc = gen("--check", "--out", str(out))
    assert proc.returncode == 1
    assert f"out of date: {out / (first + '.md')}" in proc.stderr
    assert f"missing: {out / (BUILTIN[-1].id + '.md')}" in proc.stderr
    assert "no such rule (delete it)" in proc.stderr and "XX999.md" in proc.stderr
    # Regenerating repairs all three.
    assert gen("--out", str(out)).returncode == 0
    assert gen("--check", "--out", str(out)).returncode == 0
    assert not (out / "XX999.md").exists()
