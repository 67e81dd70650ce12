"""Suppressions: inline directives in client configs and waivers from the configuration file.

Applied to the findings after every rule ran (the engine knows nothing of them):

- An inline directive is a comment ``lunalint: ignore[RULE,...] reason`` (after ``#``, ``;``
  or ``//``). After an entry it covers findings on its own line; alone on its line it covers
  the next line that is not a comment (so several directives may be stacked). A directive
  without a reason suppresses nothing and is reported (LUNALINT-SUP001); unknown rule IDs
  and malformed directives are reported (LUNALINT-SUP002); a directive that suppresses
  nothing is reported (LUNALINT-SUP003).
- A waiver (``waivers`` in the configuration file) covers findings of its rule in files
  matching its path glob, and with its anchor when one is given (the finding's anchor equals
  it or starts with it followed by ``/``). An expired waiver covers nothing and is reported
  at its line in the configuration file (LUNALINT-SUP004).

Suppressed findings keep their place in the list with ``Finding.suppression`` set (kind
``inSource`` or ``external`` as in SARIF, and the reason as justification).
"""

from __future__ import annotations


from lunalint.patterns import lazy
from lunalint.record import opt, record
from lunalint import record as records
import os
import re
from collections.abc import Iterable
TYPE_CHECKING = False  # (datetime is imported only when a waiver expires: start-up cost)
if TYPE_CHECKING:
    import datetime as _dt

from lunalint.findings import Finding, Level, Suppression
from lunalint.model.base import Document, Span
from lunalint.model.config import ClientConfig, SlimConfig
from lunalint.settings import Settings, Waiver, glob_match

MISSING_REASON = "LUNALINT-SUP001"
UNKNOWN_RULE = "LUNALINT-SUP002"
UNUSED = "LUNALINT-SUP003"
EXPIRED = "LUNALINT-SUP004"
OWN_RULES = (MISSING_REASON, UNKNOWN_RULE, UNUSED, EXPIRED)

_MENTION = re.compile(r"\blunalint\s*:", re.IGNORECASE)
_DIRECTIVE = lazy(r"\blunalint\s*:\s*ignore\s*\[(?P<rules>[^\]]*)\](?P<reason>.*)$",
                  re.IGNORECASE)
_LEAD = re.compile(r"^(?:#+|;+|//+)\s*")
# Where a directive starts. A directive is looked for only from the first start, and only when
# a `]` follows it: searching for the whole directive tried every `lunalint: ignore[` of a
# comment holding thousands of them, each to the end of the line (quadratic).
_HEAD = lazy(r"\blunalint\s*:\s*ignore\s*\[", re.IGNORECASE)


@record(frozen=False)
class Directive:
    path: str
    span: Span            # the comment
    rules: tuple[str, ...]
    reason: str
    target_line: int      # the line whose findings it covers
    used: set[str] = opt(factory=set)


def parse_directives(doc: ClientConfig, known: set[str]) -> tuple[list[Directive], list[Finding]]:
    """The directives in a config's comments, and findings about malformed ones."""
    directives: list[Directive] = []
    problems: list[Finding] = []
    for (span, text), target in zip(doc.comments, directive_targets(doc)):
        if target is None:
            continue
        body = _LEAD.sub("", text.strip())
        head = _HEAD.search(body)
        m = _DIRECTIVE.match(body, head.start()) if head and "]" in body[head.end():] else None
        if m is None:
            problems.append(_own(UNKNOWN_RULE, doc.path, span,
                                 "this comment mentions lunalint but is not a directive; write "
                                 "`lunalint: ignore[RULE,...] reason`", "directive"))
            continue
        words = [w.strip() for w in m.group("rules").split(",")]
        rules = tuple(w.upper() for w in words if w)
        bad = [w for w in words if w and w.upper() not in known]
        if not rules:
            problems.append(_own(UNKNOWN_RULE, doc.path, span,
                                 "`lunalint: ignore[]` names no rule; list rule IDs inside the "
                                 "brackets", "directive"))
            continue
        if bad:
            problems.append(_own(UNKNOWN_RULE, doc.path, span,
                                 f"unknown rule {', '.join(repr(b) for b in bad)} in a "
                                 "suppression directive (see lunalint --list-rules)",
                                 "directive/" + ",".join(rules)))
        reason = m.group("reason").strip().lstrip("-:—–").strip()
        good = tuple(r for r in rules if r in known)
        if not re.search(r"\w", reason):
            problems.append(_own(MISSING_REASON, doc.path, span,
                                 f"`lunalint: ignore[{','.join(rules)}]` gives no reason, so it "
                                 "suppresses nothing; write why after the bracket",
                                 "directive/" + ",".join(rules)))
            continue
        if not good:
            continue
        directives.append(Directive(doc.path, span, good, reason, target))
    return directives, problems


