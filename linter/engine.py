"""The engine: discover → read → model → per-file rules → facts → link → workspace rules.

Per file, in a worker when there are many: read, check, reduce to facts (:mod:`lunalint.facts`)
and drop the model; results stream back in order, the link stage is fed as they arrive
(:class:`lunalint.workspace.Linker`), and unchanged files come from the result cache
(:mod:`lunalint.cache`).

It knows readers and rules only through their public entry points, and hands reporters a
sorted list of :class:`~lunalint.findings.Finding`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint import confine, discover, redact, source
from lunalint import record as records
from lunalint.record import opt, record
from lunalint.findings import (RELATED_SHOWN, Edit, Finding, Fix, Level, Location, Related,
                               relative_to, thin_related)
from lunalint.model.base import Document, Host, Span, SyntaxProblem, flatten
from lunalint.model.config import ClientConfig, SlimConfig
from lunalint.rules.base import Context, Problem, Rule

INTERNAL_RULE = "LUNALINT-INTERNAL"


@record
class Unreadable(Document):
    """A file that could not be read as text: its only content is the problem."""

    @property
    def kind(self) -> str:
        return "unreadable"


@record
class Linted(Document):
    """Stands for a document whose model was dropped after its per-file rules ran.

    Sending a whole model back from a worker costs about as much as building it again, so only
    its path, kind and problems come back; linking works on its facts (``lunalint.facts``).
    """

    of_kind: str = ""

    @property
    def kind(self) -> str:
        return self.of_kind


def slim(doc: Document) -> Document:
    """What the steps after the per-file rules need of ``doc`` (linking reads facts, never
    models): a configuration keeps the comments that mention lunalint (inline suppressions),
    not its sections or lines (:class:`~lunalint.model.config.SlimConfig`); a capture only its
    path, kind and problems."""
    shaped = _slim(doc)
    held: list = []

    def source():  # (worked out once, only for a file with directives)
        if not held:
            held.append(_excerpt_source(flatten([shaped])))
        return held[0]

    return _slim_configs(shaped, source)


def _slim(doc: Document) -> Document:
    if isinstance(doc, ClientConfig):
        return records.replace(doc, sections=(), template_spans=())
    if isinstance(doc, Unreadable):
        return doc
    if isinstance(doc, Host):  # its parts, slim (inline suppressions live in their comments)
        return records.replace(doc, lines=(), parts=tuple(_slim(p) for p in doc.parts))
    return Linted(doc.path, (), doc.problems, of_kind=doc.kind)


def _slim_configs(doc: Document, source) -> Document:
    """``doc`` with each configuration (the document or a part of a host) a
    :class:`SlimConfig`. The excerpts it keeps are those :func:`attach_excerpts` would quote
    from the file's slim parts (``source()``), so findings about directives read the same."""
    from lunalint import suppress
    from lunalint.model.config import lines_digest

    if isinstance(doc, Host):
        return records.replace(doc, parts=tuple(_slim_configs(p, source) for p in doc.parts))
    if not isinstance(doc, ClientConfig):
        return doc
    kept = [(comment, target) for comment, target in zip(doc.comments,
                                                          suppress.directive_targets(doc))
            if target is not None]
    excerpts: list[tuple[int, str]] = []
    if kept:
        lines, secrets = source()
        for number in sorted({span.line for (span, _text), _t in kept}):
            if 0 < number <= len(lines):
                excerpts.append((number, secrets.mask_line(number, lines[number - 1])))
    return SlimConfig(doc.path, (), doc.problems, doc.form, (), tuple(c for c, _t in kept), (),
                      doc.template_syntaxes, doc.open_lines, doc.loop_lines, doc.partial,
                      doc.newline, doc.loop_regions, tuple(t for _c, t in kept),
                      tuple(excerpts), len(doc.lines), lines_digest(doc.lines))


@record(frozen=False)
class Result:
    findings: list[Finding]
    documents: list[Document]
    skipped: list[str] = opt(factory=list)
    notices: list[str] = opt(factory=list)
    missing: list[str] = opt(factory=list)  # paths that do not exist (missing_ok)
    # Named hosts (scripts, Dockerfiles, runbooks, YAML) with no Luna content: not ours, and
    # not an error, but the user is told (the pre-commit hook names every such file).
    unused: list[str] = opt(factory=list)
    secrets: set[str] = opt(factory=set)  # secret values met in every file read
    workspaces: list = opt(factory=list)  # the linked workspace of each scope
    read: list[str] = opt(factory=list)  # files read only as context for linking (shown)


def display_path(path: str, cwd: str | None = None) -> str:
    """``path`` relative to ``cwd`` when under it, else absolute; always with ``/``."""
    cwd = os.path.abspath(cwd or os.getcwd())
    full = os.path.abspath(path)
    if os.pardir in path.replace("\\", "/").split("/"):  # `link/..` goes where the system goes
        folder, name = os.path.split(path if os.path.isabs(path)
                                     else os.path.join(os.getcwd(), path))
        full = os.path.join(os.path.realpath(folder), name) if name else os.path.realpath(folder)
    rel = relative_to(full, cwd)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = full
    return rel.replace(os.sep, "/")


def read_document(path: str, shown: str, explicit: bool,
                  kind: str | None = None) -> Document | None:
    """The model of one file, an :class:`Unreadable`, or None when it is not a Luna file."""
    return document_from(confine.load(confine.Target(path, explicit)), path, shown, explicit,
                         kind)


def document_from(loaded: source.Loaded, path: str, shown: str,
                  explicit: bool, kind: str | None = None) -> Document | None:
    """The model of content already loaded from ``path`` (shown as ``shown``)."""
    if loaded.text is None:
        if not explicit and loaded.encoding == "binary" and not _luna_name(path):
            return None  # a binary file met while walking a tree is simply not ours
        return Unreadable(shown, (), (SyntaxProblem(Span(1, 1, 1, 1), loaded.problem or ""),))
    hint = kind
    if hint is None and discover.embeds(path, loaded.text):
        # A host is never read as a Luna file itself, whatever one line of it looks like:
        # its embedded parts are (named or walked alike).
        host = _host(path, shown, loaded.text)
        if host is None and not discover.embeds(path):
            # A host by its content only (a shebang, program syntax): it was read, and holds
            # nothing of ours; an empty host says so rather than "not recognised".
            return Host(shown, (), ())
        return host
    kind, form = discover.classify(path, loaded.text, kind)
    if kind is None:
        return None
    if kind == "config":
        from lunalint.readers.config import read_config

        doc: Document = read_config(shown, loaded.text, form)
    else:
        from lunalint.readers.export import read_export

        doc = read_export(shown, loaded.text)
    if loaded.problem:  # decoded with a fallback: say so, as the first problem
        problems = (SyntaxProblem(Span(1, 1, 1, 1), loaded.problem),) + doc.problems
        doc = _with_problems(doc, problems)
    return doc


