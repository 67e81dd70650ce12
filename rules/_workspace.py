"""Helpers shared by the cross-file rule families (VER, POL): walking groups and members,
picking the odd member out, keeping one finding per place, and capping related locations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any, TypeVar

from lunalint.findings import thin_related
from lunalint.rules.base import Problem

if TYPE_CHECKING:
    T = TypeVar("T")


def odd_ones(items: list[tuple[T, Hashable]], newest: Callable[[Hashable], Any] | None = None
             ) -> tuple[Hashable, list[tuple[T, Hashable]]]:
    """The reference value and the items that differ from it.

    The reference is the value most items share; on a tie, the greatest by ``newest`` when
    given (prefer the newer firmware). Without ``newest`` a tie has no odd one out, so every
    item is returned (the reference is then None): blaming one side would be a guess.
    """
    counts = Counter(value for _, value in items)
    top = max(counts.values())
    tied = [value for value, n in counts.items() if n == top]
    if len(tied) == 1:
        reference = tied[0]
    elif newest is not None:
        reference = max(tied, key=newest)
    else:
        return None, list(items)
    return reference, [(item, value) for item, value in items if value != reference]


def unique(problems: Iterable[Problem]) -> Iterator[Problem]:
    """Drop a problem when the rule already reported at the same place.

    A member listed in two groups, or an HSM shared by several members, would otherwise be
    reported once per group."""
    seen: set[tuple] = set()
    for p in problems:
        key = (p.path, p.span)
        if key not in seen:
            seen.add(key)
            yield p



# A rule builds at most this many related locations for one finding (its cost stays linear);
# the pipeline then shows at most 20, those in the files the user named first.
MAX_RELATED = 1000


def capped(message: str, related: list | tuple) -> tuple[str, tuple]:
    """``message`` and ``related`` with at most :data:`MAX_RELATED` related locations; when
    some are left out, the message says how many (a capture that repeats a session thousands
    of times must not give each finding thousands of locations)."""
    if len(related) > MAX_RELATED:
        more = len(related) - MAX_RELATED
        message = (f"{message} (related locations: the first {MAX_RELATED} are listed, and "
                   f"{more} more)")
        related = related[:MAX_RELATED]
    # Only what the report can show is kept (each file's first few, and the count): the
    # engine then validates and copies what is kept, not every location (issue 21).
    return message, thin_related(tuple(related))
