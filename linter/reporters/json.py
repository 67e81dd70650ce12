"""``--format json``: the one object of the output contract (README.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from lunalint import __version__
from lunalint.findings import Finding
from lunalint.reporters import Report, batched


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
                         "message": r.message} for r in f.related],
            "fix": fix_dict(f)}


def fix_dict(f: Finding) -> dict | None:
    """``{applicability, description, edits: [{path, start, end, replacement}]}``; positions
    are ``{line, column}`` like the finding's own (1-based, columns in characters, end
    exclusive); None when the finding has no fix --fix could apply."""
    if f.fix is None:
        return None
    return {"applicability": f.fix.applicability, "description": f.fix.description,
            "edits": [{"path": f.path,
                       "start": {"line": e.span.line, "column": e.span.column},
                       "end": {"line": e.span.end_line, "column": e.span.end_column},
                       "replacement": e.replacement} for e in f.fix.edits]}


def render(report: Report) -> str:
    """One object; each finding on a line of its own (readable, diffable) and every piece
    written by the C encoder (``indent`` would force the pure-Python one)."""
    return "".join(chunks(report))


def chunks(report: Report) -> Iterator[str]:
    """:func:`render` in pieces, each ending at a line end, written as they are made."""
    summary = {"files": report.files, **report.counts(intentional=True),
               "intentional": report.intentional,
               "suppressed": report.suppressed}
    if report.fixes_applied is not None:
        summary["fixed"] = report.fixes_applied
    if report.what_if:
        summary["what_if"] = report.what_if
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    tool = dumps({"name": "lunalint", "version": __version__})
    tail = f'"summary": {dumps(summary)}}}\n'
    lines = (dumps(finding_dict(f)) for f in report.findings)
    first = next(lines, None)
    if first is None:
        yield f'{{"tool": {tool},\n"findings": [],\n' + tail
        return
    yield f'{{"tool": {tool},\n"findings": [\n'
    yield from batched(first, lines, "]," + "\n" + tail)
