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

Globs are relative to the directory holding the configuration file and use ``/``; ``*`` and
``?`` stay inside one path segment, ``**`` crosses segments; a glob without ``/`` matches the
file name in any directory, and one ending in ``/`` a folder (``old/`` a folder called ``old``
at any depth). Any mistake (bad YAML or TOML, an unknown key, a wrong type,
an unknown rule) is a :class:`ConfigError` whose message names the file and line.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lunalint.findings import Level

FILE_NAME = ".lunalint.yaml"
PYPROJECT = "pyproject.toml"
FACT_KEYS = {"client-version": re.compile(r"^\d+(?:\.\d+){0,3}$")}
_TOP_KEYS = ("select", "ignore", "level", "fail-on", "include", "exclude", "kinds", "facts",
             "waivers")
_WAIVER_KEYS = ("rule", "path", "anchor", "reason", "expires")


class ConfigError(Exception):
    """A mistake in the configuration file; the message is one line: ``file:line: what``."""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class FactRule:
    path: str
    facts: dict[str, str]
    line: int = 0


@dataclass(frozen=True)
class Settings:
    """What the configuration file says; the empty default means "nothing configured"."""

    source: str | None = None  # absolute path of the file read, if any
    root: str = "."           # directory globs are relative to
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    levels: dict[str, Level] = field(default_factory=dict)
    fail_on: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    config_globs: tuple[str, ...] = ()
    export_globs: tuple[str, ...] = ()
    facts: tuple[FactRule, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    firmware: tuple[dict[str, str], ...] = ()  # rows extending data/firmware.yaml

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

@lru_cache(maxsize=512)
def _glob_regex(glob: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = glob[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(glob: str, rel: str) -> bool:
    """Whether ``rel`` (a ``/`` path) matches ``glob``; see the module docstring."""
    glob = glob.strip().removeprefix("./")
    parts = rel.split("/")
    if glob.endswith("/"):
        core = glob.rstrip("/")
        if "/" not in core:  # `old/`: a folder of that name at any depth
            return any(_glob_regex(core).match(p) for p in parts[:-1])
        glob = core + "/**"
    if "/" not in glob:  # `*.conf`: the file name, in any folder
        return bool(_glob_regex(glob).match(parts[-1]))
    return bool(_glob_regex(glob).match(rel))


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
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"{shown}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{shown}:{line}: invalid YAML: {what}") from None
    if node is None:
        return {}, lines
    _record(node, (), lines, shown)
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except yaml.YAMLError as error:  # a value that composes but does not construct
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{shown}:{line}: invalid YAML: "
                          f"{getattr(error, 'problem', None) or error}") from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. the date 2027-13-01
        raise ConfigError(f"{shown}:{_bad_scalar_line(node)}: invalid YAML value: "
                          f"{error}") from None
    return data, lines


def _bad_scalar_line(root: Any) -> int:
    """The line of the first scalar that PyYAML cannot turn into a value."""
    import yaml

    stack = [root]
    while stack:
        node = stack.pop(0)
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
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark)
            if name in seen:
                raise ConfigError(f"{shown}:{key.start_mark.line + 1}: key {name!r} is given "
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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        m = re.search(r"line (\d+)", str(error))
        line = int(m.group(1)) if m else 1
        raise ConfigError(f"{shown}:{line}: invalid TOML: {str(error).split(' (at')[0]}") \
            from None
    lines = _toml_lines(text)
    tool = data.get("tool", {}).get("lunalint")
    if tool is None:
        return {}, lines
    return tool, lines


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
        m = re.match(r'^"?([\w.-]+)"?\s*=', line)
        if m and table[:1] != ("<other>",):
            lines.where[table + (m.group(1),)] = number
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
                raise self.fail((str(key),), f"unknown key {key!r}"
                                + (f"; did you mean {hint!r}?" if hint else "")
                                + f" (known keys: {', '.join(_TOP_KEYS)})")
        kinds = self.mapping(data, "kinds", ("configs", "exports"))
        return Settings(
            source=source, root=root,
            select=self.rule_list(data, "select"),
            ignore=self.rule_list(data, "ignore"),
            levels=self.levels(data),
            fail_on=self.choice(data, "fail-on", ("error", "warning", "note", "never")),
            include=self.strings(data, ("include",)),
            exclude=self.strings(data, ("exclude",)),
            config_globs=self.strings(kinds, ("kinds", "configs"), key="configs"),
            export_globs=self.strings(kinds, ("kinds", "exports"), key="exports"),
            facts=self.facts(data),
            waivers=self.waivers(data, source),
            firmware=self.firmware(data),
        )

    # -- helpers
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
                raise self.fail((key, index), f"unknown rule or rule prefix {word!r} in "
                                              f"`{key}` (see lunalint --list-rules)")
        return tuple(w.upper() for w in words)

    def known_rule(self, word: Any, path: tuple, what: str) -> str:
        if not isinstance(word, str) or word.upper() not in self.known:
            typo = str(word).upper().translate(str.maketrans("OIL", "011"))  # HA1O1 -> HA101
            hint = typo if typo in self.known else _closest(str(word).upper(), self.known)
            raise self.fail(path, f"unknown rule {word!r} in {what}"
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
                    raise self.fail((key, str(sub)), f"unknown key {sub!r} in `{key}` "
                                                     f"(known keys: {', '.join(allowed)})")
        return value

    def choice(self, data: dict, key: str, choices: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in choices:
            raise self.fail((key,), f"`{key}` must be one of {', '.join(choices)}, "
                                    f"not {value!r}")
        return value.lower()

    def levels(self, data: dict) -> dict[str, Level]:
        out = {}
        for rule_id, value in self.mapping(data, "level", None).items():
            rid = self.known_rule(rule_id, ("level", str(rule_id)), "`level`")
            if not isinstance(value, str) or value.lower() not in ("error", "warning", "note"):
                raise self.fail(("level", str(rule_id)), f"level of {rid} must be error, "
                                                         f"warning or note, not {value!r}")
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
            facts = {}
            for key, fact in item.items():
                if key == "path":
                    continue
                if key not in FACT_KEYS:
                    raise self.fail(where + (str(key),), f"unknown fact {key!r} (known facts: "
                                                         f"{', '.join(FACT_KEYS)})")
                text = str(fact) if isinstance(fact, (str, int, float)) else None
                if text is None or not FACT_KEYS[key].match(text):
                    raise self.fail(where + (str(key),), f"fact {key} must be a version like "
                                                         f"10.7.0, not {fact!r}")
                facts[key] = text
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
                    raise self.fail(where + (str(key),), f"unknown key {key!r} in a firmware "
                                                         f"fact (known: {', '.join(allowed)})")
            row = {}
            for key in ("firmware", "below", "min-client"):
                value = item.get(key)
                text = str(value) if isinstance(value, (str, int, float)) else ""
                if not re.match(r"^\d+(?:\.\d+){0,3}$", text):
                    raise self.fail(where + (key,), f"firmware fact needs `{key}` as a version "
                                                    f"like 7.10.0, not {value!r}")
                row[key] = text
            confidence = item.get("confidence", "user")
            if confidence not in ("doc", "inferred", "user"):
                raise self.fail(where + ("confidence",), "confidence must be doc, inferred or "
                                                         f"user, not {confidence!r}")
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
                    raise self.fail(where + (str(key),), f"unknown key {key!r} in a waiver "
                                                         f"(known keys: {', '.join(_WAIVER_KEYS)})")
            for key in ("rule", "path", "reason"):
                if key not in item:
                    raise self.fail(where, f"a waiver needs `{key}`")
            rule_id = self.known_rule(item["rule"], where + ("rule",), "a waiver")
            for key in ("path", "reason", "anchor"):
                if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                    raise self.fail(where + (key,), f"a waiver's `{key}` must be a non-empty "
                                                    f"string, not {item[key]!r}")
            expires = item.get("expires")
            if expires is not None:
                expires = self.date(expires, where + ("expires",))
            out.append(Waiver(rule_id, item["path"], item["reason"].strip(),
                              item.get("anchor", "").strip(), expires, self.shown,
                              self.lines(*where)))
        return tuple(out)

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
        raise self.fail(path, f"`expires` must be a date like 2027-06-30, not {value!r}")


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", int: "a number",
            float: "a number", bool: "true/false", type(None): "nothing"}.get(
        type(value), type(value).__name__)


def _closest(word: str, candidates) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None
