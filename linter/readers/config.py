"""Read a client configuration into a :class:`~lunalint.model.ClientConfig`.

Each physical line is parsed on its own with the line grammar of its form
(``grammar/chrystoki.lark`` or ``grammar/crystoki_ini.lark``); this module keeps the section
that is open across lines. A line that does not parse becomes a :class:`SyntaxProblem` with its
exact column and a message in plain words, and reading resumes at the next line, so one typo
never hides the rest of the file.

Most lines have one of a few shapes (``Key = value;``, ``Name = {``, ``}``, a comment). Those
are matched by a regular expression assembled from the grammar's own terminals, and only the
other lines go through the lark parser; ``tests/test_config_reader.py`` checks that both paths
agree on every line they both accept.
"""

from __future__ import annotations


import re
from functools import cache
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.patterns import lazy
from lunalint import grammars
from lunalint import record as records
from lunalint.record import opt, record
from lunalint.model.base import Span, SyntaxProblem
from lunalint.model.config import _SECRET_KEY, ClientConfig, Entry, Section, entry_at
from lunalint.readers import template

BRACE_GRAMMAR = "chrystoki.lark"
INI_GRAMMAR = "crystoki_ini.lark"

# Lines that are only a template directive (`<% if x %>`, `{{- end }}`, `{% for %}`): the
# file is a template; SYN007 says so, and the directive line is not a syntax error.
_TEMPLATE_DIRECTIVE = lazy(
    r"^[ \t]*(?:<%(?!=).*%>|\{\{-?\s*(?:if|else|end|range|with|define|template|block|/\*)\b.*\}\}"
    r"|\{%.*%\}|\[%.*%\])[ \t\r]*$"
)

# A line that opens a template tag it does not close (`<%` then Ruby over several lines).
_TAG_OPEN = lazy(r"^[ \t]*(?P<tag><%|\{%|\{\{)")
_TAG_CLOSE = {"<%": "%>", "{%": "%}", "{{": "}}"}
_CLOSE_SEMI = lazy(r"^[ \t\ufeff]*\}[ \t]*(?P<semi>;)[ \t;]*(?:#.*)?\r?$")

_WORDS = {
    "SECTION_OPEN": "a section header `Name = {`",
    "KEY": "a key",
    "EQ": "`=`",
    "VALUE": "a value",
    "SEMI": "`;`",
    "RBRACE": "`}`",
    "COMMENT": "a comment",
    "HEADER": "a section header `[Name]`",
    "$END": "the end of the line",
}


@record(frozen=False)
class _Statement:
    """What one line statement says, before the reader places it in a section."""

    kind: str  # "open" | "close" | "entry" | "comment"
    span: Span
    name: str = ""
    name_span: Span | None = None
    value: str = ""
    value_span: Span | None = None
    templated_key: bool = False
    templated_value: bool = False


class _LineTransformer:
    """Inline lark callbacks: turn a parsed line into `_Statement`s without building a tree.

    Token columns are 1-based and relative to the line; ``line`` is filled in per call.
    """

    def __init__(self) -> None:
        self.line = 0

    def _span(self, token: Any, text: str | None = None) -> Span:
        text = token.value if text is None else text
        return Span(self.line, token.column, self.line, token.column + len(text))

    def start(self, children: list[Any]) -> list[_Statement]:
        out = []
        for child in children:
            if isinstance(child, _Statement):
                out.append(child)
            else:  # a COMMENT token
                out.append(_Statement("comment", self._span(child), value=str(child)))
        return out

    def section_open(self, children: list[Any]) -> _Statement:
        token = children[0]
        name = token.value[: token.value.rindex("=")].rstrip()
        return _Statement("open", self._span(token), name=name, name_span=self._span(token, name))

    def header(self, children: list[Any]) -> _Statement:
        token = children[0]
        inner = token.value[1:-1]
        lead = len(inner) - len(inner.lstrip())
        name = inner.strip()
        col = token.column + 1 + lead
        name_span = Span(self.line, col, self.line, col + len(name))
        return _Statement("open", self._span(token), name=name, name_span=name_span)

    def section_close(self, children: list[Any]) -> _Statement:
        return _Statement("close", self._span(children[0]))

    def entry(self, children: list[Any]) -> _Statement:
        key = children[0]
        value_token = None
        last = children[-1]
        for child in children[2:]:
            if child.type == "VALUE":
                value_token = child
        key_span = self._span(key)
        eq = children[1]
        if value_token is not None:
            value = value_token.value.rstrip()
            value_span = self._span(value_token, value)
        else:  # empty value: a zero-width span just after the `=`
            value = ""
            col = eq.column + 1
            value_span = Span(self.line, col, self.line, col)
        end = self._span(last).end_column if last.type != "VALUE" else value_span.end_column
        span = Span(self.line, key.column, self.line, end)
        return _Statement("entry", span, name=key.value, name_span=key_span, value=value,
                          value_span=value_span)


