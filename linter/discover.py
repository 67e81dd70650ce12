"""Tell what a file is: a client configuration (brace or INI form, or a template of one), a
LunaCM/LunaSH capture, a host that may embed them (a script, a runbook, a YAML file), or
neither — from its name and content. Walking and opening files is :mod:`lunalint.confine`'s
job; this module only looks at names and text it is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

# A template of the file keeps its name and adds the template's extension
# (`Chrystoki.conf.j2`, `Chrystoki.conf.erb`, `crystoki.ini.tmpl`).
TEMPLATE_SUFFIX = r"(?:\.(?:j2|jinja2?|erb|tpl|tmpl|template|tt|in|mustache|hbs|gotmpl))?"
CONFIG_NAME = re.compile(rf"(?i)^(chrystoki[\w.-]*\.conf|crystoki[\w.-]*\.ini){TEMPLATE_SUFFIX}$")
EXPORT_NAME = re.compile(r"(?i)\.(lunacm|lunash)\.(txt|log)$")
SNIFF_EXTENSIONS = frozenset({".conf", ".ini", ".txt", ".log", ".cfg", ".out", ".md",
                              ".markdown", ".sh", ".bash", ".ksh", ".zsh", ".yaml", ".yml",
                              ".tpl", ".tmpl", ".j2", ".dockerfile", ".containerfile"})
# Files without a telling extension that may write a Luna file (Dockerfiles, entrypoints).
SNIFF_NAMES = re.compile(r"(?i)^(dockerfile|containerfile)([.-].*)?$|^[\w.-]*entrypoint[\w.-]*$")
SNIFF_BYTES = 65536

_SECTIONS = (r"Chrystoki2|Luna|CardReader|Misc|LunaSA Client|Secure Trusted Channel|VirtualToken"
             r"|HASynchronize|HAConfiguration|HARecovery|CkLog2")
_CONFIG_CONTENT = re.compile(
    rf"(?im)^[ \t\ufeff]*(?:(?:{_SECTIONS})[ \t]*=[ \t]*\{{|\[(?:{_SECTIONS})\])")
# A capture may start lines with terminal colour codes (ANSI escape sequences). Blanks are
# `[^\S\n]` (any blank but a line break), never `\s`: in multi-line mode `^\s*` crossed
# lines, so in a file of blank lines each line start rescanned every blank line after it
# (a walked 64 KB `notes.txt` took minutes).
_LEAD = r"(?:[ \t\r\ufeff]|\x1b\[[0-9;?]*[A-Za-z])*"
_BL = r"[^\S\n]"
_EXPORT_CONTENT = re.compile(
    rf"(?im)(?:^{_LEAD}(?:\[[^\]\n]*\][ \t]*)?luna(?:cm|sh):>|"
    rf"LunaCM{_BL}*(?:\(64-bit\){_BL}*)?v\d|^{_LEAD}Command Result{_BL}*:|"
    rf"^{_BL}*Partition (?:Capabilities|Policies){_BL}*$|"
    rf"^{_BL}*HSM (?:Capabilities|Policies){_BL}*$|^{_BL}*Description{_BL}+Value{_BL}+Code|"
    rf"^{_BL}*HA Group Label{_BL}*:|^{_BL}*Slot Id{_BL}*->)")


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
        return "config", sniff_form(head) or ("ini" if _ini_name(name) else "brace")
    if CONFIG_NAME.match(name):
        return "config", sniff_form(head) or ("ini" if _ini_name(name) else "brace")
    if EXPORT_NAME.search(name):
        return "export", None
    if _EXPORT_CONTENT.search(head):
        return "export", None
    if _CONFIG_CONTENT.search(head):
        return "config", sniff_form(head) or "brace"
    return None, None


def _ini_name(name: str) -> bool:
    m = CONFIG_NAME.match(name)
    return bool(m) and m.group(1).lower().endswith(".ini")


def embeds(path: str, kind: str | None) -> bool:
    """True when ``path`` is read as a host of embedded Luna parts (a script, a Markdown
    runbook, a YAML file) rather than as a Luna file itself: its name is not a Luna name."""
    from lunalint.readers.embedded import host_kind

    name = os.path.basename(path)
    if CONFIG_NAME.match(name) or EXPORT_NAME.search(name):
        return False
    return host_kind(path) is not None
