"""Luna tool invocations in scripts: LunaCM, `vtl`, LunaSH over ssh, `configurator`.

Most HA setups in repositories are scripts that build the client configuration: a shell
script, a Dockerfile `RUN`, an Ansible `shell:`/`command:` task, an ERB/Jinja/Helm template of a
script, a Makefile recipe or a runbook's shell fence runs `lunacm -c "hagroup createGroup …"`,
`vtl haAdmin -newGroup …`, `ssh admin@hsm "partition showpolicies …"`,
`configurator setValue -s S -e K -v V`, or appends `echo "Key = value;" >> Chrystoki.conf`.

:func:`lex` splits shell text into simple commands the way the shell does (quotes, `\\`
continuations, comments, `;` `&&` `||` `|`, redirections, heredocs `<<EOF` / `<<-EOF` /
`<<'EOF'`), keeping every word's host position. A template placeholder (`{{ .Values.a |
include "b" }}`, `<%= @x %>`, `{% if %}`) is part of one opaque word even when it holds
spaces, pipes or quotes. Every character is looked at a bounded number of times: the lexer is
linear in the size of its input, whatever the input.

:func:`read` turns the commands of a host into a :class:`Commands`: the Luna commands in
order (a session without output), `configurator setValue` calls, the configuration the
commands set (HA-only, recovery), literal credentials, HA groups created, and `echo`/`printf`
fragments appended to a client configuration file (joined per target like heredocs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from lunalint.model.base import Span
from lunalint.model.script import Credential, GroupCreation, Script

_OPEN = {"{{": "}}", "{%": "%}", "{#": "#}", "<%": "%>"}
_MAX_SUBSTITUTION = 20_000  # characters a `$(…)` is looked for in
_PLACEHOLDER_ONLY = re.compile(r"^(?:\{\{.*?\}\}|<%.*?%>|\{%.*?%\})+$", re.S)


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: ``text`` after quote removal (placeholders and expansions kept as
    written), its host span (1-based line, 0-based columns), and ``vcol``: the column where
    ``text`` starts when it is the host's characters one for one (a plain or simply quoted
    word on one line), else None."""

    text: str
    line: int
    col: int
    end_line: int
    end_col: int
    literal: bool  # no expansion ($x, $(…), `…`) and no placeholder
    template: bool  # holds a template placeholder
    vcol: int | None = None

    @property
    def span(self) -> Span:
        return Span(self.line, self.col + 1, self.end_line, self.end_col + 1)


@dataclass(slots=True)
class Simple:
    """A simple command: its words, redirections, heredoc bodies and pipeline neighbour."""

    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[str, Word]] = field(default_factory=list)
    heredocs: list[tuple[bool, list[tuple[int, str]]]] = field(default_factory=list)
    piped_from: Simple | None = None
    piped: bool = False  # its output goes into the next command


