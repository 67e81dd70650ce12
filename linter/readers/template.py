"""Template syntax in client configurations: placeholders and control lines.

Most Luna client configurations in repositories are templates: Helm/Go and Jinja2
(``{{ .Values.x }}``, ``{%- for %}``, ``{# #}``), ERB (``<%= @ip %>``, ``<% end %>``), shell and
envsubst (``${HSM}``, ``$HSM``), Ruby interpolation (``#{ip}``) and ``@@NAME@@`` tokens.

- A **placeholder** is an opaque value. The reader replaces it, for parsing only, with as many
  neutral characters as it is long, so a key or a value holding one parses and every column
  stays where it is; the model keeps the original text and marks what is templated.
- A **control line** (``{% for %}``, ``{{- range }}``, ``{{- end }}``, ``<% end %>``,
  ``<% x.each do |y| %>``, ``{{- if }}``…) is structure, not an entry. Loops are tracked: an
  entry inside a loop stands for "one or more" entries.
- A line that is nothing but a placeholder (``{{ .Values.extra }}``, ``<%= @more %>``) may
  render to any number of lines: the file is then **open**, and rules that report a missing
  key say that the placeholder may supply it.
"""

from __future__ import annotations

import re
from lunalint.patterns import lazy
from lunalint.record import record

# What a placeholder is replaced with while parsing: a private-use character, which no key,
# value or grammar token uses and which lark's terminals accept as ordinary text.
FILL = "\ue000"

