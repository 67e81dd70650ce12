"""SYN: file syntax and hygiene, over client configurations.

SYN001 covers every document kind: whatever a reader could not read.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from lunalint.patterns import lazy
from lunalint.findings import Level
from lunalint.model import ClientConfig, Document, Span
from lunalint.model.base import invisible_chars, show_char, show_invisible
from lunalint.model.config import Entry, Section, exclusive
from lunalint.findings import Edit, Fix
from lunalint.rules import catalog, edits, sources
from lunalint.rules.base import Context, Problem, rule


# Earlier entries (sections) of one name kept to compare a repeat with: bounded, so a file
# repeating a key thousands of times stays linear.
_KEEP = 32


def _anchor(section: str, key: str = "") -> str:
    return f"{section}/{key}" if key else section


@rule("SYN001", "parse-error", Level.ERROR, scope="document",
      summary="The file cannot be parsed here",
      reference="The vendor's configuration file summary shows the two forms of the client "
                "configuration: `Name = {` sections of `Key = value;` entries closed by `}` "
                "(Chrystoki.conf), and `[Name]` sections of `Key=value` lines (crystoki.ini). "
                "Captures are read in the shapes LunaCM prints, as the command pages show.",
      cites=(sources.CONFIG_FILE_SUMMARY, sources.PARTITION_SHOWPOLICIES, sources.HA_REPLACE),
      fix="Correct the line as the message says. Reading resumes at the next line, so later "
          "findings in the same file are still reported.",
      bad="""
          HAConfiguration = {
             HAOnly = 1
          }""",
      good="""
          HAConfiguration = {
             HAOnly = 1;
          }""",
      tags=("syntax",), security_severity=5.0)
def syn001(doc: Document, ctx: Context) -> Iterator[Problem]:
    """A line (or the whole file) could not be read. The message says in plain words what was
    expected where; entries that could still be understood (for instance an entry missing only
    its `;`) are kept, so other rules do not report them a second time.

    A structural fault (a section header that did not parse, a `}` too many) leaves the
    entries after it outside any section until the next header. Those are reported once, as
    one finding on the first problem that spans the broken region, with its line range,
    instead of one finding per entry."""
    starts = _section_starts(doc)
    groups: list[list] = []  # [lead, consequences...] in file order
    open_group: dict[int, list] = {}
    for problem in doc.problems:
        group = open_group.get(problem.region) if problem.region is not None else None
        if problem.follows and group is not None:
            group.append(problem)
            continue
        group = [problem]
        groups.append(group)
        if problem.region is not None:
            open_group[problem.region] = group
    for lead, *rest in groups:
        if not rest:
            yield Problem(lead.span, lead.message, anchor=_place(doc, lead.span.line, starts))
            continue
        last = max(rest, key=lambda p: (p.span.end_line, p.span.end_column))
        n = len(rest)
        lines = f"lines {lead.span.line}–{last.span.end_line}"
        others = f"the {n} other problems there" if n != 1 else "the other problem there"
        if lead.follows:  # no cause of its own: entries outside any section from the start
            message = (f"{lead.message}; {lines} are outside any section and were not checked: "
                       f"{others} {'have' if n != 1 else 'has'} the same cause and "
                       f"{'are' if n != 1 else 'is'} not reported one by one")
        else:
            message = (f"{lead.message}; because of it, {lines} are outside any section and "
                       f"were not checked: {others} {'follow' if n != 1 else 'follows'} from "
                       f"this one and {'are' if n != 1 else 'is'} not reported one by one; fix "
                       "this line first")
        yield Problem(lead.span.merge(last.span), message,
                      anchor=_place(doc, lead.span.line, starts))


_KEY_WORD = lazy(r"[ \t]*([A-Za-z][A-Za-z0-9_.-]*)[ \t]*=")


def _section_starts(doc: Document) -> tuple[list[int], list[str]]:
    """Header lines of a configuration's sections (in file order) and their names, for
    :func:`_place` to find a line's section by bisection instead of a scan per line."""
    if not isinstance(doc, ClientConfig):
        return [], []
    return [s.header_span.line for s in doc.sections], [s.name for s in doc.sections]


