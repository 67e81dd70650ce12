"""The result cache: per-file findings and facts of unchanged files, reused across runs.

A file's entry is keyed by a SHA-256 of its content and of everything else its per-file
result depends on: how it is shown (paths appear in findings), whether it was named, the kind
the configuration file gives it, the lunalint version and a fingerprint of lunalint's own source
files, the selected rules (id, level, scope and a digest of each check function's code) and
the settings that rules read (``facts``, ``firmware``). The link stage and everything after it
always rerun: they are cheap on facts.

Where: ``.lunalint_cache/`` at the project root (created private, with a ``.gitignore`` that
ignores everything in it), or ``$LUNALINT_CACHE_DIR/results`` when that is set. No project root
and no ``LUNALINT_CACHE_DIR``: no cache. ``--no-cache`` or ``LUNALINT_NO_CACHE=1`` bypass it.

Safety: entries are JSON of plain data (never pickle, never code), each with a digest of its
body; an entry that does not parse, does not match its digest or does not decode to the
expected shapes is ignored (and rewritten). Writes go to a private temporary file in the same
directory that is then renamed over the entry, so concurrent runs never read half an entry,
and the last writer wins with an entry as good as any other. Nothing from the cache is read
before the file itself has been read through :mod:`lunalint.confine`: the cache saves parsing
and checking, never the confinement checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

from lunalint import __version__

FORMAT = "lunalint-results/2"
DIRNAME = ".lunalint_cache"
_MAGIC = FORMAT.encode() + b" "


def location(root: str | None) -> str | None:
    """The cache directory for a run whose project root is ``root`` (None: no cache).

    Like the parser cache, a directory others may write, or owned by another user, is not
    trusted: nothing is read from it or written to it."""
    if os.environ.get("LUNALINT_NO_CACHE"):
        return None
    explicit = os.environ.get("LUNALINT_CACHE_DIR")
    if explicit:
        if not _trusted(explicit, create=True):
            return None
        folder = os.path.join(explicit, "results")
    elif root is None:
        return None
    else:
        folder = os.path.join(root, DIRNAME)
    return folder if _trusted(folder, create=False) else None


def _trusted(folder: str, create: bool) -> bool:
    """True when ``folder`` is missing (and, with ``create``, made private) or is a directory
    of ours that no one else may write; a link is not followed."""
    import stat

    if create and not os.path.lexists(folder):
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError:
            return False
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and (info.st_uid != os.getuid()
                                  or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return False
    return True


class Cache:
    """Per-file results under ``folder``, for runs with the same ``prefix`` (see :func:`open`).

    Plain attributes only: it travels to worker processes, which read and write entries
    themselves."""

    def __init__(self, folder: str, prefix: str) -> None:
        self.folder = folder
        self.prefix = prefix
        self._made = False

    def key(self, shown: str, target: Any, loaded: Any, named: bool) -> str:
        h = hashlib.sha256()
        h.update(self.prefix.encode())
        for part in (shown, str(bool(target.explicit)), target.kind or "", loaded.encoding or "",
                     loaded.problem or "", "named" if named else "context"):
            h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
        h.update(loaded.text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key[2:] + ".json")

    def get(self, key: str):
        """The cached per-file result for ``key``, or None (missing, corrupt or foreign)."""
        try:
            with open(self._path(key), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        try:
            return _decode(key, data)
        except Exception:  # corrupt, truncated or from another format: not trusted
            return None

    def put(self, key: str, result) -> None:
        """Store ``result`` for ``key``; a cache that cannot be written is simply skipped."""
        try:
            body = json.dumps([key, _encode(result)], ensure_ascii=True,
                              separators=(",", ":")).encode("ascii")
        except Exception:  # something that has no plain form: do not cache it
            return
        data = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        import tempfile

        target = self._path(key)
        folder = os.path.dirname(target)
        try:
            if not self._made:
                _prepare(self.folder)
                self._made = True
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # read-only project, full disk: lint without caching


def _prepare(folder: str) -> None:
    """Create ``folder`` private, with a ``.gitignore`` so it never gets committed."""
    import tempfile

    os.makedirs(folder, mode=0o700, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.lexists(ignore):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Created by lunalint: its result cache, never to be committed.\n*\n")
        os.replace(tmp, ignore)


def open_cache(root: str | None, rules: list, settings: Any) -> Cache | None:
    """The cache for a run over ``root`` with ``rules`` and ``settings``, or None."""
    folder = location(root)
    if folder is None:
        return None
    h = hashlib.sha256()
    for part in (FORMAT, __version__, sys.version, _source_fingerprint(), _rules_fingerprint(rules),
                 repr(getattr(settings, "facts", ())), repr(getattr(settings, "firmware", ())),
                 str(getattr(settings, "root", ""))):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return Cache(folder, h.hexdigest())


def _source_fingerprint() -> str:
    """Name, size and modification time of every file of lunalint itself (its rules, grammars
    and data included), so an upgrade or an edit of lunalint never reuses old results."""
    import lunalint
    import lunalint.rules

    parts = []
    for top in sorted({os.path.dirname(lunalint.__file__),
                       os.path.dirname(lunalint.rules.__file__)}):
        for here, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                try:
                    info = os.stat(os.path.join(here, name))
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(os.path.join(here, name), top)}:{info.st_size}:"
                             f"{info.st_mtime_ns}")
    return "\n".join(parts)


def _code_digest(code, h) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _code_digest(const, h)
        else:
            h.update(repr(const).encode("utf-8", "surrogatepass"))


def _rules_fingerprint(rules: list) -> str:
    """Each selected rule's id, origin, level, scope, and a digest of its check's code and of
    the file that defines it (plugins change without lunalint changing)."""
    parts = []
    for rule in rules:
        h = hashlib.sha256()
        check = rule.check
        code = getattr(check, "__code__", None)
        if code is not None:
            _code_digest(code, h)
        module = sys.modules.get(getattr(check, "__module__", "") or "")
        path = getattr(module, "__file__", None)
        if path and rule.origin != "lunalint":
            try:
                info = os.stat(path)
                h.update(f"{path}:{info.st_size}:{info.st_mtime_ns}".encode())
            except OSError:
                pass
        policy = getattr(rule, "policy", None)
        if policy is not None:  # an organisation policy: its whole definition
            h.update(repr(policy).encode("utf-8", "surrogatepass"))
        parts.append(f"{rule.id}:{rule.origin}:{int(rule.level)}:{rule.scope}:"
                     f"{rule.uses_workspace}:{h.hexdigest()}")
    return "\n".join(parts)


# --- plain forms --------------------------------------------------------------------------


def _sp(span) -> list:
    return [span.line, span.column, span.end_line, span.end_column]


def _encode(result) -> list:
    doc, findings, secrets, file_facts = result
    return [_doc(doc), [_finding(f) for f in findings], sorted(secrets),
            [f.plain() for f in file_facts]]


def _doc(doc) -> list | None:
    from lunalint.engine import Linted, Unreadable
    from lunalint.model.config import ClientConfig

    if doc is None:
        return None
    problems = [[_sp(p.span), p.message, p.region, p.follows] for p in doc.problems]
    if isinstance(doc, ClientConfig):
        if doc.sections or doc.template_spans:
            raise ValueError("only slim models are cached")
        return ["config", doc.path, list(doc.lines), problems, doc.form,
                [[_sp(s), text] for s, text in doc.comments], list(doc.template_syntaxes),
                list(doc.open_lines), list(doc.loop_lines), doc.partial]
    if isinstance(doc, Unreadable):
        return ["unreadable", doc.path, problems]
    if isinstance(doc, Linted):
        return ["linted", doc.path, problems, doc.of_kind]
    raise ValueError("only slim models are cached")


def _finding(f) -> list:
    if f.suppression is not None:
        raise ValueError("suppressions are decided after the cache")
    return [f.rule, int(f.level), f.message, f.path, _sp(f.span), f.anchor,
            [[r.path, _sp(r.span), r.message] for r in f.related], f.intentional, f.help_uri,
            f.excerpt, _fix(f.fix), f.proposed]


def _fix(fix) -> list | None:
    if fix is None:
        return None
    return [fix.applicability, fix.description,
            [[_sp(e.span), e.replacement] for e in fix.edits]]


def _decode(key: str, data: bytes):
    from lunalint.facts import FileFacts, span
    from lunalint.findings import Finding, Level, Location
    from lunalint.model.base import SyntaxProblem

    if not data.startswith(_MAGIC):
        raise ValueError("not a lunalint cache entry")
    head, _, body = data[len(_MAGIC):].partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != head:
        raise ValueError("damaged entry")
    stored_key, (doc, findings, secrets, plain_facts) = json.loads(body)
    if stored_key != key:
        raise ValueError("entry for another key")

    def text(value) -> str:
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value

    def problems(items) -> tuple:
        return tuple(SyntaxProblem(span(s), text(m), None if r is None else int(r), bool(f))
                     for s, m, r, f in items)

    out_findings = []
    from lunalint.findings import Edit, Fix

    def fix_of(data) -> Fix | None:
        if data is None:
            return None
        applicability, description, edits = data
        return Fix(text(applicability), tuple(Edit(span(s), text(r)) for s, r in edits),
                   text(description))

    for rule, level, message, path, sp, anchor, related, intentional, help_uri, excerpt, \
            fix, proposed in findings:
        out_findings.append(Finding(
            text(rule), Level(level), text(message), text(path), span(sp), text(anchor),
            tuple(Location(text(p), span(s), text(m)) for p, s, m in related),
            bool(intentional), None, text(help_uri), None if excerpt is None else text(excerpt),
            fix=fix_of(fix), proposed=bool(proposed)))
    return (_doc_of(doc, text, problems), out_findings,
            frozenset(text(s) for s in secrets),
            tuple(FileFacts.from_plain(f) for f in plain_facts))


def _doc_of(doc, text, problems):
    from lunalint.engine import Linted, Unreadable
    from lunalint.facts import span
    from lunalint.model.config import ClientConfig

    if doc is None:
        return None
    kind = doc[0]
    if kind == "config":
        _, path, lines, probs, form, comments, syntaxes, open_lines, loop_lines, partial = doc
        return ClientConfig(text(path), tuple(text(x) for x in lines), problems(probs),
                            text(form), (), tuple((span(s), text(c)) for s, c in comments), (),
                            tuple(text(x) for x in syntaxes), tuple(int(n) for n in open_lines),
                            tuple(int(n) for n in loop_lines), bool(partial))
    if kind == "unreadable":
        _, path, probs = doc
        return Unreadable(text(path), (), problems(probs))
    if kind == "linted":
        _, path, probs, of_kind = doc
        return Linted(text(path), (), problems(probs), of_kind=text(of_kind))
    raise ValueError(f"unknown document kind {kind!r}")
