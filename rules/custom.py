"""Organisation policies as rules: each :class:`~lunalint.settings.policies.Policy` becomes a
:class:`PolicyRule`, declarative metadata (from the policy's text) plus one check, registered
in the same registry and run by the same engine as the built-in rules.

A policy with only ``config`` checks runs per file over the client configuration model (as
HA101 does); one about groups, members, versions or captures runs in the workspace stage over
the linked groups (as VER201 and POL301 do). Evaluation is three-valued: a check passes,
fails, or cannot be decided (a templated value, a key a template placeholder may render);
what cannot be decided is reported as such, never as passing. A check about data no file
gives (a member without a capture, a group without a known client version) does not apply,
as for the built-in rules (HA113 and VER205 say what went unchecked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lunalint.findings import Level
from lunalint.model.base import Span
from lunalint.model.config import ClientConfig, ha_groups
from lunalint.record import opt, record
from lunalint.model.policy_names import HSM_POLICIES, PARTITION_POLICIES
from lunalint.rules import sources
from lunalint.rules.base import Context, Problem, Rule
from lunalint.settings.globs import glob_match
from lunalint.settings.policies import Check, Policy
from lunalint.versions import Version

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "n/a"


@dataclass(frozen=True)
class Evidence:
    """Where a test held or failed, in words: ``path`` None is the subject's own file."""

    span: Span
    text: str
    anchor: str
    path: str | None = None
    related: tuple = ()


@dataclass
class Result:
    state: str = NA
    failed: list[Evidence] = field(default_factory=list)
    held: list[Evidence] = field(default_factory=list)
    unknown: list[Evidence] = field(default_factory=list)


def _leaf(failed: list, held: list, unknown: list) -> Result:
    state = FAIL if failed else UNKNOWN if unknown else PASS if held else NA
    return Result(state, failed, held, unknown)


# --------------------------------------------------------------------------- subjects

@dataclass
class Subject:
    """What one evaluation is about: a configuration (per-file) or a group (workspace)."""

    config: ClientConfig | None
    group: Any = None  # lunalint.workspace.Group
    serials: tuple[str, ...] = ()  # scope serials: only these members count

    def members(self, standby: bool = True) -> list:
        if self.group is None:
            return []
        found = list(self.group.members) + (list(self.group.standby) if standby else [])
        if self.serials:
            found = [m for m in found if m.serial in self.serials]
        return found


def _templated(config: ClientConfig | None, span: Span | None, flag: bool = False) -> bool:
    """Whether a template placeholder overlaps ``span`` (``flag``: the reader said so; the
    configurations the link stage keeps have lost that flag but kept the placeholders)."""
    if flag:
        return True
    if config is None or span is None:
        return False
    for hole in config.template_spans:
        if (hole.line, hole.column) < (span.end_line, span.end_column) \
                and (hole.end_line, hole.end_column) > (span.line, span.column):
            return True
    return False


def _kind(config: ClientConfig | None) -> str:
    if config is None:
        return "capture"
    if config.partial:
        return "partial"
    return "template" if config.is_template else "config"


# --------------------------------------------------------------------------- tests

def evaluate(check: Check, subject: Subject) -> Result:
    if check.kind in ("all", "any"):
        results = [evaluate(part, subject) for part in check.parts]
        states = {r.state for r in results}
        out = Result(held=[e for r in results for e in r.held],
                     failed=[e for r in results for e in r.failed if r.state == FAIL],
                     unknown=[e for r in results for e in r.unknown])
        if check.kind == "all":
            out.state = (FAIL if FAIL in states else UNKNOWN if UNKNOWN in states
                         else PASS if PASS in states else NA)
        else:
            out.state = (PASS if PASS in states else UNKNOWN if UNKNOWN in states
                         else FAIL if FAIL in states else NA)
            if out.state != FAIL:
                out.failed = []
        return out
    if check.kind == "not":
        inner = evaluate(check.parts[0], subject)
        flip = {PASS: FAIL, FAIL: PASS}.get(inner.state, inner.state)
        failed = [Evidence(e.span, f"{e.text}, which the policy forbids", e.anchor, e.path,
                           e.related) for e in inner.held]
        return Result(flip, failed if flip == FAIL else [], inner.failed, inner.unknown)
    return _TESTS[check.kind](check, subject)


