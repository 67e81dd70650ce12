"""Reporters turn sorted findings into one output format. They decide nothing about levels or
which findings exist; they only render what the engine hands them.

Two boundaries every rendered report crosses here, in :func:`renderer`: redaction (secret
values, :mod:`lunalint.redact`) and, for the formats read as lines by a terminal or a CI log
(text, github), :func:`neutralise` — no control character, newline or bidi override taken
from a path, a rule id, a message or a notice reaches the reader raw. The command line sends
its own stderr messages through :func:`neutralise` too.
"""

from __future__ import annotations


from lunalint.record import opt, record
from lunalint import record as records
import re
from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.findings import Finding, Level
from lunalint.redact import Redactor

FORMATS = ("text", "json", "sarif", "github", "junit", "gitlab", "html", "markdown")
# Formats that show the estate (groups, members, policies, versions) besides the findings:
# the pipeline builds the link stage and collects ``lunalint.audit.AuditFacts`` for them.
AUDIT_FORMATS = ("html", "markdown")
# Formats read line by line by a terminal or a CI runner (GitHub parses `::command` lines).
LINE_FORMATS = frozenset({"text", "github"})

# C0 controls (newlines and tabs included), DEL, C1 controls (CSI 0x9b, NEL 0x85…), Unicode line
# and paragraph separators, and the bidi embeddings, overrides and isolates that reorder
# what a terminal shows (CVE-2021-42574, "Trojan Source").
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str, columns: bool = False, keep: str = "") -> str:
    """``text`` with every unsafe character (:data:`UNSAFE`) made visible and inert: written
    as an escape (``\\n``, ``\\x1b``, ``\\u202e``), or with ``columns`` as one ``?`` each so
    that a caret under an excerpt stays aligned. The one place output is made safe for a
    terminal or a CI log. Characters in ``keep`` (a diff keeps a line's TABs) stay as they are."""
    if not text or not UNSAFE.search(text):
        return text
    if keep:
        return UNSAFE.sub(lambda m: m.group() if m.group() in keep else
                          ("?" if columns else _escape(m)), text)
    return UNSAFE.sub("?" if columns else _escape, text)


def _neutral_finding(f: Finding) -> Finding:
    related = tuple(records.replace(r, path=neutralise(r.path), message=neutralise(r.message))
                    for r in f.related)
    suppression = f.suppression
    if suppression is not None:
        suppression = records.replace(suppression,
                                          justification=neutralise(suppression.justification),
                                          origin=neutralise(suppression.origin))
    return records.replace(
        f, rule=neutralise(f.rule), message=neutralise(f.message), path=neutralise(f.path),
        anchor=neutralise(f.anchor), help_uri=neutralise(f.help_uri), related=related,
        suppression=suppression,
        excerpt=None if f.excerpt is None else neutralise(f.excerpt.replace("\t", " "), True))


def _each(findings, change):
    """``change`` applied to each finding: a list, or for a sequence read a file at a time
    (``lunalint.store``) a view of it (a report never copies every finding)."""
    from lunalint.store import Findings

    if isinstance(findings, Findings):
        return findings.view(lambda group: [change(f) for f in group])
    return [change(f) for f in findings]


def _neutral_report(report: "Report") -> "Report":
    return records.replace(
        report, findings=_each(report.findings, _neutral_finding),
        notices=[neutralise(n) for n in report.notices],
        fixed=[neutralise(f) for f in report.fixed], paths=[neutralise(p) for p in report.paths])


@record(frozen=False)
class Report:
    """Everything a reporter may render."""

    findings: list[Finding]  # what to show (suppressed ones only with --include-suppressed)
    files: int
    suppressed: int = 0
    rules: list = opt(factory=list)  # Rule metadata, for SARIF's rule table
    notices: list[str] = opt(factory=list)  # tool notices (plugins, skipped files)
    srcroot: str = "."  # directory SARIF URIs are relative to
    category: str = ""  # SARIF automationDetails.id suffix
    color: bool = False
    fixed: list[str] = opt(factory=list)  # baseline entries no longer found
    paths: list[str] = opt(factory=list)  # every linted file (JUnit: one testcase each)
    summary: bool = True  # text: end with the one-line summary (off with --quiet)
    fixes_applied: int | None = None  # with --fix: how many fixes were made
    # The redaction boundary: every rendered report passes through it (see ``renderer``).
    redactor: Redactor = opt(factory=Redactor)
    # Audit facts (``lunalint.audit.AuditFacts``) for the formats in AUDIT_FORMATS, else None.
    facts: Any = None
    include_suppressed: bool = False  # whether suppressed findings were asked for
    # A what-if run (--target-firmware, --target-client): the versions assumed, else None.
    what_if: dict | None = None
    # The lowest level that fails the run (--fail-on; None: nothing does). JUnit marks a file
    # failed only for findings at or above it.
    fail_on: Level | None = Level.WARNING
    # (findings, what :func:`tally` gives for them): counted once, whoever counts first (the
    # pipeline counts them with its own reading), and again only if ``findings`` is replaced
    counted: Any = opt(None, repr=False, compare=False)

    def counts(self, intentional: bool = False) -> dict[str, int]:
        """Findings per level, not suppressed; intentional ones (a design choice documented,
        not a problem) only when asked: the text summary counts them apart, while the JSON
        summary's level counts keep their meaning of the output contract and include them."""
        problems, designed, _files = self._tally()
        out = dict(problems)
        if intentional:
            for label, n in designed.items():
                out[label] += n
        return out

    @property
    def intentional(self) -> int:
        return sum(self._tally()[1].values())

    def problem_files(self) -> int:
        """Files with at least one problem (never more than ``files``: the pipeline counts
        every file a finding is on among the files checked)."""
        return self._tally()[2]

    def _tally(self) -> tuple[dict[str, int], dict[str, int], int]:
        held = self.counted
        if held is not None and held[0] is self.findings:
            return held[1]
        found = tally(self.findings)
        self.counted = (self.findings, found)
        return found


