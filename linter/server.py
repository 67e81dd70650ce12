"""``lunalint server``: a Language Server (LSP over standard input and output).

A front-end like the command line: it turns what the editor holds into
:class:`lunalint.pipeline.Options` and an :class:`~lunalint.pipeline.Outcome` into
diagnostics, code actions and hovers. It never repeats a stage.

- **One run per project.** The open documents of a project (the folder of its
  ``.lunalint.yaml``, else its git work tree) are linted together by :func:`pipeline.run`,
  their unsaved text given as ``Options.overlay`` (the substitution the fix stage verifies
  with), so the link stage joins unsaved buffers with the files on disk: editing a
  configuration re-checks the captures linked to it and the reverse, and every open document
  of the project gets its diagnostics from the same run.
- **Off the main loop, bounded.** Runs go to one worker thread, one at a time; changes are
  debounced; a change while a run is under way makes that run stale: its diagnostics for the
  changed document are dropped and one new run follows. Hover and quick fixes answer from the
  last published run, never waiting for a run, so a large capture never blocks typing.
- **Same findings as the CLI.** Settings (found from each document's folder, re-read when a
  configuration file changes), inline suppressions, a baseline (``--baseline``) and
  redaction all come from the pipeline; suppressed findings are not shown.
- Severities as in SARIF (error, warning, note = information); intentional findings are
  hints. ``codeDescription.href`` is the rule page; related locations are
  ``relatedInformation``.
- Code actions: each fix a quick fix (safe ones preferred, unsafe ones say so),
  ``source.fixAll.lunalint`` (the fix stage on the buffer, safe fixes only, verified), and
  "suppress with a reason" in client configurations (inserts the inline directive above the
  line and selects the word ``reason``: a snippet where the client takes one, else
  ``window/showDocument`` with the selection).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from lunalint import __version__, confine, pipeline, source
from lunalint.findings import Finding, Level

NAME = "lunalint"
FIX_ALL = "source.fixAll.lunalint"
SELECT_REASON = "lunalint.selectReason"
DEBOUNCE = 0.25  # seconds of quiet after a change before a run starts
SETTINGS_FILES = (".lunalint.yaml", ".lunalint.yml", "pyproject.toml")
REASON = "reason"
MAX_MODEL = 2 * 1024 * 1024  # characters: a larger configuration gets no key hover


@dataclass
class Buffer:
    uri: str
    path: str
    version: int
    text: str


@dataclass
class Shown:
    """A published diagnostic and the finding (redacted) and exact fix behind it."""

    diagnostic: lsp.Diagnostic
    finding: Finding
    fix: object  # lunalint.findings.Fix or None


@dataclass
class Published:
    version: int | None
    text: str
    items: list[Shown] = field(default_factory=list)
    path: str = ""
    kind: str | None = None  # the kind the run read the document as ("config", ...)
    model: object = None  # its whole model, read when first needed (hover, suppress)

    def config(self, settings) -> object:
        """The whole model of this text when it is a client configuration (the run keeps
        only compact facts), read as the pipeline reads it; else None."""
        if self.kind != "config" or len(self.text) > MAX_MODEL:
            return None
        if self.model is None:
            from lunalint import engine

            cfg = settings
            kind = cfg.kind_of(self.path) if cfg is not None and \
                (cfg.config_globs or cfg.export_globs) else None
            try:
                self.model = engine.document_from(source.decode(self.text.encode("utf-8")),
                                                  self.path, self.path, True, kind)
            except Exception:  # a reader bug: no hover, no suppression action
                self.model = False
        return self.model or None


@dataclass
class Project:
    """Documents linted together: their project root, settings and rules."""

    key: str  # the root, or the folder of a document outside any project
    root: str | None
    settings: object = None
    rules: list = field(default_factory=list)
    error: str | None = None


class Lunalint(LanguageServer):
    def __init__(self, config: str | None = None, baseline: str | None = None) -> None:
        super().__init__(NAME, __version__)
        from lunalint.registry import load_registry

        self.registry = load_registry()
        self.config = os.path.abspath(config) if config else None
        self.baseline = os.path.abspath(baseline) if baseline else None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lunalint-run")
        self.lock = threading.Lock()  # guards projects' settings (read in the worker)
        self.projects: dict[str, Project] = {}
        self.published: dict[str, Published] = {}
        self.dirty: set[str] = set()  # project keys waiting for a run
        self.timer: asyncio.TimerHandle | None = None
        self.runner: asyncio.Task | None = None
        self.shown_errors: set[str] = set()

    # ------------------------------------------------------------------ documents

    def buffers(self) -> list[Buffer]:
        out = []
        for uri, doc in list(self.workspace.text_documents.items()):
            path = _path_of(uri)
            if path is not None:
                out.append(Buffer(uri, path, doc.version or 0, doc.source))
        return out

    def project_of(self, path: str) -> Project:
        from lunalint import settings as settings_mod

        folder = os.path.dirname(path)
        config = self.config or settings_mod.find_config(folder)
        root = confine.project_root(config, folder)
        key = root or folder
        with self.lock:
            project = self.projects.get(key)
            if project is None:
                project = self.projects[key] = self._load(key, root, config)
        return project

    def _load(self, key: str, root: str | None, config: str | None) -> Project:
        from lunalint import settings as settings_mod
        from lunalint import suppress
        from lunalint.cli import UsageError, select_rules

        project = Project(key, root)
        try:
            if config is None:
                cfg = settings_mod.Settings()
            else:
                cfg = settings_mod.load(config, list(self.registry.rules),
                                        explicit=bool(self.config),
                                        display=suppress.display(config))
            project.settings = cfg
            project.rules = select_rules(self.registry, list(cfg.select), list(cfg.ignore))
        except (settings_mod.ConfigError, UsageError) as error:
            project.error = str(error)
        return project

    def forget_settings(self) -> None:
        with self.lock:
            self.projects.clear()

    # ------------------------------------------------------------------ scheduling

    def schedule(self, paths: list[str] | None = None, delay: float = DEBOUNCE) -> None:
        """Lint the projects of ``paths`` (default: of every open document) after ``delay``
        seconds of quiet; a new change restarts the wait."""
        buffers = self.buffers()
        wanted = set(paths) if paths is not None else None
        for buf in buffers:
            if wanted is None or buf.path in wanted:
                self.dirty.add(self.project_of(buf.path).key)
        loop = asyncio.get_running_loop()
        if self.timer is not None:
            self.timer.cancel()
        self.timer = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self.timer = None
        if self.runner is None or self.runner.done():
            self.runner = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self.dirty:
            key = sorted(self.dirty)[0]
            self.dirty.discard(key)
            buffers = [b for b in self.buffers() if self.project_of(b.path).key == key]
            if not buffers:
                continue
            project = self.project_of(buffers[0].path)
            names = ", ".join(os.path.basename(b.path) for b in buffers)
            self.window_log_message(lsp.LogMessageParams(
                lsp.MessageType.Log, f"lunalint: checking {names}"))
            try:
                result = await loop.run_in_executor(self.pool, self.lint, project, buffers)
                self.publish(project, buffers, result)
            except Exception as error:  # a bug must not take the server down
                self.window_log_message(lsp.LogMessageParams(
                    lsp.MessageType.Error,
                    f"lunalint: the run failed ({type(error).__name__}); please report this"))

    # ------------------------------------------------------------------ linting (worker)

    def lint(self, project: Project, buffers: list[Buffer]):
        """Run the pipeline on the open documents of ``project`` (in the worker thread)."""
        if project.error is not None:
            return project.error
        overlay = {}
        on_disk = []
        for buf in buffers:
            data = confine.original(buf.path)
            if data is None:
                continue  # not a regular file: the pipeline says why
            on_disk.append(buf)
            if source.decode(data).text != buf.text:
                overlay[buf.path] = buf.text
        options = self.options(project, [b.path for b in buffers], overlay)
        outcome = pipeline.run(options)
        return outcome

    def options(self, project: Project, paths: list[str], overlay: dict) -> pipeline.Options:
        return pipeline.Options(
            paths, project.rules, project.settings, known_rules=self.registry.rules, jobs=1,
            baseline=self.baseline, cwd=project.root or project.key, overlay=overlay or None)

    # ------------------------------------------------------------------ publishing

    def publish(self, project: Project, buffers: list[Buffer], result) -> None:
        current = {b.uri: b for b in self.buffers()}
        if isinstance(result, str):  # the settings file is wrong: say it once, show nothing
            if result not in self.shown_errors:
                self.shown_errors.add(result)
                self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error,
                                                               f"lunalint: {result}"))
            for buf in buffers:
                self._send(buf.uri, buf.version, Published(buf.version, buf.text))
            return
        outcome: pipeline.Outcome = result
        cwd = project.root or project.key
        for notice in outcome.notices:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning,
                                                         f"lunalint: {notice}"))
        lines = _lines_by_path(outcome, cwd)
        kinds = {os.path.normpath(os.path.join(cwd, d.path)): d.kind for d in outcome.documents}
        by_path: dict[str, list[Finding]] = {}
        for f in outcome.shown(False):
            by_path.setdefault(os.path.normpath(os.path.join(cwd, f.path)), []).append(f)
        codec = self.workspace.position_codec
        for buf in buffers:
            now = current.get(buf.uri)
            if now is None or now.version != buf.version:
                continue  # closed, or changed since: a newer run follows (this one is stale)
            text_lines = buf.text.splitlines()
            items = []
            for f in by_path.get(os.path.normpath(buf.path), []):
                diag = _diagnostic(f, text_lines, lines, cwd, codec)
                items.append(Shown(diag, f, outcome.exact_fix(f)))
            self._send(buf.uri, buf.version, Published(
                buf.version, buf.text, items, buf.path, kinds.get(os.path.normpath(buf.path))))

    def _send(self, uri: str, version: int | None, published: Published) -> None:
        self.published[uri] = published
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri, [s.diagnostic for s in published.items], version=version))

    def current(self, uri: str) -> Published | None:
        """The last published run of ``uri`` if it is of the text the editor holds now."""
        published = self.published.get(uri)
        doc = self.workspace.text_documents.get(uri)
        if published is None or doc is None or doc.source != published.text:
            return None
        return published


# ---------------------------------------------------------------------- conversions

def _path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.abspath(path) if path else None


def _lines_by_path(outcome: pipeline.Outcome, cwd: str) -> dict[str, tuple[str, ...]]:
    out = {}
    docs = list(outcome.documents)
    for ws in outcome.workspaces:
        docs += [*ws.configs, *ws.exports]
    for doc in docs:
        lines = getattr(doc, "lines", None)  # link-stage summaries keep no text
        if lines:
            out.setdefault(os.path.normpath(os.path.join(cwd, doc.path)), lines)
    return out


def _position(lines, line: int, column: int, codec) -> lsp.Position:
    """LSP position of 1-based ``line``/``column`` (characters) in the client's units."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    col = max(column - 1, 0)
    return lsp.Position(row, codec.client_num_units(text[:col]) + max(col - len(text), 0))


