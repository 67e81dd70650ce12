"""``--format html``: one self-contained audit page (``lunalint --format html -o report.html``).

Everything is inline: CSS, one SVG picture per HA group, and a small script that only adds
filters to the findings table; the page is complete without it, and a Content Security Policy
forbids loading anything (the only addresses are links: rule pages and vendor documentation).
It renders the findings and the :class:`lunalint.audit.AuditFacts` handed to it, nothing else;
the redaction boundary (``lunalint.reporters.renderer``) has already scrubbed both and scrubs
the page once more.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html import escape

from lunalint import __version__
from lunalint.reporters import Report

LEVELS = ("error", "warning", "note")
STATE_TEXT = {"error": "error", "warning": "warning", "note": "note", "clean": "no problem",
              "unknown": "no capture"}
VERDICTS = {
    "ok": ("ok", "client is new enough"),
    "old-client": ("bad", "client older than the minimum for this firmware"),
    "no-client": ("unknown", "no client version known (no LunaCM banner, no facts entry)"),
    "no-firmware": ("unknown", "no capture shows this member's firmware"),
    "newer-firmware": ("warn", "firmware newer than the table knows"),
    "no-row": ("warn", "no table row covers this firmware"),
}

# Fill and stroke per state, shared by the SVG and the legend.
COLORS = {"error": ("#fdecea", "#b71c1c"), "warning": ("#fff4e0", "#a15c00"),
          "note": ("#e8f1fb", "#1456a0"), "clean": ("#e8f5e9", "#2e7d32"),
          "unknown": ("#eeeeee", "#6b6b6b")}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--err:#b71c1c;--warn:#a15c00;--note:#1456a0;--ok:#2e7d32;--unk:#6b6b6b}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 20px}
header{padding-top:20px;border-bottom:1px solid var(--line)}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;padding-bottom:4px;
border-bottom:1px solid var(--line)}h3{font-size:16px;margin:20px 0 6px}
.sub{color:var(--muted);margin:0 0 12px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 14px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 14px}
.total{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:96px;
background:var(--soft)}
.total b{display:block;font-size:22px}.total.error b{color:var(--err)}
.total.warning b{color:var(--warn)}.total.note b{color:var(--note)}
nav{margin:0 0 12px}nav a{margin-right:14px}
a{color:#0b57b0}code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
background:var(--soft);padding:0 3px;border-radius:3px}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}
.wide{overflow-x:auto;max-width:100%}table.matrix{width:auto;min-width:50%}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;
white-space:nowrap}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
border:1px solid currentColor;white-space:nowrap}
.badge.error{color:var(--err)}.badge.warning{color:var(--warn)}.badge.note{color:var(--note)}
.badge.clean,.badge.ok{color:var(--ok)}.badge.unknown{color:var(--unk)}
.badge.bad{color:var(--err)}.badge.warn{color:var(--warn)}
figure{margin:12px 0 24px;border:1px solid var(--line);border-radius:6px;padding:10px}
figcaption{font-weight:600;margin-bottom:6px}
svg.topology{width:100%;height:auto;max-width:1100px;display:block}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0 8px;color:var(--muted)}
.swatch{display:inline-block;width:14px;height:14px;border:2px solid;border-radius:3px;
vertical-align:-2px;margin-right:4px}
.matrix td.val{text-align:center;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.matrix td.differs{background:#fff1c2;font-weight:700;outline:2px solid #d29922;outline-offset:-2px}
.matrix td.absent{color:var(--muted)}.matrix td.uncaptured{color:var(--unk);background:#f3f3f3}
.matrix tr.always th.policy{font-weight:700}
.matrix tr.row-differs th{border-left:4px solid #d29922}
.muted{color:var(--muted)}.path{word-break:break-all}
td .badge{white-space:normal}.small{font-size:12.5px}
#filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:6px 0;
padding:6px 10px;background:var(--soft);border:1px solid var(--line);border-radius:6px}
#filters[hidden]{display:none}
tr.f-error td:first-child{border-left:4px solid var(--err)}
tr.f-warning td:first-child{border-left:4px solid var(--warn)}
tr.f-note td:first-child{border-left:4px solid var(--note)}
details{margin:6px 0}summary{cursor:pointer}
footer{color:var(--muted);padding:20px;border-top:1px solid var(--line);margin-top:30px}
@media print{#filters{display:none}a{color:inherit}}
"""

