"""The fix stage: a stage after the pipeline, never a copy of it.

:func:`run` lints through :func:`lunalint.pipeline.run`, takes the fixes the findings carry
(exact, before redaction), and edits the files' original text:

1. **Choose.** Only unsuppressed findings whose fix the user asked for (``safe``; ``unsafe``
   too with ``--unsafe-fixes``), in plain client configurations that may be written
   (:func:`lunalint.confine.editable`; never captures, embedded or partial configurations,
   placeholders or loops: :func:`lunalint.patch.refusal`), and no edit on a line an inline
   directive for that rule covers.
2. **Resolve overlaps.** Fixes are taken in the order of their findings; one whose edits
   touch text an earlier one edits waits for the next round (identical edits are made once).
3. **Verify.** The edited text of every changed file is linted again, in memory, through the
   same pipeline (:func:`lunalint.confine.substituted`). A file that no longer reads as the
   same kind of configuration, gains a finding it did not have, or still has a finding its
   fix should have removed, is put back; its fixes are then tried one at a time, and those
   that fail alone are dropped and reported.
4. **Repeat** on the verified result until nothing more applies (fixes that touched the same
   text, or a section one fix creates and another fills, need a second round).
5. **Write** (unless only a diff is wanted) through :func:`lunalint.writeout.rewrite`: each
   changed file atomically, with its mode, owner and group, in its own encoding and byte-order
   mark, its line endings untouched, only if it still holds what was read, and never through a
   link (the path is walked again folder by folder at write time).

The first lint of the stage never takes a client configuration's result from the result cache
(``Options.fixing``): fixes are worked out from the files' text as read now.
"""

from __future__ import annotations

import codecs
import dataclasses

from lunalint import record as records
import difflib
import os
from collections import Counter
from dataclasses import dataclass, field

from lunalint import confine, patch, pipeline
from lunalint.findings import Finding, Fix
from lunalint.model.base import Document
from lunalint.model.config import same_lines

MAX_ROUNDS = 12


@dataclass(frozen=True)
class Applied:
    path: str
    rule: str
    line: int
    column: int
    message: str  # the finding's (redacted) message
    description: str  # what the fix did (redacted)


@dataclass(frozen=True)
class Dropped:
    path: str
    rule: str
    line: int
    column: int
    reason: str


@dataclass
class FixResult:
    outcome: pipeline.Outcome  # the findings that remain (of the fixed text)
    applied: list[Applied] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # shown: (old, new)
    written: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that could not be written

    def diff(self) -> str:
        """A unified diff of every change (``a/`` before, ``b/`` after) that ``git apply``
        and ``patch`` take: each line keeps its own ending (a CRLF file's diff has its
        ``\\r``), a last line without one is marked so. Printed like every other output: the
        run's secret values and each file's secret ranges masked (the context is narrowed so
        that no line holding a secret is shown when a hunk can do without it), control
        characters and the names escaped by :func:`~lunalint.reporters.neutralise` (TABs
        kept), and no context line a CI runner would read as a workflow command."""
        out = []
        for path in sorted(self.changed):
            old, new = self.changed[path]
            out.append(_file_diff(path, old, new))
        return self.outcome.redactor.output("".join(out))


