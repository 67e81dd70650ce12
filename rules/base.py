"""The rule framework: a rule is declarative metadata plus one check function.

A check function receives one model object (a client configuration, an export, or the whole
workspace, per the rule's ``scope``) and a :class:`Context`, and yields :class:`Problem`s. It
never sees lark trees or files on disk. The engine turns problems into findings.

Defining a rule::

    @rule("HA106", "deprecated-harecovery", Level.WARNING,
          summary="The deprecated HARecovery section is present",
          reference="The vendor lists `HARecovery` as a deprecated section.",
          cites=(sources.CONFIG_FILE_SUMMARY,),
          fix="Delete the section; recovery is set in HAConfiguration.",
          bad="HARecovery = {\n   payments = 1;\n}", good="")
    def check(config, ctx):
        '''Full description, in Markdown: what and why.'''
        ...

``reference`` says in words what the vendor says; ``cites`` names the vendor pages
(:mod:`lunalint.rules.sources`). A rule whose fact is only seen in real files, or inferred by
lunalint, says so with ``basis`` (``sources.SEEN`` / ``sources.INFERRED``) and ``basis_note``,
and its level stays below ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from lunalint.record import opt, record
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.findings import FIX_CLASSES, Fix, Level
from lunalint.model.base import Span
from lunalint.rules import sources
from lunalint.rules.sources import Page

SCOPES = ("config", "export", "document", "workspace")
from lunalint import REPOSITORY  # noqa: F401  (re-exported: plugins may use it)
_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")


@record
class Problem:
    """What a check reports: where, what, and optionally a different level or related places.

    ``path`` is only needed by workspace rules (per-file rules report on their own file).
    ``related`` holds ``(path, span, message)`` triples; ``path`` None means the same file.
    """

    span: Span
    message: str
    anchor: str = ""
    level: Level | None = None
    related: tuple[tuple[str | None, Span, str], ...] = ()
    intentional: bool = False
    path: str | None = None
    fix: Fix | None = None  # the edits that fix it (its rule's ``fix_class`` says how safe)


@record
class Context:
    """What a check may consult beyond its own model object."""

    facts: dict[str, Any] = opt(factory=dict)
    workspace: Any = None


if TYPE_CHECKING:
    Check = Callable[[Any, Context], Iterable[Problem]]
else:  # the same name at run time, without typing's Any
    Check = Callable[..., Iterable[Problem]]


def cleandoc(doc: str) -> str:
    """A docstring's text without its indentation (what ``inspect.cleandoc`` gives, without
    importing ``inspect``, which costs more at start-up than the rule metadata it cleans):
    tabs expanded, the first line stripped on the left, the common indentation of the other
    lines removed, blank lines at both ends dropped."""
    lines = doc.expandtabs().split("\n")
    margin = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()),
                 default=0)
    lines[0] = lines[0].lstrip()
    lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


@record
class Rule:
    id: str
    name: str
    level: Level
    scope: str
    summary: str
    description: str
    reference: str
    fix: str
    check: Check = opt(repr=False, compare=False)
    bad: str = ""
    good: str = ""
    tags: tuple[str, ...] = ()
    precision: str = "high"
    security_severity: float = 0.0
    origin: str = "lunalint"
    # A per-file rule that also consults ``Context.workspace`` (other files' models); the
    # engine runs it after the link stage instead of in a worker process.
    uses_workspace: bool = False
    # Vendor pages the rule rests on, and how sure the rule is of its fact (sources.BASES);
    # ``basis_note`` says in plain words what was seen or inferred.
    cites: tuple[Page, ...] = ()
    basis: str = sources.DOCUMENTED
    basis_note: str = ""
    # What ``--fix`` can do for this rule's findings: "safe" (no change in meaning), "unsafe"
    # (may change how the client behaves; only with ``--unsafe-fixes``) or "none".
    fix_class: str = "none"
    # For a rule that links files: a per-file function ``(config, ctx) -> [(anchor, Fix)]``
    # run in the per-file stage on the whole model; the engine joins each proposal to the
    # rule's finding with the same path and anchor after the link stage. Per-file rules put
    # their fix on the Problem instead.
    fixer: Callable[[Any, Context], Iterable[tuple[str, Fix]]] | None = \
        opt(None, repr=False, compare=False)

    @property
    def needs_workspace(self) -> bool:
        return self.scope == "workspace" or self.uses_workspace

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} must be upper-case letters, digits and '-'")
        if self.scope not in SCOPES:
            raise ValueError(f"rule {self.id}: scope must be one of {', '.join(SCOPES)}")
        if self.precision not in ("very-high", "high", "medium", "low"):
            raise ValueError(f"rule {self.id}: unknown precision {self.precision!r}")
        if self.basis not in sources.BASES:
            raise ValueError(f"rule {self.id}: basis must be one of {', '.join(sources.BASES)}")
        if self.fix_class not in FIX_CLASSES:
            raise ValueError(f"rule {self.id}: fix_class must be one of {', '.join(FIX_CLASSES)}")

    @property
    def fix_meaning(self) -> str:
        """What the rule's fix class means for the user."""
        return {"safe": "no change in meaning; `--fix` applies it",
                "unsafe": "may change how the Luna client behaves; `--fix --unsafe-fixes` "
                          "applies it",
                "none": "no mechanical fix; edit the file as above"}[self.fix_class]

    @property
    def help_uri(self) -> str:
        if self.origin != "lunalint":
            return ""
        return f"{REPOSITORY}/blob/main/docs/rules/{self.id}.md"

    @property
    def help_markdown(self) -> str:
        parts = [f"# {self.id}: {self.name}", "",
                 f"**Default level:** `{self.level.label}`", "",
                 self.summary.rstrip(".") + ".", "", self.description.strip(), "",
                 *self._reference_markdown(), "## How to fix", "", self.fix.strip(), "",
                 f"**Fix:** {self.fix_class} ({self.fix_meaning})."]
        lang = "ini" if self.scope in ("config", "document") else "text"
        if self.bad.strip():
            parts += ["", "## Example that triggers it", "", f"```{lang}", self.bad.rstrip(), "```"]
        if self.good.strip():
            parts += ["", "## Fixed", "", f"```{lang}", self.good.rstrip(), "```"]
        return "\n".join(parts) + "\n"

    def _reference_markdown(self) -> list[str]:
        """The "Vendor reference" part of the help: what the vendor says, its pages, and on
        what the rule rests when that is not a vendor statement."""
        if self.basis == sources.OWN:
            return ["## Reference", "", self.reference.strip(), "",
                    f"This rule is about {self.basis_note.strip().rstrip('.')}; no vendor page "
                    "applies.", ""]
        out = ["## Vendor reference", "", self.reference.strip(), ""]
        if self.cites:
            out += [f"- {page.markdown()}" for page in self.cites] + [""]
        note = self.basis_note.strip().rstrip(".")
        if self.basis == sources.SEEN:
            out += [f"**Not stated by the vendor:** seen in real files: {note}.", ""]
        elif self.basis == sources.INFERRED:
            out += [f"**Not stated by the vendor:** inferred by lunalint: {note}.", ""]
        elif note:
            out += [f"**Also:** {note}.", ""]
        return out

    @property
    def help_text(self) -> str:
        """The help as plain text (SARIF ``help.text``): the Markdown without its markup."""
        text = re.sub(r"^#+ ", "", self.help_markdown, flags=re.MULTILINE)
        text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
        return re.sub(r"^```\w*\n?", "", text, flags=re.MULTILINE)


