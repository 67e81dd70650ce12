"""Baselines: record today's findings, then report only new ones.

A finding is keyed by rule, repository-relative path and logical anchor (section/key, or
serial/policy number) — never by line number — so moving lines around keeps the baseline
valid. Keys are counted, so two identical findings need two baseline entries.

A baseline is input like any other (it sits in the repository, so a pull request can change
it), and reading it is bounded: at most 16 MiB and 100,000 entries, containers and strings
counted before parsing, and each ``count`` a whole number from 1 to 1,000,000. Anything else
is a one-line :class:`BaselineError` (never clamped: a wrong baseline would hide findings).
Entries no longer found are reported once per entry with their count, never expanded.

It is written through :mod:`lunalint.writeout`: atomically (a temporary file in the same
folder, then a rename there), only over a regular file that was not read as input, never
through a link (the target or a folder inside the project); anything else is refused with
:class:`BaselineWriteError`.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections import Counter
from lunalint.record import replace

from lunalint import __version__
from lunalint.findings import Finding, Suppression

FORMAT = 1
MAX_BYTES = 16 << 20      # a real entry is about 150 bytes: some 100,000 entries
MAX_ENTRIES = 100_000
MAX_COUNT = 1_000_000     # identical findings one entry may stand for
MAX_FIELD = 4096          # characters in a rule, path or anchor
_KEYS = {"rule", "path", "anchor", "count"}


class BaselineError(Exception):
    """The baseline file cannot be read or is not a lunalint baseline."""


class BaselineWriteError(OSError):
    """The baseline cannot be written where asked; ``strerror`` says why in a few words."""


def _rel(path: str, root: str, base: str | None = None) -> str:
    """``path`` (as shown: relative to ``base``, default the cwd) relative to ``root``."""
    full = os.path.abspath(os.path.join(base, path) if base else path)
    try:
        rel = os.path.relpath(full, os.path.abspath(root))
    except ValueError:
        return full.replace(os.sep, "/")
    return (full if rel.startswith(os.pardir) else rel).replace(os.sep, "/")


def key(finding: Finding, root: str, base: str | None = None) -> tuple[str, str, str]:
    return (finding.rule, _rel(finding.path, root, base), finding.anchor or finding.message)


# --------------------------------------------------------------------------- writing

_LONE = re.compile("[\ud800-\udfff]")


def write(path: str, findings: list[Finding], root: str,
          guard: list[str] | None = None, inputs: set | frozenset = frozenset(),
          base: str | None = None) -> int:
    """Write the unsuppressed ``findings`` to ``path`` through :mod:`lunalint.writeout`
    (atomic; never through a link, over something that is not a regular file, or over a file
    of ``inputs``); returns how many were recorded.

    Raises :class:`BaselineWriteError` (an ``OSError``) when the write is refused or fails; the
    old file is then left as it was.
    """
    from lunalint import writeout

    counts = Counter(key(f, root, base) for f in findings if f.suppression is None)
    entries = [{"rule": r, "path": p, "anchor": a, "count": n}
               for (r, p, a), n in sorted(counts.items())]
    doc = {"lunalint_baseline": FORMAT, "version": __version__, "findings": entries}
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    # A file name that is not valid UTF-8 reaches here with lone surrogates: they are written
    # as JSON escapes, which read back as the same name.
    text = _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    try:
        writeout.output(path, text.encode("utf-8"), guard or [root], inputs,
                        what="a baseline")
    except writeout.Refused as why:
        raise BaselineWriteError(errno.EEXIST, str(why)) from None
    return sum(counts.values())


# --------------------------------------------------------------------------- reading

def load(path: str) -> Counter:
    """The entries of the baseline at ``path`` as ``(rule, path, anchor) -> count``."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise BaselineError(f"cannot read baseline {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise BaselineError(f"{path}: larger than {MAX_BYTES >> 20} MiB, too large for a "
                            "lunalint baseline; write it again with --write-baseline")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise BaselineError(f"{path}:{line}: not a lunalint baseline (not UTF-8)") from None
    # Every JSON object or array costs memory when parsed; a real baseline has one object per
    # entry and one array, so many more (`[[],[],...]`) is refused before parsing.
    if text.count("{") + text.count("[") > 2 * MAX_ENTRIES + 16 \
            or text.count('"') > 24 * MAX_ENTRIES:
        raise BaselineError(f"{path}: not a lunalint baseline (far more values than "
                            f"{MAX_ENTRIES} entries hold)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: not a lunalint baseline (invalid JSON: "
                            f"{error.msg})") from None
    except RecursionError:
        raise BaselineError(f"{path}: not a lunalint baseline (nested too deeply)") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise BaselineError(f"{path}: not a lunalint baseline ({_first_line(error)})") \
            from None
    if not isinstance(doc, dict) or doc.get("lunalint_baseline") != FORMAT \
            or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not a lunalint baseline (format {FORMAT} expected)")
    if len(doc["findings"]) > MAX_ENTRIES:
        raise BaselineError(f"{path}: more than {MAX_ENTRIES} entries, too many for a "
                            "lunalint baseline")
    counts: Counter = Counter()
    for index, item in enumerate(doc["findings"], start=1):
        rule, where, anchor, count = _entry(item, f"{path}: entry {index}")
        counts[(rule, where, anchor)] += count
        if counts[(rule, where, anchor)] > MAX_COUNT:
            raise BaselineError(f"{path}: entry {index}: more than {MAX_COUNT} findings "
                                "recorded for one rule, path and anchor")
    return counts


def _entry(item: object, where: str) -> tuple[str, str, str, int]:
    """One entry, checked; the message never repeats its values (they may be secrets)."""
    if not isinstance(item, dict):
        raise BaselineError(f"{where}: malformed entry (an object with rule, path, anchor "
                            "and count expected)")
    unknown = set(item) - _KEYS
    if unknown:
        raise BaselineError(f"{where}: malformed entry (unknown key "
                            f"{sorted(map(str, unknown))[0][:40]!r})")
    fields = []
    for name in ("rule", "path", "anchor"):
        value = item.get(name)
        if not isinstance(value, str) or len(value) > MAX_FIELD:
            raise BaselineError(f"{where}: malformed entry (`{name}` must be a string of at "
                                f"most {MAX_FIELD} characters)")
        fields.append(value)
    count = item.get("count", 1)
    if type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise BaselineError(f"{where}: malformed entry (`count` must be a whole number from 1 "
                            f"to {MAX_COUNT})")
    return fields[0], fields[1], fields[2], count


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:120] if str(error) else type(error).__name__