def lex(text: str) -> list[Simple]:
    """The simple commands of shell ``text``, in order (see the module docstring)."""
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.line = 1
        self.ls = 0  # offset of the current line's start
        self.out: list[Simple] = []
        self.cur = Simple()
        self.pending: list[tuple[str, bool, bool, Simple]] = []  # heredocs to read
        self.redirect: str | None = None  # the next word is this redirection's target
        self.prev_pipe: Simple | None = None
        self._found: dict[str, tuple[int, int]] = {}  # what: (searched from, found at)

    def _find(self, what: str, i: int) -> int:
        """``s.find(what, i)``, remembered: a later search from a later index that the last
        answer still covers costs nothing, so an input of many unclosed quotes stays linear."""
        seen = self._found.get(what)
        if seen is not None and seen[0] <= i and (seen[1] < 0 or seen[1] >= i):
            return seen[1]
        j = self.s.find(what, i)
        self._found[what] = (i, j)
        return j

    def _closer(self, opener: str, i: int) -> int:
        """The end of a template placeholder opened at ``i``: after its closer on the same line,
        else the line's end (a placeholder never runs over lines here)."""
        s = self.s
        eol = self._find("\n", i)
        eol = self.n if eol < 0 else eol
        j = s.find(_OPEN[opener], i + 2, eol)
        return eol if j < 0 else j + 2

    # -- positions ---------------------------------------------------------------------
    def _newline_at(self, j: int) -> None:
        self.line += 1
        self.ls = j + 1

    def _advance_over(self, start: int, stop: int) -> None:
        """Count the newlines in ``s[start:stop]`` (the lexer moved over them)."""
        k = self.s.find("\n", start, stop)
        while k >= 0:
            self._newline_at(k)
            k = self.s.find("\n", k + 1, stop)

    # -- commands ----------------------------------------------------------------------
    def _end(self, piped: bool = False) -> None:
        c = self.cur
        if c.words or c.redirects or c.heredocs:
            c.piped_from = self.prev_pipe
            c.piped = piped
            self.out.append(c)
            self.prev_pipe = c if piped else None
        elif not piped:
            self.prev_pipe = None
        self.cur = Simple()
        self.redirect = None

    def _add(self, word: Word) -> None:
        if self.redirect is not None:
            op = self.redirect
            self.redirect = None
            if op.startswith("<<") and op != "<<<":
                tag = word.text
                self.pending.append((tag, op == "<<-", word.literal and word.vcol is None,
                                     self.cur))
                return
            self.cur.redirects.append((op, word))
            return
        self.cur.words.append(word)

    def _heredoc_bodies(self) -> None:
        """At a line's end: read the bodies of the heredocs started on it."""
        s, n = self.s, self.n
        for tag, dash, quoted, owner in self.pending:
            body: list[tuple[int, str]] = []
            while self.i < n:
                j = s.find("\n", self.i)
                j = n if j < 0 else j
                text = s[self.i:j].rstrip("\r")
                number = self.line
                self.i = j + 1
                if j < n:
                    self._newline_at(j)
                if (text.lstrip("\t") if dash else text) == tag:
                    break
                body.append((number, text))
            owner.heredocs.append((quoted, body))
        self.pending = []

    def run(self) -> list[Simple]:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\n":
                self._newline_at(self.i)
                self.i += 1
                self._end()
                if self.pending:
                    self._heredoc_bodies()
            elif c == "\\" and s.startswith("\n", self.i + 1):
                self._newline_at(self.i + 1)
                self.i += 2
            elif c == "\\" and s.startswith("\r\n", self.i + 1):
                self._newline_at(self.i + 2)
                self.i += 3
            elif c == "#":
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j
            elif c in ";&|()":
                j = self.i + 1
                while j < n and s[j] in "&|;" and j - self.i < 2:
                    j += 1
                op = s[self.i:j]
                self.i = j
                if op == "|&":
                    op = "|"
                self._end(piped=(op == "|"))
            elif (c in "<>" and not s.startswith("<%", self.i)):
                j = self.i + 1
                while j < n and s[j] in "<>&-" and j - self.i < 3:
                    j += 1
                op = s[self.i:j]
                self.i = j
                if op.startswith("<<") and not op.startswith("<<<"):
                    op = "<<-" if op.startswith("<<-") else "<<"
                    if len(op) < j - self.i + len(op):
                        pass
                elif op.endswith("&"):  # `>&2`, `2>&1`: the target is a descriptor
                    op = op
                self.redirect = op.rstrip("-") if op in (">-", ">>-") else op
            else:
                self._word()
        self._end()
        if self.pending:
            self._heredoc_bodies()
        return self.out

    def _word(self) -> None:
        s, n = self.s, self.n
        start, line, col = self.i, self.line, self.i - self.ls
        parts: list[str] = []
        literal, template, simple = True, False, True
        i = self.i
        while i < n:
            c = s[i]
            two = s[i:i + 2]
            if two in _OPEN:
                i = self._placeholder(two, i, parts)
                literal, template = False, True
                continue
            if c in " \t\r\n;&|()<>":
                break
            if c == "\\":
                if i + 1 < n and s[i + 1] == "\n":
                    self._newline_at(i + 1)
                    i += 2
                    simple = False
                    continue
                parts.append(s[i + 1:i + 2])
                i += 2
                simple = False
                continue
            if c == "'":
                j = self._find("'", i + 1)
                if j < 0:
                    j = self._find("\n", i + 1)
                    j = n if j < 0 else j
                    parts.append(s[i + 1:j])
                    i = j
                    continue
                parts.append(s[i + 1:j])
                self._advance_over(i, j)
                if any(o in parts[-1] for o in _OPEN):  # the template renders before the shell
                    literal, template = False, True
                i = j + 1
                continue
            if c == '"':
                i, lit, tmpl, esc = self._double(i + 1, parts)
                literal = literal and lit
                template = template or tmpl
                simple = simple and not esc
                continue
            if c == "$" or c == "`":
                i = self._expansion(i, parts)
                literal = False
                continue
            parts.append(c)
            i += 1
        self.i = i
        text = "".join(parts)
        end_line, end_col = self.line, i - self.ls
        raw = s[start:i]
        vcol = None
        if simple and end_line == line:
            if raw == text:
                vcol = col
            elif len(raw) == len(text) + 2 and raw[0] in "'\"" and raw[-1] == raw[0] \
                    and raw[1:-1] == text:
                vcol = col + 1
        self._add(Word(text, line, col, end_line, end_col, literal, template, vcol))

    def _double(self, i: int, parts: list[str]) -> tuple[int, bool, bool, bool]:
        """A double-quoted string from just after its `"`: (index after it, literal,
        template, escapes seen)."""
        s, n = self.s, self.n
        literal, template, escaped = True, False, False
        while i < n:
            c = s[i]
            two = s[i:i + 2]
            if two in _OPEN:
                i = self._placeholder(two, i, parts)
                literal, template = False, True
                continue
            if c == '"':
                return i + 1, literal, template, escaped
            if c == "\\" and i + 1 < n and s[i + 1] in '"\\$`\n':
                if s[i + 1] == "\n":
                    self._newline_at(i + 1)
                else:
                    parts.append(s[i + 1])
                escaped = True
                i += 2
                continue
            if c == "$" or c == "`":
                i = self._expansion(i, parts)
                literal = False
                continue
            if c == "\n":
                self._newline_at(i)
            parts.append(c)
            i += 1
        return i, literal, template, escaped

    def _placeholder(self, opener: str, i: int, parts: list[str]) -> int:
        """A template placeholder (`{{ … }}`, `<%= … %>`, …) from its ``opener`` at ``i``, kept
        whole as one opaque piece of the word; the index after it."""
        j = self._closer(opener, i)
        parts.append(self.s[i:j])
        self._advance_over(i, j)
        return j

    def _expansion(self, i: int, parts: list[str]) -> int:
        """`$name`, `${…}`, `$(…)`, `$((…))` or a backquoted command, kept as written."""
        s, n = self.s, self.n
        if s[i] == "`":
            j = self._find("`", i + 1)
            j = n if j < 0 else j + 1
        elif s.startswith("${", i):
            j = self._find("}", i + 2)
            j = n if j < 0 else j + 1
        elif s.startswith("$(", i):
            # A substitution may run over lines; one left open ends at its line's end. The
            # search for its `)` is bounded, so that a flood of open ones stays linear.
            depth, j = 0, i + 1
            stop = min(n, i + _MAX_SUBSTITUTION)
            while j < stop:
                ch = s[j]
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif ch == "\n" and depth > 0 and s.startswith("\n\n", j):
                    break  # an unclosed substitution ends at a blank line
                j += 1
            if depth != 0 or j > stop:
                eol = self._find("\n", i)
                j = n if eol < 0 else eol
        else:
            j = i + 1
            while j < n and (s[j].isalnum() or s[j] == "_"):
                j += 1
            if j == i + 1 and j < n and s[j] in "?#@*!$-0123456789":
                j += 1
        parts.append(s[i:j])
        self._advance_over(i, j)
        return j


