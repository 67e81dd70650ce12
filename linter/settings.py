"""The configuration file: ``.lunalint.yaml`` or ``[tool.lunalint]`` in ``pyproject.toml``.

Found by walking up from the current directory to the repository root (the first directory
holding ``.git``; outside a repository only the current directory is looked at). In each
directory ``.lunalint.yaml`` wins over ``pyproject.toml``; ``--config FILE`` skips the search.

Keys (all optional)::

    select: [HA, SYN001]          # rules or prefixes to run (default: all)
    ignore: [SYN006]              # rules or prefixes to skip
    level: {HA112: warning}       # per-rule level override: error, warning or note
    fail-on: warning              # error, warning, note or never
    include: ["configs/**"]       # only files matching one of these globs are linted
    exclude: ["vendor/**"]        # files matching any of these are not linted
                                  # (both apply to files found in directories; a file
                                  # named on the command line is always linted)
    kinds:                        # force a file kind by glob (content sniffing decides otherwise)
      configs: ["deploy/*.tmpl"]
      exports: ["captures/*.log"]
    facts:                        # facts about files the content cannot tell
      - path: "configs/prod/*"
        client-version: "10.7.0"
    waivers:                      # accepted findings, for any file (exports have no comments)
      - rule: HA101
        path: "configs/lab/*.conf"
        anchor: HAConfiguration/HAOnly   # optional: only findings with this anchor
        reason: "lab HSMs have no STC; HAOnly off is fine here"
        expires: 2027-06-30              # optional: after this date the waiver stops working

Rules read file facts through their context: the CLI puts these settings in
``ctx.facts["file_facts"]`` (only when ``facts`` is configured), and
``ctx.facts["file_facts"].facts_for(doc.path)`` gives e.g. ``{"client-version": "10.7.0"}``.

Globs are relative to the directory holding the configuration file and use ``/``; ``*``,
``?`` and ``[...]`` (``[!...]`` negated) stay inside one path segment, ``**`` crosses
segments; a glob without ``/`` matches the file name in any directory, and one ending in
``/`` a folder (``old/`` a folder called ``old`` at any depth). Globs are checked when the file
is read (``[z-a]`` is a mistake) and matched by a small automaton in time linear in the path,
whatever the glob (no backtracking: ``**a**a**a...`` costs what ``*.conf`` costs).

Versions (``client-version``, firmware rows) must be strings: YAML and TOML read an
unquoted ``10.10`` as the number 10.1, so a number is refused with a hint to quote it.

The file is untrusted input, so reading it is bounded: at most 4 MiB, lists and mappings
(YAML) or arrays and inline tables (TOML) nested at most 50 deep, and YAML aliases may add
at most 10,000 values in all (an alias bomb of 230 bytes would otherwise expand to a
billion). Any mistake (bad YAML or TOML, a limit, an unknown key, a wrong type, an unknown
rule, a bad glob) is a :class:`ConfigError` whose message is one line naming the file and line.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import threading
from functools import lru_cache
from typing import Any

from lunalint.record import opt, record
from lunalint.findings import Level

FILE_NAME = ".lunalint.yaml"
PYPROJECT = "pyproject.toml"
MAX_BYTES = 4 << 20       # a configuration file larger than this is refused unread
MAX_DEPTH = 50            # nesting of lists and mappings (the schema needs 4)
MAX_ALIASED = 10_000      # values YAML aliases may add in all (an alias bomb adds billions)
MAX_GLOB = 1024           # characters in one glob
_VERSION = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}\Z")  # ASCII digits, bounded
FACT_KEYS = {"client-version": _VERSION}
_TOP_KEYS = ("select", "ignore", "level", "fail-on", "include", "exclude", "kinds", "facts",
             "waivers", "embedded")
_WAIVER_KEYS = ("rule", "path", "anchor", "reason", "expires")


class ConfigError(Exception):
    """A mistake in the configuration file; the message is one line: ``file:line: what``."""


@record
class Waiver:
    rule: str
    path: str
    reason: str
    anchor: str = ""
    expires: _dt.date | None = None
    source: str = ""  # the configuration file
    line: int = 0     # where the waiver starts in it

    @property
    def origin(self) -> str:
        return f"{self.source}:{self.line}"

    def expired(self, today: _dt.date) -> bool:
        return self.expires is not None and today > self.expires


@record
class FactRule:
    path: str
    facts: dict[str, str]
    line: int = 0


@record
class Settings:
    """What the configuration file says; the empty default means "nothing configured"."""

    source: str | None = None  # absolute path of the file read, if any
    root: str = "."           # directory globs are relative to
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    levels: dict[str, Level] = opt(factory=dict)
    fail_on: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    config_globs: tuple[str, ...] = ()
    export_globs: tuple[str, ...] = ()
    facts: tuple[FactRule, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    firmware: tuple[dict[str, str], ...] = ()  # rows extending data/firmware.yaml
    # Look inside scripts, Dockerfiles, Markdown and YAML met while walking (issue 13).
    embedded: bool = True

    def relative(self, path: str) -> str:
        """``path`` relative to the configuration's directory, with ``/``."""
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return rel.replace(os.sep, "/")

    def accepts(self, path: str) -> bool:
        """Whether ``path`` is linted under ``include`` and ``exclude``."""
        rel = self.relative(path)
        if self.include and not any(glob_match(g, rel) for g in self.include):
            return False
        return not any(glob_match(g, rel) for g in self.exclude)

    def kind_of(self, path: str) -> str | None:
        """``"config"`` or ``"export"`` when a ``kinds`` glob names ``path``, else None."""
        rel = self.relative(path)
        if any(glob_match(g, rel) for g in self.config_globs):
            return "config"
        if any(glob_match(g, rel) for g in self.export_globs):
            return "export"
        return None

    def facts_for(self, path: str) -> dict[str, str]:
        """The facts of every ``facts`` entry whose glob matches ``path`` (later ones win)."""
        rel = self.relative(path)
        out: dict[str, str] = {}
        for rule in self.facts:
            if glob_match(rule.path, rel):
                out.update(rule.facts)
        return out


