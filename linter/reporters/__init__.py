"""Reporters turn sorted findings into one output format. They decide nothing about levels or
which findings exist; they only render what the engine hands them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from lunalint.findings import Finding, Level
from lunalint.redact import Redactor

FORMATS = ("text", "json", "sarif", "github")


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
    render = import_module(f"lunalint.reporters.{name}").render

    def redacted(report: Report) -> str:
        clean = dataclasses.replace(
            report, findings=report.redactor.findings(report.findings),
            notices=[report.redactor.text(n) for n in report.notices],
            fixed=[report.redactor.text(f) for f in report.fixed])
        return report.redactor.output(render(clean))

    return redacted