def _range(lines, span, codec) -> lsp.Range:
    return lsp.Range(_position(lines, span.line, span.column, codec),
                     _position(lines, span.end_line, span.end_column, codec))


SEVERITY = {Level.ERROR: lsp.DiagnosticSeverity.Error,
            Level.WARNING: lsp.DiagnosticSeverity.Warning,
            Level.NOTE: lsp.DiagnosticSeverity.Information}


def _diagnostic(f: Finding, text_lines, lines, cwd: str, codec) -> lsp.Diagnostic:
    related = []
    for loc in f.related:
        path = os.path.normpath(os.path.join(cwd, loc.path))
        related.append(lsp.DiagnosticRelatedInformation(
            lsp.Location(from_fs_path(path) or path, _range(lines.get(path, ()), loc.span, codec)),
            loc.message or "related location"))
    message = f.message + (" [intentional]" if f.intentional else "")
    return lsp.Diagnostic(
        range=_range(text_lines, f.span, codec), message=message,
        severity=lsp.DiagnosticSeverity.Hint if f.intentional else SEVERITY[f.level],
        code=f.rule, source=NAME,
        code_description=lsp.CodeDescription(f.help_uri) if f.help_uri else None,
        related_information=related or None)


# ---------------------------------------------------------------------- features

def build(config: str | None = None, baseline: str | None = None) -> Lunalint:
    server = Lunalint(config, baseline)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: Lunalint, params: lsp.InitializedParams) -> None:
        caps = ls.client_capabilities
        watch = caps.workspace and caps.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}")
                        for name in SETTINGS_FILES]
            try:
                await ls.client_register_capability_async(lsp.RegistrationParams([
                    lsp.Registration("lunalint-settings", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                     lsp.DidChangeWatchedFilesRegistrationOptions(watchers))]))
            except Exception:  # the client refused: settings are read again on save
                pass

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Lunalint, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Lunalint, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule()

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Lunalint, params: lsp.DidSaveTextDocumentParams) -> None:
        path = _path_of(params.text_document.uri) or ""
        if os.path.basename(path) in SETTINGS_FILES:
            ls.forget_settings()
        ls.schedule(delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Lunalint, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.published.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))
        if ls.workspace.text_documents:
            ls.schedule()  # the others now see the file on disk again

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: Lunalint, params: lsp.DidChangeWatchedFilesParams) -> None:
        names = {os.path.basename(_path_of(c.uri) or "") for c in params.changes}
        if names & set(SETTINGS_FILES):
            ls.forget_settings()
            ls.shown_errors.clear()
        ls.schedule(delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: Lunalint, params: lsp.HoverParams) -> lsp.Hover | None:
        return _hover(ls, params.text_document.uri, params.position)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False))
    async def code_action(ls: Lunalint, params: lsp.CodeActionParams):
        return await _code_actions(ls, params)

    @server.command(SELECT_REASON)
    def select_reason(ls: Lunalint, uri: str, line: int, start: int, end: int) -> None:
        ls.window_show_document(lsp.ShowDocumentParams(
            uri, take_focus=True,
            selection=lsp.Range(lsp.Position(line, start), lsp.Position(line, end))))

    return server


