"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

Every field is neutralised before it is escaped (see ``lunalint.reporters.neutralise``): a
newline or ``::`` in a path or message can never start a workflow command of its own, and no
ESC or other control character reaches the log. Related locations are listed in the message,
one per line (``%0A``, which GitHub shows as a line break inside the annotation).
"""

from __future__ import annotations

from lunalint.reporters import Report, neutralise

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    return neutralise(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _message(f) -> str:
    lines = [_data(f"{f.rule} {f.message}")]
    for rel in f.related:
        s = rel.span
        lines.append(_data(f"related: {rel.path}:{s.line}:{s.column}: {rel.message}"))
    return "%0A".join(lines)


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        if f.suppression is not None:
            continue
        s = f.span
        props = (f"file={_prop(f.path)},line={s.line},col={s.column},endLine={s.end_line},"
                 f"endColumn={s.end_column},title={_prop(f.rule)}")
        lines.append(f"::{_COMMAND[f.level.label]} {props}::{_message(f)}")
    return "".join(line + "\n" for line in lines)
