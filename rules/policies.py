"""POL: partition and HSM policies of HA group members. Policies are matched by number, never
by the name a dump prints."""

from __future__ import annotations

from collections.abc import Iterator

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint.findings import Level
from lunalint.rules import sources
from lunalint.rules._workspace import capped, odd_ones, unique
from lunalint.rules.base import Context, Problem, rule

if TYPE_CHECKING:  # the link stage is imported only when it runs
    from lunalint.workspace import Workspace

PRIVATE_CLONING, SECRET_CLONING, KEY_MANAGEMENT = 0, 4, 28
ACTIVATION, AUTO_ACTIVATION = 22, 23
HSM_CLONING, HSM_REPLICATION = 7, 16
NON_FIPS = 43
_NAMES = {0: "private key cloning", 4: "secret key cloning", 22: "activation",
          23: "auto-activation", 7: "cloning", 16: "network replication",
          28: "Key Management Functions"}


@rule("POL301", "member-denies-cloning", Level.ERROR, scope="workspace",
      summary="A member denies private or secret key cloning: its keys will not replicate",
      reference="The vendor's HA setup page: every member needs partition policies 0 "
                "(private key cloning) and 4 (secret key cloning) set to 1.",
      cites=(sources.HA_SETUP, sources.PARTITION_POLICIES),
      fix="Set partition policies 0 and 4 to 1 on the member (`partition changepolicy -policy 0 "
          "-value 1` on the member slot, never on the HA slot).",
      bad="""
          Partition Policies
                   0: Allow private key cloning : 0
                   4: Allow secret key cloning : 1""",
      good="""
          Partition Policies
                   0: Allow private key cloning : 1
                   4: Allow secret key cloning : 1""",
      tags=("policies", "ha"), security_severity=7.0)
