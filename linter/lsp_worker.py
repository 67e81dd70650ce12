"""The language server's worker process: where ``lunalint server`` runs the pipeline.

The server (:mod:`lunalint.server`) sends a :class:`Job` (the open documents of one project,
their unsaved text, the settings file) and gets a :class:`Done` back: the findings, already
redacted by :func:`lunalint.pipeline.run`, with their exact fixes. In a process of its own, a
run the editor made stale is stopped by ending the process (a thread cannot be stopped), a
run never slows the server's answers (no shared interpreter lock), and a reader that fails
badly costs a run, never the server. Nothing here knows the protocol: no pygls import.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

_REGISTRY = None
_SETTINGS: dict[tuple, tuple] = {}


@dataclass
class Job:
    paths: list[str]  # the open documents of the project (absolute)
    cwd: str  # the project root (or the folder of a document outside any project)
    config: str | None  # the settings file that applies, if any
    explicit: bool  # named with --config (a missing one is an error)
    baseline: str | None
    texts: dict[str, str]  # the editor's text of each open document
    fix: str | None = None  # fix all: the document whose safe fixes to apply


@dataclass
class Done:
    error: str | None = None  # the settings file is wrong (one line)
    failed: str | None = None  # lunalint itself failed (a bug)
    findings: list = field(default_factory=list)  # (Finding, exact Fix or None), shown ones
    kinds: dict[str, str] = field(default_factory=dict)  # path -> kind read
    lines: dict[str, tuple] = field(default_factory=dict)  # files related locations are in
    notices: list[str] = field(default_factory=list)
    fixed: list | None = None  # fix all: (first line, end line, new text) hunks, 0-based


def _setup(job: Job):
    """The registry (once), and the settings and rules of ``job`` (again when the settings
    file changes)."""
    global _REGISTRY
    from lunalint import settings as settings_mod
    from lunalint import suppress
    from lunalint.cli import select_rules
    from lunalint.registry import load_registry

    if _REGISTRY is None:
        _REGISTRY = load_registry()
    try:
        info = os.stat(job.config) if job.config else None
    except OSError:
        info = None
    key = (job.config, job.explicit, info and info.st_mtime_ns, info and info.st_size)
    if key not in _SETTINGS:
        if job.config is None:
            cfg = settings_mod.Settings()
        else:
            cfg = settings_mod.load(job.config, list(_REGISTRY.rules), explicit=job.explicit,
                                    display=suppress.display(job.config))
        _SETTINGS.clear()
        _SETTINGS[key] = (cfg, select_rules(_REGISTRY, list(cfg.select), list(cfg.ignore)))
    return _SETTINGS[key]


def work(job: Job) -> Done:
    from lunalint import confine, pipeline, source
    from lunalint import settings as settings_mod
    from lunalint.cli import UsageError

    try:
        cfg, rules = _setup(job)
    except (settings_mod.ConfigError, UsageError) as error:
        return Done(error=str(error))
    overlay = {}
    for path, text in job.texts.items():
        data = confine.original(path)
        # Only text that differs from the file: the others are read (and cached) from disk.
        if data is not None and source.decode(data).text != text:
            overlay[path] = text
    present = [p for p in job.paths if os.path.lexists(p)]
    options = pipeline.Options(present, rules, cfg, known_rules=_REGISTRY.rules,
                               jobs=1, baseline=job.baseline, cwd=job.cwd,
                               overlay=overlay or None)
    if job.fix is not None:
        return Done(fixed=_fix_all(options, job.fix, job.texts.get(job.fix)))
    outcomes = [pipeline.run(options)] if present else []
    # A document with no file (new, or deleted since) is linted as standard input is with
    # --stdin-filename: as that file, in its project, joined with the files on disk.
    for path in job.paths:
        if path not in present and path in job.texts:
            outcomes.append(pipeline.run(dataclasses.replace(
                options, paths=[], overlay=None, stdin=job.texts[path], stdin_path=path)))
    done = Done()
    for outcome in outcomes:
        _collect(done, outcome, job)
    return done


def _collect(done: Done, outcome, job: Job) -> None:
    from lunalint.model.config import SlimConfig

    cwd = job.cwd
    done.notices += outcome.notices
    shown = outcome.shown(False)
    for f in shown:
        text = job.texts.get(os.path.normpath(os.path.join(cwd, f.path)))
        exact = outcome.exact_fix(f)
        if exact is not None:
            exact = _tight(exact, text, outcome.redactor) if text is not None else None
        done.findings.append((f, exact))
    wanted = {os.path.normpath(os.path.join(cwd, loc.path))
              for f in shown for loc in f.related}
    for doc in outcome.documents:
        path = os.path.normpath(os.path.join(cwd, doc.path))
        done.kinds.setdefault(path, doc.kind)
        if path not in wanted:
            continue
        if getattr(doc, "lines", None):
            done.lines[path] = tuple(doc.lines)
        elif isinstance(doc, SlimConfig):
            lines = _lines_of(path, doc, job)
            if lines:
                done.lines[path] = lines


def _lines_of(path: str, doc, job: Job) -> tuple[str, ...]:
    """The lines of a configuration whose slim model kept none: the editor's text, else the
    file's, when they are still the lines that were checked."""
    from lunalint import confine, source
    from lunalint.readers.config import split_lines

    text = job.texts.get(path)
    if text is None:
        data = confine.original(path)
        text = source.decode(data).text if data is not None else None
    lines = tuple(split_lines(text)) if text is not None else ()
    return lines if lines and doc.same_lines(lines) else ()


