"""Findings: what rules report, after the engine has put rule metadata and a path on them.

Reporters see only these objects (and the rule metadata for SARIF's rule table).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from lunalint.model.base import Span


class Level(enum.IntEnum):
    """SARIF levels, ordered by severity."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r}; expected error, warning or note") from None


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    span: Span
    message: str = ""


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is hidden: ``kind`` is SARIF's ``inSource`` or ``external``."""

    kind: str
    justification: str
    origin: str = ""  # "path:line" of the directive or waiver


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    level: Level
    message: str
    path: str
    span: Span
    anchor: str = ""
    related: tuple[Location, ...] = ()
    intentional: bool = False
    suppression: Suppression | None = None
    help_uri: str = ""
    excerpt: str | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple:
        s = self.span
        return (self.path, s.line, s.column, self.rule, s.end_line, s.end_column, self.message)