# --------------------------------------------------------------------------- globs

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


# --------------------------------------------------------------------------- finding the file

def find_config(start: str | None = None) -> str | None:
    """The configuration file that applies to ``start`` (default: the current directory)."""
    here = os.path.abspath(start or os.getcwd())
    probe = here
    chain = []
    while True:
        chain.append(probe)
        if os.path.exists(os.path.join(probe, ".git")):
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            chain = [here]  # not in a repository: only the current directory counts
            break
        probe = parent
    for directory in chain:
        candidate = os.path.join(directory, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        pyproject = os.path.join(directory, PYPROJECT)
        if os.path.isfile(pyproject) and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(re.match(r"^\s*\[\s*tool\s*\.\s*lunalint\s*[\].]", line) for line in handle)
    except OSError:
        return False


def load(path: str | None, known_rules: list[str], *, explicit: bool = False,
         display: str | None = None) -> Settings:
    """Read and check the configuration at ``path``; None gives the empty settings.

    ``known_rules`` are the registered rule IDs, to reject unknown ones. ``display`` is how
    the file is named in messages (default: as given).
    """
    if path is None:
        return Settings()
    shown = display or path
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"{shown}: the configuration file is larger than "
                              f"{MAX_BYTES >> 20} MiB; lunalint does not read it")
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{shown}: configuration file not found") from None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{shown}:{line}: cannot read the configuration file: not UTF-8 "
                          f"(byte {error.object[error.start]:#04x})") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"{shown}: cannot read the configuration file: {reason}") from None
    if os.path.basename(path) == PYPROJECT or path.endswith(".toml"):
        data, lines = _load_toml(text, shown)
    else:
        data, lines = _load_yaml(text, shown)
    root = os.path.dirname(os.path.abspath(path))
    return _Checker(shown, lines, known_rules).settings(data, os.path.abspath(path), root)


# --------------------------------------------------------------------------- YAML with lines

class _Lines:
    """Where each value came from: ``key path -> line``; paths are tuples of keys/indexes."""

    def __init__(self, default: int = 1) -> None:
        self.where: dict[tuple, int] = {}
        self.raw: dict[tuple, str] = {}  # a scalar's text as written, where known
        self.default = default

    def __call__(self, *path: Any) -> int:
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), self.default)


