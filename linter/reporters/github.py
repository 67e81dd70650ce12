"""``--format github``: GitHub Actions workflow commands, one annotation per finding."""

from __future__ import annotations

from lunalint.reporters import Report

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        if f.suppression is not None:
            continue
        s = f.span
        props = (f"file={_prop(f.path)},line={s.line},col={s.column},endLine={s.end_line},"
                 f"endColumn={s.end_column},title={_prop(f.rule)}")
        lines.append(f"::{_COMMAND[f.level.label]} {props}::{_data(f'{f.rule} {f.message}')}")
    return "".join(line + "\n" for line in lines)
