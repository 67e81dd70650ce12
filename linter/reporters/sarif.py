"""``--format sarif``: SARIF 2.1.0, one run, ready for GitHub code scanning."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from urllib.parse import quote

from lunalint import REPOSITORY, __version__
from lunalint.findings import Finding, Location, relative_to
from lunalint.reporters import Report, batched

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "lunalintAnchor/v1"


def _uri(path: str, srcroot: str) -> str:
    key = (path, srcroot)
    found = _URIS.get(key)
    if found is None:
        if len(_URIS) > 100_000:
            _URIS.clear()
        found = _URIS[key] = _uri_of(path, srcroot)
    return found


_URIS: dict[tuple[str, str], str] = {}


def _uri_of(path: str, srcroot: str) -> str:
    full = os.path.abspath(os.path.join(srcroot, path))  # shown paths are relative to it
    root = os.path.abspath(srcroot)
    rel = relative_to(full, root)
    if rel.startswith(os.pardir):
        return "file://" + quote(full.replace(os.sep, "/"), errors="surrogateescape")
    return quote(rel.replace(os.sep, "/"), errors="surrogateescape")


def _location(loc: Location | Finding, srcroot: str) -> dict:
    s = loc.span
    artifact = {"uri": _uri(loc.path, srcroot)}
    if not artifact["uri"].startswith("file://"):
        artifact["uriBaseId"] = "%SRCROOT%"
    physical = {
        "artifactLocation": artifact,
        "region": {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line,
                   "endColumn": s.end_column}}
    excerpt = getattr(loc, "excerpt", None)
    if excerpt is not None and s.end_line == s.line:
        # The whole first line (secret values already masked by the engine) as context, so a
        # viewer without the file still sees the offending line. Only for one-line regions:
        # a context region must contain the region.
        physical["contextRegion"] = {"startLine": s.line, "snippet": {"text": excerpt}}
    return {"physicalLocation": physical}


def _fix(f: Finding, srcroot: str) -> dict:
    """SARIF 2.1.0 §3.55 ``fix``: one ``artifactChange`` on the finding's file, each edit a
    ``replacement`` of a ``deletedRegion`` (empty for an insertion) by ``insertedContent``."""
    artifact = {"uri": _uri(f.path, srcroot)}
    if not artifact["uri"].startswith("file://"):
        artifact["uriBaseId"] = "%SRCROOT%"
    replacements = [{"deletedRegion": {"startLine": e.span.line, "startColumn": e.span.column,
                                       "endLine": e.span.end_line,
                                       "endColumn": e.span.end_column},
                     "insertedContent": {"text": e.replacement}} for e in f.fix.edits]
    return {"description": {"text": f"{f.fix.description} ({f.fix.applicability} fix)"},
            "artifactChanges": [{"artifactLocation": artifact,
                                 "replacements": replacements}]}


def rule_descriptor(rule) -> dict:
    props = {"tags": sorted(rule.tags), "precision": rule.precision,
             "security-severity": f"{rule.security_severity:.1f}", "fixClass": rule.fix_class}
    out = {"id": rule.id, "name": rule.name,
           "shortDescription": {"text": rule.summary.rstrip(".") + "."},
           "fullDescription": {"text": " ".join(rule.description.split())},
           "help": {"text": rule.help_text, "markdown": rule.help_markdown},
           "defaultConfiguration": {"level": rule.level.label},
           "properties": props}
    if rule.help_uri:
        out["helpUri"] = rule.help_uri
    return out


def fingerprint(f: Finding, srcroot: str) -> str:
    key = "\0".join((f.rule, _uri(f.path, srcroot), f.anchor or f.message))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(f: Finding, srcroot: str, index: dict[str, int]) -> dict:
    result = {"ruleId": f.rule, "level": f.level.label, "message": {"text": f.message},
              "locations": [_location(f, srcroot)],
              "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f, srcroot)},
              "properties": {"intentional": f.intentional, "anchor": f.anchor}}
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    if f.related:
        result["relatedLocations"] = [
            {"id": i + 1, **_location(rel, srcroot), "message": {"text": rel.message}}
            for i, rel in enumerate(f.related)]
    if f.fix is not None:
        result["fixes"] = [_fix(f, srcroot)]
    if f.suppression is not None:
        result["suppressions"] = [{"kind": f.suppression.kind, "status": "accepted",
                                   "justification": f.suppression.justification}]
    return result


def render(report: Report) -> str:
    return "".join(chunks(report))


def chunks(report: Report) -> Iterator[str]:
    """The log in pieces, each ending at a line end (one result per line), so that a large
    log is written as it is made (issue 21) rather than held whole, with its copies."""
    rules = sorted(report.rules, key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}

    def results():  # one at a time: only its line is kept, never a tree of every result
        for f in report.findings:
            yield _result(f, report.srcroot, index)

    dumps = json.JSONEncoder(ensure_ascii=False).encode
    driver = {"name": "lunalint", "version": __version__, "semanticVersion": __version__,
              "informationUri": REPOSITORY}
    rule_lines = ",\n".join(dumps(rule_descriptor(r)) for r in rules)
    head = (f'{{"$schema": {dumps(SCHEMA)}, "version": "2.1.0", "runs": [{{\n'
            f'"tool": {{"driver": {dumps(driver)[:-1]}, "rules": [\n{rule_lines}\n]}}}},\n'
            f'"automationDetails": {dumps({"id": f"lunalint/{report.category}"})},\n'
            '"columnKind": "unicodeCodePoints",\n')
    if report.what_if:  # the run assumed versions (a property bag, SARIF 2.1.0 §3.8)
        head += f'"properties": {dumps({"whatIf": report.what_if})},\n'
    if report.notices:
        invocations = [{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": n}} for n in report.notices]}]
        head += f'"invocations": {dumps(invocations)},\n'
    # One result per line: readable and diffable, and written by the C encoder (``indent``
    # would force the pure-Python one, a quarter of a large run).
    lines = (dumps(r) for r in results())
    first = next(lines, None)
    if first is None:
        yield head + '"results": []\n}]}\n'
        return
    yield head + '"results": [\n'
    yield from batched(first, lines, "]\n}]}\n")
