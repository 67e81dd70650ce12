"""The engine: discover → read → model → rules → findings, one direction.

It knows readers and rules only through their public entry points, and hands reporters a
sorted list of :class:`~lunalint.findings.Finding`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lunalint import confine, discover, redact, source
from lunalint.findings import Finding, Level, Location
from lunalint.model.base import Document, Host, Span, SyntaxProblem, flatten
from lunalint.model.config import ClientConfig
from lunalint.rules.base import Context, Problem, Rule

INTERNAL_RULE = "LUNALINT-INTERNAL"


@dataclass(frozen=True, slots=True)
class Unreadable(Document):
    """A file that could not be read as text: its only content is the problem."""

    @property
    def kind(self) -> str:
        return "unreadable"


@dataclass(frozen=True, slots=True)
class Linted(Document):
    """Stands for a document linted in a worker process when nothing later needs its model.

    Sending a whole model back from a worker costs about as much as building it again, so only
    its path and kind come back unless a workspace rule will look at every document.
    """

    of_kind: str = ""

    @property
    def kind(self) -> str:
        return self.of_kind


def slim(doc: Document) -> Document:
    """What the steps after the per-file rules need of ``doc`` when no workspace rule runs:
    a configuration keeps its lines and comments (inline suppressions), not its sections."""
    import dataclasses

    if isinstance(doc, ClientConfig):
        return dataclasses.replace(doc, sections=(), template_spans=())
    if isinstance(doc, Unreadable):
        return doc
    return Linted(doc.path, (), doc.problems, of_kind=doc.kind)


@dataclass
class Result:
    findings: list[Finding]
    documents: list[Document]
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths that do not exist (missing_ok)
    secrets: set[str] = field(default_factory=set)  # secret values met in every file read
    workspaces: list = field(default_factory=list)  # the linked workspace of each scope


def display_path(path: str, cwd: str | None = None) -> str:
    """``path`` relative to ``cwd`` when under it, else absolute; always with ``/``."""
    cwd = os.path.abspath(cwd or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, cwd)
    except ValueError:  # another drive on Windows
        rel = full
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
    kind, form = discover.classify(path, loaded.text, kind)
    if hint is None and discover.embeds(path, kind):
        host = _host(path, shown, loaded.text)
        if host is not None or kind is None:
            return host
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

    lines = split_lines(text)
    found, calls = embedded.find(path, text, lines)
    parts: list[Document] = []
    for part in found:
        if part.kind == "config":
            parts.append(read_config(shown, part.text, part.form))
        else:
            from lunalint.readers.export import read_export

            parts.append(read_export(shown, part.text))
    if calls:
        parts.append(config_from_calls(shown, lines, calls))
    if not parts:
        return None
    return Host(shown, tuple(lines), (), parts=tuple(parts))


def _luna_name(path: str) -> bool:
    """True when the file's name says it is a Luna file (so it is reported even if binary)."""
    name = os.path.basename(path)
    return bool(discover.CONFIG_NAME.match(name) or discover.EXPORT_NAME.search(name))


def _with_problems(doc: Document, problems: tuple[SyntaxProblem, ...]) -> Document:
    import dataclasses

    return dataclasses.replace(doc, problems=problems)


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
        where = traceback.extract_tb(error.__traceback__)[-1]
        out.append(Finding(
            INTERNAL_RULE, Level.ERROR,
            f"rule {rule.id} failed on this file: {type(error).__name__}: {error} "
            f"(at {os.path.basename(where.filename)}:{where.lineno}); other rules still ran. "
            "Please report this.", path, Span(1, 1, 1, 1), anchor=f"internal:{rule.id}"))
    return out


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


