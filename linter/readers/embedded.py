"""Luna client configurations and captures embedded in other files.

In the repositories where our hook runs, a `Chrystoki.conf` is often written by a shell script
(`cat > /etc/Chrystoki.conf <<EOF`, then `cat >> … <<EOF`), a Dockerfile (`RUN … <<EOF`,
`COPY <<EOF /etc/Chrystoki.conf`), a Helm chart or an Ansible role (a YAML block scalar under
`Chrystoki.conf: |` or `content: |`, a Helm `{{- define }}` block), a Markdown runbook (a
fenced block), or by Luna's own `configurator setValue` calls.

:func:`find` returns each embedded part as text **of the host's own length**: every line that
does not belong to the part is blank, so a reader's line and column numbers are the host's own.
Fragments written to the same target (`cat >>` after `cat >`) are joined in the order they
appear; a loop body appears once, as it does in the file. `configurator setValue` calls are
returned as :class:`SetValue` records instead: each call is one entry, with host positions.

Detection is by content: a cheap substring test decides whether a file can hold a Luna part at
all before any pattern runs, so walking a large repository stays fast.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from lunalint import discover

# A file can hold a Luna part only when one of these appears (lower-cased).
_CHEAP = ("chrystoki", "crystoki", "lunacm", "lunash", "configurator", "virtualtoken",
          "hasynchronize", "haconfiguration", "lunasa client")
_TARGET = re.compile(r"(?i)(?:^|[/\\\s\"'=>])((?:chrystoki|crystoki)[\w.-]*\.(?:conf|ini))\b")
_HEREDOC = re.compile(r"<<(?P<dash>-)?[ \t]*(?P<q>[\"']?)(?P<tag>[A-Za-z_][\w.-]*)(?P=q)")
_FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
# What follows the key of a YAML block scalar: `: |`, `: >-`, `: |2 # comment`.
_BLOCK_TAIL = re.compile(r"[ \t]*[|>][+-]?\d*[ \t]*(?:#.*)?$")
_DEFINE = re.compile(r"^[ \t]*\{\{-?\s*define\s+\"[^\"]*\"\s*-?\}\}")
_END = re.compile(r"^[ \t]*\{\{-?\s*end\s*-?\}\}")
_GO_OPEN = re.compile(r"\{\{-?\s*(?:if|range|with|define|block)\b")
# The body ends on a non-blank, so the blanks before `-->` are scanned once, not from each.
_MD_DIRECTIVE = re.compile(r"^(?P<lead>[ \t]*)<!--[ \t]*(?P<body>lunalint\s*:(?:.*?[^ \t])?)"
                           r"[ \t]*-->[ \t]*$")

SHELL_EXT = frozenset({".sh", ".bash", ".ksh", ".zsh", ".dockerfile", ".containerfile"})
YAML_EXT = frozenset({".yaml", ".yml", ".tpl", ".tmpl", ".j2"})
MARKDOWN_EXT = frozenset({".md", ".markdown"})
_SHELL_NAMES = re.compile(r"(?i)^(dockerfile|containerfile)([.-].*)?$|^[\w.-]*entrypoint[\w.-]*$")


@dataclass(frozen=True, slots=True)
class Part:
    """One embedded configuration or capture: its kind, form and host-length text."""

    kind: str  # "config" | "export"
    form: str | None  # "brace" | "ini" for a config
    text: str
    origin: str  # what it is, in words: "heredoc to /etc/Chrystoki.conf"


@dataclass(frozen=True, slots=True)
class SetValue:
    """One `configurator setValue -s SECTION -e KEY -v VALUE` call, with host positions
    (1-based line, 0-based columns) of the section, key and value words."""

    line: int
    section: str
    section_at: tuple[int, int]
    key: str
    key_at: tuple[int, int]
    value: str
    value_at: tuple[int, int]
    call: tuple[int, int]  # the whole call on its line


def host_kind(path: str) -> str | None:
    """``"shell"``, ``"yaml"`` or ``"markdown"`` when ``path`` may embed a Luna part."""
    name = os.path.basename(path)
    ext = os.path.splitext(name)[1].lower()
    if ext in SHELL_EXT or _SHELL_NAMES.match(name):
        return "shell"
    if ext in YAML_EXT:
        return "yaml"
    if ext in MARKDOWN_EXT:
        return "markdown"
    return None


def may_hold(text: str) -> bool:
    low = text[:4_000_000].lower()
    return any(word in low for word in _CHEAP)


def find(path: str, text: str, lines: list[str]) -> tuple[list[Part], list[SetValue]]:
    """The Luna parts embedded in ``text`` (already split into ``lines``)."""
    kind = host_kind(path)
    if kind is None or not may_hold(text):
        return [], []
    if kind == "shell":
        return _heredocs(lines), _set_values(lines)
    if kind == "markdown":
        return _fenced(lines), []
    parts = _yaml_blocks(lines) + _defines(lines)
    return parts, _set_values(lines)


def _blank(count: int, keep: dict[int, str]) -> str:
    """Host-length text: line ``n`` (0-based) is ``keep[n]``, every other line is empty."""
    return "\n".join(keep.get(i, "") for i in range(count)) + "\n"


def _config_part(lines: list[str], keep: dict[int, str], origin: str,
                 name_hint: str = "") -> Part | None:
    kind, form = _kind_of(keep, name_hint)
    if kind is None:
        return None
    return Part(kind, form, _blank(len(lines), keep), origin)


def _kind_of(keep: dict[int, str], name_hint: str = "") -> tuple[str | None, str | None]:
    """What the lines ``keep`` hold: ``discover.classify`` of their text."""
    body = "\n".join(keep[i] for i in sorted(keep))
    kind, form = discover.classify(name_hint or "embedded.txt", body)
    if kind is None and name_hint:
        kind, form = discover.classify("embedded.txt", body)
    return kind, form


def _heredocs(lines: list[str]) -> list[Part]:
    """Shell (and Dockerfile) heredocs whose target is a Luna file, joined per target."""
    by_target: dict[str, dict[int, str]] = {}
    order: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        doc = _HEREDOC.search(line) if "<<" in line else None
        target = _TARGET.search(line) if doc else None
        if doc is None:
            i += 1
            continue
        tag, dash = doc.group("tag"), bool(doc.group("dash"))
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines):
            candidate = lines[j].lstrip("\t") if dash else lines[j]
            if candidate.rstrip("\r") == tag:
                break
            # `<<-` strips leading TABs: show them as the spaces the target file does not
            # hold, so columns stay the host's and no TAB is reported.
            text = lines[j]
            if dash:
                stripped = len(text) - len(text.lstrip("\t"))
                text = " " * stripped + text[stripped:]
            body[j] = text
            j += 1
        if target is not None:
            name = target.group(1)
            key = os.path.basename(name).lower()
            if key not in by_target:
                by_target[key] = {}
                order.append(key)
            by_target[key].update(body)
        i = j + 1
    parts = []
    for key in order:
        part = _config_part(lines, by_target[key], f"heredoc written to {key}", key)
        if part is not None:
            parts.append(part)
    return parts


def _fenced(lines: list[str]) -> list[Part]:
    """Fenced blocks of a Markdown file that hold a client configuration or a capture.

    `<!-- lunalint: ignore[...] reason -->` comments in the Markdown carry inline
    suppressions for a block: the directive is given to the part as a `#` comment."""
    blocks: dict[tuple[str, str | None], dict[int, str]] = {}  # per kind and form
    parts: list[Part] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m.group("fence")
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            body[j] = lines[j]
            j += 1
        kind, form = _kind_of(body) if body else (None, None)
        if kind is not None:
            # Directives just above the fence carry over: the nearest on the fence line itself
            # (so it covers the block's first line), earlier ones where they stand.
            k, target = i - 1, i
            while k >= 0 and _MD_DIRECTIVE.match(lines[k]):
                d = _MD_DIRECTIVE.match(lines[k])
                body[target] = f"# {d.group('body')}"
                target, k = k, k - 1
            # A runbook shows one file, or one session, in pieces: join them (one part per
            # kind and form, so a runbook of many blocks is read once, not once per block).
            blocks.setdefault((kind, form), {}).update(body)
        i = j + 1
    for (kind, form), body in sorted(blocks.items(), key=lambda item: item[0][0] != "config"):
        parts.append(Part(kind, form, _blank(len(lines), body), "fenced blocks"))
    return parts


def _yaml_blocks(lines: list[str]) -> list[Part]:
    """YAML block scalars (`Chrystoki.conf: |`, Ansible `content: |`) holding a config."""
    parts = []
    i = 0
    while i < len(lines):
        m = _block_key(lines[i])
        if m is None:
            i += 1
            continue
        indent = len(m[0].expandtabs())
        key = m[1].strip("\"' ")
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines):
            text = lines[j]
            if text.strip() and len(text) - len(text.lstrip(" ")) <= indent:
                break
            body[j] = text
            j += 1
        named = bool(_TARGET.search(" " + key))
        if body and (named or key.lower() in ("content", "data", "config", "conf", "text")):
            part = _config_part(lines, body, f"YAML block `{key}` on line {i + 1}",
                                key if named else "")
            if part is not None:
                parts.append(part)
        i = j if j > i + 1 else i + 1
    return parts


def _block_key(line: str) -> tuple[str, str] | None:
    """``(indent, key)`` of a `key: |` line (`- key: >-` in a list), or None.

    Scanned by hand, not with one expression: the indent, the key and the blanks before `:`
    all match blanks, and a pattern holding the three took cubic time on a long blank line."""
    colon = line.find(":")
    if colon < 0 or "#" in line[:colon] or _BLOCK_TAIL.match(line, colon + 1) is None:
        return None
    head = line[:colon]
    rest = head.lstrip(" \t")
    indent = head[:len(head) - len(rest)]
    if rest[:1] == "-" and rest[1:2] in (" ", "\t") and rest[1:].strip(" \t"):
        rest = rest[1:].lstrip(" \t")
    key = rest.rstrip(" \t")
    if not key:  # only blanks before `:`: the key is the last of them
        if not indent:
            return None
        indent, key = indent[:-1], indent[-1]
    return indent, key


def _defines(lines: list[str]) -> list[Part]:
    """Helm named templates (`{{- define "x" }} … {{- end }}`) that hold a config."""
    parts = []
    i = 0
    while i < len(lines):
        if not _DEFINE.match(lines[i]):
            i += 1
            continue
        depth = 1
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines):
            if _END.match(lines[j]):
                depth -= 1
                if depth == 0:
                    break
            elif _GO_OPEN.search(lines[j]):
                depth += len(_GO_OPEN.findall(lines[j]))
            body[j] = lines[j]
            j += 1
        part = _config_part(lines, body, f"Helm define on line {i + 1}") if body else None
        if part is not None:
            parts.append(part)
        i = j + 1
    return parts


_CONFIGURATOR = re.compile(r"(?:^|[\s;&|(`\"'/])configurator(?:\.exe)?[\"']?[ \t]+setValue\b",
                           re.IGNORECASE)


def _set_values(lines: list[str]) -> list[SetValue]:
    """`configurator setValue -s S -e K -v V` calls (any path to the tool, quoted or not)."""
    out = []
    for number, line in enumerate(lines, start=1):
        if "setvalue" not in line.lower():
            continue
        m = _CONFIGURATOR.search(line)
        if m is None:
            continue
        words = _words(line, m.end())
        opts: dict[str, tuple[str, int, int]] = {}
        k = 0
        while k < len(words):
            word, start, end = words[k]
            if word in ("-s", "-e", "-v") and k + 1 < len(words):
                opts[word] = words[k + 1]
                k += 2
                continue
            if word in (";", "&&", "||", "|"):
                break
            k += 1
        if "-s" in opts and "-e" in opts:
            value = opts.get("-v", ("", words[-1][2], words[-1][2]))
            last = max(end for _, _, end in (opts["-s"], opts["-e"], value))
            out.append(SetValue(number, opts["-s"][0], opts["-s"][1:], opts["-e"][0],
                                opts["-e"][1:], value[0], value[1:], (m.start(), last)))
    return out


def _words(line: str, start: int) -> list[tuple[str, int, int]]:
    """Shell words of ``line`` from ``start``, each with the columns of its text (quotes
    excluded); a word that is not closed runs to the end of the line."""
    out = []
    i = start
    n = len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n or line[i] == "#":
            break
        if line[i] in ";&|":
            j = i + 1
            while j < n and line[j] in "&|":
                j += 1
            out.append((line[i:j], i, j))
            i = j
            continue
        if line[i] in "\"'":
            quote = line[i]
            j = line.find(quote, i + 1)
            j = n if j < 0 else j
            out.append((line[i + 1:j], i + 1, j))
            i = j + 1
            continue
        j = i
        while j < n and line[j] not in " \t;&|":
            j += 1
        word = line[i:j]
        if word.endswith("\\") and j >= n:
            word = word[:-1]
        out.append((word, i, i + len(word)))
        i = j
    return out

