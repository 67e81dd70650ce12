"""Baselines: record today's findings, then report only new ones.

A finding is keyed by rule, repository-relative path and logical anchor (section/key, or
serial/policy number) — never by line number — so moving lines around keeps the baseline
valid. Keys are counted, so two identical findings need two baseline entries.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace

from lunalint import __version__
from lunalint.findings import Finding, Suppression

FORMAT = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not a lunalint baseline."""


def _rel(path: str, root: str) -> str:
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, os.path.abspath(root))
    except ValueError:
        return full.replace(os.sep, "/")
    return (full if rel.startswith(os.pardir) else rel).replace(os.sep, "/")


def key(finding: Finding, root: str) -> tuple[str, str, str]:
    return (finding.rule, _rel(finding.path, root), finding.anchor or finding.message)


def write(path: str, findings: list[Finding], root: str) -> int:
    """Write the unsuppressed ``findings`` to ``path``; returns how many were recorded."""
    counts = Counter(key(f, root) for f in findings if f.suppression is None)
    entries = [{"rule": r, "path": p, "anchor": a, "count": n}
               for (r, p, a), n in sorted(counts.items())]
    doc = {"lunalint_baseline": FORMAT, "version": __version__, "findings": entries}
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(doc, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)
    return sum(counts.values())


def load(path: str) -> Counter:
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except OSError as error:
        raise BaselineError(f"cannot read baseline {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: not a lunalint baseline (invalid JSON: "
                            f"{error.msg})") from None
    if not isinstance(doc, dict) or doc.get("lunalint_baseline") != FORMAT \
            or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not a lunalint baseline (format {FORMAT} expected)")
    counts: Counter = Counter()
    for item in doc["findings"]:
        try:
            counts[(str(item["rule"]), str(item["path"]), str(item["anchor"]))] += int(
                item.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: malformed entry {item!r}") from None
    return counts


def apply(findings: list[Finding], known: Counter, root: str, baseline_path: str,
          linted: list[str] | None = None) -> tuple[list[Finding], list[str]]:
    """Mark findings recorded in the baseline as suppressed (kind external).

    Returns the findings and the baseline entries of the ``linted`` files (all files when
    None) that matched nothing, now fixed, as ``RULE path anchor`` strings.
    """
    scope = None if linted is None else {_rel(p, root) for p in linted}
    left = Counter(known)
    out = []
    for f in findings:
        k = key(f, root)
        if f.suppression is None and left[k] > 0:
            left[k] -= 1
            f = replace(f, suppression=Suppression(
                "external", f"recorded in baseline {os.path.basename(baseline_path)}",
                baseline_path))
        out.append(f)
    fixed = [f"{r} {p} {a}" for (r, p, a), n in sorted(left.items()) for _ in range(n)
             if scope is None or p in scope]
    return out, fixed