# The only script: wires the filter controls (hidden until it runs) to the findings table.
SCRIPT = """(function(){
var box=document.getElementById("filters"),table=document.getElementById("findings-table");
if(!box||!table)return;
var level=document.getElementById("filter-level"),rule=document.getElementById("filter-rule"),
count=document.getElementById("filter-count"),rows=table.tBodies[0].rows;
function apply(){var shown=0;for(var i=0;i<rows.length;i++){var r=rows[i];
var ok=(!level.value||r.getAttribute("data-level")===level.value)&&
(!rule.value||r.getAttribute("data-rule")===rule.value);r.hidden=!ok;if(ok)shown++;}
count.textContent=shown+" of "+rows.length+" shown";}
level.addEventListener("change",apply);rule.addEventListener("change",apply);
box.hidden=false;apply();})();"""

_CODE = re.compile(r"`([^`\n]+)`")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _message(text: str) -> str:
    """A finding message as HTML: escaped, with `code` spans set as code."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", _e(text))


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _short(text: str, width: int, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (paths keep their end)."""
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1):] if keep_end else text[:width - 1] + "…"


def _rule_link(f_rule: str, uri: str) -> str:
    if uri:
        return f'<a href="{_e(uri)}" rel="noopener noreferrer">{_e(f_rule)}</a>'
    return _e(f_rule)


def _loc(path: str, line: int, column: int | None = None) -> str:
    where = f"{path}:{line}" + (f":{column}" if column else "")
    return f'<span class="loc">{_e(where)}</span>'


# --------------------------------------------------------------------------- page