def _config_test(check: Check, subject: Subject) -> Result:
    config = subject.config
    if config is None:
        return Result()
    section, key = check.arg("section"), check.arg("key")
    name = f"`{key}` in `{section}`"
    entry = config.get(section, key)
    anchor = f"{section}/{key}"
    if entry is None:
        if config.partial:
            return Result()  # a fragment of a configuration: a missing key says nothing
        sections = config.sections_named(section)
        span = sections[0].header_span if sections else Span(1, 1, 1, 1)
        if check.arg("absent"):
            return _leaf([], [Evidence(span, f"{name} is not set", anchor)], [])
        if config.open:
            lines = ", ".join(map(str, config.open_lines[:3]))
            return _leaf([], [], [Evidence(span, f"{name} is not set here, but the placeholder "
                                                 f"alone on line {lines} may render it", anchor)])
        return _leaf([Evidence(span, f"{name} is not set", anchor)], [], [])
    templated_key = _templated(config, entry.key_span, entry.templated_key)
    templated_value = _templated(config, entry.value_span, entry.templated_value)
    where = entry.key_span if templated_key else entry.span
    if templated_key:
        return _leaf([], [], [Evidence(where, f"{name}: the key is a template placeholder",
                                       anchor)])
    if check.arg("present"):
        return _leaf([], [Evidence(entry.span, f"{name} is set", anchor)], [])
    if check.arg("absent"):
        return _leaf([Evidence(entry.span, f"{name} is set", anchor)], [], [])
    if templated_value:
        return _leaf([], [], [Evidence(entry.span, f"{name} is a template placeholder, so its "
                                                   "value is unknown until rendered", anchor)])
    value = entry.value.strip()
    if entry.quoted:
        value = value[1:-1]
    # A secret (a password, a PIN) is never echoed: the message names the key only.
    shown = "(hidden)" if entry.secret else f"`{value}`"
    ok = True
    if check.arg("equals") is not None:
        ok = value.casefold() == str(check.arg("equals")).casefold()
        want = f"`{check.arg('equals')}`"
    elif check.arg("one-of") is not None:
        ok = value.casefold() in {str(v).casefold() for v in check.arg("one-of")}
        want = "one of " + ", ".join(f"`{v}`" for v in check.arg("one-of"))
    elif check.arg("matches") is not None:
        ok = len(value) <= 4096 and re.fullmatch(check.arg("matches"), value) is not None
        want = f"a value matching `{check.arg('matches')}`"
    else:
        low, high = check.arg("at-least"), check.arg("at-most")
        want = " and ".join(filter(None, (f"at least {_num(low)}" if low is not None else "",
                                          f"at most {_num(high)}" if high is not None else "")))
        number = _number(value)
        ok = number is not None and (low is None or number >= low) and (
            high is None or number <= high)
        if number is None:
            shown += " (not a number)"
    evidence = Evidence(entry.span, f"{name} is {shown}" + ("" if ok else f", not {want}"),
                        anchor)
    return _leaf([] if ok else [evidence], [evidence] if ok else [], [])


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _number(text: str) -> float | None:
    if not re.fullmatch(r"[+-]?[0-9]{1,18}(\.[0-9]{1,9})?", text):
        return None
    return float(text)


def _policy_test(check: Check, subject: Subject) -> Result:
    partition = check.kind == "partition-policy"
    table = PARTITION_POLICIES if partition else HSM_POLICIES
    failed, held = [], []
    for member in subject.members():
        if partition:
            values, where = member.policy_set, member.policies
        else:
            values, where = member.hsm_policies, member.hsm
        if values is None:
            continue
        for number, want in check.args:
            found = values.policy(number)
            if found is None:
                continue
            value = found.value if partition else found.number
            if value is None:
                continue
            name = table.get(number) or getattr(found, "name", "") or getattr(
                found, "description", "")
            what = "partition" if partition else "HSM"
            evidence = Evidence(found.span, (
                f"member {member.serial} of group `{subject.group.label}` has {what} policy "
                f"{number} ({name}) = {value}" + ("" if value == want else f", not {want}")),
                f"{member.serial}/{what.lower()}-policy-{number}", where.path,
                subject.group.related())
            (held if value == want else failed).append(evidence)
    return _leaf(failed, held, [])


