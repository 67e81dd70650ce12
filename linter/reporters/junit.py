"""``--format junit``: JUnit XML, as Jenkins (JUnit plugin) and Azure DevOps (Publish Test
Results, format JUnit) read it.

One ``<testsuite name="lunalint">`` inside ``<testsuites>``; one ``<testcase>`` per linted file
(its path as the name, so a clean file is a passing test). A file fails (one ``<failure>``)
only when it has a finding at or above ``--fail-on`` (default ``warning``), so the report is
red exactly when the run's exit status is 1: the ``<failure>``'s ``type`` is the rule ids of
those findings (comma-separated, sorted), its ``message`` says how many there are and gives the
first one's ``path:line:column: level RULE message`` line, and its text lists each with its
related locations. Everything else about the file (findings below ``--fail-on``, intentional
findings, suppressed ones with ``--include-suppressed``) is listed in the testcase's
``<system-out>``, one line each. ``tests`` counts testcases and ``failures`` the failed ones.
Times are ``0`` (lunalint does not time files), which keeps the report byte-identical across
runs.

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
    """A finding that does not fail the file, as one line of ``<system-out>``."""
    tags = []
    if f.suppression is None and not f.intentional:
        tags.append("below --fail-on")
    if f.intentional:
        tags.append("intentional")
    if f.suppression is not None:
        tags.append(f"suppressed: {f.suppression.justification}")
    return f"{_headline(f)} [{'; '.join(tags)}]"


def render(report: Report) -> str:
    by_path: dict[str, list[Finding]] = {path: [] for path in report.paths}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)

    def fails(f: Finding) -> bool:
        return (f.suppression is None and not f.intentional and report.fail_on is not None
                and f.level >= report.fail_on)

    failed = sum(1 for path in by_path if any(fails(f) for f in by_path[path]))
    counts = {"tests": str(len(by_path)), "failures": str(failed), "errors": "0"}
    root = ET.Element("testsuites", {"name": "lunalint", **counts, "time": "0"})
    suite = ET.SubElement(root, "testsuite",
                          {"name": "lunalint", **counts, "skipped": "0", "time": "0"})
    for path in sorted(by_path):
        case = ET.SubElement(suite, "testcase",
                             {"name": _x(path), "classname": "lunalint", "time": "0"})
        failing = [f for f in by_path[path] if fails(f)]
        asides = [_x(_aside(f)) for f in by_path[path] if not fails(f)]
        if failing:
            n = len(failing)
            failure = ET.SubElement(case, "failure", {
                "type": _x(",".join(sorted({f.rule for f in failing}))),
                "message": _x(f"{n} finding{'s' if n != 1 else ''}: {_headline(failing[0])}")})
            failure.text = _x("\n".join(_details(f) for f in failing))
        if asides:
            ET.SubElement(case, "system-out").text = "\n".join(asides)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
