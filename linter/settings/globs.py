"""Configuration globs: checked when read, matched by a small automaton in time linear in
the path, whatever the glob (see the package docstring for the syntax)."""

from __future__ import annotations

from functools import lru_cache
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.settings.errors import _short

MAX_GLOB = 1024           # characters in one glob


class GlobError(ValueError):
    """A glob that cannot be compiled; the message says what is wrong with it."""


# Tokens of a compiled glob: each one consumes one character, except the epsilon-only OPT
# (``**/`` is OPT + ANY + "/": nothing, or anything that ends with ``/``).
_LIT, _ONE, _CLASS, _STAR, _ANY, _OPT = range(6)


class _Glob:
    """A glob run as a lazily built DFA over its tokens: matching costs one dict lookup per
    character of the path, whatever the glob (``**a**a**a`` is as cheap as ``*.conf``).

    Each DFA state is the set of token positions the glob can be at after the characters
    read so far (a Thompson NFA simulated by subsets); a new state costs O(glob length) once
    and is remembered, so a match is O(path length x glob length) at worst, linear in each.
    New states are added under a lock, so threads may share a glob.
    """

    _MAX_STATES = 4096  # remembered DFA states per glob before starting afresh

    def __init__(self, tokens: list[tuple[int, Any]]) -> None:
        self.tokens = tokens
        prefix = []
        for kind, arg in tokens:
            if kind != _LIT:
                break
            prefix.append(arg)
        self._prefix = "".join(prefix)  # a quick reject: `configs/**` and `vendor/**`
        import threading  # (only when a configuration has globs: start-up cost)

        self._lock = threading.Lock()
        self._dfa = _Dfa(self._closure([0]), len(tokens))

    def _closure(self, positions: list[int]) -> frozenset[int]:
        out: set[int] = set()
        tokens, end = self.tokens, len(self.tokens)
        while positions:
            i = positions.pop()
            if i in out:
                continue
            out.add(i)
            if i < end:
                kind, arg = tokens[i]
                if kind in (_STAR, _ANY):  # may match nothing
                    positions.append(i + 1)
                elif kind == _OPT:
                    positions.extend((i + 1, arg))
        return frozenset(out)

    def _step(self, dfa: _Dfa, state: int, char: str) -> int:
        reached: list[int] = []
        tokens, end = self.tokens, len(self.tokens)
        for i in dfa.sets[state]:
            if i >= end:
                continue
            kind, arg = tokens[i]
            if kind == _LIT:
                if char == arg:
                    reached.append(i + 1)
            elif kind == _ANY:
                reached.append(i)
            elif char == "/":  # ?, *, and [...] stay inside one path segment
                continue
            elif kind == _STAR:
                reached.append(i)
            elif kind == _ONE or (kind == _CLASS and arg(char)):
                reached.append(i + 1)
        positions = self._closure(reached)
        with self._lock:
            target = dfa.state(positions)
            dfa.moves[state][char] = target
        return target

    def match(self, text: str) -> bool:
        if not text.startswith(self._prefix):
            return False
        dfa = self._dfa
        if len(dfa.sets) > self._MAX_STATES:
            dfa = self._dfa = _Dfa(dfa.sets[dfa.start], len(self.tokens))
        state, moves = dfa.start, dfa.moves
        for char in text:
            following = moves[state].get(char)
            state = self._step(dfa, state, char) if following is None else following
            if state == _Dfa.DEAD:
                return False
        return dfa.accepts[state]


class _Dfa:
    """The states found so far: position sets, their ids, moves and whether each accepts."""

    DEAD = 0  # the empty set: no way to match any more

    def __init__(self, start: frozenset[int], end: int) -> None:
        self.end = end
        self.ids: dict[frozenset[int], int] = {}
        self.sets: list[frozenset[int]] = []
        self.moves: list[dict[str, int]] = []
        self.accepts: list[bool] = []
        self.state(frozenset())
        self.start = self.state(start)

    def state(self, positions: frozenset[int]) -> int:
        found = self.ids.get(positions)
        if found is None:
            found = self.ids[positions] = len(self.sets)
            self.sets.append(positions)
            self.moves.append({})
            self.accepts.append(self.end in positions)
        return found