# --- where a host's shell text is ------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_HEREDOC_TAG = re.compile(r"<<-?[ \t]*[\"']?(?P<tag>[A-Za-z_][\w.-]*)")
_SHELL_INFO = frozenset({"bash", "sh", "shell", "console", "zsh", "ksh", "shell-session",
                         "terminal", "sh-session", "dockerfile", "docker", ""})
_PROMPT = re.compile(r"^(?P<lead>[ \t]*(?:\[[^\]\n]*\][ \t]*)?(?:[\w.@:~/-]*[$#%>])[ \t]+)")
_YAML_CMD = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)?(?:[\w.]*\.)?(?P<key>shell|command|cmd|raw|script|run|"
    r"before_script|after_script|entrypoint|args|exec|win_shell|win_command)[ \t]*:[ \t]*)"
    r"(?P<rest>.*)$")
_YAML_FREEFORM = re.compile(r"^[ \t]*(?:cmd|argv|chdir|creates|removes|executable)[ \t]*:")


def shell_text(kind: str, lines: list[str]) -> str:
    """The shell text of a host, of the host's own length: lines (and parts of lines) that
    are not shell are blank, so every position is the host's own."""
    if kind == "markdown":
        return _markdown_shell(lines)
    if kind == "yaml":
        return _yaml_shell(lines)
    if kind == "makefile":
        return "\n".join(("\t" + line[1:].replace("$$", "$ ").lstrip("@-+")
                          if line.startswith("\t") else "") for line in lines) + "\n"
    return "\n".join(_docker_line(line) for line in lines) + "\n"


_DOCKER = re.compile(r"(?i)^[ \t]*(RUN|CMD|ENTRYPOINT)([ \t]+)")


def _docker_line(line: str) -> str:
    m = _DOCKER.match(line)
    if m is None:
        return line
    return " " * m.end() + line[m.end():]


def _markdown_shell(lines: list[str]) -> str:
    out = [""] * len(lines)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m.group("fence")
        info = m.group("info").strip().split(" ")[0].strip("{}.").lower()
        console = info in ("console", "shell-session", "sh-session", "terminal")
        j = i + 1
        tag, more = None, False  # a heredoc or a continued line after a prompt is input
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            if info in _SHELL_INFO:
                text = lines[j]
                p = _PROMPT.match(text) if (console or text.lstrip().startswith("$")) else None
                if text.lstrip().startswith(("lunacm:>", "lunash:>")):
                    text = ""  # a capture's prompt: read as a capture, not as shell
                elif tag is not None or more:
                    if tag is not None and text.strip() == tag:
                        tag = None
                    elif text.lstrip().startswith("> "):  # the shell's secondary prompt
                        cut = len(text) - len(text.lstrip()) + 2
                        text = " " * cut + text[cut:]
                elif p is not None:
                    text = " " * p.end() + text[p.end():]
                elif console:
                    text = ""  # output lines of a console session
                if text and (p is not None or more):
                    doc = _HEREDOC_TAG.search(text)
                    if doc is not None:
                        tag = doc.group("tag")
                more = bool(text) and text.rstrip().endswith("\\")
                out[j] = text
            j += 1
        i = j + 1
    return "\n".join(out) + "\n"


