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
from lunalint.record import record

from lunalint import discover

# A file can hold a Luna part only when one of these appears (lower-cased).
_CHEAP = ("chrystoki", "crystoki", "lunacm", "lunash", "configurator", "virtualtoken",
          "hasynchronize", "haconfiguration", "lunasa client", "hagroup", "haadmin", "sshpass",
          "plink", "showpolicies")
_TARGET = re.compile(r"(?i)(?:^|[/\\\s\"'=>])((?:chrystoki|crystoki)[\w.-]*\.(?:conf|ini))\b")
# `<<EOF`, `<<-EOF` (shell), `<<~EOF` (Ruby); a quoted tag means no expansion.
_HEREDOC = re.compile(r"<<(?P<dash>[-~])?[ \t]*(?P<q>[\"']?)(?P<tag>[A-Za-z_][\w.-]*)(?P=q)")
# A fence may be indented: inside a list item it is (a runbook's numbered steps).
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+][ \t]+|\d+[.)][ \t]+)?(?P<fence>`{3,}|~{3,})"
                    r"[ \t]*(?P<info>[^`\n]*)$")
_SHELL_FENCE = frozenset({"bash", "sh", "shell", "zsh", "ksh"})
# A Markdown line that stands for left-out lines: the block is a fragment.
_ELISION = re.compile(r"(?i)^(?:#|//)?[ \t]*[\[<(]?[ \t]*(?:\.\.\.|\u2026|(?:output[ \t]+)?"
                      r"(?:omm?itt?ed|truncated|snip(?:ped)?)(?:[ \t]+output)?)[ \t]*[\]>)]?$")
# A shell prompt and its command inside a block that shows a file (`root@host# cat …`).
_PROMPT = re.compile(r"^[ \t]*(?:\[[^\]\n]*\][ \t]*)?(?:[\w.-]+@[\w.-]+(?::[^\s#$]*)?[ \t]*"
                     r"[#$%]|[$#%])[ \t]")
# Multi-line strings of programs: Nix `''…''`, Python `"""…"""` and `'''…'''`.
_STRING_OPEN = re.compile(r"(?P<q>''|\"\"\"|\'\'\')[ \t]*$")
# What follows the key of a YAML block scalar: `: |`, `: >-`, `: |2 # comment`.
_BLOCK_TAIL = re.compile(r"[ \t]*[|>][+-]?\d*[ \t]*(?:#.*)?$")
_DEFINE = re.compile(r"^[ \t]*\{\{-?\s*define\s+\"[^\"]*\"\s*-?\}\}")
_END = re.compile(r"^[ \t]*\{\{-?\s*end\s*-?\}\}")
_GO_OPEN = re.compile(r"\{\{-?\s*(?:if|range|with|define|block)\b")
# The body ends on a non-blank, so the blanks before `-->` are scanned once, not from each.
_MD_DIRECTIVE = re.compile(r"^(?P<lead>[ \t]*)<!--[ \t]*(?P<body>lunalint\s*:(?:.*?[^ \t])?)"
                           r"[ \t]*-->[ \t]*$")




@record
class Part:
    """One embedded configuration or capture: its kind, form and host-length text."""

    kind: str  # "config" | "export"
    form: str | None  # "brace" | "ini" for a config
    text: str
    origin: str  # what it is, in words: "heredoc to /etc/Chrystoki.conf"
    partial: bool = False  # a fragment (elided lines): checked like a partial configuration


@record
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


def may_hold(text: str) -> bool:
    low = text[:4_000_000].lower()
    return any(word in low for word in _CHEAP)


def find(path: str, text: str, lines: list[str],
         appends: dict[str, dict[int, str]] | None = None) -> tuple[list[Part], list[SetValue]]:
    """The Luna parts embedded in ``text`` (already split into ``lines``). ``appends`` are
    `echo`/`printf` fragments per target file (:mod:`lunalint.readers.commands`), joined
    with the heredocs written to the same file. `configurator` calls are read with the other
    commands (:func:`lunalint.readers.commands.read`): the list returned here is empty."""
    kind = discover.host_kind(path, text)
    if kind is None or not may_hold(text):
        return [], []
    if kind in ("shell", "makefile"):
        return _heredocs(lines, appends), []
    if kind == "source":
        return _heredocs(lines, appends, program=True) + _strings(lines), []
    if kind == "markdown":
        return _fenced(lines)
    parts = _yaml_blocks(lines) + _defines(lines)
    return parts, []


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


