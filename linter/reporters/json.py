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
    """One object; each finding on a line of its own (readable, diffable) and every piece
    written by the C encoder (``indent`` would force the pure-Python one)."""
    summary = {"files": report.files, **report.counts(intentional=True),
               "intentional": report.intentional,
               "suppressed": report.suppressed}
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    tool = dumps({"name": "lunalint", "version": __version__})
    findings = ",\n".join(dumps(finding_dict(f)) for f in report.findings)
    body = f"[\n{findings}\n]" if findings else "[]"
    return f'{{"tool": {tool},\n"findings": {body},\n"summary": {dumps(summary)}}}\n'
