"""The ``lunalint-fix`` pre-commit hook (issue 15), run by the real ``pre-commit`` in a temporary
git repository, configured with the README's own snippet: it fixes what is safe, pre-commit
reports the modified file and fails; with ``--unsafe-fixes`` the rest is fixed; then it
passes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from lunalint.rules.base import REPOSITORY

from .test_precommit_integration import git, hook_repo, home, new_repo, pre_commit

__all__ = ["hook_repo", "home"]

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TABBED = """\
VirtualToken = {
\tVirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
# recovery settings
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
}
HASynchronize = {
   payments = 1;
}
"""


def readme_fix_snippet() -> dict:
    m = re.search(r"<!-- snippet: pre-commit-fix -->\n```yaml\n(.*?)^```", README,
                  re.DOTALL | re.MULTILINE)
    assert m, "README.md's Fixing section has no pre-commit-fix snippet"
    config = yaml.safe_load(m.group(1))
    (entry,) = config["repos"]
    assert entry["repo"] == REPOSITORY and entry["rev"] == "main"  # no release yet (issue 22)
    assert entry["hooks"] == [{"id": "lunalint-fix"}]
    return config


def use(repo: Path, hook_repo, config: dict, args: list[str] | None = None) -> None:
    entry = config["repos"][0]
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    if args:
        entry["hooks"][0]["args"] = args
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, "add", ".pre-commit-config.yaml")


def test_lunalint_fix_hook_fixes_and_fails_then_passes(tmp_path, home, hook_repo):
    repo = new_repo(tmp_path / "ops", {"etc/luna/Chrystoki.conf": TABBED,
                                       "notes.txt": "\tnot a Luna file\n"})
    conf = repo / "etc" / "luna" / "Chrystoki.conf"
    use(repo, hook_repo, readme_fix_snippet())

    first = pre_commit(repo, home, "run", "--all-files")
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    assert "files were modified by this hook" in out
    # The safe fix was made; the unsafe one (HAOnly) was not, and is reported.
    assert conf.read_text() == TABBED.replace("\tVirtualToken00Label", "   VirtualToken00Label")
    assert "etc/luna/Chrystoki.conf:8:4: warning HA101" in out
    assert "1 fixed, 1 remaining." in out
    assert "lunalint: 1 fixable with --unsafe-fixes" in out  # as ruff says (issue 22)
    assert (repo / "notes.txt").read_text() == "\tnot a Luna file\n"

    git(repo, "add", ".")
    use(repo, hook_repo, readme_fix_snippet(), ["--unsafe-fixes"])
    second = pre_commit(repo, home, "run", "--all-files")
    assert second.returncode == 1, second.stdout + second.stderr
    assert "files were modified by this hook" in second.stdout + second.stderr
    assert "   HAOnly = 1;\n" in conf.read_text()
    assert "# recovery settings\n" in conf.read_text()

    git(repo, "add", ".")
    third = pre_commit(repo, home, "run", "--all-files")
    assert third.returncode == 0, third.stdout + third.stderr
    assert "Passed" in third.stdout
