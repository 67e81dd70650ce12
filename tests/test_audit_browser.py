"""The HTML audit page as a reviewer sees it: rendered by headless Chromium (issue 16).

The report of the bundled examples is opened in Debian's Chromium over the DevTools protocol:
every group, member serial and finding is in the rendered page, nothing is logged to the
console (a script blocked by the page's own Content Security Policy or a failed load would
be), the filters work, the page is complete with scripts disabled, and a screenshot is saved
under ``.ci/artifacts/`` for CI to keep. Skips, saying why, only where Chromium is not
installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import chromium
from .conftest import run_cli
from .test_audit_report import examples_outcome

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / ".ci" / "artifacts"

pytest.importorskip("websockets", reason="the `websockets` test dependency is not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = chromium.find()
    if binary is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`, which .ci/run "
                    "installs): the headless-browser check of the HTML report did not run")
    with chromium.Browser(binary, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The HTML report of examples/ written with -o, and the same run's findings as JSON."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    proc = run_cli("--format", "html", "-o", str(out), "examples/", cwd=ROOT)
    assert proc.returncode == 1, proc.stderr  # the examples have errors
    assert proc.stdout == "" and out.stat().st_size > 10_000
    proc = run_cli("--format", "json", "--fail-on", "never", "examples/", cwd=ROOT)
    return out, json.loads(proc.stdout)["findings"]


def test_report_of_the_examples_in_chromium(browser, examples):
    page, findings = examples
    browser.open(chromium.file_url(page))
    assert browser.console_errors() == []
    # The page itself is the only thing loaded: no stylesheet, font, image or script.
    assert browser.requests() == [chromium.file_url(page)]
    dom = browser.evaluate("""(() => {
        const text = e => e.textContent.replace(/\\s+/g, ' ').trim();
        const figures = [...document.querySelectorAll('#topology figure')];
        return {
          title: document.title,
          groups: figures.map(f => f.dataset.group),
          svgs: figures.map(f => { const r = f.querySelector('svg').getBoundingClientRect();
                                   return [r.width, r.height]; }),
          members: [...document.querySelectorAll('svg g.member')].map(g => ({
             serial: g.dataset.serial, state: g.dataset.state, text: text(g),
             fill: g.querySelector('rect').getAttribute('fill'),
             shown: g.getBoundingClientRect().width > 0})),
          groupText: [...document.querySelectorAll('svg g.group')].map(text),
          rows: [...document.querySelectorAll('#findings-table tbody tr')].map(r => ({
             rule: r.dataset.rule, level: r.dataset.level, where: text(r.cells[0]),
             href: (r.querySelector('a') || {}).href || '', visible: !r.hidden})),
          intentional: text(document.getElementById('intentional')),
          matrices: [...document.querySelectorAll('table.matrix')].map(t => ({
             kind: t.dataset.kind, group: t.dataset.group,
             policies: [...t.querySelectorAll('tbody tr')].map(r => +r.dataset.policy),
             differs: t.querySelectorAll('td.differs').length})),
          versions: text(document.getElementById('versions')),
          filters: !document.getElementById('filters').hidden,
          count: text(document.getElementById('filter-count')),
        };
    })()""")
    assert dom["title"].startswith("lunalint audit")
    # Every group with its SVG drawn, every member serial inside its group's picture.
    facts = examples_outcome().audit
    assert dom["groups"] == [g.label for g in facts.groups]
    assert {'"legacy"', "payments"} <= set(dom["groups"])
    assert all(w > 600 and h > 100 for w, h in dom["svgs"])
    serials = {m["serial"]: m for m in dom["members"]}
    assert set(serials) == {m.serial for g in facts.groups for m in g.members}
    assert {"1541234567001", "1541234567002", "1541299900001", "1541299900002"} <= set(serials)
    assert all(m["shown"] and m["serial"] in m["text"] for m in dom["members"])
    assert "pay-a" in serials["1541234567001"]["text"]
    assert "firmware 7.7.1" in serials["1541234567001"]["text"]
    assert "status alive" in serials["1541234567001"]["text"]
    assert "HSM hsm-a" in serials["1541234567001"]["text"]
    # Coloured by the worst finding: VER203/POL301 errors, a VER201 warning, clean ones.
    assert serials["1541299900001"]["state"] == "error"
    assert serials["1541299900001"]["fill"] == "#fdecea"
    assert serials["1541299900002"]["state"] == "warning"
    assert serials["1541234567002"]["state"] == "clean"
    assert any("virtual serial 11541234567001" in t for t in dom["groupText"])
    # Every finding: the defects in the table (with their rule page), the intentional one
    # in its own section.
    defects = [f for f in findings if not f["intentional"]]
    shown = {(r["rule"], r["where"]) for r in dom["rows"]}
    assert shown == {(f["rule"], f'{f["path"]}:{f["line"]}:{f["column"]}') for f in defects}
    assert all(r["href"].endswith(f'/docs/rules/{r["rule"]}.md') for r in dom["rows"])
    for f in findings:
        if f["intentional"]:
            assert f'{f["path"]}:{f["line"]}:{f["column"]}' in dom["intentional"]
    # Policy matrices: the always-shown policies, the differing cells marked.
    partition = {m["group"]: m for m in dom["matrices"] if m["kind"] == "partition"}
    assert {'"legacy"', "payments"} <= set(partition)
    assert all({0, 4, 22, 23, 28, 37} <= set(m["policies"]) for m in partition.values())
    assert partition["payments"]["differs"] > 0  # policy 28: 1 on one member, 0 on the other
    assert "client older than the minimum for this firmware" in dom["versions"]
    # The script ran (the page's CSP allowed exactly it) and wired the filters.
    assert dom["filters"] and dom["count"] == f"{len(defects)} of {len(defects)} shown"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "audit-examples.png"
    browser.screenshot(shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_filters_narrow_the_findings_table(browser, examples):
    page, findings = examples
    browser.open(chromium.file_url(page))
    choose = """((level, rule) => {
        const set = (id, v) => { const s = document.getElementById(id); s.value = v;
                                 s.dispatchEvent(new Event('change')); };
        set('filter-level', level); set('filter-rule', rule);
        return [[...document.querySelectorAll('#findings-table tbody tr')]
                  .filter(r => !r.hidden && r.getBoundingClientRect().height > 0)
                  .map(r => r.dataset.rule),
                document.getElementById('filter-count').textContent];
    })"""
    defects = [f for f in findings if not f["intentional"]]
    errors = sorted(f["rule"] for f in defects if f["level"] == "error")
    rows, count = browser.evaluate(f"{choose}('error', '')")
    assert sorted(rows) == errors and count == f"{len(errors)} of {len(defects)} shown"
    rows, _ = browser.evaluate(f"{choose}('', 'SYN002')")
    assert rows == ["SYN002"]
    rows, _ = browser.evaluate(f"{choose}('note', 'SYN002')")  # SYN002 is an error
    assert rows == []
    rows, _ = browser.evaluate(f"{choose}('', '')")
    assert len(rows) == len(defects)
    assert browser.console_errors() == []


def test_page_is_complete_without_scripts(browser, examples):
    page, findings = examples
    browser.send("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open(chromium.file_url(page))
        state = browser.evaluate("""[
            document.getElementById('filters').hidden,
            [...document.querySelectorAll('#findings-table tbody tr')]
               .filter(r => r.getBoundingClientRect().height > 0).length,
            document.querySelectorAll('svg g.member').length,
            document.getElementById('filter-count').textContent]""")
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False})
    hidden, visible_rows, members, count = state
    assert hidden and count == ""  # the script did not run: no filter controls
    assert visible_rows == sum(1 for f in findings if not f["intentional"])
    assert members == sum(len(g.members) for g in examples_outcome().audit.groups)
    assert browser.console_errors() == []
