"""Read a LunaCM / LunaSH capture into an :class:`~lunalint.model.export.Export`.

The capture is read one physical line at a time. Each line is first cleaned of terminal colour
codes (the model's columns still refer to the original line) and then matched against the line
shapes of ``grammar/export.lark`` — by regular expressions assembled from the grammar's own
terminals, and by the lark parser for the few lines that fail them, which says where and why a
line is broken. Around that, a small state machine keeps what the session was doing: the
command running, the block of its output that is open (a slot block, a policy list, a table),
and the current slot.

What is read, whatever command printed it (LunaCM accepts abbreviated commands, so blocks are
recognised by their content, not by the command's name):

* the banner (client version), prompts (``lunacm:>``, ``lunash:>``, ``[host] lunash:>``) and
  ``Command Result :`` lines;
* slot blocks (``Slot Id -> N`` and the ``Field -> value`` lines under it) and
  ``Current Slot Id: N`` lines; ``slot set -slot N`` when its output was elided;
* ``Partition/HSM Capabilities`` and ``Partition/HSM Policies`` lists;
* LunaSH policy tables (``Description Value Code Destructive``) and capability tables
  (``Description Value``), ``hsm show`` fields, ``hagroup listgroups`` fields and member tables.

Anything else is opaque output: kept in ``lines``, never an error. A line is a syntax problem
only when a recognised block expects a shape and the line starts that shape but breaks it (a
policy line without its value, a table row with a missing cell, ``Slot Id -> x``).
Markdown fences (```` ``` ````), blank lines and elisions (``...``, ``[OUTPUT OMITTED]``) are
allowed anywhere; an elision marks the output it interrupts as incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lunalint import grammars
from lunalint.model.base import (MAX_DIGITS, Span, SyntaxProblem, ascii_hex, ascii_int,
                                 number_trouble, show_char, split_items)
from lunalint.model.export import (Banner, Command, CommandResult, Export, Field, HaGroupStatus,
                                   HaMember, HsmInfo, HsmPolicies, HsmPolicy, PolicySet,
                                   PolicyValue, SerialRef, Slot)
from lunalint.versions import Version

GRAMMAR = "export.lark"
SHAPES = ("banner_line", "prompt_line", "result_line", "arrow_line", "policy_line", "field_line",
          "hsm_policy_row", "capability_row", "member_row")

_WS = r"[ \t\r\ufeff]*"
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()][0-9A-Za-z]"
                   r"|[@-Z\\-_])")
_FENCE = re.compile(r"[ \t]*(?:```|~~~)[\w+.-]*[ \t]*\Z")
_ELISION = re.compile(
    r"[ \t]*(?:\.{3,}|…|\[[ \t]*(?:output[ \t]+omitted|\.\.\.|…|snip(?:ped)?|truncated|elided)"
    r"[^\]]*\]|<[ \t]*(?:snip|output omitted)[^>]*>)[ \t]*\Z", re.IGNORECASE)
# The lines that open a block or set the slot, as one expression (one match per line).
_MARKER = re.compile(
    r"[ \t]*(?:(?P<heading>(?P<scope>Partition|HSM)[ \t]+(?P<section>Capabilities|Policies)"
    r"[ \t]*:?[ \t]*\Z)"
    r"|Current Slot Id[ \t]*:[ \t]*(?P<current>\w+)"  # checked below
    r"|Description[ \t]+Value[ \t]+(?P<sh_policy>Code\b)"
    r"|Description[ \t]+(?P<sh_cap>Value)[ \t]*\Z"
    r"|Slot[ \t]*#[ \t]+Member[ \t]+(?P<members>S/?N\b))", re.IGNORECASE)
_TABLE_RULE = re.compile(r"[ \t]*=+(?:[ \t]+=+)*[ \t]*\Z")
# Where a policy line starts: `N:`. Any character ``str.isdigit`` takes counts here (other
# scripts' digits, superscripts), so that `²: …` or `١: …` inside a policy list is reported as a
# broken policy line instead of silently ending the list.
_POLICY_START = re.compile(r"[ \t]*(\w+)[ \t]*:")
_AUTH = re.compile(r"\((PW|PED)\)|\b(PW|PED)\b")
_CODE = re.compile(r"(0[xX][0-9A-Fa-f]+|[0-9]+)(?![\w.])[ \t]*")
_CKR = re.compile(r"\bCKR_\w+")

_WORDS = {
    "POLICY_NUMBER": "a policy number",
    "POLICY_NAME": "a policy name followed by ` : ` and an integer value",
    "POLICY_VALUE": "an integer value",
    "COLON": "`:`",
    "CELL_DESCRIPTION": "a row `Description  Value  Code  Destructive`",
    "CELL_TEXT": "a row `Description  Value`",
    "CELL_VALUE": "a value",
    "CELL_CODE": "a numeric policy code",
    "CELL_FLAG": "`Yes` or `No`",
    "MEMBER_SLOT": "a slot number",
    "MEMBER_SERIAL": "a member serial number",
    "MEMBER_LABEL": "a member label",
    "MEMBER_STATUS": "a member status",
    "ARROW_KEY": "a field name",
    "ARROW": "`->`",
    "$END": "the end of the line",
}
_ROW_WHAT = {
    "policy_line": "policy line `N: name : value`",
    "hsm_policy_row": "policy table row `Description  Value  Code  Destructive`",
    "capability_row": "capability table row `Description  Value`",
    "member_row": "member table row `Slot #  Member S/N  Member Label  Status`",
}


class _Tokens:
    """Inline lark callbacks: each line shape becomes ``{terminal: (text, start, end)}``.

    Offsets are 0-based within the cleaned line; a repeated terminal gets ``NAME#2``.
    """

    def _collect(self, children: list[Any]) -> dict[str, tuple[str, int, int]]:
        out: dict[str, tuple[str, int, int]] = {}
        for token in children:
            name = token.type
            while name in out:
                name = f"{token.type}#{name.count('#') + 2}"
            start = token.start_pos or 0
            out[name] = (str(token), start, start + len(token))
        return out

    def __getattr__(self, name: str) -> Any:
        if name in SHAPES:
            return self._collect
        raise AttributeError(name)


class _Shape:
    """One line shape: its lark parser and the regular expression built from its terminals."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lark = grammars.load(GRAMMAR, start=name, transformer=_Tokens())
        patterns = {t.name: t.pattern.to_regexp() for t in self.lark.terminals}
        expansions = [[s.name for s in r.expansion] for r in self.lark.rules
                      if r.origin.name == name]
        longest = max(expansions, key=len)
        always = set.intersection(*(set(e) for e in expansions))
        parts = []
        self.groups: list[str] = []
        for i, term in enumerate(longest):
            label = term if term not in longest[:i] else f"{term}#{longest[:i].count(term) + 1}"
            group = f"g{i}"
            self.groups.append(label)
            piece = f"{_WS}(?P<{group}>{patterns[term]})"
            parts.append(piece if term in always else f"(?:{piece})?")
        self.regex = re.compile("".join(parts) + rf"{_WS}\Z")
        self.indexes = [(label, self.regex.groupindex[f"g{i}"])
                        for i, label in enumerate(self.groups)]
        self.at = dict(self.indexes)  # label → group number

    def match(self, text: str) -> dict[str, tuple[str, int, int]] | None:
        m = self.regex.match(text)
        if m is None:
            return None
        regs = m.regs  # every group's (start, end) at once
        out = {}
        for label, index in self.indexes:
            start, end = regs[index]
            if start >= 0:
                out[label] = (text[start:end], start, end)
        return out

    def parse(self, text: str) -> dict[str, tuple[str, int, int]]:
        """Like :meth:`match`, but through lark; raises lark's errors when the line is broken."""
        return self.lark.parse(text)


