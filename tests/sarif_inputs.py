"""Workspaces whose SARIF the schema and validator tests check, built from real files.

Shared by ``test_sarif_schema.py`` and ``test_sarif_validator.py`` so both judge the same logs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# No HA groups, nothing misspelt: no rule has anything to say about it.
CLEAN_CONF = """\
Chrystoki2 = {
   LibUNIX64 = /usr/safenet/lunaclient/lib/libCryptoki2_64.so;
}

Luna = {
   DefaultTimeOut = 500000;
}
"""

# HA101 fires on `HAOnly = 0`; the inline directive marks it as accepted.
SUPPRESSED_CONF = """\
VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HAConfiguration = {
   # lunalint: ignore[HA101] the batch host opens member slots on purpose (change 4711)
   HAOnly = 0;
}
"""

# Two lines the reader cannot read: two SYN001 errors.
SYN001_CONF = """\
HAConfiguration = {
   HAOnly = 1
   reconnAtt
}
"""


# Findings with fixes (issue 15): a TAB (safe), HAOnly = 0 (a replacement) and reconnAtt and
# HASynchronize missing (insertions, one of a new section), in CRLF.
FIXES_CONF = ("VirtualToken = {\r\n\tVirtualToken00Label = payments;\r\n"
              "   VirtualToken00Members = 1541234567001, 1541234567002;\r\n}\r\n"
              "HAConfiguration = {\r\n   HAOnly = 0;\r\n}\r\n")


def git_init(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def lunalint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def sarif(*args: str, cwd: Path, out: Path) -> dict:
    """Run lunalint with ``--format sarif --output out`` and return the parsed log."""
    proc = lunalint("--format", "sarif", "--output", str(out), *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def workspace(tmp_path: Path, name: str, text: str) -> Path:
    """A git work tree holding ``configs/<name>`` with ``text``."""
    root = tmp_path / "ws"
    (root / "configs").mkdir(parents=True)
    git_init(root)
    (root / "configs" / name).write_text(text, encoding="utf-8")
    return root


def suppressed_available(cwd: Path) -> bool:
    proc = lunalint("--include-suppressed", "--format", "json", str(cwd), cwd=cwd)
    return not (proc.returncode == 2 and "not available yet" in proc.stderr)


def build(case: str, tmp_path: Path) -> Path:
    """Write the SARIF log for ``case`` under ``tmp_path`` and return its path."""
    out = tmp_path / f"{case}.sarif"
    if case == "examples":
        doc = sarif("examples", cwd=REPO, out=out)
        assert doc["runs"][0]["results"], "examples/ is meant to have findings"
    elif case == "clean":
        root = workspace(tmp_path, "Chrystoki.conf", CLEAN_CONF)
        doc = sarif("--category", "clean", ".", cwd=root, out=out)
        assert doc["runs"][0]["results"] == [], "the clean workspace has findings"
    elif case == "suppressed":
        root = workspace(tmp_path, "Chrystoki.conf", SUPPRESSED_CONF)
        if not suppressed_available(root):
            pytest.skip("lunalint --include-suppressed is not available yet (issue 4: "
                        "suppressions); this case runs as soon as it is")
        doc = sarif("--include-suppressed", ".", cwd=root, out=out)
        results = doc["runs"][0]["results"]
        assert any(r.get("suppressions") for r in results), results
    elif case == "fixes":
        root = workspace(tmp_path, "Chrystoki.conf", "")
        (root / "configs" / "Chrystoki.conf").write_bytes(FIXES_CONF.encode())
        doc = sarif(".", cwd=root, out=out)
        fixed = {r["ruleId"] for r in doc["runs"][0]["results"] if r.get("fixes")}
        assert fixed == {"SYN002", "HA101", "HA102", "HA105"}, fixed
    elif case == "syn001":
        root = workspace(tmp_path, "Chrystoki.conf", SYN001_CONF)
        doc = sarif(".", cwd=root, out=out)
        assert [r["ruleId"] for r in doc["runs"][0]["results"]].count("SYN001") >= 1
    elif case == "policies":  # organisation policies (issue 24): rules from YAML
        doc = sarif(".", cwd=EXAMPLES / "policies", out=out)
        ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
        assert {"ACME101", "ACME102", "ACME103", "ACME104", "ACME105"} <= ids, ids
    elif case == "what-if":  # a what-if run says so in a run property bag
        doc = sarif("--target-firmware", "7.9.0", "--target-client", "10.7.0", "examples",
                    cwd=REPO, out=out)
        assert doc["runs"][0]["properties"]["whatIf"] == {"firmware": {"*": "7.9.0"},
                                                          "client": "10.7.0"}
    else:
        raise ValueError(case)
    return out
