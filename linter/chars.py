"""What counts as a number, and which characters are invisible.

Readers, the model, rules and the link stage read numbers only through :func:`ascii_int` and its
kin (re-exported by :mod:`lunalint.model.base`). This module imports nothing of lunalint, so
:mod:`lunalint.versions` can use it too.
"""

from __future__ import annotations

import re
import unicodedata

# -- numbers ------------------------------------------------------------------------------------
#
# A number in a configuration or a capture is a run of ASCII digits, and a short one: Python's
# ``int()`` and ``str.isdigit()`` also take other scripts' digits (``١``, ``１``) and
# superscripts (``²``, which ``int()`` then refuses), and ``int()`` refuses more than 4,300
# digits. Every reader, model property and rule reads numbers through these helpers, so text
# that is not such a number stays text (or becomes a finding), never a traceback.

MAX_DIGITS = 20  # enough for any 64-bit value, serials included
_ASCII_INT = re.compile(r"([+-]?)([0-9]+)")
_ASCII_HEX = re.compile(r"0[xX]([0-9A-Fa-f]+)")


def ascii_int(text: str, *, signed: bool = False, limit: int = MAX_DIGITS) -> int | None:
    """The integer ``text`` spells in ASCII digits (an optional sign when ``signed``; blanks
    around it are ignored), or None: for other characters, other scripts' digits, or more than
    ``limit`` digits."""
    if text.isdigit() and text.isascii():  # plain ASCII digits (the common case): no regex
        return int(text) if len(text) <= limit else None
    text = text.strip(" \t\r")
    m = _ASCII_INT.fullmatch(text)
    if m is None or (m.group(1) and not signed) or len(m.group(2)) > limit:
        return None
    return int(text)


def ascii_hex(text: str, *, limit: int = MAX_DIGITS) -> int | None:
    """The integer of a ``0x…`` hexadecimal text of at most ``limit`` hex digits, or None."""
    m = _ASCII_HEX.fullmatch(text.strip(" \t\r"))
    if m is None or len(m.group(1)) > limit:
        return None
    return int(m.group(1), 16)


def is_ascii_digits(text: str, limit: int | None = MAX_DIGITS) -> bool:
    """True when ``text`` is one or more ASCII digits (at most ``limit``; None: any length)."""
    return bool(text) and text.isascii() and text.isdigit() and (
        limit is None or len(text) <= limit)


def number_trouble(text: str, limit: int = MAX_DIGITS) -> str | None:
    """Why ``text``, which looks like a number, is not one lunalint reads (a sentence part such
    as ``"`²` (U+00B2 SUPERSCRIPT TWO) is not an ASCII digit"``), or None when it is fine or
    does not look like a number at all."""
    text = text.strip(" \t\r")
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            return f"{show_char(ch)} is not an ASCII digit"
    digits = len(text.lstrip("+-"))
    if digits > limit and text.lstrip("+-").isdigit():
        return f"it has {digits} digits, more than the {limit} lunalint reads"
    return None


# -- invisible characters -------------------------------------------------------------------------
#
# Format characters (Unicode category Cf: zero-width spaces and joiners, bidi embeddings,
# overrides and isolates, a byte-order mark inside a line, soft hyphens) and control characters
# other than TAB are invisible in an editor: a key holding one looks right and is not.

def invisible_chars(text: str) -> list[tuple[int, str]]:
    """``(offset, character)`` of every invisible character of ``text``, 0-based."""
    if text.isascii() and text.isprintable():
        return []
    return [(i, ch) for i, ch in enumerate(text)
            if ch != "\t" and unicodedata.category(ch) in ("Cf", "Cc")]


def show_char(ch: str) -> str:
    """A character as a reader can see it: ``U+200B ZERO WIDTH SPACE``."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def show_invisible(text: str) -> str:
    """``text`` with each invisible character written as ``<U+XXXX>``."""
    if not invisible_chars(text):
        return text
    return "".join(f"<U+{ord(ch):04X}>" if ch != "\t" and unicodedata.category(ch) in ("Cf", "Cc")
                   else ch for ch in text)
