"""The pipeline: one function owns the stage order, every front-end calls it.

    confine → discover → read → per-file rules → facts (cached by content) → link
            → workspace rules → levels → suppress → redact → baseline

:func:`run` takes what the user asked for (:class:`Options`) and gives a :class:`Outcome`:
findings already redacted, the documents read, and what the front-end should tell the user.
The command line, and any other front-end (standard input, fixes, report formats), only turn
arguments into ``Options`` and an ``Outcome`` into output; none repeats a stage.
"""

from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.record import opt, record
from lunalint import confine, redact
from lunalint.findings import RELATED_SHOWN, Finding, Level
from lunalint.model.base import Document, flatten


class PipelineError(Exception):
    """A problem with what was asked (a baseline that cannot be read or written…): the
    front-end reports it as a usage error."""


@record(frozen=False)
class Options:
    paths: list[str]
    rules: list  # the selected Rule objects
    settings: Any  # lunalint.settings.Settings
    known_rules: dict = opt(factory=dict)  # every registered rule, by id
    jobs: int | None = None
    inline_suppressions: bool = True
    baseline: str | None = None  # apply this baseline
    write_baseline: str | None = None  # record the findings here (then apply it)
    cwd: str | None = None
    # Standard input as a front-end: ``stdin`` is linted as if it were the file ``stdin_path``
    # (kind from that name, findings with that path, linked with that path's project); the
    # file itself, if any, is not read (it is linted even when ``paths`` does not name it).
    stdin: str | bytes | None = None
    stdin_path: str = "-"
    audit: bool = False  # build the link stage and collect audit facts (html, markdown)
    cache: bool = True  # reuse per-file results of unchanged files (lunalint.cache)
    # The fix stage: results of client configurations never come from the cache (the fixes
    # written are worked out from the text read now).
    fixing: bool = False
    # Keep each finding's exact fix (``Outcome.fixes``): the fix stage and the editor read
    # them. A report alone does not, and on an estate they were 2 MB per 1,200 sites held
    # to the end of the run (issue 21: flat memory).
    exact_fixes: bool = True
    # What-if versions (``--target-firmware``, ``--target-client``): ``{"firmware": {serial or
    # "*": version}, "client": version}``; the link stage assumes them (see workspace).
    what_if: dict | None = None
    # Read only what ``paths`` names, with no project around it (``lunalint test``: each
    # test case is a project of its own).
    isolated: bool = False
    # Unsaved editor buffers (the language server): path -> text read instead of that file
    # on disk, after the same confinement checks (:func:`lunalint.confine.substituted`, as
    # the fix stage verifies edits), so the project joins them with the files on disk. Only
    # for files that exist; no result of such text is cached.
    overlay: dict[str, str | bytes] | None = None
    # The project root as the front-end found it (None: no project), when ``project_given``;
    # else it is the folder of the settings file, or the git work tree of ``cwd``.
    project: str | None = None
    project_given: bool = False


@record(frozen=False)
class Outcome:
    findings: list[Finding]  # every finding, suppressed ones marked; redacted
    documents: list[Document]
    files: int  # files checked: every document linted, and any other file a finding is on
    redactor: redact.Redactor
    root: str | None  # the project root, None when there is no project
    notices: list[str] = opt(factory=list)  # already redacted
    skipped: list[str] = opt(factory=list)
    missing: list[str] = opt(factory=list)
    unused: list[str] = opt(factory=list)  # named hosts without Luna content
    fixed: list[str] = opt(factory=list)  # baseline entries no longer found
    baseline_written: int | None = None
    workspaces: list = opt(factory=list)  # link-stage workspaces (one per scope)
    read: list[str] = opt(factory=list)  # files read only as context for linking
    audit: Any = None  # lunalint.audit.AuditFacts when Options.audit; redacted
    # The exact fixes (``Finding.fix`` is redacted like every outgoing string), by
    # :func:`fix_key` of the redacted finding: only the fix stage reads them, to edit files.
    fixes: dict = opt(factory=dict)
    _counted: Any = opt(None, init=False, repr=False, compare=False)  # (findings, tally)

    def exact_fix(self, finding: Finding):
        return self.fixes.get(fix_key(finding))

    def shown(self, include_suppressed: bool):
        """The findings a report shows: read through, never copied (``lunalint.store``)."""
        if include_suppressed:
            return self.findings
        from lunalint.store import held

        return held(self.findings).view(
            lambda group: [f for f in group if f.suppression is None])

    @property
    def suppressed(self) -> int:
        return self._tally()[0]

    def failing(self, threshold: Level | None) -> bool:
        """True when an unsuppressed, unintended finding is at or above ``threshold``."""
        if threshold is None:
            return False
        worst = self._tally()[1]
        return worst is not None and worst >= threshold

    def finding_paths(self) -> set[str]:
        """The files the findings are on."""
        return self._tally()[2]

    def report_counts(self) -> tuple:
        """What :class:`lunalint.reporters.Report` counts of these findings (per level, the
        unsuppressed problems and intentional findings; the files with a problem), from the
        same reading."""
        return self._tally()[3]

    def _tally(self) -> tuple:
        """How many findings are suppressed, the highest level of the others that are not
        intentional, the files findings are on, and the report's counts: one reading of the
        findings (a large run's are read a file at a time, ``lunalint.store``; the pipeline
        counts them as its last stage writes them), again only if they change."""
        held = self._counted
        if held is not None and held[0] is self.findings:
            return held[1]
        from lunalint.reporters import Tally

        counted = Tally()
        for f in self.findings:
            counted.add(f)
        self.counted_by(counted)
        return self._counted[1]

    def counted_by(self, counted) -> None:
        """Take ``counted`` (a :class:`lunalint.reporters.Tally` of exactly ``findings``)."""
        self._counted = (self.findings, (counted.suppressed, counted.worst, counted.paths,
                                         counted.counts()))