class Tally:
    """Counts of findings given one at a time (:meth:`add`): how many are suppressed, the
    highest level of the unsuppressed ones that are not intentional, the files findings are on,
    and what a report counts (:meth:`counts`). One reading of a large run's findings (read a
    file at a time, ``lunalint.store``) serves every count."""

    def __init__(self) -> None:
        self.suppressed = 0
        self.worst: Level | None = None
        self.paths: set[str] = set()
        self.problems = {level.label: 0 for level in sorted(Level, reverse=True)}
        self.designed = dict(self.problems)
        self.problem_paths: set[str] = set()

    def add(self, f: Finding) -> Finding:
        self.paths.add(f.path)
        if f.suppression is not None:
            self.suppressed += 1
        elif f.intentional:
            self.designed[f.level.label] += 1
        else:
            self.problems[f.level.label] += 1
            self.problem_paths.add(f.path)
            if self.worst is None or f.level > self.worst:
                self.worst = f.level
        return f

    def counts(self) -> tuple[dict[str, int], dict[str, int], int]:
        """Per level, the unsuppressed problems and intentional findings, and how many files
        have a problem."""
        return self.problems, self.designed, len(self.problem_paths)


def tally(findings: Iterable[Finding]) -> tuple[dict[str, int], dict[str, int], int]:
    """:meth:`Tally.counts` of ``findings``."""
    counted = Tally()
    for f in findings:
        counted.add(f)
    return counted.counts()


def renderer(name: str) -> Callable[[Report], str]:
    """The renderer of format ``name``; what it returns has crossed the redaction boundary
    (findings scrubbed field by field, then the whole text searched for secret values in the
    forms the format escapes them to), whatever the format's own code does."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    return _through_boundary(import_module(f"lunalint.reporters.{name}").render,
                             lines=name in LINE_FORMATS, github=name == "github")


def streamer(name: str) -> Callable[[Report], Iterator[str]]:
    """Like :func:`renderer`, but the report comes in pieces, each through the same boundary,
    for a caller that writes them as they come (a large SARIF log is never held whole).
    A format without a ``chunks`` function comes as one piece."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    module = import_module(f"lunalint.reporters.{name}")
    pieces = getattr(module, "chunks", None)
    if pieces is None or name in LINE_FORMATS:
        whole = renderer(name)
        return lambda report: iter((whole(report),))

    def streamed(report: Report) -> Iterator[str]:
        clean = _redacted_report(report)
        for piece in pieces(clean):
            # Each piece ends at a line end, and no secret value or escaped form of one spans
            # a line end (they come from one line and the formats escape line ends), so
            # scrubbing piece by piece finds what scrubbing the whole text finds.
            yield report.redactor.output(piece)

    return streamed


def batched(first: str, rest: Iterable[str], end: str, size: int = 1 << 16) -> Iterator[str]:
    """``first`` and ``rest`` joined by ``",\n"``, then ``"\n" + end``, in pieces of about
    ``size`` characters that each end at a line end."""
    buf, n = [first], len(first)
    for line in rest:
        if n >= size:
            yield ",\n".join(buf) + ",\n"
            buf, n = [], 0
        buf.append(line)
        n += len(line)
    yield ",\n".join(buf) + "\n" + end


def statistics_renderer(name: str) -> Callable[[Report], str]:
    """``--statistics``: findings counted per rule, as ``text`` or ``json``, through the same
    redaction boundary as every report."""
    from lunalint.reporters import statistics

    renders = {"text": statistics.render_text, "json": statistics.render_json}
    if name not in renders:
        raise ValueError(f"--statistics has no {name!r} form")
    return _through_boundary(renders[name], lines=name == "text")


def summary_line(report: Report) -> str:
    """The one-line summary of the text format (what ``--output`` also prints on stderr),
    redacted like a report."""
    from lunalint.reporters import text

    # It counts findings and never quotes one, so only what it does quote (fixed baseline
    # entries) is redacted first (and made safe to print by the summary itself); the line
    # crosses the boundary like any report.
    counted = records.replace(report, fixed=[report.redactor.text(f) for f in report.fixed],
                              notices=[], paths=[], facts=None)
    return report.redactor.output(text.summary(counted))


def _redacted_report(report: Report) -> Report:
    return records.replace(
        report, findings=report.redactor.findings(report.findings),
        notices=[report.redactor.text(n) for n in report.notices],
        fixed=[report.redactor.text(f) for f in report.fixed],
        paths=[report.redactor.text(p) for p in report.paths],
        facts=None if report.facts is None else report.facts.redacted(report.redactor.text))


def _through_boundary(render: Callable[[Report], str], lines: bool = False,
                      github: bool = False) -> Callable[[Report], str]:
    """``render`` behind redaction and, for formats read as lines (``lines``), behind
    :func:`neutralise`."""
    def redacted(report: Report) -> str:
        clean = _redacted_report(report)
        if lines:
            clean = _neutral_report(clean)
        out = report.redactor.output(render(clean))
        if github:  # nothing but the line ends may be a control character
            out = "\n".join(neutralise(line) for line in out.split("\n"))
        return out

    return redacted
