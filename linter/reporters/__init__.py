"""Reporters turn sorted findings into one output format. They decide nothing about levels or
which findings exist; they only render what the engine hands them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from lunalint.findings import Finding, Level
from lunalint.redact import Redactor

FORMATS = ("text", "json", "sarif", "github", "junit", "gitlab")


@dataclass
class Report:
    """Everything a reporter may render."""

    findings: list[Finding]  # what to show (suppressed ones only with --include-suppressed)
    files: int
    suppressed: int = 0
    rules: list = field(default_factory=list)  # Rule metadata, for SARIF's rule table
    notices: list[str] = field(default_factory=list)  # tool notices (plugins, skipped files)
    srcroot: str = "."  # directory SARIF URIs are relative to
    category: str = ""  # SARIF automationDetails.id suffix
    color: bool = False
    fixed: list[str] = field(default_factory=list)  # baseline entries no longer found
    paths: list[str] = field(default_factory=list)  # every linted file (JUnit: one testcase each)
    summary: bool = True  # text: end with the one-line summary (off with --quiet)
    # The redaction boundary: every rendered report passes through it (see ``renderer``).
    redactor: Redactor = field(default_factory=Redactor)

    def counts(self) -> dict[str, int]:
        out = {level.label: 0 for level in sorted(Level, reverse=True)}
        for f in self.findings:
            if f.suppression is None:
                out[f.level.label] += 1
        return out


def renderer(name: str) -> Callable[[Report], str]:
    """The renderer of format ``name``; what it returns has crossed the redaction boundary
    (findings scrubbed field by field, then the whole text searched for secret values in the
    forms the format escapes them to), whatever the format's own code does."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    return _through_boundary(import_module(f"lunalint.reporters.{name}").render)


def statistics_renderer(name: str) -> Callable[[Report], str]:
    """``--statistics``: findings counted per rule, as ``text`` or ``json``, through the same
    redaction boundary as every report."""
    from lunalint.reporters import statistics

    renders = {"text": statistics.render_text, "json": statistics.render_json}
    if name not in renders:
        raise ValueError(f"--statistics has no {name!r} form")
    return _through_boundary(renders[name])


def summary_line(report: Report) -> str:
    """The one-line summary of the text format (what ``--output`` also prints on stderr),
    redacted like a report."""
    from lunalint.reporters import text

    return _through_boundary(text.summary)(report)


def _through_boundary(render: Callable[[Report], str]) -> Callable[[Report], str]:
    def redacted(report: Report) -> str:
        clean = dataclasses.replace(
            report, findings=report.redactor.findings(report.findings),
            notices=[report.redactor.text(n) for n in report.notices],
            fixed=[report.redactor.text(f) for f in report.fixed],
            paths=[report.redactor.text(p) for p in report.paths])
        return report.redactor.output(render(clean))

    return redacted