# The syntaxes, by name, each with the pattern of one placeholder. Order matters: the first
# alternative that matches at a position wins (`{{` before `{`, `${` before `$`).
_SYNTAXES = (
    ("Jinja2/Go/Helm", r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"),
    ("ERB", r"<%.*?%>"),
    ("shell/envsubst", r"\$\{[^}\n]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)\n]*\)"),
    ("Ruby", r"#\{[^}\n]*\}"),
    ("@@token@@", r"@@[A-Za-z0-9_.-]+@@"),
)
_CHEAP = ("{{", "{%", "{#", "<%", "$", "#{", "@@")

# Control lines: the whole line is one directive. No two neighbouring parts of a pattern may
# match the same blanks (`\s*(?P<body>.*?)\s*` was cubic in a run of blanks): the ERB body
# keeps its blanks and is stripped where it is used; a Go comment ends at its first `*/`.
_JINJA_CTL = lazy(r"^[ \t]*\{%-?\s*(?P<w>\w+)\b.*?-?%\}[ \t\r]*$")
_GO_CTL = lazy(r"^[ \t]*\{\{-?\s*(?:/\*(?:[^*]|\*(?!/))*\*/\s*)?"
               r"(?P<w>if|else|end|range|with|define|"
               r"template|block|include|/\*)\b.*?-?\}\}[ \t\r]*$|"
               r"^[ \t]*\{\{-?\s*/\*.*\*/\s*-?\}\}[ \t\r]*$|^[ \t]*\{#.*#\}[ \t\r]*$")
_ERB_CTL = lazy(r"^[ \t]*<%(?![=#])-?(?P<body>.*?)-?%>[ \t\r]*$|^[ \t]*<%#.*%>[ \t\r]*$")
_ALONE = lazy(r"^[ \t]*(?:\{\{.*\}\}|<%=.*%>|\$\{[^}]*\}|\$[A-Za-z_]\w*)[ \t\r]*$")

_LOOP_OPEN_JINJA = {"for"}
_BLOCK_OPEN_JINJA = {"for", "if", "macro", "block", "call", "filter", "set_block", "raw", "with"}
_BLOCK_CLOSE_JINJA = lazy(r"^end\w*$")


@record
class Control:
    """What a control line does to the structure: open a loop, open another block, close the
    innermost one, or nothing (``else``, an include, a comment)."""

    action: str  # "loop" | "block" | "end" | "none"


def has_template_syntax(text: str) -> bool:
    """Cheap check before any regex: can ``text`` hold template syntax at all?"""
    return any(token in text for token in _CHEAP)


def control(line: str) -> Control | None:
    """The directive of a control line, or None when ``line`` is not one."""
    if "{%" in line:
        m = _JINJA_CTL.match(line)
        if m:
            word = m.group("w")
            if word in _LOOP_OPEN_JINJA:
                return Control("loop")
            if _BLOCK_CLOSE_JINJA.match(word):
                return Control("end")
            if word in _BLOCK_OPEN_JINJA and not (word == "set" and "=" in line):
                return Control("block")
            return Control("none")
    if "{{" in line or "{#" in line:
        m = _GO_CTL.match(line)
        if m:
            word = m.groupdict().get("w") or ""
            if word == "range":
                return Control("loop")
            if word == "end":
                return Control("end")
            if word in ("if", "with", "define", "block"):
                return Control("block")
            return Control("none")
    if "<%" in line:
        m = _ERB_CTL.match(line)
        if m:
            body = (m.group("body") or "").strip()
            if re.match(r"end\b", body):
                return Control("end")
            if re.search(r"\.(each|each_with_index|times|map|each_pair)\b.*\bdo\b|^(for|while|until)\b",
                         body):
                return Control("loop")
            if re.match(r"(if|unless|case)\b", body) or re.search(r"\bdo\b\s*(\|[^|]*\|)?\s*$", body):
                return Control("block")
            return Control("none")
    return None


def alone(line: str) -> bool:
    """True when ``line`` is nothing but one placeholder (it may render to any lines)."""
    return bool(_ALONE.match(line)) and control(line) is None


# Where a placeholder may start, and the delimited ones: opener -> (closer, syntax index).
_OPENER = lazy(r"[{<$#@]")
_DELIMITED = {"{{": ("}}", 0), "{%": ("%}", 0), "{#": ("#}", 0), "<%": ("%>", 1),
              "${": ("}", 2), "$(": (")", 2), "#{": ("}", 3)}
_WORD_AT = lazy(r"\$[A-Za-z_][A-Za-z0-9_]*|@@[A-Za-z0-9_.-]+@@")


def placeholders(line: str) -> list[tuple[int, int, str]]:
    """``(start, end, syntax)`` of every placeholder on ``line`` (0-based, end exclusive).

    The placeholders the alternation of :data:`_SYNTAXES` finds with ``finditer`` (the
    leftmost at each position, the shortest for the delimited ones), in one pass: each
    closer is looked for once from where it was last looked for, so a line of thousands of
    `{{` with no `}}` is not rescanned from each of them."""
    if not has_template_syntax(line):
        return []
    out: list[tuple[int, int, str]] = []
    base = 0
    for segment in line.split("\n"):  # `.` and `[^}\n]` never cross a line break
        _scan(segment, base, line, out)
        base += len(segment) + 1
    return out


def _scan(line: str, base: int, whole: str, out: list[tuple[int, int, str]]) -> None:
    found: dict[str, tuple[int, int]] = {}  # closer -> (looked from, found at or -1)

    def closer_at(closer: str, start: int) -> int:
        seen = found.get(closer)
        if seen is not None and seen[0] <= start and (seen[1] < 0 or seen[1] >= start):
            return seen[1]
        at = line.find(closer, start)
        found[closer] = (start, at)
        return at

    i = 0
    while True:
        m = _OPENER.search(line, i)
        if m is None:
            return
        p = m.start()
        end, index = -1, -1
        delimited = _DELIMITED.get(line[p:p + 2])
        if delimited is not None:
            at = closer_at(delimited[0], p + 2)
            if at >= 0:
                end, index = at + len(delimited[0]), delimited[1]
        if end < 0 and line[p] in "$@":
            word = _WORD_AT.match(line, p)
            if word is not None:
                end, index = word.end(), 2 if line[p] == "$" else 4
        if end < 0:
            i = p + 1
            continue
        if not (index == 3 and _comment_hash(whole, base + p)):
            out.append((base + p, base + end, _SYNTAXES[index][0]))
        i = end


def _comment_hash(line: str, at: int) -> bool:
    """`#{` at the start of a line (after blanks) is a Ruby interpolation only when the line
    also holds `=`; a `#` comment that happens to start with `{` stays a comment."""
    return "=" not in line[:at] and line[:at].strip() == "" and "=" not in line[at:]


def mask(line: str, found: list[tuple[int, int, str]]) -> str:
    """``line`` with each placeholder replaced by as many :data:`FILL` characters."""
    if not found:
        return line
    parts = []
    last = 0
    for start, end, _ in found:
        parts.append(line[last:start])
        parts.append(FILL * (end - start))
        last = end
    parts.append(line[last:])
    return "".join(parts)
