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
- **Off the main loop, bounded.** Runs go to one worker process
  (:mod:`lunalint.lsp_worker`), one at a time; changes are debounced; a change that makes
  the run under way stale stops it (the worker process is ended; the next run starts a new
  one), and diagnostics of a version the editor no longer holds are never published. Hover
  and quick fixes answer from the last published run, never waiting for one, so a large
  capture never blocks typing.
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
import multiprocessing
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from lunalint import __version__, confine, lsp_worker, source
from lunalint.findings import Finding, Level
from lunalint.reporters.markdown import _code as md_code
from lunalint.reporters.markdown import _text as md_text

NAME = "lunalint"
FIX_ALL = "source.fixAll.lunalint"
SELECT_REASON = "lunalint.selectReason"
DEBOUNCE = 0.25  # seconds of quiet after a change before a run starts
SETTINGS_FILES = (".lunalint.yaml", ".lunalint.yml", "pyproject.toml")
# Files whose change on disk (a pull, a new capture) may change the open documents' findings.
WATCHED = (*SETTINGS_FILES, "Chrystoki.conf", "crystoki.ini", "*.lunacm.txt", "*.lunash.txt")
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

    def config(self) -> object:
        """The whole model of this text when it is a client configuration (a run keeps
        only compact facts), read as the pipeline read it; else None."""
        if self.kind != "config" or len(self.text) > MAX_MODEL:
            return None
        if self.model is None:
            from lunalint import engine

            try:
                self.model = engine.document_from(source.decode(self.text.encode("utf-8")),
                                                  self.path, self.path, True, "config")
            except Exception:  # a reader bug: no hover, no suppression action
                self.model = False
        return self.model or None


@dataclass
class Project:
    """Documents linted together: the project root and the settings file that applies."""

    key: str  # the root, or the folder of a document outside any project
    root: str | None
    config: str | None


class Worker:
    """The worker process (:mod:`lunalint.lsp_worker`): one job at a time; ending it stops
    a stale run at once, and the next job starts a new one."""

    def __init__(self) -> None:
        self.process = None
        self.conn = None
        self.lock: asyncio.Lock | None = None
        self.stopped = False  # cancel() ended the process (not a failure)
        self.waiter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lunalint-wait")

    def _ensure(self) -> None:
        if self.process is not None and self.process.is_alive():
            return
        ctx = multiprocessing.get_context("spawn")  # never fork a process running threads
        parent, child = ctx.Pipe()
        process = ctx.Process(target=lsp_worker.serve, args=(child,), daemon=True,
                              name="lunalint-worker")
        process.start()
        child.close()
        self.process, self.conn = process, parent

    async def run(self, job: lsp_worker.Job) -> lsp_worker.Done | None:
        """The result of ``job``, or None when the run was stopped."""
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:
            self._ensure()
            conn = self.conn

            def exchange():
                conn.send(job)
                return conn.recv()

            try:
                return await asyncio.get_running_loop().run_in_executor(self.waiter, exchange)
            except (EOFError, OSError):
                # Stopped by cancel(), or the worker died (the next job starts a new one).
                if self.stopped:
                    return None
                return lsp_worker.Done(failed="the worker process ended")
            finally:
                self.stopped = False
                if self.process is None or not self.process.is_alive():
                    conn.close()

    def cancel(self) -> None:
        self.stopped = True
        process, self.process = self.process, None
        if process is not None and process.is_alive():
            process.kill()
        multiprocessing.active_children()  # reap what has ended