# --------------------------------------------------------------------------- applying

def apply(findings: list[Finding], known: Counter, root: str, baseline_path: str,
          linted: list[str] | None = None, base: str | None = None,
          ) -> tuple[list[Finding], list[str]]:
    """Mark findings recorded in the baseline as suppressed (kind external).

    Returns the findings and the baseline entries of the ``linted`` files (all files when
    None) that matched nothing, now fixed, as ``RULE path anchor`` strings (one per entry,
    with `` (N times)`` when more than one of its findings is gone).
    """
    scope = None if linted is None else {_rel(p, root, base) for p in linted}
    left = Counter(known)

    def mark(group: list[Finding]) -> list[Finding]:
        out = []
        for f in group:
            k = key(f, root, base)
            if f.suppression is None and left[k] > 0:
                left[k] -= 1
                f = replace(f, suppression=Suppression(
                    "external", f"recorded in baseline {os.path.basename(baseline_path)}",
                    baseline_path))
            out.append(f)
        return out

    from lunalint.store import FindingStore

    # (a store of findings is marked a file at a time, in order, and stays a store)
    out = (findings.map(mark, ordered=True) if isinstance(findings, FindingStore)
           else mark(list(findings)))
    fixed = [f"{r} {p} {a}" + (f" ({n} times)" if n > 1 else "")
             for (r, p, a), n in sorted(left.items())
             if n > 0 and (scope is None or p in scope)]
    return out, fixed
