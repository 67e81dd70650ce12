"""Command line: ``lunalint [OPTIONS] [PATH ...]`` (output contract: README.md).

Exit status: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or
configuration error, a path that does not exist, or a report that could not be written. Only
the report goes to stdout; notices and errors go to stderr, one line each, through
``reporters.neutralise`` (a path or a plugin's message never carries a control character to
the terminal or the CI log).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from lunalint import record as records
from lunalint import __version__
from lunalint.reporters import AUDIT_FORMATS, FORMATS

TYPE_CHECKING = False  # (argparse is imported only for what the quick reading leaves to it)
if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or configuration: exit 2 with this message."""


def _say(kind: str, text: str) -> None:
    """One line on stderr (``lunalint: KIND: TEXT``, or ``lunalint: TEXT`` with no kind),
    made safe for a terminal or CI log."""
    from lunalint.reporters import neutralise

    head = f"lunalint: {kind}: " if kind else "lunalint: "
    try:
        print(head + neutralise(text), file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):  # stderr closed: nobody is listening
        pass


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing ``shutil`` (argparse builds a
    help formatter for every option it adds, and shutil with its archive modules costs a
    run of one file more than its help text ever needs)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    try:
        lines = int(os.environ["LINES"])
    except (KeyError, ValueError):
        lines = 0
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((80, 24))
        if columns <= 0:
            columns = size.columns or 80
    return columns


def _parser_class():
    import argparse

    class _Parser(argparse.ArgumentParser):
        def _get_formatter(self):
            return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)

        def error(self, message: str):  # argparse echoes what was typed: neutralise it
            # One line saying what is wrong, and where to read more (as ruff does), not the
            # whole usage block.
            from lunalint.reporters import neutralise

            self.exit(EXIT_USAGE, f"{self.prog}: error: {neutralise(message)}\n"
                                  f"For more information, try '--help'.\n")

    return _Parser


def _bad_value(message: str) -> Exception:
    """argparse's error for an option value it cannot take (argparse is imported only then)."""
    import argparse

    return argparse.ArgumentTypeError(message)


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise _bad_value(f"expected a number of processes, got {value!r}") from None
    if n < 0:
        raise _bad_value("expected 0 (all cores) or a positive number")
    return n or (os.cpu_count() or 1)


