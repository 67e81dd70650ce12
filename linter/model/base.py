"""Positions and the parts every parsed document shares."""

from __future__ import annotations

from lunalint.record import record

# Numbers and invisible characters, shared by readers, model, rules and the link stage.
from lunalint.chars import (MAX_DIGITS, ascii_hex, ascii_int, invisible_chars,  # noqa: F401
                            is_ascii_digits, number_trouble, show_char, show_invisible)


@record(order=True)
class Span:
    """A 1-based region of a file; ``end_column`` is one past the last character."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def on_line(cls, line: int, start: int, end: int) -> Span:
        """Span of the 0-based character offsets ``start:end`` on 1-based ``line``."""
        return cls(line, start + 1, line, max(start, end) + 1)

    def merge(self, other: Span) -> Span:
        first, last = (self, other) if self <= other else (other, self)
        return Span(first.line, first.column, last.end_line, last.end_column)


@record
class SyntaxProblem:
    """Something a reader could not read; rule SYN001 reports it.

    ``region`` groups the problems a configuration reader met while no section was open,
    between two section headers. ``follows`` marks a problem that is only the consequence of
    an earlier one in its region (an entry left outside any section by a broken header, the
    `}` that was meant to close it); SYN001 reports those with their cause, once.
    """

    span: Span
    message: str
    region: int | None = None
    follows: bool = False


@record
class Document:
    """What every parsed file carries: where it came from and its text, line by line."""

    path: str
    lines: tuple[str, ...]
    problems: tuple[SyntaxProblem, ...]

    @property
    def kind(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@record
class Host(Document):
    """A file that is not itself a Luna file but embeds some (a shell script's heredocs, a
    Markdown runbook's fenced blocks, a Helm or Ansible YAML block, `configurator` calls).
    Each part is a configuration or a capture with the host's own line and column numbers."""

    parts: tuple[Document, ...] = ()

    @property
    def kind(self) -> str:
        return "host"


def flatten(documents) -> list[Document]:
    """``documents`` with every :class:`Host` replaced by its parts."""
    out: list[Document] = []
    for doc in documents:
        if isinstance(doc, Host):
            out.extend(doc.parts)
        else:
            out.append(doc)
    return out


def split_items(value: str, span: Span) -> tuple[tuple[str, Span], ...]:
    """The comma-separated items of a one-line ``value`` that starts at ``span``, trimmed,
    each with its own span (``"a, b"`` → ``("a", …), ("b", …)``); empty items are dropped."""
    out = []
    offset = 0
    for part in value.split(","):
        text = part.strip()
        if text:
            col = span.column + offset + len(part) - len(part.lstrip())
            out.append((text, Span(span.line, col, span.line, col + len(text))))
        offset += len(part) + 1
    return tuple(out)