def _hover(ls: Lunalint, uri: str, position: lsp.Position) -> lsp.Hover | None:
    published = ls.current(uri)
    if published is None:
        return None
    parts = []
    for shown in published.items:
        r = shown.diagnostic.range
        if _contains(r, position):
            rule = ls.registry.get(shown.finding.rule)
            head = f"**{shown.finding.rule}** ({shown.finding.level.label}): " \
                   f"{shown.diagnostic.message}"
            parts.append(head + ("\n\n" + rule.help_markdown if rule is not None else ""))
    if not parts:
        key = _key_help(ls, published, position, ls.workspace.position_codec)
        if key:
            parts.append(key)
    if not parts:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, "\n\n---\n\n".join(parts)))


def _settings(ls: Lunalint, path: str):
    return ls.project_of(path).settings if path else None


def _contains(r: lsp.Range, p: lsp.Position) -> bool:
    start, end = (r.start.line, r.start.character), (r.end.line, r.end.character)
    at = (p.line, p.character)
    return start <= at <= end


def _key_help(ls: Lunalint, published: Published, position: lsp.Position, codec) -> str | None:
    """The catalog entry of the key under the cursor, in a client configuration."""
    from lunalint.model.config import ClientConfig
    from lunalint.rules import catalog, sources

    doc = published.config(_settings(ls, published.path))
    if not isinstance(doc, ClientConfig):
        return None
    lines = published.text.splitlines()
    pos = codec.position_from_client_units(lines, position)
    line, column = pos.line + 1, pos.character + 1
    for section in doc.sections:
        if section.name_span.line == line and \
                section.name_span.column <= column <= section.name_span.end_column:
            known = catalog.canonical_section(section.name)
            if known is None:
                return None
            keys = catalog.SECTIONS.get(known, ())
            listed = ", ".join(f"`{k}`" for k in keys) if keys else "free-form keys"
            return (f"**[{known}]**: a section of the Luna client configuration. Keys: "
                    f"{listed}.\n\n{sources.CONFIG_FILE_SUMMARY.markdown()}")
        for entry in section.entries:
            s = entry.key_span
            if s.line == line and s.column <= column <= s.end_column:
                return _entry_help(section.name, entry.key)
    return None