class Lunalint(LanguageServer):
    def __init__(self, config: str | None = None, baseline: str | None = None) -> None:
        super().__init__(NAME, __version__)
        from lunalint.registry import load_registry

        self.registry = load_registry()  # rule help for hovers (the worker has its own)
        self.config = os.path.abspath(config) if config else None
        self.baseline = os.path.abspath(baseline) if baseline else None
        self.worker = Worker()
        self.projects: dict[str, Project] = {}
        self.published: dict[str, Published] = {}
        self.dirty: set[str] = set()  # project keys waiting for a run
        self.running: str | None = None  # the project key of the run under way
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
        project = self.projects.get(folder)
        if project is None:
            config = self.config or settings_mod.find_config(folder)
            root = confine.project_root(config, folder)
            project = self.projects[folder] = Project(root or folder, root, config)
        return project

    def forget_settings(self) -> None:
        self.projects.clear()

    # ------------------------------------------------------------------ scheduling

    def schedule(self, paths: list[str] | None = None, delay: float = DEBOUNCE) -> None:
        """Lint the projects of ``paths`` (default: of every open document) after ``delay``
        seconds of quiet; a new change restarts the wait and stops a run it makes stale."""
        wanted = set(paths) if paths is not None else None
        for buf in self.buffers():
            if wanted is None or buf.path in wanted:
                self.dirty.add(self.project_of(buf.path).key)
        if self.running is not None and self.running in self.dirty:
            self.worker.cancel()
        loop = asyncio.get_running_loop()
        if self.timer is not None:
            self.timer.cancel()
        self.timer = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self.timer = None
        if self.runner is None or self.runner.done():
            self.runner = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
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
            self.running = key
            try:
                done = await self.worker.run(self.job(project, buffers))
                if done is None:
                    self.window_log_message(lsp.LogMessageParams(
                        lsp.MessageType.Log, f"lunalint: stopped a stale run ({names})"))
                    continue
                self.publish(project, buffers, done)
            except Exception as error:  # a bug must not take the server down
                self.window_log_message(lsp.LogMessageParams(
                    lsp.MessageType.Error,
                    f"lunalint: the run failed ({type(error).__name__}); please report this"))
            finally:
                self.running = None

    def job(self, project: Project, buffers: list[Buffer], fix: str | None = None):
        return lsp_worker.Job([b.path for b in buffers], project.root or project.key,
                              project.config, bool(self.config), self.baseline,
                              {b.path: b.text for b in buffers}, fix)

    # ------------------------------------------------------------------ publishing

    def publish(self, project: Project, buffers: list[Buffer], done) -> None:
        current = {b.uri: b for b in self.buffers()}
        message = done.error or (done.failed and f"the run failed ({done.failed}); please "
                                                 "report this")
        if message:  # the settings file is wrong, or a bug: say it once
            if message not in self.shown_errors:
                self.shown_errors.add(message)
                self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error,
                                                               f"lunalint: {message}"))
            if done.error:  # findings under settings that do not load would mislead
                for buf in buffers:
                    self._send(buf.uri, buf.version, Published(buf.version, buf.text))
            return
        cwd = project.root or project.key
        for notice in done.notices:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning,
                                                         f"lunalint: {notice}"))
        lines = dict(done.lines)
        for buf in buffers:
            lines[os.path.normpath(buf.path)] = tuple(_split(buf.text))
        by_path: dict[str, list] = {}
        for f, exact in done.findings:
            by_path.setdefault(os.path.normpath(os.path.join(cwd, f.path)), []).append(
                (f, exact))
        codec = self.workspace.position_codec
        for buf in buffers:
            now = current.get(buf.uri)
            if now is None or now.version != buf.version:
                continue  # closed, or changed since: a newer run follows (this one is stale)
            path = os.path.normpath(buf.path)
            items = [Shown(_diagnostic(f, lines[path], lines, cwd, codec), f, exact)
                     for f, exact in by_path.get(path, [])]
            self._send(buf.uri, buf.version, Published(buf.version, buf.text, items,
                                                       buf.path, done.kinds.get(path)))

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

def _split(text: str) -> list[str]:
    """Lines as LSP counts them (and the readers): LF, CRLF or a lone CR end a line."""
    from lunalint.readers.config import split_lines

    return split_lines(text)


def _path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.abspath(path) if path else None


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
            watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in WATCHED]
            try:
                await ls.client_register_capability_async(lsp.RegistrationParams([
                    lsp.Registration("lunalint-settings", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                     lsp.DidChangeWatchedFilesRegistrationOptions(watchers))]))
            except Exception:  # the client refused: settings are read again on save
                pass

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: Lunalint, params: None) -> None:
        if ls.timer is not None:
            ls.timer.cancel()
        ls.dirty.clear()
        ls.worker.cancel()

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
            # The message quotes the file: escaped as the Markdown report escapes it, so
            # text in a file cannot become a link or a tag in the editor's hover.
            head = f"**{shown.finding.rule}** ({shown.finding.level.label}): " \
                   f"{md_text(shown.diagnostic.message)}"
            parts.append(head + ("\n\n" + rule.help_markdown if rule is not None else ""))
    if not parts:
        key = _key_help(ls, published, position, ls.workspace.position_codec)
        if key:
            parts.append(key)
    if not parts:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, "\n\n---\n\n".join(parts)))


def _contains(r: lsp.Range, p: lsp.Position) -> bool:
    start, end = (r.start.line, r.start.character), (r.end.line, r.end.character)
    at = (p.line, p.character)
    return start <= at <= end


def _key_help(ls: Lunalint, published: Published, position: lsp.Position, codec) -> str | None:
    """The catalog entry of the key under the cursor, in a client configuration."""
    from lunalint.model.config import ClientConfig
    from lunalint.rules import catalog, sources

    doc = published.config()
    if not isinstance(doc, ClientConfig):
        return None
    lines = _split(published.text)
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
        return f"{md_code(key)} is not a key of `[{known_section}]` that lunalint knows." \
               f"{hint}\n\n{ref}"
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
    lines = _split(published.text)
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
        fixed = None
        path = _path_of(uri)
        if path is not None:
            project = ls.project_of(path)
            buffers = [b for b in ls.buffers() if ls.project_of(b.path).key == project.key]
            done = await ls.worker.run(ls.job(project, buffers, fix=path))
            fixed = done.fixed if done is not None and ls.current(uri) is published else None
        if fixed:
            edits = []
            for first, end, piece in fixed:
                start = lsp.Position(first, 0)
                if end < len(lines) or published.text.endswith(("\n", "\r")):
                    stop = lsp.Position(end, 0)
                else:  # through the end of a last line without a line ending
                    stop = _position(lines, end, len(lines[end - 1]) + 1, codec)
                edits.append(lsp.TextEdit(lsp.Range(start, stop), piece))
            actions.append(lsp.CodeAction(
                "lunalint: fix all safe problems", kind=FIX_ALL,
                edit=lsp.WorkspaceEdit(changes={uri: edits})))
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

    doc = published.config()
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
