"""The configuration example in README.md is a valid configuration file."""

from __future__ import annotations

import re
from pathlib import Path

from lunalint import settings
from lunalint.registry import load_registry

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_configuration_example_loads(tmp_path):
    section = README[README.index("### Configuration file"):README.index("### Suppressions")]
    body = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    path = tmp_path / ".lunalint.yaml"
    path.write_text(body)
    cfg = settings.load(str(path), list(load_registry().rules), explicit=True)
    assert cfg.select == ("HA", "POL", "VER", "OPS", "SYN")
    assert cfg.firmware[0]["min_client"] == "10.9.0"
    assert cfg.facts_for(str(tmp_path / "configs/prod/Chrystoki.conf")) == {
        "client-version": "10.7.0"}
    assert cfg.waivers[0].rule == "POL302"