@cache
def shape(name: str) -> _Shape:
    return _Shape(name)


class _Line:
    """One physical line: its text without colour codes, and how to map columns back."""

    __slots__ = ("number", "raw", "text", "cols", "_whole")

    def __init__(self, number: int, raw: str) -> None:
        self.number = number
        self.raw = raw
        self.cols: list[int] | None = None
        self._whole: Span | None = None
        if "\x1b" in raw:
            kept: list[int] = []
            pieces: list[str] = []
            at = 0
            for m in _ANSI.finditer(raw):
                pieces.append(raw[at:m.start()])
                kept.extend(range(at, m.start()))
                at = m.end()
            pieces.append(raw[at:])
            kept.extend(range(at, len(raw)))
            self.text = "".join(pieces)
            self.cols = kept
        else:
            self.text = raw

    def col(self, offset: int) -> int:
        """1-based column in the original line of 0-based ``offset`` in the cleaned text."""
        if self.cols is None:
            return offset + 1
        if offset < len(self.cols):
            return self.cols[offset] + 1
        return len(self.raw) + 1

    def span(self, start: int, end: int) -> Span:
        if self.cols is None:  # no colour codes: columns are offsets + 1 (no call per end)
            n = self.number
            return Span(n, start + 1, n, (end if end > start else start) + 1)
        if end <= start:
            c = self.col(start)
            return Span(self.number, c, self.number, c)
        return Span(self.number, self.col(start), self.number, self.col(end - 1) + 1)

    def token_span(self, token: tuple[str, int, int], strip: bool = True) -> Span:
        text, start, end = token
        if strip:
            end = start + len(text.rstrip())
        return self.span(start, end)

    def whole(self) -> Span:
        """The line without its indentation and trailing blanks (made once per line)."""
        found = self._whole
        if found is None:
            text = self.text
            start = len(text) - len(text.lstrip())
            found = self._whole = self.span(start, len(text.rstrip()))
        return found


