"""``--format junit``: JUnit XML, as Jenkins (JUnit plugin) and Azure DevOps (Publish Test
Results, format JUnit) read it.

One ``<testsuite name="lunalint">`` inside ``<testsuites>``; one ``<testcase>`` per linted file
(its path as the name, so a clean file is a passing test); one ``<failure>`` per finding, its
``type`` the rule id and its ``message`` the ``path:line:column: level RULE message`` line.
``tests`` counts testcases and ``failures`` counts ``<failure>`` elements. Intentional findings
(reported by design, never failing a run) and suppressed ones (``--include-suppressed``) are not
failures: they are listed in the testcase's ``<system-out>``. Times are ``0`` (lunalint does not
time files), which keeps the report byte-identical across runs.

Text from linted files can hold characters XML 1.0 cannot carry at all (NUL, most C0 controls,
lone surrogates): each becomes ``?`` so the document always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from lunalint.findings import Finding
from lunalint.reporters import Report

# What XML 1.0 does not allow (its `Char` production), even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("?", text)


def _headline(f: Finding) -> str:
    s = f.span
    return f"{f.path}:{s.line}:{s.column}: {f.level.label} {f.rule} {f.message}"


def _details(f: Finding) -> str:
    lines = [_headline(f)]
    for rel in f.related:
        lines.append(f"    {rel.path}:{rel.span.line}:{rel.span.column}: {rel.message}")
    if f.help_uri:
        lines.append(f"help: {f.help_uri}")
    return "\n".join(lines)


def _aside(f: Finding) -> str:
    """An intentional or suppressed finding, as one line of ``<system-out>``."""
    tags = []
    if f.intentional:
        tags.append("intentional")
    if f.suppression is not None:
        tags.append(f"suppressed: {f.suppression.justification}")
    return f"{_headline(f)} [{'; '.join(tags)}]"


def render(report: Report) -> str:
    by_path: dict[str, list[Finding]] = {path: [] for path in report.paths}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)
    failures = sum(1 for f in report.findings if f.suppression is None and not f.intentional)
    counts = {"tests": str(len(by_path)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "lunalint", **counts, "time": "0"})
    suite = ET.SubElement(root, "testsuite",
                          {"name": "lunalint", **counts, "skipped": "0", "time": "0"})
    for path in sorted(by_path):
        case = ET.SubElement(suite, "testcase",
                             {"name": _x(path), "classname": "lunalint", "time": "0"})
        asides = []
        for f in by_path[path]:
            if f.suppression is not None or f.intentional:
                asides.append(_x(_aside(f)))
                continue
            failure = ET.SubElement(case, "failure",
                                    {"type": _x(f.rule), "message": _x(_headline(f))})
            failure.text = _x(_details(f))
        if asides:
            ET.SubElement(case, "system-out").text = "\n".join(asides)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
