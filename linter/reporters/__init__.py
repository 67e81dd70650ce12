"""Reporters turn sorted findings into one output format. They decide nothing about levels or
which findings exist; they only render what the engine hands them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from lunalint.findings import Finding, Level

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

    def counts(self) -> dict[str, int]:
        out = {level.label: 0 for level in sorted(Level, reverse=True)}
        for f in self.findings:
            if f.suppression is None:
                out[f.level.label] += 1
        return out


def renderer(name: str) -> Callable[[Report], str]:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    return import_module(f"lunalint.reporters.{name}").render