def _heredocs(lines: list[str], appends: dict[str, dict[int, str]] | None = None,
              indented: bool = False, program: bool = False) -> list[Part]:
    """Shell (and Dockerfile, Ruby) heredocs whose target is a Luna file, joined per target
    (with the `echo`/`printf` fragments appended to it).

    In a heredoc whose tag is not quoted, a line ending in `\\` continues on the next line,
    as the shell reads it: the two are joined on the first line's number.

    In a program (``program``: Ruby's `<<~EOC`), the terminator may be indented, and a
    heredoc that names no target is read too when it is a whole configuration on its own
    (every section it opens is closed): code that assembles a file from fragments written
    by several methods is not read piece by piece."""
    by_target: dict[str, dict[int, str]] = {}
    order: list[str] = []
    for key, body in (appends or {}).items():
        by_target[key] = dict(body)
        order.append(key)
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
            if indented or (program and dash):  # indented Markdown block; Ruby `<<~`
                candidate = candidate.lstrip(" \t")
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
        if not doc.group("q"):
            _join_continued(body)
        if target is None and program and _whole_config(body):
            by_target[f"heredoc on line {i + 1}"] = body
            order.append(f"heredoc on line {i + 1}")
        elif target is not None:
            name = target.group(1)
            key = os.path.basename(name).lower()
            if key not in by_target:
                by_target[key] = {}
                order.append(key)
            by_target[key].update(body)
        i = j + 1
    return _joined_parts(lines, by_target, order, "heredoc")


def _joined_parts(lines: list[str], by_target: dict, order: list[str], what: str) -> list:
    """One configuration part per target file (or per unnamed heredoc/string), in the order
    first met: the fragments written to one file are read together."""
    parts = []
    for key in order:
        named = key.endswith((".conf", ".ini"))
        part = _config_part(lines, by_target[key],
                            f"{what} written to {key}" if named else key, key if named else "")
        if part is not None:
            parts.append(part)
    return parts


_OPENS = re.compile(r"^[ \t]*[^=#;{}\n]+=[ \t]*\{[ \t]*$|^[ \t]*\[[^\]\n]+\][ \t]*$")


def _whole_config(body: dict[int, str]) -> bool:
    """True when ``body`` opens at least one section and closes every section it opens
    (brace form), or is in INI form: a configuration on its own, not a fragment."""
    depth = opened = 0
    for n in sorted(body):
        text = body[n].strip()
        if not text or text.startswith("#"):
            continue
        if _OPENS.match(text):
            if text.startswith("["):
                return True
            depth += 1
            opened += 1
        elif text.startswith("}"):
            depth -= 1
            if depth < 0:
                return False
    return opened > 0 and depth == 0


def _join_continued(body: dict[int, str]) -> None:
    """Join each line ending in an unescaped `\\` with the next (the next becomes blank)."""
    numbers = sorted(body)
    k = 0
    while k < len(numbers) - 1:
        first = numbers[k]
        text = body[first]
        while text.endswith("\\") and not text.endswith("\\\\") and k < len(numbers) - 1:
            k += 1
            text = text[:-1] + body[numbers[k]]
            body[numbers[k]] = ""
        body[first] = text
        k += 1


def _strings(lines: list[str]) -> list[Part]:
    """Multi-line string literals of a program (Nix `''`, Python triple quotes) that hold a
    Luna configuration; those naming a target are joined per target, as heredocs are."""
    by_target: dict[str, dict[int, str]] = {}
    order: list[str] = []
    i = 0
    while i < len(lines):
        m = _STRING_OPEN.search(lines[i]) if ("''" in lines[i] or '""' in lines[i]) else None
        if m is None:
            i += 1
            continue
        quote = m.group("q")
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines) and not lines[j].lstrip().startswith(quote):
            body[j] = lines[j]
            j += 1
        target = _TARGET.search(lines[i]) or (_TARGET.search(lines[i - 1]) if i else None)
        if target is None and not _whole_config(body):
            i = j + 1
            continue  # a fragment of a file assembled by code: not read piece by piece
        key = os.path.basename(target.group(1)).lower() if target else f"string on line {i + 1}"
        if key not in by_target:
            by_target[key] = {}
            order.append(key)
        by_target[key].update(body)
        i = j + 1
    return _joined_parts(lines, by_target, order, "string")