def render(report: Report) -> str:
    facts = report.facts
    live = [f for f in report.findings if f.suppression is None and not f.intentional]
    intentional = [f for f in report.findings if f.suppression is None and f.intentional]
    suppressed = [f for f in report.findings if f.suppression is not None]
    uris = {f.rule: f.help_uri for f in report.findings if f.help_uri}
    body = [_header(report, facts, live, intentional)]
    body.append("<main>")
    if facts is not None:
        body.append(_topology(facts))
        body.append(_policies(facts))
        body.append(_versions(facts))
    else:
        body.append('<p class="muted">This report was rendered without estate facts: only '
                    "the findings are shown.</p>")
    body.append(_findings(live, uris))
    body.append(_intentional(intentional, report.rules))
    body.append(_suppressed(report, suppressed, facts))
    if facts is not None:
        body.append(_waivers(facts))
    if report.notices:
        body.append('<section id="notices"><h2>Notices</h2><ul>'
                    + "".join(f"<li>{_e(n)}</li>" for n in report.notices) + "</ul></section>")
    body.append("</main>")
    body.append(f"<footer>Generated by lunalint {_e(__version__)}"
                + (f" on {_e(facts.generated)}" if facts is not None else "")
                + ". Findings cite the vendor's documentation on each rule page; secrets found "
                "in the audited files are shown as <code>****</code>.</footer>")
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = ("default-src 'none'; style-src 'unsafe-inline'; "
           f"script-src 'sha256-{script_hash}'; base-uri 'none'; "
           "form-action 'none'")
    title = "lunalint audit" + (f" of {facts.root}" if facts is not None and facts.root else "")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def _header(report: Report, facts, live: list, intentional: list) -> str:
    counts = Counter(f.level.label for f in live)
    out = ['<header>', '<h1>lunalint audit</h1>']
    if facts is not None:
        out.append(f'<p class="sub">{_e(facts.root or ".")} · generated {_e(facts.generated)} '
                   f"by lunalint {_e(facts.version)}</p>")
        kinds = facts.kinds()
        files = ", ".join(_plural(n, *_KIND_WORDS.get(k, (k, k + "s")))
                          for k, n in kinds.items()) or "no files"
        rows = [("Audited", ", ".join(facts.paths) or "."),
                ("Project root", facts.root or "(none: only the named files)"),
                ("Files", f"{_plural(len(facts.files), 'file')}: {files}"),
                ("Settings", facts.settings or "none (defaults)"),
                ("HA groups", str(len(facts.groups)))]
        out.append('<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                                                 for k, v in rows) + "</dl>")
    else:
        out.append(f'<p class="sub">{_plural(report.files, "file")} · lunalint '
                   f"{_e(__version__)}</p>")
    cards = [(level, counts.get(level, 0), level + ("s" if counts.get(level, 0) != 1 else ""))
             for level in LEVELS]
    cards += [("intentional", len(intentional), "intentional"),
              ("suppressed", report.suppressed, "suppressed")]
    out.append('<div class="totals" id="totals">' + "".join(
        f'<div class="total {cls}"><b>{n}</b>{_e(word)}</div>' for cls, n, word in cards)
        + "</div>")
    links = [("#findings", "Findings"), ("#intentional", "Intentional"),
             ("#suppressed", "Suppressed")]
    if facts is not None:
        links = [("#topology", "HA topology"), ("#policies", "Policy matrix"),
                 ("#versions", "Versions")] + links + [("#waivers", "Waivers")]
    out.append("<nav>" + "".join(f'<a href="{h}">{t}</a>' for h, t in links) + "</nav>")
    out.append("</header>")
    return "\n".join(out)


_KIND_WORDS = {"config": ("client configuration", "client configurations"),
               "export": ("capture", "captures"),
               "host": ("file embedding configurations", "files embedding configurations"),
               "unreadable": ("unreadable file", "unreadable files")}


def _vendor(facts, key: str) -> str:
    title, url = facts.vendor_docs[key]
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(title)}</a>'


# --------------------------------------------------------------------------- topology

def _legend() -> str:
    items = []
    for state in ("error", "warning", "note", "clean", "unknown"):
        fill, stroke = COLORS[state]
        items.append(f'<span><span class="swatch" style="background:{fill};border-color:'
                     f'{stroke}"></span>{_e(STATE_TEXT[state])}</span>')
    items.append('<span class="muted">dashed: standby member</span>')
    return '<div class="legend">' + "".join(items) + "</div>"


def _topology(facts) -> str:
    out = ['<section id="topology"><h2>HA topology</h2>',
           '<p class="muted">Each HA group: the client configurations that define it, the '
           "group (label, virtual serial) and its members (serial, label, HSM, firmware, "
           "authentication, status from captures). Each element has the colour of its worst "
           "finding; members no capture shows are grey. Vendor prerequisites: "
           f"{_vendor(facts, 'ha-setup')}.</p>", _legend()]
    if not facts.groups:
        out.append('<p>No HA group is defined in the audited configurations or captures.</p>')
    for i, group in enumerate(facts.groups):
        out.append(f'<figure id="group-{i}" data-group="{_e(group.label)}">')
        serial = f" · virtual serial {_e(group.serial)}" if group.serial else ""
        out.append(f'<figcaption>Group <code>{_e(group.label)}</code>{serial} '
                   f'<span class="badge {group.state}">{_e(STATE_TEXT[group.state])}</span>'
                   "</figcaption>")
        out.append(_svg(group))
        out.append(_member_table(group))
        if group.problems:
            out.append('<p class="small">About the group itself: ' + "; ".join(
                f'<span class="badge {p.level}">{p.level}</span> {_e(p.rule)} at '
                f"{_loc(p.path, p.line)}" for p in group.problems) + "</p>")
        out.append("</figure>")
    out.append("</section>")
    return "\n".join(out)