def _load_yaml(text: str, shown: str) -> tuple[Any, _Lines]:
    import yaml

    lines = _Lines()
    loader = _bounded_loader()(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line = mark.line + 1 if mark is not None else 1
            what = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise ConfigError(f"{shown}:{line}: invalid YAML: {what}") from None
        if node is None:
            return {}, lines
        _record(node, (), lines, shown)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as error:  # a value that composes but does not construct
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise ConfigError(f"{shown}:{line}: invalid YAML: "
                              f"{getattr(error, 'problem', None) or error}") from None
        except (ValueError, TypeError, OverflowError) as error:  # e.g. the date 2027-13-01
            raise ConfigError(f"{shown}:{_bad_scalar_line(node)}: invalid YAML value: "
                              f"{_one_line(error)}") from None
    finally:
        loader.dispose()
    return data, lines


@lru_cache(maxsize=1)
def _bounded_loader() -> type:
    """PyYAML's safe loader with a budget: nesting deeper than ``MAX_DEPTH`` and aliases that
    add more than ``MAX_ALIASED`` values in all are refused while composing, before anything
    is expanded (a 230-byte alias bomb would otherwise expand to a billion values), and so is
    an alias to a node that contains it (a cycle)."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.depth = 0
            self.aliased = 0
            self.sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                node = super().compose_node(parent, index)
                size = self.sizes.get(id(node))
                if size is None:
                    raise yaml.composer.ComposerError(
                        None, None, f"alias *{event.anchor} refers to a node that contains it",
                        event.start_mark)
                self.aliased += size
                if self.aliased > MAX_ALIASED:
                    raise yaml.composer.ComposerError(
                        None, None, f"aliases expand to more than {MAX_ALIASED} values (an "
                        "alias bomb?); write the values out", event.start_mark)
                return node
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"lists and mappings nest deeper than {MAX_DEPTH} levels",
                    event.start_mark)
            node = super().compose_node(parent, index)
            self.depth -= 1
            size = 1
            if isinstance(node, yaml.SequenceNode):
                size += sum(self.sizes[id(item)] for item in node.value)
            elif isinstance(node, yaml.MappingNode):
                size += sum(self.sizes[id(k)] + self.sizes[id(v)] for k, v in node.value)
            self.sizes[id(node)] = size
            return node

    return BoundedLoader


def _bad_scalar_line(root: Any) -> int:
    """The line of the first scalar that PyYAML cannot turn into a value."""
    import yaml

    from collections import deque

    stack = deque([root])
    seen: set[int] = set()
    while stack:
        node = stack.popleft()
        if id(node) in seen:  # a node reached again through an alias
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
            except Exception:  # noqa: BLE001 - any failure marks the culprit
                return node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return root.start_mark.line + 1


def _record(node: Any, path: tuple, lines: _Lines, shown: str) -> None:
    """Note the line of every key and item; a key given twice in one mapping is an error
    (YAML would silently keep the last one)."""
    import yaml

    lines.where[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        lines.raw[path] = node.value
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark)
            if name in seen:
                raise ConfigError(f"{shown}:{key.start_mark.line + 1}: key {_short(name)} is given "
                                  "twice; keep one")
            seen.add(name)
            _record(value, path + (name,), lines, shown)
            lines.where[path + (name,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, path + (index,), lines, shown)


# --------------------------------------------------------------------------- TOML

def _load_toml(text: str, shown: str) -> tuple[Any, _Lines]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    deep = _toml_too_deep(text)
    if deep is not None:
        raise ConfigError(f"{shown}:{deep}: invalid TOML: arrays and inline tables nest "
                          f"deeper than {MAX_DEPTH} levels")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        m = re.search(r"line (\d+)", str(error))
        line = int(m.group(1)) if m else 1
        raise ConfigError(f"{shown}:{line}: invalid TOML: "
                          f"{_one_line(str(error).split(' (at')[0])}") from None
    except RecursionError:  # tomllib recurses per level; the scan above should catch it first
        raise ConfigError(f"{shown}:1: invalid TOML: nested too deeply") from None
    lines = _toml_lines(text)
    tool = data.get("tool", {}).get("lunalint")
    if tool is None:
        return {}, lines
    return tool, lines


# strings and comments (whose brackets do not count), brackets, and newlines (to count lines)
_TOML_TOKEN = re.compile(
    r'"{3}(?:[^"\\]|\\.|"(?!""))*"{3}'  # multi-line basic string
    r"|'{3}.*?'{3}"                     # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'              # basic string
    r"|'[^'\n]*'"                      # literal string
    r"|#[^\n]*"                        # comment
    r"|[\[\]{}\n]", re.S)


def _toml_too_deep(text: str) -> int | None:
    """The line where arrays and inline tables first nest deeper than ``MAX_DEPTH``, if they
    do (tomllib recurses once per level and would raise RecursionError)."""
    depth = 0
    line = 1
    for m in _TOML_TOKEN.finditer(text):
        token = m.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif token in "]}":
            depth = max(0, depth - 1)
        else:  # a string or comment: only its newlines matter
            line += token.count("\n")
    return None


def _toml_lines(text: str) -> _Lines:
    """Best-effort line numbers for ``[tool.lunalint]`` keys (tomllib keeps no positions)."""
    lines = _Lines()
    table: tuple = ()
    waiver_count = fact_count = -1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        m = re.match(r"^\[\[\s*tool\.lunalint\.(waivers|facts)\s*\]\]", line)
        if m:
            if m.group(1) == "waivers":
                waiver_count += 1
                table = ("waivers", waiver_count)
            else:
                fact_count += 1
                table = ("facts", fact_count)
            lines.where.setdefault(table[:1], number)
            lines.where[table] = number
            continue
        m = re.match(r"^\[\s*tool\.lunalint(?:\.([\w.-]+))?\s*\]", line)
        if m:
            table = tuple(m.group(1).split(".")) if m.group(1) else ()
            lines.where.setdefault(table, number)
            continue
        if line.startswith("["):
            table = ("<other>",)
            continue
        m = re.match(r'^"?([\w.-]+)"?\s*=\s*([0-9][0-9_.+eE-]*(?=\s*(?:#|$)))?', line)
        if m and table[:1] != ("<other>",):
            lines.where[table + (m.group(1),)] = number
            if m.group(2):  # a bare number, as written (tomllib keeps only its value)
                lines.raw[table + (m.group(1),)] = m.group(2)
    return lines


# --------------------------------------------------------------------------- checking

class _Checker:
    def __init__(self, shown: str, lines: _Lines, known_rules: list[str]) -> None:
        self.shown = shown
        self.lines = lines
        self.known = known_rules

    def fail(self, path: tuple, message: str) -> ConfigError:
        return ConfigError(f"{self.shown}:{self.lines(*path)}: {message}")

    def settings(self, data: Any, source: str, root: str) -> Settings:
        if not isinstance(data, dict):
            raise self.fail((), f"the configuration must be a mapping of keys, not "
                                f"{_type_name(data)}")
        for key in data:
            if key not in _TOP_KEYS:
                hint = _closest(str(key), _TOP_KEYS)
                raise self.fail((str(key),), f"unknown key {_short(key)}"
                                + (f"; did you mean {hint!r}?" if hint else "")
                                + f" (known keys: {', '.join(_TOP_KEYS)})")
        kinds = self.mapping(data, "kinds", ("configs", "exports"))
        return Settings(
            source=source, root=root,
            select=self.rule_list(data, "select"),
            ignore=self.rule_list(data, "ignore"),
            levels=self.levels(data),
            fail_on=self.choice(data, "fail-on", ("error", "warning", "note", "never")),
            include=self.globs(data, ("include",)),
            exclude=self.globs(data, ("exclude",)),
            config_globs=self.globs(kinds, ("kinds", "configs"), key="configs"),
            export_globs=self.globs(kinds, ("kinds", "exports"), key="exports"),
            facts=self.facts(data),
            waivers=self.waivers(data, source),
            firmware=self.firmware(data),
            embedded=self.flag(data, "embedded", True),
        )

    # -- helpers
    def globs(self, data: dict, path: tuple, key: str | None = None) -> tuple[str, ...]:
        out = self.strings(data, path, key)
        for index, glob in enumerate(out):
            self.glob(glob, path + (index,), f"`{'.'.join(map(str, path))}`")
        return out

    def glob(self, glob: str, path: tuple, where: str) -> None:
        problem = glob_error(glob)
        if problem:
            raise self.fail(path, f"bad glob in {where}: {problem}")

    def strings(self, data: dict, path: tuple, key: str | None = None) -> tuple[str, ...]:
        key = key or path[-1]
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(path, f"`{'.'.join(map(str, path))}` must be a list of strings, "
                                  f"not {_type_name(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(path + (index,), f"`{'.'.join(map(str, path))}` must hold "
                                                 f"non-empty strings, not {_type_name(item)}")
        return tuple(value)

    def rule_list(self, data: dict, key: str) -> tuple[str, ...]:
        words = self.strings(data, (key,))
        for index, word in enumerate(words):
            if word.upper() != "ALL" and not any(r.startswith(word.upper()) for r in self.known):
                raise self.fail((key, index), f"unknown rule or rule prefix {_short(word)} in "
                                              f"`{key}` (see lunalint --list-rules)")
        return tuple(w.upper() for w in words)

    def known_rule(self, word: Any, path: tuple, what: str) -> str:
        if not isinstance(word, str) or word.upper() not in self.known:
            typo = str(word).upper().translate(str.maketrans("OIL", "011"))  # HA1O1 -> HA101
            hint = typo if typo in self.known else _closest(str(word).upper(), self.known)
            raise self.fail(path, f"unknown rule {_short(word)} in {what}"
                                  + (f"; did you mean {hint}?" if hint else "")
                                  + " (see lunalint --list-rules)")
        return word.upper()

    def mapping(self, data: dict, key: str, allowed: tuple[str, ...] | None) -> dict:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail((key,), f"`{key}` must be a mapping, not {_type_name(value)}")
        if allowed is not None:
            for sub in value:
                if sub not in allowed:
                    raise self.fail((key, str(sub)), f"unknown key {_short(sub)} in `{key}` "
                                                     f"(known keys: {', '.join(allowed)})")
        return value

    def flag(self, data: dict, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail((key,), f"`{key}` must be true or false, not {_short(value)}")
        return value

    def choice(self, data: dict, key: str, choices: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in choices:
            raise self.fail((key,), f"`{key}` must be one of {', '.join(choices)}, "
                                    f"not {_short(value)}")
        return value.lower()

    def levels(self, data: dict) -> dict[str, Level]:
        out = {}
        for rule_id, value in self.mapping(data, "level", None).items():
            rid = self.known_rule(rule_id, ("level", str(rule_id)), "`level`")
            if not isinstance(value, str) or value.lower() not in ("error", "warning", "note"):
                raise self.fail(("level", str(rule_id)), f"level of {rid} must be error, "
                                                         f"warning or note, not {_short(value)}")
            out[rid] = Level.parse(value)
        return out

    def facts(self, data: dict) -> tuple[FactRule, ...]:
        value = data.get("facts")
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(("facts",), "`facts` must be a list of entries with a `path` glob "
                                        f"and facts, not {_type_name(value)}")
        out = []
        for index, item in enumerate(value):
            where = ("facts", index)
            if not isinstance(item, dict):
                raise self.fail(where, f"each `facts` entry must be a mapping, not "
                                       f"{_type_name(item)}")
            if "firmware" in item and "path" not in item:
                continue  # a client/firmware table row: see firmware()
            path = item.get("path")
            if not isinstance(path, str) or not path.strip():
                raise self.fail(where, "a `facts` entry needs a `path` glob (a string)")
            self.glob(path, where + ("path",), "a `facts` entry's `path`")
            facts = {}
            for key, fact in item.items():
                if key == "path":
                    continue
                if key not in FACT_KEYS:
                    raise self.fail(where + (str(key),), f"unknown fact {_short(key)} (known "
                                                         f"facts: {', '.join(FACT_KEYS)})")
                facts[key] = self.version(fact, where + (str(key),), f"fact {key}",
                                          FACT_KEYS[key])
            out.append(FactRule(path, facts, self.lines(*where)))
        return tuple(out)

    def firmware(self, data: dict) -> tuple[dict[str, str], ...]:
        """``facts`` entries that extend or override the client/firmware table::

            - firmware: "7.10.0"      # rows cover firmware >= this ...
              below: "7.11.0"         # ... and below this
              min-client: "10.9.0"
              confidence: doc         # optional: doc, inferred or user (default)
        """
        out = []
        for index, item in enumerate(data.get("facts") or ()):
            if not isinstance(item, dict) or "firmware" not in item or "path" in item:
                continue
            where = ("facts", index)
            allowed = ("firmware", "below", "min-client", "confidence", "source")
            for key in item:
                if key not in allowed:
                    raise self.fail(where + (str(key),), f"unknown key {_short(key)} in a firmware "
                                                         f"fact (known: {', '.join(allowed)})")
            row = {}
            for key in ("firmware", "below", "min-client"):
                if key not in item:
                    raise self.fail(where, f"firmware fact needs `{key}` as a version like "
                                           f"\"7.10.0\"")
                row[key] = self.version(item[key], where + (key,), f"firmware fact `{key}`",
                                        _VERSION)
            confidence = item.get("confidence", "user")
            if confidence not in ("doc", "inferred", "user"):
                raise self.fail(where + ("confidence",), "confidence must be doc, inferred or "
                                                         f"user, not {_short(confidence)}")
            out.append({"from": row["firmware"], "below": row["below"],
                        "min_client": row["min-client"], "confidence": confidence,
                        "source": str(item.get("source", "configuration file"))})
        return tuple(out)

    def waivers(self, data: dict, source: str) -> tuple[Waiver, ...]:
        value = data.get("waivers")
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(("waivers",), f"`waivers` must be a list, not {_type_name(value)}")
        out = []
        for index, item in enumerate(value):
            where = ("waivers", index)
            if not isinstance(item, dict):
                raise self.fail(where, f"each waiver must be a mapping with rule, path and "
                                       f"reason, not {_type_name(item)}")
            for key in item:
                if key not in _WAIVER_KEYS:
                    raise self.fail(where + (str(key),), f"unknown key {_short(key)} in a waiver "
                                                         f"(known keys: {', '.join(_WAIVER_KEYS)})")
            for key in ("rule", "path", "reason"):
                if key not in item:
                    raise self.fail(where, f"a waiver needs `{key}`")
            rule_id = self.known_rule(item["rule"], where + ("rule",), "a waiver")
            for key in ("path", "reason", "anchor"):
                if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                    raise self.fail(where + (key,), f"a waiver's `{key}` must be a non-empty "
                                                    f"string, not {_short(item[key])}")
            self.glob(item["path"], where + ("path",), "a waiver's `path`")
            expires = item.get("expires")
            if expires is not None:
                expires = self.date(expires, where + ("expires",))
            out.append(Waiver(rule_id, item["path"], item["reason"].strip(),
                              item.get("anchor", "").strip(), expires, self.shown,
                              self.lines(*where)))
        return tuple(out)

    def version(self, value: Any, path: tuple, what: str, shape: re.Pattern[str]) -> str:
        """A version given as a string; a number is refused with a hint to quote it, since
        YAML and TOML read ``10.10`` as the number 10.1 and ``10.0`` as 10.0 (so ``10``)."""
        raw = self.lines.raw.get(path)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if raw is not None and raw != repr(value):
                raise self.fail(path, f"{what} must be a version in quotes: {raw} reads as "
                                      f"the number {_short(value)}; write \"{raw}\"")
            if raw is not None:
                raise self.fail(path, f"{what} must be a version in quotes, not a number; "
                                      f"write \"{raw}\"")
            raise self.fail(path, f"{what} must be a version in quotes, like \"10.7.0\", not "
                                  f"the number {_short(value)} (a number loses digits: 10.10 "
                                  "reads as 10.1); quote it")
        if not isinstance(value, str) or not shape.match(value.strip()):
            raise self.fail(path, f"{what} must be a version like \"10.7.0\" (in quotes), "
                                  f"not {_short(value)}")
        return value.strip()

    def date(self, value: Any, path: tuple) -> _dt.date:
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(path, f"`expires` must be a date like 2027-06-30, not {_short(value)}")


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
