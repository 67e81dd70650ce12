"""What a run keeps of a client configuration after its per-file rules (issue 21, memory): no
sections and no lines, only the comments that mention lunalint with the line each covers and
the masked text findings about them quote; the fix stage checks a file against the digest of
the lines that were checked."""

from __future__ import annotations

import json

from lunalint import engine, fix, pipeline
from lunalint.model.config import SlimConfig, lines_digest
from lunalint.readers.config import read_config, split_lines
from lunalint.registry import load_registry
from lunalint.settings import Settings

from .conftest import run_cli

PIN = "S3cretPin99"
CONFIG = (
    "# an ordinary comment\n"
    "VirtualToken = {\n"
    "   VirtualToken00Label = payments;\n"
    "   VirtualToken00SN = 11541234567001;\n"
    "   VirtualToken00Members = 1541234567001, 1541234567002;\n"
    "}\n"
    "HAConfiguration = {\n"
    "   # lunalint: ignore[HA101] HA-only is off on purpose while we migrate\n"
    "   # another plain comment\n"
    "   HAOnly = 0;\n"
    f"   Pin = {PIN}; # lunalint: ignore[SYN005] {PIN} kept for the migration\n"
    "   reconnAtt = -1; # lunalint: ignore[HA102] nothing to suppress here\n"
    "}\n"
)


def test_the_slim_configuration_keeps_no_text_but_its_directives():
    doc = read_config("Chrystoki.conf", CONFIG)
    slim = engine.slim(doc)
    assert isinstance(slim, SlimConfig)
    assert slim.lines == () and slim.sections == ()
    assert [span.line for span, _ in slim.comments] == [8, 11, 12]
    # alone on its line, the first directive covers the next line that is not a comment alone
    assert slim.targets == (10, 11, 12)
    assert slim.line_count == len(doc.lines) and slim.digest == lines_digest(doc.lines)
    assert slim.same_lines(doc.lines)
    assert not slim.same_lines(doc.lines[:-1]) and not slim.same_lines(doc.lines + ("",))
    # the quoted lines are masked as they were when the whole text was at hand
    assert all(PIN not in text for _, text in slim.excerpts)


def test_directives_work_and_their_findings_quote_masked_lines(tmp_path):
    (tmp_path / "Chrystoki.conf").write_text(CONFIG, encoding="utf-8")
    outs = []
    for extra in (["--no-cache"], [], []):  # fresh, then stored, then from the cache
        proc = run_cli("--format", "sarif", "--select", "ALL", "--include-suppressed",
                       *extra, "Chrystoki.conf", cwd=tmp_path)
        assert PIN not in proc.stdout + proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1] == outs[2]
    results = json.loads(outs[0])["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["HA101"]["suppressions"]
    unused = by_rule["LUNALINT-SUP003"]["locations"][0]["physicalLocation"]
    assert unused["region"]["startLine"] == 12
    assert unused["contextRegion"]["snippet"]["text"] == \
        "   reconnAtt = -1; # lunalint: ignore[HA102] nothing to suppress here"
    pin = by_rule["SYN005"]["locations"][0]["physicalLocation"]["contextRegion"]["snippet"]["text"]
    assert pin == "   Pin = ***********; # lunalint: ignore[SYN005] **** kept for the migration"


def test_fix_refuses_a_file_that_changed_since_it_was_checked(tmp_path):
    """The fix stage compares the file it opens with the lines that were checked (a slim
    configuration keeps only their digest): a file edited in between is left alone."""
    checked = CONFIG.replace("reconnAtt = -1; # lunalint: ignore[HA102] nothing to suppress here",
                             "reconnAtt = 0;")
    path = tmp_path / "Chrystoki.conf"
    now = checked + "# edited since\n"
    path.write_text(now, encoding="utf-8")
    registry = load_registry(plugins=False)
    options = pipeline.Options([str(path)], [registry.rules["HA102"]], Settings(),
                               cwd=str(tmp_path), known_rules=registry.rules,
                               overlay={str(path): checked})  # what the checking run read
    result = fix.run(options, unsafe=True)
    assert not result.applied
    assert [d.reason for d in result.dropped] == \
        ["the file changed while lunalint was checking it"]
    assert path.read_text(encoding="utf-8") == now
    # and the same file, unchanged, is fixed
    path.write_text(checked, encoding="utf-8")
    result = fix.run(pipeline.Options([str(path)], options.rules, Settings(), cwd=str(tmp_path),
                                      known_rules=registry.rules), unsafe=True)
    assert [a.rule for a in result.applied] == ["HA102"]
    assert "reconnAtt = -1;" in split_lines(path.read_text(encoding="utf-8"))[11]


def test_exact_fixes_are_kept_only_for_those_who_apply_them(tmp_path):
    # (issue 21: a report never reads them, and on an estate they were 2 MB per 1,200 sites
    # held to the end of the run)
    path = tmp_path / "Chrystoki.conf"
    path.write_text(CONFIG.replace("reconnAtt = -1; # lunalint: ignore[HA102] nothing to "
                                   "suppress here", "reconnAtt = 0;"), encoding="utf-8")
    registry = load_registry(plugins=False)

    def run(**how):
        return pipeline.run(pipeline.Options([str(path)], [registry.rules["HA102"]], Settings(),
                                             cwd=str(tmp_path), known_rules=registry.rules,
                                             cache=False, **how))

    kept, report, fixing = run(), run(exact_fixes=False), run(exact_fixes=False, fixing=True)
    found = list(kept.findings)
    assert [f.rule for f in found] == ["HA102"] and found[0].fix is not None
    assert [kept.exact_fix(f) for f in found] == [found[0].fix]  # (nothing to redact here)
    # a report alone: the same findings, fixes shown, no exact fixes held
    assert list(report.findings) == found and report.fixes == {}
    # the fix stage always has them
    assert [fixing.exact_fix(f) for f in fixing.findings] == [found[0].fix]
    proc = run_cli("--fix", "--unsafe-fixes", "Chrystoki.conf", cwd=tmp_path)
    assert "reconnAtt = -1;" in path.read_text(encoding="utf-8"), proc.stderr