def _place(doc: Document, number: int,
           starts: tuple[list[int], list[str]] | None = None) -> str:
    """A structural anchor for line ``number``: ``syntax:SECTION/KEY`` when the line starts
    with a key, else ``syntax:SECTION/line-N`` (N counted from the section's header), never the
    line's text (it may hold a secret, and text makes a poor key for baselines)."""
    section, start = "", 0
    lines, names = starts if starts is not None else _section_starts(doc)
    # The last section whose header is on or before the line (headers come in file order).
    at = bisect.bisect_right(lines, number) - 1
    if at >= 0:
        section, start = names[at], lines[at]
    if not 0 < number <= len(doc.lines):
        return f"syntax:{section}/end" if section else "syntax:end"
    m = _KEY_WORD.match(doc.lines[number - 1])
    where = m.group(1) if m and isinstance(doc, ClientConfig) else f"line-{number - start}"
    return f"syntax:{section}/{where}" if section else f"syntax:{where}"


@rule("SYN002", "tab-character", Level.ERROR,
      summary="A TAB character appears in a client configuration",
      reference="The vendor's page on client connection timeouts says TAB characters must "
                "never appear in Chrystoki.conf or crystoki.ini.",
      cites=(sources.TIMEOUTS,),
      fix="Replace every TAB with spaces.",
      bad="HAConfiguration = {\n\tHAOnly = 1;\n}",
      good="HAConfiguration = {\n   HAOnly = 1;\n}",
      tags=("syntax",), security_severity=5.0, placeholders="keep", fix_class="safe")
