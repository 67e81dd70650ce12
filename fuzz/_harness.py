"""What every atheris harness checks, for one input: the whole pipeline, in process.

bytes → :func:`lunalint.source.decode` → the reader for the given file name → every rule →
excerpts → every report format. It fails (raises) when an exception escapes, when a finding's
span is outside the file, or when a report does not parse back.
"""

from __future__ import annotations

import json

from lunalint import engine, source
from lunalint.registry import load_registry
from lunalint.reporters import FORMATS, Report, renderer
from lunalint.rules.base import Context

RULES = load_registry(plugins=False).sorted()
CTX = Context()


def check_span(finding, doc) -> None:
    s = finding.span
    count = max(1, len(doc.lines))
    assert 1 <= s.line <= s.end_line <= count, (finding, count)
    assert s.column >= 1 and s.end_column >= 1, finding
    if s.line == s.end_line:
        assert s.end_column >= s.column, finding
    if doc.lines:
        assert s.column <= len(doc.lines[s.line - 1]) + 1, (finding, doc.lines[s.line - 1])
        assert s.end_column <= len(doc.lines[s.end_line - 1]) + 1, finding


def lint_bytes(data: bytes, name: str) -> None:
    loaded = source.decode(data)
    doc = engine.document_from(loaded, name, name, True)
    if doc is None:
        return
    findings = [f for rule in RULES if engine._applies(rule, doc)
                for f in engine._run_one(rule, doc, doc.path, CTX)]
    for f in findings:
        assert f.rule != engine.INTERNAL_RULE, f.message  # a rule crashed on this input
        check_span(f, doc)
    findings = engine.attach_excerpts(findings, [doc])
    report = Report(sorted(findings, key=lambda f: f.sort_key), 1, rules=RULES)
    for fmt in FORMATS:
        out = renderer(fmt)(report)
        if fmt in ("json", "sarif"):
            json.loads(out)
