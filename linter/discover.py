"""Find the files to lint and tell what each one is: a client configuration (brace or INI
form), a LunaCM/LunaSH capture, or neither.

Files named on the command line are always read; when they are neither kind they are listed
as skipped (never silently). Directories are walked without following symbolic links
(so link loops cannot hang a run), skipping VCS and tool folders; there a file is taken when
its name is a known one or its extension is a text one and its content sniffs as Luna.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
                       "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
CONFIG_NAME = re.compile(r"(?i)^(chrystoki[\w.-]*\.conf|crystoki[\w.-]*\.ini)$")
EXPORT_NAME = re.compile(r"(?i)\.(lunacm|lunash)\.(txt|log)$")
SNIFF_EXTENSIONS = frozenset({".conf", ".ini", ".txt", ".log", ".cfg", ".out", ".md"})
SNIFF_BYTES = 65536

_SECTIONS = (r"Chrystoki2|Luna|CardReader|Misc|LunaSA Client|Secure Trusted Channel|VirtualToken"
             r"|HASynchronize|HAConfiguration|HARecovery|CkLog2")
_CONFIG_CONTENT = re.compile(
    rf"(?im)^[ \t\ufeff]*(?:(?:{_SECTIONS})[ \t]*=[ \t]*\{{|\[(?:{_SECTIONS})\])")
# A capture may start lines with terminal colour codes (ANSI escape sequences).
_LEAD = r"(?:[ \t\r\ufeff]|\x1b\[[0-9;?]*[A-Za-z])*"
_EXPORT_CONTENT = re.compile(
    rf"(?im)(?:^{_LEAD}(?:\[[^\]\n]*\][ \t]*)?luna(?:cm|sh):>|LunaCM\s*(?:\(64-bit\)\s*)?v\d|"
    rf"^{_LEAD}Command Result\s*:|^\s*Partition (?:Capabilities|Policies)\s*$|"
    r"^\s*HSM (?:Capabilities|Policies)\s*$|^\s*Description\s+Value\s+Code|"
    r"^\s*HA Group Label\s*:|^\s*Slot Id\s*->)")


@dataclass(frozen=True, slots=True)
class Target:
    path: str  # as given or found (OS form)
    explicit: bool  # named on the command line
    kind: str | None = None  # "config"/"export" when the configuration file's kinds say so


def walk(paths: list[str], kind_of: Callable[[str], str | None] | None = None,
         ) -> tuple[list[Target], list[str]]:
    """Targets under ``paths`` in a stable order, and the paths that do not exist."""
    targets: list[Target] = []
    missing: list[str] = []
    seen: set[str] = set()
    for given in paths:
        if not os.path.lexists(given):
            missing.append(given)
            continue
        if os.path.isdir(given) and not os.path.islink(given.rstrip("/\\") or given):
            for root, dirs, files in os.walk(given, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if full not in seen and (_worth_reading(name)
                                             or (kind_of is not None and kind_of(full))):
                        seen.add(full)
                        targets.append(Target(full, False))
        elif given not in seen:
            seen.add(given)
            targets.append(Target(given, True))
    return targets, missing


def _worth_reading(name: str) -> bool:
    if CONFIG_NAME.match(name) or EXPORT_NAME.search(name):
        return True
    return os.path.splitext(name)[1].lower() in SNIFF_EXTENSIONS


def classify(path: str, text: str, hint: str | None = None) -> tuple[str | None, str | None]:
    """``("config", "brace"|"ini")``, ``("export", None)`` or ``(None, None)``.

    ``hint`` (``"config"`` or ``"export"``, from the configuration file's ``kinds`` globs)
    decides the kind instead of the name and content."""
    from lunalint.readers.config import sniff_form

    name = os.path.basename(path)
    head = text[:SNIFF_BYTES]
    if hint == "export":
        return "export", None
    if hint == "config":
        return "config", sniff_form(head) or ("ini" if name.lower().endswith(".ini") else "brace")
    if CONFIG_NAME.match(name):
        return "config", sniff_form(head) or ("ini" if name.lower().endswith(".ini") else "brace")
    if EXPORT_NAME.search(name):
        return "export", None
    if _EXPORT_CONTENT.search(head):
        return "export", None
    if _CONFIG_CONTENT.search(head):
        return "config", sniff_form(head) or "brace"
    return None, None
