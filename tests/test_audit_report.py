"""One-off audits (issue 16): the HTML audit page and the Markdown summary.

Through the real CLI on the bundled examples and on planted estates: the audit facts (groups,
members, policies, versions) exist whatever rules are selected; the page loads nothing from
anywhere; no planted secret reaches either format; text from the files cannot become markup;
suppressed findings, intentional ones and waivers that expire soon have their sections; the
Markdown of the examples matches a checked-in snapshot. The headless-browser test is in
``test_audit_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lunalint import REPOSITORY, __version__, audit, pipeline, settings
from lunalint.registry import load_registry
from lunalint.reporters import Report, renderer

from .conftest import FIXTURES, SAMPLES, run_cli

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = FIXTURES / "audit" / "examples.md"
RULE_PAGES = f"{REPOSITORY}/blob/main/docs/rules/"
VENDOR = ("https://thalesdocs.com/", "https://www.thalesdocs.com/")


def examples_outcome(*select: str) -> pipeline.Outcome:
    registry = load_registry()
    cfg = settings.load(str(ROOT / ".lunalint.yaml"), list(registry.rules))
    rules = [r for r in registry.sorted() if not select or r.id.startswith(select)]
    return pipeline.run(pipeline.Options(["examples/"], rules, cfg, known_rules=registry.rules,
                                         cwd=str(ROOT), audit=True))


def render(fmt: str, *args: str, cwd=ROOT, env=None) -> str:
    proc = run_cli("--format", fmt, "--fail-on", "never", *args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout, proc.stderr
    return proc.stdout


# ---------------------------------------------------------------- the facts


def test_facts_of_the_examples():
    facts = examples_outcome().audit
    # The payments group of payments/ and windows/ (the runbook defines another `payments`,
    # with another virtual serial; the Helm template one whose label is a placeholder).
    groups = {(g.label, g.serial): g for g in facts.groups}
    assert {("payments", "11541234567001"), ('"legacy"', "11541299900001")} <= set(groups)
    payments = groups["payments", "11541234567001"]
    # Defined by two configurations (brace and INI), listed by `hagroup listgroups`.
    assert [c.path for c in payments.configs] == ["examples/payments/Chrystoki.conf",
                                                  "examples/windows/crystoki.ini"]
    assert [c.form for c in payments.configs] == ["brace", "ini"]
    assert payments.serial == "11541234567001"
    assert payments.listing == audit.Place("examples/payments/members.lunacm.txt", 114, 10)
    # HA101 (HAOnly = 0) is about the INI file, not the group.
    assert payments.configs[1].worst == "warning" and payments.worst is None
    a, b = payments.members
    assert (a.serial, a.label, a.hsm_label, a.hsm_serial, a.firmware, a.authentication,
            a.status) == ("1541234567001", "pay-a", "hsm-a", "1541234", "7.7.1", "PW", "alive")
    assert a.firmware_at == audit.Place("examples/payments/members.lunacm.txt", 9, 9)
    assert a.firmware_row.min_client == "10.4.0" and a.versions == "ok"
    assert payments.client == audit.Client(
        "10.4.0-417", "banner", audit.Place("examples/payments/members.lunacm.txt", 1, 9))
    # The POL302 note on pay-b is intentional: it colours nothing, and is kept as explained.
    assert b.state == "clean" and a.state == "clean"
    assert [p.rule for p in b.intentional] == ["POL302"] and not b.problems

    legacy = groups['"legacy"', "11541299900001"]
    old, new = legacy.members
    assert [p.rule for p in old.problems] == ["POL301", "VER203"] or \
        {p.rule for p in old.problems} == {"POL301", "VER203"}
    assert old.state == "error" and new.state == "warning"
    assert [p.rule for p in new.problems] == ["VER201"] and new.versions == "old-client"
    assert {p.rule for p in legacy.problems} == {"HA105", "SYN008"}
    assert legacy.state == "warning" and legacy.listing is None
    assert new.partition_policies is None  # no `partition showpolicies` for slot 1


def test_policy_matrix_rows():
    facts = examples_outcome().audit
    payments = next(g for g in facts.groups if g.serial == "11541234567001")
    rows = {r.number: r for r in payments.policy_rows()}
    # The always-shown policies are there even where no capture prints them (22, 23).
    assert {0, 4, 22, 23, 28, 37} <= set(rows)
    assert all(rows[n].always for n in (0, 4, 22, 23, 28, 37)) and not rows[1].always
    assert [c.value for c in rows[22].cells] == [None, None] and not rows[22].differs
    assert [c.value for c in rows[28].cells] == ["1", "0"] and rows[28].differs
    assert [c.value for c in rows[0].cells] == ["1", "1"] and not rows[0].differs
    assert rows[28].cells[1].place == audit.Place("examples/payments/members.lunacm.txt", 100, 17)
    hsm = {r.number: r for r in payments.policy_rows("hsm")}
    assert {7, 12, 16, 39} <= set(hsm) and [c.value for c in hsm[16].cells] == ["On", "On"]
    legacy = next(g for g in facts.groups if g.label == '"legacy"')
    cells = {r.number: r.cells for r in legacy.policy_rows()}
    # The member without a policy capture takes no part: no difference is claimed.
    assert [(c.value, c.captured) for c in cells[4]] == [("0", True), (None, False)]
    assert not any(c.differs for row in cells.values() for c in row)
    assert legacy.policy_rows("hsm") == ()


def test_majority_decides_which_cell_differs():
    def member(serial, value):
        return audit.Member(serial, audit.Place("c", 1), captured=True,
                            partition_policies=(audit.PolicyValue(0, "Allow private key "
                                                                  "cloning", value),))

    group = audit.Group("g", None, (), None, (), (member("1", "1"), member("2", "1"),
                                                  member("3", "0")), None)
    row = next(r for r in group.policy_rows() if r.number == 0)
    assert [c.differs for c in row.cells] == [False, False, True]


def test_facts_are_plain_and_picklable():
    facts = examples_outcome().audit
    again = pickle.loads(pickle.dumps(facts))
    assert again == facts
    # No model, workspace or lark object inside: only the audit records and builtins.
    allowed = {"builtins", "lunalint.audit"}

    def walk(value):
        assert type(value).__module__ in allowed, type(value)
        if isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name))

    walk(facts)


def test_facts_exist_whatever_rules_are_selected():
    """The link stage is built for the audit formats even when no selected rule links."""
    outcome = examples_outcome("SYN")
    assert {f.rule[:3] for f in outcome.findings} == {"SYN"}
    facts = outcome.audit
    assert {g.label for g in facts.groups} == {g.label for g in examples_outcome().audit.groups}
    assert {"payments", '"legacy"'} <= {g.label for g in facts.groups}
    assert {"1541234567001", "1541234567002", "1541299900001", "1541299900002"} <= {
        m.serial for g in facts.groups for m in g.members}
    page = render("html", "--select", "SYN002", "examples/")
    for serial in ("1541234567001", "1541299900002", "11541234567001"):
        assert serial in page
    summary = render("markdown", "--select", "SYN002", "examples/")
    assert "`payments`" in summary and "`1541299900001`" in summary


def test_html_is_the_same_from_a_process_pool():
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    one = render("html", "--jobs", "1", "examples/", env=env)
    two = render("html", "--jobs", "2", "examples/", env=env)
    assert one == two
    assert "2023-11-14 22:13 UTC" in one


# ---------------------------------------------------------------- the page


class Resources(HTMLParser):
    """Every address the page names, by tag and attribute, and its inline styles."""

    ADDRESS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data",
               "background", "manifest", "ping", "codebase", "cite", "longdesc", "icon"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self.csp: str | None = None
        self.scripts = 0
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            if name in self.ADDRESS and value is not None:
                self.addresses.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == \
                "content-security-policy":
            self.csp = values.get("content")
        if tag == "script":
            self.scripts += 1
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def assert_loads_nothing(page: str) -> Resources:
    parsed = Resources()
    parsed.feed(page)
    for tag, name, value in parsed.addresses:
        if value.startswith("#"):
            continue
        assert tag == "a" and name == "href", f"<{tag} {name}={value!r}> loads a resource"
        assert value.startswith(RULE_PAGES) or value.startswith(VENDOR), value
    for style in parsed.styles:
        assert "url(" not in style.lower() and "@import" not in style.lower(), style
    banned = {"link", "img", "iframe", "object", "embed", "audio", "video", "source", "frame",
              "base", "form", "image", "use", "foreignobject", "feimage"}
    assert not banned & set(parsed.tags), banned & set(parsed.tags)
    assert parsed.scripts == 1
    # ...and the browser is told to load nothing even if something slipped through.
    assert parsed.csp is not None and "default-src 'none'" in parsed.csp
    assert "unsafe-inline" not in parsed.csp.split("script-src")[1].split(";")[0]
    return parsed


def test_html_of_the_examples_loads_nothing_and_shows_everything():
    page = render("html", "examples/")
    parsed = assert_loads_nothing(page)
    rule_links = {v for tag, _, v in parsed.addresses if v.startswith(RULE_PAGES)}
    proc = run_cli("--format", "json", "--fail-on", "never", "examples/", cwd=ROOT)
    findings = json.loads(proc.stdout)["findings"]
    # Every finding has its rule page linked and its place shown.
    assert {RULE_PAGES + f["rule"] + ".md" for f in findings} <= rule_links
    for f in findings:
        assert f'{f["path"]}:{f["line"]}:{f["column"]}' in page
    assert any(v.startswith(VENDOR) for _, _, v in parsed.addresses)
    # Sections a reviewer looks for, and the totals.
    for anchor in ('id="topology"', 'id="policies"', 'id="versions"', 'id="findings"',
                   'id="intentional"', 'id="suppressed"', 'id="waivers"'):
        assert anchor in page
    facts = examples_outcome().audit
    assert "<svg" in page and page.count("<svg") == len(facts.groups)
    assert page.count('class="member"') == sum(len(g.members) for g in facts.groups)
    errors = sum(1 for f in findings if f["level"] == "error" and not f["intentional"])
    assert f'<div class="total error"><b>{errors}</b>' in page
    assert '<div class="total intentional"><b>1</b>' in page
    # The intentional replica finding is explained in its own section, not among defects.
    intentional = page.split('id="intentional"')[1].split("</section>")[0]
    assert "POL302" in intentional and "cloning a key in is not creating it" in intentional
    table = page.split('id="findings-table"')[1].split("</table>")[0]
    assert "POL302" not in table
    kinds = examples_outcome().audit.kinds()
    assert kinds["config"] >= 3 and kinds["export"] == 3
    assert "lunalint " + __version__ in page
    assert f'{kinds["config"]} client configurations, {kinds["export"]} captures' in page


HOSTILE_LABEL = '<img src=https://evil.example/x.png onerror=alert(1)>[click](https://evil.example)'


def test_text_from_files_cannot_become_markup(tmp_path):
    """A slot label, a group label and a serial crafted as HTML or Markdown stay text."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Chrystoki.conf").write_text(
        "VirtualToken = {\n"
        f"   VirtualToken00Label = {HOSTILE_LABEL};\n"
        "   VirtualToken00Members = 1541299900001, <u>x</u>;\n"
        "}\n", encoding="utf-8")
    (tmp_path / "members.lunacm.txt").write_text(
        "LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.\n\n"
        "        Slot Id ->              0\n"
        f"        Label ->                {HOSTILE_LABEL}\n"
        "        Serial Number ->        1541299900001\n"
        "        Firmware Version ->     7.7.1\n"
        "        Configuration ->        Luna User Partition With SO (PW) Key Export\n\n",
        encoding="utf-8")
    page = render("html", ".", cwd=tmp_path)
    parsed = assert_loads_nothing(page)  # no <img>, no address but rule and vendor pages
    assert "u" not in parsed.tags
    assert "evil.example" in page and "&lt;u&gt;x&lt;/u&gt;" in page  # shown, as text
    summary = render("markdown", ".", cwd=tmp_path)
    outside_code = re.sub(r"`[^`]*`", "", summary)
    # Outside code spans, every `<`, `[` and `(` from the files is escaped with a backslash.
    assert not re.search(r"(?<!\\)<(img|u)", outside_code), outside_code
    assert "](https://evil" not in outside_code
    assert not re.search(r"(?<!\\)\[click", outside_code)
    assert "evil.example" in summary


