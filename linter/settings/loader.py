"""Finding the configuration file and reading it safely: bounded size, nesting and YAML
aliases, a line for every key, duplicate keys refused. What it says is checked in
:mod:`lunalint.settings.schema`."""

from __future__ import annotations

import os
import re
from functools import lru_cache
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.patterns import lazy
from lunalint.settings.errors import ConfigError, _one_line, _short
from lunalint.settings.schema import Settings, _Checker

FILE_NAME = ".lunalint.yaml"
PYPROJECT = "pyproject.toml"
MAX_BYTES = 4 << 20       # a configuration file larger than this is refused unread
MAX_DEPTH = 50            # nesting of lists and mappings (the schema needs 4)
MAX_ALIASED = 10_000      # values YAML aliases may add in all (an alias bomb adds billions)


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
    from lunalint.settings import policies

    dropped: set[str] = set()
    found, errors, _ = policies.collect(data, lines, shown, root, set(known_rules),
                                        lambda glob: _policy_files(root, glob), dropped)
    known = list(known_rules) + [p.id for p in found] + sorted(dropped - set(known_rules))
    checked = _Checker(shown, lines, known).settings(data, os.path.abspath(path), root)
    from lunalint import record

    return record.replace(checked, policies=found, policy_errors=errors)


def _policy_files(root: str, glob: str) -> list[tuple[str, Any, Any, str]]:
    """Each project file ``glob`` names, read with the bounded YAML loader:
    ``(shown, data, lines, problem)`` (``problem`` a one-line message when it cannot be read).
    Files are found and opened through :mod:`lunalint.confine`: inside the project, no link
    followed."""
    from lunalint import confine
    from lunalint.settings.globs import glob_match

    core = glob.strip().removeprefix("./")
    static = []
    for part in core.split("/")[:-1]:
        if any(c in part for c in "*?["):
            break
        static.append(part)
    if ".." in static:
        return []
    out = []
    for full, loaded in confine.files_matching(root, "/".join(static),
                                               lambda rel: glob_match(glob, rel)):
        shown = _display(full)
        if loaded.text is None:
            out.append((shown, None, None, f"{shown}: cannot read the policy file: "
                                           f"{loaded.problem}"))
            continue
        if len(loaded.text) > MAX_BYTES:
            out.append((shown, None, None, f"{shown}: the policy file is larger than "
                                           f"{MAX_BYTES >> 20} MiB; lunalint does not read it"))
            continue
        try:
            data, lines = _load_yaml(loaded.text, shown)
        except ConfigError as error:
            out.append((shown, None, None, str(error)))
            continue
        out.append((shown, data, lines, ""))
    return out


def _display(path: str) -> str:
    full = os.path.abspath(path)
    rel = os.path.relpath(full, os.getcwd())
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = full
    return rel.replace(os.sep, "/")


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
_TOML_TOKEN = lazy(
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
    counts = {"waivers": -1, "facts": -1, "policies": -1}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        m = re.match(r"^\[\[\s*tool\.lunalint\.(waivers|facts|policies)\s*\]\]", line)
        if m:
            counts[m.group(1)] += 1
            table = (m.group(1), counts[m.group(1)])
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