def _report(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition(":")
    if not sep or not path:
        raise _bad_value(f"expected FORMAT:FILE, got {value!r}")
    if fmt not in FORMATS:
        raise _bad_value(
            f"unknown format {fmt!r} in {value!r} (choose from {', '.join(FORMATS)})")
    return fmt, path


_VERSION_SHAPE = r"^[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}$"


def _version(value: str) -> str:
    import re

    if not re.match(_VERSION_SHAPE, value.strip()):
        raise _bad_value(f"expected a version like 7.9.0, got {value!r}")
    return value.strip()


def _target_firmware(value: str) -> tuple[str, str]:
    serial, sep, version = value.rpartition("=")
    if sep and not serial.strip():
        raise _bad_value(f"expected VERSION or SERIAL=VERSION, got {value!r}")
    return (serial.strip() if sep else "*"), _version(version)


_DESCRIPTION = ("Lint Thales Luna HSM client configurations (Chrystoki.conf, crystoki.ini) "
                "and LunaCM/LunaSH captures for HA and key-policy mistakes.")
_EPILOG = ("Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or "
           "configuration error.")
_PATHS = dict(nargs="*", metavar="PATH",
              help="files or directories to lint (default: the current directory); "
                   "`-` reads standard input")
# The options, in the order of --help: what argparse is given (build_parser), and what the
# quick reading of a plain command line (_quick_args) follows.
OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("--stdin-filename",), dict(
        metavar="PATH",
        help="lint standard input (`-`) as if it were the file PATH: its kind, "
             "its path in findings, its project for linking")),
    (("--format", "--output-format"), dict(
        choices=FORMATS, default="text",
        help="report format (default: text); html is a self-contained audit page, "
             "markdown a summary for $GITHUB_STEP_SUMMARY")),
    (("--output", "-o"), dict(
        metavar="FILE",
        help="write the report to FILE, not stdout (the summary goes to stderr)")),
    (("--report",), dict(
        action="append", type=_report, default=[], metavar="FORMAT:FILE",
        help="also write a report in FORMAT to FILE, from the same run; repeatable "
             "(e.g. --report sarif:lunalint.sarif)")),
    (("--config",), dict(
        metavar="FILE",
        help="configuration file to use (.lunalint.yaml or pyproject.toml) instead of "
             "the one found; it chooses the settings only, never the project root "
             "(that stays the folder of the .lunalint.yaml found from the paths, else "
             "their git work tree)")),
    (("--select",), dict(
        action="append", type=_csv, default=[], metavar="RULES",
        help="only these rules or prefixes, comma-separated (e.g. HA,SYN001)")),
    (("--ignore",), dict(
        action="append", type=_csv, default=[], metavar="RULES",
        help="skip these rules or prefixes, comma-separated")),
    (("--fail-on",), dict(
        choices=("error", "warning", "note", "never"), default=None,
        help="lowest level that makes the exit status 1 (default: warning)")),
    (("--exit-zero",), dict(
        action="store_true",
        help="exit 0 even when there are findings (same as --fail-on never)")),
    (("--statistics",), dict(
        action="store_true",
        help="print how many findings each rule reported (text or json), not the "
             "findings")),
    (("--skip-unrecognised",), dict(
        action="store_true",
        help="list named files that are not Luna files as skipped (one line on "
             "stderr) instead of failing when nothing else was named; what the "
             "pre-commit hooks use, as they name every file walking would read")),
    (("--quiet", "-q"), dict(
        action="store_true",
        help="print only the findings, no summary")),
    (("--include-suppressed",), dict(
        action="store_true",
        help="also show suppressed findings, marked as such")),
    (("--no-inline-suppressions",), dict(
        action="store_true",
        help="audit mode: ignore `# lunalint: ignore[...]` directives in files")),
    (("--baseline",), dict(metavar="FILE", help="hide findings recorded in FILE")),
    (("--write-baseline",), dict(metavar="FILE", help="record current findings in FILE")),
    (("--category",), dict(
        default="", metavar="NAME",
        help="SARIF automationDetails.id suffix (lunalint/NAME)")),
    (("--color",), dict(
        choices=("auto", "always", "never"), default="auto",
        help="colour in text output (auto: on a terminal unless TERM=dumb; never "
             "with NO_COLOR; always with FORCE_COLOR)")),
    (("--no-color",), dict(
        dest="color", action="store_const", const="never",
        help="no colour (same as --color never)")),
    (("--list-rules",), dict(
        action="store_true",
        help="list the rules (those --select/--ignore choose) and exit; "
             "text or json")),
    (("--explain",), dict(metavar="RULE", help="print a rule's full help and exit")),
    (("--fix",), dict(
        action="store_true",
        help="apply safe fixes to the files in place, then report what remains")),
    (("--unsafe-fixes",), dict(
        action="store_true",
        help="with --fix or --diff: also apply fixes that may change how the Luna "
             "client behaves")),
    (("--diff",), dict(
        action="store_true",
        help="print a unified diff of what --fix would change and change nothing; "
             "exit 1 when there is something to change")),
    (("--show-fixes",), dict(
        action="store_true",
        help="with --fix or --diff: list each fix made (on stderr)")),
    (("--jobs", "-j"), dict(
        type=_jobs, default=None, metavar="N",
        help="processes that check files (default: one below 1 MB of input, "
             "up to all cores above; 0 means all cores)")),
    (("--no-cache",), dict(
        action="store_true",
        help="do not read or write the result cache (.lunalint_cache/ at the project "
             "root, or LUNALINT_CACHE_DIR)")),
    (("--target-firmware",), dict(
        action="append", type=_target_firmware, default=[],
        metavar="[SERIAL=]VERSION",
        help="what-if: check versions (VER201-205, version policies) as if every "
             "member (or member SERIAL) ran this firmware; repeatable")),
    (("--target-client",), dict(
        type=_version, metavar="VERSION",
        help="what-if: check versions as if every client ran this HSM Client")),
    (("--version",), dict(action="version", version=f"lunalint {__version__}")),
)


def build_parser() -> argparse.ArgumentParser:
    p = _parser_class()(prog="lunalint", allow_abbrev=False, description=_DESCRIPTION,
                        epilog=_EPILOG)
    p.add_argument("paths", **_PATHS)
    for flags, spec in OPTIONS:
        p.add_argument(*flags, **spec)
    return p


def _dest(flags: tuple[str, ...], spec: dict) -> str:
    """The attribute an option sets, named as argparse names it."""
    if "dest" in spec:
        return spec["dest"]
    name = next((f for f in flags if f.startswith("--")), flags[0])
    return name.lstrip("-").replace("-", "_")


