"""Organisation policies as data: ``policies:`` in the configuration file, and the files its
``policy-files:`` globs name (YAML, read with the same bounded loader, confined to the
project).

A policy is declarative: an ``id`` the team owns, a ``title``, a ``level``, optional ``why``
and ``link``, a ``scope``, an optional ``when`` and one ``check``. This module only reads and
checks them into :class:`Policy` values; :mod:`lunalint.rules.custom` turns each into a rule
that the registry holds like any built-in one.

A mistake in one policy (an unknown check, a bad number, a colliding id, a bad glob) drops that
policy only, with a one-line message ``file:line: policy ID: what; did you mean ...?``; the
other policies and every built-in rule still run. See the README section "Organisation
policies" for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lunalint.findings import Level
from lunalint.model.policy_names import HSM_POLICIES, PARTITION_POLICIES, number_of
from lunalint.settings.errors import _closest, _short, _type_name
from lunalint.settings.globs import glob_error

# lunalint's own rule families: a policy id may not start with one (``--select HA`` would
# pick it up, and a future built-in rule could take its id).
BUILTIN_FAMILIES = ("SYN", "HA", "LIB", "VER", "POL", "OPS", "SEC", "LUNALINT")
_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
_VERSION = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}\Z")
MAX_POLICIES = 1000
MAX_PATTERN = 200
POLICY_KEYS = ("id", "title", "level", "why", "link", "scope", "when", "check")
SCOPE_KEYS = ("paths", "groups", "serials", "kinds")
KINDS = ("config", "template", "partial", "capture")
CHECKS = ("config", "partition-policy", "hsm-policy", "client-version", "firmware", "group",
          "all", "any", "not")
CONFIG_TESTS = ("present", "absent", "equals", "one-of", "at-least", "at-most", "matches")
VERSION_TESTS = ("at-least", "below")
GROUP_TESTS = ("members-at-least", "same-authentication", "authentication", "standby")
# Checks that need the link stage (groups, members, captures): a policy using one runs with
# the workspace rules; one with only `config` checks runs per file, like HA101.
WORKSPACE_CHECKS = frozenset({"partition-policy", "hsm-policy", "client-version", "firmware",
                              "group"})
# Nested quantifiers (``(a+)+``) backtrack exponentially; patterns are short and plain.
_NESTED = re.compile(r"\([^)]*[+*}][^)]*\)\s*[+*{]")


class PolicyProblem(Exception):
    """One mistake in one policy; the message is ``file:line: what``."""


@dataclass(frozen=True)
class Check:
    """One node of a policy's check: a test (``config``, ``firmware`` ...) with its arguments
    as ``(name, value)`` pairs, or a combination (``all``, ``any``, ``not``) of ``parts``."""

    kind: str
    args: tuple[tuple[str, Any], ...] = ()
    parts: tuple[Check, ...] = ()
    line: int = 0

    def arg(self, name: str, default: Any = None) -> Any:
        for key, value in self.args:
            if key == name:
                return value
        return default

    def kinds(self) -> set[str]:
        return {self.kind}.union(*(p.kinds() for p in self.parts))


@dataclass(frozen=True)
class Scope:
    paths: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    path_lines: tuple[int, ...] = field(default=(), compare=False)  # where each glob is


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    level: Level
    check: Check
    why: str = ""
    link: str = ""
    scope: Scope = field(default_factory=Scope)
    when: Check | None = None
    source: str = ""  # the file it is written in, as shown in messages
    line: int = 0
    root: str = "."  # the directory scope globs are relative to

    @property
    def workspace(self) -> bool:
        """True when the policy needs the link stage (groups, members or captures)."""
        used = self.check.kinds() | (self.when.kinds() if self.when else set())
        return bool(used & WORKSPACE_CHECKS or self.scope.groups or self.scope.serials
                    or "capture" in self.scope.kinds)

    @property
    def origin(self) -> str:
        return f"{self.source}:{self.line}"


# --------------------------------------------------------------------------- reading

class Reader:
    """Checks the policies of one file. ``lines(*path)`` gives the line of a key path and
    ``raw`` the text of scalars as written (to tell ``10.10`` from the number 10.1)."""

    def __init__(self, shown: str, lines: Any, root: str, base: tuple = ()) -> None:
        self.shown = shown
        self.lines = lines
        self.root = root
        self.base = base  # where the list of policies sits in the file
        self.dropped: set[str] = set()  # ids of policies dropped for a mistake

    def fail(self, path: tuple, message: str) -> PolicyProblem:
        return PolicyProblem(f"{self.shown}:{self.lines(*(self.base + path))}: {message}")

    def policies(self, items: Any, taken: dict[str, str], known: set[str],
                 errors: list[str]) -> list[Policy]:
        """The policies of ``items`` (a list); each bad one adds a message to ``errors``.
        ``taken`` maps ids already defined to where (updated); ``known`` are rule ids."""
        if not isinstance(items, list):
            errors.append(str(self.fail((), f"policies must be a list of mappings, not "
                                            f"{_type_name(items)}")))
            return []
        out = []
        for index, item in enumerate(items[:MAX_POLICIES]):
            try:
                policy = self.policy(item, (index,))
                if policy.id in taken:
                    raise self.fail((index, "id"), f"policy id {policy.id} is already defined at "
                                                   f"{taken[policy.id]}; give each policy its "
                                                   "own id")
                if policy.id in known:
                    raise self.fail((index, "id"), f"policy id {policy.id} is taken by a rule "
                                                   "already registered (a plugin?); pick another")
                taken[policy.id] = policy.origin
                out.append(policy)
            except PolicyProblem as problem:
                errors.append(str(problem))
                pid = item.get("id") if isinstance(item, dict) else None
                if isinstance(pid, str) and _ID.match(pid.strip().upper()):
                    # `level:` or a waiver naming it stays valid: the error says what is wrong
                    self.dropped.add(pid.strip().upper())
        if len(items) > MAX_POLICIES:
            errors.append(str(self.fail((MAX_POLICIES,), f"more than {MAX_POLICIES} policies in "
                                                         "one file; the rest were not read")))
        return out

    def policy(self, item: Any, at: tuple) -> Policy:
        if not isinstance(item, dict):
            raise self.fail(at, f"a policy must be a mapping with id, title, level and check, "
                                f"not {_type_name(item)}")
        pid = item.get("id")
        if not isinstance(pid, str) or not _ID.match(pid.strip().upper()):
            raise self.fail(at + ("id",), f"a policy needs an `id` like ACME101 (letters, digits "
                                          f"and '-'), not {_short(pid)}")
        pid = pid.strip().upper()
        name = f"policy {pid}"
        for family in BUILTIN_FAMILIES:
            if pid.startswith(family):
                raise self.fail(at + ("id",), f"{name}: ids starting with {family} belong to "
                                              "lunalint's own rules; use your team's prefix "
                                              "(e.g. ACME101)")
        for key in item:
            if key not in POLICY_KEYS:
                raise self.fail(at + (str(key),), self._unknown(name, key, POLICY_KEYS, "key"))
        title = self._text(item, "title", at, name, required=True)
        level_text = item.get("level", "warning")
        if not isinstance(level_text, str) or level_text.strip().lower() not in (
                "error", "warning", "note"):
            hint = _closest(str(level_text).lower(), ("error", "warning", "note"))
            raise self.fail(at + ("level",), f"{name}: level must be error, warning or note, "
                                             f"not {_short(level_text)}"
                                             + (f"; did you mean {hint!r}?" if hint else ""))
        link = self._text(item, "link", at, name)
        if link and not re.match(r"^https?://[^\s]+$", link):
            raise self.fail(at + ("link",), f"{name}: link must be an http(s) URL, not "
                                            f"{_short(link)}")
        if "check" not in item:
            raise self.fail(at, f"{name}: a policy needs a `check` (one of: "
                                f"{', '.join(CHECKS)})")
        check = self.check(item["check"], at + ("check",), name)
        when = self.check(item["when"], at + ("when",), name) if "when" in item else None
        policy = Policy(pid, title, Level.parse(level_text), check,
                        why=self._text(item, "why", at, name), link=link,
                        scope=self.scope(item.get("scope"), at + ("scope",), name), when=when,
                        source=self.shown, line=self.lines(*(self.base + at)), root=self.root)
        if policy.workspace:
            self._linked_sections(check, at + ("check",), name)
            if when is not None:
                self._linked_sections(when, at + ("when",), name)
        return policy

    def _linked_sections(self, check: Check, at: tuple, name: str) -> None:
        """A policy about groups sees the configuration as the link stage keeps it: only
        the sections that define and tune groups."""
        from lunalint.facts import LINKED_SECTIONS

        if check.kind == "config" and check.arg("section").casefold() not in LINKED_SECTIONS:
            raise PolicyProblem(
                f"{self.shown}:{check.line}: {name}: a policy about groups, members or versions "
                f"reads only the sections VirtualToken, HAConfiguration and Secure Trusted "
                f"Channel, not {check.arg('section')!r}; put the `config` check in a policy of "
                "its own")
        for part in check.parts:
            self._linked_sections(part, at, name)

    # -- parts
    def scope(self, value: Any, at: tuple, name: str) -> Scope:
        if value is None:
            return Scope()
        if not isinstance(value, dict):
            raise self.fail(at, f"{name}: scope must be a mapping (paths, groups, serials, "
                                f"kinds), not {_type_name(value)}")
        for key in value:
            if key not in SCOPE_KEYS:
                raise self.fail(at + (str(key),), self._unknown(name, key, SCOPE_KEYS,
                                                                "scope key"))
        paths = self._strings(value, "paths", at, name)
        for index, glob in enumerate(paths):
            problem = glob_error(glob)
            if problem:
                raise self.fail(at + ("paths", index), f"{name}: bad glob in scope paths: "
                                                       f"{problem}")
        kinds = self._strings(value, "kinds", at, name)
        for index, kind in enumerate(kinds):
            if kind not in KINDS:
                raise self.fail(at + ("kinds", index), self._unknown(name, kind, KINDS, "kind"))
        return Scope(paths, self._strings(value, "groups", at, name),
                     tuple(s.strip() for s in self._strings(value, "serials", at, name)), kinds,
                     tuple(self.lines(*(self.base + at + ("paths", i)))
                           for i in range(len(paths))))

    def check(self, value: Any, at: tuple, name: str) -> Check:
        line = self.lines(*(self.base + at))
        if not isinstance(value, dict) or len(value) != 1:
            what = (f"a mapping with {len(value)} keys ({', '.join(map(str, value))})"
                    if isinstance(value, dict) else _type_name(value))
            raise self.fail(at, f"{name}: a check is a mapping with exactly one key (one of: "
                                f"{', '.join(CHECKS)}; combine several with `all`), not {what}")
        (kind, arg), = value.items()
        here = at + (str(kind),)
        if kind in ("all", "any"):
            if not isinstance(arg, list) or not arg:
                raise self.fail(here, f"{name}: `{kind}` takes a non-empty list of checks, not "
                                      f"{_type_name(arg)}")
            return Check(kind, (), tuple(self.check(p, here + (i,), name)
                                         for i, p in enumerate(arg)), line)
        if kind == "not":
            return Check(kind, (), (self.check(arg, here, name),), line)
        if kind == "config":
            return Check(kind, self.config(arg, here, name), (), line)
        if kind in ("partition-policy", "hsm-policy"):
            return Check(kind, self.policy_values(arg, here, name, kind), (), line)
        if kind in ("client-version", "firmware"):
            return Check(kind, self.versions(arg, here, name, kind), (), line)
        if kind == "group":
            return Check(kind, self.group(arg, here, name), (), line)
        raise self.fail(here, self._unknown(name, kind, CHECKS, "check"))

    def config(self, arg: Any, at: tuple, name: str) -> tuple:
        if not isinstance(arg, dict):
            raise self.fail(at, f"{name}: `config` takes a mapping with section, key and a test "
                                f"({', '.join(CONFIG_TESTS)}), not {_type_name(arg)}")
        for key in arg:
            if key not in ("section", "key") + CONFIG_TESTS:
                raise self.fail(at + (str(key),), self._unknown(
                    name, key, ("section", "key") + CONFIG_TESTS, "config test"))
        out: list[tuple[str, Any]] = []
        for key in ("section", "key"):
            value = arg.get(key)
            if not isinstance(value, str) or not value.strip():
                example = "HAConfiguration" if key == "section" else "HAOnly"
                raise self.fail(at + (key,), f"{name}: `config` needs `{key}` (a name, e.g. "
                                             f"{example})")
            out.append((key, value.strip()))
        tests = [k for k in CONFIG_TESTS if k in arg]
        if not tests:
            raise self.fail(at, f"{name}: `config` needs a test: one of {', '.join(CONFIG_TESTS)}")
        if len(tests) > 1 and set(tests) != {"at-least", "at-most"}:
            raise self.fail(at + (tests[1],), f"{name}: `config` takes one test (at-least with "
                                              f"at-most is the one pair), not {', '.join(tests)}; "
                                              "combine tests with `all`")
        for test in tests:
            value = arg[test]
            where = at + (test,)
            if test in ("present", "absent"):
                if value is not True:
                    raise self.fail(where, f"{name}: `{test}` takes true, not {_short(value)}")
            elif test == "equals":
                value = self._scalar(value, where, name, test)
            elif test == "one-of":
                if not isinstance(value, list) or not value:
                    raise self.fail(where, f"{name}: `one-of` takes a non-empty list of values, "
                                           f"not {_type_name(value)}")
                value = tuple(self._scalar(v, where + (i,), name, test)
                              for i, v in enumerate(value))
            elif test in ("at-least", "at-most"):
                value = self._number(value, where, name, test)
            else:  # matches
                value = self._pattern(value, where, name)
            out.append((test, value))
        return tuple(out)

    def policy_values(self, arg: Any, at: tuple, name: str, kind: str) -> tuple:
        table = PARTITION_POLICIES if kind == "partition-policy" else HSM_POLICIES
        example = "{1: 0}" if kind == "partition-policy" else '{"Allow Cloning": 1}'
        if not isinstance(arg, dict) or not arg:
            raise self.fail(at, f"{name}: `{kind}` takes a mapping of policy number or name to "
                                f"value, e.g. {example}, not {_type_name(arg)}")
        out = []
        for key, value in arg.items():
            where = at + (str(key),)
            if isinstance(key, bool):
                key = str(key)
            if isinstance(key, int):
                number = key
            elif isinstance(key, str) and key.strip().isdigit():
                number = int(key.strip())
            elif isinstance(key, str):
                number = number_of(key, table)
                if number is None:
                    hint = _closest(key, list(table.values()))
                    raise self.fail(where, f"{name}: unknown {kind.replace('-', ' ')} "
                                           f"{_short(key)}"
                                           + (f"; did you mean {hint!r}?" if hint else "")
                                           + " (or give its number)")
            else:
                raise self.fail(where, f"{name}: a policy is a number or a name, not "
                                       f"{_type_name(key)}")
            if not 0 <= number <= 255:
                raise self.fail(where, f"{name}: policy number {number} is out of range (0-255)")
            if isinstance(value, bool):
                value = int(value)
            if not isinstance(value, int):
                if isinstance(value, str) and value.strip().lower() in ("on", "off"):
                    value = 1 if value.strip().lower() == "on" else 0
                else:
                    raise self.fail(where, f"{name}: the value of policy {number} must be a "
                                           f"whole number (0 or 1 for on/off), not "
                                           f"{_short(value)}")
            out.append((number, value))
        return tuple(out)

    def versions(self, arg: Any, at: tuple, name: str, kind: str) -> tuple:
        if not isinstance(arg, dict) or not arg:
            raise self.fail(at, f"{name}: `{kind}` takes at-least and/or below, e.g. "
                                f"{{at-least: \"7.8.4\"}}, not {_type_name(arg)}")
        out = []
        for key, value in arg.items():
            where = at + (str(key),)
            if key not in VERSION_TESTS:
                raise self.fail(where, self._unknown(name, key, VERSION_TESTS, f"{kind} test"))
            out.append((key, self._version(value, where, name, f"{kind} {key}")))
        return tuple(out)

    def group(self, arg: Any, at: tuple, name: str) -> tuple:
        if not isinstance(arg, dict) or not arg:
            raise self.fail(at, f"{name}: `group` takes tests ({', '.join(GROUP_TESTS)}), not "
                                f"{_type_name(arg)}")
        out: list[tuple[str, Any]] = []
        for key, value in arg.items():
            where = at + (str(key),)
            if key not in GROUP_TESTS:
                raise self.fail(where, self._unknown(name, key, GROUP_TESTS, "group test"))
            if key == "members-at-least":
                value = self._number(value, where, name, key)
                if value < 1 or value != int(value):
                    raise self.fail(where, f"{name}: members-at-least must be a whole number "
                                           f"of 1 or more, not {_short(value)}")
                value = int(value)
            elif key == "authentication":
                if not isinstance(value, str) or value.strip().upper() not in ("PED", "PW"):
                    raise self.fail(where, f"{name}: authentication must be PED or PW, not "
                                           f"{_short(value)}")
                value = value.strip().upper()
            elif not isinstance(value, bool):
                raise self.fail(where, f"{name}: `{key}` must be true or false, not "
                                       f"{_short(value)}")
            out.append((key, value))
        return tuple(out)

    # -- values
    def _text(self, item: dict, key: str, at: tuple, name: str, required: bool = False) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(at + (key,) if key in item else at,
                            f"{name}: `{key}` must be a non-empty string"
                            + ("" if key in item else " (it is required)"))
        return " ".join(value.split())

    def _strings(self, data: dict, key: str, at: tuple, name: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(
                isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip()
                for v in value):
            raise self.fail(at + (key,), f"{name}: scope `{key}` must be a list of strings")
        return tuple(str(v) for v in value)

    def _scalar(self, value: Any, at: tuple, name: str, test: str) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, (int, float, str)):
            raw = self.lines.raw.get(self.base + at)
            return raw if raw is not None and not isinstance(value, str) else str(value)
        raise self.fail(at, f"{name}: `{test}` compares with a value (text or number), not "
                            f"{_type_name(value)}")

    def _number(self, value: Any, at: tuple, name: str, test: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(at, f"{name}: `{test}` takes a number, not {_short(value)}"
                                + (" (write it without quotes)" if isinstance(value, str)
                                   and re.fullmatch(r"\s*-?[0-9]+(\.[0-9]+)?\s*", value) else ""))
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(at, f"{name}: `{test}` takes a finite number, not {value}")
        return value

    def _version(self, value: Any, at: tuple, name: str, what: str) -> str:
        raw = self.lines.raw.get(self.base + at)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = raw or repr(value)
            raise self.fail(at, f"{name}: {what} must be a version in quotes: {shown} reads as "
                                f"a number; write \"{shown}\"")
        if not isinstance(value, str) or not _VERSION.match(value.strip()):
            raise self.fail(at, f"{name}: {what} must be a version like \"10.7.0\", not "
                                f"{_short(value)}")
        return value.strip()

    def _pattern(self, value: Any, at: tuple, name: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(at, f"{name}: `matches` takes a regular expression (a string)")
        if len(value) > MAX_PATTERN or _NESTED.search(value):
            raise self.fail(at, f"{name}: `matches` patterns must be under {MAX_PATTERN} "
                                "characters without nested repetition like (a+)+")
        try:
            re.compile(value)
        except re.error as error:
            raise self.fail(at, f"{name}: bad regular expression in `matches`: {error}") from None
        return value

    def _unknown(self, name: str, word: Any, known: tuple[str, ...], what: str) -> str:
        hint = _closest(str(word), known)
        return (f"{name}: unknown {what} {_short(word)}"
                + (f"; did you mean {hint!r}?" if hint else "")
                + f" (known: {', '.join(known)})")


def collect(data: Any, lines: Any, shown: str, root: str, known: set[str],
            read_file: Callable[[str], list[tuple[str, Any, Any, str]]],
            dropped: set[str] | None = None) -> tuple[
                tuple[Policy, ...], tuple[str, ...], tuple[str, ...]]:
    """The policies the configuration defines (``policies:`` and the files ``policy-files:``
    names), the one-line errors of the bad ones, and the policy-files globs.

    ``read_file(glob)`` gives ``(shown, data, lines, problem)`` for each file a glob names
    (``problem`` set, and ``data`` None, when the file could not be read)."""
    dropped = set() if dropped is None else dropped
    errors: list[str] = []
    taken: dict[str, str] = {}
    found: list[Policy] = []
    if not isinstance(data, dict):
        return (), (), ()
    if "policies" in data:
        reader = Reader(shown, lines, root, ("policies",))
        found += reader.policies(data["policies"], taken, known, errors)
        dropped.update(reader.dropped)
    globs = data.get("policy-files")
    if globs is None:
        return tuple(found), tuple(errors), ()
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list) or not all(isinstance(g, str) and g.strip() for g in globs):
        errors.append(f"{shown}:{lines('policy-files')}: `policy-files` must be a list of "
                      "globs, e.g. [\"policies/*.yaml\"]")
        return tuple(found), tuple(errors), ()
    for index, glob in enumerate(globs):
        problem = glob_error(glob)
        if problem:
            errors.append(f"{shown}:{lines('policy-files', index)}: bad glob in `policy-files`: "
                          f"{problem}")
            continue
        files = read_file(glob)
        if not files:
            errors.append(f"{shown}:{lines('policy-files', index)}: `policy-files` glob "
                          f"{_short(glob)} matches no file in the project")
        for file_shown, file_data, file_lines, problem in files:
            if problem:
                errors.append(problem)
                continue
            items, base = file_data, ()
            if isinstance(file_data, dict) and set(file_data) == {"policies"}:
                items, base = file_data["policies"], ("policies",)
            elif isinstance(file_data, dict):
                extra = sorted(str(k) for k in file_data if k != "policies")
                errors.append(f"{file_shown}:{file_lines(extra[0])}: a policy file holds a "
                              f"list of policies (or `policies:` with one), not "
                              f"{_short(extra[0])}")
                continue
            reader = Reader(file_shown, file_lines, root, base)
            found += reader.policies(items, taken, known, errors)
            dropped.update(reader.dropped)
    return tuple(found), tuple(errors), tuple(globs)
