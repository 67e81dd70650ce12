"""Tell what a file is: a client configuration (brace or INI form, or a template of one), a
LunaCM/LunaSH capture, a host that may embed them (a script, a runbook, a YAML file), or
neither — from its name and content. Walking and opening files is :mod:`lunalint.confine`'s
job; this module only looks at names and text it is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from lunalint.patterns import lazy

# A template of the file keeps its name and adds the template's extension
# (`Chrystoki.conf.j2`, `Chrystoki.conf.erb`, `crystoki.ini.tmpl`).
TEMPLATE_SUFFIX = r"(?:\.(?:j2|jinja2?|erb|tpl|tmpl|template|tt|in|mustache|hbs|gotmpl))?"
CONFIG_NAME = re.compile(rf"(?i)^(chrystoki[\w.-]*\.conf|crystoki[\w.-]*\.ini){TEMPLATE_SUFFIX}$")
EXPORT_NAME = lazy(r"(?i)\.(lunacm|lunash)\.(txt|log)$")
SNIFF_EXTENSIONS = frozenset({".conf", ".ini", ".txt", ".log", ".cfg", ".out", ".md",
                              ".markdown", ".sh", ".bash", ".ksh", ".zsh", ".yaml", ".yml",
                              ".tpl", ".tmpl", ".j2", ".dockerfile", ".containerfile",
                              ".erb", ".rb", ".nix", ".mk", ""})
# Files without a telling extension that may write a Luna file (Dockerfiles, entrypoints).
SNIFF_NAMES = lazy(r"(?i)^(dockerfile|containerfile)([.-].*)?$|^[\w.-]*entrypoint[\w.-]*$"
                   r"|^(gnu)?makefile$")
SNIFF_BYTES = 65536

_SECTIONS = (r"Chrystoki2|Luna|CardReader|Misc|LunaSA Client|Secure Trusted Channel|VirtualToken"
             r"|HASynchronize|HAConfiguration|HARecovery|CkLog2")
_CONFIG_CONTENT = lazy(
    rf"(?im)^[ \t\ufeff]*(?:(?:{_SECTIONS})[ \t]*=[ \t]*\{{|\[(?:{_SECTIONS})\])")
# A capture may start lines with terminal colour codes (ANSI escape sequences). Blanks are
# `[^\S\n]` (any blank but a line break), never `\s`: in multi-line mode `^\s*` crossed
# lines, so in a file of blank lines each line start rescanned every blank line after it
# (a walked 64 KB `notes.txt` took minutes).
_LEAD = r"(?:[ \t\r\ufeff]|\x1b\[[0-9;?]*[A-Za-z])*"
_BL = r"[^\S\n]"
_EXPORT_CONTENT = lazy(
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


def embeds(path: str, text: str | None = None) -> bool:
    """True when ``path`` is read as a host of embedded Luna parts (a script, a Markdown
    runbook, a YAML file, a program) rather than as a Luna file itself: its name is not a
    Luna name, and its name or (when ``text`` is given) its whole content says so."""
    return host_kind(path, text) is not None


# Hosts: files that may embed Luna parts (heredocs, strings, fenced blocks, commands) and are
# never read as a Luna file themselves. The kind decides how they are read:
# "shell" (scripts, Dockerfiles, templates of scripts), "yaml", "markdown", and "source"
# (Ruby, Nix, Python and other programs: their heredocs and multi-line strings).
SHELL_EXT = frozenset({".sh", ".bash", ".ksh", ".zsh", ".dockerfile", ".containerfile",
                       ".erb"})
YAML_EXT = frozenset({".yaml", ".yml", ".tpl", ".tmpl", ".j2"})
MARKDOWN_EXT = frozenset({".md", ".markdown"})
SOURCE_EXT = frozenset({".rb", ".nix", ".py", ".rake", ".pp", ".pl", ".ps1", ".go", ".java"})
_SHELL_NAMES = lazy(r"(?i)^(dockerfile|containerfile)([.-].*)?$|^[\w.-]*entrypoint[\w.-]*$"
                    r"|^(?:vagrantfile|jenkinsfile)$")
_MAKE_NAMES = lazy(r"(?i)^(gnu)?makefile$")
_SHEBANG = lazy(r"\A\ufeff?#![ \t]*(?P<cmd>\S+)(?:[ \t]+(?P<arg>\S+))?")
_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "zsh", "ash", "busybox"})
# Lines only a program holds (never a Luna file): Ruby, Nix, Python and shell syntax.
_SOURCE_LINE = lazy(
    r"(?m)^[ \t]*(?:require(?:_relative)?[ \t]+['\"]|def[ \t]+\w+[\w?!]*[ \t]*(?:\(.*\))?:?[ \t]*$"
    r"|end[ \t]*$|module[ \t]+[A-Z]\w*|class[ \t]+[A-Z]\w*|import[ \t]+[\w.]+"
    r"|from[ \t]+[\w.]+[ \t]+import\b|with[ \t]+(?:lib|pkgs)[ \t]*;|let[ \t]*$|in[ \t]*$"
    r"|\{[ \t]*(?:config|lib|pkgs)[ \t]*,.*\}[ \t]*:|(?:fi|done|esac|then)[ \t]*$"
    r"|(?:set[ \t]+-[euxo]+|export[ \t]+\w+=|echo[ \t]|cat[ \t]*>)"
    r"|\w+(?:\.\w+)+[ \t]*=[ \t]*''[ \t]*$|.*\b(?:mkIf|mkOption|mkEnableOption|File\.write"
    r"|File\.open)\b|.*\bdo[ \t]*\|[^|]*\|[ \t]*$)")
_SHELL_LINE = lazy(r"(?m)^[ \t]*(?:(?:fi|done|esac|then)[ \t]*$|set[ \t]+-[euxo]+"
                   r"|export[ \t]+\w+=|echo[ \t]|cat[ \t]*>|if[ \t]+\[)")


_TEMPLATE_EXT = frozenset({".erb"})


def _program_lines(head: str) -> int:
    """How many lines of ``head`` only a program holds (counted up to 3)."""
    program = 0
    for _ in _SOURCE_LINE.finditer(head):
        program += 1
        if program >= 3:
            break
    return program


def host_kind(path: str, text: str | None = None) -> str | None:
    """``"shell"``, ``"makefile"``, ``"yaml"``, ``"markdown"`` or ``"source"`` when ``path``
    is a host that may embed Luna parts, else None. A Luna file name (``Chrystoki.conf``,
    ``*.lunacm.txt``) is never a host. Otherwise the name decides (an extension,
    `Dockerfile`, an entrypoint); failing that the whole ``text`` does: a shebang, or
    program syntax on several lines
    (Ruby, Nix, Python, shell) — never one config-like line."""
    name = os.path.basename(path)
    if CONFIG_NAME.match(name) or EXPORT_NAME.search(name):
        return None
    ext = os.path.splitext(name)[1].lower()
    if ext in _TEMPLATE_EXT and text is not None:
        # A template of a script, or of a configuration (`encryption.conf.erb`): the
        # content decides; a template with neither is read as a script.
        head = text[:SNIFF_BYTES]
        if _SHEBANG.match(head) or _program_lines(head) >= 3 \
                or not _CONFIG_CONTENT.search(head):
            return "shell"
        return None
    if ext in SHELL_EXT or _SHELL_NAMES.match(name):
        return "shell"
    if ext == ".mk" or _MAKE_NAMES.match(name):
        return "makefile"
    if ext in YAML_EXT:
        return "yaml"
    if ext in MARKDOWN_EXT:
        return "markdown"
    if ext in SOURCE_EXT:
        return "source"
    if text is None:
        return None
    head = text[:SNIFF_BYTES]
    bang = _SHEBANG.match(head)
    if bang is not None:
        cmd = os.path.basename(bang.group("cmd"))
        if cmd == "env" and bang.group("arg"):
            cmd = os.path.basename(bang.group("arg"))
        return "shell" if cmd in _SHELLS else "source"
    if _EXPORT_CONTENT.search(head) and not _CONFIG_CONTENT.search(head):
        return None  # a capture: its `lunacm:>` lines decide
    if _program_lines(head) < 3:
        return None
    shell = sum(1 for _ in zip(range(3), _SHELL_LINE.finditer(head)))
    return "shell" if shell >= 2 else "source"