class _LineParser:
    """One form's line parser: a fast path built from the grammar's terminals, then lark."""

    def __init__(self, grammar: str) -> None:
        self.transformer = _LineTransformer()
        self.grammar = grammar
        self._lark: Any = None  # loaded on the first line the fast path refuses
        self.form = "brace" if grammar == BRACE_GRAMMAR else "ini"
        term = dict(grammars.terminals(grammar))
        term["KEY"] = _greedy_key(term["KEY"])
        ws = r"[ \t\r\ufeff]*"
        comment = rf"(?P<c>{term['COMMENT']})?"
        if self.form == "brace":
            self.opener = re.compile(term["SECTION_OPEN"])
            self.simple = re.compile(
                rf"{ws}(?:(?P<k>{term['KEY']}){ws}={ws}(?P<v>{term['VALUE']})?;"
                rf"|(?P<o>{term['SECTION_OPEN']})|(?P<r>\}}))?{ws}{comment}{ws}\Z"
            )
        else:
            self.opener = None
            self.simple = re.compile(
                rf"{ws}(?:(?P<k>{term['KEY']}){ws}={ws}(?P<v>{term['VALUE']})?"
                rf"|(?P<o>{term['HEADER']}))?{ws}{comment}{ws}\Z"
            )
        index = self.simple.groupindex
        self.k, self.v, self.o, self.c = index["k"], index["v"], index["o"], index["c"]
        self.r = index.get("r", 0)

    @property
    def lark(self) -> Any:
        if self._lark is None:
            self._lark = grammars.load(self.grammar, transformer=self.transformer)
        return self._lark

    def scan(self, text: str) -> tuple | None:
        """The parts of a line of a common shape, or None to let lark decide: a tuple
        ``(kind, comment column, comment, ...)`` with 1-based columns (ends one past the last
        character), the comment's column 0 when there is none, and after them for an entry
        (kind 1) ``key, key column, key end, value, value column, value end, end``, for a
        section header (kind 2) ``name, column, end, name column, name end``, for a `}`
        (kind 3) ``column, end``; kind 0 is a blank or comment-only line. The reader builds its
        records from these numbers directly (issue 21); :meth:`fast` makes statements of them.
        """
        m = self.simple.match(text)
        if m is None:
            return None
        regs = m.regs  # every group's (start, end) at once: cheaper than a call per group
        at, upto = regs[self.c]
        comment = text[at:upto] if at >= 0 else None
        ccol = at + 1 if at >= 0 else 0
        start, kend = regs[self.k]
        if start >= 0:
            if self.opener is not None and self.opener.match(text, start):
                return None  # `K = {x};` opens a section in the grammar: let lark say so
            vstart, vupto = regs[self.v]
            if vstart >= 0:
                value = text[vstart:vupto].rstrip()
                vcol = vstart + 1
                end = vend = vcol + len(value)
            else:
                value = ""
                vcol = vend = end = text.index("=", kend) + 2
            if self.opener is not None:  # brace form: the entry ends at its `;`
                end = text.index(";", vupto if vstart >= 0 else kend) + 2
            return (1, ccol, comment, text[start:kend], start + 1, kend + 1, value, vcol, vend,
                    end)
        start, upto = regs[self.o]
        if start >= 0:
            token = text[start:upto]
            if self.opener is not None:
                name = token[: token.rindex("=")].rstrip()
                col = start + 1
            else:
                inner = token[1:-1]
                name = inner.strip()
                col = start + 2 + len(inner) - len(inner.lstrip())
            return (2, ccol, comment, name, start + 1, upto + 1, col, col + len(name))
        if self.opener is not None and regs[self.r][0] >= 0:
            return (3, ccol, comment, regs[self.r][0] + 1, regs[self.r][1] + 1)
        return (0, ccol, comment)

    def fast(self, text: str, line: int) -> list[_Statement] | None:
        """Statements of a line of a common shape, or None to let lark decide."""
        shape = self.scan(text)
        if shape is None:
            return None
        return _statements(shape, line)

    def parse(self, text: str, line: int) -> list[_Statement]:
        """Statements of one line; raises lark's UnexpectedInput when it does not parse."""
        fast = self.fast(text, line)
        if fast is not None:
            return fast
        self.transformer.line = line
        return self.lark.parse(text)


