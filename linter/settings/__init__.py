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

The package keeps one job per module: :mod:`.loader` reads the file safely (size, nesting and
alias budgets, line numbers), :mod:`.schema` checks what it says and builds :class:`Settings`,
:mod:`.globs` compiles and matches globs, :mod:`.errors` words the mistakes. The names below
are re-exported so ``from lunalint.settings import X`` keeps working. (The reader module is
``loader``, not ``load``: ``settings.load`` is the function every caller uses.)
"""

from __future__ import annotations

from lunalint.settings.errors import ConfigError
from lunalint.settings.globs import (
    MAX_GLOB, GlobError, _compiled, _prepared, compile_glob, glob_error, glob_match,
)
from lunalint.settings.loader import (
    FILE_NAME, MAX_ALIASED, MAX_BYTES, MAX_DEPTH, PYPROJECT, find_config, load,
)
from lunalint.settings.schema import FACT_KEYS, FactRule, Settings, Waiver

__all__ = [
    "FACT_KEYS", "FILE_NAME", "MAX_ALIASED", "MAX_BYTES", "MAX_DEPTH", "MAX_GLOB", "PYPROJECT",
    "ConfigError", "FactRule", "GlobError", "Settings", "Waiver", "compile_glob", "find_config",
    "glob_error", "glob_match", "load", "_compiled", "_prepared",
]