_YAML_BLOCK = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+)?[^\s:#][^:#]*:[ \t]*)(?P<rest>[|>][+-]?\d*"
                         r"[ \t]*(?:#.*)?)$")
_YAML_ITEM = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+|[^\s:#'\"][^:#'\"]*:[ \t]+))(?P<rest>.*)$")
_TOOLS = re.compile(r"(?i)\b(?:lunacm|configurator|vtl|hagroup|sshpass|plink|lunash)\b")


def _yaml_shell(lines: list[str]) -> str:
    """The values of `shell:` / `command:` keys (inline or block scalars, and list items
    under them); block scalars under any other key (`setup.sh: |` in a ConfigMap) and inline
    values that name a Luna tool; everything else blank."""
    out = [""] * len(lines)
    i = 0
    while i < len(lines):
        m = _YAML_CMD.match(lines[i])
        if m is None:
            b = _YAML_BLOCK.match(lines[i])
            if b is not None:
                indent = len(lines[i]) - len(lines[i].lstrip())
                j, body = i + 1, []
                while j < len(lines) and (not lines[j].strip()
                                          or len(lines[j]) - len(lines[j].lstrip()) > indent):
                    body.append(j)
                    j += 1
                if any(_TOOLS.search(lines[k]) for k in body):
                    for k in body:
                        out[k] = lines[k]
                    if b.group("rest").startswith(">"):
                        _fold(out, body)
                i = j if j > i + 1 else i + 1
                continue
            if _TOOLS.search(lines[i]):
                item = _YAML_ITEM.match(lines[i])
                if item is not None:
                    out[i] = " " * len(item.group("lead")) + _yaml_scalar(item.group("rest"))
            i += 1
            continue
        lead, rest = m.group("lead"), m.group("rest")
        indent = len(lines[i]) - len(lines[i].lstrip())
        stripped = rest.strip()
        if stripped[:1] in ("|", ">"):
            j = i + 1
            body = []
            while j < len(lines) and (not lines[j].strip()
                                      or len(lines[j]) - len(lines[j].lstrip()) > indent):
                if not _YAML_FREEFORM.match(lines[j]):
                    out[j] = lines[j]
                    body.append(j)
                j += 1
            if stripped[:1] == ">":  # folded: lines of the same indentation are one line
                _fold(out, body)
            i = j
            continue
        if stripped == "":  # a list of commands, or a mapping (`cmd:`, `argv:`)
            j = i + 1
            while j < len(lines) and (not lines[j].strip()
                                      or len(lines[j]) - len(lines[j].lstrip()) > indent):
                text = lines[j]
                item = re.match(r"^([ \t]*-[ \t]+)(.*)$", text)
                cmd = re.match(r"^([ \t]*cmd[ \t]*:[ \t]*)(.*)$", text)
                hit = item or cmd
                if hit is not None:
                    out[j] = " " * len(hit.group(1)) + _yaml_scalar(hit.group(2))
                j += 1
            i = j
            continue
        out[i] = " " * len(lead) + _yaml_scalar(rest)
        i += 1
    return "\n".join(out) + "\n"


def _fold(out: list[str], body: list[int]) -> None:
    """A folded block scalar's lines joined as YAML joins them: a `\\` is added at the end
    of each line that the next one continues (columns of the text stay the host's)."""
    for a, b in zip(body, body[1:]):
        this, nxt = out[a], out[b]
        if b != a + 1 or not this.strip() or not nxt.strip():
            continue
        if len(this) - len(this.lstrip()) != len(nxt) - len(nxt.lstrip()):
            continue  # a more indented line keeps its line break
        if not this.rstrip().endswith("\\"):
            out[a] = this.rstrip("\r") + " \\"


def _yaml_scalar(text: str) -> str:
    """An inline YAML scalar as the shell text it holds, of the same length: the YAML quotes
    become spaces (a double-quoted scalar's `\\"` stays as the shell reads it)."""
    t = text.rstrip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        inner = t[1:-1]
        if t[0] == "'":
            inner = inner.replace("''", "'")
            inner = inner + " " * (len(t) - 2 - len(inner))
        return " " + inner + " "
    if t.startswith("#"):
        return ""
    return text


# --- what the commands do --------------------------------------------------------------------

_LUNASH_WORDS = frozenset({"partition", "hsm", "ntls", "client", "sysconf", "network", "syslog",
                           "user", "service", "token", "stc", "package", "audit", "my",
                           "status", "webserver", "role", "sysconf", "clientconfig"})
_APPLIANCE_USERS = frozenset({"admin", "operator", "monitor", "audit"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "time", "nohup", "command", "nice", "stdbuf",
                       "doas", "run", "xargs", "timeout"})
_CONFIG_TARGET = re.compile(r"(?i)(?:^|[/\\])((?:chrystoki|crystoki)[\w.-]*\.(?:conf|ini))$")
# Options that always carry a password, for every LunaCM / LunaSH / vtl command.
_SECRET_OPTIONS = frozenset({"-password", "-newpw", "-oldpw", "-challenge", "-domain",
                             "-newpwd", "-oldpwd", "-pwd", "-passwd", "-defaultdomain"})
# Commands where `-p` is the short form of `-password` (no other option starts with p).
_P_IS_PASSWORD = frozenset({"role login", "partition login", "hagroup addmember",
                            "hagroup creategroup", "hsm login", "vtl haadmin", "ro login",
                            "ha addmember", "hag addmember", "hag creategroup"})
_STANDIN = re.compile(r"^(?:<[^<>]*>|\[[^\]]*\]|\*+|x+|\.\.\.|…|%[A-Za-z_]\w*%|@@[\w.-]+@@|"
                      r"your[_-]?\w*|changeme?|password|<\w*)$", re.IGNORECASE)


@dataclass
class Commands:
    """What :func:`read` found in one host."""

    session: list[tuple[str, list[Word], Span]] = field(default_factory=list)  # (tool, words, span)
    set_values: list = field(default_factory=list)  # embedded.SetValue
    settings: list[tuple[str, str, str, Word, Word, Span]] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    creates: list[GroupCreation] = field(default_factory=list)
    ha_only: list[Span] = field(default_factory=list)
    stc: bool = False
    appends: dict[str, dict[int, str]] = field(default_factory=dict)  # target → host lines

    def script(self, host: str) -> Script:
        return Script(host, tuple(self.credentials), tuple(self.creates), tuple(self.ha_only),
                      self.stc)

    @property
    def found(self) -> bool:
        return bool(self.session or self.set_values or self.credentials)


def read(kind: str, lines: list[str]) -> Commands:
    """The Luna commands of a host whose kind is ``kind`` (see :func:`shell_text`)."""
    out = Commands()
    text = shell_text(kind, lines)
    aliases: dict[str, str] = {}
    for simple in lex(text):
        _command(simple, out, aliases, lines)
    return out


def _tool_of(word: Word, aliases: dict[str, str]) -> str | None:
    """The Luna tool a command word names: by name or full path, or through a variable
    named after the tool or assigned its path (`LUNACM=/usr/safenet/lunaclient/bin/lunacm`)."""
    text = word.text
    if word.template and not text.startswith("$"):
        text = re.sub(r"\{\{.*?\}\}|<%.*?%>|\{%.*?%\}", "", text)
    if text.startswith("$"):
        name = text.strip("${}()").split(":")[0]
        if name in aliases:
            return aliases[name]
        text = name
    base = re.split(r"[/\\]", text.strip("\"'"))[-1].lower()
    base = base[:-4] if base.endswith(".exe") else base
    for tool in ("lunacm", "lunash", "vtl", "configurator", "ssh", "plink", "sshpass",
                 "echo", "printf", "tee"):
        if base == tool:
            return tool
    if base.startswith("$") or word.text.startswith("$"):
        for tool in ("lunacm", "configurator", "vtl"):
            if tool in base:
                return tool
    return None


def _command(simple: Simple, out: Commands, aliases: dict[str, str], lines: list[str]) -> None:
    words = simple.words
    k = 0
    while k < len(words):  # assignments and wrappers before the command itself
        w = words[k]
        m = re.match(r"^([A-Za-z_]\w*)=(.*)$", w.text, re.S)
        if m is not None:
            tool = _tool_of(Word(m.group(2), w.line, w.col, w.end_line, w.end_col, w.literal,
                                 w.template), aliases)
            if tool in ("lunacm", "vtl", "configurator", "lunash"):
                aliases[m.group(1)] = tool
            k += 1
            continue
        if w.text in _WRAPPERS or (k > 0 and words[k - 1].text in ("sudo", "env", "timeout")
                                   and w.text.startswith("-")):
            k += 1
            continue
        break
    if k >= len(words):
        return
    tool = _tool_of(words[k], aliases)
    args = words[k + 1:]
    if tool == "lunacm":
        _lunacm(simple, args, out, lines)
    elif tool == "vtl":
        _vtl(args, words[k], out)
    elif tool == "configurator":
        _configurator(args, words[k], out)
    elif tool in ("ssh", "plink", "sshpass"):
        _ssh(tool, simple, args, out, lines)
    elif tool in ("echo", "printf", "tee"):
        _append(tool, simple, args, out)


def _span(first: Word, last: Word) -> Span:
    return Span(first.line, first.col + 1, last.end_line, last.end_col + 1)


def _sub_words(word: Word) -> list[Word]:
    """The words of a command given as one argument (`lunacm -c "hagroup …"`), at their own
    columns when the argument's text is the host's characters, else all at the argument."""
    inner = lex(word.text)
    words = [w for simple in inner for w in simple.words]
    out = []
    for w in words:
        if word.vcol is not None and w.line == 1 and w.end_line == 1:
            vcol = None if w.vcol is None else word.vcol + w.vcol
            out.append(Word(w.text, word.line, word.vcol + w.col, word.line,
                            word.vcol + w.end_col, w.literal, w.template, vcol))
        else:  # (an expansion or placeholder in the argument is still in the word's text)
            out.append(Word(w.text, word.line, word.col, word.end_line, word.end_col,
                            w.literal, w.template, None))
    return out


def _body_commands(body: list[tuple[int, str]], quoted: bool) -> list[list[Word]]:
    """The lines of a heredoc fed to a tool, each one command (an unquoted heredoc joins a
    line ending in `\\` with the next, as the shell does)."""
    if not body:
        return []
    first = body[0][0]
    text = "\n".join([""] * (first - 1) + [t for _, t in body]) + "\n"
    # lex on host-length text so that positions are the host's; the body's lines are
    # consecutive host lines
    out = []
    for simple in lex(text):
        if simple.words:
            out.append(simple.words)
    return out


_LUNACM_OPTS_WITH_VALUE = frozenset({"-s", "-slot", "-f", "-file", "-o", "-output"})


def _lunacm(simple: Simple, args: list[Word], out: Commands, lines: list[str]) -> None:
    commands: list[list[Word]] = []
    k = 0
    slot = None
    while k < len(args):
        a = args[k]
        low = a.text.lower()
        if low in ("-c", "-command", "--command") and k + 1 < len(args):
            following = args[k + 1]
            if " " not in following.text and k + 2 < len(args):
                # `lunacm -c hagroup createGroup -label x …` unquoted: LunaCM runs the words
                # after -c as one command (a public Ansible role does this)
                commands.append(list(args[k + 1:]))
                break
            commands.append(_sub_words(following))
            k += 2
            continue
        if low in ("-q", "-quiet") and k + 1 < len(args) and not args[k + 1].text.startswith("-"):
            commands.append(list(args[k + 1:]))
            break
        if low in ("-s", "-slot") and k + 1 < len(args):
            slot = args[k + 1]
            k += 2
            continue
        k += 1
    for quoted, body in simple.heredocs:
        commands.extend(_body_commands(body, quoted))
    if not commands and simple.piped_from is not None:
        feeder = simple.piped_from
        if feeder.words and feeder.words[0].text in ("echo", "printf") and \
                len(feeder.words) > 1:
            for w in feeder.words[1:]:
                if w.text.startswith("-") and w is feeder.words[1]:
                    continue
                for piece in w.text.split("\\n"):
                    if piece.strip() and piece.strip().lower() not in ("copy", "proceed", "y",
                                                                       "yes", "exit", "quit"):
                        commands.append(_sub_words(Word(piece, w.line, w.col, w.end_line,
                                                        w.end_col, w.literal, w.template,
                                                        w.vcol if piece == w.text else None)))
    del slot
    for words in commands:
        if words:
            _luna("lunacm", words, out)


def _luna(tool: str, words: list[Word], out: Commands) -> None:
    """One LunaCM or LunaSH command of the session."""
    if not words or words[0].text.lower() in ("exit", "quit", "copy", "proceed"):
        return
    out.session.append((tool, words, _span(words[0], words[-1])))
    name = " ".join(w.text.lower() for w in words[:2])
    _credentials(tool, name, words, out)
    first = words[0].text.lower()
    second = words[1].text.lower() if len(words) > 1 else ""
    if first in ("hagroup", "ha", "hag") and second.startswith("creategr"):
        out.creates.append(GroupCreation(_option(words, "-label", "-l"),
                                         _span(words[0], words[-1])))
    elif first in ("hagroup", "ha", "hag") and second == "haonly":
        if any(w.text.lower() in ("-enable", "-e") for w in words[2:]):
            out.ha_only.append(_span(words[0], words[-1]))
            out.settings.append(("HAConfiguration", "HAOnly", "1", words[1], words[-1],
                                 _span(words[0], words[-1])))
    elif first == "stc" or (first in ("partition", "par") and second in ("stc",)):
        out.stc = True


def _option(words: list[Word], *names: str) -> str | None:
    for i, w in enumerate(words[:-1]):
        if w.text.lower() in names:
            return words[i + 1].text
    return None


def literal_secret(word: Word) -> bool:
    """True when ``word`` is a literal credential, not a placeholder, a variable, an empty
    string or a documentation stand-in (`<password>`)."""
    text = word.text.strip()
    if not text or not word.literal or word.template:
        return False
    if any(o in text for o in _OPEN):  # a placeholder, even inside single quotes
        return False
    if text.startswith("-"):
        return False
    return _STANDIN.match(text) is None


def _credentials(tool: str, name: str, words: list[Word], out: Commands) -> None:
    for i, w in enumerate(words[:-1]):
        low = w.text.lower()
        if low in _SECRET_OPTIONS or (low == "-p" and name in _P_IS_PASSWORD) or (
                low.startswith("-") and low != "-p" and len(low) > 2 and _abbreviated(low)):
            value = words[i + 1]
            if literal_secret(value):
                out.credentials.append(Credential(w.text, tool, name, value.span, value.text))


def _abbreviated(option: str) -> bool:
    """True for an abbreviation LunaCM/LunaSH accept of a password, challenge or domain
    option (`-pass`, `-pw`, `-dom`, `-chal`), as the redaction boundary knows them."""
    from lunalint.redact import secret_option

    return secret_option(option[1:])


def _vtl(args: list[Word], tool_word: Word, out: Commands) -> None:
    if not args:
        return
    words = [tool_word, *args]
    out.session.append(("vtl", words, _span(words[0], words[-1])))
    name = "vtl " + args[0].text.lower()
    _credentials("vtl", name, words, out)
    flags = {a.text.lower() for a in args}
    if args[0].text.lower() == "haadmin":
        if "-newgroup" in flags:
            out.creates.append(GroupCreation(_option(words, "-label"), _span(words[0],
                                                                            words[-1])))
        if "-haonly" in flags and "-enable" in flags:
            out.ha_only.append(_span(words[0], words[-1]))
            out.settings.append(("HAConfiguration", "HAOnly", "1", args[0], words[-1],
                                 _span(words[0], words[-1])))


def _configurator(args: list[Word], tool_word: Word, out: Commands) -> None:
    from lunalint.readers.embedded import SetValue

    if not args or args[0].text.lower() != "setvalue":
        return
    opts: dict[str, Word] = {}
    k = 1
    while k < len(args):
        low = args[k].text
        if low in ("-s", "-e", "-v") and k + 1 < len(args):
            opts[low] = args[k + 1]
            k += 2
            continue
        k += 1
    if "-s" not in opts or "-e" not in opts:
        return
    s, e = opts["-s"], opts["-e"]
    v = opts.get("-v")
    last = args[-1]
    if v is None:
        v = Word("", last.end_line, last.end_col, last.end_line, last.end_col, True, False)
    if len({s.line, e.line, v.line, tool_word.line}) != 1:
        # a call split over lines: every word on the tool's line
        line = tool_word.line
        s, e, v = (Word(w.text, line, tool_word.col, line, tool_word.end_col, w.literal,
                        w.template, None) for w in (s, e, v))
    line = tool_word.line
    end = max(w.end_col for w in (s, e, v))
    out.set_values.append(SetValue(line, s.text, _cols(s), e.text, _cols(e), v.text, _cols(v),
                                   (tool_word.col, end)))
    if s.text.casefold() == "haconfiguration" and e.text.casefold() == "haonly" \
            and v.text.strip() == "1":
        out.ha_only.append(_span(tool_word, last))


def _cols(w: Word) -> tuple[int, int]:
    if w.vcol is not None:
        return (w.vcol, w.vcol + len(w.text))
    return (w.col, w.end_col)


def _ssh(tool: str, simple: Simple, args: list[Word], out: Commands, lines: list[str]) -> None:
    """`ssh [options] user@host [command]`, `plink … -pw P …`, `sshpass -p P ssh …`: a LunaSH
    session when the destination is an appliance (an appliance role as the user, or a LunaSH
    command as the remote command)."""
    password: Word | None = None
    option = ""
    k = 0
    if tool == "sshpass":
        while k < len(args) and args[k].text.startswith("-"):
            a = args[k]
            if a.text == "-p" and k + 1 < len(args):
                password, option = args[k + 1], "sshpass -p"
                k += 2
                continue
            if a.text.startswith("-p") and len(a.text) > 2:
                value = a.text[2:]
                vcol = a.vcol + 2 if a.vcol is not None else None
                password = Word(value, a.line, a.col + 2 if vcol is not None else a.col,
                                a.end_line, a.end_col, a.literal, a.template, vcol)
                option = "sshpass -p"
            k += 1 + (a.text in ("-f", "-d", "-e") and False)
        if k >= len(args):
            return
        inner = _tool_of(args[k], {})
        if inner not in ("ssh", "plink", "scp"):
            return
        tool, args = inner, args[k + 1:]
        k = 0
    dest = None
    with_value = {"-p", "-i", "-l", "-o", "-F", "-P", "-c", "-m", "-b", "-E", "-J", "-L", "-R",
                  "-D", "-W", "-S", "-Q", "-e", "-pw", "-pwfile", "-port", "-load", "-hostkey",
                  "-i", "-proxycmd", "-sercfg", "-sshlog", "-sshrawlog"}
    user = None
    while k < len(args):
        a = args[k]
        if a.template and "@" not in a.text and _PLACEHOLDER_ONLY.match(a.text):
            k += 1  # `{{ ssh_options }}`: options the template supplies
            continue
        if a.text.startswith("-"):
            if tool == "plink" and a.text == "-pw" and k + 1 < len(args):
                password, option = args[k + 1], "plink -pw"
            if a.text == "-l" and k + 1 < len(args):
                user = args[k + 1].text
            k += 2 if a.text in with_value else 1
            continue
        dest = a
        k += 1
        break
    if dest is None:
        return
    if "@" in dest.text:
        user = dest.text.split("@", 1)[0]
    remote = args[k:]
    while remote and remote[0].text.startswith("-") and len(remote) > 1:
        remote = remote[1:]  # OpenSSH reads options after the destination too (`-C`, `-t`)
    remote_cmds: list[list[Word]] = []
    if remote:
        if len(remote) == 1:
            remote_cmds.append(_sub_words(remote[0]))
        else:
            remote_cmds.append(list(remote))
    for quoted, body in simple.heredocs:
        remote_cmds.extend(_body_commands(body, quoted))
    lunash = [c for c in remote_cmds if c and c[0].text.lower() in _LUNASH_WORDS]
    appliance = (user or "").lower() in _APPLIANCE_USERS or bool(lunash)
    if not appliance:
        return
    if password is not None and literal_secret(password):
        out.credentials.append(Credential(option, tool, tool, password.span, password.text))
    for words in lunash:
        _luna("lunash", words, out)


def _append(tool: str, simple: Simple, args: list[Word], out: Commands) -> None:
    """`echo "Key = value;" >> …/Chrystoki.conf` (and `printf`, `… | tee -a …`): the text is a
    fragment of that file, at the text's host position."""
    target = None
    for op, w in simple.redirects:
        if op in (">", ">>", ">|") and _CONFIG_TARGET.search(w.text.strip("\"'")):
            target = _CONFIG_TARGET.search(w.text.strip("\"'")).group(1)
    if tool == "tee":
        names = [a for a in args if not a.text.startswith("-")]
        if names and _CONFIG_TARGET.search(names[0].text):
            target = _CONFIG_TARGET.search(names[0].text).group(1)
        feeder = simple.piped_from
        if target is None or feeder is None or not feeder.words:
            return
        if _tool_of(feeder.words[0], {}) not in ("echo", "printf"):
            return
        tool, args = _tool_of(feeder.words[0], {}) or "echo", feeder.words[1:]
    if target is None:
        return
    texts = [a for a in args if not (a is args[0] and a.text.startswith("-") and tool == "echo"
                                      and re.fullmatch(r"-[neE]+", a.text))]
    if tool == "printf" and texts:
        texts = texts[:1]  # the format; arguments fill `%s`, unknown here
    if not texts:
        return
    first = texts[0]
    value = " ".join(t.text for t in texts)
    if tool == "printf" or (args and re.fullmatch(r"-[neE]*e[neE]*", args[0].text or "")):
        value = value.replace("\\t", "\t").replace("\\n", " ")
    col = first.vcol if first.vcol is not None else first.col
    if first.end_line != first.line:
        return
    key = os.path.basename(target).lower()
    body = out.appends.setdefault(key, {})
    body[first.line - 1] = " " * col + value


def session(path: str, lines: list[str], found: Commands, host: str):
    """The script's Luna commands as a session without output (an
    :class:`~lunalint.model.export.Export` whose ``script`` says what else the script does).

    The current slot follows `slot set -slot N` (or `-s N` on the `lunacm` line); it is
    known to be an HA virtual slot when the script selects it by the label or serial of a
    group the script created (`slot set -label payments` after `hagroup createGroup -label
    payments`), the only way a script without output shows it."""
    from lunalint.model.export import Command, Export, Field, Slot

    created: set[str] = {c.label.casefold() for c in found.creates if c.label}
    commands = []
    slot_id: int | None = None
    slot = None
    for index, (tool, words, span) in enumerate(found.session):
        texts = tuple(w.text for w in words)
        if tool == "vtl":
            texts = texts[1:]
        low = [t.lower() for t in texts]
        if low[:2] == ["slot", "set"]:
            number = _option_text(low, "-slot", "-s")
            chosen = _option_text(texts, "-label", "-l", "-serialnumber", "-serialnum",
                                  "-serial")
            slot_id = int(number) if number is not None and number.isdigit() \
                and len(number) < 6 else None
            slot = None
            if chosen is not None and chosen.casefold() in created:
                f = Field("HSM Label", chosen, span, span)
                slot = Slot(slot_id if slot_id is not None else -1, (f,), span, True, None,
                            None, index)
        commands.append(Command(index, "lunash" if tool == "lunash" else "lunacm", None,
                                " ".join(texts), texts, span, span, None, slot_id, slot, None,
                                False))
    on = {n for _, _, span in found.session for n in (span.line, span.end_line)}
    on |= {c.span.line for c in found.credentials}
    own = tuple(line if n in on else "" for n, line in enumerate(lines, start=1))
    return Export(path, own, (), commands=tuple(commands), script=found.script(host))


def _option_text(words, *names: str) -> str | None:
    for i, w in enumerate(words[:-1]):
        if w.lower() in names:
            return words[i + 1]
    return None
