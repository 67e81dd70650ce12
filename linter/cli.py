"""Command line: ``lunalint [OPTIONS] [PATH ...]`` (RULES.md "Output contract").

Exit status: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or
configuration error, or a path that does not exist. Only the report goes to stdout; notices
and errors go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys

from lunalint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or configuration: exit 2 with this message."""


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("expected 0 (all cores) or a positive number")
    return n or (os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lunalint",
        description="Lint Thales Luna HSM client configurations (Chrystoki.conf, crystoki.ini) "
                    "and LunaCM/LunaSH captures for HA and key-policy mistakes.",
        epilog="Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or "
               "configuration error.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories to lint (default: the current directory)")
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                   help="report format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE, not stdout")
    p.add_argument("--config", metavar="FILE", help="configuration file (.lunalint.yaml)")
    p.add_argument("--select", action="append", type=_csv, default=[], metavar="RULES",
                   help="only these rules or prefixes, comma-separated (e.g. HA,SYN001)")
    p.add_argument("--ignore", action="append", type=_csv, default=[], metavar="RULES",
                   help="skip these rules or prefixes, comma-separated")
    p.add_argument("--fail-on", choices=("error", "warning", "note", "never"), default=None,
                   help="lowest level that makes the exit status 1 (default: warning)")
    p.add_argument("--include-suppressed", action="store_true",
                   help="also show suppressed findings, marked as such")
    p.add_argument("--no-inline-suppressions", action="store_true",
                   help="audit mode: ignore `# lunalint: ignore[...]` directives in files")
    p.add_argument("--baseline", metavar="FILE", help="hide findings recorded in FILE")
    p.add_argument("--write-baseline", metavar="FILE", help="record current findings in FILE")
    p.add_argument("--category", default="", metavar="NAME",
                   help="SARIF automationDetails.id suffix (lunalint/NAME)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour in text output (auto: only on a terminal, never with NO_COLOR)")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    p.add_argument("--explain", metavar="RULE", help="print a rule's full help and exit")
    p.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: all cores for many files, 1 for a few; "
                        "0 means all cores)")
    p.add_argument("--version", action="version", version=f"lunalint {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except UsageError as error:
        print(f"lunalint: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def select_rules(registry, select: list[str], ignore: list[str]) -> list:
    """Rules whose id matches a ``select`` prefix (default: all) and no ``ignore`` prefix."""
    ids = [r.id for r in registry.sorted()]
    for word in select + ignore:
        if word.upper() != "ALL" and not any(i.startswith(word.upper()) for i in ids):
            raise UsageError(f"unknown rule or rule prefix {word!r} (see --list-rules)")

    def matches(rule_id: str, patterns: list[str]) -> bool:
        return any(p.upper() == "ALL" or rule_id.startswith(p.upper()) for p in patterns)

    chosen = [r for r in registry.sorted() if not select or matches(r.id, select)]
    return [r for r in chosen if not matches(r.id, ignore)]


def _run(args: argparse.Namespace) -> int:
    from lunalint.registry import load_registry

    registry = load_registry()
    for notice in registry.notices:
        print(f"lunalint: warning: {notice}", file=sys.stderr)
    if args.list_rules:
        _write(_rule_table(registry), args.output)
        return EXIT_OK
    if args.explain:
        rule = registry.get(args.explain)
        if rule is None:
            raise UsageError(f"unknown rule {args.explain!r} (see --list-rules)")
        _write(rule.help_markdown, args.output)
        return EXIT_OK
    cfg = _settings(args, registry)
    cli_select = [w for ws in args.select for w in ws]
    # --select on the command line replaces the file's select and ignore; --ignore adds.
    rules = select_rules(registry, cli_select or list(cfg.select),
                         [w for ws in args.ignore for w in ws]
                         + ([] if cli_select else list(cfg.ignore)))
    from lunalint import engine, suppress
    from lunalint.findings import Level
    from lunalint.reporters import Report, renderer

    paths = args.paths or ["."]
    # A missing path is a usage error (exit 2), but the paths that exist are still linted.
    filtered = bool(cfg.include or cfg.exclude)
    kinds = bool(cfg.config_globs or cfg.export_globs)
    result = engine.lint(paths, rules, jobs=args.jobs, missing_ok=True,
                         facts=_facts(cfg),
                         accept=cfg.accepts if filtered else None,
                         kind_of=cfg.kind_of if kinds else None,
                         root=_project_root(cfg))
    # Levels first, so a waiver or directive hides a finding whatever its level; then
    # suppressions, which add their own findings (LUNALINT-SUP*).
    result.findings = suppress.apply(
        suppress.apply_levels(result.findings, cfg.levels), result.documents, cfg,
        known=registry.rules, selected={r.id for r in rules},
        inline=not args.no_inline_suppressions,
        settings_path=suppress.display(cfg.source) if cfg.source else "")
    result.findings = suppress.apply_levels(result.findings, cfg.levels)
    fixed = _baseline(args, result, _project_root(cfg))
    if result.missing:
        missing = ", ".join(result.missing)
        if len(result.missing) == len(paths):
            raise UsageError(f"no such file or directory: {missing}")
        print(f"lunalint: error: no such file or directory: {missing}", file=sys.stderr)
    for notice in result.notices:
        print(f"lunalint: warning: {notice}", file=sys.stderr)
    for path in result.skipped:
        print(f"lunalint: warning: {path}: not recognised as a Luna client configuration or "
              "capture; skipped", file=sys.stderr)
    shown = [f for f in result.findings if f.suppression is None or args.include_suppressed]
    color = _color(args)
    report = Report(shown, len(result.documents),
                    suppressed=sum(1 for f in result.findings if f.suppression is not None),
                    rules=rules, notices=registry.notices + result.notices,
                    srcroot=_srcroot(), category=args.category, color=color, fixed=fixed)
    _write(renderer(args.format)(report), args.output)
    if result.missing:
        return EXIT_USAGE
    fail_on = args.fail_on or cfg.fail_on or "warning"
    if fail_on == "never":
        return EXIT_OK
    threshold = Level.parse(fail_on)
    failing = any(f.level >= threshold for f in shown if f.suppression is None)
    return EXIT_FINDINGS if failing else EXIT_OK


def _settings(args: argparse.Namespace, registry):
    """The configuration file's settings (``--config``, else the one found from the cwd)."""
    from lunalint import settings, suppress

    path = args.config or settings.find_config()
    if path is None:
        return settings.Settings()
    try:
        return settings.load(path, list(registry.rules), explicit=bool(args.config),
                             display=suppress.display(path))
    except settings.ConfigError as error:
        raise UsageError(str(error)) from None


def _color(args: argparse.Namespace) -> bool:
    if args.format != "text" or args.output:
        return False
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _facts(cfg) -> dict | None:
    """What rules may read of the configuration file's ``facts``."""
    facts: dict = {}
    if cfg.facts:
        facts["file_facts"] = cfg
    if cfg.firmware:
        facts["firmware"] = list(cfg.firmware)
    return facts or None


def _baseline(args: argparse.Namespace, result, root: str) -> list[str]:
    """Write and/or apply a baseline; returns the baseline entries no longer found."""
    from lunalint import baseline

    if args.write_baseline:
        try:
            count = baseline.write(args.write_baseline, result.findings, root)
        except OSError as error:
            raise UsageError(f"cannot write {args.write_baseline}: "
                             f"{error.strerror or error}") from None
        print(f"lunalint: recorded {count} finding{'s' if count != 1 else ''} in "
              f"{args.write_baseline}", file=sys.stderr)
    source = args.baseline or args.write_baseline
    if not source:
        return []
    try:
        known = baseline.load(source)
    except baseline.BaselineError as error:
        raise UsageError(str(error)) from None
    result.findings, fixed = baseline.apply(result.findings, known, root, source,
                                            [doc.path for doc in result.documents])
    return fixed


def _project_root(cfg) -> str:
    """Where the workspace is read from: the directory holding the configuration file, else
    the git work tree, else the current directory."""
    if cfg.source:
        return os.path.dirname(os.path.abspath(cfg.source))
    return _srcroot()


def _srcroot() -> str:
    """The directory SARIF URIs are relative to: the git work tree, else the current one."""
    here = os.path.abspath(os.getcwd())
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


def _rule_table(registry) -> str:
    rows = [("ID", "LEVEL", "NAME", "DESCRIPTION")]
    rows += [(r.id, r.level.label, r.name, r.summary) for r in registry.sorted()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}\n"
                   for a, b, c, d in rows)


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {output}: {error.strerror or error}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