def _statements(shape: tuple, line: int) -> list[_Statement]:
    """The statements of a line :meth:`_LineParser.scan` read."""
    out: list[_Statement] = []
    kind, ccol, comment = shape[0], shape[1], shape[2]
    if kind == 1:
        key, kcol, kend, value, vcol, vend, end = shape[3:]
        out.append(_Statement("entry", Span(line, kcol, line, end), name=key,
                              name_span=Span(line, kcol, line, kend), value=value,
                              value_span=Span(line, vcol, line, vend)))
    elif kind == 2:
        name, col, end, ncol, nend = shape[3:]
        out.append(_Statement("open", Span(line, col, line, end), name=name,
                              name_span=Span(line, ncol, line, nend)))
    elif kind == 3:
        out.append(_Statement("close", Span(line, shape[3], line, shape[4])))
    if comment is not None:
        out.append(_Statement("comment", Span(line, ccol, line, ccol + len(comment)),
                              value=comment))
    return out


def _greedy_key(pattern: str) -> str:
    r"""The grammar's KEY terminal, ``F[^S]*?(?<![ \t])(?=[ \t]*=)`` (a first character, then the
    shortest run of characters not in S that does not end in a blank and is followed by blanks
    and `=`), written greedily as ``F(?:[^S]*[^S \t])?(?=[ \t]*=)`` for the fast path: with `=`
    in S, only one end satisfies both conditions (where the blanks before the first stop
    character begin, when that character is `=`), so both forms match the same text, and the
    greedy one does not try the look-arounds at every character (a third of the line match's
    cost). Any other shape of the terminal is used as it is."""
    text = pattern.replace("\t", r"\t")
    tail = r"*?(?<![ \t])(?=[ \t]*=)"
    head = text[: -len(tail)]
    at = head.rfind("[^")
    if not text.endswith(tail) or at <= 0 or not head.endswith("]"):
        return pattern
    first, stop = head[:at], head[at + 2:-1]
    if "=" not in stop or "]" in stop or "[" in stop:
        return pattern
    return rf"{first}(?:[^{stop}]*[^{stop} \t])?(?=[ \t]*=)"


@cache
def _parser(form: str) -> _LineParser:
    return _LineParser(BRACE_GRAMMAR if form == "brace" else INI_GRAMMAR)


def split_lines(text: str) -> list[str]:
    """Physical lines, whatever the line ending (LF, CRLF or a lone CR)."""
    # (without a CR, the one ending is LF: str.split is several times cheaper than re.split)
    lines = text.split("\n") if "\r" not in text else re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


