"""``lunalint test [PATH]``: run each rule's or policy's example cases and print a pass/fail
table; exit 1 when a case fails, 2 on a usage error.

PATH is a folder of case folders named by rule id (default: ``policies/tests`` next to the
configuration file, else in the current directory)::

    policies/tests/
      ACME101/
        expected.yaml        # what each bad case must give, exactly
        bad/  or bad-*.conf   # a folder (a small project) or a single file
        good/ or good-*.conf  # must give no finding of ACME101

``expected.yaml`` maps each ``bad`` case to its findings: a list of ``{rule, line}`` with
optional ``column``, ``level`` and ``path`` (relative to a folder case)::

    bad:
      - {rule: ACME101, line: 12, path: prod/Chrystoki.conf}

The built-in rules' fixtures (``tests/fixtures/rules``) have the same layout and run through
the same harness. Each case is linted alone, as a project of its own (nothing around it gives
context), with only the rule its folder names, through the same pipeline as ``lunalint``:
the configuration's levels, facts and inline suppressions apply; its include/exclude and
select/ignore do not. A policy's ``scope.paths`` globs are matched relative to the case
folder, which stands for the project root.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass

FIELDS = ("rule", "line", "column", "level", "path")


@dataclass
class Case:
    rule: str
    name: str
    ok: bool
    detail: str


def main(argv: list[str]) -> int:
    from lunalint.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, _say

    parser = argparse.ArgumentParser(
        prog="lunalint test",
        description="Run each rule's or policy's example cases (<ID>/bad*, <ID>/good*, "
                    "<ID>/expected.yaml) and print a pass/fail table.")
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="folder of <ID>/ case folders, or one <ID>/ folder (default: "
                             "policies/tests next to the configuration file)")
    parser.add_argument("--config", metavar="FILE", help="configuration file defining the "
                                                         "policies (default: found from PATH)")
    args = parser.parse_args(argv)
    try:
        cases, errors = run(args.path, args.config)
    except UsageProblem as error:
        _say("error", str(error))
        return EXIT_USAGE
    for problem in errors:
        _say("error", problem)
    sys.stdout.write(table(cases))
    if errors:
        return EXIT_USAGE
    return EXIT_FINDINGS if any(not c.ok for c in cases) else EXIT_OK


class UsageProblem(Exception):
    pass


def run(path: str | None, config: str | None) -> tuple[list[Case], list[str]]:
    """Every case under ``path`` with its verdict, and the configuration's policy errors."""
    from lunalint import settings, suppress
    from lunalint.registry import load_registry

    registry = load_registry()
    start = path if path and os.path.isdir(path) else None
    source = config or settings.find_config(os.path.abspath(start) if start else None)
    cfg = settings.Settings()
    if source is not None:
        try:
            cfg = settings.load(source, list(registry.rules), explicit=bool(config),
                                display=suppress.display(source))
        except settings.ConfigError as error:
            raise UsageProblem(str(error)) from None
    if path is None:
        base = os.path.dirname(os.path.abspath(source)) if source else os.getcwd()
        path = os.path.join(base, "policies", "tests")
    if not os.path.isdir(path):
        raise UsageProblem(f"{path}: no such folder of test cases (<ID>/bad*, <ID>/good*)")
    folders = [path] if _is_case_folder(path) else [
        os.path.join(path, name) for name in sorted(os.listdir(path))
        if os.path.isdir(os.path.join(path, name)) and not name.startswith(".")]
    cases: list[Case] = []
    for folder in folders:
        cases += _folder(folder, registry, cfg)
    return cases, list(cfg.policy_errors)


def _is_case_folder(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "expected.yaml")) or any(
        name.startswith(("bad", "good")) for name in os.listdir(path))


