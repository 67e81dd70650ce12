"""Meta-test: every registered built-in rule has help text, a positive fixture and a negative
fixture, in the layout of tests/fixtures/rules/README.md.

A rule's fixtures live in ``tests/fixtures/rules/<ID>/`` (linted by tests/test_rule_fixtures.py)
or, for the LUNALINT-SUP rules made after the other rules ran, in
``tests/fixtures/suppress/<ID>/`` (linted by tests/test_suppress.py). Adding a rule without
them, or with an ``expected.yaml`` that does not match the files, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lunalint.registry import load_registry

from .conftest import FIXTURES

RULES = load_registry(plugins=False).sorted()
HOMES = (FIXTURES / "rules", FIXTURES / "suppress")
SIDE_FILE = ".lunalint.yaml"  # a configuration file next to a fixture, not a fixture


def folder_of(rule_id: str) -> Path | None:
    found = [home / rule_id for home in HOMES if (home / rule_id).is_dir()]
    return found[0] if len(found) == 1 else None


def fixtures(folder: Path, prefix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith(prefix) and not p.name.endswith(SIDE_FILE))


def expected(folder: Path) -> dict:
    path = folder / "expected.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def test_there_are_rules_to_check():
    assert len(RULES) >= 20


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_help_text(rule):
    """What and why (docstring), vendor section, how to fix, and a snippet that triggers it."""
    assert rule.summary.strip(), "summary missing"
    assert len(rule.description.strip()) >= 80, "docstring (what and why) missing or too short"
    assert rule.reference.strip(), "reference to the vendor document section missing"
    assert rule.fix.strip(), "how to fix missing"
    assert rule.bad.strip(), "bad snippet missing"
    assert rule.help_markdown.count(rule.id) >= 1


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_a_fixture_folder(rule):
    homes = [home / rule.id for home in HOMES if (home / rule.id).is_dir()]
    assert len(homes) == 1, (f"{rule.id}: expected exactly one fixture folder among "
                             f"{', '.join(str(h.relative_to(FIXTURES)) for h in HOMES)}")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_positive_fixtures_with_expected_findings(rule):
    folder = folder_of(rule.id)
    assert folder is not None
    bad = fixtures(folder, "bad")
    assert bad, f"{rule.id}: no bad* fixture"
    listed = expected(folder)
    for item in bad:
        findings = listed.get(item.name)
        assert findings, f"{rule.id}: {item.name} is not listed in expected.yaml with findings"
        assert any(f.get("rule") == rule.id for f in findings), (
            f"{rule.id}: expected.yaml lists no {rule.id} finding for {item.name}")
        for f in findings:
            assert {"rule", "level", "line", "column"} <= set(f), f"{item.name}: {f}"
            assert f["level"] in ("error", "warning", "note")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_negative_fixtures(rule):
    folder = folder_of(rule.id)
    assert folder is not None
    good = fixtures(folder, "good")
    assert good, f"{rule.id}: no good* fixture"
    listed = expected(folder)
    for item in good:
        assert not any(f.get("rule") == rule.id for f in listed.get(item.name) or []), (
            f"{rule.id}: good fixture {item.name} is expected to trigger the rule")


@pytest.mark.parametrize("folder", [p for home in HOMES if home.is_dir()
                                    for p in sorted(home.iterdir()) if p.is_dir()],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_folders_name_registered_rules_and_existing_files(folder):
    assert folder.name in {r.id for r in RULES}, f"{folder.name} names no registered rule"
    names = {p.name for p in folder.iterdir()}
    for name in expected(folder):
        assert str(name).split("/")[0] in names, f"expected.yaml lists missing {name}"


# --- vendor citations (issue 14) ------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
SOURCES_COPY = FIXTURES / "reference" / "SOURCES.md"
SHARED_SOURCES = REPO.parent / "shared" / "reference" / "SOURCES.md"
INTERNAL_NAMES = ("LUNA.md", "RULES.md", "SOURCES.md")


def _known_urls() -> set[str]:
    import re

    return set(re.findall(r"https://[^\s|)`]+", SOURCES_COPY.read_text(encoding="utf-8")))


def test_the_copy_of_the_vendor_page_list_is_current():
    """The repository keeps a copy of the team's vendor page list so that tests run anywhere;
    where the shared original is present, the copy must equal it."""
    if not SHARED_SOURCES.is_file():
        pytest.skip("the shared reference folder is not next to this checkout")
    assert SOURCES_COPY.read_text(encoding="utf-8") == SHARED_SOURCES.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_cites_a_vendor_page_or_says_what_it_rests_on(rule):
    from lunalint.rules import sources

    assert rule.basis in sources.BASES
    if rule.basis == sources.DOCUMENTED:
        assert rule.cites, f"{rule.id}: documented, but cites no vendor page"
    else:
        assert len(rule.basis_note) >= 30, f"{rule.id}: {rule.basis} without a plain statement"
    if rule.basis == sources.OWN:
        assert rule.id.startswith("LUNALINT-"), "only lunalint's own rules may cite no vendor"
    if rule.basis in (sources.SEEN, sources.INFERRED):
        # A fact the vendor does not state never makes an error by default.
        assert rule.level.label != "error", f"{rule.id}: {rule.basis} basis at error level"
    page = rule.help_markdown
    for cited in rule.cites:
        assert cited.title in page
        if cited.url:
            assert f"]({cited.url})" in page
    if rule.basis == sources.SEEN:
        assert "seen in real files" in page
    if rule.basis == sources.INFERRED:
        assert "inferred by lunalint" in page


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_cited_address_is_a_known_vendor_page(rule):
    """No invented URL: every address a rule cites appears in the vendor page list."""
    import re

    known = _known_urls()
    for cited in rule.cites:
        assert not cited.url or cited.url in known, f"{rule.id}: {cited.url} is not listed"
    for url in re.findall(r"https?://[^\s)>\]`]+", rule.help_markdown):
        assert url in known, f"{rule.id}: its help links {url}, which is not listed"


def test_every_listed_page_constant_is_known():
    from lunalint.rules import sources

    known = _known_urls()
    assert all(page.url in known for page in sources.ALL if page.url)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_user_facing_text_never_names_internal_documents(rule):
    text = "\n".join((rule.help_markdown, rule.help_text, rule.summary))
    for name in INTERNAL_NAMES:
        assert name not in text, f"{rule.id} mentions {name}"