def _compare(version: Version, check: Check) -> str:
    """The bound ``version`` breaks, or "" when it meets every bound."""
    low, below = check.arg("at-least"), check.arg("below")
    if low is not None and version < Version.parse(low):
        return f"older than {low}"
    if below is not None and not version < Version.parse(below):
        return f"not below {below}"
    return ""


def _firmware_test(check: Check, subject: Subject) -> Result:
    failed, held = [], []
    for member in subject.members():
        fw = member.firmware
        if fw is None:
            continue
        version, where = fw
        broken = _compare(version, check)
        assumed = getattr(member, "assumed_firmware", None) is not None
        runs = (f"would run firmware {version} (what-if)" if assumed
                else f"runs firmware {version}")
        evidence = Evidence(where.span, f"member {member.serial} of group "
                                        f"`{subject.group.label}` {runs}"
                                        + (f", {broken}" if broken else ""),
                            f"{member.serial}/firmware", where.path, subject.group.related())
        (failed if broken else held).append(evidence)
    return _leaf(failed, held, [])


def _client_test(check: Check, subject: Subject) -> Result:
    group = subject.group
    client = group.client if group is not None else None
    if client is None:
        return Result()
    where = client.where or group.defined_at
    if where is None:
        return Result()
    origin = {"facts": "from `facts` in the configuration file",
              "what-if": "what-if: --target-client"}.get(client.origin, "from the LunaCM banner")
    broken = _compare(client.version, check)
    evidence = Evidence(where.span, f"the client of group `{group.label}` is {client.version} "
                                    f"({origin})" + (f", {broken}" if broken else ""),
                        f"{group.label}/client-version", where.path, group.related())
    return _leaf([evidence] if broken else [], [] if broken else [evidence], [])


def _group_test(check: Check, subject: Subject) -> Result:
    group = subject.group
    where = group.defined_at if group is not None else None
    if where is None:
        return Result()
    failed, held, unknown = [], [], []

    def at(span, path, text, anchor):
        return Evidence(span, text, f"{group.label}/{anchor}", path, group.related())

    for test, want in check.args:
        if test == "members-at-least":
            listed = group.definition.members if group.definition is not None else None
            if listed is not None and _templated(group.config, listed.value_span):
                failed_or_unknown = Evidence(listed.span, f"group `{group.label}` lists its "
                                             "members through a template placeholder, so how "
                                             "many there are is unknown until rendered",
                                             f"{group.label}/members", where.path,
                                             group.related())
                unknown.append(failed_or_unknown)
                continue
            n = len(group.members)
            e = at(where.span, where.path, f"group `{group.label}` has {n} member"
                   f"{'s' if n != 1 else ''}" + ("" if n >= want else f", fewer than {want}"),
                   "members")
            (held if n >= want else failed).append(e)
        elif test == "standby":
            entry = group.definition.standby if group.definition is not None else None
            if group.standby and not want:
                span, path = (entry.span, where.path) if entry is not None else (
                    where.span, where.path)
                failed.append(at(span, path, f"group `{group.label}` has standby members "
                                             f"({', '.join(m.serial for m in group.standby)})",
                                 "standby"))
            else:
                held.append(at(where.span, where.path, f"group `{group.label}` standby members: "
                                                       f"{len(group.standby)}", "standby"))
        elif test == "authentication":
            for member in subject.members():
                auth = member.authentication
                if auth is None:
                    continue
                kind, place = auth
                e = at(place.span, place.path, f"member {member.serial} of group `{group.label}` "
                       f"uses {kind} authentication" + ("" if kind == want else f", not {want}"),
                       f"{member.serial}/authentication")
                (held if kind == want else failed).append(e)
        elif test == "same-authentication":
            known = [(m, m.authentication) for m in subject.members()
                     if m.authentication is not None]
            kinds = sorted({a[0] for _, a in known})
            if len(known) < 2:
                continue
            listing = ", ".join(f"{m.serial} {a[0]}" for m, a in known)
            same = len(kinds) == 1
            if same or not want:
                held.append(at(where.span, where.path, f"group `{group.label}` members "
                                                       f"authenticate by {listing}", "auth"))
            else:
                failed.append(at(where.span, where.path, f"group `{group.label}` mixes "
                                                         f"authentication ({listing})", "auth"))
    return _leaf(failed, held, unknown)


