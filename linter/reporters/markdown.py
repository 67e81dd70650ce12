"""``--format markdown``: a compact summary for ``$GITHUB_STEP_SUMMARY``, a pull-request comment
or a ticket. Totals, one table per level (capped at :data:`ROWS` rows, with a count of the
rest), and the HA groups with their problems (worst first, capped the same way).

Text from the audited files is set so that it cannot become markup: outside `code` spans,
characters Markdown or HTML would act on are escaped, so a crafted label cannot add a link, an
image or a tag to the page that shows the summary.
"""

from __future__ import annotations

import re
from collections import Counter

from lunalint import __version__
from lunalint.reporters import Report

LEVELS = ("error", "warning", "note")
ROWS = 25  # rows per level table
GROUP_PROBLEMS = 5  # problems listed per group
_CODE = re.compile(r"(`[^`\n]*`)")
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&@])")
# What GitHub-flavoured Markdown links by itself (extended autolinks): `www.` names, URLs of
# these schemes, e-mail addresses; GitHub also makes `@name` a mention and `#12` a reference.
# A backslash before the `.` of `www.` or the `:` of a scheme stops the first two; an `@` or
# `#` gets a zero-width space after it (an escaped `@` is still an e-mail address to GFM).
_WWW = re.compile(r"(?i)(?<![0-9a-z_.-])(www)\.")
_SCHEME = re.compile(r"(?i)(?<![0-9a-z+.-])(https?|ftp|mailto|xmpp):")
_MARK = re.compile(r"(\\[@#])(?=[0-9A-Za-z_])")
_ZWSP = "\u200b"
# A link target we write as is: https, and none of the characters that end or break one.
_URI = re.compile(r"https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")
_STATE = {"error": "🔴 error", "warning": "🟠 warning", "note": "🔵 note",
          "clean": "🟢 no problem",
          "unknown": "⚪ no capture"}


_KINDS = {"config": ("configuration", "configurations"), "export": ("capture", "captures"),
          "host": ("file embedding configurations", "files embedding configurations")}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _plain(text: str) -> str:
    """Text outside code spans, with every character Markdown or HTML could act on escaped,
    and nothing a GitHub page would turn into a link, a mention or a reference."""
    text = _SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))
    text = _SCHEME.sub(r"\1\\:", _WWW.sub(r"\1\\.", text))
    return _MARK.sub(rf"\1{_ZWSP}", text)


def _text(text: str) -> str:
    """A message: `code` spans kept as code (``|`` escaped for tables), the rest escaped."""
    parts = _CODE.split(re.sub(r"\s+", " ", str(text)).strip())
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1 and len(part) > 2:
            out.append(part.replace("|", "\\|"))
        else:
            out.append(_plain(part))
    return "".join(out)


def _code(text: str) -> str:
    """``text`` as one code span (a path, a serial, a label): fenced by one backtick more
    than the longest run of backticks in it, so no run inside can close it, and padded with
    a space when it starts or ends with a backtick (the padding is not shown)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if not text or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _rule(rule: str, uri: str) -> str:
    return f"[{_plain(rule)}]({uri})" if _URI.fullmatch(uri) else _plain(rule)


def render(report: Report) -> str:
    facts = report.facts
    live = [f for f in report.findings if f.suppression is None and not f.intentional]
    intentional = sum(1 for f in report.findings if f.suppression is None and f.intentional)
    counts = Counter(f.level.label for f in live)
    files = len({f.path for f in live})
    out = ["## lunalint audit", ""]
    if live:
        parts = ", ".join(_plural(counts[lv], lv) for lv in LEVELS if counts.get(lv))
        out.append(f"**{_plural(len(live), 'problem')}** ({parts}) in {files} of "
                   f"{_plural(report.files, 'file')}.")
    else:
        out.append(f"**No problems** in {_plural(report.files, 'file')}.")
    extra = []
    if report.what_if:  # versions are plain digits and serials: nothing to escape beyond _plain
        from lunalint.reporters.text import what_if_text

        extra.append(_plain("what-if run: " + what_if_text(report.what_if)))
    if intentional:
        extra.append(f"{intentional} intentional (explained, not a defect)")
    if report.suppressed:
        extra.append(f"{report.suppressed} suppressed")
    if facts is not None:
        kinds = facts.kinds()
        what = ", ".join(f"{n} {_KINDS.get(k, (k, k + 's'))[n != 1]}"
                         for k, n in kinds.items())
        audited = ", ".join(_code(p) for p in facts.paths) or _code(".")
        extra.append(f"audited {audited}" + (f" ({what})" if what else "")
                     + f", {_plural(len(facts.groups), 'HA group')}")
    if extra:
        line = " · ".join(extra)
        out += ["", line[0].upper() + line[1:] + "."]
    for level in LEVELS:
        rows = [f for f in live if f.level.label == level]
        if not rows:
            continue
        title = {"error": "Errors", "warning": "Warnings", "note": "Notes"}[level]
        out += ["", f"### {title} ({len(rows)})", "", "| Location | Rule | Message |",
                "|---|---|---|"]
        for f in rows[:ROWS]:
            out.append(f"| {_code(f'{f.path}:{f.span.line}')} | {_rule(f.rule, f.help_uri)} | "
                       f"{_text(f.message)} |")
        if len(rows) > ROWS:
            rest = len(rows) - ROWS
            out += ["", f"…and {rest} more {level}{'' if rest == 1 else 's'}: see the full "
                    "report (`lunalint --format html -o report.html`)."]
    if facts is not None and facts.groups:
        uris = {f.rule: f.help_uri for f in report.findings if f.help_uri}
        out += ["", "### HA groups", "", "| Group | Members | State | Problems |",
                "|---|---|---|---|"]
        rank = {level: i for i, level in enumerate(LEVELS)}
        ordered = sorted(facts.groups, key=lambda g: (
            rank[g.all_problems[0].level] if g.all_problems else len(LEVELS), g.label))
        for group in ordered[:ROWS]:
            problems = group.all_problems
            worst = problems[0].level if problems else None
            state = worst or ("clean" if any(m.captured for m in group.members) else "unknown")
            members = ", ".join(
                f"{_code(m.serial)}" + (f" {_plain(m.label)}" if m.label else "")
                + (f" ({_plain(m.status)})" if m.status else
                   ("" if m.captured else " (no capture)"))
                + (" standby" if m.standby else "")
                for m in group.members) or "none"
            listed = "<br>".join(
                f"{_rule(p.rule, uris.get(p.rule, ''))} {_code(f'{p.path}:{p.line}')}"
                for p in problems[:GROUP_PROBLEMS])
            if len(problems) > GROUP_PROBLEMS:
                listed += f"<br>…and {len(problems) - GROUP_PROBLEMS} more"
            out.append(f"| {_code(group.label)} | {members} | {_STATE[state]} | "
                       f"{listed or 'none'} |")
        if len(ordered) > ROWS:
            rest = ordered[ROWS:]
            troubled = sum(1 for g in rest if g.all_problems)
            out += ["", f"…and {_plural(len(rest), 'more group')} ({troubled} with problems): "
                    "see the full report."]
    out += ["", f"<sub>lunalint {_plain(__version__)}</sub>", ""]
    return "\n".join(out)