def _quick_args(words: list[str]):
    """What ``build_parser().parse_args(words)`` gives, for a plain command line (options,
    then paths), read without argparse, whose import and parser cost a run of one file about
    a tenth of its time (issue 21); None for anything else (help, version, an unknown or
    abbreviated option, a value that starts with `-` or that argparse would refuse, `--`,
    short options run together, an option after a path): argparse reads those as before,
    errors included. tests/test_cli_quick_args.py checks both agree."""
    from types import SimpleNamespace

    table, values = {}, {"paths": []}
    for flags, spec in OPTIONS:
        action = spec.get("action", "store")
        if action == "version":
            continue
        dest = _dest(flags, spec)
        for flag in flags:
            table[flag] = (dest, action, spec)
        default = spec.get("default", False if action == "store_true" else None)
        values.setdefault(dest, list(default) if isinstance(default, list) else default)
    paths = values["paths"]
    i = 0
    while i < len(words):
        word = words[i]
        if paths or word == "-" or not word.startswith("-"):
            if word.startswith("-") and word != "-":
                return None  # an option after a path: argparse says what it makes of it
            paths.append(word)
            i += 1
            continue
        name, eq, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        entry = table.get(name)
        if entry is None:
            return None
        dest, action, spec = entry
        if action in ("store_true", "store_const"):
            if eq:
                return None
            values[dest] = True if action == "store_true" else spec["const"]
            i += 1
            continue
        if eq:
            value = attached
            i += 1
        elif i + 1 < len(words):
            value = words[i + 1]
            i += 2
        else:
            return None
        if not value or value.startswith("-"):
            return None
        convert = spec.get("type")
        if convert is not None:
            try:
                value = convert(value)
            except Exception:  # noqa: BLE001 - argparse reports it (or fails) as it always did
                return None
        if "choices" in spec and value not in spec["choices"]:
            return None
        if action == "append":
            values[dest].append(value)
        else:
            values[dest] = value
    return SimpleNamespace(**values)


def _quiet_collector() -> tuple[int, ...]:
    """The cyclic garbage collector, tuned for a run: what start-up built (modules, rules) is
    frozen out of its scans, and it runs less often. A run keeps hundreds of thousands of
    small objects alive (findings, facts, linked records) and frees little; with the default
    thresholds, full collections rescanning all of them took about a fifth of the CPU of a
    1,200-site estate (issue 21). Memory is unchanged (measured: peak 132 MB either way)."""
    import gc

    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return before


def main(argv: list[str] | None = None) -> int:
    import gc

    before = _quiet_collector()
    try:
        return _main(argv)
    finally:  # a caller that runs main() in its own process gets its collector back
        gc.set_threshold(*before)
        gc.unfreeze()