def _host(path: str, shown: str, text: str) -> Document | None:
    """The Luna parts embedded in a script, a Markdown runbook or a YAML file, or None."""
    from lunalint.readers import embedded

    if not embedded.may_hold(text):
        return None
    from lunalint.readers.config import config_from_calls, read_config, split_lines

    from lunalint.readers import branches, commands

    lines = split_lines(text)
    host = discover.host_kind(path, text)
    script = commands.read(host, lines) if host is not None else commands.Commands()
    found, calls = embedded.find(path, text, lines, script.appends)
    calls = [*calls, *script.set_values]
    branch_of = branches.paths(lines, shell=host in ("shell", "makefile")) \
        if found or calls or script.settings else []
    parts: list[Document] = []
    for part in found:
        if part.kind == "config":
            doc = read_config(shown, part.text, part.form, branch_of, fragment=part.partial)
            if part.partial:  # a fragment (`...` stands for left-out lines)
                doc = records.replace(doc, partial=True)
            parts.append(doc)
        else:
            from lunalint.readers.export import read_export

            capture = read_export(shown, part.text)
            if host == "markdown":  # a runbook: later steps may change what it shows
                steps = embedded.later_steps(lines)
                if steps:
                    capture = records.replace(capture, later_steps=steps)
            parts.append(capture)
    if calls or script.settings:
        parts.append(config_from_calls(shown, lines, calls, script.settings, branch_of))
    if script.found:
        parts.append(commands.session(shown, lines, script, host or "shell"))
    if not parts:
        return None
    return Host(shown, tuple(lines), (), parts=tuple(parts))


def _luna_name(path: str) -> bool:
    """True when the file's name says it is a Luna file (so it is reported even if binary)."""
    name = os.path.basename(path)
    return bool(discover.CONFIG_NAME.match(name) or discover.EXPORT_NAME.search(name))


def _with_problems(doc: Document, problems: tuple[SyntaxProblem, ...]) -> Document:
    return records.replace(doc, problems=problems)


