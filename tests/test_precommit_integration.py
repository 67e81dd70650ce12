"""The pre-commit hook with the real ``pre-commit``, in temporary git repositories:
(a) configs and exports in nested folders, (b) ``args: [--format, sarif, --output, ...]``,
(c) several files in one batch, (d) a repository with a ``.lunalint.yaml``.

The hook repository is a snapshot of this work tree committed into a temporary git repository:
that is what ``pre-commit try-repo`` itself does with uncommitted changes, and it lets (b) and
(d) use an ordinary ``.pre-commit-config.yaml`` (``try-repo`` cannot pass ``args``). All runs
share one ``PRE_COMMIT_HOME``, so the hook environment is built once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BAD_CONF = """\
VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   HAOnly = 0;
}
"""
GOOD_CONF = "Luna = {\n   DefaultTimeOut = 500000;\n}\n"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.email=ops@example.invalid", "-c", "user.name=ops",
                           "-c", "commit.gpgsign=false", *args],
                          cwd=cwd, check=True, capture_output=True, text=True)
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This work tree, committed into a temporary repository: (path, revision)."""
    if shutil.which("pre-commit") is None:
        pytest.fail("pre-commit is a test dependency: install the package with its [test] extra")
    snap = tmp_path_factory.mktemp("hook-repo") / "lunalint"
    shutil.copytree(ROOT, snap, ignore=shutil.ignore_patterns(
        ".git", "node", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
        ".venv"))
    git(snap, "init", "-q")
    git(snap, "add", "-A")
    git(snap, "commit", "-q", "-m", "snapshot")
    return snap, git(snap, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def new_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "add", ".")
    return path


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(PRE_COMMIT_HOME=str(home), NO_COLOR="1", PRE_COMMIT_COLOR="never")
    return subprocess.run(["pre-commit", *args, "--color", "never"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


def try_repo(repo: Path, home: Path, hook_repo, *args: str) -> subprocess.CompletedProcess:
    return pre_commit(repo, home, "try-repo", str(hook_repo[0]), "lunalint", "--verbose", *args)


def with_config(repo: Path, hook_repo, args: list[str]) -> None:
    path, rev = hook_repo
    hook = {"id": "lunalint"}
    if args:
        hook["args"] = args
    config = {"repos": [{"repo": str(path), "rev": rev, "hooks": [hook]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, "add", ".pre-commit-config.yaml")


def summary(output: str) -> tuple[int, int]:
    """(files with problems, files linted) from the text report's last line."""
    m = re.search(r"in (\d+) of (\d+) files?\b", output)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"No problems found in (\d+) files?", output)
    assert m, output
    return 0, int(m.group(1))


def test_a_nested_configs_and_exports(tmp_path, home, hook_repo):
    payments = EXAMPLES / "payments"
    repo = new_repo(tmp_path / "ops", {
        "sites/eu/prod/app01/Chrystoki.conf": BAD_CONF,
        "sites/us/win/host7/crystoki.ini": (EXAMPLES / "windows" / "crystoki.ini").read_text(),
        "captures/2024/q1/hsm-a.lunash.txt": (payments / "hsm-a.lunash.txt").read_text(),
        "captures/members.lunacm.txt": (payments / "members.lunacm.txt").read_text(),
        "docs/notes.txt": "HAOnly = 0; is mentioned here but this is not a config\n",
        "sites/eu/prod/app01/Chrystoki.conf.bak": BAD_CONF,
    })
    proc = try_repo(repo, home, hook_repo, "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "sites/eu/prod/app01/Chrystoki.conf:10:4: warning HA101" in out
    assert "sites/us/win/host7/crystoki.ini:32:1: warning HA101" in out
    assert "Chrystoki.conf.bak" not in out
    # notes.txt is given to the hook (walking would sniff it too) and listed as skipped, alone:
    # no export was passed but not recognised
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert skipped == ["lunalint: skipped 1 named file with no Luna client configuration or "
                       "capture in it: docs/notes.txt"], out
    # Both configs and both exports reached lunalint, nothing else did.
    assert summary(out)[1] == 4, out


def test_b_sarif_output_through_args(tmp_path, home, hook_repo):
    repo = new_repo(tmp_path / "ops", {"etc/luna/Chrystoki.conf": BAD_CONF})
    with_config(repo, hook_repo, ["--format", "sarif", "--output", "reports/lunalint.sarif"])
    (repo / "reports").mkdir()
    proc = pre_commit(repo, home, "run", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    sarif = json.loads((repo / "reports" / "lunalint.sarif").read_text(encoding="utf-8"))
    import jsonschema

    schema = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json")
                        .read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    found = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
             for r in results}
    assert ("HA101", "etc/luna/Chrystoki.conf") in found
    assert {uri for _, uri in found} == {"etc/luna/Chrystoki.conf"}
    assert "warning HA101" not in proc.stdout  # the report went to the file, not the log


def test_c_several_files_in_one_batch(tmp_path, home, hook_repo):
    files = {f"hosts/app{n:02d}/Chrystoki.conf": BAD_CONF for n in range(1, 6)}
    files["hosts/app06/Chrystoki.conf"] = GOOD_CONF
    files["hosts/win01/crystoki.ini"] = (EXAMPLES / "windows" / "crystoki.ini").read_text()
    repo = new_repo(tmp_path / "ops", files)
    proc = try_repo(repo, home, hook_repo, "--files", *sorted(files))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    for n in range(1, 6):
        assert f"hosts/app{n:02d}/Chrystoki.conf:10:4: warning HA101" in out
    assert "hosts/app06/Chrystoki.conf:" not in out
    # One lunalint process saw all seven files: one report, one summary line.
    assert len(re.findall(r"^Found \d+ problems?", out, re.MULTILINE)) == 1, out
    assert summary(out) == (6, 7), out


def test_c_only_staged_luna_files_are_checked(tmp_path, home, hook_repo):
    repo = new_repo(tmp_path / "ops", {"a/Chrystoki.conf": GOOD_CONF, "README.md": "# ops\n"})
    git(repo, "commit", "-q", "-m", "start")
    (repo / "b").mkdir()
    (repo / "b" / "Chrystoki.conf").write_text(BAD_CONF)
    git(repo, "add", "b/Chrystoki.conf")
    proc = try_repo(repo, home, hook_repo)  # staged files only, as on `git commit`
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "b/Chrystoki.conf:10:4: warning HA101" in out
    assert summary(out) == (1, 1), out


DOCKERFILE_HA = """\
FROM debian:12
RUN mkdir -p /etc && cat > /etc/Chrystoki.conf <<'EOF'
VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   reconnAtt = -1;
   HAOnly = 0;
}
EOF
"""


def test_e_the_hook_sees_what_the_cli_sees(tmp_path, home, hook_repo):
    """Issue 22: a Dockerfile heredoc with `HAOnly = 0` fails the hook as it fails
    `lunalint .`; an unrelated Dockerfile passes, and is listed on stderr as skipped."""
    repo = new_repo(tmp_path / "ops", {"images/hsm-client/Dockerfile": DOCKERFILE_HA,
                                       "images/web/Dockerfile": "FROM nginx:1\nEXPOSE 80\n"})
    proc = try_repo(repo, home, hook_repo, "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "images/hsm-client/Dockerfile:13:4: warning HA101" in out
    cli = subprocess.run([sys.executable, "-m", "lunalint", "."], cwd=repo,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and "images/hsm-client/Dockerfile:13:4: warning HA101" \
        in cli.stdout
    proc = try_repo(repo, home, hook_repo, "--files", "images/web/Dockerfile")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "(no files to check)" not in out
    assert ("lunalint: skipped 1 named file with no Luna client configuration or capture in "
            "it: images/web/Dockerfile") in out
    # the line is there with --quiet too, and on stderr
    quiet = subprocess.run([sys.executable, "-m", "lunalint", "--quiet",
                            "--skip-unrecognised", "images/web/Dockerfile"], cwd=repo,
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert quiet.stderr.splitlines() == [
        "lunalint: skipped 1 named file with no Luna client configuration or capture in it: "
        "images/web/Dockerfile"]


def _config_file_available() -> bool:
    probe = subprocess.run([sys.executable, "-m", "lunalint", "--config", os.devnull,
                            str(EXAMPLES / "windows")], capture_output=True, text=True,
                           timeout=120)
    return "not available yet" not in probe.stderr


def test_d_repository_with_lunalint_yaml(tmp_path, home, hook_repo):
    if not _config_file_available():
        pytest.skip("the .lunalint.yaml config file is not available yet (issue 4)")
    repo = new_repo(tmp_path / "ops", {
        ".lunalint.yaml": "ignore: [HA]\n",
        "etc/Chrystoki.conf": BAD_CONF,
    })
    proc = try_repo(repo, home, hook_repo, "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " HA1" not in out
    # Without the config file the same repository fails.
    (repo / ".lunalint.yaml").unlink()
    git(repo, "add", "-A")
    proc = try_repo(repo, home, hook_repo, "--all-files")
    assert proc.returncode == 1 and "warning HA101" in proc.stdout + proc.stderr
