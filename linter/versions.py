"""Comparable versions for HSM Client releases (``10.4.0-417``) and firmware (``7.7.1``).

Only the dotted release numbers take part in comparisons: the build suffix (``-417``) is kept
for display but ignored, so ``10.4.0-417 == 10.4.0``. Missing trailing parts count as zero
(``7.7 == 7.7.0``). A version also compares with a string, which is parsed first:
``version >= "10.7.0"``.

Release numbers are ASCII digits, at most ``MAX_DIGITS`` each and ``MAX_PARTS`` of them; a text
whose version is written with other digits (``7.٧.1``, ``7.²``) or is longer is no version
(None), never a traceback or a misread prefix.
"""

from __future__ import annotations

import re
from lunalint.patterns import lazy
from lunalint.record import opt, record
from functools import total_ordering

from lunalint.chars import MAX_DIGITS

_VERSION = re.compile(
    r"[vV]?(?P<release>[0-9]+(?:\.[0-9]+)*)(?:[-+_.](?P<build>[0-9A-Za-z][\w.]*))?")
_FIND = lazy(r"(?<![\w.])[vV]?[0-9]+(?:\.[0-9]+)+(?:-[0-9A-Za-z]+)?")
MAX_PARTS = 8


@total_ordering
@record(eq=False)
class Version:
    """A parsed version: ``release`` numbers, optional ``build`` text, and the original text."""

    release: tuple[int, ...]
    build: str | None = None
    text: str = opt("")
    _key: tuple | None = opt(None, init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """The version at the start of ``text`` (after an optional ``v``), or None."""
        text = text.strip()
        m = _VERSION.match(text)
        if m is None:
            return None
        parts = m.group("release").split(".")
        if len(parts) > MAX_PARTS or any(len(p) > MAX_DIGITS for p in parts):
            return None
        after = text[m.end():m.end() + 2]  # what follows: `7.٧` or `7²` is not version 7
        if any(ch.isdigit() and ch > "9" for ch in after):
            return None
        return cls(tuple(int(p) for p in parts), m.group("build"), m.group(0))

    @classmethod
    def find(cls, text: str) -> tuple[Version, int, int] | None:
        """The first version-looking run (``N.N`` or longer) in ``text`` with its offsets."""
        m = _FIND.search(text)
        if m is None:
            return None
        found = cls.parse(m.group(0))
        return (found, m.start(), m.end()) if found is not None else None

    @property
    def key(self) -> tuple[int, ...]:
        """The release padded to at least three numbers, without trailing zeros beyond."""
        key = self._key
        if key is None:  # (computed once: versions are compared many times)
            parts = list(self.release) + [0] * max(0, 3 - len(self.release))
            while len(parts) > 3 and parts[-1] == 0:
                parts.pop()
            key = self._key = tuple(parts)
        return key

    @property
    def major(self) -> int:
        return self.key[0]

    @property
    def minor(self) -> int:
        return self.key[1]

    @property
    def patch(self) -> int:
        return self.key[2]

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.release)

    def _coerce(self, other: object) -> Version | None:
        if isinstance(other, Version):
            return other
        if isinstance(other, str):
            return Version.parse(other)
        return None

    def __eq__(self, other: object) -> bool:
        o = self._coerce(other)
        return NotImplemented if o is None else self.key == o.key

    def __lt__(self, other: object) -> bool:
        o = self._coerce(other)
        if o is None:
            return NotImplemented
        return self.key < o.key

    def __hash__(self) -> int:
        return hash(self.key)


def parse_version(text: str | None) -> Version | None:
    """``Version.parse`` that also accepts None."""
    return Version.parse(text) if text else None
