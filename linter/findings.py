"""Findings: what rules report, after the engine has put rule metadata and a path on them.

Reporters see only these objects (and the rule metadata for SARIF's rule table).
"""

from __future__ import annotations

import enum
import os
from lunalint.record import opt, record

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


# A finding shows at most this many related locations (a capture that repeats a session
# thousands of times must not give each finding thousands), those in the files the user named
# first; the message says how many more (``lunalint.pipeline.cap_related``).
RELATED_SHOWN = 20


def relative_to(full: str, base: str) -> str:
    """``full`` (absolute, normalised) relative to the folder ``base`` as ``os.path.relpath``
    gives it, cut off directly when under ``base`` (no splitting and joining: a report names
    thousands of paths); the path itself where relpath cannot (another drive on Windows)."""
    under = os.path.join(base, "")
    if full.startswith(under) and len(full) > len(under):
        return full[len(under):]
    try:
        return os.path.relpath(full, base)
    except ValueError:
        return full


class Related(tuple):
    """Related locations already thinned before validation (issue 21): of ``total`` in the
    rule's order, only the first :data:`RELATED_SHOWN` of each file are kept, in order. Any
    choice of "named files first" the pipeline makes later picks from those, so the output is
    the same as with all of them, while validating, copying and sending them costs what is
    kept."""

    total: int

    def __new__(cls, items, total: int):
        self = super().__new__(cls, items)
        self.total = total
        return self

    def __reduce__(self):
        return (Related, (tuple(self), self.total))


def thin_related(related, path_of=lambda r: r[0]):
    """``related`` (a sequence) as a :class:`Related` when it holds more than can be shown,
    else unchanged. ``path_of`` gives an item's file."""
    if len(related) <= RELATED_SHOWN or isinstance(related, Related):
        return related
    seen: dict = {}
    kept = []
    for r in related:
        key = path_of(r)
        n = seen.get(key, 0)
        if n < RELATED_SHOWN:
            seen[key] = n + 1
            kept.append(r)
    return Related(kept, len(related))


@record
class Location:
    path: str
    span: Span
    message: str = ""


@record
class Suppression:
    """Why a finding is hidden: ``kind`` is SARIF's ``inSource`` or ``external``."""

    kind: str
    justification: str
    origin: str = ""  # "path:line" of the directive or waiver


FIX_CLASSES = ("safe", "unsafe", "none")


@record
class Edit:
    """Replace the text of ``span`` (1-based line and column in characters of the decoded
    file, end exclusive, as every span) with ``replacement``. An empty span is an insertion
    point; ``replacement`` holds the file's own line ending where it adds lines."""

    span: Span
    replacement: str


@record
class Fix:
    """How to fix a finding: text edits on its own file. ``applicability`` is ``safe`` (no
    change in meaning) or ``unsafe`` (may change how the Luna client behaves)."""

    applicability: str
    edits: tuple[Edit, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if self.applicability not in ("safe", "unsafe"):
            raise ValueError(f"fix applicability must be safe or unsafe, not "
                             f"{self.applicability!r}")


@record
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
    excerpt: str | None = opt(None, compare=False)
    fix: Fix | None = opt(None, compare=False)
    # A fix a linking rule's ``fixer`` proposed in the per-file stage, waiting to be joined to
    # that rule's finding with the same path and anchor after the link stage; the engine
    # never lets one out (see ``engine.join_proposals``).
    proposed: bool = opt(False, compare=False)

    @property
    def sort_key(self) -> tuple:
        s = self.span
        return (self.path, s.line, s.column, self.rule, s.end_line, s.end_column, self.message)
