"""Build fixes from a configuration's spans: replace a value or a key, add an entry to a
section, add a section. Rules call these; nothing here touches a file.

Every edit is placed from the model's exact spans and written in the file's own form (brace
``Key = value;`` or INI ``Key=value``), its own spacing around ``=``, the indentation of the
section's entries and the file's line ending. Where that cannot be known for sure (an entry
inside a template loop, a file whose missing keys a placeholder line could provide, a partial
configuration) the builders give None: no fix is better than a guess.
"""

from __future__ import annotations

from lunalint.findings import Edit, Fix
from lunalint.model.base import Span
from lunalint.model.config import ClientConfig, Entry, Section

DEFAULT_INDENT = "   "  # the vendor's own files indent entries with three spaces


def fix(applicability: str, description: str, *edits: Edit | None) -> Fix | None:
    """A fix of ``edits``, or None when any of them could not be built."""
    if not edits or any(e is None for e in edits):
        return None
    return Fix(applicability, tuple(e for e in edits if e is not None), description)


def replace(span: Span, text: str) -> Edit:
    return Edit(span, text)


def set_value(entry: Entry, value: str) -> Edit | None:
    """Give ``entry`` the value ``value`` (its key and everything around stay as they are)."""
    if entry.templated_value or entry.repeated:
        return None
    if entry.value:
        return Edit(entry.value_span, value)
    # An empty value: its span is the point just after `=`; keep one blank after the `=`.
    return Edit(entry.value_span, " " + value)


def _line(config: ClientConfig, number: int) -> str:
    return config.lines[number - 1] if 0 < number <= len(config.lines) else ""


def _indent(text: str) -> str:
    return text[:len(text) - len(text.lstrip(" \t"))]


def _blocked(config: ClientConfig, line: int) -> bool:
    """True when an insertion at ``line`` cannot be made safely: a partial configuration, a
    template whose placeholder lines may already give what is missing, or a loop."""
    if config.partial or config.open:
        return True
    return any(start <= line <= end for start, end in config.loop_regions)


def entry_text(config: ClientConfig, key: str, value: str, like: Entry | None) -> str:
    """``key`` and ``value`` written as the file writes its entries (``like`` shows how)."""
    sep = " = " if config.form == "brace" else "="
    if like is not None:
        line = _line(config, like.key_span.line)
        between = line[like.key_span.end_column - 1:like.value_span.column - 1]
        if like.value and "=" in between and "\t" not in between:
            sep = between
    return f"{key}{sep}{value};" if config.form == "brace" else f"{key}{sep}{value}"


def add_entry(config: ClientConfig, section: Section, key: str, value: str) -> Edit | None:
    """Insert ``key = value`` as the last entry of ``section``."""
    last = section.entries[-1] if section.entries else None
    anchor_line = last.span.end_line if last is not None else section.header_span.end_line
    if _blocked(config, anchor_line) or (last is not None and last.repeated):
        return None
    text = _line(config, anchor_line)
    after = last.span.end_column if last is not None else section.header_span.end_column
    rest = text[after - 1:].strip()
    entry = entry_text(config, key, value, last)
    if rest and not rest.startswith(("#", "//", ";")):
        # More on the same line (`Name = { A = 1; }`): add the entry right after the last one.
        return Edit(Span(anchor_line, after, anchor_line, after), " " + entry)
    if last is not None:
        indent = _indent(_line(config, last.span.line))
    else:
        head = _indent(text)
        indent = head + DEFAULT_INDENT if config.form == "brace" else head
    if "\t" in indent:
        indent = DEFAULT_INDENT if config.form == "brace" else ""
    end = len(text) + 1
    return Edit(Span(anchor_line, end, anchor_line, end), config.newline + indent + entry)


def add_section(config: ClientConfig, name: str, entries: list[tuple[str, str]]) -> Edit | None:
    """Append a section ``name`` holding ``entries`` at the end of the file."""
    if not config.lines or _blocked(config, len(config.lines)):
        return None
    nl = config.newline
    if config.form == "brace":
        body = "".join(f"{nl}{DEFAULT_INDENT}{entry_text(config, k, v, None)}"
                       for k, v in entries)
        block = f"{name} = {{{body}{nl}}}"
    else:
        block = f"[{name}]" + "".join(f"{nl}{entry_text(config, k, v, None)}" for k, v in entries)
    last = len(config.lines)
    end = len(config.lines[-1]) + 1
    gap = nl + nl if config.lines[-1].strip() else nl
    return Edit(Span(last, end, last, end), gap + block)


def last_section(config: ClientConfig, name: str) -> Section | None:
    """The last section called ``name``: where the library reads a key that repeats."""
    found = config.sections_named(name)
    return found[-1] if found else None
