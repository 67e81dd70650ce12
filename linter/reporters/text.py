"""``--format text`` (default): ``path:line:col: level RULE message``, grouped per file, each
with the source line and a caret under the span. Colour only when asked (a terminal without
``NO_COLOR``; the CLI decides)."""

from __future__ import annotations

from itertools import groupby

from lunalint.reporters import Report, neutralise

_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "note": "\033[1;36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _safe(text: str) -> str:
    # Control characters (terminal colour codes in captures, newlines in a directory name)
    # must not reach the user's terminal; ``renderer`` already did this, done again here for
    # callers of ``render`` itself.
    return neutralise(text)


def render(report: Report) -> str:
    paint = (lambda code, text: f"{code}{text}{_RESET}") if report.color else (lambda c, t: t)
    out: list[str] = []
    for path, group in groupby(report.findings, key=lambda f: f.path):
        if out:
            out.append("")
        for f in group:
            s = f.span
            level = paint(_COLORS[f.level.label], f.level.label)
            tags = []
            if f.intentional:
                tags.append("intentional")
            if f.suppression is not None:
                tags.append(f"suppressed: {f.suppression.justification}")
            tail = f" [{'; '.join(tags)}]" if tags else ""
            out.append(f"{paint(_BOLD, f'{_safe(path)}:{s.line}:{s.column}:')} {level} "
                       f"{paint(_BOLD, _safe(f.rule))} {_safe(f.message)}{_safe(tail)}")
            if f.excerpt is not None:
                out.extend(_excerpt(f, paint))
            for rel in f.related:
                where = _safe(f"{rel.path}:{rel.span.line}:{rel.span.column}:")
                out.append(f"    {paint(_DIM, where)} {_safe(rel.message)}")
    if not report.summary:
        return "".join(line + "\n" for line in out)
    if out:
        out.append("")
    out.append(summary(report))
    return "\n".join(out) + "\n"


def summary(report: Report) -> str:
    """``Found N problems (…) in K of M files.`` or ``No problems found in M files.``, then
    intentional findings (not problems), suppressed ones and fixed baseline entries. K counts
    the files with a problem, never more than M (see ``Report.problem_files``)."""
    counts = report.counts()
    total = sum(counts.values())
    checked = max(report.files, report.problem_files())
    if total:
        parts = ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in counts.items() if n)
        line = (f"Found {total} problem{'s' if total != 1 else ''} ({parts}) in "
                f"{report.problem_files()} of {checked} file{'s' if checked != 1 else ''}.")
    else:
        line = f"No problems found in {checked} file{'s' if checked != 1 else ''}."
    if report.intentional:
        line += f" {report.intentional} intentional."
    if report.suppressed:
        line += f" {report.suppressed} suppressed."
    if report.fixes_applied is not None:
        remaining = sum(counts.values())
        line += f" {report.fixes_applied} fixed, {remaining} remaining."
    if report.what_if:
        line += " What-if run: " + what_if_text(report.what_if) + "."
    if report.fixed:
        line += f" {len(report.fixed)} baseline entr{'ies' if len(report.fixed) != 1 else 'y'}" \
                " no longer found (fixed): " + ", ".join(_safe(x) for x in report.fixed) + "."
    return _safe(line)


def what_if_text(what_if: dict) -> str:
    """``as if members ran firmware 7.9.0 and clients 10.7.0`` (the versions a run assumed)."""
    parts = []
    firmware = what_if.get("firmware") or {}
    if "*" in firmware:
        parts.append(f"as if members ran firmware {firmware['*']}")
    named = [f"{serial} ran {v}" for serial, v in firmware.items() if serial != "*"]
    if named:
        parts.append(("as if " if not parts else "") + ", ".join(named))
    if what_if.get("client"):
        parts.append(("as if " if not parts else "") + f"clients ran {what_if['client']}")
    return " and ".join(parts)


# Excerpts of very long lines (minified or binary-ish files, a 10 MB single line) show a
# window around the span instead of the whole line.
EXCERPT_WIDTH = 120


def _excerpt(f, paint) -> list[str]:
    s = f.span
    line = neutralise(f.excerpt.replace("\t", " "), columns=True)
    gutter = f"{s.line:>5} | "
    start = min(s.column - 1, len(line))
    if s.end_line == s.line:
        width = max(1, min(s.end_column, len(line) + 1) - s.column)
    else:
        width = max(1, len(line) - start)
    if len(line) > EXCERPT_WIDTH:
        first = max(0, min(start - EXCERPT_WIDTH // 4, len(line) - EXCERPT_WIDTH))
        head = "…" if first > 0 else ""
        tail = "…" if first + EXCERPT_WIDTH < len(line) else ""
        line = head + line[first:first + EXCERPT_WIDTH] + tail
        start = start - first + len(head)
        width = max(1, min(width, EXCERPT_WIDTH - (start - len(head))))
    caret = " " * start + "^" * width
    return [paint(_DIM, gutter) + line, paint(_DIM, " " * 6 + "| ") + paint(_BOLD, caret)]