def _entry_help(section: str, key: str) -> str | None:
    from lunalint.rules import catalog, sources

    known_section = catalog.canonical_section(section)
    if known_section is None or known_section in catalog.FREE_FORM:
        return None
    canonical = catalog.canonical_key(known_section, key)
    ref = sources.CONFIG_FILE_SUMMARY.markdown()
    if canonical is None:
        meant = catalog.suggest_key(known_section, key)
        hint = f" Did you mean `{meant}`?" if meant else ""
        return f"`{key}` is not a key of `[{known_section}]` that lunalint knows.{hint}\n\n{ref}"
    spelled = "" if canonical == key else f" (canonical spelling `{canonical}`)"
    return f"**{canonical}**: a key of the `[{known_section}]` section{spelled}.\n\n{ref}"


# ---------------------------------------------------------------------- code actions

async def _code_actions(ls: Lunalint, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    published = ls.current(uri)
    if published is None:
        return None
    only = params.context.only
    want_quick = not only or any(k.startswith(lsp.CodeActionKind.QuickFix) for k in only)
    # Fixing the whole file runs the fix stage: only when asked for by kind (VS Code's
    # `editor.codeActionsOnSave`, a "fix all" command), never for every light bulb.
    want_all = bool(only) and any(FIX_ALL.startswith(k) or k.startswith(FIX_ALL)
                                  for k in only)
    codec = ls.workspace.position_codec
    lines = published.text.splitlines()
    actions: list[lsp.CodeAction] = []
    asked = [d for d in params.context.diagnostics if d.source == NAME]
    for shown in published.items:
        d = shown.diagnostic
        if asked and not any(a.code == d.code and a.range == d.range for a in asked):
            continue
        if not asked and not _overlap(d.range, params.range):
            continue
        if not want_quick:
            continue
        f = shown.finding
        if shown.fix is not None:
            fix = shown.fix
            label = (f.fix.description if f.fix is not None else "") or f"fix {f.rule}"
            title = f"{f.rule}: {label}" + (" (unsafe: may change how the client behaves)"
                                             if fix.applicability == "unsafe" else "")
            edits = [lsp.TextEdit(_range(lines, e.span, codec), e.replacement)
                     for e in fix.edits]
            actions.append(lsp.CodeAction(
                title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
                is_preferred=fix.applicability == "safe",
                edit=lsp.WorkspaceEdit(changes={uri: edits})))
        suppress_action = _suppress_action(ls, uri, published, shown, lines, codec)
        if suppress_action is not None:
            actions.append(suppress_action)
    if want_all and any(s.fix is not None and s.fix.applicability == "safe"
                        for s in published.items):
        fixed = await asyncio.get_running_loop().run_in_executor(
            ls.pool, _fix_all, ls, uri, published)
        if fixed is not None and fixed != published.text:
            end = _position(lines, len(lines) + 1, 1, codec)
            actions.append(lsp.CodeAction(
                "lunalint: fix all safe problems", kind=FIX_ALL,
                edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(
                    lsp.Range(lsp.Position(0, 0), end), fixed)]})))
    return actions or None


