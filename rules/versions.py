"""VER: client and firmware versions of HA groups.

The client version comes from `facts` in the configuration file, else from the LunaCM banner
of the captures that list the group's members (when they all agree). Firmware comes from the
members' slot listings, else from their HSM's `hsm showpolicies`. Without a client version
these rules say nothing, except VER204, which then warns.
"""

from __future__ import annotations

from collections.abc import Iterator
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint import facts as factsmod
from lunalint.findings import Level
from lunalint.rules import sources
from lunalint.rules._workspace import odd_ones, unique
from lunalint.rules.base import Context, Problem, rule
from lunalint.versions import Version

if TYPE_CHECKING:  # the link stage is imported only when it runs
    from lunalint.workspace import Group, Workspace

CLONING_PROTOCOL_CHANGE = Version.parse("7.7.0")
MIXED_FIPS_CLIENT = Version.parse("10.4.0")


def _client_note(group: Group) -> str:
    client = group.client
    assert client is not None
    if client.origin == "facts":
        return f"the client is {client.version} (from `facts` in the configuration file)"
    if client.origin == "what-if":
        return f"the client would be {client.version} (what-if: --target-client)"
    where = f" of {client.where.path}" if client.where else ""
    return f"the client is {client.version} (from the LunaCM banner{where})"


def _runs(member, version) -> str:
    """``runs firmware V``, or in a what-if run ``would run firmware V (what-if; now W)``."""
    if getattr(member, "assumed_firmware", None) is None:
        return f"runs firmware {version}"
    now = member.current_firmware
    return (f"would run firmware {version} (what-if"
            + (f"; now {now[0]})" if now is not None else ")"))


def _related(group: Group) -> tuple:
    rel = list(group.related())
    client = group.client
    if client is not None and client.where is not None:
        rel.append((client.where.path, client.where.span, "client version"))
    return tuple(rel)


@rule("VER201", "client-older-than-firmware", Level.WARNING, scope="workspace",
      summary="The client is older than the minimum client for a member's firmware",
      reference="The vendor's HA troubleshooting page: a client older than the members' "
                "firmware cannot know the features, mechanisms or restrictions that firmware "
                "introduced. The firmware release notes name the minimum client for some "
                "firmware lines; lunalint ships them as a table (overridable under `facts: "
                "firmware:`), each row marked documented or inferred, and the message says "
                "which.",
      cites=(sources.HA_TROUBLESHOOTING, sources.FIRMWARE_770, sources.HA_UPDATE_GUIDELINES),
      basis_note="several rows of the client/firmware table (7.7.1, 7.8.x, 7.9.x) are "
                 "inferred by lunalint from release notes rather than stated by the vendor; "
                 "the message names the row's confidence, hence the `warning` level",
      fix="Upgrade the HSM Client on this host to at least the version the message names. If "
          "lunalint has the wrong client version, give the right one in .lunalint.yaml "
          "(`facts: [{path: \"configs/*\", client-version: \"10.7.0\"}]`); teach it a new firmware "
          "line with a `facts` row `{firmware: \"7.10.0\", below: \"7.11.0\", min-client: "
          "\"10.9.0\"}`.",
      bad="""
          # LunaCM v10.3.0 banner in the capture; member firmware:
          Firmware Version ->     7.8.1""",
      tags=("versions", "ha"), precision="medium", security_severity=4.0)