def _file_diff(path: str, old: str, new: str) -> str:
    from lunalint.reporters import neutralise

    a, b = _ended_lines(old), _ended_lines(new)
    hide_a, hide_b = _secret_lines(path, old, a), _secret_lines(path, new, b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for context in (3, 2, 1, 3):  # the widest context that shows no secret line, else 3
        matcher.opcodes = list(opcodes)  # get_grouped_opcodes edits the list it is given
        groups = list(matcher.get_grouped_opcodes(context))
        if not any(i in hide_a or j in hide_b for group in groups
                   for tag, i1, i2, j1, j2 in group if tag == "equal"
                   for i, j in zip(range(i1, i2), range(j1, j2))):
            break
    name = neutralise(path)
    out = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    for group in groups:
        first, last = group[0], group[-1]
        out.append(f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(_diff_line(" ", a[i], hide_a.get(i)) for i in range(i1, i2))
                continue
            out.extend(_diff_line("-", a[i], hide_a.get(i)) for i in range(i1, i2))
            out.extend(_diff_line("+", b[j], hide_b.get(j)) for j in range(j1, j2))
    return "".join(out)


def _ended_lines(text: str) -> list[str]:
    """The lines of ``text`` as ``git`` and ``patch`` count them: split after each LF, each
    with its own ending (``\\r\\n``, ``\\n``, none for an unterminated last line)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _secret_lines(path: str, text: str, lines: list[str]) -> dict[int, list[tuple[int, int]]]:
    """Secret ranges of the configuration ``text`` per 0-based index in ``lines`` (the
    reader counts a lone CR as a line break, ``lines`` do not: ranges go through offsets)."""
    import bisect
    import re

    from lunalint import discover, redact
    from lunalint.readers.config import read_config

    _, form = discover.classify(path, text, "config")
    secrets = redact.secrets_of(read_config(path, text, form))
    if not secrets.ranges:
        return {}
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]  # the reader's lines
    ours = [0]
    for line in lines:
        ours.append(ours[-1] + len(line))
    out: dict[int, list[tuple[int, int]]] = {}
    for number, spans in secrets.ranges.items():
        for start, end in spans:
            at, stop = starts[number - 1] + start, starts[number - 1] + end
            index = bisect.bisect_right(ours, at) - 1
            out.setdefault(index, []).append((at - ours[index], stop - ours[index]))
    return out


def _diff_line(mark: str, line: str, secret: list[tuple[int, int]] | None) -> str:
    from lunalint.redact import MASK
    from lunalint.reporters import neutralise

    body = line.rstrip("\n")
    end = line[len(body):]
    if end and body.endswith("\r"):
        body, end = body[:-1], "\r" + end
    for start, stop in sorted(secret or (), reverse=True):
        body = body[:start] + MASK + body[stop:]
    body = neutralise(body, keep="\t")
    if mark == " " and body.lstrip().startswith("::"):  # runners trim blanks, then read `::`
        colon = body.index(":")
        body = body[:colon] + "\\x3a" + body[colon + 1:]
    if not end:
        return f"{mark}{body}\n\\ No newline at end of file\n"
    return f"{mark}{body}{end}"


def _span(start: int, stop: int) -> str:
    """A hunk header's range, as ``diff -u`` writes it."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start + 1 if length else start},{length}"


@dataclass
class _File:
    """A file being fixed: its original bytes and how to write text back as such bytes."""

    os_path: str
    data: bytes
    bom: bytes
    codec: str
    original: str
    text: str  # with the fixes accepted so far

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec)


def _open(os_path: str) -> _File | str:
    data = confine.original(os_path)
    if data is None:
        return "the file could not be read again"
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            break
    else:
        bom, codec = b"", "utf-8"
    try:
        text = data[len(bom):].decode(codec)
    except UnicodeDecodeError:
        if bom:
            return "the file is not valid in the encoding its byte-order mark names"
        codec, text = "latin-1", data.decode("latin-1")
    if bom + text.encode(codec, errors="surrogatepass") != data:
        return "the file's encoding would not give back the same bytes"
    return _File(os_path, data, bom, codec, text, text)


def _key(f: Finding) -> tuple:
    return (f.rule, f.anchor.casefold(), f.suppression is not None)


def _counts(outcome: pipeline.Outcome) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for f in outcome.findings:
        out.setdefault(f.path, Counter())[_key(f)] += 1
    return out


def _documents(outcome: pipeline.Outcome) -> dict[str, Document]:
    return {doc.path: doc for doc in outcome.documents}


def run(options: pipeline.Options, unsafe: bool = False, write: bool = True) -> FixResult:
    """Lint, fix what may be fixed, verify, and write (see the module docstring)."""
    # The cache is a hint: no client configuration's findings or fixes come from it here.
    options = dataclasses.replace(options, fixing=True)
    outcome = pipeline.run(options)
    cwd = options.cwd or os.getcwd()
    result = FixResult(outcome)
    files: dict[str, _File] = {}
    refused: dict[str, str] = {}  # shown path -> why no fix is made in it
    rejected: set[tuple] = set()  # (path, rule, anchor) whose fix failed verification
    check = records.replace(options, jobs=1, write_baseline=None,
                                baseline=options.baseline or options.write_baseline)
    if hasattr(check, "cache"):  # never reuse or store results of text not on disk
        check = records.replace(check, cache=False)
    from lunalint.registry import load_registry

    known = set(options.known_rules) or set(load_registry(plugins=False).rules)

    def report_drop(f: Finding, reason: str) -> None:
        result.dropped.append(Dropped(f.path, f.rule, f.span.line, f.span.column,
                                      outcome.redactor.text(reason)))

    models: dict[tuple[str, str], Document | None] = {}
    for _round in range(MAX_ROUNDS):
        docs = _documents(outcome)
        chosen: dict[str, list[tuple[Finding, Fix, list]]] = {}
        for f in outcome.findings:
            fix = outcome.exact_fix(f)
            if fix is None or f.suppression is not None or f.proposed:
                continue
            if fix.applicability == "unsafe" and not unsafe:
                continue
            if (f.path, f.rule, f.anchor) in rejected or f.path in refused:
                continue
            state = files.get(f.path)
            if state is None:
                why = _eligible(f.path, docs.get(f.path), cwd, outcome.root, options.paths)
                opened = _open(os.path.join(cwd, f.path)) if why is None else why
                if isinstance(opened, str):
                    refused[f.path] = opened
                    report_drop(f, opened)
                    continue
                state = files[f.path] = opened
                if not same_lines(docs[f.path], _lines(state.text)):
                    refused[f.path] = "the file changed while lunalint was checking it"
                    report_drop(f, refused[f.path])
                    continue
            doc = _model(state, f.path, options.settings, models)
            why = patch.refusal(doc, fix) if doc is not None else "not linted"
            if why is None:
                why = _under_directive(doc, f, fix, known)
            edits = patch.ranges(state.text, fix.edits) if why is None else None
            if why is None and edits is None:
                why = "the edit lies outside the file"
            if why is not None:
                rejected.add((f.path, f.rule, f.anchor))
                report_drop(f, why)
                continue
            taken = [e for _, _, es in chosen.get(f.path, []) for e in es]
            if any(patch.overlaps(a, b) for a in edits for b in taken):
                continue  # touches text an earlier fix edits: next round
            chosen.setdefault(f.path, []).append((f, fix, edits))
        if not chosen:
            break
        before = {path: files[path].text for path in chosen}
        trial = {path: patch.apply(files[path].text, [e for _, _, es in picks for e in es])
                 for path, picks in chosen.items()}
        after, bad = _verify(check, outcome, files, trial, chosen)
        if bad:
            # Put the failing files back and try their fixes one at a time: keep the first
            # that verifies alone, drop those that do not (the next round goes on from there).
            for path in bad:
                trial[path] = before[path]
                for f, fix, edits in chosen[path]:
                    alone = dict(trial)
                    alone[path] = patch.apply(before[path], edits)
                    _, failed = _verify(check, outcome, files, alone, {path: [(f, fix, edits)]})
                    if failed:
                        rejected.add((f.path, f.rule, f.anchor))
                        report_drop(f, "the fixed text did not verify: "
                                    + failed.get(path, "it changed other findings"))
                        continue
                    trial[path] = alone[path]
                    chosen[path] = [(f, fix, edits)]
                    break
                else:
                    chosen[path] = []
            after, still = _verify(check, outcome, files, trial, chosen)
            if still:  # should not happen: give up on this round's changes
                for f, _fix, _ in (p for picks in chosen.values() for p in picks):
                    rejected.add((f.path, f.rule, f.anchor))
                    report_drop(f, "the fixed text did not verify together with other fixes")
                break
        for path, picks in chosen.items():
            files[path].text = trial[path]
            for f, fix, _ in picks:
                shown = outcome.redactor.finding(records.replace(f, fix=fix))
                result.applied.append(Applied(f.path, f.rule, f.span.line, f.span.column,
                                              shown.message, shown.fix.description
                                              if shown.fix else ""))
        outcome = after
    result.outcome = outcome
    result.changed = {path: (state.original, state.text) for path, state in files.items()
                      if state.text != state.original}
    if write:
        from lunalint import writeout

        guard = fix_guard(outcome.root, cwd, options.paths)
        for path in sorted(result.changed):
            state = files[path]
            error = writeout.rewrite(state.os_path, state.data, state.encode(state.text), guard)
            if error:
                result.errors.append(f"{path}: {error}; it was not fixed")
            else:
                result.written.append(path)
    return result


def fix_guard(root: str | None, cwd: str, named: list[str]) -> list[str]:
    """The folders inside which no symbolic link is followed on the way to a file a fix
    writes: the project root; without a project, the current folder and what was named."""
    if root is not None:
        return [root]
    out = [cwd]
    for given in named:
        full = os.path.abspath(os.path.join(cwd, given))
        out.append(full if os.path.isdir(full) and not os.path.islink(full)
                   else os.path.dirname(full))
    return out


def _model(state: _File, shown: str, cfg, cache: dict) -> Document | None:
    """The whole model of the file's current text, read as the pipeline reads it."""
    from lunalint import engine, source

    key = (shown, state.text)
    if key not in cache:
        kind = cfg.kind_of(state.os_path) if (cfg.config_globs or cfg.export_globs) else None
        try:
            cache[key] = engine.document_from(source.decode(state.encode(state.text)),
                                              state.os_path, shown, True, kind)
        except Exception:  # a reader bug: no fix in this file
            cache[key] = None
    return cache[key]


def _lines(text: str) -> tuple[str, ...]:
    from lunalint.readers.config import split_lines

    return tuple(split_lines(text))


def _eligible(path: str, doc: Document | None, cwd: str, root: str | None,
              named: list[str]) -> str | None:
    if doc is None:
        return "not linted"
    if doc.kind != "config":
        return {"export": "captures are evidence of what an HSM said; they are never edited",
                "host": "an embedded configuration: lunalint does not edit scripts, runbooks "
                        "or YAML that hold one"}.get(doc.kind, "not a client configuration")
    return confine.editable(os.path.join(cwd, path), root,
                            [os.path.join(cwd, p) for p in named])


def _under_directive(doc: Document, f: Finding, fix: Fix, known: set[str]) -> str | None:
    """Why ``fix`` edits a line an inline directive for ``f.rule`` covers, or None."""
    from lunalint.model.config import ClientConfig
    from lunalint.suppress import parse_directives

    if not isinstance(doc, ClientConfig) or not doc.comments:
        return None
    directives, _ = parse_directives(doc, known)
    covered = {d.target_line for d in directives if f.rule in d.rules}
    for edit in fix.edits:
        if any(line in covered for line in range(edit.span.line, edit.span.end_line + 1)):
            return f"the edit falls on a line under an inline suppression of {f.rule}"
    return None


def _verify(check: pipeline.Options, before: pipeline.Outcome, files: dict[str, _File],
            trial: dict[str, str], chosen: dict) -> tuple[pipeline.Outcome, dict[str, str]]:
    """Lint the text of ``trial`` (and of earlier rounds) in memory; the outcome, and the
    files that failed with why."""
    contents = {state.os_path: state.encode(state.text) for state in files.values()
                if state.text != state.original}
    for path, text in trial.items():
        contents[files[path].os_path] = files[path].encode(text)
    with confine.substituted(contents):
        try:
            after = pipeline.run(check)
        except pipeline.PipelineError as error:
            return before, {path: str(error) for path in trial}
    old, new = _counts(before), _counts(after)
    docs = _documents(after)
    was = _documents(before)
    bad: dict[str, str] = {}
    for path in trial:
        doc = docs.get(path)
        if doc is None or doc.kind != "config" or \
                getattr(doc, "form", None) != getattr(was.get(path), "form", None):
            bad[path] = "it no longer reads as the same client configuration"
            continue
        gained = new.get(path, Counter()) - old.get(path, Counter())
        if gained:
            rule, anchor, _ = sorted(gained)[0]
            bad[path] = f"it gains a {rule} finding ({anchor})"
            continue
        fixed = Counter(_key(f) for f, _fix, _ in chosen.get(path, []))
        left = {k for k, n in fixed.items()
                if new.get(path, Counter())[k] > old.get(path, Counter())[k] - n}
        if left:
            bad[path] = f"its {sorted(left)[0][0]} finding is still there"
    others = [p for p in set(old) | set(new) if p not in trial
              and new.get(p, Counter()) - old.get(p, Counter())]
    if others and not bad:
        bad = {path: f"{others[0]} gains a finding" for path in trial}
    return after, bad
