"""``--format json``: the one object of the output contract (README.md)."""

from __future__ import annotations

import json

from lunalint import __version__
from lunalint.findings import Finding
from lunalint.reporters import Report


def finding_dict(f: Finding) -> dict:
    s = f.span
    suppressed = None
    if f.suppression is not None:
        suppressed = {"kind": f.suppression.kind, "justification": f.suppression.justification}
    return {"rule": f.rule, "level": f.level.label, "message": f.message, "path": f.path,
            "line": s.line, "column": s.column, "end_line": s.end_line,
            "end_column": s.end_column, "anchor": f.anchor, "intentional": f.intentional,
            "suppressed": suppressed, "help_uri": f.help_uri,
            "related": [{"path": r.path, "line": r.span.line, "column": r.span.column,
                         "end_line": r.span.end_line, "end_column": r.span.end_column,
                         "message": r.message} for r in f.related]}


def render(report: Report) -> str:
    summary = {"files": report.files, **report.counts(intentional=True),
               "intentional": report.intentional,
               "suppressed": report.suppressed}
    doc = {"tool": {"name": "lunalint", "version": __version__},
           "findings": [finding_dict(f) for f in report.findings],
           "summary": summary}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
