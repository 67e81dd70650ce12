"""The schema of the configuration: every key checked (type, known rules, globs, versions,
dates) into :class:`Settings`, each mistake a :class:`ConfigError` naming file and line."""

from __future__ import annotations

import os
import re
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint.patterns import lazy
from lunalint.findings import Level
from lunalint.record import opt, record
from lunalint.settings.errors import ConfigError, _closest, _short, _type_name
from lunalint.settings.globs import glob_error, glob_match

if TYPE_CHECKING:
    import datetime as _dt
    from typing import Any
    from lunalint.settings.loader import _Lines

_VERSION = lazy(r"^[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}\Z")  # ASCII digits, bounded
FACT_KEYS = {"client-version": _VERSION}
_TOP_KEYS = ("select", "ignore", "level", "fail-on", "include", "exclude", "kinds", "facts",
             "waivers", "embedded", "policies", "policy-files")
_WAIVER_KEYS = ("rule", "path", "anchor", "reason", "expires")


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
    # Organisation policies (settings.policies.Policy), and one line per bad one (dropped).
    policies: tuple = ()
    policy_errors: tuple[str, ...] = ()
    # The folder the paths of findings are relative to (the CLI shows them from the project
    # root, whatever the working directory); None: the working directory.
    shown_from: str | None = None

    def relative(self, path: str) -> str:
        """``path`` (absolute, or as findings show it) relative to the configuration's
        directory, with ``/``."""
        full = os.path.join(self.shown_from, path) if self.shown_from else path
        rel = os.path.relpath(os.path.abspath(full), self.root)
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
        import datetime as _dt  # only for a waiver's `expires` (start-up cost)

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