_OPENS = re.compile(r"=\s*\{(?!\{)\s*$")


def sniff_form(text: str) -> str | None:
    """``"brace"`` or ``"ini"`` from the content, or None when it looks like neither."""
    brace = ini = 0
    for raw in text[:65536].splitlines()[:400]:
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and "]" in line:
            ini += 1
        elif ("{" in line and _OPENS.search(line)) or line == "}":
            brace += 1
        elif line.endswith(";"):
            brace += 1
    if brace == ini == 0:
        return None
    return "brace" if brace >= ini else "ini"


@record(frozen=False)
class _Open:
    name: str
    header_span: Span
    name_span: Span
    entries: list[Entry] = opt(factory=list)
    branch: tuple[tuple[int, int], ...] = ()

    def freeze(self) -> Section:
        return Section(self.name, self.header_span, self.name_span, tuple(self.entries),
                       self.branch)


def read_config(path: str, text: str, form: str | None = None,
                branch_of: list | None = None, fragment: bool = False) -> ClientConfig:
    """Parse ``text`` (already decoded) as a client configuration of ``form``.

    ``form`` is ``"brace"`` or ``"ini"``; when None it is sniffed from the content.
    ``branch_of`` gives the branch path of each line (a host's, for an embedded part whose
    lines are the host's); by default the file's own template conditionals decide it.
    ``fragment``: the text shows a file with lines left out (`...` in a runbook): where a
    section opens or closes may be among them, so the structure is not checked (a line that
    does not parse still is), and the configuration is partial.
    """
    form = form or sniff_form(text) or "brace"
    parser = _parser(form)
    lines = split_lines(text)
    has_template = template.has_template_syntax(text)
    if branch_of is None:
        branch_of = []
        if has_template:  # (the branch tracker is not needed otherwise)
            from lunalint.readers import branches as branching

            branch_of = branching.template_paths(lines)
    sections: list[Section] = []
    problems: list[SyntaxProblem] = []
    comments: list[tuple[Span, str]] = []
    templates: list[Span] = []
    current: _Open | None = None
    region = 0  # which stretch between section headers problems with no open section are in

    def problem(found: SyntaxProblem, follows: bool = False) -> None:
        if current is None:
            found = SyntaxProblem(found.span, found.message, region, follows)
        problems.append(found)

    def close() -> None:
        nonlocal current
        if current is not None:
            sections.append(current.freeze())
            current = None

    syntaxes: dict[str, None] = {}
    open_lines: list[int] = []
    loop_lines: list[int] = []
    blocks: list[tuple[str, int]] = []  # open template blocks, innermost last: (kind, line)
    loop_regions: list[tuple[int, int]] = []

    # No template token anywhere (the common case): no line has a placeholder or a template
    # directive, so the per-line template checks are skipped (one search of the whole text).
    templated = has_template or "[%" in text
    code_until: str | None = None  # inside a template tag spanning lines: its closer
    nb = len(branch_of)
    scan = parser.scan

    def place(statements: list[_Statement], number: int, in_loop: bool) -> None:
        nonlocal current, region
        for st in statements:
            if st.kind == "comment":
                comments.append((st.span, st.value))
            elif st.kind == "open":
                if current is not None and form == "brace" and not fragment:
                    problems.append(SyntaxProblem(st.span, (
                        f"expected `}}` to close section `{current.name}` (opened on line "
                        f"{current.header_span.line}) before section `{st.name}` starts")))
                close()
                assert st.name_span is not None
                current = _Open(st.name, st.span, st.name_span,
                                branch=branch_of[number - 1] if number <= nb else ())
                region += 1
            elif st.kind == "close":
                if current is None and not fragment:
                    problem(SyntaxProblem(st.span, "unexpected `}`: no section is open here"),
                            follows=True)
                    region += 1  # the `}` ends the broken stretch; what follows is another
                close()
            else:
                assert st.name_span is not None and st.value_span is not None
                entry = Entry(st.name, st.value, st.name_span, st.value_span, st.span,
                              st.templated_key, st.templated_value, in_loop,
                              branch_of[number - 1] if number <= nb else ())
                if current is None and fragment:
                    pass  # its section header is among the lines left out
                elif current is None:
                    where = "`Name = { ... }`" if form == "brace" else "a `[Name]` section"
                    problem(SyntaxProblem(st.name_span, (
                        f"entry `{st.name}` is outside any section; expected it inside {where}"
                    )), follows=True)
                else:
                    current.entries.append(entry)

    for number, line in enumerate(lines, start=1):
        if not templated:
            # The common shapes, read by one match: entries are built from its numbers (their
            # spans made only when read); only other lines take the general way below.
            shape = scan(line)
            if shape is not None:
                kind, ccol, comment = shape[0], shape[1], shape[2]
                if kind == 1 and (current is not None or fragment):
                    if current is not None:
                        current.entries.append(entry_at(
                            shape[3], shape[6],
                            (number, shape[4], shape[5], shape[7], shape[8], shape[9]),
                            branch_of[number - 1] if number <= nb else ()))
                elif kind:
                    place(_statements(shape, number), number, False)
                    continue
                if comment is not None:
                    comments.append((Span(number, ccol, number, ccol + len(comment)), comment))
                continue
        if code_until is not None:  # template code (`<%` … `%>` over lines), not entries
            templates.append(Span(number, 1, number, len(line) + 1))
            if code_until in line:
                code_until = None
            continue
        opened = _TAG_OPEN.match(line) if templated else None
        if opened is not None and _TAG_CLOSE[opened.group("tag")[:2]] not in line:
            code_until = _TAG_CLOSE[opened.group("tag")[:2]]
            templates.append(Span(number, 1, number, len(line) + 1))
            syntaxes.setdefault("ERB" if code_until == "%>" else "Jinja2/Go/Helm")
            continue
        found = template.placeholders(line) if templated else []
        for start, end, syntax in found:
            templates.append(Span(number, start + 1, number, end + 1))
            syntaxes.setdefault(syntax)
        if found:
            ctl = template.control(line)
            if ctl is not None:  # structure, not an entry
                if ctl.action in ("loop", "block"):
                    blocks.append((ctl.action, number))
                    if ctl.action == "loop":
                        loop_lines.append(number)
                elif ctl.action == "end" and blocks:
                    action, start = blocks.pop()
                    if action == "loop":
                        loop_regions.append((start, number))
                continue
            if template.alone(line):
                open_lines.append(number)
                continue
        elif templated and _TEMPLATE_DIRECTIVE.match(line):
            continue
        parsed = template.mask(line, found)
        try:
            statements = parser.parse(parsed, number)
        except Exception as error:  # lark's UnexpectedInput, or anything a bad line provokes
            semi = _CLOSE_SEMI.match(parsed) if form == "brace" else None
            if semi is not None:
                # `};` (seen in a vendor guide): one finding here; the `}` still closes the
                # section, so the end of the file does not say it was never closed.
                at = semi.start("semi")
                problem(SyntaxProblem(Span(number, at + 1, number, at + 2), (
                    "a section ends with `}` alone: remove the `;` after it")), follows=True)
                close()
                continue
            broken, statements = _explain(parser, form, parsed, number, error)
            if found:
                broken = records.replace(broken, message=_unfill(broken.message))
            if form == "ini" and not statements and line.lstrip().startswith("["):
                # A broken `[Name` header: the entries below belong to the section it meant
                # to open, not to the one before it; they are left outside any section.
                close()
            # A lone `{` after a header that lost it is part of the same fault.
            problem(broken, follows=form == "brace" and line.strip() == "{")
        if found:
            statements = [_restore(st, line, found) for st in statements]
        place(statements, number, any(action == "loop" for action, _ in blocks))
    if current is not None and form == "brace" and not fragment:
        last = len(lines)
        end = len(lines[-1]) + 1 if lines else 1
        problems.append(SyntaxProblem(Span(max(last, 1), end, max(last, 1), end), (
            f"expected `}}` to close section `{current.name}` (opened on line "
            f"{current.header_span.line}) before the end of the file")))
    close()
    loop_regions += [(start, max(len(lines), start)) for action, start in blocks
                     if action == "loop"]  # never closed: to the end of the file
    ending = re.search(r"\r\n|\r|\n", text)
    return ClientConfig(path=path, lines=tuple(lines), problems=tuple(problems), form=form,
                        sections=tuple(sections), comments=tuple(comments),
                        template_spans=tuple(templates), template_syntaxes=tuple(syntaxes),
                        open_lines=tuple(open_lines), loop_lines=tuple(loop_lines),
                        newline=ending.group() if ending else "\n",
                        loop_regions=tuple(sorted(loop_regions)))