def _folder(folder: str, registry, cfg) -> list[Case]:
    rule_id = os.path.basename(os.path.abspath(folder)).upper()
    items = sorted(name for name in os.listdir(folder) if name.startswith(("bad", "good")))
    rule = registry.get(rule_id)
    policy = next((p for p in cfg.policies if p.id == rule_id), None)
    if rule is None and policy is None:
        return [Case(rule_id, "-", False, "no rule or policy has this id (see --list-rules)")]
    if not items:
        return [Case(rule_id, "-", False, "no cases: add bad* and good* files or folders")]
    expected, problem = _expected(folder)
    out = []
    for name in items:
        if problem:
            out.append(Case(rule_id, name, False, problem))
            continue
        want = expected.get(name)
        if name.startswith("bad") and not want:
            out.append(Case(rule_id, name, False, "no findings declared for it in "
                                                  "expected.yaml"))
            continue
        try:
            got = _lint(os.path.join(folder, name), rule_id, registry, cfg, policy)
        except Exception as error:  # a case that breaks the linter fails, the rest still run
            out.append(Case(rule_id, name, False, f"{type(error).__name__}: {error}"))
            continue
        out.append(_verdict(rule_id, name, got, want or []))
    return out


def _expected(folder: str) -> tuple[dict, str]:
    path = os.path.join(folder, "expected.yaml")
    if not os.path.isfile(path):
        return {}, ""
    from lunalint.settings.loader import ConfigError, _load_yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data, _lines = _load_yaml(handle.read(), path)
    except (OSError, UnicodeDecodeError, ConfigError) as error:
        return {}, f"expected.yaml: {error}"
    if not isinstance(data, dict):
        return {}, "expected.yaml must map each bad case to a list of {rule, line}"
    for name, items in data.items():
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and "rule" in i and "line" in i for i in items):
            return {}, f"expected.yaml: {name}: each finding needs at least rule and line"
    return data, ""


def _lint(target: str, rule_id: str, registry, cfg, policy) -> list[dict]:
    from lunalint import pipeline

    case_root = target if os.path.isdir(target) else os.path.dirname(target)
    rule = registry.get(rule_id)
    if policy is not None:  # its scope globs are relative to the case, the project here
        from lunalint.rules.custom import rule_of

        rule = rule_of(dataclasses.replace(policy, root=os.path.abspath(case_root)))
    here = dataclasses.replace(cfg, include=(), exclude=(), select=(), ignore=(),
                               root=os.path.abspath(case_root))
    options = pipeline.Options([os.path.abspath(target)], [rule], here,
                               known_rules={**registry.rules, rule.id: rule}, jobs=1,
                               cwd=os.path.abspath(case_root), cache=False, isolated=True)
    outcome = pipeline.run(options)
    return [{"rule": f.rule, "line": f.span.line, "column": f.span.column,
             "level": f.level.label, "path": f.path}
            for f in outcome.findings if f.rule == rule_id and f.suppression is None]


def _verdict(rule_id: str, name: str, got: list[dict], want: list[dict]) -> Case:
    def key(item: dict, like: dict) -> tuple:
        return tuple(str(item.get(k)) for k in FIELDS if k in like)

    missing = []
    left = list(got)
    for item in want:
        match = next((g for g in left if key(g, item) == key(item, item)), None)
        if match is None:
            missing.append(item)
        else:
            left.remove(match)
    if not missing and not left:
        n = len(got)
        return Case(rule_id, name, True, f"{n} finding{'s' if n != 1 else ''} as declared"
                    if n else "no finding")
    bits = []
    if missing:
        bits.append("missing " + "; ".join(_where(m) for m in missing))
    if left:
        bits.append("unexpected " + "; ".join(_where(g) for g in left))
    return Case(rule_id, name, False, ", ".join(bits))


def _where(item: dict) -> str:
    place = f"{item['path']}:" if item.get("path") else "line "
    col = f":{item['column']}" if item.get("column") and item.get("path") else ""
    return f"{item['rule']} at {place}{item['line']}{col}"


def table(cases: list[Case]) -> str:
    from lunalint.reporters import neutralise

    rows = [("RULE", "CASE", "RESULT", "DETAIL")]
    rows += [(c.rule, c.name, "pass" if c.ok else "FAIL", c.detail) for c in cases]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip()
             for a, b, c, d in rows]
    failed = sum(1 for c in cases if not c.ok)
    lines.append(f"{len(cases) - failed} of {len(cases)} cases passed"
                 + (f", {failed} failed." if failed else "."))
    return "\n".join(neutralise(line) for line in lines) + "\n"
