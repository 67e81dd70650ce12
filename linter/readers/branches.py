"""Which branch of which conditional each line of a template or a script is in.

A template (`{% if %}/{% elif %}/{% else %}`, `{{- if }}/{{- else if }}/{{- else }}`,
`<% if %>/<% elsif %>/<% else %>`) or a shell script (`if/elif/else/fi`, `case … esac`)
writes one branch of a conditional, not all of them: two lines in different branches of one
conditional are alternatives. Readers give each entry and section the *branch path* of its
line: a tuple of ``(conditional, arm)`` pairs, outermost first, where ``conditional`` is a
number unique in the file (template conditionals by their opening line, shell ones by the
negated opening line) and ``arm`` counts the branches from 0. Two paths are exclusive when
they take different arms of one conditional (:func:`lunalint.model.config.exclusive`).

Shell functions are not run in file order: each function body is an arm of one pseudo
conditional (number 0), so what two functions write are alternatives too.

This is a scan of lines, not a parser: heredoc bodies are skipped as data, quotes and
comments are stepped over, and anything unclear leaves the path as it is (at worst two
alternatives are read as one sequence, as before).
"""

from __future__ import annotations

import re

Path = tuple[tuple[int, int], ...]

_GO = re.compile(r"\{\{-?[ \t]*(?P<w>if|else|end|range|with|define|block)\b")
_JINJA = re.compile(r"\{%-?[ \t]*(?P<w>\w+)")
_JINJA_OPEN = {"for", "macro", "block", "call", "filter", "raw", "with"}
_HEREDOC = re.compile(r"<<(?P<dash>-)?[ \t]*(?P<q>[\"']?)(?P<tag>[A-Za-z_][\w.-]*)(?P=q)")
_FUNC = re.compile(r"^[ \t]*(?:function[ \t]+[\w.:-]+(?:[ \t]*\(\))?|[\w.:-]+[ \t]*\(\))"
                   r"[ \t]*(?P<brace>\{)?")


class _Stack:
    """Open blocks, innermost last: ``[kind, id, arm]`` (kind "cond" has arms)."""

    def __init__(self) -> None:
        self.items: list[list] = []

    def path(self) -> Path:
        return tuple((item[1], item[2]) for item in self.items if item[0] == "cond")

    def open(self, kind: str, cid: int = 0, arm: int = 0) -> None:
        self.items.append([kind, cid, arm])

    def next_arm(self) -> None:
        if self.items and self.items[-1][0] == "cond":
            self.items[-1][2] += 1

    def close(self, *kinds: str) -> None:
        """Close the innermost block of one of ``kinds`` (and what is left open inside)."""
        for k in range(len(self.items) - 1, -1, -1):
            if self.items[k][0] in kinds:
                del self.items[k:]
                return


def _template_tokens(line: str) -> list[tuple[int, str]]:
    """``(column, action)`` of the template directives on ``line``: open (a conditional),
    case (an ERB `case`), block (another block), arm (else/elif/when), end. The directives
    are the placeholders :func:`lunalint.readers.template.placeholders` finds (one linear
    pass), each classified by its own text."""
    from lunalint.readers.template import placeholders

    out: list[tuple[int, str]] = []
    for start, end, _ in placeholders(line):
        text = line[start:end]
        action = None
        if text.startswith("{{"):
            m = _GO.match(text)
            w = m.group("w") if m else ""
            action = {"if": "open", "else": "arm", "end": "end"}.get(w, "block" if w else None)
        elif text.startswith("{%"):
            m = _JINJA.match(text)
            w = m.group("w") if m else ""
            if w == "if":
                action = "open"
            elif w in ("elif", "else"):
                action = "arm"
            elif w.startswith("end"):
                action = "end"
            elif w in _JINJA_OPEN:
                action = "block"
        elif text.startswith("<%") and text[2:3] not in ("=", "#"):
            body = text[2:-2].strip("-").strip()
            if re.match(r"(?:if|unless)\b", body) and not re.search(r"\bend\s*$", body):
                action = "open"
            elif re.match(r"case\b", body):
                action = "case"
            elif re.match(r"(?:elsif|else|when)\b", body):
                action = "arm"
            elif re.match(r"end\b", body):
                action = "end"
            elif re.search(r"\bdo\b\s*(?:\|[^|]*\|)?\s*$|^(?:for|while|until|begin)\b", body):
                action = "block"
        if action is not None:
            out.append((start, action))
    return out


def _apply_template(stack: _Stack, action: str, number: int) -> None:
    if action == "open":
        stack.open("cond", number, 0)
    elif action == "arm":
        stack.next_arm()
    elif action == "case":  # ERB `case`: the first `when` is arm 0
        stack.open("cond", number, -1)
    elif action == "block":
        stack.open("block")
    elif action == "end" and stack.items:
        stack.items.pop()


def template_paths(lines: list[str]) -> list[Path]:
    """The template branch path of each line (0-based list, one per line)."""
    stack = _Stack()
    out: list[Path] = []
    for number, line in enumerate(lines, start=1):
        tokens = _template_tokens(line) if ("{" in line or "<%" in line) else []
        if not tokens:
            out.append(stack.path())
            continue
        # Directives before any other text on the line apply to it (`{{ if x }}Key = 1;`).
        lead = len(line) - len(line.lstrip())
        recorded = False
        for column, action in tokens:
            if not recorded and not _only_directives(line[lead:column]):
                out.append(stack.path())
                recorded = True
            _apply_template(stack, action, number)
        if not recorded:
            out.append(stack.path())
    return out