def _unfill(message: str) -> str:
    return re.sub(f"{template.FILL}+", "<placeholder>", message)


def _restore(st: _Statement, line: str, found: list[tuple[int, int, str]]) -> _Statement:
    """``st`` parsed from the masked line, with its texts taken from the real line and the
    parts that hold a placeholder marked."""
    def text(span: Span | None) -> str:
        return line[span.column - 1:span.end_column - 1] if span is not None else ""

    def holds(span: Span | None) -> bool:
        return span is not None and any(start < span.end_column - 1 and end > span.column - 1
                                        for start, end, _ in found)

    if st.kind == "comment":
        st.value = text(st.span)
        return st
    if st.name_span is not None:
        st.name = text(st.name_span)
        st.templated_key = holds(st.name_span)
    if st.kind == "entry" and st.value_span is not None:
        st.value = text(st.value_span)
        st.templated_value = holds(st.value_span)
    return st


def _explain(parser: _LineParser, form: str, line: str, number: int,
             error: Exception) -> tuple[SyntaxProblem, list[_Statement]]:
    """A plain-words problem for a line that did not parse, and what could still be kept."""
    column = getattr(error, "column", None)
    if not isinstance(column, int) or column < 1:
        column = len(line) + 1
    token = getattr(error, "token", None)
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    kept: list[_Statement] = []
    at = column - 1
    if token is not None and token.type == "$END":
        at = len(line.rstrip(" \t\r"))
        column = at + 1
    span = Span(number, column, number, column + (1 if at < len(line) else 0))
    rest = line[at:].strip()
    if _SECRET_KEY.search(line):
        found = "found something else"  # never echo what may be a password
    else:
        found = f"found `{_shorten(rest)}`" if rest else "found the end of the line"
    if expected == {"SEMI"} and form == "brace":
        key = _last_key(line[:at])
        message = f"expected `;` after the value of `{key}`" if key else "expected `;`"
        try:  # keep the entry, so that rules do not also report it as missing
            kept = [_clamp(st, len(line)) for st in parser.parse(line[:at] + ";", number)]
        except Exception:
            kept = []
        return SyntaxProblem(span, message), kept
    stripped = line[at:].lstrip()
    if form == "ini" and stripped.startswith("[") and "]" not in stripped:
        return SyntaxProblem(span, "expected `]` to close the section name"), kept
    word = re.match(r"[A-Za-z0-9_.\-]+", stripped)
    if word and "=" not in stripped and not stripped.startswith(("[", "}", "{")) \
            and not _SECRET_KEY.search(line):
        tail = stripped[word.end():].strip()
        if tail:
            message = f"expected `=` between the key `{word.group()}` and its value"
        else:
            message = f"expected `=` and a value after `{word.group()}`"
        return SyntaxProblem(span, message), kept
    if expected:
        words = sorted({_WORDS.get(name, name) for name in expected if name in _WORDS})
        if words:
            choice = ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]
            return SyntaxProblem(span, f"expected {choice}, {found}"), kept
    if form == "brace":
        what = "a section header `Name = {`, an entry `Key = value;`, `}` or a comment"
    else:
        what = "a section header `[Name]`, an entry `Key=value` or a comment"
    return SyntaxProblem(span, f"expected {what}, {found}"), kept