def syn002(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The vendor states that TAB characters must never appear in these files: the library's
    reader treats them differently from spaces. One finding per line, from its first TAB to
    its last, saying how many there are.

    The fix replaces each TAB with three spaces (the vendor's indentation) where blanks carry
    no meaning: indentation, around `=`, before and inside comments. A TAB inside a value is
    part of the value, so a line with one gets no fix."""
    if not any("\t" in line for line in config.lines):
        return
    starts = None
    values: dict[int, list[Span]] | None = None  # (only for a file with a TAB at all)
    for number, line in enumerate(config.lines, start=1):
        if "\t" not in line:
            continue
        starts = starts or _section_starts(config)
        if values is None:
            values = {}
            for section in config.sections:
                for entry in section.entries:
                    values.setdefault(entry.value_span.line, []).append(entry.value_span)
        first, last, count = line.index("\t"), line.rindex("\t"), line.count("\t")
        what = "a TAB character" if count == 1 else f"{count} TAB characters"
        yield Problem(Span(number, first + 1, number, last + 2),
                      f"{what} on this line; the vendor says these files must never contain "
                      "TABs: use spaces",
                      anchor="tab:" + _place(config, number, starts)[len("syntax:"):],
                      fix=_tabs_fix(number, line, values.get(number, ())))


def _tabs_fix(number: int, line: str, values) -> Fix | None:
    runs = [(m.start(), m.end()) for m in re.finditer(r"\t+", line)]
    if any(v.column - 1 < end and start < v.end_column - 1 for start, end in runs
           for v in values):
        return None  # a TAB inside a value is part of it
    return edits.fix("safe", "replace TABs with spaces",
                     *(Edit(Span(number, start + 1, number, end + 1),
                            edits.DEFAULT_INDENT * (end - start)) for start, end in runs))


@rule("SYN003", "duplicate-key", Level.WARNING,
      summary="A key repeats inside one section",
      reference="The vendor's configuration file summary gives each key once per section; "
                "what the library does with a key given twice is not documented.",
      cites=(sources.CONFIG_FILE_SUMMARY,), basis=sources.INFERRED,
      basis_note="a repeated key is reported because its effect is undocumented, not because "
                 "the vendor forbids it",
      fix="Keep one entry for the key and delete the others.",
      bad="HAConfiguration = {\n   HAOnly = 0;\n   HAOnly = 1;\n}",
      good="HAConfiguration = {\n   HAOnly = 1;\n}",
      tags=("syntax", "maintainability"), security_severity=3.0)
def syn003(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Which of two entries with the same key takes effect is not documented by the vendor.
    lunalint's other rules read the last one; the library may read the first."""
    for section in config.sections:
        if not section.repeats_keys:
            continue
        seen: dict[str, list[Entry]] = {}
        for entry in section.entries:
            folded = entry.key.casefold()
            earlier = seen.setdefault(folded, [])
            # Entries in other branches of a conditional are alternatives, not repeats.
            first = next((e for e in earlier if not exclusive(e.branch, entry.branch)), None)
            if len(earlier) < _KEEP:
                earlier.append(entry)
            if first is not None:
                yield Problem(entry.key_span, (
                    f"`{entry.key}` repeats in section `{section.name}` (first on line "
                    f"{first.key_span.line}); which one the Luna library uses is undocumented: "
                    "keep one"), anchor=_anchor(section.name, entry.key),
                    related=((None, first.key_span, "first definition"),))


@rule("SYN004", "duplicate-section", Level.WARNING,
      summary="A section repeats",
      reference="The vendor's configuration file summary gives each section once; what the "
                "library does with a section given twice is not documented.",
      cites=(sources.CONFIG_FILE_SUMMARY,), basis=sources.INFERRED,
      basis_note="a repeated section is reported because its effect is undocumented, not "
                 "because the vendor forbids it",
      fix="Merge the repeated section into the first one.",
      bad="Misc = {\n   ToolsDir = /usr/safenet/lunaclient/bin;\n}\n"
          "Misc = {\n   PE1746Enabled = 0;\n}",
      good="Misc = {\n   ToolsDir = /usr/safenet/lunaclient/bin;\n   PE1746Enabled = 0;\n}",
      tags=("syntax", "maintainability"), security_severity=3.0)
def syn004(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Configurations assembled from fragments often repeat a section. Whether the library
    merges the repeats or reads only one of them is undocumented."""
    if not config.repeats_sections:
        return
    # folded name → (earlier sections kept, repeats so far)
    seen: dict[str, tuple[list[Section], int]] = {}
    for section in config.sections:
        folded = section.name.casefold()
        earlier, count = seen.get(folded, ([], -1))
        # A section written in another branch of a conditional is an alternative.
        first = next((s for s in earlier if not exclusive(s.branch, section.branch)), None)
        if len(earlier) < _KEEP:
            earlier.append(section)
        if first is None:
            seen[folded] = (earlier, count)
            continue
        seen[folded] = (earlier, count + 1)
        count += 1
        if count >= 0:
            yield Problem(section.header_span, (
                f"section `{section.name}` repeats (first on line {first.header_span.line}); "
                "merge the two: whether the library reads both is undocumented"),
                anchor=_anchor(section.name) + f"#{count + 1}",
                related=((None, first.header_span, "first definition"),))


@rule("SYN005", "unknown-name", Level.WARNING,
      summary="Unknown key in a catalogued section, or unknown section",
      reference="The vendor's configuration file summary lists the sections and keys of the "
                "client configuration; the CKlog and RSA mechanism remap pages add the `CkLog2` "
                "keys and the `Misc` remap keys.",
      cites=(sources.CONFIG_FILE_SUMMARY, sources.HA_LOGGING, sources.CKLOG, sources.RSA_REMAP),
      basis_note="`haLogToStdout` is accepted because it is seen in real configurations, though "
                 "no vendor page lists it",
      fix="Correct the spelling (the message suggests the closest known name), or delete the "
          "entry if it is not a Luna setting.",
      bad="HAConfiguration = {\n   AutoReconnectedInterval = 60;\n}",
      good="HAConfiguration = {\n   AutoReconnectInterval = 60;\n}",
      tags=("correctness",), security_severity=4.0)
def syn005(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """A misspelt key is silently ignored by the library, so the setting it was meant to make
    never takes effect (for example `AutoReconnectedInterval` leaves the recovery interval at
    its default). Sections whose keys are free-form (`HASynchronize`, `HARecovery`) or not
    catalogued (`REST`, `XTC`, …) are not checked key by key, except for invisible characters:
    a zero-width space, a bidi control or a byte-order mark inside a section name or key makes a
    name that looks right in an editor and is not, in every section."""
    for section in config.sections:
        hidden = _hidden(section.name, section, "section name", section.name)
        if hidden is not None:
            yield hidden
            continue
        joined = "".join(section.keys)
        if not (joined.isascii() and joined.isprintable()):  # (else no key holds one)
            for entry in section.entries:
                hidden = _hidden(entry.key, entry, "key", section.name)
                if hidden is not None:
                    yield hidden
        canonical = catalog.canonical_section(section.name)
        if canonical is None:
            guess = catalog.closest(section.name, catalog.ALL_SECTIONS)
            hint = f"; did you mean `{guess}`?" if guess else ""
            yield Problem(section.name_span, f"unknown section `{section.name}`{hint}",
                          anchor=_anchor(section.name))
            continue
        if canonical not in catalog.SECTIONS:
            continue
        entries = section.entries
        known = catalog.canonical_keys(canonical, section.keys)
        if None not in known:
            continue
        for entry, spelled in zip(entries, known):
            if spelled is not None or invisible_chars(entry.key):
                continue
            guess = catalog.suggest_key(canonical, entry.key)
            hint = f"; did you mean `{guess}`?" if guess else ""
            yield Problem(entry.key_span,
                          f"unknown key `{entry.key}` in section `{section.name}`{hint}",
                          anchor=_anchor(section.name, entry.key))


def _hidden(name: str, owner: Section | Entry, what: str, section: str) -> Problem | None:
    """A problem at the first invisible character of a section name or key (of ``owner``),
    or None. The span is read only then (an entry makes its spans when first read)."""
    found = invisible_chars(name)
    if not found:
        return None
    span = owner.name_span if what == "section name" else owner.key_span
    offset, ch = found[0]
    shown = show_invisible(name)
    column = span.column + offset
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    visible = "".join(c for c in name if not invisible_chars(c))
    where = f"section `{shown}`" if what == "section name" else \
        f"key `{shown}` in section `{show_invisible(section)}`"
    anchor = _anchor(show_invisible(section)) if what == "section name" else \
        _anchor(show_invisible(section), shown)
    return Problem(Span(span.line, column, span.line, column + 1), (
        f"{where} holds an invisible character, {show_char(ch)}, at column {column}{more}: "
        f"the {what} looks like `{visible}` but is not; delete the character"), anchor=anchor)


@rule("SYN006", "key-case", Level.NOTE,
      summary="A key is spelled with a case other than the canonical one",
      reference="The vendor writes keys in mixed case (`HAOnly`, `reconnAtt`, `haLogStatus`) "
                "and does not say whether the library matches them case-sensitively.",
      cites=(sources.CONFIG_FILE_SUMMARY,), basis=sources.INFERRED,
      basis_note="a key in another case may be ignored if the library compares keys exactly; "
                 "the vendor does not say whether it does",
      fix="Spell the key exactly as the vendor does (the message gives the spelling).",
      bad="HAConfiguration = {\n   ReconnAtt = -1;\n}",
      good="HAConfiguration = {\n   reconnAtt = -1;\n}",
      tags=("style",), precision="medium", security_severity=1.0, fix_class="unsafe")
def syn006(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """lunalint matches keys case-insensitively, but the vendor does not document whether the
    Luna library does. If it does not, a key in another case is ignored. This rests on an
    unsure fact, hence the `note` level. The fix respells the key; it is unsafe because the
    library may only then start reading a setting it ignored so far."""
    for section in config.sections:
        canonical = catalog.canonical_section(section.name)
        if canonical is None:
            continue
        entries, keys = section.entries, section.keys
        spellings = catalog.canonical_keys(canonical, keys)
        if spellings == keys:
            continue  # (every key catalogued and spelled as the vendor does)
        for entry, known in zip(entries, spellings):
            if known is not None and known != entry.key:
                yield Problem(entry.key_span,
                              f"`{entry.key}` is spelled `{known}` by the vendor; the library "
                              "may match keys case-sensitively",
                              anchor=_anchor(section.name, entry.key),
                              fix=None if entry.templated_key or entry.repeated else
                              edits.fix("unsafe", f"spell `{entry.key}` as `{known}`",
                                        edits.replace(entry.key_span, known)))


@rule("SYN007", "template-syntax", Level.NOTE,
      summary="Template syntax found: the file is checked only where it parses",
      reference="Not a vendor matter: real client configurations are often generated from "
                "templates (ERB, Go/Helm, Nix, shell heredocs).",
      basis=sources.SEEN,
      basis_note="template syntax (`<%= %>`, `{{ }}`, `${}`, `@@NAME@@`) is common in public "
                 "Helm charts, Ansible roles and scripts that write Chrystoki.conf",
      fix="Lint the rendered file as well (for example in CI after rendering the template), "
          "or accept that template lines are checked only partly.",
      bad="LunaSA Client = {\n   ServerName00 = {{ .Values.hsmHost }};\n}",
      tags=("template",), security_severity=0.0, placeholders="keep")
def syn007(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Templates (Jinja2, Go and Helm `{{ }}`/`{% %}`, ERB `<%= %>`, shell and envsubst
    `${VAR}`/`$VAR`, Ruby `#{}`, `@@NAME@@`) produce the real configuration only when rendered.
    A placeholder is an opaque value: an entry whose key or value holds one still parses, and
    every check that a placeholder could change stays quiet on it; checks that can still be
    decided (a literal `HAOnly = 0`, `haLogStatus = enabled` with no log path) still run.
    Control lines (`{% for %}`, `{{- range }}`, `<% end %>`) are structure: entries inside a
    loop stand for one or more. Reported once per file, at the first placeholder, naming the
    syntaxes seen and what cannot be checked."""
    if not config.template_spans:
        return
    span = config.template_spans[0]
    syntaxes = ", ".join(config.template_syntaxes) or "template"
    cannot = ["keys and values that hold a placeholder are not checked"]
    if config.loop_lines:
        cannot.append("entries inside a loop (line "
                      f"{', '.join(str(n) for n in config.loop_lines[:3])}) count as one or more")
    if config.open_lines:
        cannot.append("a placeholder alone on a line (line "
                      f"{', '.join(str(n) for n in config.open_lines[:3])}) may add entries, so "
                      "what is missing is reported as a warning at most")
    yield Problem(span, f"this file is a template ({syntaxes}); lunalint checks what does not "
                        f"depend on rendering: {'; '.join(cannot)}", anchor="template")


@rule("SYN008", "quoted-or-empty-value", Level.NOTE,
      summary="A value is quoted or empty",
      reference="Every value in the vendor's configuration file summary is written without "
                "quotes; an empty value (`Key = ;`) is not described there.",
      cites=(sources.CONFIG_FILE_SUMMARY,), basis=sources.SEEN,
      basis_note="quoted and empty values occur in real configurations; whether the library "
                 "strips quotes or accepts an empty value is not documented",
      fix="Write values without quotes; give the key a value or delete the entry.",
      bad="VirtualToken = {\n   VirtualToken00Label = \"payments\";\n}",
      good="VirtualToken = {\n   VirtualToken00Label = payments;\n}",
      tags=("style",), precision="medium", security_severity=1.0)
def syn008(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The library reads values unquoted: quotes become part of the value (a label `"payments"`
    is not the label `payments`). Whether an empty value is valid is undocumented."""
    for section in config.sections:
        for entry in section.entries:
            value = entry.value
            if value and not (len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""):
                continue  # (neither empty nor quoted: Entry.quoted, without the call)
            if not value:
                yield Problem(entry.span, f"`{entry.key}` has an empty value",
                              anchor=_anchor(section.name, entry.key))
            elif entry.quoted:
                yield Problem(entry.value_span, (
                    f"the value of `{entry.key}` is quoted; the library does not strip quotes, "
                    "so they become part of the value"), anchor=_anchor(section.name, entry.key))
