"""HA: HA settings in a client configuration (RULES.md "HA"; LUNA.md 1.4 and 3)."""

from __future__ import annotations

from collections.abc import Iterator

from lunalint.findings import Level
from lunalint.model import ClientConfig
from lunalint.model.config import ha_groups
from lunalint.rules.base import Context, Problem, rule


def uses_stc(config: ClientConfig, ctx: Context) -> bool:
    """True when the client uses Secure Trusted Channel (a `Secure Trusted Channel` section)."""
    return config.section("Secure Trusted Channel") is not None


@rule("HA101", "ha-only-off", Level.WARNING,
      summary="HA groups are defined but HAOnly is missing or not 1",
      reference="LUNA.md 1.4 and 3.5: vendor HA documentation recommends `HAOnly = 1` on every "
                "HA client; with Secure Trusted Channel, sessions opened on member slots make "
                "the HA slot fail with CKR_ACCESS_ID_ALREADY_EXISTS",
      fix="Set `HAOnly = 1;` in the `HAConfiguration` section (INI: `HAOnly=1` under "
          "`[HAConfiguration]`).",
      bad="""
          HAConfiguration = {
             HAOnly = 0;
          }""",
      good="""
          HAConfiguration = {
             HAOnly = 1;
          }""",
      tags=("ha", "reliability", "security"), security_severity=6.0)
def ha101(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """With HA groups defined and `HAOnly` off, applications also see the member partitions'
    physical slots. Slot numbers then shift whenever a member fails or recovers, and an
    application can talk to a member directly, bypassing replication. Under Secure Trusted
    Channel a session opened on a member slot makes later use of the HA slot fail, so the
    finding is an error there."""
    if not ha_groups(config):
        return
    entry = config.get("HAConfiguration", "HAOnly")
    if entry is not None and entry.value.strip() == "1":
        return
    level = Level.ERROR if uses_stc(config, ctx) else None
    why = "; this client uses Secure Trusted Channel, where member sessions break the HA slot" \
        if level else ""
    if entry is not None:
        yield Problem(entry.span, (
            f"HA groups are defined but `HAOnly` is `{entry.value}`; set `HAOnly = 1` so "
            f"applications see only the HA virtual slots{why}"),
            anchor="HAConfiguration/HAOnly", level=level)
        return
    section = config.section("HAConfiguration")
    if section is None:
        section = config.section("VirtualToken")
    assert section is not None  # groups come from VirtualToken
    yield Problem(section.header_span, (
        "HA groups are defined but `HAOnly` is not set; add `HAOnly = 1` to `HAConfiguration` "
        f"so applications see only the HA virtual slots{why}"),
        anchor="HAConfiguration/HAOnly", level=level)