def _clamp(st: _Statement, length: int) -> _Statement:
    """``st`` with its span ending within the real line (not on the `;` added to recover it)."""
    if st.span.end_column > length + 1:
        st.span = Span(st.span.line, st.span.column, st.span.end_line, length + 1)
    return st


def _last_key(before: str) -> str | None:
    """The key of the last ``key = value`` in ``before``: the text between the last ``=`` (when
    no ``=;{}`` follows it) and the ``=;{}`` before that, trimmed. Found by scanning, not by a
    regular expression search (which took cubic time on a line with a long run of blanks)."""
    eq = before.rfind("=")
    if eq < 0 or any(ch in before[eq + 1:] for ch in ";{}"):
        return None
    start = max(before.rfind(ch, 0, eq) for ch in "=;{}") + 1
    key = before[start:eq]
    return key.strip() if key else None


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def config_from_calls(path: str, lines: list[str], calls, settings=(),
                      branch_of: list | None = None) -> ClientConfig:
    """A partial configuration from `configurator setValue` calls (``calls`` are
    :class:`lunalint.readers.embedded.SetValue`), each call one entry at its host position,
    and from the LunaCM / `vtl` commands that set a client setting (``settings``, from
    :func:`lunalint.readers.commands.read`: `hagroup haonly -enable` is `HAOnly = 1`)."""
    sections: dict[str, _Open] = {}
    for section, key, value, key_word, value_word, span in settings:
        open_ = sections.get(section.casefold())
        if open_ is None:
            open_ = sections[section.casefold()] = _Open(section, span, span)
        open_.entries.append(Entry(key, value, key_word.span, value_word.span, span))
    for call in calls:
        line = call.line
        name_span = Span(line, call.section_at[0] + 1, line, call.section_at[1] + 1)
        key_span = Span(line, call.key_at[0] + 1, line, call.key_at[1] + 1)
        value_span = Span(line, call.value_at[0] + 1, line, call.value_at[1] + 1)
        span = Span(line, call.call[0] + 1, line, call.call[1] + 1)
        found = template.placeholders(call.value)
        open_ = sections.get(call.section.casefold())
        if open_ is None:
            open_ = sections[call.section.casefold()] = _Open(call.section, name_span, name_span)
        branch = branch_of[line - 1] if branch_of and line <= len(branch_of) else ()
        open_.entries.append(Entry(call.key, call.value, key_span, value_span, span,
                                   bool(template.placeholders(call.key)), bool(found), False,
                                   branch))
    templates = tuple(Span(c.line, c.value_at[0] + s + 1, c.line, c.value_at[0] + e + 1)
                      for c in calls for s, e, _ in template.placeholders(c.value))
    comments = tuple((Span(n, line.index("#") + 1, n, len(line) + 1), line[line.index("#"):])
                     for n, line in enumerate(lines, start=1)
                     if line.lstrip().startswith("#") and "lunalint" in line)
    calls_on = {c.line for c in calls} | {span.line for span, _ in comments} \
        | {n for *_, span in settings for n in (span.line, span.end_line)}
    # Only the call lines belong to this configuration (a host's other lines are not its own).
    own = tuple(line if n in calls_on else "" for n, line in enumerate(lines, start=1))
    return ClientConfig(path=path, lines=own, problems=(), form="brace",
                        sections=tuple(o.freeze() for o in sections.values()),
                        comments=comments, template_spans=templates,
                        template_syntaxes=tuple(dict.fromkeys(
                            name for c in calls for _, _, name in template.placeholders(c.value))),
                        partial=True)