@dataclass
class _SlotDraft:
    fields: list[Field] = field(default_factory=list)
    first: Span | None = None
    last: Span | None = None
    slot_id: int | None = None


@dataclass
class _PolicyDraft:
    scope: str  # "partition" | "hsm"
    capabilities: list[PolicyValue] = field(default_factory=list)
    policies: list[PolicyValue] = field(default_factory=list)
    first: Span | None = None
    last: Span | None = None
    section: str = "policies"


@dataclass
class _GroupDraft:
    fields: list[Field] = field(default_factory=list)
    members: list[HaMember] = field(default_factory=list)
    first: Span | None = None
    last: Span | None = None


@dataclass
class _Output:
    """What one command (or the text before the first prompt) printed, while it is read."""

    command: int | None
    tool: str
    slot_id: int | None
    slot: Slot | None  # the slot as listed when the command ran
    fields: list[Field] = field(default_factory=list)
    policies: list[_PolicyDraft] = field(default_factory=list)
    hsm_fields: list[Field] = field(default_factory=list)
    hsm_caps: list[HsmPolicy] = field(default_factory=list)
    hsm_pols: list[HsmPolicy] = field(default_factory=list)
    ha_settings: list[Field] = field(default_factory=list)
    groups: list[_GroupDraft] = field(default_factory=list)
    first_line: _Line | None = None
    last_line: _Line | None = None
    elided: bool = False
    block: str | None = None  # "slot" | "policy" | "sh_policy" | "sh_cap" | "members"

    def touch(self, line: _Line) -> None:
        self.first_line = self.first_line or line
        self.last_line = line

    def output_span(self) -> Span | None:
        if self.first_line is None or self.last_line is None:
            return None
        return self.first_line.whole().merge(self.last_line.whole())