_DIRECTIVE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|<%.*?%>")


def _only_directives(text: str) -> bool:
    return not _DIRECTIVE.sub("", text).strip()


def shell_paths(lines: list[str]) -> list[Path]:
    """The shell branch path of each line: `if/elif/else/fi`, `case/esac` and function
    bodies (heredoc bodies keep the path of the command that opened them)."""
    stack = _Stack()
    out: list[Path] = []
    pending: list[tuple[str, bool]] = []  # heredocs opened on this line: (tag, dash)
    in_case: list[bool] = []  # per open `case`: waiting for a pattern
    i = 0
    while i < len(lines):
        out.append(_shell_line(lines[i], stack, in_case, pending, -(i + 1)))
        i += 1
        for tag, dash in pending:  # heredoc bodies: data, not commands
            while i < len(lines):
                out.append(stack.path())
                candidate = lines[i].lstrip("\t") if dash else lines[i]
                i += 1
                if candidate.rstrip("\r") == tag:
                    break
        pending.clear()
    return out[:len(lines)]


def _shell_line(line: str, stack: _Stack, in_case: list[bool],
                pending: list[tuple[str, bool]], cid: int) -> Path:
    """Apply the control words of ``line`` to ``stack``; the path of the line's first
    other word (a command `ha) cmd ;;` runs in the arm its pattern opens)."""
    recorded: Path | None = None
    func = _FUNC.match(line)
    if func is not None and not re.match(r"[ \t]*(?:if|then|else|elif|fi|case|esac|do|done|"
                                         r"while|until|for)\b", line):
        stack.items.append(["cond", 0, abs(cid), "func"])  # its own arm of conditional 0
        rest = line[func.end():]
        if func.group("brace") is None and not rest.strip().startswith("{"):
            stack.items[-1].append("await")  # `name()` then `{` on the next line
        line = rest
    for word, first in _commands(line, pending):
        if not first or word not in _CONTROL and not word.endswith(")"):
            if recorded is None:
                recorded = stack.path()
            if not first:
                continue
        top = stack.items[-1] if stack.items else None
        if top is not None and "await" in top and word == "{":
            top.remove("await")
            continue
        if word == "if":
            stack.open("cond", cid, 0)
            stack.items[-1].append("if")
        elif word in ("elif", "else"):
            if top is not None and "if" in top:
                stack.next_arm()
        elif word == "fi":
            _close_tagged(stack, "if")
        elif word == "case":
            stack.open("cond", cid, -1)
            stack.items[-1].append("case")
            in_case.append(True)
        elif word == "esac":
            _close_tagged(stack, "case")
            if in_case:
                in_case.pop()
        elif word in (";;", ";&", ";;&"):
            if in_case:
                in_case[-1] = True
        elif in_case and in_case[-1] and top is not None and "case" in top \
                and word != "in" and word.endswith(")"):
            stack.next_arm()
            in_case[-1] = False
        elif word == "{":
            stack.open("brace")
        elif word == "}":
            k = len(stack.items) - 1
            while k >= 0 and stack.items[k][0] != "brace" and "func" not in stack.items[k]:
                k -= 1
            if k >= 0:
                del stack.items[k:]
        elif recorded is None:
            recorded = stack.path()
    return recorded if recorded is not None else stack.path()


_CONTROL = frozenset({"if", "then", "elif", "else", "fi", "case", "in", "esac", ";;", ";&",
                      ";;&", "{", "}", "do", "done"})


def _close_tagged(stack: _Stack, tag: str) -> None:
    for k in range(len(stack.items) - 1, -1, -1):
        if tag in stack.items[k]:
            del stack.items[k:]
            return


def _commands(line: str, pending: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The words of ``line`` with, for each, whether it starts a command; quotes and
    comments are stepped over; heredoc openers are noted in ``pending``."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(line)
    first = True
    while i < n:
        c = line[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "#":
            break
        if c in "\"'`":
            j = line.find(c, i + 1)
            if j < 0:
                break
            out.append(("<quoted>", first))
            first = False
            i = j + 1
            continue
        if line.startswith(";;&", i) or line.startswith(";;", i) or line.startswith(";&", i):
            size = 3 if line.startswith(";;&", i) else 2
            out.append((line[i:i + size], True))
            first = True
            i += size
            continue
        if c in ";|&(":
            first = True
            i += 1
            while i < n and line[i] in "|&":
                i += 1
            continue
        if line.startswith("<<", i) and not line.startswith("<<<", i):
            m = _HEREDOC.match(line, i)
            if m is not None:
                pending.append((m.group("tag"), bool(m.group("dash"))))
                i = m.end()
                continue
        j = i
        while j < n and line[j] not in " \t\r;|&\"'`" and not (line[j] == "(" and j == i):
            j += 1
        if j == i:
            j = i + 1
        word = line[i:j]
        out.append((word, first))
        # After these keywords a command starts again.
        first = word in ("then", "do", "else", "elif", "if", "while", "until", "!", "{", "in") \
            or (word.endswith(")") and first)
        i = j
    return out


def paths(lines: list[str], shell: bool) -> list[Path]:
    """The branch path of each line: template directives, and shell control flow when
    ``shell`` (the lines are a script)."""
    tpl = template_paths(lines)
    if not shell:
        return tpl
    sh = shell_paths(lines)
    return [a + b for a, b in zip(tpl, sh)]