def rule(rule_id: str, name: str, level: Level, *, summary: str, reference: str, fix: str,
         scope: str = "config", bad: str = "", good: str = "", tags: Iterable[str] = (),
         precision: str = "high", security_severity: float = 0.0,
         uses_workspace: bool = False, cites: Iterable[Page] = (),
         basis: str = sources.DOCUMENTED, basis_note: str = "",
         placeholders: str = "decide", fix_class: str = "none",
         fixer: Callable[[Any, Context], Iterable[tuple[str, Fix]]] | None = None,
         ) -> Callable[[Check], Rule]:
    """Declare a rule around its check function; the function's docstring is the description.

    ``placeholders`` says how a rule over client configurations meets template placeholders
    (see :func:`template_aware`): ``"decide"`` (the default) or ``"keep"`` (the rule handles
    templates itself, or looks only at structure)."""
    if placeholders not in ("decide", "keep"):
        raise ValueError(f"rule {rule_id}: placeholders must be 'decide' or 'keep'")

    def wrap(check: Check) -> Rule:
        doc = cleandoc(check.__doc__ or "")
        if placeholders == "decide" and scope in ("config", "document"):
            check = template_aware(check, level)
        return Rule(rule_id, name, level, scope, summary, doc, reference, fix, check,
                    cleandoc(bad) if bad else "", cleandoc(good) if good else "",
                    tuple(tags), precision, security_severity, uses_workspace=uses_workspace,
                    cites=tuple(cites), basis=basis, basis_note=cleandoc(basis_note),
                    fix_class=fix_class, fixer=fixer)

    return wrap