@dataclass
class _PendingCommand:
    index: int
    tool: str
    host: str | None
    text: str
    words: tuple[str, ...]
    span: Span
    line_span: Span
    slot_id: int | None
    slot: Slot | None
    result: CommandResult | None = None
    output_first: Span | None = None
    output_last: Span | None = None
    fields: tuple[Field, ...] = ()
    elided: bool = False


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = _split_lines(text)
        self.problems: list[SyntaxProblem] = []
        self.banner: Banner | None = None
        self.commands: list[_PendingCommand] = []
        self.slots: list[Slot] = []
        self.known: dict[int, Slot] = {}
        self.by_label: dict[str, int] = {}  # label → id of the last slot listed with it
        self.strings: dict[str, str] = {}  # one copy of each repeated name (memory)
        self.current_slot: int | None = None
        self.policy_sets: list[tuple[_PolicyDraft, _Output]] = []
        self.hsm_policies: list[HsmPolicies] = []
        self.hsms: list[HsmInfo] = []
        self.groups: list[HaGroupStatus] = []
        self.elisions: list[Span] = []
        self.preamble_fields: list[Field] = []
        self.slot_draft: _SlotDraft | None = None
        self.output = _Output(None, "lunacm", None, None)
        self.pending_slot_set: int | None = None
        self.saw_current_slot = False

    # -- driving -------------------------------------------------------------------------

    def read(self) -> Export:
        for number, raw in enumerate(self.lines, start=1):
            self.line(_Line(number, raw))
        self.finish_output()
        return self.build()

    def line(self, line: _Line) -> None:
        text = line.text
        stripped = text.strip()
        if not stripped or (text.lstrip()[:1] in "`~" and _FENCE.match(text)):
            self.end_block()
            return
        if stripped[:1] in ".…[<" and _ELISION.match(text):
            self.elisions.append(line.whole())
            self.output.elided = True
            return
        if ":>" in text:
            m = shape("prompt_line").match(text)
            if m is not None:
                self.prompt(line, m)
                return
        if "esult" in text:
            m = shape("result_line").match(text)
            if m is not None:
                self.result(line, m)
                return
        if self.banner is None and not self.commands and "v" in text.lower():
            m = shape("banner_line").match(text)
            if m is not None:
                self.read_banner(line, m)
                return
        self.output.touch(line)
        self.output_line(line, text)

    def output_line(self, line: _Line, text: str) -> None:
        out = self.output
        block = out.block
        if block == "policy":
            if self.policy_row(line, text):
                return
            self.end_block()
        elif block in ("sh_policy", "sh_cap"):
            if _TABLE_RULE.match(text) or self.sh_row(line, text, block):
                return
            self.end_block()
        elif block == "members":
            if _TABLE_RULE.match(text) or self.member_row(line, text):
                return
            self.end_block()
        marker = _MARKER.match(text) if text[:1] in " \tPHCDSphcds" else None
        if marker is not None:
            if marker.group("heading"):
                self.heading(line, marker.group("scope").lower(), marker.group("section").lower())
                return
            if marker.group("current") and not marker.group("current").isdigit():
                marker = None  # `Current Slot Id: none`: an ordinary field
        if marker is not None:
            if marker.group("current"):
                self.end_block()
                raw = marker.group("current")
                self.current_slot = ascii_int(raw)
                self.saw_current_slot = True
                if self.current_slot is None:  # the slot is unknown from here on
                    start = marker.start("current")
                    self.problems.append(SyntaxProblem(line.span(start, marker.end("current")), (
                        f"expected a slot number after `Current Slot Id:`, found "
                        f"`{_shorten(raw)}`: {number_trouble(raw)}")))
                return
            self.end_block()
            out.block = next(k for k in ("sh_policy", "sh_cap", "members") if marker.group(k))
            if out.block == "members" and not out.groups:
                out.groups.append(_GroupDraft())
            return
        if "->" in text:
            m = shape("arrow_line").match(text)
            if m is not None:
                self.arrow(line, m)
                return
        if block == "slot":
            self.end_block()
        if ":" in text:
            m = shape("field_line").match(text)
            if m is not None:
                self.colon_field(line, m)
                return

    # -- prompts, results, banner ----------------------------------------------------------

    def prompt(self, line: _Line, m: dict[str, tuple[str, int, int]]) -> None:
        self.finish_output()
        prompt_text = m["PROMPT"][0]
        tool = "lunash" if "lunash" in prompt_text.lower() else "lunacm"
        host_m = re.match(r"\[([^\]]*)\]", prompt_text)
        host = host_m.group(1).strip() if host_m else None
        command = m.get("COMMAND")
        if command is not None:
            text = command[0].strip()
            span = line.token_span(command)
        else:
            text = ""
            span = line.token_span(m["PROMPT"])
        words = tuple(text.split())
        slot_id = self.current_slot
        name = " ".join(w.lower() for w in words[:2])
        option = _option(words, "-slot", "-s") if words else None
        option_slot = ascii_int(option) if option is not None else None
        if name != "slot set" and option_slot is not None:
            slot_id = option_slot  # `-slot N` on the command itself (inferred)
        index = len(self.commands)
        slot = self.known.get(slot_id) if slot_id is not None else None
        self.commands.append(_PendingCommand(index, tool, host, text, words, span, line.whole(),
                                             slot_id, slot))
        self.output = _Output(index, tool, slot_id, slot)
        self.pending_slot_set = None
        self.saw_current_slot = False
        if name == "slot set":
            if option_slot is not None:
                self.pending_slot_set = option_slot
            elif option is None:
                label = _option(words, "-label", "-l")
                if label is not None:
                    self.pending_slot_set = self.by_label.get(label)

    def result(self, line: _Line, m: dict[str, tuple[str, int, int]]) -> None:
        self.end_block()
        value = m.get("RESULT_TEXT")
        if value is not None:
            text = value[0].strip()
            value_span = line.token_span(value)
        else:
            text = ""
            end = m["COLON"][2]
            value_span = line.span(end, end)
        code, name = _result_code(text)
        result = CommandResult(text, code, name, line.whole(), value_span)
        if self.commands and self.output.command is not None:
            pending = self.commands[self.output.command]
            if pending.result is None:
                pending.result = result
                pending.output_last = line.whole()
        if self.pending_slot_set is not None and not self.saw_current_slot \
                and result.ok is not False:
            self.current_slot = self.pending_slot_set
        self.pending_slot_set = None

    def read_banner(self, line: _Line, m: dict[str, tuple[str, int, int]]) -> None:
        version_token = m["VERSION"]
        version = Version.parse(version_token[0])
        self.banner = Banner(line.text.strip(), version, line.whole(),
                             line.token_span(version_token))

    # -- blocks -------------------------------------------------------------------------------

    def end_block(self) -> None:
        out = self.output
        if out.block == "slot":
            self.finish_slot()
        out.block = None

    def arrow(self, line: _Line, m: dict[str, tuple[str, int, int]]) -> None:
        out = self.output
        f = _field(line, m, "ARROW_KEY", "ARROW_VALUE", "ARROW", self.text)
        key, value, value_span = f.key, f.value, f.value_span
        if key.casefold() == "slot id":
            self.end_block()
            slot_id = ascii_int(value)
            if slot_id is None:
                why = number_trouble(value)
                self.problems.append(SyntaxProblem(value_span if value else f.key_span, (
                    f"expected a slot number after `Slot Id ->`, found `{_shorten(value)}`"
                    + (f": {why}" if why else "")
                    if value else "expected a slot number after `Slot Id ->`")))
                out.fields.append(f)
                return
            self.slot_draft = _SlotDraft([f], line.whole(), line.whole(), slot_id)
            out.block = "slot"
            return
        if out.block == "slot" and self.slot_draft is not None:
            self.slot_draft.fields.append(f)
            self.slot_draft.last = line.whole()
            return
        out.fields.append(f)

    def finish_slot(self) -> None:
        draft = self.slot_draft
        self.slot_draft = None
        if draft is None or draft.slot_id is None or draft.first is None or draft.last is None:
            return
        fields = tuple(draft.fields)
        config = _last(fields, "Configuration", "HSM Configuration")
        auth = auth_span = None
        if config is not None:
            a = _AUTH.search(config.value)
            if a is not None:
                auth = a.group(1) or a.group(2)
                offset = a.start(1) if a.group(1) else a.start(2)
                vs = config.value_span
                auth_span = Span(vs.line, vs.column + offset, vs.line,
                                 vs.column + offset + len(auth))
        model = _last(fields, "Model", "HSM Model")
        status = _last(fields, "HSM Status", "Status")
        virtual = bool(
            (model is not None and "virtual" in model.value.lower())
            or (status is not None and "ha group" in status.value.lower())
            or (config is not None and "virtual" in config.value.lower()))
        slot = Slot(draft.slot_id, fields, draft.first.merge(draft.last), virtual, auth,
                    auth_span, self.output.command)
        self.slots.append(slot)
        self.known[slot.slot_id] = slot
        label = slot.label
        if label is not None:
            self.by_label[label] = slot.slot_id

    def heading(self, line: _Line, scope: str, section: str) -> None:
        out = self.output
        self.end_block()
        draft = out.policies[-1] if out.policies else None
        has_section = draft is not None and bool(
            draft.capabilities if section == "capabilities" else draft.policies)
        later_section = (draft is not None and section == "capabilities" and bool(draft.policies))
        if draft is None or draft.scope != scope or has_section or later_section:
            draft = _PolicyDraft(scope)
            out.policies.append(draft)
        draft.section = section
        draft.first = draft.first or line.whole()
        draft.last = line.whole()
        out.block = "policy"

    def policy_row(self, line: _Line, text: str) -> bool:
        """Read a policy line of the open list; False when the line is not one (list ends)."""
        policy = shape("policy_line")
        m = policy.regex.match(text)
        if m is not None:  # the common case: the tokens straight from the match (issue 21)
            regs, at = m.regs, policy.at
            a, b = regs[at["POLICY_NUMBER"]]
            number_token = (text[a:b], a, b)
            a, b = regs[at["POLICY_VALUE"]]
            value_token = (text[a:b], a, b)
            a, b = regs[at["POLICY_NAME"]]
            name = text[a:b]
            a, b = regs[at["POLICY_TRAIL"]]
            trail = text[a:b] if a >= 0 else None
        else:
            start = _POLICY_START.match(text)
            if start is None or not start.group(1).isdigit():
                return False
            tokens = self.fallback(line, "policy_line")
            if tokens is None:
                return True
            number_token, value_token = tokens["POLICY_NUMBER"], tokens["POLICY_VALUE"]
            name = tokens["POLICY_NAME"][0]
            trail = tokens["POLICY_TRAIL"][0] if "POLICY_TRAIL" in tokens else None
        number = self.number(line, number_token, "policy number")
        policy_value = self.number(line, value_token, "policy value", signed=True)
        if number is None or policy_value is None:
            return True  # reported; the list goes on
        name = self.text(name.strip())
        span = line.whole()
        value = PolicyValue(number, name, policy_value, span,
                            line.token_span(value_token), trail.strip() if trail else "")
        draft = self.output.policies[-1]
        (draft.capabilities if draft.section == "capabilities" else draft.policies).append(value)
        draft.last = span
        return True

    def sh_row(self, line: _Line, text: str, block: str) -> bool:
        kind = "hsm_policy_row" if block == "sh_policy" else "capability_row"
        m = shape(kind).match(text)
        if m is None:
            if not text.startswith((" ", "\t")) and not text[:1].isalpha():
                return False
            if ":" in text and shape("field_line").match(text) is not None:
                return False
            m = self.fallback(line, kind)
            if m is None:
                return True
        out = self.output
        if kind == "hsm_policy_row":
            code = self.number(line, m["CELL_CODE"], "policy code")
            if code is None:
                return True  # reported; the table goes on
            flag = m["CELL_FLAG"][0].strip().lower()
            destructive = True if flag == "yes" else False if flag == "no" else None
            out.hsm_pols.append(HsmPolicy(code, self.text(m["CELL_DESCRIPTION"][0].strip()),
                                          self.text(m["CELL_VALUE"][0]), line.whole(),
                                          line.token_span(m["CELL_VALUE"]), destructive))
        else:
            out.hsm_caps.append(HsmPolicy(None, self.text(m["CELL_TEXT"][0].strip()),
                                          self.text(m["CELL_VALUE"][0]), line.whole(),
                                          line.token_span(m["CELL_VALUE"])))
        return True

    def member_row(self, line: _Line, text: str) -> bool:
        m = shape("member_row").match(text)
        if m is None:
            first = text.split(None, 1)[0] if not text.isspace() else ""
            # Any script's digits count here, so that a row with a `١` slot or serial is
            # reported as a broken row instead of ending the table.
            if not (first.isdigit() or first in {"-", "N/A", "n/a"}):
                return False
            m = self.fallback(line, "member_row")
            if m is None:
                return True
        label = m.get("MEMBER_LABEL")
        member = HaMember(m["MEMBER_SLOT"][0], m["MEMBER_SERIAL"][0],
                          label[0].strip() if label else "", self.text(m["MEMBER_STATUS"][0]),
                          line.whole(), line.token_span(m["MEMBER_SERIAL"]),
                          line.token_span(m["MEMBER_STATUS"]))
        group = self.output.groups[-1]
        group.members.append(member)
        group.last = line.whole()
        return True

    def colon_field(self, line: _Line, m: dict[str, tuple[str, int, int]]) -> None:
        out = self.output
        f = _field(line, m, "FIELD_KEY", "FIELD_VALUE", "COLON", self.text)
        key = f.key
        out.fields.append(f)
        folded = key.casefold()
        if folded == "ha group label":
            out.groups.append(_GroupDraft([f], first=line.whole(), last=line.whole()))
        elif out.groups and folded.startswith(("ha group", "synchronization", "group members",
                                               "needs sync", "standby members")):
            out.groups[-1].fields.append(f)
            out.groups[-1].last = line.whole()
        elif folded.startswith(("ha ", "maximum auto recovery", "auto recovery",
                                "only show ha")):
            out.ha_settings.append(f)
        elif folded in {"hsm label", "serial #", "firmware", "serial number"}:
            out.hsm_fields.append(f)

    def number(self, line: _Line, token: tuple[str, int, int], what: str,
               signed: bool = False) -> int | None:
        """The integer of a digits token the grammar matched, or None (and a problem) when it
        has more digits than lunalint reads."""
        value = ascii_int(token[0], signed=signed)
        if value is None:
            digits = token[0].strip()
            self.problems.append(SyntaxProblem(line.token_span(token), (
                f"{what} `{_shorten(digits)}` has {len(digits.lstrip('-'))} digits; lunalint "
                f"reads numbers of up to {MAX_DIGITS} digits")))
        return value

    def text(self, value: str) -> str:
        """One shared copy of a string that repeats across a capture (names, keys, values)."""
        return self.strings.setdefault(value, value) if len(value) <= 80 else value

    def fallback(self, line: _Line, kind: str) -> dict[str, tuple[str, int, int]] | None:
        """Parse a line the fast path refused with lark; record a problem when it is broken."""
        try:
            return shape(kind).parse(line.text)
        except Exception as error:  # lark's UnexpectedInput: the line is broken
            self.problems.append(_explain(line, kind, error))
            return None

    # -- finishing ----------------------------------------------------------------------------

    def finish_output(self) -> None:
        self.end_block()
        out = self.output
        slot = out.slot
        for draft in out.policies:
            if draft.first is None or draft.last is None:
                continue
            if draft.scope == "partition":
                self.policy_sets.append((draft, out))
            else:
                caps = tuple(_hsm_policy(p) for p in draft.capabilities)
                pols = tuple(_hsm_policy(p) for p in draft.policies)
                self.hsm_policies.append(HsmPolicies(
                    out.tool if out.command is not None else "lunacm", tuple(out.hsm_fields),
                    caps, pols, draft.first.merge(draft.last), out.slot_id, slot, out.command,
                    out.elided))
        if out.hsm_pols or out.hsm_caps:
            spans = [p.span for p in out.hsm_caps + out.hsm_pols] + [f.span for f in out.hsm_fields]
            span = min(spans).merge(max(spans))
            self.hsm_policies.append(HsmPolicies("lunash", tuple(out.hsm_fields),
                                                 tuple(out.hsm_caps), tuple(out.hsm_pols), span,
                                                 None, None, out.command, out.elided))
        elif out.hsm_fields and not out.policies and not out.groups:
            settings_ids = {id(f) for f in out.ha_settings}
            fields = tuple(f for f in out.fields if id(f) not in settings_ids)
            spans = [f.span for f in fields]
            self.hsms.append(HsmInfo(fields, min(spans).merge(max(spans)), out.command))
        settings = tuple(out.ha_settings)
        for group in out.groups:
            if group.first is None or group.last is None:
                if not group.members:
                    continue
                group.first = group.members[0].span
                group.last = group.members[-1].span
            fields = tuple(group.fields)
            self.groups.append(HaGroupStatus(
                fields, settings, tuple(group.members),
                _serials(_last(fields, "Group Members")),
                _serials(_last(fields, "Standby Members")),
                group.first.merge(group.last), out.command))
        if out.command is None:
            self.preamble_fields.extend(out.fields)
        else:
            pending = self.commands[out.command]
            pending.fields = tuple(out.fields)
            pending.elided = out.elided
            span = out.output_span()
            if span is not None:
                pending.output_first = span
                if pending.output_last is None or pending.output_last < span:
                    pending.output_last = span

    def build(self) -> Export:
        def resolve(slot_id: int | None, seen: Slot | None) -> Slot | None:
            if seen is not None or slot_id is None:
                return seen
            return self.known.get(slot_id)  # listed only later in the capture

        commands = []
        for p in self.commands:
            first = p.output_first
            last = p.output_last
            output_span = first.merge(last) if first is not None and last is not None else None
            commands.append(Command(
                p.index, p.tool, p.host, p.text, p.words, p.span, p.line_span, output_span,
                p.slot_id, resolve(p.slot_id, p.slot), p.result, p.elided, p.fields))
        policy_sets = []
        for draft, out in self.policy_sets:
            assert draft.first is not None and draft.last is not None
            slot = resolve(out.slot_id, out.slot)
            policy_sets.append(PolicySet(tuple(draft.capabilities), tuple(draft.policies),
                                         draft.first.merge(draft.last), out.slot_id, slot,
                                         out.command, out.elided))
        hsm_policies = tuple(
            h if h.slot is not None or h.slot_id is None
            else _replace_slot(h, self.known.get(h.slot_id)) for h in self.hsm_policies)
        return Export(path=self.path, lines=tuple(self.lines), problems=tuple(self.problems),
                      banner=self.banner, commands=tuple(commands), slots=tuple(self.slots),
                      policy_sets=tuple(policy_sets), hsm_policies=hsm_policies,
                      hsms=tuple(self.hsms), ha_groups=tuple(self.groups),
                      elisions=tuple(self.elisions), fields=tuple(self.preamble_fields))