BOX_W, CFG_W, MEMBER_W = 250, 270, 320
CFG_H, GROUP_H, MEMBER_H, GAP = 54, 96, 104, 16
X_CFG, X_GROUP, X_MEMBER = 10, 350, 690
WIDTH = X_MEMBER + MEMBER_W + 10


def _text(x: int, y: int, text: str, width_chars: int, cls: str = "", keep_end: bool = False,
          weight: str = "") -> str:
    style = f' font-weight="{weight}"' if weight else ""
    klass = f' class="{cls}"' if cls else ""
    return (f'<text x="{x}" y="{y}"{klass}{style}>'
            f"{_e(_short(text, width_chars, keep_end))}</text>")


def _box(x: int, y: int, w: int, h: int, state: str, dashed: bool = False) -> str:
    fill, stroke = COLORS[state]
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"{dash}/>')


def _tag(x: int, y: int, state: str) -> str:
    """The state as words in the box's corner (colour is never the only signal)."""
    return (f'<text x="{x}" y="{y}" text-anchor="end" class="tag" fill="{COLORS[state][1]}">'
            f"{_e(STATE_TEXT[state])}</text>")


def _tooltip(lines: list[str]) -> str:
    return f"<title>{_e(chr(10).join(lines))}</title>"


def _svg(group) -> str:
    sources = [("config", c.path, c.form or "config", c.worst or "clean",
                f"{c.problems} problem(s) in the file", c.defined_at) for c in group.configs]
    if not sources and group.listing is not None:
        sources = [("listing", group.listing.path, "hagroup listgroups", "clean",
                    "group known from a capture only", group.listing)]
    members = group.members
    left_h = len(sources) * (CFG_H + GAP) - GAP if sources else 0
    right_h = len(members) * (MEMBER_H + GAP) - GAP if members else 0
    height = max(left_h, right_h, GROUP_H) + 20
    out = [f'<svg class="topology" role="img" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
           f'aria-label="HA group {_e(group.label)}">',
           "<style>text{font:13px system-ui,sans-serif;fill:#1f2328}"
           ".mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}"
           ".small{font-size:12px;fill:#444}.tag{font-size:11px;font-weight:600}</style>"]
    gy = 10 + (height - 20 - GROUP_H) // 2
    mid_group = gy + GROUP_H // 2
    # Edges first, so boxes sit on top of them.
    for i in range(len(sources)):
        cy = 10 + i * (CFG_H + GAP) + CFG_H // 2
        out.append(f'<path d="M{X_CFG + CFG_W} {cy} C{X_CFG + CFG_W + 40} {cy} '
                   f'{X_GROUP - 40} {mid_group} {X_GROUP} {mid_group}" fill="none" '
                   'stroke="#8c959f" stroke-width="1.5"/>')
    for i, m in enumerate(members):
        cy = 10 + i * (MEMBER_H + GAP) + MEMBER_H // 2
        dash = ' stroke-dasharray="6 4"' if m.standby else ""
        out.append(f'<path d="M{X_GROUP + BOX_W} {mid_group} C{X_GROUP + BOX_W + 40} '
                   f'{mid_group} {X_MEMBER - 40} {cy} {X_MEMBER} {cy}" fill="none" '
                   f'stroke="#8c959f" stroke-width="1.5"{dash}/>')
    for i, (kind, path, form, state, note, where) in enumerate(sources):
        y = 10 + i * (CFG_H + GAP)
        out.append(f'<g class="config" data-path="{_e(path)}">'
                   + _tooltip([path, note] + ([f"defines the group at {where}"] if where else []))
                   + _box(X_CFG, y, CFG_W, CFG_H, state)
                   + _text(X_CFG + 10, y + 21, path, 36, "mono", keep_end=True)
                   + _text(X_CFG + 10, y + 41, form + (f" · line {where.line}" if where else ""),
                           26, "small")
                   + _tag(X_CFG + CFG_W - 8, y + 41, state) + "</g>")
    listing = []
    for key, value in group.listing_fields:
        if key.casefold() == "synchronization":
            listing.append(f"sync {value}")
        elif key.casefold() == "needs sync":
            listing.append(f"needs sync: {value}")
    lines = [(group.label, "600"), (f"virtual serial {group.serial or '?'}", ""),
             (", ".join(listing) or ("listed in a capture" if group.listing else
                                     "no hagroup listgroups capture"), ""),
             (_plural(len(members), "member"), "")]
    out.append(f'<g class="group" data-group="{_e(group.label)}">'
               + _tooltip([f"HA group {group.label}"]
                          + [f"{p.level} {p.rule}: {p.message}" for p in group.problems])
               + _box(X_GROUP, gy, BOX_W, GROUP_H, group.state))
    for j, (text, weight) in enumerate(lines):
        out.append(_text(X_GROUP + 12, gy + 22 + j * 20, text, 32,
                         "mono" if j == 1 else ("small" if j > 1 else ""), weight=weight))
    out.append(_tag(X_GROUP + BOX_W - 8, gy + GROUP_H - 8, group.state) + "</g>")
    for i, m in enumerate(members):
        y = 10 + i * (MEMBER_H + GAP)
        state = m.state
        hsm = m.hsm_label or m.hsm_serial
        lines = [
            (m.serial + ("  (standby)" if m.standby else ""), "600", "mono"),
            (" · ".join(x for x in (m.label or "no label", m.model) if x), "", ""),
            (f"HSM {hsm}" + (f" · {m.hsm_model}" if m.hsm_model else "") if hsm else
             ("HSM policies captured, no label" if m.hsm_policies is not None
              else "HSM not captured"), "", "small"),
            (f"firmware {m.firmware or '?'} · auth {m.authentication or '?'}", "", "small"),
            (f"status {m.status}" if m.status else
             ("status not listed" if m.captured else "no capture"), "", "small"),
        ]
        tip = [f"member {m.serial}"] + [f"{p.level} {p.rule}: {p.message}" for p in m.problems]
        out.append(f'<g class="member" data-serial="{_e(m.serial)}" data-state="{state}">'
                   + _tooltip(tip) + _box(X_MEMBER, y, MEMBER_W, MEMBER_H, state, m.standby))
        for j, (text, weight, cls) in enumerate(lines):
            out.append(_text(X_MEMBER + 12, y + 20 + j * 19, text, 40, cls, weight=weight))
        out.append(_tag(X_MEMBER + MEMBER_W - 8, y + 20, state) + "</g>")
    out.append("</svg>")
    return "".join(out)