def template_aware(check: Check, default: Level = Level.WARNING) -> Check:
    """``check`` as it must run on a template: what a placeholder could change is not decided.

    - A problem whose own span holds a placeholder is dropped: its value (or key) is unknown
      until the template is rendered, so neither "wrong" nor "right" can be said.
    - In an *open* template (a line that is one placeholder alone may render to any entries,
      such as another `HAOnly`), a problem is still reported, never as an error, and its message
      says which line could change it.
    Files that are not templates are checked as they are.
    """
    from lunalint.model.config import ClientConfig

    def checked(subject: Any, ctx: Context) -> Iterable[Problem]:
        if not isinstance(subject, ClientConfig) or not (subject.is_template or subject.partial):
            return check(subject, ctx)  # (no generator around the check's own: issue 21)
        return templated(subject, ctx)

    def templated(subject: Any, ctx: Context) -> Iterable[Problem]:
        if subject.partial:  # one entry per call: only what one entry decides is reported
            entries: dict[int, list[Span]] = {}  # by line, so each problem looks at its own
            for span in (e.span for s in subject.sections for e in s.entries):
                for line in range(span.line, span.end_line + 1):
                    entries.setdefault(line, []).append(span)
            headers = {s.header_span for s in subject.sections}
            # a line the reader could not read (a fragment's line missing its `;`)
            unread = {p.span.line for p in subject.problems}
        holes = {}
        for span in subject.template_spans:
            holes.setdefault(span.line, []).append(span)
        for problem in check(subject, ctx):
            if problem.path is None and _holds(problem.span, holes):
                continue
            if subject.partial and problem.path is None:
                if problem.span.line in unread:
                    yield problem
                    continue
                if problem.span in headers or not any(
                        _within(problem.span, e) for e in entries.get(problem.span.line, ())):
                    continue
                yield problem
                continue
            if subject.open and problem.path is None:
                lines = ", ".join(str(n) for n in subject.open_lines[:3])
                where = (f"the placeholder alone on line {lines}" if len(subject.open_lines) == 1
                         else f"the placeholders alone on lines {lines}")
                if subject.partial and not subject.open_lines:
                    where = "the rest of the configuration"
                level = problem.level
                if (level or default) >= Level.ERROR:
                    level = Level.WARNING
                problem = Problem(problem.span, f"{problem.message} (unless {where} renders "
                                  "entries that change this)", problem.anchor, level,
                                  problem.related, problem.intentional, problem.path,
                                  problem.fix)
            yield problem

    checked.__doc__ = check.__doc__
    checked.__name__ = getattr(check, "__name__", "check")
    checked.__wrapped__ = check  # type: ignore[attr-defined]
    return checked


def _within(span: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (span.line, span.column) \
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)


def _holds(span: Span, holes: dict[int, list[Span]]) -> bool:
    for line in range(span.line, span.end_line + 1):
        for hole in holes.get(line, ()):
            if (line, hole.column) < (span.end_line, span.end_column) \
                    and (line, hole.end_column) > (span.line, span.column):
                return True
    return False
