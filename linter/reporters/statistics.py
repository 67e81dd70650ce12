"""``--statistics``: how many findings each rule reported, most frequent first (ties by rule
id), instead of the findings themselves. Suppressed findings are not counted (the summary
says how many there were); a rule that reported at several levels shows the highest."""

from __future__ import annotations

import json
from collections import Counter

from lunalint.findings import Level
from lunalint.reporters import Report
from lunalint.reporters.text import summary


def rows(report: Report) -> list[dict]:
    counts = Counter(f.rule for f in report.findings if f.suppression is None)
    meta = {r.id: r for r in report.rules}
    levels: dict[str, Level] = {}  # the highest level the rule reported at (HA101 may be both)
    for f in report.findings:
        if f.suppression is None:
            levels[f.rule] = max(levels.get(f.rule, f.level), f.level)
    out = []
    for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = meta.get(rule_id)
        out.append({"rule": rule_id, "name": rule.name if rule is not None else "",
                    "level": levels[rule_id].label, "count": count})
    return out


def render_text(report: Report) -> str:
    table = rows(report)
    lines = []
    if table:
        width = max(len(str(row["count"])) for row in table)
        rule_width = max(len(row["rule"]) for row in table)
        level_width = max(len(row["level"]) for row in table)
        lines = [f"{row['count']:>{width}}  {row['rule']:<{rule_width}}  "
                 f"{row['level']:<{level_width}}  {row['name']}".rstrip() for row in table]
    if report.summary:
        if lines:
            lines.append("")
        lines.append(summary(report))
    return "".join(line + "\n" for line in lines)


def render_json(report: Report) -> str:
    return json.dumps(rows(report), indent=2, ensure_ascii=False) + "\n"