_TESTS = {"config": _config_test, "partition-policy": _policy_test, "hsm-policy": _policy_test,
          "firmware": _firmware_test, "client-version": _client_test, "group": _group_test}


# --------------------------------------------------------------------------- the rule

@dataclass(frozen=True)
class PolicyCheck:
    """The check function of a policy rule: a picklable callable (workers started by spawn
    receive it as it is)."""

    policy: Policy

    def __call__(self, subject: Any, ctx: Context) -> Iterator[Problem]:
        policy = self.policy
        if policy.workspace:
            seen: set = set()  # a member in two groups (a listing and a configuration) once
            for group in subject.groups:
                for problem in self._group(group):
                    key = (problem.path, problem.span, problem.anchor)
                    if key not in seen:
                        seen.add(key)
                        yield problem
            return
        if not isinstance(subject, ClientConfig) or not self._in_scope_config(subject):
            return
        yield from self._problems(Subject(subject), None)

    def _group(self, group) -> Iterator[Problem]:
        scope = self.policy.scope
        config = group.config
        path = config.path if config is not None else (
            group.status.path if group.status is not None else None)
        if scope.paths and (path is None or not self._path_in(path)):
            return
        if scope.groups and group.label not in scope.groups:
            return
        if scope.kinds and _kind(config) not in scope.kinds:
            return
        serials = tuple(scope.serials)
        if serials and not any(m.serial in serials for m in (*group.members, *group.standby)):
            return
        yield from self._problems(Subject(config, group, serials), path)

    def _in_scope_config(self, config: ClientConfig) -> bool:
        scope = self.policy.scope
        if scope.paths and not self._path_in(config.path):
            return False
        if scope.kinds and _kind(config) not in scope.kinds:
            return False
        return True

    def _path_in(self, path: str) -> bool:
        import os

        rel = os.path.relpath(os.path.abspath(path), self.policy.root).replace(os.sep, "/")
        return any(glob_match(g, rel) for g in self.policy.scope.paths)

    def _problems(self, subject: Subject, path: str | None) -> Iterator[Problem]:
        policy = self.policy
        if policy.when is not None and evaluate(policy.when, subject).state not in (
                PASS, UNKNOWN):
            return
        result = evaluate(policy.check, subject)
        seen = set()
        if result.state == FAIL:
            for e in result.failed:
                if (e.path, e.span, e.anchor) not in seen:
                    seen.add((e.path, e.span, e.anchor))
                    yield Problem(e.span, f"{policy.title}: {e.text}", anchor=e.anchor,
                                  path=e.path or (path if policy.workspace else None),
                                  related=e.related)
        elif result.state == UNKNOWN:
            level = min(policy.level, Level.WARNING)
            for e in result.unknown:
                if (e.path, e.span, e.anchor) not in seen:
                    seen.add((e.path, e.span, e.anchor))
                    yield Problem(e.span, f"{policy.title}: cannot be checked: {e.text}",
                                  anchor=e.anchor + "/unknown", level=level,
                                  path=e.path or (path if policy.workspace else None),
                                  related=e.related)


@record
class PolicyRule(Rule):
    """A rule written as data by the team running lunalint (``origin`` names the file)."""

    policy: Policy | None = opt(default=None, compare=False)
    portable: bool = True  # engine: send this rule itself to spawned workers

    @property
    def help_uri(self) -> str:
        return self.policy.link if self.policy is not None else ""

    @property
    def help_markdown(self) -> str:
        p = self.policy
        assert p is not None
        parts = [f"# {self.id}: {p.title}", "", f"**Default level:** `{self.level.label}`", "",
                 f"An organisation policy defined in `{p.origin}`.", ""]
        if p.why:
            parts += ["## Why", "", p.why, ""]
        parts += ["## What it checks", "", describe(p.check), ""]
        if p.when is not None:
            parts += [f"Only where {describe(p.when)}.", ""]
        scope = scope_text(p)
        if scope:
            parts += [f"**Scope:** {scope}.", ""]
        if p.link:
            parts += ["## Reference", "", f"- <{p.link}>", ""]
        parts += ["**Fix:** none (no mechanical fix: change the file so the policy holds, or "
                  "record an accepted exception with a waiver)."]
        return "\n".join(parts) + "\n"