def _hsm_policy(p: PolicyValue) -> HsmPolicy:
    """An HSM policy from a LunaCM `N: name : value` line; `-verbose` text may say whether
    changing it is destructive (layout unsure: only the words are looked at)."""
    words = p.trailing.lower()
    destructive = None
    if re.search(r"\b(?:non|not)[- ]?destructive", words):
        destructive = False
    elif "destructive" in words:
        destructive = True
    return HsmPolicy(p.number, p.name, str(p.value), p.span, p.value_span, destructive,
                     p.trailing)


def _replace_slot(h: HsmPolicies, slot: Slot | None) -> HsmPolicies:
    from lunalint import record as records

    return records.replace(h, slot=slot)


def _last(fields: tuple[Field, ...], *names: str) -> Field | None:
    wanted = {n.casefold() for n in names}
    for f in reversed(fields):
        if f.key.casefold() in wanted:
            return f
    return None


def _field(line: _Line, m: dict[str, tuple[str, int, int]], key_name: str, value_name: str,
           separator: str, text: Callable[[str], str] = str) -> Field:
    """A `Key -> value` or `Key: value` field from matched tokens; an empty value gets a
    zero-width span just after the separator. ``text`` shares repeated strings."""
    value_token = m.get(value_name)
    if value_token is not None:
        value, value_span = text(value_token[0].strip()), line.token_span(value_token)
    else:
        end = m[separator][2]
        value, value_span = "", line.span(end, end)
    return Field(text(m[key_name][0].strip()), value, line.token_span(m[key_name]), value_span)


