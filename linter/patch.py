"""Text edits on a file's decoded text, and which files and places they may touch.

Used by the engine (a finding carries a fix only where ``--fix`` could apply it) and by the
fix stage (:mod:`lunalint.fix`), so the two never disagree.

Positions are the model's: 1-based lines as the readers split them (LF, CRLF or a lone CR)
and 1-based columns in characters of the line, end exclusive. A line's ending is never part
of a column range; an edit that adds lines carries the ending in its replacement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lunalint.findings import Edit, Fix
from lunalint.model.base import Document, Span

_BREAK = re.compile(r"\r\n|\r|\n")


def refusal(doc: Document, fix: Fix) -> str | None:
    """Why ``fix`` must not be applied to ``doc`` (its whole model), or None when it may."""
    from lunalint.model.config import ClientConfig

    if doc.kind == "export":
        return "captures are evidence of what an HSM said; they are never edited"
    if doc.kind == "host":
        return ("an embedded configuration: lunalint does not edit scripts, runbooks or YAML "
                "that hold one")
    if not isinstance(doc, ClientConfig):
        return "only client configurations are edited"
    if doc.partial:
        return "a partial configuration (configurator calls) is not edited"
    holes: dict[int, list[Span]] = {}
    for span in doc.template_spans:
        holes.setdefault(span.line, []).append(span)
    for edit in fix.edits:
        s = edit.span
        if not 0 < s.line <= len(doc.lines) or not 0 < s.end_line <= len(doc.lines) \
                or s.column > len(doc.lines[s.line - 1]) + 1 \
                or s.end_column > len(doc.lines[s.end_line - 1]) + 1:
            return "the edit lies outside the file"
        for line in range(s.line, s.end_line + 1):
            for hole in holes.get(line, ()):
                start = (line, hole.column)
                end = (line, hole.end_column)
                if start < (s.end_line, s.end_column) and end > (s.line, s.column) \
                        or start < (s.line, s.column) < end:
                    return "the edit would fall inside a template placeholder"
        if any(a <= line <= b for a, b in doc.loop_regions
               for line in range(s.line, s.end_line + 1)):
            return "the edit would fall inside a template loop"
        if (s.line, s.column) == (s.end_line, s.end_column) and doc.open:
            return ("a placeholder alone on a line may already render what this adds; the "
                    "template is not edited")
    return None


def line_starts(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of each line's content (endings excluded)."""
    out = []
    pos = 0
    for m in _BREAK.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text) or not out:
        out.append((pos, len(text)))
    return out


def offset(lines: list[tuple[int, int]], line: int, column: int) -> int | None:
    """The character offset of ``line``:``column``, or None when it is not in the text."""
    if not 0 < line <= len(lines):
        return None
    start, end = lines[line - 1]
    at = start + column - 1
    return at if start <= at <= end else None


def ranges(text: str, edits: Iterable[Edit]) -> list[tuple[int, int, str]] | None:
    """``(start, end, replacement)`` offsets of ``edits`` in ``text``; None if one is off."""
    lines = line_starts(text)
    out = []
    for edit in edits:
        a = offset(lines, edit.span.line, edit.span.column)
        b = offset(lines, edit.span.end_line, edit.span.end_column)
        if a is None or b is None or b < a:
            return None
        out.append((a, b, edit.replacement))
    return out


def overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """True when two edits touch the same text (an insertion point counts at its place)."""
    if a == b:
        return False  # the same edit from two fixes is made once
    if a[0] == a[1] or b[0] == b[1]:
        return max(a[0], b[0]) <= min(a[1], b[1])
    return max(a[0], b[0]) < min(a[1], b[1])


def apply(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with non-overlapping offset edits made (identical ones once)."""
    unique = sorted(set(edits), key=lambda e: (e[0], e[1]), reverse=True)
    for start, end, replacement in unique:
        text = text[:start] + replacement + text[end:]
    return text