def _member_table(group) -> str:
    head = ("Member", "Label", "HSM", "Firmware", "Auth", "Status", "Findings")
    rows = []
    for m in group.members:
        hsm = " ".join(x for x in (m.hsm_label, f"({m.hsm_serial})" if m.hsm_serial else "",
                                   m.hsm_model) if x) or "—"
        found = ", ".join(f"{p.rule} ({p.level})" for p in m.problems) or \
            ("none" if m.captured else "no capture")
        if m.intentional:
            found += "; intentional: " + ", ".join(p.rule for p in m.intentional)
        status = m.status or ("—" if m.captured else "unknown")
        rows.append(
            f'<tr data-serial="{_e(m.serial)}"><td><code>{_e(m.serial)}</code>'
            + (' <span class="muted">standby</span>' if m.standby else "")
            + f'</td><td>{_e(m.label or "—")}</td><td>{_e(hsm)}</td>'
            f'<td>{_e(m.firmware or "—")}</td><td>{_e(m.authentication or "—")}</td>'
            f'<td>{_e(status)}</td><td><span class="badge {m.state}">'
            f'{_e(STATE_TEXT[m.state])}</span> {_e(found)}</td></tr>')
    return ('<div class="wide"><table class="members small"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


# --------------------------------------------------------------------------- policies

def _policies(facts) -> str:
    out = ['<section id="policies"><h2>Policy matrix</h2>',
           '<p class="muted">Members × policies as the captures print them (<code>partition '
           "showpolicies</code>, <code>hsm showpolicies</code>). Highlighted cells differ from "
           "the value most members share. Cloning (0, 4), activation (22, 23), Key Management "
           "Functions (28) and Secure Trusted Channel (37) are always shown. "
           "<code>—</code>: the capture does not list the policy (not changeable there); "
           "<code>?</code>: no capture for this member. Vendor pages: "
           f"{_vendor(facts, 'partition-policies')}, {_vendor(facts, 'hsm-policies')}.</p>"]
    if not facts.groups:
        out.append("<p>No HA group to compare.</p>")
    for i, group in enumerate(facts.groups):
        out.append(f'<h3 id="policies-{i}">Group <code>{_e(group.label)}</code></h3>')
        out.append(_matrix(group, "partition", "Partition policies"))
        hsm = group.policy_rows("hsm")
        if hsm:
            out.append(_matrix(group, "hsm", "HSM policies (of the HSM holding each member)"))
    out.append("</section>")
    return "\n".join(out)


def _matrix(group, kind: str, caption: str) -> str:
    rows = group.policy_rows(kind)
    if not any(c.captured for row in rows for c in row.cells):
        return (f'<p class="muted" data-kind="{kind}">{_e(caption)}: no capture shows them for '
                "this group's members (capture <code>partition showpolicies</code> on each "
                "member's slot).</p>")
    head = "".join(f'<th class="num" title="{_e(m.label or "")}"><code>{_e(m.serial)}</code>'
                   + (f'<br><span class="muted small">{_e(m.label)}</span>' if m.label else "")
                   + "</th>" for m in group.members)
    body = []
    for row in rows:
        cells = []
        for cell in row.cells:
            if not cell.captured:
                cls, text, tip = "val uncaptured", "?", "no capture of the policies"
            elif cell.value is None:
                cls, text, tip = "val absent", "—", "not listed: not changeable on this member"
            else:
                cls, text = "val", cell.value
                tip = str(cell.place) if cell.place else ""
            if cell.differs:
                cls += " differs"
                tip = (tip + "; " if tip else "") + "differs from the other members"
            cells.append(f'<td class="{cls}" title="{_e(tip)}">{_e(text)}</td>')
        classes = " ".join(c for c in ("always" if row.always else "",
                                       "row-differs" if row.differs else "") if c)
        body.append(f'<tr class="{classes}" data-policy="{row.number}"><th class="num">'
                    f'{row.number}</th><th class="policy">{_e(row.name)}</th>'
                    + "".join(cells) + "</tr>")
    return (f'<div class="wide"><table class="matrix small" data-kind="{kind}" '
            f'data-group="{_e(group.label)}">'
            '<caption class="muted">'
            f'{_e(caption)}</caption><thead><tr><th class="num">#</th><th>Policy</th>'
            f"{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")


# --------------------------------------------------------------------------- versions

def _versions(facts) -> str:
    out = ['<section id="versions"><h2>Versions</h2>',
           '<p class="muted">Each member\'s firmware against the HSM Client the group\'s '
           "application uses, and the row of the client/firmware table that applies "
           f"(vendor guidance: {_vendor(facts, 'firmware-ha')}).</p>"]
    head = ("Group", "Member", "Firmware", "Table row", "Minimum client", "Client", "Verdict")
    rows = []
    for group in facts.groups:
        client = group.client
        client_html = '<span class="muted">unknown</span>'
        if client is not None:
            source = "LunaCM banner" if client.origin == "banner" else "settings facts"
            client_html = (f"<code>{_e(client.version)}</code><br>"
                           f'<span class="muted path">{_e(source)}'
                           + (f" {_e(client.place)}" if client.place else "") + "</span>")
        for m in group.members:
            row = m.firmware_row
            row_text = f"{_e(row.start)} ≤ fw &lt; {_e(row.below)}" if row else "—"
            minimum = f"{row.min_client} ({row.confidence})" if row else "—"
            cls, words = VERDICTS.get(m.versions, ("unknown", m.versions))
            fw = f"<code>{_e(m.firmware or '?')}</code>" + (
                f'<br><span class="muted path">{_e(m.firmware_at)}</span>'
                if m.firmware_at else "")
            rows.append(f"<tr><td><code>{_e(group.label)}</code></td><td><code>{_e(m.serial)}"
                        f"</code></td><td>{fw}</td><td>{row_text}</td><td>{_e(minimum)}</td>"
                        f'<td>{client_html}</td><td><span class="badge {cls}">'
                        f"{_e(words)}</span></td></tr>")
    if rows:
        out.append('<div class="wide"><table class="small"><thead><tr>'
                   + "".join(f"<th>{h}</th>" for h in head)
                   + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")
    else:
        out.append("<p>No group member to compare.</p>")
    clients = facts.clients
    out.append("<h3>Client versions in captures</h3>")
    if clients:
        out.append("<ul>" + "".join(f"<li>{_loc(f.path, 1)}: HSM Client <code>{_e(f.client)}"
                                    "</code></li>" for f in clients) + "</ul>")
    else:
        out.append('<p class="muted">No capture shows a LunaCM banner.</p>')
    used = {(m.firmware_row.start, m.firmware_row.below) for g in facts.groups
            for m in g.members if m.firmware_row}
    table = "".join(
        (f'<tr class="used"><td>✔ {_e(r.start)}</td>' if (r.start, r.below) in used
         else f"<tr><td>{_e(r.start)}</td>")
        + f"<td>{_e(r.below)}</td><td>{_e(r.min_client)}</td><td>{_e(r.confidence)}</td>"
        f'<td class="small">{_e(r.source)}</td></tr>' for r in facts.firmware_table)
    out.append("<details><summary>The client/firmware table "
               f"({_plural(len(facts.firmware_table), 'row')}; rows in use marked)</summary>"
               '<div class="wide"><table class="small"><thead><tr><th>Firmware from</th>'
               "<th>below</th>"
               "<th>Minimum client</th><th>Confidence</th><th>Why</th></tr></thead><tbody>"
               + table
               + "</tbody></table></div></details>")
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- findings

def _findings(live: list, uris: dict[str, str]) -> str:
    out = ['<section id="findings"><h2>Findings</h2>']
    if not live:
        out.append("<p>No problem found.</p></section>")
        return "\n".join(out)
    rules = sorted({f.rule for f in live})
    levels = [lv for lv in LEVELS if any(f.level.label == lv for f in live)]
    out.append('<div id="filters" hidden><label>Level <select id="filter-level">'
               '<option value="">all</option>'
               + "".join(f'<option value="{lv}">{lv}</option>' for lv in levels)
               + '</select></label><label>Rule <select id="filter-rule">'
               '<option value="">all</option>'
               + "".join(f'<option value="{_e(r)}">{_e(r)}</option>' for r in rules)
               + '</select></label><span id="filter-count" class="muted"></span></div>')
    out.append('<div class="wide"><table id="findings-table"><thead><tr><th>Location</th>'
               "<th>Level</th>"
               "<th>Rule</th><th>Message</th></tr></thead><tbody>")
    for f in live:
        lv = f.level.label
        related = "".join(f'<br><span class="muted small">↳ {_loc(r.path, r.span.line)} '
                          f"{_e(r.message)}</span>" for r in f.related)
        out.append(f'<tr class="f-{lv}" data-level="{lv}" data-rule="{_e(f.rule)}">'
                   f"<td>{_loc(f.path, f.span.line, f.span.column)}</td>"
                   f'<td><span class="badge {lv}">{lv}</span></td>'
                   f"<td>{_rule_link(f.rule, f.help_uri or uris.get(f.rule, ''))}</td>"
                   f"<td>{_message(f.message)}{related}</td></tr>")
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


def _intentional(found: list, rules: list) -> str:
    out = ['<section id="intentional"><h2>Intentional</h2>']
    if not found:
        out.append('<p class="muted">No finding describes an intentional design.</p></section>')
        return "\n".join(out)
    summaries = {r.id: r.summary for r in rules}
    out.append('<p class="muted">Findings that explain a legitimate design rather than a '
               "defect; they never fail a run.</p><ul>")
    for f in found:
        why = summaries.get(f.rule, "")
        out.append(f"<li>{_loc(f.path, f.span.line, f.span.column)} "
                   f"{_rule_link(f.rule, f.help_uri)}: {_message(f.message)}"
                   + (f' <span class="muted">({_e(why.rstrip("."))})</span>' if why else "")
                   + "</li>")
    out.append("</ul></section>")
    return "\n".join(out)


def _suppressed(report: Report, found: list, facts) -> str:
    out = ['<section id="suppressed"><h2>Suppressed</h2>']
    if not report.include_suppressed or not found:
        if report.suppressed:
            out.append(f"<p>{_plural(report.suppressed, 'finding')} suppressed by inline "
                       "directives or waivers; run with <code>--include-suppressed</code> to "
                       "list them here.</p>")
        else:
            out.append('<p class="muted">Nothing is suppressed.</p>')
        out.append("</section>")
        return "\n".join(out)
    out.append('<div class="wide"><table id="suppressed-table" class="small"><thead><tr>'
               "<th>Location</th>"
               "<th>Rule</th><th>Message</th><th>How</th><th>Reason</th><th>Expires</th>"
               "</tr></thead><tbody>")
    for f in found:
        s = f.suppression
        how = "inline directive" if s.kind == "inSource" else "waiver"
        waiver = facts.waiver_for(s.origin) if facts is not None and s.origin else None
        expires = "never"
        if waiver is not None and waiver.expires:
            expires = waiver.expires + (f" (in {_plural(waiver.days_left, 'day')})"
                                        if waiver.days_left is not None
                                        and waiver.days_left >= 0 else "")
        elif s.kind == "inSource":
            expires = "—"
        out.append(f"<tr><td>{_loc(f.path, f.span.line, f.span.column)}</td>"
                   f"<td>{_rule_link(f.rule, f.help_uri)}</td><td>{_message(f.message)}</td>"
                   f"<td>{how}" + (f' <span class="muted">{_e(s.origin)}</span>' if s.origin
                                  else "")
                   + f"</td><td>{_e(s.justification)}</td><td>{_e(expires)}</td></tr>")
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


def _waivers(facts) -> str:
    out = ['<section id="waivers"><h2>Waivers expiring within 30 days</h2>']
    soon = sorted((w for w in facts.waivers if w.expiring), key=lambda w: w.days_left)
    if not soon:
        out.append(f'<p class="muted">No waiver expires within 30 days of {_e(facts.today)} '
                   f"({_plural(len(facts.waivers), 'waiver')} configured).</p></section>")
        return "\n".join(out)
    out.append('<div class="wide"><table id="waivers-table" class="small"><thead><tr>'
               "<th>Rule</th><th>Files</th>"
               "<th>Anchor</th><th>Reason</th><th>Expires</th><th>Where</th></tr></thead>"
               "<tbody>")
    for w in soon:
        out.append(f"<tr><td>{_e(w.rule)}</td><td><code>{_e(w.path)}</code></td>"
                   f"<td>{_e(w.anchor or '—')}</td><td>{_e(w.reason)}</td>"
                   f"<td>{_e(w.expires)} (in {_plural(w.days_left, 'day')})</td>"
                   f"<td>{_loc(*w.origin.rsplit(':', 1)) if ':' in w.origin else _e(w.origin)}"
                   "</td></tr>")
    out.append("</tbody></table></div></section>")
    return "\n".join(out)
