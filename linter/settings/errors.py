"""How a mistake in the configuration is told: one line, ``file:line: what``."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any


class ConfigError(Exception):
    """A mistake in the configuration file; the message is one line: ``file:line: what``."""


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: messages stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "...'" \
        if isinstance(value, str) else text[:limit - 3] + "..."


def _one_line(value: Any, limit: int = 200) -> str:
    """``str(value)`` on one line (newlines and other controls shown escaped), cut short."""
    text = str(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", int: "a number",
            float: "a number", bool: "true/false", type(None): "nothing"}.get(
        type(value), type(value).__name__)


def _closest(word: str, candidates) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None