def _overlap(a: lsp.Range, b: lsp.Range) -> bool:
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a0 <= b1 and b0 <= a1


def _suppress_action(ls: Lunalint, uri: str, published: Published, shown: Shown, lines,
                     codec) -> lsp.CodeAction | None:
    """Insert ``# lunalint: ignore[RULE] reason`` above the finding's line (client
    configurations only: the one kind of file inline directives apply to) and select
    ``reason`` for the user to type over."""
    from lunalint.model.config import ClientConfig

    doc = published.config(_settings(ls, published.path))
    f = shown.finding
    if not isinstance(doc, ClientConfig) or doc.partial or doc.kind != "config":
        return None
    row = f.span.line - 1
    if row >= len(lines):
        return None
    indent = re.match(r"[ \t]*", lines[row]).group(0)
    mark = ";" if doc.form == "ini" else "#"
    head = f"{indent}{mark} lunalint: ignore[{f.rule}] "
    newline = getattr(doc, "newline", "\n") or "\n"
    at = lsp.Position(row, 0)
    start = codec.client_num_units(head)
    caps = ls.client_capabilities
    edit_caps = caps.workspace and caps.workspace.workspace_edit
    title = f"{f.rule}: suppress on this line with a reason"
    if edit_caps and getattr(edit_caps, "snippet_edit_support", None):
        snippet = lsp.SnippetTextEdit(lsp.Range(at, at),
                                      lsp.StringValue(f"{head}${{1:{REASON}}}{newline}"))
        return lsp.CodeAction(title, kind=lsp.CodeActionKind.QuickFix,
                              diagnostics=[shown.diagnostic],
                              edit=lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
                                  lsp.OptionalVersionedTextDocumentIdentifier(
                                      uri, published.version), [snippet])]))
    return lsp.CodeAction(
        title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown.diagnostic],
        edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(lsp.Range(at, at),
                                                           f"{head}{REASON}{newline}")]}),
        command=lsp.Command("Select the reason", SELECT_REASON,
                            arguments=[uri, row, start, start + len(REASON)]))


def _fix_all(ls: Lunalint, uri: str, published: Published) -> str | None:
    """The buffer with its safe fixes applied by the fix stage (verified, nothing written),
    or None (in the worker thread)."""
    from lunalint import fix

    path = _path_of(uri)
    if path is None or confine.original(path) is None:
        return None
    project = ls.project_of(path)
    if project.error is not None:
        return None
    options = ls.options(project, [path], {})
    with confine.substituted({path: published.text.encode("utf-8")}):
        result = fix.run(dataclasses.replace(options, cache=False), unsafe=False, write=False)
    for shown, (_old, new) in result.changed.items():
        if os.path.normpath(os.path.join(options.cwd, shown)) == os.path.normpath(path):
            return new
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lunalint server",
        description="Run the lunalint language server on standard input and output.")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file for every document (default: the "
                             ".lunalint.yaml found from each document's folder)")
    parser.add_argument("--baseline", metavar="FILE", help="hide findings recorded in FILE")
    parser.add_argument("--stdio", action="store_true",
                        help="talk over standard input and output (the default and only way)")
    args = parser.parse_args(argv)
    build(args.config, args.baseline).start_io()
    return 0