def mentions(text: str) -> bool:
    """True when a comment mentions lunalint (a directive, or a malformed attempt at one)."""
    if text.isascii() and "lunalint" not in text.lower():  # (the regex agrees, for less)
        return False
    return _MENTION.search(_LEAD.sub("", text.strip())) is not None


def directive_targets(doc: ClientConfig) -> list[int | None]:
    """For each of ``doc.comments``: the line a directive there covers (its own line after an
    entry; alone on its line, the next line that is not a comment alone), or None when the
    comment does not mention lunalint. A slim configuration keeps only the comments that
    mention lunalint, with their targets worked out while its lines were at hand."""
    if isinstance(doc, SlimConfig):
        return list(doc.targets)
    found = [mentions(text) for _span, text in doc.comments]
    if not any(found):
        return [None] * len(found)
    alone = {span.line for span, _text in doc.comments if _is_alone(doc, span)}
    out: list[int | None] = []
    for (span, _text), mention in zip(doc.comments, found):
        if not mention:
            out.append(None)
            continue
        target = span.line
        if span.line in alone:
            target = span.line + 1
            while target in alone:
                target += 1
        out.append(target)
    return out


def _is_alone(doc: ClientConfig, span: Span) -> bool:
    line = doc.lines[span.line - 1] if 0 < span.line <= len(doc.lines) else ""
    return not line[:span.column - 1].strip()


def _own(rule_id: str, path: str, span: Span, message: str, anchor: str) -> Finding:
    from lunalint.rules import suppression

    meta = {r.id: r for r in (suppression.sup001, suppression.sup002, suppression.sup003,
                              suppression.sup004)}[rule_id]
    return Finding(rule_id, meta.level, message, path, span, anchor=anchor,
                   help_uri=meta.help_uri)


def _waiver_covers(waiver: Waiver, finding: Finding, settings: Settings) -> bool:
    if waiver.rule != finding.rule:
        return False
    if not glob_match(waiver.path, settings.relative(finding.path)):
        return False
    if waiver.anchor:
        return finding.anchor == waiver.anchor or finding.anchor.startswith(waiver.anchor + "/")
    return True


def apply(findings: Iterable[Finding], documents: Iterable[Document], settings: Settings, *,
          known: Iterable[str], selected: Iterable[str], inline: bool = True,
          today: _dt.date | None = None, settings_path: str = "") -> list[Finding]:
    """``findings`` with suppressions marked, plus the findings about suppressions.

    ``known`` are all registered rule IDs (for unknown-rule checks); ``selected`` the rules
    that ran (a directive for a rule that did not run is not "unused", and LUNALINT-SUP
    findings appear only when selected). ``inline=False`` ignores directives (audit mode).
    ``settings_path`` is how the configuration file is shown in findings about waivers.
    """
    marker = Marker(documents, settings, known=known, selected=selected, inline=inline,
                    today=today, settings_path=settings_path)
    out = [marker.mark(f) for f in findings]
    out.extend(marker.own())
    out.sort(key=lambda f: f.sort_key)
    return out