def run(options: Options) -> Outcome:
    """Lint what ``options`` names, through every stage, in order."""
    if not options.overlay:
        return _run(options)
    contents = {path: text.encode("utf-8") if isinstance(text, str) else text
                for path, text in options.overlay.items()}
    with confine.substituted(contents):
        return _run(options)


def _run(options: Options) -> Outcome:
    from lunalint import engine

    cfg = options.settings
    given = None
    start = options.cwd
    paths = list(options.paths)
    if options.stdin is not None:
        given = {options.stdin_path: options.stdin}
        if options.stdin_path not in paths:
            paths.append(options.stdin_path)
        if options.stdin_path != "-":  # the project of the file it stands for
            start = os.path.dirname(os.path.join(options.cwd or os.getcwd(), options.stdin_path))
    if options.isolated:
        root = None
    elif options.project_given:
        root = options.project
    else:
        root = confine.project_root(cfg.source, start)
    filtered = bool(cfg.include or cfg.exclude)
    kinds = bool(cfg.config_globs or cfg.export_globs)
    cache = None
    if options.cache and not options.overlay:
        from lunalint.cache import open_cache

        cache = open_cache(root, options.rules, cfg, fresh_configs=options.fixing)
    try:
        result = engine.lint(paths, options.rules, jobs=options.jobs, missing_ok=True,
                             facts=_facts(cfg, options.what_if), cwd=options.cwd,
                             accept=cfg.accepts if filtered else None,
                             kind_of=cfg.kind_of if kinds else None, root=root,
                             embedded=cfg.embedded, given_content=given, link=options.audit,
                             cache=cache)
    finally:
        if cache is not None:
            cache.close()
    redactor = redact.Redactor(result.secrets)
    findings, fixes, counted = _stages(result, options, redactor)
    outcome = Outcome(findings, result.documents, len(result.documents), redactor, root,
                      notices=[redactor.text(n) for n in result.notices],
                      skipped=[redactor.text(s) for s in result.skipped],
                      unused=[redactor.text(s) for s in result.unused],
                      missing=list(result.missing), workspaces=result.workspaces, fixes=fixes,
                      read=list(result.read))
    outcome.counted_by(counted)
    _baseline(options, outcome, root or (options.cwd or os.getcwd()))
    # A finding may sit in a file that was not linted itself: a capture linked in as context
    # (kept because a related location is in a linted file), or the configuration file
    # (a suppression finding). Each is a file checked, so "N of M files" never has N > M.
    outcome.files = len({doc.path for doc in outcome.documents} | outcome.finding_paths())
    if options.audit:
        outcome.audit = _audit(options, outcome)
    return outcome


def _stages(result: Any, options: Options, redactor: redact.Redactor) -> tuple[Any, dict, Any]:
    """The stages after linking, a file's findings at a time (``lunalint.store``): related
    locations capped, levels, suppressions (which add their own findings), levels again (so a
    waiver or directive hides a finding whatever its level, and the findings about
    suppressions get theirs), then redaction. Gives the findings, in report order, and the
    exact fixes by :func:`fix_key` of the redacted finding, and their counts (a
    :class:`lunalint.reporters.Tally`, made as they are written)."""
    from lunalint import suppress
    from lunalint.reporters import Tally
    from lunalint.store import held, sort_key

    cfg = options.settings
    levels = cfg.levels
    named = {d.path for d in result.documents}
    marker = suppress.Marker(
        flatten(result.documents), cfg, known=options.known_rules,
        selected={r.id for r in options.rules}, inline=options.inline_suppressions,
        settings_path=suppress.display(cfg.source, options.cwd) if cfg.source else "")

    fixes: dict = {}
    keep_fixes = options.exact_fixes or options.fixing

    def mark(group: list[Finding]) -> list[Finding]:
        mark = marker.mark
        return [mark(f) for f in suppress.apply_levels(cap_related(group, named), levels)]

    counted = Tally()

    def shown(group: list[Finding]) -> list[Finding]:
        exact = suppress.apply_levels(group, levels)
        out = redactor.findings(exact)
        for raw, f in zip(exact, out):
            counted.add(f)
            if keep_fixes and raw.fix is not None:
                fixes[fix_key(f)] = raw.fix
        return out

    findings = held(result.findings)
    result.findings = None
    if marker.adds_nothing:  # (the usual case) one reading, each file sorted once marked
        def both(group: list[Finding]) -> list[Finding]:
            marked = mark(group)
            marked.sort(key=sort_key)
            return shown(marked)

        return findings.map(both, ordered=True), fixes, counted
    # The findings about suppressions need every finding marked first (a directive that
    # hid nothing); they are sorted in with each file's findings.
    marked = findings.map(mark, ordered=False)
    del findings
    marked.extend(marker.own())
    return marked.map(shown, ordered=True), fixes, counted


