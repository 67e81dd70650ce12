"""Redaction: the one boundary every string crosses on its way out of lunalint.

Two steps, both here and nowhere else:

1. **Knowing the secrets** (:func:`secrets_of`): a reader's model says which *values* are
   secret — values of configuration keys whose names carry ``pass``, ``pin``, ``secret``,
   ``challenge``, ``token`` or ``domain``; values of every secret-bearing LunaCM/LunaSH option
   and of the abbreviations the tools accept (``-password``, ``-pass``, ``-p``, ``-pwd``,
   ``-dom``, ``-challenge``, ``-authtokenpw``, ``-newpass``, ``-opw``/``-npw``, ``-password:X``
   …); and what follows a secret key on a line that did not parse. The result is a
   :class:`Secrets`: character ranges per line (for excerpts) and the values themselves.
2. **Scrubbing what leaves** (:class:`Redactor`): excerpts are masked by range; messages,
   anchors, related messages, notices, summaries, baselines and every rendered report are
   searched for the secret *values* (never for their words, so an ordinary word that happens to
   appear in a password is left alone elsewhere) and each occurrence becomes ``****``.

Short values (fewer than :data:`MIN_FREE` characters, such as a PIN ``739``) are replaced only
where they stand quoted or as a whole ``key=value``/option value, so that a line number or a
serial that contains the same digits stays readable. Values are matched on token boundaries
(``1234`` is not found inside ``71234567``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from lunalint.patterns import lazy
from lunalint.record import opt, record, replace

from lunalint.findings import Finding, Location
from lunalint.model.base import Document

MASK = "****"
# A value at least this long is replaced wherever it stands as a token.
MIN_FREE = 4

# Key names that may carry a secret value.
# (`VirtualToken…` keys name the HA virtual slot, not a token secret.)
SECRET_KEY = re.compile(r"(?i)pass|pin|secret|challenge|(?<!virtual)token|domain|pwd|credential")

# LunaCM/LunaSH options whose value is secret. LunaCM and LunaSH accept any unambiguous
# abbreviation of an option name, so a word is secret when it is one of ALIASES or a prefix of
# one of PREFIXED at least as long as the number given (short enough to catch what the tools
# take, long enough not to catch `-slot`, `-serial`, `-size`, `-label`, `-cloning`…).
ALIASES = frozenset({
    "p", "pw", "pwd", "pass", "passw", "passwd", "password", "pin", "oldpin", "newpin",
    "opw", "npw", "oldpw", "newpw", "oldpass", "newpass", "oldpassword", "newpassword",
    "dom", "domain", "domainpw", "challenge", "cha", "chal", "authtokenpw", "authtokenpass",
    "authtokenpassword", "secret", "newdomain", "olddomain",
})
PREFIXED = {
    "password": 2, "passwd": 2, "newpassword": 4, "oldpassword": 4, "newpass": 4,
    "oldpass": 4, "domain": 3, "newdomain": 4, "olddomain": 4, "challenge": 3,
    "authtokenpw": 5, "authtokenpassword": 5, "secret": 3,
}


def secret_option(word: str) -> bool:
    """True when ``word`` (an option name without its dash) names a secret-bearing option."""
    w = word.lower()
    if w in ALIASES:
        return True
    return any(len(w) >= least and name.startswith(w) for name, least in PREFIXED.items())


# `-name value`, `-name=value`, `-name:value` on a command line; the value quoted or not.
_OPTION = lazy(r"(?<![\w-])-([A-Za-z][A-Za-z0-9_]*)(?:[ \t]+|=|:)"
               r"(\"[^\"\n]*\"?|'[^'\n]*'?|(?!-[A-Za-z])[^\s]+)")
# `key=value` / `key: value` pairs in free text (an unparsed config line, a LunaSH prompt echo).
# The key is the word before `=`/`:` from its first letter; a match is tried only where a
# word starts, else each letter of one long word rescanned the rest of it (quadratic).
_PAIR = lazy(r"(?<![\w.-])[\d_.-]*([A-Za-z][\w.-]*)[ \t]*[=:][ \t]*"
             r"(\"[^\"\n]*\"?|'[^'\n]*'?|[^\s;,]+)")


@record
class Secrets:
    """What is secret in one file: 0-based ``(start, end)`` ranges per 1-based line, and the
    secret values (small and picklable, so it travels with a file's facts)."""

    ranges: dict[int, tuple[tuple[int, int], ...]] = opt(factory=dict)
    values: frozenset[str] = frozenset()

    def mask_line(self, number: int, line: str) -> str:
        for a, b in self.ranges.get(number, ()):
            line = line[:a] + "*" * (b - a) + line[b:]
        return line


def secrets_of(doc: Document) -> Secrets:
    """The secret ranges and values of ``doc`` (a configuration, a capture or anything else)."""
    from lunalint.model.config import ClientConfig

    ranges: dict[int, list[tuple[int, int]]] = {}
    if isinstance(doc, ClientConfig):
        for section in doc.sections:
            for entry in section.entries:
                if not _secret_key(entry.key):
                    continue
                span = entry.value_span
                if span.end_column > span.column and span.end_line == span.line:
                    ranges.setdefault(span.line, []).append((span.column - 1, span.end_column - 1))
        for number in _lines_matching(SECRET_KEY, doc.lines):
            if number not in ranges:
                rest = _unparsed_secret(doc.lines[number - 1])  # a line that did not parse
                if rest is not None:
                    ranges[number] = [rest]
    else:
        keyed = set(_lines_matching(SECRET_KEY, doc.lines))
        for number, line in enumerate(doc.lines, start=1):
            if "-" in line:
                for m in _OPTION.finditer(line):
                    if secret_option(m.group(1)):
                        ranges.setdefault(number, []).append(m.span(2))
            if number in keyed and ("=" in line or ":" in line):
                for m in _PAIR.finditer(line):
                    if _secret_key(m.group(1)) and not _is_label(line, m):
                        ranges.setdefault(number, []).append(m.span(2))
    # A script's session knows its literal credentials word by word (`sshpass -pS3cret`,
    # a value split over lines, a `plink -pw` value): each is secret wherever it stands.
    known = [c for c in getattr(getattr(doc, "script", None), "credentials", ())]
    for c in known:
        if c.span.line == c.span.end_line:
            ranges.setdefault(c.span.line, []).append((c.span.column - 1, c.span.end_column - 1))
    values = {c.value for c in known if c.value}
    clean: dict[int, tuple[tuple[int, int], ...]] = {}
    for number, spans in ranges.items():
        line = doc.lines[number - 1]
        merged = _merge(spans)
        clean[number] = merged
        for a, b in merged:
            value = line[a:b].strip()
            # The pieces between syntax characters too: a reader may quote one of them when
            # it explains why the line did not parse (`{pw;` → `pw`). Never split on blanks.
            for inner in (value, value.strip("\"'"), *_PIECES.split(value)):
                if len(inner) >= MIN_FREE or any(c.isalnum() for c in inner):
                    values.add(inner)
    return Secrets(clean, frozenset(values))


_PIECES = lazy(r"[{}()\[\];,=\"']+")


# SECRET_KEY's words, for lowered ASCII text: finding each word with ``str.find`` in the
# lowered text is far cheaper than any regular expression search of it (a case-insensitive
# one, or an alternation that tries every word at every position), and on ASCII text it finds
# the same lines (Unicode case folding, where `ſ` matches `s`, only matters for non-ASCII).
_SECRET_WORDS = ("pass", "pin", "secret", "challenge", "token", "domain", "pwd", "credential")


def _lines_matching(pattern: re.Pattern, lines) -> list[int]:
    """The 1-based numbers of the ``lines`` where SECRET_KEY matches, in order: candidates
    where one of its words stands in the lowered text (no word crosses a line end; `token`
    right after `virtual` is not one), each confirmed with ``pattern``."""
    text = "\n".join(lines)
    if not text.isascii():
        return [n for n, line in enumerate(lines, start=1) if pattern.search(line)]
    low = text.lower()
    hits: list[int] = []
    for word in _SECRET_WORDS:
        at = low.find(word)
        while at >= 0:
            if word != "token" or low[max(0, at - 7):at] != "virtual":
                hits.append(at)
            at = low.find(word, at + 1)
    out: list[int] = []
    number, at = 1, 0
    for start in sorted(hits):
        number += text.count("\n", at, start)
        at = start
        if (not out or out[-1] != number) and pattern.search(lines[number - 1]):
            out.append(number)
    return out


def merge(found: list[Secrets]) -> Secrets:
    """The secrets of several parts of one file (ranges are in the file's own positions)."""
    ranges: dict[int, list[tuple[int, int]]] = {}
    values: set[str] = set()
    for secrets in found:
        values |= secrets.values
        for number, spans in secrets.ranges.items():
            ranges.setdefault(number, []).extend(spans)
    return Secrets({n: _merge(spans) for n, spans in ranges.items()}, frozenset(values))


_SECRET_KEYS: dict[str, bool] = {}  # key → names a secret (keys repeat across files)


def _secret_key(key: str) -> bool:
    try:
        return _SECRET_KEYS[key]
    except KeyError:
        found = _SECRET_KEYS[key] = bool(SECRET_KEY.search(key))
        if len(_SECRET_KEYS) > 4096:
            _SECRET_KEYS.clear()
        return found


# Capture field labels that name a secret but hold none (`Partition Secret Key Cloning`).
_LABEL_WORDS = lazy(r"(?i)(cloning|wrapping|unwrapping|masking|policy|allowed|allow|"
                    r"enable|supported|capabilit)")


def _is_label(line: str, m: re.Match) -> bool:
    return bool(_LABEL_WORDS.search(m.group(1))) or m.group(2).strip().lower() in (
        "yes", "no", "on", "off", "enabled", "disabled", "true", "false")


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out if b > a)