def scope_text(p: Policy) -> str:
    s = p.scope
    bits = []
    for label, values in (("paths", s.paths), ("groups", s.groups), ("serials", s.serials),
                          ("kinds", s.kinds)):
        if values:
            bits.append(f"{label} {', '.join(f'`{v}`' for v in values)}")
    return "; ".join(bits)


def describe(check: Check) -> str:
    """The check in words (for --explain, rule pages and SARIF help)."""
    if check.kind in ("all", "any"):
        joiner = " and " if check.kind == "all" else " or "
        return "(" + joiner.join(describe(p) for p in check.parts) + ")"
    if check.kind == "not":
        return f"not {describe(check.parts[0])}"
    args = dict(check.args)
    if check.kind == "config":
        subject = f"`{args['key']}` in `{args['section']}`"
        for test in ("present", "absent"):
            if test in args:
                return f"{subject} is {'set' if test == 'present' else 'not set'}"
        words = {"equals": lambda v: f"is `{v}`",
                 "one-of": lambda v: "is one of " + ", ".join(f"`{x}`" for x in v),
                 "at-least": lambda v: f"is at least {_num(v)}",
                 "at-most": lambda v: f"is at most {_num(v)}",
                 "matches": lambda v: f"matches `{v}`"}
        return f"{subject} " + " and ".join(words[t](args[t]) for t in words if t in args)
    if check.kind in ("partition-policy", "hsm-policy"):
        table = PARTITION_POLICIES if check.kind == "partition-policy" else HSM_POLICIES
        what = check.kind.replace("-", " ")
        return "every member's " + ", ".join(
            f"{what} {n} ({table.get(n, 'by number')}) = {v}" for n, v in check.args)
    if check.kind in ("client-version", "firmware"):
        what = "the client version" if check.kind == "client-version" else "every member's firmware"
        return f"{what} is " + " and ".join(f"{k} {v}" for k, v in check.args)
    return "the group has " + ", ".join(f"{k} {v}" for k, v in check.args)


def rule_of(policy: Policy) -> PolicyRule:
    """The rule a policy stands for."""
    name = re.sub(r"[^a-z0-9]+", "-", policy.title.lower()).strip("-")[:60] or "policy"
    return PolicyRule(
        policy.id, name, policy.level, "workspace" if policy.workspace else "config",
        policy.title, policy.why or policy.title, policy.why or "An organisation policy.",
        "Change the file so the policy holds, or record an accepted exception with a waiver.",
        PolicyCheck(policy), tags=("policy",), precision="high", origin=f"policy {policy.origin}",
        basis=sources.OWN, basis_note="an organisation policy written by the team running "
                                      "lunalint", policy=policy)


def rules_of(policies: Iterable[Policy]) -> list[PolicyRule]:
    return [rule_of(p) for p in policies]


def unmatched_scopes(policies: Iterable[Policy], named: list[str],
                     linted: list[str]) -> list[str]:
    """One line per policy ``scope.paths`` glob that matches no file of the run, when the run
    covered the whole project (a glob for ``prod/**`` with no prod/ folder is a typo, not a
    pass): ``file:line: policy ID: scope glob 'x' matches no file linted; did you mean 'y'?``"""
    import difflib
    import os

    out = []
    for policy in policies:
        root = os.path.realpath(policy.root)
        if not any(os.path.isdir(p) and (os.path.realpath(p) == root or root.startswith(
                os.path.join(os.path.realpath(p), ""))) for p in named):
            continue
        rels = sorted({os.path.relpath(os.path.abspath(p), policy.root).replace(os.sep, "/")
                       for p in linted})
        lines = policy.scope.path_lines or (policy.line,) * len(policy.scope.paths)
        for glob, line in zip(policy.scope.paths, lines):
            if any(glob_match(glob, rel) for rel in rels):
                continue
            folders = sorted({"/".join(r.split("/")[:i]) + "/**" for r in rels
                              for i in range(1, r.count("/") + 1)} | set(rels))
            hint = difflib.get_close_matches(glob, folders, n=1, cutoff=0.5)
            out.append(f"{policy.source}:{line}: policy {policy.id}: scope glob "
                       f"{glob!r} matches no file linted"
                       + (f"; did you mean {hint[0]!r}?" if hint else ""))
    return out