def _audit(options: Options, outcome: Outcome):
    """The audit facts of the run (redacted), or None with a notice when collecting them
    failed: the report then shows the findings alone rather than the run failing."""
    from lunalint import audit

    try:
        from lunalint.engine import display_path

        # What was named, as paths are shown (from the project root; a folder keeps its `/`)
        shown = [p if p == "-" else display_path(p, options.cwd)
                 + ("/" if p.endswith(("/", os.sep)) and p.rstrip("/" + os.sep) else "")
                 for p in options.paths]
        return audit.collect(outcome, paths=shown, settings=options.settings).redacted(
            outcome.redactor.text)
    except Exception as error:  # a bug here must not cost the user the findings
        outcome.notices.append(outcome.redactor.text(
            f"the estate facts of the audit report could not be collected "
            f"({type(error).__name__}: {error}); the report shows the findings only. "
            "Please report this."))
        return None


# A finding shows at most this many related locations (a capture that repeats a session
# thousands of times must not give each finding thousands); the message says how many more.
MAX_RELATED = RELATED_SHOWN


def cap_related(findings: list[Finding], named: set[str]) -> list[Finding]:
    """Findings with at most :data:`MAX_RELATED` related locations each, keeping first those
    in the files the user named (the ones they are looking at), then the others in order."""
    from lunalint import record as records

    out = []
    for f in findings:
        # (a Related holds only what any choice below can pick, and how many there were)
        total = getattr(f.related, "total", len(f.related))
        if total <= MAX_RELATED:
            out.append(f)
            continue
        ordered = sorted(f.related, key=lambda r: r.path not in named)  # stable
        more = total - MAX_RELATED
        out.append(records.replace(
            f, related=tuple(ordered[:MAX_RELATED]),
            message=f"{f.message} (related locations: {MAX_RELATED} are listed, {more} more "
                    "are not)"))
    return out


def fix_key(f: Finding) -> tuple:
    return (f.rule, f.path, f.span, f.anchor)


def _facts(cfg, what_if: dict | None = None) -> dict | None:
    """What rules may read of the configuration file's ``facts`` (and the what-if versions)."""
    facts: dict = {}
    if what_if:
        facts["what_if"] = what_if
    if cfg.facts:
        facts["file_facts"] = cfg
    if cfg.firmware:
        facts["firmware"] = list(cfg.firmware)
    return facts or None


def inputs_read(options: Options, outcome: Outcome) -> list[str]:
    """Every file the run read: what was named, the configuration file and baseline, each
    document linted and each file linked in as context. Reports and baselines are never
    written over one of them."""
    cfg = options.settings
    out = list(options.paths) + [p for p in (cfg.source, options.baseline) if p]
    out += [doc.path for doc in outcome.documents] + list(outcome.read)
    out += [doc.path for ws in outcome.workspaces
            for doc in (*getattr(ws, "configs", ()), *getattr(ws, "exports", ()))]
    if options.cwd:
        out = [os.path.join(options.cwd, p) for p in out]
    return out


def _baseline(options: Options, outcome: Outcome, root: str) -> None:
    """Write and/or apply a baseline (entries are keyed by structural anchors, redacted)."""
    if not (options.write_baseline or options.baseline):
        return  # (nothing to import)
    from lunalint import baseline

    if options.write_baseline:
        try:
            from lunalint import writeout

            read = [p for p in inputs_read(options, outcome) if p != options.baseline]
            outcome.baseline_written = baseline.write(
                options.write_baseline, outcome.findings, root, guard=[root],
                inputs=writeout.input_ids(read), base=options.cwd)
        except OSError as error:
            raise PipelineError(f"cannot write {options.write_baseline}: "
                                f"{error.strerror or error}") from None
    source = options.baseline or options.write_baseline
    if not source:
        return
    try:
        known = baseline.load(source)
    except baseline.BaselineError as error:
        raise PipelineError(str(error)) from None
    outcome.findings, outcome.fixed = baseline.apply(
        outcome.findings, known, root, source, [doc.path for doc in outcome.documents],
        options.cwd)
    outcome.fixed = [outcome.redactor.text(f) for f in outcome.fixed]
