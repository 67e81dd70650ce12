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
    fixed: str | None = None  # fix all: the fixed text


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
        _collect(done, outcome, job.cwd)
    return done


def _collect(done: Done, outcome, cwd: str) -> None:
    done.notices += outcome.notices
    shown = outcome.shown(False)
    done.findings += [(f, outcome.exact_fix(f)) for f in shown]
    wanted = {os.path.normpath(os.path.join(cwd, loc.path))
              for f in shown for loc in f.related}
    for doc in outcome.documents:
        path = os.path.normpath(os.path.join(cwd, doc.path))
        done.kinds.setdefault(path, doc.kind)
        if path in wanted and getattr(doc, "lines", None):
            done.lines[path] = tuple(doc.lines)


def _fix_all(options, path: str, text: str | None) -> str | None:
    """The editor's text of ``path`` with its safe fixes applied by the fix stage (verified
    as ``--fix`` verifies; nothing written), or None."""
    from lunalint import confine, fix

    if text is None or confine.original(path) is None:
        return None
    options = dataclasses.replace(options, paths=[path], overlay=None, cache=False)
    # The buffer stands for the file for the whole fix stage (its own verification runs
    # substitute their trial text on top of it).
    with confine.substituted({path: text.encode("utf-8")}):
        result = fix.run(options, unsafe=False, write=False)
    for shown, (_old, new) in result.changed.items():
        if os.path.normpath(os.path.join(options.cwd, shown)) == os.path.normpath(path):
            return new
    return None


def serve(conn) -> None:
    """The worker's loop: a job in, its result out, until the server closes the pipe."""
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