def _serials(f: Field | None) -> tuple[SerialRef, ...]:
    if f is None or not f.value or f.value.strip().lower() in {"<none>", "none", "n/a", "-"}:
        return ()
    return tuple(SerialRef(text, span) for text, span in split_items(f.value, f.value_span))


def _option(words: tuple[str, ...], *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for i, word in enumerate(words[:-1]):
        if word.lower() in wanted:
            return words[i + 1]
        if "=" in word and word.split("=", 1)[0].lower() in wanted:
            return word.split("=", 1)[1]
    if words and "=" in words[-1] and words[-1].split("=", 1)[0].lower() in wanted:
        return words[-1].split("=", 1)[1]
    return None


def _result_code(text: str) -> tuple[int | None, str | None]:
    """``(code, name)`` of a result text: ``No Error``, ``0 (Success)``, ``0x1a7 (CKR_...)``."""
    if text.lower().rstrip(".") == "no error":
        return 0, None
    code = None
    rest = text
    m = _CODE.match(text)
    if m is not None:
        raw = m.group(1)
        code = ascii_hex(raw) if raw[:2] in ("0x", "0X") else ascii_int(raw)
        if code is not None:  # a code too long to be one stays text
            rest = text[m.end():]
    rest = rest.strip()
    ckr = _CKR.search(rest)
    if ckr is not None:
        return code, ckr.group(0)
    paren = re.fullmatch(r"\((.*)\)\.?", rest)
    if paren is not None:
        rest = paren.group(1).strip()
    return code, rest or None


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n") if "\r" not in text else re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _explain(line: _Line, kind: str, error: Exception) -> SyntaxProblem:
    text = line.text
    column = getattr(error, "column", None)
    offset = column - 1 if isinstance(column, int) and column >= 1 else len(text)
    token = getattr(error, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        offset = len(text.rstrip())
    start_pos = getattr(token, "start_pos", None) if token is not None else None
    if isinstance(start_pos, int) and getattr(token, "type", "") != "$END":
        offset = start_pos
    offset = min(offset, len(text))
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    rest = text[offset:].strip()
    found = f"found `{_shorten(rest)}`" if rest else "found the end of the line"
    words = sorted({_WORDS[name] for name in expected if name in _WORDS})
    what = _ROW_WHAT.get(kind, "line")
    if words:
        choice = ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]
        message = f"broken {what}: expected {choice}, {found}"
    else:
        message = f"broken {what}: {found}"
    odd = next((ch for ch in rest if ch.isdigit() and not "0" <= ch <= "9"), None)
    if odd is not None:
        message += f" ({show_char(odd)} is not an ASCII digit)"
    end = offset + 1 if offset < len(text) else offset
    return SyntaxProblem(line.span(offset, end), message)


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_export(path: str, text: str) -> Export:
    """Parse ``text`` (already decoded) as a LunaCM / LunaSH capture; never raises on bad text."""
    return _Reader(path, text).read()