def run_rules(rules: Iterable[Rule], documents: list[Document], ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    rules = list(rules)
    for doc in documents:
        for rule in rules:
            if not _applies(rule, doc):
                continue
            findings.extend(_run_one(rule, doc, doc.path, ctx))
    workspace_rules = [r for r in rules if r.scope == "workspace"]
    if workspace_rules:
        anchor_path = documents[0].path if documents else "."
        for rule in workspace_rules:
            findings.extend(_run_one(rule, ctx.workspace, anchor_path, ctx))
    return findings


def _applies(rule: Rule, doc: Document) -> bool:
    if rule.scope == "document":
        return True
    return rule.scope == doc.kind


def _run_one(rule: Rule, subject: Any, path: str, ctx: Context) -> list[Finding]:
    out = []
    try:
        for problem in rule.check(subject, ctx):
            if isinstance(problem, Problem) and isinstance(problem.related, (tuple, list)) \
                    and len(problem.related) > RELATED_SHOWN:
                problem = records.replace(problem, related=thin_related(
                    problem.related, lambda r, own=problem.path or path: _rel_path(r, own)))
            wrong = _invalid(problem)
            if wrong is None:
                out.append(_finding(rule, problem, path))
            else:  # a plugin's bad span must not crash a reporter or break SARIF
                out.append(Finding(
                    INTERNAL_RULE, Level.ERROR,
                    f"rule {rule.id} reported a problem lunalint cannot show ({wrong}); it was "
                    "dropped, other findings are shown. Please report this to the rule's "
                    "author.", path, Span(1, 1, 1, 1), anchor=f"internal:{rule.id}"))
    except Exception as error:  # a broken rule must not stop the run
        import traceback  # (only when a rule failed)

        where = traceback.extract_tb(error.__traceback__)[-1]
        out.append(Finding(
            INTERNAL_RULE, Level.ERROR,
            f"rule {rule.id} failed on this file: {type(error).__name__}: {error} "
            f"(at {os.path.basename(where.filename)}:{where.lineno}); other rules still ran. "
            "Please report this.", path, Span(1, 1, 1, 1), anchor=f"internal:{rule.id}"))
    return out


def _rel_path(r: Any, own: str) -> Any:
    """The file a related ``(path, span, message)`` triple points at (None: the problem's)."""
    try:
        return r[0] or own
    except Exception:  # not a triple: _invalid says so (it is kept)
        return None


def _invalid_span(span: Any) -> str | None:
    if not isinstance(span, Span):
        return f"a span of type {type(span).__name__}, not Span"
    values = (span.line, span.column, span.end_line, span.end_column)
    if not all(type(v) is int for v in values):
        return "a span with a position that is not a whole number"
    if span.line < 1 or span.column < 1 or (span.end_line, span.end_column) < (span.line, span.column):
        return (f"the span {span.line}:{span.column}-{span.end_line}:{span.end_column}, which "
                "starts before line 1, column 1 or ends before it starts")
    return None


def _invalid(problem: Any) -> str | None:
    """Why ``problem`` (from any rule, plugins included) cannot become a finding, or None."""
    if not isinstance(problem, Problem):
        return f"a {type(problem).__name__}, not a Problem"
    wrong = _invalid_span(problem.span)
    if wrong:
        return wrong
    if not isinstance(problem.message, str) or not isinstance(problem.anchor, str):
        return "a message or anchor that is not text"
    if problem.path is not None and not isinstance(problem.path, str):
        return "a path that is not text"
    if problem.level is not None and not isinstance(problem.level, Level):
        return "a level that is not a Level"
    if problem.fix is not None:
        wrong = _invalid_fix(problem.fix)
        if wrong:
            return wrong
    try:
        for p, span, message in problem.related:
            if (p is not None and not isinstance(p, str)) or not isinstance(message, str):
                return "a related location whose path or message is not text"
            wrong = _invalid_span(span)
            if wrong:
                return "a related location with " + wrong
    except (TypeError, ValueError):
        return "related locations that are not (path, span, message) triples"
    return None


def _invalid_fix(fix: Any) -> str | None:
    if not isinstance(fix, Fix) or not isinstance(fix.edits, tuple) or not fix.edits:
        return "a fix that is not a Fix with edits"
    for edit in fix.edits:
        if not isinstance(edit, Edit) or not isinstance(edit.replacement, str):
            return "a fix whose edits are not Edits"
        wrong = _invalid_span(edit.span)
        if wrong:
            return "a fix with " + wrong
    return None


def _finding(rule: Rule, problem: Problem, path: str) -> Finding:
    own = problem.path or path
    related = tuple(Location(p or own, span, message) for p, span, message in problem.related)
    if isinstance(problem.related, Related):
        related = Related(related, problem.related.total)
    # A fix edits the finding's own file; one from a rule that does not declare a fix class
    # is not trusted.
    fix = problem.fix if own == path and rule.fix_class != "none" else None
    if fix is not None and fix.applicability == "safe" and rule.fix_class != "safe":
        fix = None
    return Finding(rule.id, problem.level or rule.level, problem.message, own, problem.span,
                   anchor=problem.anchor, related=related, intentional=problem.intentional,
                   help_uri=rule.help_uri, fix=fix)


_FILE_RULES: dict[tuple, tuple[tuple[Rule, ...], dict]] = {}


def _file_rules(rules: list[Rule], kind: str, proposing: bool = False) -> list[Rule]:
    """The rules of ``rules`` that check one document of ``kind`` in the per-file stage (or,
    ``proposing``, the linking rules that propose fixes for it), chosen once per rule list
    and kind rather than for every file (issue 21)."""
    key = tuple(map(id, rules))
    held = _FILE_RULES.get(key)
    if held is None:
        if len(_FILE_RULES) >= 8:
            _FILE_RULES.clear()
        held = _FILE_RULES[key] = (tuple(rules), {})  # (kept: the ids stay theirs)
    chosen = held[1].get((kind, proposing))
    if chosen is None:
        applies = [r for r in rules if r.scope == "document" or r.scope == kind]
        chosen = held[1][(kind, proposing)] = [
            r for r in applies if r.needs_workspace and r.fixer is not None
            and r.fix_class != "none"] if proposing else [
            r for r in applies if not r.needs_workspace]
    return chosen


def _proposals(rules: Iterable[Rule], doc: Document, ctx: Context) -> list[Finding]:
    """Fixes that linking rules' ``fixer`` functions propose for ``doc`` in the per-file
    stage (where the whole model is at hand), joined to their findings after linking."""
    out = []
    for rule in rules:
        if rule.fixer is None or not rule.needs_workspace or rule.fix_class == "none" \
                or not _applies(rule, doc):
            continue
        try:
            for anchor, fix in rule.fixer(doc, ctx):
                if _invalid_fix(fix) is None and isinstance(anchor, str) and \
                        (fix.applicability == "unsafe" or rule.fix_class == "safe"):
                    out.append(Finding(rule.id, rule.level, "", doc.path, Span(1, 1, 1, 1),
                                       anchor=anchor, fix=fix, proposed=True))
        except Exception:  # a broken fixer costs its fixes only; the check still runs
            continue
    return out


def join_proposals(findings: list[Finding]) -> list[Finding]:
    """``findings`` with each proposed fix joined to the finding of its rule, path and anchor,
    and the proposals themselves gone."""
    proposed = {(f.rule, f.path, f.anchor): f.fix for f in findings if f.proposed}
    if not proposed:
        return findings
    return [records.replace(f, fix=proposed.get((f.rule, f.path, f.anchor)))
            if f.fix is None and (f.rule, f.path, f.anchor) in proposed else f
            for f in findings if not f.proposed]


def _fixable(doc: Document, findings: list[Finding]) -> list[Finding]:
    """Keep a fix only where ``--fix`` could apply it (``lunalint.patch.refusal``)."""
    from lunalint import patch

    out = []
    for f in findings:
        if f.fix is not None and (f.path != doc.path or patch.refusal(doc, f.fix) is not None):
            f = records.replace(f, fix=None)
        out.append(f)
    return out


def attach_excerpts(findings: list[Finding], documents: list[Document]) -> list[Finding]:
    """Give each finding the text of its first line, secret values masked (``lunalint.redact``
    knows which). Messages and anchors are scrubbed later, at the output boundary."""
    by_path: dict[str, list[Document]] = {}
    for doc in documents:
        by_path.setdefault(doc.path, []).append(doc)
    sources: dict[str, tuple[tuple[str, ...], redact.Secrets]] = {}
    out = []
    for f in findings:
        docs = by_path.get(f.path)
        if not docs:
            out.append(f)
            continue
        if not any(d.lines for d in docs) and any(isinstance(d, SlimConfig) for d in docs):
            # slim configurations: the lines a finding about a directive quotes were kept
            text = next((t for t in (d.excerpt_at(f.span.line) for d in docs
                                     if isinstance(d, SlimConfig)) if t is not None), None)
            out.append(f if text is None else records.replace(f, excerpt=text))
            continue
        if f.path not in sources:
            sources[f.path] = _excerpt_source(docs)
        lines, secrets = sources[f.path]
        if not 0 < f.span.line <= len(lines):
            out.append(f)
            continue
        out.append(records.replace(f, excerpt=secrets.mask_line(f.span.line,
                                                                    lines[f.span.line - 1])))
    return out


def _excerpt_source(docs: list[Document]) -> tuple[tuple[str, ...], redact.Secrets]:
    """The lines findings on a file quote, and the secrets to mask in them. A host's own
    lines are quoted (its parts only see their share), masked with every part's secrets."""
    host = next((d for d in docs if isinstance(d, Host)), None)
    parts = flatten(docs)
    try:
        found = [redact.secrets_of(p) for p in parts]
    except Exception:  # never let a secret out because finding it failed: hide the lines
        lines = (host or docs[0]).lines
        return lines, redact.Secrets({n: ((0, len(line)),) for n, line in enumerate(lines, 1)})
    lines = host.lines if host is not None else max(parts, key=lambda p: len(p.lines)).lines
    if len(found) == 1:
        return lines, found[0]
    return lines, redact.merge(found)


# A run over at least this many files may use a process pool by default (``jobs=None``).
PARALLEL_THRESHOLD = 64
_CHUNK = 16
# ... and then one process per this many bytes of input (issue 21), so a run under 1 MB stays
# in one process. Measured on 2 idle cores with the work shared (``_shared``), --jobs 2 against
# --jobs 1: 0.15 MB of INI files 1.00x wall for 1.19x CPU (nothing gained), 0.3 MB 0.89x
# wall, 0.6 MB 0.79x, 1.2 MB 0.76x (1.10x CPU); estate sites of 1, 2 and 4 MB 0.80x, 0.74x
# and 0.72x wall (1.03-1.06x CPU).
PARALLEL_BYTES = 500_000
# From this many bytes of input, what the link stage keeps (records, configurations' sections,
# excerpt lines) is kept compressed (issue 21: an estate's memory). Below it, the compressing
# and rebuilding would cost more time than the memory it saves is worth: on 1,000 INI files
# (1.2 MB) compacting took the run from 0.52 to 0.60 s of CPU for a peak that is small anyway.
COMPACT_BYTES = 4_000_000


def default_jobs(files: int, size: int | None = None) -> int:
    """Processes for ``files`` files of ``size`` bytes in all (None: unknown, judged by the
    count): one for a handful of files or less than a megabyte, up to every usable core for
    more."""
    if files < PARALLEL_THRESHOLD:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    jobs = min(cores, files // _CHUNK)
    if size is not None:
        jobs = min(jobs, size // PARALLEL_BYTES)
    return max(1, jobs)


def _input_bytes(items: list) -> int:
    """The size of the files about to be read (given content counted as given)."""
    total = 0
    for target, _shown, _named in items:
        if target.content is not None:
            total += len(target.content)
            continue
        try:
            total += os.stat(target.path).st_size
        except (OSError, ValueError):
            pass  # reading it will say why
    return total


@record
class Plan:
    """What the per-file step does with each file (the same in every worker).

    ``link``: reduce each model to its :mod:`lunalint.facts` (a linking rule is selected).
    ``all_sections``: facts keep every configuration section (a plugin's per-file rule reads
    the workspace and may look at any section). ``whole``: named files come back as whole
    models (a plugin's linking rule checks captures or documents, which have no facts form).
    """

    link: bool = False
    all_sections: bool = False
    whole: bool = False
    project: str | None = None
    cache: Any = None  # lunalint.cache.Cache, or None


def plan_for(rules: list[Rule], project: str | None = None, cache: Any = None) -> Plan:
    linking = [r for r in rules if r.needs_workspace]
    own = [r for r in linking if r.uses_workspace]
    return Plan(link=bool(linking),
                all_sections=any(r.origin != "lunalint" for r in own),
                # lunalint's own capture rules read the capture's summary (its HA listings);
                # a plugin's, or a rule over any document, gets the whole model
                whole=any(r.scope != "config" and (r.scope != "export"
                                                   or r.origin != "lunalint") for r in own),
                project=project, cache=cache)


# What the per-file step gives back for one file: its slim model (None when it is not a Luna
# file), its findings (excerpts masked), its secret values, its facts (None unless linking),
# and the cache's digest of what was read (None without a cache).
PerFile = tuple  # (Document | None, list[Finding], frozenset[str], FileFacts | None, str | None)


def _lint_one(target: confine.Target, shown: str, rules: list[Rule], ctx: Context,
              project: str | None = None, plan: Plan | None = None,
              named: bool = True) -> PerFile:
    """Read one file, run the per-file rules on it and reduce it to facts.

    This is the unit of work a worker process does: per-file steps belong here. Whatever
    goes wrong while reading this one file becomes a finding on it; the run goes on. Only the
    slim model (lines and comments of a configuration, for inline suppressions), the findings,
    the secret values and the facts leave the worker; the whole model is dropped here.
    """
    plan = plan or Plan(project=project)
    try:
        loaded = confine.load(target, plan.project)
    except Exception as error:  # never expected: confinement says why it refuses
        return Unreadable(shown, (), ()), [_internal(shown, "the reader", error)], \
            frozenset(), ()
    # (the digest of what was read: the one-pack cache of the scope is keyed by those of
    # every file, as read by the step that checked it)
    content = plan.cache.content(loaded) if plan.cache is not None else None
    cache = plan.cache if loaded.text is not None and not plan.whole else None
    key = None
    if cache is not None:
        key = cache.key(shown, target, loaded, named)
        hit = cache.get(key)
        if hit is not None:
            return (*hit, content)
    out = _compute(loaded, target, shown, rules if named else [], ctx, plan, named)
    if cache is not None and key is not None:
        cache.put(key, out)
    return (*out, content)


def _compute(loaded: source.Loaded, target: confine.Target, shown: str, rules: list[Rule],
             ctx: Context, plan: Plan, named: bool) -> PerFile:
    try:
        doc = document_from(loaded, target.path, shown, target.explicit, target.kind)
    except Exception as error:  # a reader bug must cost this file only
        return Unreadable(shown, (), ()), [_internal(shown, "the reader", error)], \
            frozenset(), ()
    if doc is None:
        return None, [], frozenset(), ()
    parts = doc.parts if isinstance(doc, Host) else (doc,)
    findings = [f for part in parts for rule in _file_rules(rules, part.kind)
                for f in _run_one(rule, part, part.path, ctx)]
    if not isinstance(doc, Host):
        findings += _proposals(_file_rules(rules, doc.kind, True), doc, ctx)
    findings = _fixable(doc, findings)
    lines, secrets = _excerpt_source([doc])
    count = len(lines)
    findings = [records.replace(f, excerpt=secrets.mask_line(f.span.line,
                                                                 lines[f.span.line - 1]))
                if 0 < f.span.line <= count and f.path == doc.path else f for f in findings]
    file_facts: tuple = ()
    if plan.link:
        from lunalint import facts

        try:  # a host gives the facts of each embedded part, quoting the host's lines
            file_facts = tuple(f for f in (facts.of(part, secrets, plan.all_sections, lines)
                                           for part in parts) if f is not None)
        except Exception as error:  # this file then gives no context; the others still link
            findings.append(_internal(shown, "the link stage", error))
    if not named:
        return None, [], secrets.values, file_facts
    return (doc if plan.whole else slim(doc)), findings, secrets.values, file_facts


def _internal(path: str, what: str, error: Exception) -> Finding:
    import traceback  # (only when reading failed)

    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {os.path.basename(where.filename)}:{where.lineno})" if where else ""
    return Finding(INTERNAL_RULE, Level.ERROR,
                   f"{what} failed on this file: {type(error).__name__}{at}; the file was not "
                   "checked, other files were. Please report this.", path, Span(1, 1, 1, 1),
                   anchor=f"internal:{what.replace(' ', '-')}")


# Set in each worker process by _init_worker (or inherited when the pool forks).
_WORKER: dict[str, Any] = {}


def _init_worker(rule_ids: list[str], facts: dict[str, Any], plan: Plan,
                 portable: tuple = ()) -> None:
    if _WORKER.get("ids") != rule_ids:  # spawned, not forked: load the same rules by id
        from lunalint.registry import load_registry

        registry = load_registry()
        for rule in portable:  # rules that travel as they are (organisation policies)
            registry.rules.setdefault(rule.id, rule)
        _WORKER["rules"] = [registry.rules[i] for i in rule_ids if i in registry.rules]
        _WORKER["ids"] = rule_ids
    _WORKER["ctx"] = Context(facts=facts, workspace=None)
    _WORKER["plan"] = plan


def _work(item: tuple[confine.Target, str, bool]) -> PerFile:
    return _lint_one(item[0], item[1], _WORKER["rules"], _WORKER["ctx"], plan=_WORKER["plan"],
                     named=item[2])


def _lint_all(items: list[tuple[confine.Target, str, bool]], rules: list[Rule], ctx: Context,
              jobs: int, plan: Plan) -> Iterable[PerFile]:
    """Per-file work for ``items`` (target, shown path, named), in order, streamed."""
    if jobs <= 1 or len(items) < 2:
        for target, shown, named in items:
            yield _lint_one(target, shown, rules, ctx, plan=plan, named=named)
        return
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods():
        yield from _shared(items, rules, ctx, jobs, plan)
        return
    # Without fork (Windows), workers are spawned: each loads the same rules by id.
    ids = [r.id for r in rules]
    mp = multiprocessing.get_context()
    try:
        chunk = max(1, min(64, len(items) // (jobs * 8)))
        portable = tuple(r for r in rules if getattr(r, "portable", False))
        with mp.Pool(jobs, _init_worker, (ids, ctx.facts, plan, portable)) as pool:
            yield from pool.imap(_work, items, chunksize=chunk)
    finally:
        _WORKER.clear()


# The chunks of files handed out one at a time by :func:`_shared`: at most this many, whose
# numbers (2 bytes each) are written to a pipe at once, well within any pipe's buffer.
_MAX_CHUNKS = 4096


def _shared(items: list[tuple[confine.Target, str, bool]], rules: list[Rule], ctx: Context,
            jobs: int, plan: Plan) -> Iterable[PerFile]:
    """Per-file work shared by this process and ``jobs - 1`` forked helpers, in order.

    The items are cut into chunks whose numbers wait in a pipe; a process that is free reads
    the next number, so the work balances itself. This process works too (issue 21: on two
    cores a pool of two workers left a third process, this one, receiving every result):
    it does the first chunk before the helpers start, so they inherit what it loaded and
    built, keeps its own results as they are (nothing to send), takes the helpers' as they
    come, and yields everything in item order. A helper that stops (killed, or with results
    it could not send) costs only time: a chunk it took and never delivered is done here.
    """
    import multiprocessing
    import pickle
    from multiprocessing.connection import wait

    n = len(items)
    size = max(1, -(-n // _MAX_CHUNKS), min(_CHUNK, n // (jobs * 16)))
    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    numbers, write_end = os.pipe()
    try:
        os.write(write_end, b"".join(k.to_bytes(2, "little") for k in range(len(bounds))))
    finally:
        os.close(write_end)  # once the numbers are read, a read gives nothing: no more work

    def take() -> int | None:
        # (every number is in the pipe before anyone reads, and a pipe read is atomic: two
        # processes never get parts of one number)
        number = os.read(numbers, 2)
        return int.from_bytes(number, "little") if len(number) == 2 else None

    def run(k: int) -> list[PerFile]:
        lo, hi = bounds[k]
        return [_lint_one(target, shown, rules, ctx, plan=plan, named=named)
                for target, shown, named in items[lo:hi]]

    done: dict[int, list[PerFile] | bytes] = {}  # chunk -> results (pickled: a helper's)
    helpers: list = []
    listening: list = []
    following = 0  # the next chunk to yield
    try:
        first = take()
        if first is not None:
            done[first] = run(first)
        mp = multiprocessing.get_context("fork")
        for _ in range(jobs - 1):
            receive, send = mp.Pipe(duplex=False)
            _roomy(send)
            helper = mp.Process(target=_helper, args=(send, take, run), daemon=True)
            try:
                helper.start()
            except OSError:  # no more processes: the ones there (this one at least) do it
                receive.close()
                break
            finally:
                send.close()
            helpers.append(helper)
            listening.append(receive)

        def collect(timeout: float | None) -> None:
            for conn in wait(listening, timeout):
                try:
                    message = conn.recv_bytes()
                except (EOFError, OSError):  # that helper is done (or gone)
                    listening.remove(conn)
                    conn.close()
                    continue
                done[int.from_bytes(message[:4], "little")] = message[4:]

        while following < len(bounds):
            if following not in done:
                k = take()
                if k is not None:
                    done[k] = run(k)
                elif listening:  # every chunk is taken: wait for a helper's
                    collect(None)
                    continue
                else:  # taken by a helper that stopped without sending it: do it here
                    done[following] = run(following)
            if listening:
                collect(0)
            while following in done:
                found = done.pop(following)
                following += 1
                yield from pickle.loads(found) if isinstance(found, bytes) else found
    finally:
        os.close(numbers)
        for conn in listening:
            conn.close()
        for helper in helpers:
            if following < len(bounds):  # stopped early (an error, Ctrl-C): no more work
                helper.kill()
            helper.join(1)
            if helper.is_alive():
                helper.kill()
                helper.join()


def _roomy(conn: Any) -> None:
    """A larger buffer for a helper's pipe where the system allows it (Linux), so that a
    helper seldom waits for this process to take its results."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _helper(send: Any, take: Callable[[], int | None], run: Callable[[int], list]) -> None:
    """A forked helper of :func:`_shared`: take chunks until none is left and send each one's
    results back, pickled here (where the time is spent in parallel)."""
    import pickle
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    try:
        while True:
            k = take()
            if k is None:
                break
            send.send_bytes(k.to_bytes(4, "little")
                            + pickle.dumps(run(k), pickle.HIGHEST_PROTOCOL))
    except Exception:  # this helper stops; what it took and did not send is done elsewhere
        pass
    finally:
        send.close()


def lint(paths: list[str], rules: list[Rule], *, facts: dict[str, Any] | None = None,
         cwd: str | None = None, jobs: int | None = None, missing_ok: bool = False,
         accept: Callable[[str], bool] | None = None,
         kind_of: Callable[[str], str | None] | None = None,
         root: str | None = None, embedded: bool = True,
         given_content: dict[str, str | bytes] | None = None,
         cache: Any = None, link: bool = False) -> Result:
    """Lint ``paths`` (files or directories) with ``rules``; raises nothing for bad input.

    ``given_content`` maps a path of ``paths`` to the content to lint under that name
    instead of reading it (standard input): it is linked and reported as that file would be.

    ``jobs`` is the number of worker processes (None: :func:`default_jobs`). A path that does
    not exist raises FileNotFoundError, unless ``missing_ok``: then it is listed in
    ``Result.missing`` and the other paths are still linted. ``accept`` (the configuration
    file's include/exclude globs) drops files found in directories (files named on the
    command line are always linted); ``kind_of`` (its ``kinds`` globs) says which
    files are configs or exports whatever their name or content.

    ``root`` is the project root (see :mod:`lunalint.confine`): every configuration and
    capture under it gives context to the rules that link files (workspace rules), even when
    ``paths`` names only some files. Findings are then kept only when they, or one of their
    related locations, are in a file ``paths`` names. Paths named outside ``root`` are linted
    alone; with ``root`` None only what is named is read.

    ``cache`` (:class:`lunalint.cache.Cache`) reuses the per-file results of unchanged files.
    ``link`` builds the workspace of each scope (``Result.workspaces``) even when no selected
    rule links files: reports that show groups and members need it (``--format html``).
    """
    given_content = given_content or {}
    missing = [p for p in paths if p not in given_content and not os.path.lexists(p)]
    if missing and not missing_ok:
        raise FileNotFoundError(missing)
    from lunalint.store import FindingStore, held

    total = Result(FindingStore(), [], missing=missing)
    for scope in confine.scopes([p for p in paths if p not in missing], root):
        part = _lint_scope(list(scope.paths), scope.root, rules, facts, cwd, jobs, accept,
                           kind_of, embedded, given_content, cache, link)
        if not total.findings:  # (one scope, the usual case: its store as it is)
            total.findings = held(part.findings)
        else:  # the findings of every scope, in one order (the store sorts each file's)
            if not isinstance(total.findings, FindingStore):
                total.findings = FindingStore(total.findings)
            total.findings.take(held(part.findings))  # (a view is read through once)
        total.documents.extend(part.documents)
        total.skipped.extend(part.skipped)
        total.unused.extend(part.unused)
        total.notices.extend(part.notices)
        total.secrets |= part.secrets
        total.workspaces.extend(part.workspaces)
        total.read.extend(part.read)
    return total


def _lint_scope(paths: list[str], root: str | None, rules: list[Rule],
                facts: dict[str, Any] | None, cwd: str | None, jobs: int | None,
                accept: Callable[[str], bool] | None,
                kind_of: Callable[[str], str | None] | None, embedded: bool = True,
                given_content: dict[str, str | bytes] | None = None,
                cache: Any = None, link: bool = False) -> Result:
    walked = confine.walk(paths, kind_of, root, given_content)
    targets = walked.targets
    if not embedded:  # scripts, runbooks and YAML met while walking are not read
        targets = [t for t in targets if t.explicit or not discover.embeds(t.path, None)]
    if accept is not None:
        targets = [t for t in targets if t.explicit or accept(t.path)]
    if kind_of is not None:
        targets = [records.replace(t, kind=kind_of(t.path)) for t in targets]
    items = [(target, display_path(target.path, cwd), True) for target in targets]
    ctx = Context(facts=facts or {}, workspace=None)
    plan = plan_for(rules, root, cache)
    if link and not plan.link:  # an audit report shows the workspace whatever rules run
        plan = records.replace(plan, link=True)
    context = _context_items(root, targets, accept, kind_of, cwd) if plan.link else []
    everything = items + context
    size = _input_bytes(everything)
    if jobs is None:
        jobs = default_jobs(len(everything), size)
    jobs = max(1, jobs)
    documents: list[Document] = []
    skipped: list[str] = []
    unused: list[str] = []
    findings: list[Finding] = []
    secrets: set[str] = set()
    # The link stage is fed as results stream in (named files first, then context, in
    # order); only each file's masked lines stay beside it, for excerpts.
    notices = [f"{display_path(path, cwd)}: {why}; skipped" for path, why in walked.skipped]
    pack = packed = None
    if cache is not None and not (plan.whole or link or given_content or cache.fresh_configs):
        from lunalint.cache import Pack

        pack = Pack(cache, repr((root, embedded, plan.link, plan.all_sections,
                                 ctx.facts.get("what_if"))))
        packed = _from_pack(pack, everything, plan)
    if packed is not None:  # every file is as it was: the outcome of that run, linked and all
        findings, documents, skipped, unused, secrets = packed
        secrets = set(secrets)
        notices += _empty_dirs_notices(paths, documents, items, cwd)
        return Result(findings, documents, skipped, notices=notices, secrets=secrets,
                      unused=unused, read=[shown for _t, shown, _n in context])
    contents: list[str | None] = []
    secrets_of: dict[int, frozenset] = {}
    linker = None
    link_error: Exception | None = None
    compact = size >= COMPACT_BYTES
    excerpts = Excerpts(compact)
    from lunalint.store import FindingStore

    kept = FindingStore(compact=compact)  # every finding of the scope, by file (see store)
    if plan.link:
        from lunalint.workspace import Linker, Parts

        # A large run links its project part by part unless a report reads the workspace
        # afterwards (audit) or whole models were kept (plugins' rules)
        linker = Parts(root or ".", ctx.facts) if compact and not link and not plan.whole \
            and by_parts(linking_rules(rules)) else Linker(root or ".", ctx.facts,
                                                           compact=compact)
    for (target, shown, named), (doc, found, values, file_facts, content) in zip(
            everything, _lint_all(everything, rules, ctx, jobs, plan)):
        if values:
            secrets_of[len(contents)] = values
        contents.append(content)
        secrets |= values
        if linker is not None:
            for part in file_facts:  # one per configuration or capture (several in a host)
                excerpts.add(part.path, part.lines)
                if link_error is None:
                    try:
                        linker.add(part)
                    except Exception as error:  # linking must not sink per-file findings
                        link_error = error
        if not named:
            continue
        kept.extend(found)
        if doc is None:
            # A named script, runbook or YAML file without Luna content is simply not one of
            # ours (the hook names every chart template); any other named file is reported.
            if target.explicit:
                (unused if discover.embeds(target.path, None) else skipped).append(shown)
            continue
        documents.append(doc)
    notices += _empty_dirs_notices(paths, documents, items, cwd)
    read = [shown for _t, shown, _n in context]
    has_context = bool(context)
    if pack is None:  # what was walked is not read again: let it go before linking (issue
        # 21: the targets, paths and items were 0.8 MB per 1,200 sites held to the end)
        del walked, targets, items, context, everything
    linking = linking_rules(rules)
    workspaces: list = []
    linked: list[Finding] = []
    if linking or link:
        # (the linking findings go to the store as each part of the project is checked)
        linked, workspace = _link_and_run(linking, documents, linker, link_error, excerpts,
                                          ctx, plan.whole, sink=kept.extend)
        if workspace is not None:
            # Only an audit report reads the workspace after its rules ran; other runs keep
            # the files it joined (reports are never written over one) and let it go before
            # the per-file findings are unpacked.
            workspaces.append(workspace if link else workspace.files())
        del workspace, linker, excerpts
    kept.extend(linked)
    del linked
    stage = join_proposals
    if (linking or link) and has_context:
        named = {doc.path for doc in documents}

        def stage(group: list[Finding]) -> list[Finding]:
            return join_proposals([f for f in group if f.path in named
                                   or any(r.path in named for r in f.related)])
    # (read through when the pipeline's stages read them: nothing is copied here)
    findings = kept.view(stage)
    del kept
    if pack is not None and None not in contents:
        _to_pack(pack, everything, plan, contents, findings, documents, skipped, unused,
                 secrets_of)
    return Result(findings, documents, skipped, notices=notices, secrets=secrets,
                  workspaces=workspaces, unused=unused, read=read)


def _from_pack(pack: Any, everything: list[tuple[confine.Target, str, bool]],
               plan: Plan) -> tuple | None:
    """The outcome of the scope from its pack when every file reads as it did then."""
    if not pack.exists():
        return None
    contents = [pack.cache.content(confine.load(target, plan.project))
                for target, _shown, _named in everything]
    return pack.get(_pack_digest(pack, everything, contents),
                    lambda i: _text_as(everything[i][0], plan, pack.cache, contents[i]))


def _to_pack(pack: Any, everything: list[tuple[confine.Target, str, bool]], plan: Plan,
             contents: list[str | None], findings: list[Finding], documents: list[Document],
             skipped: list[str], unused: list[str], secrets_of: dict[int, frozenset]) -> None:
    """Keep the scope's outcome, keyed by what each file's check read."""
    pack.put(_pack_digest(pack, everything, contents), findings, documents, skipped, unused,
             secrets_of, lambda i: _text_as(everything[i][0], plan, pack.cache, contents[i]))


def _pack_digest(pack: Any, everything: list[tuple[confine.Target, str, bool]],
                 contents: list) -> str:
    return pack.digest([(shown, bool(target.explicit), target.kind, named, content)
                        for (target, shown, named), content in zip(everything, contents)])


def _text_as(target: confine.Target, plan: Plan, cache: Any, content: str | None) -> str | None:
    """The text of ``target`` read again, when it still has the digest ``content``."""
    loaded = confine.load(target, plan.project)
    return loaded.text if cache.content(loaded) == content else None


def _empty_dirs_notices(paths: list[str], documents: list[Document],
                        items: list[tuple[confine.Target, str, bool]], cwd: str | None) -> list:
    return [f"{display_path(given, cwd)}: no Luna client configuration or capture found in "
            "this directory" for given in _empty_dirs(paths, documents, items)]


def _context_items(root: str | None, targets: list[confine.Target],
                   accept: Callable[[str], bool] | None,
                   kind_of: Callable[[str], str | None] | None,
                   cwd: str | None) -> list[tuple[confine.Target, str, bool]]:
    """The files under ``root`` that the command line did not name (context for linking)."""
    if root is None:
        return []
    named = {os.path.realpath(t.path) for t in targets}
    found = confine.walk([root], kind_of, root).targets
    extra = [t for t in found if os.path.realpath(t.path) not in named
             and (accept is None or accept(t.path))]
    if kind_of is not None:
        extra = [records.replace(t, kind=kind_of(t.path)) for t in extra]
    return [(t, display_path(t.path, cwd), False) for t in extra]


class Excerpts:
    """The masked lines of every file linked, kept for the excerpts of linking findings
    (:attr:`lunalint.facts.FileFacts.lines`), compressed (issue 21: as line strings in a
    dictionary per file they cost about five times the text, and the text of one estate's
    files repeats a lot). Each file's lines are marshalled and compressed with zlib, with the
    first files' lines as the preset dictionary (as :class:`lunalint.facts.FilePacker` keeps
    whole files' facts); the last file looked up is kept decoded."""

    SAMPLES = 16  # files whose lines make the preset dictionary (kept as they are)

    def __init__(self, compact: bool = True) -> None:
        self._files: dict[str, bytes | dict[int, str]] = {}
        self._compact = compact  # (False: every file's lines kept as they are)
        self._zdict: bytes | None = None
        self._samples: list[bytes] = []
        self._last: tuple[str | None, dict[int, str]] = (None, {})

    def add(self, path: str, lines: dict[int, str]) -> None:
        """Keep ``lines`` (number -> masked text) of ``path``; a line given again replaces
        the one kept (the parts of a host share its lines)."""
        import marshal

        from lunalint.facts import FilePacker, deflate

        if not lines:
            return
        if path in self._files:
            lines = {**self._lines(path), **lines}
        self._last = (None, {})
        numbers = tuple(sorted(lines))
        data = marshal.dumps((numbers, tuple(lines[n] for n in numbers)))
        if not self._compact:
            self._files[path] = dict(lines)
            return
        if self._zdict is None:
            self._files[path] = dict(lines)
            self._samples.append(data)
            if len(self._samples) >= self.SAMPLES:
                self._zdict = b"".join(self._samples)[-(1 << -FilePacker.HOW[1]):]
                self._samples = []
            return
        self._files[path] = deflate(data, self._zdict, FilePacker.HOW)

    def get(self, path: str, line: int) -> str | None:
        return self._lines(path).get(line)

    def _lines(self, path: str) -> dict[int, str]:
        import marshal

        from lunalint.facts import FilePacker, inflate

        if self._last[0] == path:
            return self._last[1]
        held = self._files.get(path)
        if held is None:
            return {}
        if isinstance(held, bytes):
            numbers, texts = marshal.loads(inflate(held, self._zdict, FilePacker.HOW[1]))
            held = dict(zip(numbers, texts))
        self._last = (path, held)
        return held


def linking_rules(rules: list[Rule]) -> list[Rule]:
    return [r for r in rules if r.needs_workspace]


# Link part by part (:class:`lunalint.workspace.Parts`) when the input is large enough to be
# kept compactly (COMPACT_BYTES) and every rule that reads the workspace is known to give on
# each part of a project what it gives on the whole of it (False: never; tests compare both).
BY_PARTS = True

# lunalint's own rules that read the workspace, audited for anything global: each reads the
# groups it checks, the records of their members (joined by serial), the listings joined to
# them (label, group serial) and its own file's forms, all in one part; what they read of the
# whole project (HA113: some capture exists; HA117: some configuration enables HA-only or
# STC) comes from ``Workspace.project()``. ``unique`` and the policies' own dedupe are per
# place, and a place (a file) is in one part. A new linking rule is linked whole until it is
# audited and named here (tests/test_parts.py checks that every one is named).
PART_RULES = frozenset({
    "HA101", "HA113", "HA114", "HA115", "HA116", "HA117", "HA118",
    "POL301", "POL302", "POL303", "POL304", "POL305", "POL306",
    "VER201", "VER202", "VER203", "VER204", "VER205"})


def by_parts(linking: list[Rule]) -> bool:
    """Whether the rules ``linking`` may see the project one part at a time: lunalint's
    audited rules and organisation policies (each checks one group at a time), not a
    plugin's (which may count across the whole workspace)."""
    if not BY_PARTS:
        return False
    for rule in linking:
        if rule.origin == "lunalint" and rule.id in PART_RULES:
            continue
        from lunalint.rules.custom import PolicyCheck, PolicyRule

        if type(rule) is PolicyRule and type(rule.check) is PolicyCheck:
            continue
        return False
    return True


def _link_and_run(rules: list[Rule], documents: list[Document], linker: Any,
                  link_error: Exception | None, excerpts: Excerpts,
                  ctx: Context, whole: bool = False,
                  sink: Callable[[list[Finding]], Any] | None = None) -> tuple[list[Finding], Any]:
    """Finish linking the facts of every file, then run the rules that read the workspace.

    Returns the findings and the workspace (what a report may read of it). With ``sink``,
    the findings are handed to it instead, a list at a time (one per part when the project is
    linked part by part), and the list returned is empty."""
    out: list[Finding] = []
    emit = out.extend if sink is None else sink
    from lunalint.workspace import Parts

    if isinstance(linker, Parts) and link_error is None:
        _run_parts(rules, documents, linker, excerpts, ctx, emit)
        return out, linker.files()
    try:
        if link_error is not None:
            raise link_error
        workspace = linker.finish()
    except Exception as error:  # linking must not sink the per-file findings
        anchor = documents[0].path if documents else "."
        emit([_internal(anchor, "the link stage", error)])
        return out, None
    emit(_run_linked(rules, documents, documents, workspace, excerpts, ctx, whole))
    return out, workspace


def _run_parts(rules: list[Rule], documents: list[Document], parts: Any, excerpts: Excerpts,
               ctx: Context, emit: Callable[[list[Finding]], Any]) -> None:
    """Link each part of the project and run the rules on it, its findings handed to
    ``emit`` before the next part is linked. A part that cannot be linked gives the link
    stage's internal finding on its first named file (else the first document) and the other
    parts go on; a workspace rule that fails gives its internal finding once, however many
    parts it failed on."""
    at: dict[str, list[int]] = {}
    for n, doc in enumerate(documents):
        at.setdefault(doc.path, []).append(n)
    anchor = documents[0].path if documents else "."
    said: set = set()  # internal findings already given
    try:
        found_parts = parts.parts()
    except Exception as error:  # (as when linking the whole project fails)
        emit([_internal(anchor, "the link stage", error)])
        return
    for part in found_parts:
        mine = sorted(n for path in parts.paths_of(part) for n in at.get(path, ()))
        docs = [documents[n] for n in mine]
        try:
            workspace = parts.link(part)
        except Exception as error:  # this part's findings are lost, not the others'
            emit([_internal(docs[0].path if docs else anchor, "the link stage", error)])
            continue
        found = _run_linked(rules, docs, documents, workspace, excerpts, ctx, False)
        del workspace
        internal = {(f.path, f.anchor, f.message) for f in found if f.rule == INTERNAL_RULE}
        if internal:  # (given by an earlier part: not again)
            found = [f for f in found if f.rule != INTERNAL_RULE
                     or (f.path, f.anchor, f.message) not in said]
            said |= internal
        emit(found)


def _run_linked(rules: list[Rule], documents: list[Document], every: list[Document],
                workspace: Any, excerpts: Excerpts, ctx: Context,
                whole: bool = False) -> list[Finding]:
    """The findings of the rules that read ``workspace`` on the ``documents`` it links (of
    ``every`` document of the scope, whose first anchors a workspace rule's findings)."""
    linked = Context(facts=ctx.facts, workspace=workspace)
    # A per-file rule that reads the workspace sees a file as linking does: a configuration's
    # linked sections, a capture's summary with its HA listings, each part of a host (unless
    # whole models were kept for a plugin's rule).
    findings: list[Finding] = []
    per_file = [r for r in rules if r.scope != "workspace"]
    for doc in documents:
        subjects = flatten([doc]) if whole else workspace.forms.get(doc.path, ())
        for subject in subjects:
            for rule in per_file:
                if _applies(rule, subject):
                    findings.extend(_run_one(rule, subject, doc.path, linked))
    workspace_rules = [r for r in rules if r.scope == "workspace"]
    if workspace_rules:
        anchor_path = every[0].path if every else "."
        for rule in workspace_rules:
            findings.extend(_run_one(rule, workspace, anchor_path, linked))
    models = {doc.path: doc for doc in documents} if whole else {}
    out = []
    for f in findings:
        text = excerpts.get(f.path, f.span.line)
        if text is None and f.path in models:  # a whole model (plugin rules): mask it here
            out.extend(attach_excerpts([f], [models[f.path]]))
            continue
        out.append(f if text is None else records.replace(f, excerpt=text))
    return out


def _empty_dirs(paths: list[str], documents: list[Document],
                items: list[tuple[confine.Target, str, bool]]) -> list[str]:
    """The directories named in ``paths`` under which no file was linted."""
    linted = {doc.path for doc in documents}
    out = []
    for given in paths:
        if not os.path.isdir(given) or os.path.islink(given.rstrip("/\\") or given):
            continue
        root = os.path.join(os.path.abspath(given), "")
        if not any(shown in linted and os.path.abspath(target.path).startswith(root)
                   for target, shown, _ in items):
            out.append(given)
    return out