def _main(argv: list[str] | None) -> int:
    _tolerant_streams()
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["test"]:  # `lunalint test [PATH]`; a folder called test: `./test`
        from lunalint.policytest import main as test_main

        return test_main(words[1:])
    if words[:1] == ["server"]:  # `lunalint server`: a folder named so is `./server`
        return _server(words[1:])
    args = _quick_args(words)
    try:
        if args is None:
            args = build_parser().parse_args(words)
    except BrokenPipeError:  # --help or --version into a closed pipe
        _stdout_gone()
        return EXIT_USAGE
    broken = missing_dependency()
    if broken is not None:  # before any file is read: a broken install is not a finding
        _say("error", broken)
        return EXIT_USAGE
    try:
        return _run(args)
    except UsageError as error:
        _say("error", str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _server(argv: list[str]) -> int:
    """``lunalint server``: the language server (``lunalint.server``), from the optional
    ``lunalint[server]`` extra; without it, one line saying how to install it."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        _say("error", "`lunalint server` needs the server extra: pip install 'lunalint[server]'")
        return EXIT_USAGE
    from lunalint.server import main as serve

    return serve(argv)


# The run-time dependencies: (module, distribution to install, a file of the real package).
DEPENDENCIES = (("lark", "lark", "lark.py"), ("yaml", "PyYAML", "loader.py"))


def missing_dependency() -> str | None:
    """One line naming a run-time dependency that is missing or is not the real package (a
    stray ``yaml.py`` on PYTHONPATH), and how to install it; None when both are there.

    Only looks (``find_spec`` and one ``stat``): a normal run imports neither module unless
    it needs it (cold start), and a shadowing module must not run before this check."""
    import importlib.util

    for module, dist, marker in DEPENDENCIES:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as error:
            spec, why = None, f"it cannot be found ({type(error).__name__}: {error})"
        else:
            why = "it is not installed"
        if spec is not None:
            places = list(spec.submodule_search_locations or [])
            if places and any(os.path.isfile(os.path.join(d, marker)) for d in places):
                continue
            where = spec.origin or (places[0] if places else "?")
            why = f"the module found at {where} is not the {dist} package (broken or shadowed)"
        return (f"lunalint needs the Python module '{module}' ({dist}), but {why}; install it "
                f"with `{os.path.basename(sys.executable) or 'python'} -m pip install "
                f"'{dist}'` in the environment lunalint runs from ({sys.prefix}), or reinstall "
                "lunalint with its dependencies")
    return None


def _tolerant_streams() -> None:
    """A stdout or stderr that cannot encode a character (``LANG=C``, ``PYTHONIOENCODING=
    ascii``) gets ``?`` for it instead of raising: the report is never lost to an encoding."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (OSError, ValueError):
                pass


def _stdout_gone() -> None:
    """After a failed write to stdout: point it at the null device, so the interpreter's own
    flush at exit does not fail again with a traceback."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass


def select_rules(registry, select: list[str], ignore: list[str]) -> list:
    """Rules whose id matches a ``select`` prefix (default: all) and no ``ignore`` prefix."""
    ids = [r.id for r in registry.sorted()]
    for word in select + ignore:
        if word.upper() != "ALL" and not any(i.startswith(word.upper()) for i in ids):
            raise UsageError(f"unknown rule or rule prefix {word!r}{_did_you_mean(word, ids)} "
                             "(see --list-rules)")

    def matches(rule_id: str, patterns: list[str]) -> bool:
        return any(p.upper() == "ALL" or rule_id.startswith(p.upper()) for p in patterns)

    chosen = [r for r in registry.sorted() if not select or matches(r.id, select)]
    return [r for r in chosen if not matches(r.id, ignore)]


def _did_you_mean(word: str, ids: list[str]) -> str:
    """``; did you mean 'HA101'?`` for a mistyped rule id or prefix (``HA1O1``, ``ha101``,
    ``SYN01``), else nothing."""
    import difflib

    prefixes = sorted({i.rstrip("0123456789") for i in ids} | {i.split("-")[0] for i in ids})
    typed = word.upper()
    # Letters typed for the digits they look like (HA1O1, SYNOO1, HAl01) first.
    digits = typed[:2] + typed[2:].translate(str.maketrans("OIL", "011"))
    if digits != typed and (digits in ids or digits in prefixes):
        return f"; did you mean {digits!r}?"
    close = difflib.get_close_matches(typed, ids, n=1, cutoff=0.6) \
        or difflib.get_close_matches(typed, prefixes, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _run(args: argparse.Namespace) -> int:
    from lunalint.registry import load_registry

    registry = load_registry()
    for notice in registry.notices:
        _say("warning", notice)
    if args.list_rules or args.explain:  # organisation policies are listed like rules
        try:
            registry.add_policies(_settings(args, registry).policies)
        except UsageError as error:
            _say("warning", f"{error} (organisation policies not listed)")
    if args.list_rules:
        if args.format not in ("text", "json"):
            raise UsageError("--list-rules prints text or json, not " + args.format)
        chosen = select_rules(registry, [w for ws in args.select for w in ws],
                              [w for ws in args.ignore for w in ws])
        _write(_rule_json(chosen) if args.format == "json" else _rule_table(chosen), args.output)
        return EXIT_OK
    if args.explain:
        rule = registry.get(args.explain)
        if rule is None:
            ids = [r.id for r in registry.sorted()]
            raise UsageError(f"unknown rule {args.explain!r}{_did_you_mean(args.explain, ids)} "
                             "(see --list-rules)")
        _write(rule.help_markdown, args.output)
        return EXIT_OK
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError("--statistics prints text or json, not " + args.format)
    fixing = args.fix or args.diff
    if (args.unsafe_fixes or args.show_fixes) and not fixing:
        raise UsageError("--unsafe-fixes and --show-fixes go with --fix or --diff")
    if fixing and (args.write_baseline or args.statistics):
        raise UsageError("--fix and --diff cannot be combined with --write-baseline or "
                         "--statistics")
    targets = [args.output] + [path for _fmt, path in args.report]
    named = [os.path.abspath(t) for t in targets if t]
    if len(set(named)) != len(named):
        raise UsageError("two reports would be written to the same file")
    paths, stdin = _stdin(args)
    if (args.fix or args.diff) and stdin is not None:
        raise UsageError("--fix and --diff edit files on disk; standard input (`-`) cannot be "
                         "fixed")
    found, root, base = _where(paths, stdin)
    cfg = records.replace(_settings(args, registry, stdin, (found, base)), shown_from=base)
    registry.add_policies(cfg.policies)
    for problem in cfg.policy_errors:  # the bad policy is dropped; everything else runs
        _say("error", problem)
    # Named paths are absolute from here on, and every path shown is relative to ``base``
    # (the project root, else the folder named), so no report depends on the working directory.
    typed = {_absolute(p): p for p in paths if p != "-"}
    paths = [p if p == "-" else _absolute(p) for p in paths]
    if stdin is not None and stdin[1] != "-":
        stdin = (stdin[0], os.path.abspath(stdin[1]))
    cli_select = [w for ws in args.select for w in ws]
    # --select on the command line replaces the file's select and ignore; --ignore adds.
    rules = select_rules(registry, cli_select or list(cfg.select),
                         [w for ws in args.ignore for w in ws]
                         + ([] if cli_select else list(cfg.ignore)))
    from lunalint import pipeline
    from lunalint.findings import Level
    from lunalint.reporters import Report, statistics_renderer, streamer, summary_line

    inputs = [*paths, *filter(None, (cfg.source, args.baseline))]
    outputs = [t for t in targets if t]
    from lunalint import confine, writeout

    guard = [root or confine.project_root(cfg.source) or os.getcwd()]
    # Refuse before anything runs, so nothing is written (no fix, no report) when one target
    # cannot be: a link, something not a regular file, a file read as input.
    for output in outputs:
        _refuse_input(output, inputs)
        _check_write(output, guard, writeout.input_ids(inputs), "a report")
    if args.write_baseline:
        _check_write(args.write_baseline, guard,
                     writeout.input_ids([p for p in inputs if p != args.baseline]),
                     "a baseline")
    options = pipeline.Options(
        paths, rules, cfg, known_rules=registry.rules, jobs=args.jobs,
        inline_suppressions=not args.no_inline_suppressions, baseline=args.baseline,
        write_baseline=args.write_baseline, cache=not args.no_cache,
        audit=any(f in AUDIT_FORMATS for f in [args.format, *(f for f, _ in args.report)]),
        what_if=_what_if(args), cwd=base, project=root, project_given=True,
        exact_fixes=fixing)
    if stdin is not None:
        options.stdin, options.stdin_path = stdin
    fixed = None
    try:
        if fixing:
            from lunalint import fix

            fixed = fix.run(options, unsafe=args.unsafe_fixes, write=not args.diff)
            outcome = fixed.outcome
        else:
            outcome = pipeline.run(options)
    except pipeline.PipelineError as error:
        raise UsageError(str(error)) from None
    if fixed is not None:
        _tell_fixes(fixed, args.show_fixes, "would fix" if args.diff else "fixed")
        if args.diff:
            _write(fixed.diff(), args.output, [outcome.root or os.getcwd()],
                   writeout.input_ids(inputs + pipeline.inputs_read(options, outcome)))
            if not args.quiet:
                _hint_fixable(fixed.outcome, True, args.unsafe_fixes, diff=True)
            if outcome.missing:
                return EXIT_USAGE
            return EXIT_FINDINGS if fixed.changed and not args.exit_zero else EXIT_OK
    if outcome.baseline_written is not None:
        count = outcome.baseline_written
        _say("", f"recorded {count} finding{'s' if count != 1 else ''} in "
                 f"{args.write_baseline}")
    # A missing path is a usage error (exit 2), but the paths that exist are still linted.
    if outcome.missing:
        missing = ", ".join(typed.get(m, m) for m in outcome.missing)
        if len(outcome.missing) == len(paths):
            raise UsageError(f"no such file or directory: {missing}")
        _say("error", f"no such file or directory: {missing}")
    for notice in outcome.notices:
        _say("warning", notice)
    if cfg.policies:
        from lunalint.rules.custom import unmatched_scopes

        for notice in unmatched_scopes(cfg.policies, paths,
                                       [d.path for d in outcome.documents]):
            _say("warning", notice)
    passed_over = list(outcome.unused)
    if args.skip_unrecognised:
        passed_over += outcome.skipped
        outcome.skipped = []
    if passed_over:  # one line, even with --quiet: a named file is never dropped silently
        n = len(passed_over)
        _say("", f"skipped {n} named file{'s' if n != 1 else ''} with no Luna client "
                 f"configuration or capture in {'them' if n != 1 else 'it'}: "
                 + ", ".join(passed_over))
    if outcome.skipped and not outcome.documents and not outcome.missing:
        # Nothing else was linted: "No problems found in 0 files" would be a false all-clear.
        raise UsageError(f"{', '.join(outcome.skipped)}: not recognised as a Luna client "
                         "configuration or capture, so nothing was linted (name it like "
                         "Chrystoki.conf, crystoki.ini, *.lunacm.txt or *.lunash.txt, or map "
                         "it under `kinds` in .lunalint.yaml)")
    for path in outcome.skipped:
        _say("warning", f"{path}: not recognised as a Luna client configuration or "
                        "capture; skipped")
    fail_on = "never" if args.exit_zero else args.fail_on or cfg.fail_on or "warning"
    # (each file once: a linted configuration is also among the linked ones)
    read = list(dict.fromkeys(inputs + pipeline.inputs_read(options, outcome)))
    guard = [outcome.root or os.getcwd()]
    known = _read_ids(read)
    read_ids = known[0]
    for output in outputs:  # every file read, context captures included
        _refuse_input(output, read, known)
        _check_write(output, guard, read_ids, "a report")
    shown = outcome.shown(args.include_suppressed)
    report = Report(shown, outcome.files, counted=(shown, outcome.report_counts()),
                    suppressed=outcome.suppressed, rules=rules,
                    notices=registry.notices + outcome.notices,
                    srcroot=base, category=args.category, color=False,
                    fixed=outcome.fixed, redactor=outcome.redactor,
                    paths=[doc.path for doc in outcome.documents], summary=not args.quiet,
                    facts=outcome.audit, include_suppressed=args.include_suppressed,
                    fixes_applied=len(fixed.applied) if fixed is not None else None,
                    what_if=options.what_if,
                    fail_on=None if fail_on == "never" else Level.parse(fail_on))
    # Every report comes from this one outcome and goes through the same redacting renderer.
    for fmt, path in args.report:
        _write(streamer(fmt)(report), path, guard, read_ids)
    render = statistics_renderer(args.format) if args.statistics else streamer(args.format)
    _write(render(records.replace(report, color=_color(args))), args.output, guard, read_ids)
    if (args.output or (fixed is not None and args.format != "text")) and not args.quiet:
        # The report went to a file (or is not text): say on stderr what it holds, so a
        # failing hook says why.
        _say("", summary_line(report))
    if not args.quiet and args.format == "text" and not args.output:
        _hint_fixable(outcome, fixed is not None, args.unsafe_fixes)
    if outcome.missing or (fixed is not None and fixed.errors) or cfg.policy_errors:
        return EXIT_USAGE
    if fail_on == "never":
        return EXIT_OK
    return EXIT_FINDINGS if outcome.failing(Level.parse(fail_on)) else EXIT_OK


def _what_if(args: argparse.Namespace) -> dict | None:
    """The versions a what-if run assumes, or None for a normal run."""
    if not args.target_firmware and not args.target_client:
        return None
    out: dict = {}
    if args.target_firmware:
        out["firmware"] = dict(args.target_firmware)
    if args.target_client:
        out["client"] = args.target_client
    return out


def _hint_fixable(outcome, fixing: bool, unsafe: bool, diff: bool = False) -> None:
    """On stderr, as ruff does: how many of the findings shown ``--fix`` could fix, and how
    many more only with ``--unsafe-fixes``."""
    safe = risky = 0
    for f in outcome.findings:
        if f.suppression is None and f.fix is not None and not f.proposed:
            if f.fix.applicability == "unsafe":
                risky += 1
            else:
                safe += 1
    if fixing and unsafe:
        return
    if fixing:  # what is left after the safe fixes (or --diff's view of them)
        if risky and not diff:
            _say("", f"{risky} fixable with --unsafe-fixes (`lunalint --fix --unsafe-fixes`)")
        elif risky:
            _say("", f"{risky} more fixable with --unsafe-fixes (`lunalint --diff "
                     "--unsafe-fixes`)")
        return
    if safe and risky:
        _say("", f"{safe} fixable with --fix ({risky} more with --fix --unsafe-fixes)")
    elif safe:
        _say("", f"{safe} fixable with --fix")
    elif risky:
        _say("", f"{risky} fixable with --unsafe-fixes (`lunalint --fix --unsafe-fixes`)")


def _tell_fixes(fixed, show: bool, verb: str) -> None:
    """On stderr: the fixes made (with --show-fixes), those dropped and files not written."""
    if show:
        for a in fixed.applied:
            _say("", f"{verb} {a.path}:{a.line}:{a.column}: {a.rule} {a.description}")
    for d in fixed.dropped:
        _say("warning", f"{d.path}:{d.line}:{d.column}: {d.rule} not fixed: {d.reason}")
    for error in fixed.errors:
        _say("error", error)


def _stdin(args: argparse.Namespace) -> tuple[list[str], tuple[bytes, str] | None]:
    """The paths to lint, with ``-`` replaced by the ``--stdin-filename`` name, and standard
    input's content and name when ``-`` is one of them (or no path is given with
    ``--stdin-filename``, as ruff does)."""
    from lunalint.source import MAX_BYTES

    paths = list(args.paths)
    if args.stdin_filename is not None and not paths:
        paths = ["-"]
    if paths.count("-") > 1:
        raise UsageError("`-` (standard input) may be named only once")
    if "-" not in paths:
        if args.stdin_filename is not None:
            raise UsageError("--stdin-filename names what `-` (standard input) stands for; "
                             "add `-` to the paths")
        return paths or ["."], None
    name = args.stdin_filename or "-"
    if not name.strip() or name.endswith(("/", os.sep)):
        raise UsageError(f"--stdin-filename must name a file, not {name!r}")
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise UsageError("standard input is closed")
    try:
        data = stream.read(MAX_BYTES + 1)  # more than a file may hold is refused when read
    except OSError as error:
        raise UsageError(f"cannot read standard input: {error.strerror or error}") from None
    return [name if p == "-" else p for p in paths], (data, name)


def _read_ids(paths: list[str]) -> tuple[set[tuple[int, int]], list[str]]:
    """The device and inode of each of ``paths`` that can be looked up, and the paths that
    cannot. Only the two numbers are kept: a run reads thousands of files, and their whole
    ``os.stat`` results were 1.5 MB per 1,200 sites held to the end (issue 21)."""
    from lunalint import writeout

    gone: list[str] = []
    return writeout.input_ids(paths, gone), gone


def _refuse_input(output: str, inputs: list[str],
                  known: tuple[set[tuple[int, int]], list[str]] | None = None) -> None:
    """A usage error when ``output`` is (or resolves to) one of ``inputs``: writing the report
    there would destroy what was linted. ``known``: the inputs' :func:`_read_ids`, when known.

    An input that exists is the output exactly when it is the same file (then both resolve
    to one path, or are hard links); one that does not exist is when it resolves to where
    the output is. So a path is resolved only when it cannot be looked up: a run's thousands
    of inputs cost a stat each, not a realpath (issue 21)."""
    ids, gone = known if known is not None else _read_ids(inputs)
    try:
        out_stat = os.stat(output)
    except OSError:
        out_stat = None
    same = None
    if out_stat is not None and (out_stat.st_dev, out_stat.st_ino) in ids:
        same = next((path for path in inputs if _is_file(path, out_stat)), output)
    elif gone:
        try:
            real = os.path.realpath(output)
            same = next((path for path in gone if os.path.realpath(path) == real), None)
        except OSError:
            same = None
    if same is not None:
        raise UsageError(f"{output} is an input file ({same}); the report was not "
                         "written over it: write it somewhere else")


def _is_file(path: str, info: os.stat_result) -> bool:
    try:
        return os.path.samestat(os.stat(path), info)
    except OSError:
        return False


def _absolute(path: str) -> str:
    """``path`` made absolute, keeping a trailing ``/`` (a folder named as one). A path with
    ``..`` is only joined to the working directory, not tidied: after a link
    (``outlink/../x``) the operating system goes to the link target's parent, and confinement
    (:mod:`lunalint.confine`) must see the link to refuse what lies outside the project."""
    if ".." in path.replace(os.sep, "/").split("/"):
        return os.path.join(os.getcwd(), path)
    full = os.path.abspath(path)
    if path.endswith(("/", os.sep)) and not full.endswith(os.sep):
        full += os.sep
    return full


def _resolved(path: str) -> str:
    """Where ``path`` leads, as the operating system resolves it: the folders up to its last
    ``..`` are resolved (links followed), the rest only tidied."""
    parts = path.replace(os.sep, "/").split("/")
    if ".." not in parts:
        return os.path.abspath(path)
    last = len(parts) - 1 - parts[::-1].index("..")
    head = os.path.realpath("/".join(parts[:last + 1]) or "/")
    return os.path.normpath(os.path.join(head, *[p for p in parts[last + 1:] if p]))


def _where(paths: list[str], stdin) -> tuple[str | None, str | None, str]:
    """The configuration file found, the project root and the folder paths are shown
    relative to, all from what was named (the first path that lies in a project, or
    ``--stdin-filename``; the working directory only when nothing is named): the project root
    is the folder of the ``.lunalint.yaml`` (or ``pyproject.toml`` with ``[tool.lunalint]``)
    found from there, else its git work tree. With neither, paths under folders named are
    shown relative to those folders (their common folder), and files named alone as they
    were named. ``--config`` does not take part: it chooses settings, not the project."""
    from lunalint import confine, settings

    named = [_resolved(p) for p in paths if p != "-"]
    folders = [p if os.path.isdir(p) else os.path.dirname(p) for p in named]
    if stdin is not None and stdin[1] != "-":
        starts = [os.path.dirname(os.path.abspath(stdin[1]))]
    else:
        starts = list(dict.fromkeys(folders)) or [os.path.abspath(os.getcwd())]
    here = os.path.abspath(os.getcwd())
    # The first path that lies in a project names it; when none does, the working directory's
    # project (or its .lunalint.yaml) still applies, as it always has.
    for start in [*starts, here]:
        found = settings.find_config(start)
        root = confine.project_root(found, start)
        if root is not None:
            return found, root, root
    if not named or stdin is not None or any(not os.path.isdir(p) for p in named):
        return None, None, here  # files named outside any project: shown as named
    try:
        return None, None, os.path.commonpath(named)
    except ValueError:  # different drives (Windows)
        return None, None, here


def _settings(args: argparse.Namespace, registry, stdin=None,
              where: tuple[str | None, str] | None = None):
    """The configuration file's settings (``--config``, else the one found from what was
    named); ``where`` is the file found and the folder paths are shown from (see
    :func:`_where`)."""
    from lunalint import settings, suppress

    if where is None:
        found, _root, base = _where(list(args.paths) or ["."], stdin)
    else:
        found, base = where
    path = args.config or found
    if path is None:
        return settings.Settings()
    try:
        return settings.load(path, list(registry.rules), explicit=bool(args.config),
                             display=suppress.display(path, base))
    except settings.ConfigError as error:
        raise UsageError(str(error)) from None


def _color(args: argparse.Namespace) -> bool:
    if args.format != "text" or args.output:
        return False
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):  # https://force-color.org/ (NO_COLOR wins over it)
        return True
    if os.environ.get("TERM") == "dumb":  # a terminal that shows escape codes as text
        return False
    return sys.stdout is not None and sys.stdout.isatty()


def _rule_table(rules) -> str:
    rows = [("ID", "LEVEL", "FIX", "NAME", "DESCRIPTION")]
    rows += [(r.id, r.level.label, r.fix_class, r.name, r.summary) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d:<{widths[3]}}  "
                   f"{e}\n" for a, b, c, d, e in rows)


def _rule_json(rules) -> str:
    import json

    doc = [{"id": r.id, "name": r.name, "level": r.level.label, "summary": r.summary,
            "help_uri": r.help_uri, "fix_class": r.fix_class} for r in rules]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _check_write(path: str, guard: list[str], inputs: set, what: str) -> None:
    from lunalint import writeout

    try:
        writeout.check_output(path, guard, inputs, what)
    except writeout.Refused as why:
        raise UsageError(f"cannot write {path}: {why}") from None


def _write(text: str | Iterable[str], output: str | None, guard: list[str] | None = None,
           inputs: set = frozenset()) -> None:
    """``text``, or its pieces as they come (a streamed report), to standard output, or to the
    file ``output`` through the write boundary (:mod:`lunalint.writeout`): atomic, never
    through a link inside ``guard`` (the project), never over a file of ``inputs``."""
    pieces = (text,) if isinstance(text, str) else text
    if output:
        from lunalint import writeout

        # (a file name that is not valid UTF-8 is written as \udcXX escapes, never as raw bytes)
        data = (piece.encode("utf-8", "backslashreplace") for piece in pieces)
        try:
            writeout.output(output, data, guard or [os.getcwd()], inputs)
        except writeout.Refused as why:
            raise UsageError(f"cannot write {output}: {why}") from None
        return
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise UsageError("cannot write the report: standard output is closed")
    try:
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
    except (OSError, ValueError) as error:  # a closed pipe (`| head -0`), a full disk
        _stdout_gone()
        why = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot write the report to standard output: {why}") from None