def _unparsed_secret(line: str) -> tuple[int, int] | None:
    """What may be a secret value on a line that names a secret key but did not parse: from
    after the first `=` (else after the key word) to the end, less trailing blanks and `;`."""
    m = SECRET_KEY.search(line)
    if m is None:
        return None
    eq = line.find("=", m.end())
    if eq < 0:
        eq = line.find("=")
    if eq >= 0:
        start = eq + 1
    else:
        word = re.compile(r"[^\s]*").match(line, m.end())
        start = word.end() if word else m.end()
    while start < len(line) and line[start] in " \t":
        start += 1
    end = len(line.rstrip(" \t\r;"))
    return (start, end) if end > start else None


class Redactor:
    """Replaces the secret values of every file of a run in every outgoing string."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._free: re.Pattern[str] | None = None
        self._short: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if v} - self._values
        if not new:
            return
        self._values |= new
        # Longest first, so a value that contains another is replaced whole.
        ordered = sorted(self._values, key=lambda v: (-len(v), v))
        free = [v for v in ordered if len(v) >= MIN_FREE]
        short = [v for v in ordered if len(v) < MIN_FREE]
        self._free = re.compile("|".join(_bounded(v) for v in free)) if free else None
        if short:
            alt = "|".join(re.escape(v) for v in short)
            # quoted, or the whole value of `key=value` / `-option value`
            self._short = re.compile(rf"(?<=[\"'`])(?:{alt})(?=[\"'`])")
        else:
            self._short = None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def text(self, text: str) -> str:
        """``text`` with every secret value replaced by ``****``."""
        if not text or not self._values:
            return text
        if self._free is not None:
            text = self._free.sub(MASK, text)
        if self._short is not None:
            text = self._short.sub(MASK, text)
        return text

    def output(self, rendered: str) -> str:
        """A rendered report (any format), with secret values also looked for in the forms the
        formats escape them to (JSON, GitHub workflow commands, HTML, XML)."""
        if not self._values:
            return rendered
        text = self.text(rendered)
        escaped = set()
        for value in self._values:
            if len(value) < MIN_FREE:
                continue
            for form in _escaped_forms(value):
                if form != value:
                    escaped.add(form)
        for form in sorted(escaped, key=len, reverse=True):
            if form in text:
                text = text.replace(form, MASK)
        return text

    def finding(self, f: Finding) -> Finding:
        related = tuple(Location(self.text(r.path), r.span, self.text(r.message))
                        for r in f.related)
        suppression = f.suppression
        if suppression is not None:
            suppression = replace(suppression, justification=self.text(suppression.justification))
        fix = f.fix
        if fix is not None:  # what a fix would write leaves like any other text
            fix = replace(fix, description=self.text(fix.description), edits=tuple(
                replace(e, replacement=self.text(e.replacement)) for e in fix.edits))
        return replace(f, message=self.text(f.message), anchor=self.text(f.anchor),
                       path=self.text(f.path), related=related, suppression=suppression,
                       excerpt=None if f.excerpt is None else self.text(f.excerpt), fix=fix)

    def findings(self, findings: Iterable[Finding]):
        """``findings`` redacted: a list, or for a sequence read a file at a time
        (``lunalint.store``) the same sequence read through redaction (never a copy)."""
        from lunalint.store import Findings

        if isinstance(findings, Findings):
            if not self._values:
                return findings
            finding = self.finding
            return findings.view(lambda group: [finding(f) for f in group])
        if not self._values:
            return list(findings)
        return [self.finding(f) for f in findings]


def _bounded(value: str) -> str:
    """A pattern for ``value`` that does not match inside a longer word or number."""
    head = r"(?<![\w])" if re.match(r"\w", value[0]) else ""
    tail = r"(?![\w])" if re.match(r"\w", value[-1]) else ""
    return head + re.escape(value) + tail


def _escaped_forms(value: str) -> set[str]:
    import html
    import json

    forms = {json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
             html.escape(value, quote=True), html.escape(value, quote=False),
             # XML attributes as ElementTree writes them (JUnit): `"` escaped, `'` not
             html.escape(value, quote=False).replace('"', "&quot;").replace("\n", "&#10;")}
    forms.add(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
              .replace(":", "%3A").replace(",", "%2C"))
    return forms
