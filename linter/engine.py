"""The engine: discover → read → model → rules → findings, one direction.

It knows readers and rules only through their public entry points, and hands reporters a
sorted list of :class:`~lunalint.findings.Finding`.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lunalint import discover, source
from lunalint.findings import Finding, Level, Location
from lunalint.model.base import Document, Span, SyntaxProblem
from lunalint.model.config import ClientConfig
from lunalint.rules.base import Context, Problem, Rule

INTERNAL_RULE = "LUNALINT-INTERNAL"


@dataclass(frozen=True, slots=True)
class Unreadable(Document):
    """A file that could not be read as text: its only content is the problem."""

    @property
    def kind(self) -> str:
        return "unreadable"


@dataclass
class Result:
    findings: list[Finding]
    documents: list[Document]
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


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


def read_document(path: str, shown: str, explicit: bool) -> Document | None:
    """The model of one file, an :class:`Unreadable`, or None when it is not a Luna file."""
    loaded = source.load(path)
    if loaded.text is None:
        if not explicit and loaded.encoding == "binary":
            return None  # a binary file met while walking a tree is simply not ours
        return Unreadable(shown, (), (SyntaxProblem(Span(1, 1, 1, 1), loaded.problem or ""),))
    kind, form = discover.classify(path, loaded.text)
    if kind is None:
        return None
    if kind == "config":
        from lunalint.readers.config import read_config

        doc: Document = read_config(shown, loaded.text, form)
    else:
        try:
            from lunalint.readers.export import read_export
        except ModuleNotFoundError:  # captures are read once the exports reader lands
            return None
        doc = read_export(shown, loaded.text)
    if loaded.problem:  # decoded with a fallback: say so, as the first problem
        problems = (SyntaxProblem(Span(1, 1, 1, 1), loaded.problem),) + doc.problems
        doc = _with_problems(doc, problems)
    return doc


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
            out.append(_finding(rule, problem, path))
    except Exception as error:  # a broken rule must not stop the run
        where = traceback.extract_tb(error.__traceback__)[-1]
        out.append(Finding(
            INTERNAL_RULE, Level.ERROR,
            f"rule {rule.id} failed on this file: {type(error).__name__}: {error} "
            f"(at {os.path.basename(where.filename)}:{where.lineno}); other rules still ran. "
            "Please report this.", path, Span(1, 1, 1, 1), anchor=f"internal:{rule.id}"))
    return out


def _finding(rule: Rule, problem: Problem, path: str) -> Finding:
    own = problem.path or path
    related = tuple(Location(p or own, span, message) for p, span, message in problem.related)
    return Finding(rule.id, problem.level or rule.level, problem.message, own, problem.span,
                   anchor=problem.anchor, related=related, intentional=problem.intentional,
                   help_uri=rule.help_uri)


def attach_excerpts(findings: list[Finding], documents: list[Document]) -> list[Finding]:
    """Give each finding the text of its first line, with secret values masked."""
    import dataclasses

    by_path = {doc.path: doc for doc in documents}
    out = []
    for f in findings:
        doc = by_path.get(f.path)
        if doc is None or not (0 < f.span.line <= len(doc.lines)):
            out.append(f)
            continue
        out.append(dataclasses.replace(f, excerpt=masked_line(doc, f.span.line)))
    return out


def masked_line(doc: Document, number: int) -> str:
    line = doc.lines[number - 1]
    if isinstance(doc, ClientConfig):
        for section in doc.sections:
            for entry in section.entries:
                span = entry.value_span
                if entry.secret and span.line == number and span.end_column > span.column:
                    a, b = span.column - 1, span.end_column - 1
                    line = line[:a] + "*" * (b - a) + line[b:]
    return line


def lint(paths: list[str], rules: list[Rule], *, facts: dict[str, Any] | None = None,
         cwd: str | None = None) -> Result:
    """Lint ``paths`` (files or directories) with ``rules``; raises nothing for bad input."""
    targets, missing = discover.walk(paths)
    if missing:
        raise FileNotFoundError(missing)
    documents: list[Document] = []
    skipped: list[str] = []
    for target in targets:
        shown = display_path(target.path, cwd)
        doc = read_document(target.path, shown, target.explicit)
        if doc is None:
            if target.explicit:
                skipped.append(shown)
            continue
        documents.append(doc)
    ctx = Context(facts=facts or {}, workspace=None)
    findings = run_rules(rules, documents, ctx)
    findings = attach_excerpts(findings, documents)
    findings.sort(key=lambda f: f.sort_key)
    return Result(findings, documents, skipped)