def pol301(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """HA replicates keys between members by cloning. A member whose partition policy 0
    (private key cloning) or 4 (secret key cloning) is 0 cannot receive or send those keys,
    so after a failover they are missing."""
    yield from unique(
        Problem(p.span, (f"member {member.serial} of group `{group.label}` denies "
                         f"{_NAMES[number]} (partition policy {number} = 0): its keys will "
                         "not replicate to the other members"),
                anchor=f"{member.serial}/policy-{number}", path=member.policies.path,
                related=group.related())
        for group, member, number, p in _policies_off(ws, (PRIVATE_CLONING, SECRET_CLONING)))


def _policies_off(ws: Workspace, numbers: tuple[int, ...], ped_only: bool = False):
    """(group, member, number, policy line) for each member policy in ``numbers`` that is 0.

    ``ped_only`` also walks the standby members: the vendor requires activation on PED
    standby members too (vendor page HA Standby Members)."""
    for group in ws.groups:
        for member in group.members + (group.standby if ped_only else ()):
            pset = member.policy_set
            if pset is None or (ped_only and not _is_ped(member)):
                continue
            for number in numbers:
                p = pset.policy(number)
                if p is not None and p.value == 0:
                    yield group, member, number, p


def _is_ped(member) -> bool:
    auth = member.authentication
    return auth is not None and auth[0] == "PED"


def _intentional_28(pset) -> bool:
    """True when the partition allows cloning while Key Management Functions is denied."""
    kmf = pset.policy(KEY_MANAGEMENT)
    cloning = [pset.policy(n) for n in (PRIVATE_CLONING, SECRET_CLONING)]
    return kmf is not None and kmf.value == 0 and any(p is not None and p.value == 1
                                                      for p in cloning)


@rule("POL302", "replica-partition", Level.NOTE, scope="workspace",
      summary="A partition allows cloning while Key Management Functions is denied: the "
              "legitimate HA replica design",
      reference="The vendor's pages on cloning and key export and on HA troubleshooting: "
                "cloning policies (0, 4) and Key Management Functions (28) are independent; "
                "cloning a key in is not creating it.",
      cites=(sources.CLONING_KEY_EXPORT, sources.HA_TROUBLESHOOTING,
             sources.PARTITION_POLICIES),
      fix="Nothing to fix when this partition is an HA replica. If the partition must not hold "
          "keys from the cloning domain at all, set policies 0 and 4 to 0. Owners may record "
          "the design with a waiver.",
      bad="""
          Partition Policies
                   0: Allow private key cloning : 1
                   4: Allow secret key cloning : 1
                  28: Allow Key Management Functions : 0""",
      tags=("policies", "ha", "intentional"), security_severity=0.0)
def pol302(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """With policy 28 denied nobody can create, generate, derive, modify or delete keys on the
    partition, yet HA can still clone keys in and out because cloning is allowed. That is not
    a loophole: a cloned key already existed in the cloning domain, so cloning it in is not
    creating it. This is how replica partitions of an HA group are meant to be set up, so the
    finding is information (`intentional: true`), never a defect."""
    found = []
    groups_of: dict[str, list] = {}
    for group in ws.groups:
        for member in group.members:
            groups_of.setdefault(member.serial, []).append(group)
    related_of: dict[str, list] = {}  # per serial, computed once: a serial may repeat often

    def related(serial: str) -> list:
        if serial not in related_of:
            related_of[serial] = sorted({r for g in groups_of.get(serial, ())
                                         for r in g.related()}, key=lambda r: (r[0], r[1]))
        return related_of[serial]

    shown_of: dict[str, tuple] = {}  # per serial: (the cap's note, the locations kept)
    for export in ws.exports:
        for serial, span in export.replicas:
            who = f"partition {serial}" if serial else "this partition"
            if (serial or "") not in shown_of:
                shown_of[serial or ""] = capped("", related(serial or ""))
            note, where = shown_of[serial or ""]
            message = (f"{who} allows cloning but denies Key Management Functions (policy 28 = "
                       "0): keys can be cloned in and out by HA but not created here; this is "
                       "the legitimate HA replica design, since cloning a key in is not "
                       "creating it" + note)
            found.append(Problem(span, message, anchor=f"{serial or 'unknown'}/policy-28",
                                 intentional=True, path=export.path, related=where))
    yield from unique(found)


@rule("POL303", "member-policies-differ", Level.WARNING, scope="workspace",
      summary="Members' partition policies differ",
      reference="The vendor's HA setup page: members should have consistent policies.",
      cites=(sources.HA_SETUP, sources.PARTITION_POLICIES),
      fix="Make the odd member's policy match the others (`partition changepolicy` on the "
          "member slot).",
      bad="""
          (member 1541234567001)   1: Allow private key wrapping : 0
          (member 1541234567002)   1: Allow private key wrapping : 1""",
      tags=("policies", "ha"), security_severity=4.0)
def pol303(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """An operation allowed on one member and denied on another fails or succeeds depending
    on which member serves it, and behaviour changes after a failover. Only policies that two
    or more members print are compared. The member whose value most members do not share is
    reported; when members split evenly every one of them is, since neither side is the odd one.
    Differences other rules already explain are not repeated: policy 28 on a replica
    partition (POL302), cloning policies 0 and 4 (POL301), activation 22/23 on PED members
    (POL304), and non-FIPS algorithms 43 (VER204: mixing FIPS modes is allowed from client
    10.4.0)."""
    found = []
    for group in ws.groups:
        sets = [(m, m.policy_set) for m in group.members if m.policy_set is not None]
        if len(sets) < 2:
            continue
        numbers = sorted({n for _, ps in sets for n in ps.policies})
        for number in numbers:
            values = [(m, ps.policy(number)) for m, ps in sets if ps.policy(number) is not None]
            if len(values) < 2 or len({p.value for _, p in values}) < 2:
                continue
            if number == KEY_MANAGEMENT and all(
                    _intentional_28(m.policy_set) for m, p in values if p.value == 0):
                continue  # POL302 explains it
            if number in (PRIVATE_CLONING, SECRET_CLONING):
                continue  # a member at 0 is POL301's finding; all at 1 do not differ
            if number == NON_FIPS:
                continue  # mixing FIPS modes is VER204's matter (allowed from client 10.4.0)
            if number in (ACTIVATION, AUTO_ACTIVATION) and all(
                    _is_ped(m) for m, p in values if p.value == 0):
                continue  # POL304 reports the PED members that have it off
            _, odd = odd_ones([((m, p), p.value) for m, p in values])
            listing = ", ".join(f"{m.serial} = {p.value}" for m, p in values)
            for (member, p), _ in odd:
                found.append(Problem(p.span, (
                    f"partition policy {number} ({p.name}) differs between members of group "
                    f"`{group.label}`: {listing}"),
                    anchor=f"{member.serial}/policy-{number}", path=member.policies.path,
                    related=group.related()))
    yield from unique(found)


@rule("POL304", "ped-member-activation-off", Level.ERROR, scope="workspace",
      summary="A PED-authenticated member has activation (22) or auto-activation (23) off",
      reference="The vendor's HA setup and standby pages: PED-authenticated members of an HA "
                "group, standby members included, need partition policies 22 (activation) and "
                "23 (auto-activation) on.",
      cites=(sources.HA_SETUP, sources.HA_STANDBY),
      fix="Turn on partition policies 22 and 23 on the member (`partition changepolicy -policy "
          "22 -value 1`, then 23) and activate the partition.",
      bad="""
          Configuration ->        Luna User Partition With SO (PED) Key Export With Cloning Mode
          ...
                  22: Allow activation : 0""",
      tags=("policies", "ha", "ped"), security_severity=6.0)
def pol304(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """With PED authentication, a member that is not activated (and kept activated across
    short power losses by auto-activation) needs someone with the PED key before it can serve
    again, so it cannot rejoin the group on its own."""
    yield from unique(
        Problem(p.span, (f"PED-authenticated member {member.serial} of group `{group.label}` "
                         f"has {_NAMES[number]} off (partition policy {number} = 0); it cannot "
                         "rejoin the group without someone presenting the PED key"),
                anchor=f"{member.serial}/policy-{number}", path=member.policies.path,
                related=group.related())
        for group, member, number, p in _policies_off(ws, (ACTIVATION, AUTO_ACTIVATION),
                                                      ped_only=True))


@rule("POL305", "hsm-cloning-off", Level.ERROR, scope="workspace",
      summary="A member's HSM has cloning (HSM policy 7) or network replication (16) off",
      reference="The vendor's HA setup page: HSM policies 7 (Allow cloning) and 16 (Allow "
                "network replication) must be on for every member's HSM.",
      cites=(sources.HA_SETUP, sources.HSM_POLICIES),
      fix="Turn on HSM policies 7 and 16 (`hsm changepolicy -policy 16 -value 1`; changing 7 "
          "is destructive and zeroizes the HSM, so plan it).",
      bad="   Allow network replication                Off          16        No",
      good="   Allow network replication                On           16        No",
      tags=("policies", "ha"), security_severity=7.0)
def pol305(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """Keys of HA members travel between HSMs by cloning over the network. An HSM with
    policy 7 or 16 off refuses that, so none of its partitions can replicate. The HSM that
    owns a member is the one whose serial is the longest prefix of the member's serial
    (LunaSH `hsm showpolicies` prints it); a LunaCM `hsm showpolicies`, which prints no serial,
    belongs to the HSM of the partition in the current slot when it ran."""
    found = []
    for group in ws.groups:
        for member in group.members:
            hp = member.hsm_policies
            if hp is None:
                continue
            for code in (HSM_CLONING, HSM_REPLICATION):
                p = hp.policy(code)
                if p is not None and p.enabled is False:
                    hsm = f"HSM {hp.serial}" if hp.serial else "the HSM"
                    found.append(Problem(p.span, (
                        f"{hsm} (owner of member {member.serial} of group "
                        f"`{group.label}`) has {_NAMES[code]} off (HSM policy {code}); its "
                        "partitions cannot replicate"),
                        anchor=f"{hp.serial or member.serial}/hsm-policy-{code}",
                        path=member.hsm.path,
                        related=group.related()))
    yield from unique(found)


@rule("POL306", "mixed-authentication", Level.ERROR, scope="workspace",
      summary="Members use different authentication (PW vs PED)",
      reference="The vendor's HA setup page: all members must use the same authentication "
                "type (password or PED).",
      cites=(sources.HA_SETUP,),
      fix="Rebuild the odd member's partition with the authentication the other members use.",
      bad="""
          Configuration ->        Luna User Partition With SO (PW) ...   (member A)
          Configuration ->        Luna User Partition With SO (PED) ...  (member B)""",
      tags=("ha",), security_severity=6.0)
def pol306(ws: Workspace, ctx: Context) -> Iterator[Problem]:
    """Password- and PED-authenticated partitions cannot form one HA group: the vendor
    requires the same authentication type on all members."""
    found = []
    for group in ws.groups:
        items = [(m, m.authentication[0]) for m in group.members if m.authentication]
        if len({v for _, v in items}) < 2:
            continue
        _, odd = odd_ones(items)
        listing = ", ".join(f"{m.serial} = {v}" for m, v in items)
        for member, value in odd:
            where = member.authentication[1]
            found.append(Problem(where.span, (
                f"member {member.serial} of group `{group.label}` uses {value} authentication "
                f"unlike the others ({listing}); all members must use the same"),
                anchor=f"{member.serial}/authentication", path=where.path,
                related=group.related()))
    yield from unique(found)