def _char_class(glob: str, i: int) -> tuple[Any, int] | None:
    """The ``[...]`` starting at ``glob[i]`` as (predicate, index after it); None when it is
    not closed (then ``[`` is an ordinary character, as in fnmatch)."""
    j = i + 1
    negate = j < len(glob) and glob[j] in "!^"
    if negate:
        j += 1
    first = j
    members: set[str] = set()
    ranges: list[tuple[str, str]] = []
    while j < len(glob) and (glob[j] != "]" or j == first):
        c = glob[j]
        if j + 2 < len(glob) and glob[j + 1] == "-" and glob[j + 2] != "]":
            low, high = c, glob[j + 2]
            if low > high:
                raise GlobError(f"bad character range {low}-{high} in {_short(glob)} (write the "
                                f"lower character first: {high}-{low})")
            ranges.append((low, high))
            j += 3
        else:
            members.add(c)
            j += 1
    if j >= len(glob):
        return None
    frozen = frozenset(members)

    def test(char: str) -> bool:
        hit = char in frozen or any(low <= char <= high for low, high in ranges)
        return hit != negate

    return test, j + 1


def compile_glob(glob: str) -> _Glob:
    """``glob`` (already stripped of ``./`` and a trailing ``/``) as a matcher; raises
    :class:`GlobError` for a mistake (a reversed range like ``[z-a]``, an overlong glob)."""
    return _compiled(glob)


@lru_cache(maxsize=512)
def _compiled(glob: str) -> _Glob:
    if len(glob) > MAX_GLOB:
        raise GlobError(f"a glob of {len(glob)} characters is longer than the limit of "
                        f"{MAX_GLOB}")
    tokens: list[tuple[int, Any]] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            at = len(tokens)
            tokens += [(_OPT, at + 3), (_ANY, None), (_LIT, "/")]
            i += 3
            continue
        if glob.startswith("**", i):
            while glob.startswith("*", i):  # *** and more: the same as **
                i += 1
            if not tokens or tokens[-1][0] != _ANY:
                tokens.append((_ANY, None))
            continue
        c = glob[i]
        if c == "*":
            if not tokens or tokens[-1][0] != _STAR:  # ** was handled above; a*b stays
                tokens.append((_STAR, None))
        elif c == "?":
            tokens.append((_ONE, None))
        elif c == "[" and (found := _char_class(glob, i)) is not None:
            test, i = found
            tokens.append((_CLASS, test))
            continue
        else:
            tokens.append((_LIT, c))
        i += 1
    return _Glob(tokens)


def glob_error(glob: str) -> str | None:
    """What is wrong with ``glob`` as a configuration glob, or None if it is fine."""
    core = glob.strip().removeprefix("./").rstrip("/")
    if not core:
        return f"the glob {_short(glob)} names nothing"
    try:
        compile_glob(core)
    except GlobError as error:
        return str(error)
    return None


def glob_match(glob: str, rel: str) -> bool:
    """Whether ``rel`` (a ``/`` path) matches ``glob``; see the module docstring."""
    scope, matcher = _prepared(glob)
    if scope == "path":
        return matcher.match(rel)
    parts = rel.split("/")
    if scope == "name":
        return matcher.match(parts[-1])
    return any(matcher.match(p) for p in parts[:-1])  # a folder of that name


@lru_cache(maxsize=512)
def _prepared(glob: str) -> tuple[str, _Glob]:
    """What ``glob`` is matched against (the whole path, the file name or each folder name)
    and its matcher."""
    glob = glob.strip().removeprefix("./")
    if glob.endswith("/"):
        core = glob.rstrip("/")
        if "/" not in core:  # `old/`: a folder of that name at any depth
            return "folder", compile_glob(core)
        glob = core + "/**"
    if "/" not in glob:  # `*.conf`: the file name, in any folder
        return "name", compile_glob(glob)
    return "path", compile_glob(glob)