def ver201(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """A client cannot use features, mechanisms or restrictions introduced by firmware newer
    than itself. The minimum client per firmware line comes from lunalint's client/firmware
    table, whose rows are marked `doc` or `inferred`; the message says which. Firmware the
    table has no row for (Luna 6 and earlier, or newer than every row) is VER205's note."""
    facts = ws.facts
    found: list[Problem] = []
    for group in ws.groups:
        for member in group.members:
            fw = member.firmware
            if fw is None:
                continue
            from lunalint import firmware as fwtable  # read only when some firmware is known

            version, where = fw
            row = fwtable.row_for(version, facts)
            if row is None or group.client is None or group.client.version >= row.min_client:
                continue
            found.append(Problem(where.span, (
                f"member {member.serial} of group `{group.label}` {_runs(member, version)}, "
                f"which needs HSM Client {row.min_client} or newer ({row.confidence}); "
                f"{_client_note(group)}"), anchor=f"{member.serial}/firmware", path=where.path,
                related=_related(group)))
    yield from unique(found)


@rule("VER205", "firmware-outside-table", Level.NOTE, scope="workspace",
      summary="A member runs firmware the client/firmware table has no row for: the version "
              "rules could not check it",
      reference="The vendor's HA troubleshooting page: a client older than the members' "
                "firmware cannot know what that firmware introduced. lunalint's client/firmware "
                "table covers the Luna 7 firmware lines the release notes describe; firmware "
                "outside it (Luna 6 and earlier, or newer than the table) cannot be judged.",
      cites=(sources.HA_TROUBLESHOOTING, sources.FIRMWARE_770, sources.HA_UPDATE_GUIDELINES),
      basis=sources.INFERRED,
      basis_note="this note says what lunalint could not check; it is not a fault the vendor "
                 "describes",
      fix="Check by hand that the HSM Client supports this firmware. To let lunalint check it, "
          "add a row under `facts` in .lunalint.yaml, for example `{firmware: \"7.10.0\", "
          "below: \"7.11.0\", min-client: \"10.9.0\"}`.",
      bad="""
          Firmware Version ->     6.2.1   (member 1541234567001)""",
      good="""
          Firmware Version ->     7.7.1   (member 1541234567001)""",
      tags=("versions", "ha", "coverage"), precision="high")
def ver205(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """The version rules (VER201 above all) judge a member's firmware against the table of
    minimum clients per firmware line. Firmware older than the table's first row (Luna 6 and
    earlier), between its rows, or newer than its last row has no row, so those rules stay
    silent about it; this note says so, on the firmware line, instead of letting the silence
    read as "checked". Standby members are included, and so is any other HSM or partition a
    capture shows with its firmware (`slot list`, LunaSH `hsm show`, `hsm showinfo`, `hsm
    showpolicies`), on that capture's firmware line."""
    facts = ws.facts
    shown = [(e.path, fw) for e in ws.exports for fw in getattr(e, "firmwares", ())]
    if not shown and not any(m.firmware is not None for g in ws.groups
                             for m in g.members + g.standby):
        return  # no firmware known: the table is not even read
    from lunalint import firmware as fwtable

    rows = fwtable.table(facts)
    if not rows:
        return
    first = min(r.start for r in rows)
    found: list[Problem] = []
    for group in ws.groups:
        for member in group.members + group.standby:
            fw = member.firmware
            if fw is None:
                continue
            version, where = fw
            if fwtable.row_for(version, facts) is not None:
                continue
            if fwtable.newer_than_known(version, facts):
                why = "newer than lunalint's client/firmware table knows"
            elif version < first:
                why = f"older than lunalint's client/firmware table covers (it starts at {first})"
            else:
                why = "in no row of lunalint's client/firmware table"
            found.append(Problem(where.span, (
                f"member {member.serial} of group `{group.label}` {_runs(member, version)}, {why}: "
                "the client version rules could not check it; check that the HSM Client "
                "supports it and add a `firmware:` row under `facts` in .lunalint.yaml"),
                anchor=f"{member.serial}/firmware-unknown", path=where.path,
                related=group.related()))
    for path, (serial, text, span_) in shown:
        version = Version.parse(text)
        if version is None or fwtable.row_for(version, facts) is not None:
            continue
        if fwtable.newer_than_known(version, facts):
            why = "newer than lunalint's client/firmware table knows"
        elif version < first:
            why = f"older than lunalint's client/firmware table covers (it starts at {first})"
        else:
            why = "in no row of lunalint's client/firmware table"
        found.append(Problem(factsmod.span(span_), (
            f"{serial} runs firmware {version}, {why}: the client version rules could not "
            "check it; check that the HSM Client supports it and add a `firmware:` row under "
            "`facts` in .lunalint.yaml"), anchor=f"{serial}/firmware-unknown", path=path))
    yield from unique(found)


def _firmwares(group: Group):
    return [(m, m.firmware) for m in group.members if m.firmware is not None]


def _mixes_cloning_protocols(group: Group) -> bool:
    sides = {fw[0] >= CLONING_PROTOCOL_CHANGE for _, fw in _firmwares(group)}
    return len(sides) == 2


@rule("VER202", "mixed-firmware", Level.WARNING, scope="workspace",
      summary="A group's members run different firmware",
      reference="The vendor's HA setup page recommends the same firmware version on all "
                "members of a group.",
      cites=(sources.HA_SETUP,),
      fix="Upgrade the odd member to the firmware the other members run.",
      bad="""
          Firmware Version ->     7.7.1   (member 1541234567001)
          Firmware Version ->     7.8.0   (member 1541234567002)""",
      tags=("versions", "ha"), security_severity=3.0)
def ver202(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """Members on different firmware may differ in mechanisms and policies, so an operation
    that works on one member can fail after a failover. When the difference crosses 7.7.0,
    VER203 reports it as an error instead. The odd member is the one whose firmware most
    members do not share (on a tie, the one that is not on the newest firmware)."""
    found = []
    for group in ws.groups:
        items = [(m, fw[0].key) for m, fw in _firmwares(group)]
        if len({v for _, v in items}) < 2 or _mixes_cloning_protocols(group):
            continue
        reference, odd = odd_ones(items, newest=lambda key: key)
        ref_text = ".".join(map(str, reference))
        for member, _ in odd:
            version, where = member.firmware
            found.append(Problem(where.span, (
                f"member {member.serial} of group `{group.label}` {_runs(member, version)} while "
                f"the other members run {ref_text}; use the same firmware on every member"),
                anchor=f"{member.serial}/firmware", path=where.path, related=group.related()))
    yield from unique(found)


@rule("VER203", "mixed-cloning-protocol", Level.ERROR, scope="workspace",
      summary="A group mixes members at firmware 7.7.0 or later with members below 7.7.0",
      reference="The vendor's guidelines for updating HA members: the cloning protocol "
                "changed in firmware 7.7.0, and a group must never mix members at 7.7.0 or "
                "later with members below it.",
      cites=(sources.HA_UPDATE_GUIDELINES, sources.HA_77_UPDATE, sources.HA_SETUP),
      fix="Upgrade every member below 7.7.0 (or take it out of the group) before the group is "
          "used.",
      bad="""
          Firmware Version ->     7.4.2   (member 1541234567001)
          Firmware Version ->     7.7.1   (member 1541234567002)""",
      tags=("versions", "ha"), security_severity=7.0)
def ver203(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """Firmware 7.7.0 changed the cloning protocol, so keys do not replicate between a member
    below 7.7.0 and one at 7.7.0 or later. The members on the smaller side are reported (on a
    tie, those below 7.7.0)."""
    found = []
    for group in ws.groups:
        if not _mixes_cloning_protocols(group):
            continue
        items = [(m, fw[0] >= CLONING_PROTOCOL_CHANGE) for m, fw in _firmwares(group)]
        _, odd = odd_ones(items, newest=lambda new: new)
        for member, is_new in odd:
            version, where = member.firmware
            side = "7.7.0 or later" if is_new else "below 7.7.0"
            other = "below 7.7.0" if is_new else "at 7.7.0 or later"
            found.append(Problem(where.span, (
                f"member {member.serial} of group `{group.label}` {_runs(member, version)} "
                f"({side}) while other members are {other}; the cloning protocol changed in "
                "7.7.0, so keys will not replicate between them"),
                anchor=f"{member.serial}/firmware", path=where.path, related=group.related()))
    yield from unique(found)


def _fips_values(group: Group):
    """(member, where, description) for HSM policy 12 and partition policy 43 per member."""
    hsm, part = [], []
    for m in group.members:
        hp = m.hsm_policies
        if hp is not None:
            p = hp.policy(12)
            if p is not None and p.number is not None:
                hsm.append((m, p.number, m.hsm.path, p.span))
        ps = m.policy_set
        if ps is not None:
            p = ps.policy(43)
            if p is not None:
                part.append((m, p.value, m.policies.path, p.span))
    return hsm, part


@rule("VER204", "mixed-fips-old-client", Level.ERROR, scope="workspace",
      summary="FIPS and non-FIPS members are mixed with a client older than 10.4.0",
      reference="The vendor's HA setup page: members should have consistent policies, "
                "particularly HSM policy 12 (Allow non-FIPS algorithms); mixing FIPS and "
                "non-FIPS members is supported only from HSM Client 10.4.0.",
      cites=(sources.HA_SETUP, sources.HSM_POLICIES),
      fix="Upgrade the client to 10.4.0 or newer, or make HSM policy 12 / partition policy 43 "
          "the same on every member.",
      bad="""
          Allow non-FIPS algorithms                Off          12        Yes   (HSM A)
          Allow non-FIPS algorithms                On           12        Yes   (HSM B)""",
      tags=("versions", "ha", "fips"), precision="medium", security_severity=6.0)
def ver204(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """A group whose members differ in FIPS mode (HSM policy 12 `Allow non-FIPS algorithms`,
    or partition policy 43) works only with HSM Client 10.4.0 or newer. With a known older
    client this is an error; with an unknown client version it is a warning, since the group
    is only safe if the client is recent enough."""
    found = []
    for group in ws.groups:
        client = group.client
        if client is not None and client.version >= MIXED_FIPS_CLIENT:
            continue
        level = None if client is not None else Level.WARNING
        why = (f"{_client_note(group)}, older than 10.4.0" if client is not None
               else "the client version is unknown (give it as `client-version` under `facts` "
                  "in .lunalint.yaml)")
        for values, what in zip(_fips_values(group), ("HSM policy 12", "partition policy 43")):
            if len({v for _, v, _, _ in values}) < 2:
                continue
            _, odd = odd_ones([((m, path, span), v) for m, v, path, span in values])
            listing = ", ".join(f"{m.serial} = {v}" for m, v, _, _ in values)
            for (member, path, span), _ in odd:
                found.append(Problem(span, (
                    f"group `{group.label}` mixes FIPS and non-FIPS members ({what}: {listing}); "
                    f"that needs HSM Client 10.4.0 or newer and {why}"),
                    anchor=f"{member.serial}/{what.replace(' ', '-')}", level=level, path=path,
                    related=_related(group)))
    yield from unique(found)
