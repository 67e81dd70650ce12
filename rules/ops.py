"""OPS: what captured LunaCM/LunaSH sessions show was done."""

from __future__ import annotations

from collections.abc import Iterator
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint.findings import Level
from lunalint.rules import sources
from lunalint.rules.base import Context, Problem, rule
from lunalint.versions import Version

if TYPE_CHECKING:  # the capture model is imported only when a capture is read
    from lunalint.model.export import Command, Export

CHANGEPW_THROUGH_HA = Version.parse("10.7.0")

# Administrative commands that must never run on the HA virtual slot, as (group, command).
ADMINISTRATIVE = {("partition", "changepolicy"), ("partition", "init"), ("partition", "clear"),
                  ("partition", "zeroize"), ("partition", "resetpw"), ("role", "init"),
                  ("role", "resetpw")}
# Allowed through the HA slot from client 10.7.0 on.
CHANGEPW = {("partition", "changepw"), ("role", "changepw")}
# Known sub-commands, so that an abbreviation is expanded only when it is unambiguous.
KNOWN = {
    "partition": ("changepolicy", "changepw", "clear", "contents", "init", "list", "login",
                  "logout", "resetpw", "show", "showpolicies", "zeroize", "archive", "create",
                  "delete", "createchallenge", "clone", "restore"),
    "role": ("changepw", "createchallenge", "deactivate", "init", "list", "login", "logout",
             "resetpw", "show"),
}


def _expand(words: tuple[str, ...]) -> tuple[str, str] | None:
    """``("par", "changepol")`` → ``("partition", "changepolicy")`` when unambiguous."""
    if len(words) < 2:
        return None
    first, second = words[0].lower(), words[1].lower()
    groups = [g for g in KNOWN if g.startswith(first) and len(first) >= 3 or g == first]
    if len(groups) != 1:
        return None
    group = groups[0]
    subs = [s for s in KNOWN[group] if s == second]
    if not subs:
        subs = [s for s in KNOWN[group] if s.startswith(second) and len(second) >= 3]
    return (group, subs[0]) if len(subs) == 1 else None


def _administrative(command: Command, client: Version | None) -> tuple[str, str] | None:
    name = _expand(command.words)
    if name in ADMINISTRATIVE:
        return name
    if name in CHANGEPW and client is not None and client < CHANGEPW_THROUGH_HA:
        return name
    return None


@rule("OPS401", "admin-on-ha-slot", Level.ERROR, scope="export",
      summary="An administrative command ran while the current slot was an HA virtual slot",
      reference="The vendor's HA troubleshooting page: the HA virtual slot is for "
                "cryptographic operations only; administrative tasks such as `partition "
                "changepolicy` must run on each member slot (`partition changepw` through the "
                "HA slot works from HSM Client 10.7.0).",
      cites=(sources.HA_TROUBLESHOOTING,),
      fix="`slot set` to each member partition's physical slot and run the command there, once "
          "per member.",
      bad="""
          lunacm:>slot set -slot 5
          lunacm:>partition changepolicy -policy 22 -value 1""",
      good="""
          lunacm:>slot set -slot 0
          lunacm:>partition changepolicy -policy 22 -value 1""",
      tags=("operations", "ha"), security_severity=5.0)
def ops401(export: Export, ctx: Context) -> Iterator[Problem]:
    """Administrative commands on the HA virtual slot reach one member at best, leaving the
    members inconsistent, or fail. Abbreviated commands (`par changepol`) are recognised when
    the abbreviation is unambiguous. `partition changepw` and `role changepw` are reported only
    when the capture's client version is known and older than 10.7.0."""
    for command in export.commands:
        if not command.ha_virtual:
            continue
        name = _administrative(command, export.client_version)
        if name is None:
            continue
        slot = command.slot_id if command.slot_id is not None else "?"
        if command.slot_id is None and command.slot is not None and command.slot.label:
            slot = f"`{command.slot.label}`"  # a script selected the group's slot by label
        yield Problem(command.span, (
            f"`{' '.join(name)}` ran on slot {slot}, an HA virtual slot; administrative "
            "commands must run on each member's own slot"),
            anchor=f"command:{' '.join(name)}@slot-{slot}")


@rule("OPS402", "member-session-before-ha", Level.WARNING, scope="export",
      summary="CKR_ACCESS_ID_ALREADY_EXISTS: a member slot was opened directly before the HA "
              "slot",
      reference="The vendor's HA troubleshooting page: with Secure Trusted Channel, a "
                "session opened directly on a member slot and not logged out makes the HA slot "
                "fail with CKR_ACCESS_ID_ALREADY_EXISTS; HA-only mode prevents it.",
      cites=(sources.HA_TROUBLESHOOTING, sources.HA_ONLY, sources.STC_CREATE),
      fix="Log out of member slots (`partition logout` on each) before using the HA slot, and "
          "turn `HAOnly` on (`HAOnly = 1;` in `HAConfiguration`) so applications cannot open "
          "member slots at all.",
      bad="Command Result : CKR_ACCESS_ID_ALREADY_EXISTS",
      tags=("operations", "ha", "stc"), security_severity=5.0)
def ops402(export: Export, ctx: Context) -> Iterator[Problem]:
    """The result shows that a session on a member partition was still open when the HA slot
    was used. It happens under Secure Trusted Channel when applications or operators open
    member slots directly, which `HAOnly = 1` prevents."""
    for command in export.commands:
        result = command.result
        if result is None:
            continue
        if "CKR_ACCESS_ID_ALREADY_EXISTS" in (result.name or result.text).upper():
            yield Problem(result.span, (
                "CKR_ACCESS_ID_ALREADY_EXISTS: a member slot was opened directly before the HA "
                "slot; log out of member slots and set `HAOnly = 1`"),
                anchor="result:CKR_ACCESS_ID_ALREADY_EXISTS")