class Marker:
    """:func:`apply` a finding at a time (the pipeline streams a run's findings, a file at a
    time): :meth:`mark` each finding, then :meth:`own` gives the findings about the
    suppressions themselves (problems in directives, directives that matched nothing,
    expired waivers), which the caller sorts in with the others."""

    def __init__(self, documents: Iterable[Document], settings: Settings, *,
                 known: Iterable[str], selected: Iterable[str], inline: bool = True,
                 today: _dt.date | None = None, settings_path: str = "") -> None:
        known = set(known)
        self.selected = set(selected)
        self.settings = settings
        if today is None and any(w.expires is not None for w in settings.waivers):
            import datetime  # only a waiver with `expires` needs the date (start-up cost)

            today = datetime.date.today()
        self.documents = list(documents)
        own: list[Finding] = []
        directives: dict[tuple[str, int], list[Directive]] = {}
        all_directives: list[Directive] = []
        if inline:
            for doc in self.documents:
                if isinstance(doc, ClientConfig) and doc.comments:
                    found, problems = parse_directives(doc, known)
                    own.extend(problems)
                    for d in found:
                        directives.setdefault((d.path, d.target_line), []).append(d)
                        all_directives.append(d)
        self.active = [w for w in settings.waivers if not w.expired(today)]
        for waiver in settings.waivers:
            if waiver.expired(today):
                where = settings_path or waiver.source
                own.append(_own(EXPIRED, where, Span(waiver.line, 1, waiver.line, 1),
                                f"the waiver for {waiver.rule} on `{waiver.path}` expired on "
                                f"{waiver.expires.isoformat()}; the findings it hid are "
                                f"reported again (reason was: {waiver.reason})",
                                f"waiver/{waiver.rule}/{waiver.path}"))
        self.directives = directives
        self.all_directives = all_directives
        self._own = own

    @property
    def adds_nothing(self) -> bool:
        """True when :meth:`own` will be empty whatever is marked (no directive to find
        unused, no problem found in one, no expired waiver)."""
        return not self.all_directives and not self._own

    def mark(self, finding: Finding) -> Finding:
        """``finding`` with its suppression, if a directive or waiver hides it."""
        return _suppressed(finding, self.directives, self.active, self.settings)

    def own(self) -> list[Finding]:
        """The findings about suppressions, once every finding was marked."""
        own = list(self._own)
        for d in self.all_directives:
            unused = [r for r in d.rules if r not in d.used and r in self.selected]
            if unused:
                own.append(_own(UNUSED, d.path, d.span,
                                f"`lunalint: ignore[{','.join(unused)}]` suppresses nothing on "
                                f"line {d.target_line}; remove it",
                                "directive/" + ",".join(d.rules)))
        own = [f for f in own if f.rule in self.selected]
        if own:
            from lunalint.engine import attach_excerpts  # the directive's line, secrets masked

            own = attach_excerpts(own, self.documents)
        # The findings about suppressions can themselves be waived (a shared waiver file).
        return [_suppressed(f, {}, self.active, self.settings) for f in own]


def _suppressed(finding: Finding, directives: dict[tuple[str, int], list[Directive]],
                waivers: list[Waiver], settings: Settings) -> Finding:
    if finding.suppression is not None:
        return finding
    for d in directives.get((finding.path, finding.span.line), ()):
        if finding.rule in d.rules:
            d.used.add(finding.rule)
            return records.replace(finding, suppression=Suppression(
                "inSource", d.reason, f"{d.path}:{d.span.line}"))
    for waiver in waivers:
        if _waiver_covers(waiver, finding, settings):
            return records.replace(finding, suppression=Suppression(
                "external", waiver.reason, waiver.origin))
    return finding


def apply_levels(findings: Iterable[Finding], levels: dict[str, Level]) -> list[Finding]:
    """Findings with the configuration file's per-rule ``level`` overrides applied."""
    if not levels:
        return list(findings)
    return [records.replace(f, level=levels[f.rule]) if f.rule in levels else f
            for f in findings]


def display(path: str, base: str | None = None) -> str:
    """A configuration file path as findings show paths: relative to ``base`` (the folder
    paths are shown from; default: the cwd) when under it."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, base or os.getcwd())
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = full
    return rel.replace(os.sep, "/")
