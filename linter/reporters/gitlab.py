"""``--format gitlab``: a GitLab Code Quality report (the subset of the Code Climate issue
format that GitLab reads from ``artifacts: reports: codequality``).

One JSON array, one object per finding: ``description``, ``check_name`` (the rule id),
``fingerprint``, ``severity``, ``location.path`` (relative to the git work tree, like SARIF's
URIs) and ``location.lines.begin``.

The fingerprint is built from the rule, the file and the finding's logical anchor — never its
line — so a merge request that moves lines does not show the finding as fixed and new again. It
is the SARIF fingerprint of the same finding; when two findings share rule, file and anchor, the
second and later ones get their ordinal mixed in, because GitLab shows only the first issue of
each fingerprint.

Severity: ``note`` → ``info``, ``warning`` → ``major``, ``error`` → ``critical`` (an error is a
configuration that is broken or unsafe on an HSM client); intentional findings are ``info``
whatever their level. ``minor`` and ``blocker`` are not used. Suppressed findings (shown with
``--include-suppressed``) are left out: Code Quality has no way to mark them accepted.
"""

from __future__ import annotations

import hashlib
import json
import os

from lunalint.findings import Finding
from lunalint.reporters import Report
from lunalint.reporters.sarif import fingerprint

SEVERITY = {"note": "info", "warning": "major", "error": "critical"}


def _path(path: str, srcroot: str) -> str:
    full = os.path.abspath(os.path.join(srcroot, path))  # shown paths are relative to it
    try:
        rel = os.path.relpath(full, os.path.abspath(srcroot))
    except ValueError:  # another drive
        return full.replace(os.sep, "/")
    if rel.startswith(os.pardir):
        return full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _severity(f: Finding) -> str:
    return "info" if f.intentional else SEVERITY[f.level.label]


def render(report: Report) -> str:
    issues = []
    seen: dict[str, int] = {}
    for f in report.findings:
        if f.suppression is not None:
            continue
        base = fingerprint(f, report.srcroot)
        n = seen.get(base, 0)
        seen[base] = n + 1
        mark = base if n == 0 else hashlib.sha256(f"{base}\0{n}".encode()).hexdigest()[:32]
        description = f"{f.rule} {f.message}" + (" (intentional)" if f.intentional else "")
        issues.append({
            "description": description,
            "check_name": f.rule,
            "fingerprint": mark,
            "severity": _severity(f),
            "location": {"path": _path(f.path, report.srcroot),
                         "lines": {"begin": f.span.line}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
