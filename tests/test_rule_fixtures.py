"""Every rule against its passing and failing fixtures (tests/fixtures/rules/<RULE>/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lunalint import engine
from lunalint.registry import load_registry

RULES_DIR = Path(__file__).parent / "fixtures" / "rules"


def _cases(prefix: str):
    for folder in sorted(p for p in RULES_DIR.iterdir() if p.is_dir()):
        for item in sorted(folder.iterdir()):
            if item.name.startswith(prefix):
                yield pytest.param(folder.name, item, id=f"{folder.name}/{item.name}")


def _lint(rule_id: str, target: Path):
    rule = load_registry(plugins=False).get(rule_id)
    assert rule is not None, f"fixture folder {rule_id} names no registered rule"
    result = engine.lint([str(target)], [rule], cwd=str(target if target.is_dir() else target.parent))
    return [f for f in result.findings if f.rule == rule_id]


@pytest.mark.parametrize("rule_id, target", list(_cases("bad")))
def test_rule_fires_exactly_as_expected(rule_id, target):
    expected_file = target.parent / "expected.yaml"
    expected = yaml.safe_load(expected_file.read_text())[target.name]
    got = [{"rule": f.rule, "level": f.level.label, "line": f.span.line,
            "column": f.span.column, **({"path": f.path} if target.is_dir() else {})}
           for f in _lint(rule_id, target)]
    want = [{k: v for k, v in item.items() if k in ("rule", "level", "line", "column", "path")}
            for item in expected]
    assert got == want


@pytest.mark.parametrize("rule_id, target", list(_cases("good")))
def test_rule_stays_silent(rule_id, target):
    assert _lint(rule_id, target) == []