# ---------------------------------------------------------------- secrets


SECRET = "PLANT-audit-0123456789-abcdefghij-klmnopqrst-uvwxyz"  # longer than any cut label


@pytest.fixture
def secret_estate(tmp_path):
    """A secret that is also a group label, a partition label and an HSM label, so it would
    reach the topology (where long labels are cut), the matrix and the versions table."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Chrystoki.conf").write_text(
        "Misc = {\n"
        f"   ClientPassword = {SECRET};\n"
        "   PartitionPin = PLANT-audit-pin-7;\n"
        "}\n"
        "VirtualToken = {\n"
        f"   VirtualToken00Label = {SECRET};\n"
        "   VirtualToken00SN = 11541299900001;\n"
        "   VirtualToken00Members = 1541299900001, 1541299900002;\n"
        "}\n"
        "HAConfiguration = {\n   HAOnly = 0;\n   UserPin = {PLANT-audit-pin-8;\n}\n",
        encoding="utf-8")
    (tmp_path / "members.lunacm.txt").write_text(
        "LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.\n\n"
        "        Slot Id ->              0\n"
        f"        Label ->                {SECRET}\n"
        "        Serial Number ->        1541299900001\n"
        "        Firmware Version ->     7.7.1\n"
        "        Configuration ->        Luna User Partition With SO (PW) Key Export\n\n"
        "        Current Slot Id: 0\n\n"
        "lunacm:>partition login -password PLANT-audit-cap-1\n\n"
        "Command Result : No Error\n\n"
        "lunacm:>partition showpolicies\n\n"
        "        Partition Policies\n"
        "                 0: Allow private key cloning : 1\n"
        "                 4: Allow secret key cloning : 0\n\n"
        "Command Result : No Error\n", encoding="utf-8")
    (tmp_path / "hsm.lunash.txt").write_text(
        "[hsm] lunash:>hsm showpolicies\n\n"
        f"   HSM Label:   {SECRET}\n   Serial #:    1541299\n   Firmware:    7.7.1\n\n"
        "   Description                              Value        Code      Destructive\n"
        "   ===========                              =====        ====      ===========\n"
        "   Allow cloning                            On           7         Yes\n\n"
        "Command Result : 0 (Success)\n", encoding="utf-8")
    return tmp_path


PLANTED = re.compile(r"PLANT-audit-[\w-]+")


@pytest.mark.parametrize("fmt", ("html", "markdown"))
def test_no_secret_in_audit_reports(secret_estate, fmt):
    out = render(fmt, "--include-suppressed", ".", cwd=secret_estate)
    assert not PLANTED.findall(out), sorted(set(PLANTED.findall(out)))
    # Not even a cut piece of the long one (labels are shortened in the topology).
    for piece in ("0123456789-abcdefghij", "klmnopqrst", "uvwxyz"):
        assert piece not in out
    # The test has teeth: the members and the group are there, their secret labels masked.
    assert "1541299900001" in out and "****" in out
    if fmt == "html":
        assert 'class="member"' in out and "HSM ****" in out


@pytest.mark.parametrize("fmt", ("html", "markdown"))
def test_no_secret_from_the_shared_estate(fmt, tmp_path):
    """The twenty secrets of test_secrets.py (configs and captures), in the audit formats."""
    import shutil

    from . import test_secrets

    for folder, name, text in (("etc", "Chrystoki.conf", test_secrets.BRACE),
                               ("win", "crystoki.ini", test_secrets.INI),
                               ("captures", "admin.lunacm.txt", test_secrets.CAPTURE)):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(text, encoding="utf-8")
    shutil.copy(SAMPLES / "lunacm-session.txt", tmp_path / "captures" / "members.lunacm.txt")
    assert len(set(test_secrets.PLANTED.findall(test_secrets.BRACE + test_secrets.INI
                                                + test_secrets.CAPTURE))) == 20
    out = render(fmt, "--select", "ALL", "--include-suppressed", ".", cwd=tmp_path)
    assert not test_secrets.PLANTED.findall(out)
    assert "1541234567001" in out


# ---------------------------------------------------------------- sections


def _waiver_estate(tmp_path, today: dt.date):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Chrystoki.conf").write_text(
        "VirtualToken = {\n   VirtualToken00Label = vault;\n"
        "   VirtualToken00Members = 1541299900001, 1541299900002;\n}\n"
        "HAConfiguration = {\n   HAOnly = 0; # lunalint: ignore[HA101] lab clients only\n"
        "   reconnAtt = 0;\n   AutoReconnectInterval = 60;\n}\n", encoding="utf-8")
    soon = today + dt.timedelta(days=10)
    later = today + dt.timedelta(days=200)
    (tmp_path / ".lunalint.yaml").write_text(
        "waivers:\n"
        "  - rule: HA102\n    path: Chrystoki.conf\n"
        f"    reason: recovery is manual during the migration\n    expires: {soon}\n"
        "  - rule: HA104\n    path: Chrystoki.conf\n"
        f"    reason: no sync needed for the test group\n    expires: {later}\n",
        encoding="utf-8")
    return soon, later


def test_suppressed_findings_and_expiring_waivers(tmp_path):
    soon, later = _waiver_estate(tmp_path, dt.date.today())
    proc = run_cli("--format", "json", "--fail-on", "never", "--include-suppressed", ".",
                   cwd=tmp_path)
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"] if f["suppressed"]}
    assert {"HA101", "HA102"} <= rules, proc.stdout
    page = render("html", "--include-suppressed", ".", cwd=tmp_path)
    section = page.split('id="suppressed"')[1].split("</section>")[0]
    assert "HA101" in section and "lab clients only" in section and "inline directive" in section
    assert "HA102" in section and "recovery is manual during the migration" in section
    assert f"{soon.isoformat()} (in 10 days)" in section
    waivers = page.split('id="waivers"')[1].split("</section>")[0]
    assert "HA102" in waivers and soon.isoformat() in waivers
    assert "HA104" not in waivers and later.isoformat() not in waivers  # 200 days away
    # Without --include-suppressed the page says how many are hidden and how to see them.
    page = render("html", ".", cwd=tmp_path)
    section = page.split('id="suppressed"')[1].split("</section>")[0]
    assert "--include-suppressed" in section and "HA102" not in section
    assert "HA102" in page.split('id="waivers"')[1]  # the expiring waiver is listed anyway
    summary = render("markdown", ".", cwd=tmp_path)
    assert "suppressed" in summary and "HA101" not in summary


def test_expiry_window_is_thirty_days():
    waivers = [audit.Waiver("HA101", "x", "r", expires="2027-01-01", days_left=d)
               for d in (-1, 0, 30, 31, None)]
    assert [w.expiring for w in waivers] == [False, True, True, False, False]


def test_html_without_facts_still_renders_the_findings():
    outcome = examples_outcome()
    report = Report(outcome.shown(False), outcome.files, redactor=outcome.redactor)
    page = renderer("html")(report)
    assert "rendered without estate facts" in page and "SYN002" in page
    summary = renderer("markdown")(report)
    assert "### Errors" in summary and "### HA groups" not in summary


# ---------------------------------------------------------------- the markdown summary


def test_markdown_of_the_examples_matches_the_snapshot():
    out = render("markdown", "examples/").replace(f"lunalint {__version__}",
                                                  "lunalint VERSION")
    if os.environ.get("LUNALINT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(out, encoding="utf-8")
    assert out == SNAPSHOT.read_text(encoding="utf-8"), (
        "the Markdown summary changed; if intended, rerun with LUNALINT_UPDATE_SNAPSHOTS=1 "
        "and review the diff of " + str(SNAPSHOT.relative_to(ROOT)))


def test_markdown_tables_are_capped_with_a_count_of_the_rest(tmp_path):
    keys = "".join(f"   UnknownKey{i:02d} = 1;\n" for i in range(40))
    (tmp_path / "Chrystoki.conf").write_text(f"HAConfiguration = {{\n{keys}}}\n",
                                             encoding="utf-8")
    out = render("markdown", "--select", "SYN005", "Chrystoki.conf", cwd=tmp_path)
    table = out.split("### Warnings (40)")[1]
    assert table.count("\n| `Chrystoki.conf:") == 25
    assert "…and 15 more warnings" in table
    assert "**40 problems** (40 warnings) in 1 of 1 file." in out


# ---------------------------------------------------------------- README


def test_readme_audits_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Audits\n")[1].split("\n## ")[0]
    image = re.search(r"!\[[^\]]+\]\(([^)]+)\)", section).group(1)
    assert (ROOT / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The commands it shows work as written (the page to a file, the summary to stdout).
    assert "lunalint --format html -o report.html examples/" in section
    assert 'lunalint --format markdown examples/ >> "$GITHUB_STEP_SUMMARY"' in section


def test_a_failure_collecting_facts_costs_only_the_pictures(monkeypatch):
    """A bug in the audit seam leaves the findings and says so; the run does not crash."""
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(audit, "collect", broken)
    outcome = examples_outcome()
    assert outcome.audit is None and outcome.findings
    assert any("could not be collected (KeyError" in n for n in outcome.notices)
    report = Report(outcome.shown(False), outcome.files, notices=outcome.notices,
                    redactor=outcome.redactor, facts=outcome.audit)
    page = renderer("html")(report)
    assert "rendered without estate facts" in page and "could not be collected" in page


def test_members_without_a_capture_are_unknown_and_standby_is_marked(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Chrystoki.conf").write_text(
        "VirtualToken = {\n   VirtualToken00Label = vault;\n"
        "   VirtualToken00SN = 11541299900001;\n"
        "   VirtualToken00Members = 1541299900001, 1541299900009;\n"
        "   VirtualToken00StandbyMembers = 1541299900003;\n}\n"
        "HASynchronize = {\n   vault = 1;\n}\n"
        "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n"
        "   AutoReconnectInterval = 60;\n}\n", encoding="utf-8")
    (tmp_path / "members.lunacm.txt").write_text(
        "LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet. All rights reserved.\n\n"
        "        Slot Id ->              0\n        Label ->                vault-a\n"
        "        Serial Number ->        1541299900001\n"
        "        Firmware Version ->     7.7.1\n"
        "        Configuration ->        Luna User Partition With SO (PW) Key Export\n\n"
        "lunacm:>hagroup listgroups\n\n"
        "         HA Group Label:  orphan\n        HA Group Number:  11541288800001\n"
        "          Group Members:  1541288800001, 1541288800002\n"
        "        Standby Members:  <none>\n\n"
        "Slot #    Member S/N                      Member Label    Status\n"
        "======    ==========                      ============    ======\n"
        "     0    1541288800001                         orph-a     alive\n"
        "     -    1541288800002                         orph-b     down\n\n"
        "Command Result : No Error\n", encoding="utf-8")
    (tmp_path / "hsm.lunash.txt").write_text(  # LunaSH `hsm show` names the HSM of vault-a
        "[hsm-v] lunash:>hsm show\n\n   HSM Details:\n   ============\n"
        "   HSM Label:              hsm-v\n   Serial #:               1541299\n"
        "   Firmware:               7.7.1\n   HSM Model:              Luna K7\n"
        "\nCommand Result : 0 (Success)\n", encoding="utf-8")
    page = render("html", ".", cwd=tmp_path)
    states = dict(re.findall(r'<g class="member" data-serial="(\d+)" data-state="(\w+)">', page))
    vault_a = page.split('data-serial="1541299900001"')[1].split("</g>")[0]
    assert "HSM hsm-v · Luna K7" in vault_a
    assert states["1541299900009"] == "unknown" and states["1541299900003"] == "unknown"
    assert states["1541299900001"] == "clean"
    unknown = page.split('data-serial="1541299900009" data-state="unknown">')[1]
    assert 'fill="#eeeeee"' in unknown.split("</g>")[0] and "no capture" in unknown
    standby = page.split('data-serial="1541299900003"')[1].split("</g>")[0]
    assert "(standby)" in standby and 'stroke-dasharray="6 4"' in standby
    # A group known only from a `hagroup listgroups` capture: its listing stands in for a
    # configuration, and the live status of each member comes from the member table.
    orphan = page.split('<figure id="group-1" data-group="orphan">')[1].split("</figure>")[0]
    assert "hagroup listgroups" in orphan and "members.lunacm.txt" in orphan
    assert "status down" in orphan and "status alive" in orphan
    summary = render("markdown", ".", cwd=tmp_path)
    assert "`1541299900009` (no capture)" in summary
    assert "`1541299900003` (no capture) standby" in summary
    assert "orph-b (down)" in summary


def test_groups_table_is_capped_worst_first(tmp_path):
    tokens = "".join(f"   VirtualToken{i:02d}Label = g{i:02d};\n"
                     f"   VirtualToken{i:02d}Members = 15412999{i:02d}001, 15412999{i:02d}002;\n"
                     for i in range(30))
    sync = "".join(f"   g{i:02d} = 1;\n" for i in range(30) if i != 29)  # g29 lacks HA105's entry
    (tmp_path / "Chrystoki.conf").write_text(
        f"VirtualToken = {{\n{tokens}}}\nHASynchronize = {{\n{sync}}}\n"
        "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = -1;\n"
        "   AutoReconnectInterval = 60;\n}\n", encoding="utf-8")
    out = render("markdown", "--select", "HA105", "Chrystoki.conf", cwd=tmp_path)
    groups = out.split("### HA groups")[1]
    rows = [line for line in groups.splitlines() if line.startswith("| `g")]
    assert len(rows) == 25 and rows[0].startswith("| `g29` |")  # the one with a problem first
    assert "…and 5 more groups (0 with problems)" in groups


def test_only_groups_of_what_was_named(tmp_path):
    """Context files under the project root link groups, but only the groups that involve a
    named file are drawn (as only their findings are reported)."""
    page = render("html", "examples/payments/")
    assert 'data-group="payments"' in page and "1541299900001" not in page
    # The INI file that also defines `payments` is context: it is drawn beside the group.
    assert "examples/windows/crystoki.ini" in page.split('id="policies"')[0]


def test_passwords_that_are_report_words_break_nothing(tmp_path):
    """Secrets equal to the words the reports are built from (levels, states, verdicts,
    kinds, section keys) are masked in the text, yet both formats still render."""
    words = ("note", "warning", "error", "clean", "unknown", "banner", "brace", "config",
             "export", "ha-setup", "old-client", "display")
    secrets = "".join(f"   Secret{i}Password = {w};\n" for i, w in enumerate(words))
    (tmp_path / ".git").mkdir()
    (tmp_path / "Chrystoki.conf").write_text(
        f"Misc = {{\n{secrets}}}\nVirtualToken = {{\n   VirtualToken00Label = vault;\n"
        "   VirtualToken00Members = 1541299900001, 1541299900002;\n}\n"
        "HAConfiguration = {\n   HAOnly = 0;\n}\n", encoding="utf-8")
    (tmp_path / "members.lunacm.txt").write_text(
        "LunaCM v10.3.0-275. Copyright (c) 2020 SafeNet. All rights reserved.\n\n"
        "        Slot Id ->              0\n        Label ->                vault-a\n"
        "        Serial Number ->        1541299900001\n"
        "        Firmware Version ->     7.7.1\n"
        "        Configuration ->        Luna User Partition With SO (PW) Key Export\n\n",
        encoding="utf-8")
    page = render("html", ".", cwd=tmp_path)
    assert 'data-serial="1541299900001"' in page and "vault-a" in page
    summary = render("markdown", ".", cwd=tmp_path)
    assert "`vault`" in summary and "1541299900002" in summary


def test_audit_reports_from_report_option(tmp_path):
    """`--report html:FILE` beside another format gets the same estate facts as --format html."""
    page, summary = tmp_path / "audit.html", tmp_path / "summary.md"
    proc = run_cli("--format", "json", "--fail-on", "never", "--report", f"html:{page}",
                   "--report", f"markdown:{summary}", "examples/", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"]
    html = page.read_text(encoding="utf-8")
    assert 'data-group="payments"' in html and 'data-serial="1541299900002"' in html
    assert "### HA groups" in summary.read_text(encoding="utf-8")