def _fenced(lines: list[str]) -> tuple[list[Part], list[SetValue]]:
    """Fenced blocks of a Markdown file that hold a client configuration or a capture.

    `<!-- lunalint: ignore[...] reason -->` comments in the Markdown carry inline
    suppressions for a block: the directive is given to the part as a `#` comment."""
    blocks: dict[tuple[str, str | None], dict[int, str]] = {}  # per kind and form
    partial: set[tuple[str, str | None]] = set()
    script: dict[int, str] = {}  # the lines of `bash`/`sh` blocks: one script, in order
    parts: list[Part] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m.group("fence")
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip(" \t"))]
        body: dict[int, str] = {}
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            text = lines[j]
            # A block indented in a list item (by blanks or a TAB): its lines lose that
            # indent in the rendering; shown as spaces, so columns stay the host's.
            if indent and text.startswith(indent):
                text = " " * len(indent) + text[len(indent):]
            elif indent:
                lead = len(text) - len(text.lstrip(" "))
                text = " " * min(lead, len(indent)) + text[min(lead, len(indent)):]
            body[j] = text
            j += 1
        info = m.group("info").strip().lower().split(" ")[0].strip("{}.")
        if info in _SHELL_FENCE:
            script.update(body)
            i = j + 1
            continue
        elided = {n for n, text in body.items() if _ELISION.match(text.strip())}
        for n in elided:
            body[n] = ""
        # `root@host# cat /etc/Chrystoki.conf` above the file it shows: a command, not a line
        # of the file (a LunaCM/LunaSH prompt is a capture's and stays).
        for n, text in body.items():
            if _PROMPT.match(text) and "lunacm:>" not in text and "lunash:>" not in text:
                body[n] = ""
        kind, form = _kind_of(body) if body else (None, None)
        if kind == "config":
            # A TAB in a document's block is the page's layout (a list item's indent, an
            # editor's), not a byte of the file it shows: one space each, columns kept.
            body = {n: text.replace("\t", " ") for n, text in body.items()}
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
            if elided:
                partial.add((kind, form))
        i = j + 1
    for (kind, form), body in sorted(blocks.items(), key=lambda item: item[0][0] != "config"):
        parts.append(Part(kind, form, _blank(len(lines), body), "fenced blocks",
                          (kind, form) in partial))
    if not script:
        return parts, []
    shell = [script.get(n, "") for n in range(len(lines))]
    return parts + _heredocs(shell, indented=True), []


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


# Steps of a runbook that change what an earlier capture shows (HA114, HA115).
_LATER_STEPS = (
    ("ha-only", re.compile(r"(?i)\bhagroup\s+haonly\s+-enable\b|\bhaAdmin\s+-HAOnly\s+-enable\b"
                           r"|-e\s+[\"']?HAOnly[\"']?\s+-v\s+[\"']?1\b|^\s*HAOnly\s*=\s*1\s*;")),
    ("recovery", re.compile(r"(?i)\bhagroup\s+(?:recoveryMode|retry|interval)\b"
                            r"|\bhaAdmin\s+-autoRecovery\b|\bhagroup\s+autorecovery\b.*-enable"
                            r"|-e\s+[\"']?reconnAtt[\"']?\s+-v\s+[\"']?(?:-1|[1-9])"
                            r"|^\s*reconnAtt\s*=\s*(?:-1|[1-9]\d*)\s*;")),
)


def later_steps(lines: list[str]) -> tuple[tuple[str, int], ...]:
    """Lines of a runbook (1-based) with a step that enables HA-only or sets automatic
    recovery: a capture shown before them is not the final state."""
    out = []
    for number, line in enumerate(lines, start=1):
        low = line.lower()
        if "haonly" not in low and "recover" not in low and "reconnatt" not in low \
                and "retry" not in low and "interval" not in low:
            continue
        for what, pattern in _LATER_STEPS:
            if pattern.search(line):
                out.append((what, number))
    return tuple(out)