def _keepends(text: str) -> list[str]:
    """Lines with their endings, split as LSP and the readers split them (LF, CRLF, CR)."""
    import re

    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def _offsets(text: str) -> list[int]:
    """Where each line of ``text`` starts (lines split as the readers split them)."""
    starts = [0]
    for line in _keepends(text):
        starts.append(starts[-1] + len(line))
    return starts


def _tight(fix, text: str, redactor):
    """``fix`` with each edit cut down to the characters it changes (a fix that rewrites a
    line to fix its spacing keeps the value on it out of the edit), or None when an edit
    would still carry a secret: the editor gets no secret over the protocol (use --fix)."""
    from lunalint.findings import Edit, Fix
    from lunalint.model.base import Span

    starts = _offsets(text)

    def offset(line: int, column: int) -> int:
        row = min(max(line - 1, 0), len(starts) - 1)
        return min(starts[row] + column - 1, len(text))

    def position(at: int) -> tuple[int, int]:
        import bisect

        row = max(bisect.bisect_right(starts, at) - 1, 0)
        if row >= len(starts) - 1 and row > 0 and at == starts[row] and not \
                text.endswith(("\n", "\r")):
            row -= 1
        return row + 1, at - starts[row] + 1

    edits = []
    for edit in fix.edits:
        s = edit.span
        a, b = offset(s.line, s.column), offset(s.end_line, s.end_column)
        old, new = text[a:b], edit.replacement
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        piece = new[head:len(new) - tail]
        if redactor.text(piece) != piece:
            return None
        (l1, c1), (l2, c2) = position(a + head), position(b - tail)
        edits.append(Edit(Span(l1, c1, l2, c2), piece))
    return Fix(fix.applicability, tuple(edits), fix.description)


def _hunks(old: str, new: str, redactor) -> list | None:
    """The changes from ``old`` to ``new`` as (first line, end line, text) on 0-based
    lines of ``old``, or None when one would carry a secret."""
    import difflib

    a, b = _keepends(old), _keepends(new)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False) \
            .get_opcodes():
        if tag == "equal":
            continue
        piece = "".join(b[j1:j2])
        if redactor.text(piece) != piece:
            return None
        out.append((i1, i2, piece))
    return out


def _fix_all(options, path: str, text: str | None) -> list | None:
    """The changes the fix stage makes to the editor's text of ``path`` with its safe fixes
    (verified as ``--fix`` verifies; nothing written) as :func:`_hunks`, or None."""
    from lunalint import confine, fix

    if text is None or confine.original(path) is None:
        return None
    # The buffers stand for their files for the whole fix stage (its own verification runs
    # substitute their trial text on top of them): the one being fixed, and the project's
    # other unsaved ones, which the link stage joins.
    contents = {p: t.encode("utf-8") for p, t in (options.overlay or {}).items()}
    contents[path] = text.encode("utf-8")
    options = dataclasses.replace(options, paths=[path], overlay=None, cache=False)
    with confine.substituted(contents):
        result = fix.run(options, unsafe=False, write=False)
    for shown, (old, new) in result.changed.items():
        if os.path.normpath(os.path.join(options.cwd, shown)) == os.path.normpath(path):
            return _hunks(text, new, result.outcome.redactor)
    return None


def serve(conn) -> None:
    """The worker's loop: a job in, its result out, until the server closes the pipe."""
    # Standard output is the server's protocol stream: nothing of the worker's may land there.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            done = work(job)
        except Exception as error:  # a bug costs this run, never the server (its message
            done = Done(failed=type(error).__name__)  # may quote the file: not passed on)
        try:
            conn.send(done)
        except (EOFError, OSError):
            return