def _finding(rule: Rule, problem: Problem, path: str) -> Finding:
    own = problem.path or path
    related = tuple(Location(p or own, span, message) for p, span, message in problem.related)
    return Finding(rule.id, problem.level or rule.level, problem.message, own, problem.span,
                   anchor=problem.anchor, related=related, intentional=problem.intentional,
                   help_uri=rule.help_uri)


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
        if f.path not in sources:
            sources[f.path] = _excerpt_source(docs)
        lines, secrets = sources[f.path]
        if not 0 < f.span.line <= len(lines):
            out.append(f)
            continue
        out.append(dataclasses.replace(f, excerpt=secrets.mask_line(f.span.line,
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


def masked_line(doc: Document, number: int) -> str:
    """Line ``number`` of ``doc`` with every secret value replaced by ``*``."""
    return redact.secrets_of(doc).mask_line(number, doc.lines[number - 1])


# A run over at least this many files uses a process pool by default (``jobs=None``).
PARALLEL_THRESHOLD = 64
_CHUNK = 16


def default_jobs(files: int) -> int:
    """Worker processes for ``files`` files: none for a handful, every usable core for many."""
    if files < PARALLEL_THRESHOLD:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, files // _CHUNK))


def _lint_one(target: confine.Target, shown: str, rules: list[Rule], ctx: Context,
              project: str | None = None) -> tuple[Document | None, list[Finding], frozenset]:
    """Read one file and run the per-file rules on it (workspace rules run later, once).

    This is the unit of work a worker process does: per-file steps belong here. Whatever
    goes wrong while reading this one file becomes a finding on it; the run goes on.
    Returns the model (None when the file is not a Luna file), its findings and its secret
    values (for the redaction boundary).
    """
    try:
        doc = document_from(confine.load(target, project), target.path, shown,
                            target.explicit, target.kind)
    except Exception as error:  # a reader bug must cost this file only
        return _broken(shown, "reading", error), [_internal(shown, "the reader", error)], \
            frozenset()
    if doc is None:
        return None, [], frozenset()
    findings = [f for part in (doc.parts if isinstance(doc, Host) else (doc,))
                for rule in rules if not rule.needs_workspace and _applies(rule, part)
                for f in _run_one(rule, part, part.path, ctx)]
    lines, secrets = _excerpt_source([doc])
    findings = [dataclasses.replace(f, excerpt=secrets.mask_line(f.span.line,
                                                                 lines[f.span.line - 1]))
                if 0 < f.span.line <= len(lines) and f.path == doc.path else f
                for f in findings]
    values = secrets.values
    return doc, findings, frozenset(values)


def _broken(shown: str, stage: str, error: Exception) -> Document:
    return Unreadable(shown, (), ())


def _internal(path: str, what: str, error: Exception) -> Finding:
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {os.path.basename(where.filename)}:{where.lineno})" if where else ""
    return Finding(INTERNAL_RULE, Level.ERROR,
                   f"{what} failed on this file: {type(error).__name__}{at}; the file was not "
                   "checked, other files were. Please report this.", path, Span(1, 1, 1, 1),
                   anchor=f"internal:{what.replace(' ', '-')}")


# Set in each worker process by _init_worker (or inherited when the pool forks).
_WORKER: dict[str, Any] = {}


def _init_worker(rule_ids: list[str], facts: dict[str, Any], keep: bool = False,
                 project: str | None = None) -> None:
    if _WORKER.get("ids") != rule_ids:  # spawned, not forked: load the same rules by id
        from lunalint.registry import load_registry

        registry = load_registry()
        _WORKER["rules"] = [registry.rules[i] for i in rule_ids if i in registry.rules]
        _WORKER["ids"] = rule_ids
    _WORKER["ctx"] = Context(facts=facts, workspace=None)
    _WORKER["whole"] = keep or any(r.needs_workspace for r in _WORKER["rules"])
    _WORKER["project"] = project


def _work(item: tuple[confine.Target, str]):
    doc, findings, secrets = _lint_one(item[0], item[1], _WORKER["rules"], _WORKER["ctx"],
                                       _WORKER.get("project"))
    if doc is not None and not _WORKER["whole"]:
        doc = slim(doc)
    return doc, findings, secrets


def _lint_all(items: list[tuple[confine.Target, str]], rules: list[Rule], ctx: Context,
              jobs: int, keep: bool = False, project: str | None = None,
              ) -> list[tuple[Document | None, list[Finding], frozenset]]:
    """Per-file work for ``items``; whole models come back when ``keep`` or a rule links."""
    if jobs <= 1 or len(items) < 2:
        whole = keep or any(r.needs_workspace for r in rules)
        out = []
        for target, shown in items:
            doc, findings, secrets = _lint_one(target, shown, rules, ctx, project)
            if doc is not None and not whole and len(items) > 1:  # keep memory flat
                doc = slim(doc)
            out.append((doc, findings, secrets))
        return out
    import multiprocessing

    ids = [r.id for r in rules]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    mp = multiprocessing.get_context(method)
    if method == "fork":  # children inherit the rules (plugins included) as they are
        _WORKER.update(ids=ids, rules=rules)
    try:
        chunk = max(1, min(64, len(items) // (jobs * 8)))
        with mp.Pool(jobs, _init_worker, (ids, ctx.facts, keep, project)) as pool:
            return pool.map(_work, items, chunksize=chunk)
    finally:
        _WORKER.clear()


def lint(paths: list[str], rules: list[Rule], *, facts: dict[str, Any] | None = None,
         cwd: str | None = None, jobs: int | None = None, missing_ok: bool = False,
         accept: Callable[[str], bool] | None = None,
         kind_of: Callable[[str], str | None] | None = None,
         root: str | None = None, embedded: bool = True,
         given_content: dict[str, str | bytes] | None = None,
         link: bool = False) -> Result:
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

    ``link`` builds the workspace of each scope (``Result.workspaces``) even when no selected
    rule links files: reports that show groups and members need it (``--format html``).
    """
    given_content = given_content or {}
    missing = [p for p in paths if p not in given_content and not os.path.lexists(p)]
    if missing and not missing_ok:
        raise FileNotFoundError(missing)
    total = Result([], [], missing=missing)
    for scope in confine.scopes([p for p in paths if p not in missing], root):
        part = _lint_scope(list(scope.paths), scope.root, rules, facts, cwd, jobs, accept,
                           kind_of, embedded, given_content, link)
        total.findings.extend(part.findings)
        total.documents.extend(part.documents)
        total.skipped.extend(part.skipped)
        total.notices.extend(part.notices)
        total.secrets |= part.secrets
        total.workspaces.extend(part.workspaces)
    total.findings.sort(key=lambda f: f.sort_key)
    return total


def _lint_scope(paths: list[str], root: str | None, rules: list[Rule],
                facts: dict[str, Any] | None, cwd: str | None, jobs: int | None,
                accept: Callable[[str], bool] | None,
                kind_of: Callable[[str], str | None] | None, embedded: bool = True,
                given_content: dict[str, str | bytes] | None = None,
                link: bool = False) -> Result:
    walked = confine.walk(paths, kind_of, root, given_content)
    targets = walked.targets
    if not embedded:  # scripts, runbooks and YAML met while walking are not read
        targets = [t for t in targets if t.explicit or not discover.embeds(t.path, None)]
    if accept is not None:
        targets = [t for t in targets if t.explicit or accept(t.path)]
    if kind_of is not None:
        targets = [dataclasses.replace(t, kind=kind_of(t.path)) for t in targets]
    items = [(target, display_path(target.path, cwd)) for target in targets]
    ctx = Context(facts=facts or {}, workspace=None)
    if jobs is None:
        # Linking rules need every whole model back in this process; shipping models back
        # from workers costs more than building them here (bench/RESULTS.md), so a pool pays
        # only when no rule links files.
        jobs = 1 if link or any(r.needs_workspace for r in rules) else default_jobs(len(items))
    jobs = max(1, jobs)
    documents: list[Document] = []
    skipped: list[str] = []
    findings: list[Finding] = []
    secrets: set[str] = set()
    for (target, shown), (doc, found, values) in zip(items, _lint_all(items, rules, ctx, jobs,
                                                                      keep=link, project=root)):
        secrets |= values
        findings.extend(found)
        if doc is None:
            # A named script, runbook or YAML file without Luna content is simply not one of
            # ours (the hook names every chart template); any other named file is reported.
            if target.explicit and not discover.embeds(target.path, None):
                skipped.append(shown)
            continue
        documents.append(doc)
    notices = [f"{display_path(path, cwd)}: {why}; skipped" for path, why in walked.skipped]
    linking = [r for r in rules if r.needs_workspace]
    workspaces: list = []
    if linking or link:
        context, context_secrets = _context_documents(root, targets, accept, kind_of, cwd,
                                                      ctx, jobs)
        secrets |= context_secrets
        linked, workspace = _link_and_run(linking, documents, context, ctx, root or ".")
        findings.extend(linked)
        if workspace is not None:
            workspaces.append(workspace)
        if context:
            named = {doc.path for doc in documents}
            findings = [f for f in findings
                        if f.path in named or any(r.path in named for r in f.related)]
    notices += [f"{display_path(given, cwd)}: no Luna client configuration or capture found in "
                "this directory" for given in _empty_dirs(paths, documents, items)]
    return Result(findings, documents, skipped, notices=notices, secrets=secrets,
                  workspaces=workspaces)


def _context_documents(root: str | None, targets: list[confine.Target],
                       accept: Callable[[str], bool] | None,
                       kind_of: Callable[[str], str | None] | None, cwd: str | None,
                       ctx: Context, jobs: int) -> tuple[list[Document], set[str]]:
    """Models of the files under ``root`` that the command line did not name."""
    if root is None:
        return [], set()
    named = {os.path.realpath(t.path) for t in targets}
    found = confine.walk([root], kind_of, root).targets
    extra = [t for t in found if os.path.realpath(t.path) not in named
             and (accept is None or accept(t.path))]
    if kind_of is not None:
        extra = [dataclasses.replace(t, kind=kind_of(t.path)) for t in extra]
    items = [(t, display_path(t.path, cwd)) for t in extra]
    docs, secrets = [], set()
    for doc, _, values in _lint_all(items, [], ctx, jobs, keep=True, project=root):
        secrets |= values
        if doc is not None and doc.kind in ("config", "export", "host"):
            docs.append(doc)
    return docs, secrets


def _link_and_run(rules: list[Rule], documents: list[Document], context: list[Document],
                  ctx: Context, root: str) -> tuple[list[Finding], Any]:
    """Build the workspace from every model, then run the rules that read it."""
    from lunalint.workspace import build

    everything = flatten([*documents, *context])
    try:
        workspace = build(everything, root, ctx.facts)
    except Exception as error:  # linking must not sink the per-file findings
        anchor = documents[0].path if documents else "."
        return [_internal(anchor, "the link stage", error)], None
    linked = Context(facts=ctx.facts, workspace=workspace)
    return attach_excerpts(run_rules(rules, flatten(documents), linked),
                           [*documents, *context]), workspace


def _empty_dirs(paths: list[str], documents: list[Document],
                items: list[tuple[confine.Target, str]]) -> list[str]:
    """The directories named in ``paths`` under which no file was linted."""
    linted = {doc.path for doc in documents}
    out = []
    for given in paths:
        if not os.path.isdir(given) or os.path.islink(given.rstrip("/\\") or given):
            continue
        root = os.path.join(os.path.abspath(given), "")
        if not any(shown in linted and os.path.abspath(target.path).startswith(root)
                   for target, shown in items):
            out.append(given)
    return out
