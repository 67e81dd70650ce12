"""HA: HA settings in a client configuration, and the live HA state `hagroup listgroups`
shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint.findings import Level
from lunalint.model import ClientConfig
from lunalint.model.base import Span, ascii_int, is_ascii_digits, number_trouble
from lunalint.model.config import Entry, HaGroup, ha_groups
from lunalint.findings import Fix
from lunalint.rules import edits, sources
from lunalint.rules.base import Context, Problem, rule

if TYPE_CHECKING:  # the capture model is imported only when a capture is read
    from lunalint.model.export import Export, Field, HaGroupStatus



def uses_stc(config: ClientConfig, ctx: Context) -> bool:
    """True when the client uses Secure Trusted Channel: a `Secure Trusted Channel` section,
    or an export of one of its members showing partition policy 37 (Force STC) = 1."""
    if config.section("Secure Trusted Channel") is not None:
        return True
    workspace = ctx.workspace
    return workspace is not None and workspace.uses_stc(config)


def _set_ha_key(config: ClientConfig, key: str, value: str, description: str) -> Fix | None:
    """``key = value`` in ``HAConfiguration``: the value of the entry that takes effect set,
    else the entry added to the last `HAConfiguration` section, else the section added."""
    entry = config.get("HAConfiguration", key)
    if entry is not None:
        return edits.fix("unsafe", description, edits.set_value(entry, value))
    section = edits.last_section(config, "HAConfiguration")
    if section is not None:
        return edits.fix("unsafe", description, edits.add_entry(config, section, key, value))
    return edits.fix("unsafe", description,
                     edits.add_section(config, "HAConfiguration", [(key, value)]))


def _fix_ha_only(config: ClientConfig, ctx: Context) -> Iterator[tuple[str, Fix]]:
    """HA101's fix, made in the per-file stage (the rule itself runs after linking)."""
    if not ha_groups(config):
        return
    entry = config.get("HAConfiguration", "HAOnly")
    if entry is not None and entry.value.strip() == "1":
        return
    fix = _set_ha_key(config, "HAOnly", "1", "set `HAOnly = 1` in `HAConfiguration`")
    if fix is not None:
        yield "HAConfiguration/HAOnly", fix


@rule("HA101", "ha-only-off", Level.WARNING,
      summary="HA groups are defined but HAOnly is missing or not 1",
      reference="The vendor recommends HA-only mode (`HAOnly = 1`) on every HA client: without "
                "it, slot numbers shift as members fail and recover, and applications can use "
                "member slots directly. The HA troubleshooting page adds that with Secure "
                "Trusted Channel a session opened on a member slot makes the HA slot fail with "
                "CKR_ACCESS_ID_ALREADY_EXISTS.",
      cites=(sources.HA_ONLY, sources.HA_LOGGING, sources.HA_TROUBLESHOOTING),
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
      tags=("ha", "reliability", "security"), security_severity=6.0, uses_workspace=True,
      fix_class="unsafe", fixer=_fix_ha_only)
def ha101(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """With HA groups defined and `HAOnly` off, applications also see the member partitions'
    physical slots. Slot numbers then shift whenever a member fails or recovers, and an
    application can talk to a member directly, bypassing replication. Under Secure Trusted
    Channel (a `Secure Trusted Channel` section, or a member export showing partition policy 37
    = 1) a session opened on a member slot makes later use of the HA slot fail, so the
    finding is an error there."""
    if not ha_groups(config):
        return
    # Each value that may take effect (one per branch of a template or script conditional).
    entries = config.alternatives("HAConfiguration", "HAOnly")
    wrong = [e for e in entries if e.value.strip() != "1"]
    if entries and not wrong:
        return
    level = Level.ERROR if uses_stc(config, ctx) else None
    why = "; this client uses Secure Trusted Channel, where member sessions break the HA slot" \
        if level else ""
    for entry in wrong:
        yield Problem(entry.span, (
            f"HA groups are defined but `HAOnly` is `{entry.value}`; set `HAOnly = 1` so "
            f"applications see only the HA virtual slots{why}"),
            anchor="HAConfiguration/HAOnly", level=level)
    if entries:
        return
    section = config.section("HAConfiguration")
    if section is None:
        section = config.section("VirtualToken")
    assert section is not None  # groups come from VirtualToken
    yield Problem(section.header_span, (
        "HA groups are defined but `HAOnly` is not set; add `HAOnly = 1` to `HAConfiguration` "
        f"so applications see only the HA virtual slots{why}"),
        anchor="HAConfiguration/HAOnly", level=level)


def _ha_place(config: ClientConfig, key: str):
    """Where a missing or wrong ``HAConfiguration`` key is reported: the entry, else the
    ``HAConfiguration`` header, else the ``VirtualToken`` header."""
    entry = config.get("HAConfiguration", key)
    if entry is not None:
        return entry, entry.span
    section = config.section("HAConfiguration") or config.section("VirtualToken")
    return None, section.header_span if section is not None else Span(1, 1, 1, 1)


def _int(text: str) -> int | None:
    """The integer value of a config value: ASCII digits with an optional sign, bounded."""
    return ascii_int(text.strip(), signed=True)


def _not_a_number(entry: Entry) -> str:
    """`` (why)`` when the value looks numeric but is not read as a number, else ``""``."""
    why = number_trouble(entry.value)
    return f" ({why})" if why else ""


@rule("HA102", "auto-recovery-off", Level.WARNING,
      summary="HA groups are defined but automatic recovery is off (reconnAtt missing or 0)",
      reference="The vendor's HA pages describe `reconnAtt` as the number of automatic "
                "recovery attempts, `0` turning auto-recovery off, and auto-recovery as off by "
                "default; a failed member then rejoins only when an operator recovers it.",
      cites=(sources.HA_RECOVERY, sources.HA_LOGGING, sources.HA_AUTORECOVERY),
      basis_note="`-1` as unlimited attempts is what every configuration generator seen uses; "
                 "the vendor pages do not spell that value out",
      fix="Set `reconnAtt` in `HAConfiguration` to the number of recovery attempts, or `-1` "
          "(used by every generator seen, understood as unlimited).",
      bad="""
          HAConfiguration = {
             HAOnly = 1;
             reconnAtt = 0;
          }""",
      good="""
          HAConfiguration = {
             HAOnly = 1;
             reconnAtt = -1;
             AutoReconnectInterval = 60;
          }""",
      tags=("ha", "reliability"), fix_class="unsafe")
def ha102(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Without automatic recovery a member that fails and comes back stays out of the group
    until an operator runs `hagroup recover` by hand: the group silently runs with less
    redundancy than intended. `reconnAtt = 0` turns recovery off, and a client without the key
    has it off by default."""
    if not ha_groups(config):
        return
    entry, span = _ha_place(config, "reconnAtt")
    if entry is None or _int(entry.value) == 0:
        fix = _set_ha_key(config, "reconnAtt", "-1", "set `reconnAtt = -1` in `HAConfiguration`")
    if entry is None:
        yield Problem(span, "HA groups are defined but `reconnAtt` is not set, so a failed member "
                      "never rejoins its group automatically; add `reconnAtt = -1` (or a number "
                      "of attempts) to `HAConfiguration`", anchor="HAConfiguration/reconnAtt",
                      fix=fix)
    elif _int(entry.value) == 0:
        yield Problem(span, "`reconnAtt = 0` turns automatic HA recovery off, so a failed member "
                      "never rejoins its group by itself; set it to `-1` or a number of attempts",
                      anchor="HAConfiguration/reconnAtt", fix=fix)
    elif _int(entry.value) is None and _not_a_number(entry):
        yield Problem(entry.span, (
            f"`reconnAtt` is `{entry.value}`, which is not a number the client reads"
            f"{_not_a_number(entry)}, so automatic HA recovery may be off; write `-1` or a "
            "number of attempts in ASCII digits"), anchor="HAConfiguration/reconnAtt")


@rule("HA103", "reconnect-interval-invalid", Level.ERROR,
      summary="AutoReconnectInterval is below 60 seconds or not an integer",
      reference="The vendor's HA recovery page gives `AutoReconnectInterval` in seconds "
                "between recovery attempts and says recovery cannot be attempted more often "
                "than once every 60 seconds.",
      cites=(sources.HA_RECOVERY, sources.HA_LOGGING),
      fix="Set `AutoReconnectInterval` to a whole number of seconds, 60 or more.",
      bad="""
          HAConfiguration = {
             AutoReconnectInterval = 30;
          }""",
      good="""
          HAConfiguration = {
             AutoReconnectInterval = 60;
          }""",
      tags=("ha", "reliability"), fix_class="unsafe")
def ha103(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The vendor documents that HA recovery cannot be attempted more often than once every
    60 seconds. A smaller value, or one that is not a whole number, does not do what the
    author meant, and the recovery window (`reconnAtt` × interval) becomes unpredictable."""
    entry = config.get("HAConfiguration", "AutoReconnectInterval")
    if entry is None:
        return
    value = _int(entry.value)
    fix = edits.fix("unsafe", "set `AutoReconnectInterval = 60`", edits.set_value(entry, "60"))
    if value is None:
        yield Problem(entry.span, f"`AutoReconnectInterval` is `{entry.value}`, not a whole "
                      f"number of seconds{_not_a_number(entry)}; use an integer of at least 60",
                      anchor="HAConfiguration/AutoReconnectInterval", fix=fix)
    elif value < 60:
        yield Problem(entry.span, f"`AutoReconnectInterval = {value}` is below the 60-second "
                      "minimum between HA recovery attempts; use 60 or more",
                      anchor="HAConfiguration/AutoReconnectInterval", fix=fix)


def _group_anchor(group: HaGroup, part: str, serial: str = "") -> str:
    anchor = f"VirtualToken/VirtualToken{group.index}{part}"
    return f"{anchor}/{serial}" if serial else anchor


@rule("HA104", "group-too-small", Level.WARNING,
      summary="An HA group has fewer than two members (error when it has none)",
      reference="The vendor's auto-recovery page says HA needs two or more members; with one "
                "there is nothing to fail over to.",
      cites=(sources.HA_AUTORECOVERY, sources.HA_SETUP),
      fix="List at least two member partition serials in `VirtualTokenNNMembers`, or remove "
          "the group.",
      bad="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001;
          }""",
      good="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001, 1541234567002;
          }""",
      tags=("ha", "reliability"), placeholders="keep")
def ha104(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """An HA group exists to fail over between members. With one member it adds a layer
    without redundancy; with none, its virtual slot cannot work at all, so that case is an
    error. A serial listed twice counts once (HA109 reports the repeat)."""
    for group in ha_groups(config):
        if group.members is None:
            continue  # HA108 reports the missing key
        if group.members.repeated:
            continue  # inside a template loop: one or more entries, the count is unknown
        distinct = {s.text for s in group.member_serials}
        if len(distinct) >= 2:
            continue
        placeholder = group.members.templated_value
        if not distinct:
            yield Problem(group.members.span, f"HA group `{group.name}` has no members; its "
                          "virtual slot cannot work. List at least two member serials",
                          anchor=_group_anchor(group, "Members"), level=Level.ERROR)
        else:
            if placeholder and config.open:
                continue  # a placeholder line could add members too
            note = (" (the member list is one template placeholder: if it renders to several "
                    "serials, this does not apply)") if placeholder else ""
            yield Problem(group.members.span, f"HA group `{group.name}` has only one member "
                          f"(`{next(iter(distinct))}`), so there is nothing to fail over to; "
                          f"add a second member{note}", anchor=_group_anchor(group, "Members"))


@rule("HA105", "group-not-synchronized", Level.WARNING,
      summary="An HA group label has no HASynchronize entry equal to 1",
      reference="The vendor's client configuration pages list the `HASynchronize` section: "
                "one `<group label> = 1` entry per group turns automatic object "
                "synchronisation on. The HA troubleshooting page describes objects diverging "
                "between members.",
      cites=(sources.HA_LOGGING, sources.CONFIG_FILE_SUMMARY, sources.HA_TROUBLESHOOTING),
      fix="Add `<group label> = 1;` to the `HASynchronize` section (INI: `<label>=1` under "
          "`[HASynchronize]`).",
      bad="""
          VirtualToken = {
             VirtualToken00Label = payments;
          }
          HASynchronize = {
             payments = 0;
          }""",
      good="""
          VirtualToken = {
             VirtualToken00Label = payments;
          }
          HASynchronize = {
             payments = 1;
          }""",
      tags=("ha", "reliability"), fix_class="unsafe")
def ha105(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Automatic synchronisation copies key objects to a member that rejoins the group. When
    the group's label has no `HASynchronize` entry set to 1, a recovered member can miss
    objects created while it was away, and operations that land on it fail."""
    if config.partial:
        return  # needs the whole file: what a partial configuration lacks is unknown
    unsynced = []
    for group in ha_groups(config):
        if group.label is None or not group.label.value.strip():
            continue  # HA108 reports the missing label
        label = group.label.value.strip()
        sync = config.get("HASynchronize", label)
        if sync is not None and sync.value.strip() == "1":
            continue
        unsynced.append((group, label, sync))
    section = edits.last_section(config, "HASynchronize")
    if section is None:
        # One new section for every group that lacks an entry, carried by the first group's
        # finding only (a copy on each would make the output grow with the square of groups).
        labels = list(dict.fromkeys(label for group, label, _ in unsynced
                                    if not group.label.templated_value
                                    and not group.label.repeated))
        created = edits.fix("unsafe", "add an `HASynchronize` section with "
                            + ", ".join(f"`{label} = 1`" for label in labels),
                            edits.add_section(config, "HASynchronize",
                                              [(label, "1") for label in labels])) \
            if labels else None
    for group, label, sync in unsynced:
        what = "has no `HASynchronize` entry" if sync is None else \
            f"has `HASynchronize` `{sync.key} = {sync.value}`"
        if group.label.templated_value or group.label.repeated:
            fix = None
        elif sync is not None:
            fix = edits.fix("unsafe", f"set `{sync.key} = 1` in `HASynchronize`",
                            edits.set_value(sync, "1"))
        elif section is not None:
            fix = edits.fix("unsafe", f"add `{label} = 1` to `HASynchronize`",
                            edits.add_entry(config, section, label, "1"))
        else:
            fix, created = created, None
        yield Problem(group.label.span, f"HA group `{label}` {what}; add `{label} = 1` to "
                      "`HASynchronize` so members that rejoin get the objects they missed",
                      anchor=f"HASynchronize/{label}", fix=fix)


@rule("HA106", "deprecated-harecovery", Level.WARNING,
      summary="The deprecated HARecovery section is present",
      reference="The vendor's configuration file summary marks the `HARecovery` section as "
                "deprecated.",
      cites=(sources.CONFIG_FILE_SUMMARY,),
      fix="Delete the `HARecovery` section; recovery is set with `reconnAtt` and "
          "`AutoReconnectInterval` in `HAConfiguration`.",
      bad="""
          HARecovery = {
             payments = 1;
          }""",
      good="""
          HAConfiguration = {
             reconnAtt = -1;
             AutoReconnectInterval = 60;
          }""",
      tags=("ha", "maintainability"))
def ha106(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """`HARecovery` is a leftover of older clients. Current clients take recovery settings from
    `HAConfiguration`, so the section gives a false impression of how recovery is set up."""
    for section in config.sections_named("HARecovery"):
        yield Problem(section.header_span, "the `HARecovery` section is deprecated; remove it and "
                      "set recovery with `reconnAtt` and `AutoReconnectInterval` in "
                      "`HAConfiguration`", anchor="HARecovery")


@rule("HA107", "ha-log-nowhere", Level.WARNING,
      summary="haLogStatus is enabled but neither haLogPath nor haLogToStdout is set",
      reference="The vendor's HA logging page: `haLogStatus = enabled` writes "
                "`<haLogPath>/haErrorLog.txt`, so the log needs `haLogPath`.",
      cites=(sources.HA_LOGGING,),
      basis_note="`haLogToStdout = enabled` is accepted as a destination because it is seen "
                 "in real configurations",
      fix="Add `haLogPath = /var/log/luna;` (a directory the client can write) or "
          "`haLogToStdout = enabled;` to `HAConfiguration`.",
      bad="""
          HAConfiguration = {
             haLogStatus = enabled;
          }""",
      good="""
          HAConfiguration = {
             haLogStatus = enabled;
             haLogPath = /var/log/luna;
          }""",
      tags=("ha", "observability"))
def ha107(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The HA log is where failover and recovery events are recorded. Turning it on without a
    destination looks like logging is set up while nothing is written, which is found out only
    when the log is needed after an incident."""
    if config.partial:
        return  # needs the whole file: what a partial configuration lacks is unknown
    status = config.get("HAConfiguration", "haLogStatus")
    if status is None or status.value.strip().casefold() != "enabled":
        return
    path = config.get("HAConfiguration", "haLogPath")
    stdout = config.get("HAConfiguration", "haLogToStdout")
    if path is not None and path.value.strip():
        return
    if stdout is not None and stdout.value.strip().casefold() == "enabled":
        return
    yield Problem(status.span, "`haLogStatus = enabled` but neither `haLogPath` nor "
                  "`haLogToStdout = enabled` is set, so the HA log is written nowhere",
                  anchor="HAConfiguration/haLogStatus")


def _group_header(config: ClientConfig, group: HaGroup,
                  headers: dict[int, Span] | None = None) -> Span:
    """The header of the `VirtualToken` section holding the group's first entry.

    ``headers`` (from :func:`_entry_headers`) maps entries to their section's header, so that
    many groups cost one pass over the entries, not one each."""
    first = group.anchor_entry
    if headers is None:
        headers = _entry_headers(config)
    if first is not None and id(first) in headers:
        return headers[id(first)]
    section = config.section("VirtualToken")
    return section.header_span if section is not None else Span(1, 1, 1, 1)


def _entry_headers(config: ClientConfig) -> dict[int, Span]:
    """Each `VirtualToken` entry (by identity) → the header of its section."""
    return {id(e): section.header_span for section in config.sections_named("VirtualToken")
            for e in section.entries}


@rule("HA108", "group-incomplete", Level.ERROR,
      summary="An HA group index lacks Label, SN or Members, or a serial is not all digits",
      reference="The vendor's pages show each HA group as three `VirtualToken` keys sharing "
                "one index NN: `VirtualTokenNNLabel`, `VirtualTokenNNSN` and "
                "`VirtualTokenNNMembers`, the members being partition serial numbers.",
      cites=(sources.HA_LOGGING, sources.CONFIG_FILE_SUMMARY, sources.HA_ADD_REMOVE),
      fix="Give every group index NN all three keys `VirtualTokenNNLabel`, `VirtualTokenNNSN` "
          "and `VirtualTokenNNMembers`, with serials written as digits only.",
      bad="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00Members = 1541234567001, 15412345670O2;
          }""",
      good="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001, 1541234567002;
          }""",
      tags=("ha", "correctness"))
def ha108(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The client builds an HA group from the three keys sharing one index. A missing key, or a
    serial with a letter in it (often `O` typed for `0`), leaves a group the client cannot
    build or a member it cannot find."""
    headers = None
    for group in ha_groups(config):
        missing = [part for part in ("Label", "SN", "Members") if getattr(
            group, part.lower() if part != "SN" else "sn") is None]
        if missing:
            if headers is None:
                headers = _entry_headers(config)
            names = ", ".join(f"`VirtualToken{group.index}{part}`" for part in missing)
            yield Problem(_group_header(config, group, headers),
                          f"HA group index {group.index} ({group.name}) lacks {names}; a group "
                          "needs a label, a serial and members",
                          anchor=_group_anchor(group, "") + "/incomplete")
        if group.sn is not None and not is_ascii_digits(group.sn.value.strip(), None):
            why = number_trouble(group.sn.value)
            yield Problem(group.sn.span, f"group serial `VirtualToken{group.index}SN` is "
                          f"`{group.sn.value}`; a serial must be ASCII digits only"
                          + (f" ({why})" if why else ""),
                          anchor=_group_anchor(group, "SN"))
        for part, serials in (("Members", group.member_serials),
                              ("StandbyMembers", group.standby_serials)):
            for serial in serials:
                if not is_ascii_digits(serial.text, None):
                    why = number_trouble(serial.text)
                    yield Problem(serial.span, f"member serial `{serial.text}` in "
                                  f"`VirtualToken{group.index}{part}` is not all digits"
                                  + (f" ({why})" if why else ""),
                                  anchor=_group_anchor(group, part, serial.text))


@rule("HA109", "member-listed-twice", Level.ERROR,
      summary="A member serial is listed twice in one group, or in two groups of one client",
      reference="`VirtualTokenNNMembers` lists the member partitions of one group. The "
                "vendor's HA troubleshooting page warns that changing the same object through "
                "different paths produces conflicting object fingerprints.",
      cites=(sources.HA_ADD_REMOVE, sources.HA_TROUBLESHOOTING),
      fix="List each partition serial once, in one group only.",
      bad="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001, 1541234567001;
          }""",
      good="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001, 1541234567002;
          }""",
      tags=("ha", "correctness"))
def ha109(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """A partition listed twice in a group is one member counted twice: the group has less
    redundancy than it appears to. A partition in two groups of one client is reachable through
    two virtual slots, so applications can change the same objects along two paths. The
    finding points at the repeat; the related location is the first listing."""
    first: dict[str, tuple[HaGroup, Span]] = {}
    for group in ha_groups(config):
        for part, serials in (("Members", group.member_serials),
                              ("StandbyMembers", group.standby_serials)):
            for serial in serials:
                seen = first.get(serial.text)
                if seen is None:
                    first[serial.text] = (group, serial.span)
                    continue
                where = "this group" if seen[0].index == group.index else \
                    f"group `{seen[0].name}`"
                yield Problem(serial.span, f"member serial `{serial.text}` is already listed in "
                              f"{where}; list each partition once, in one group",
                              anchor=_group_anchor(group, part, serial.text),
                              related=((None, seen[1], "first listed here"),))


@rule("HA110", "group-serial-mismatch", Level.NOTE,
      summary="The group serial is not 1 followed by one member's serial",
      reference="In every vendor example the group serial is `1` followed by the serial of "
                "the member that created the group, and the adding/removing page says it "
                "changes when that member is removed.",
      cites=(sources.HA_ADD_REMOVE, sources.HA_REPLACE), basis=sources.SEEN,
      basis_note="the `1` + creating member's serial pattern holds in every vendor example and "
                 "real file seen, but the vendor does not state it as a rule",
      fix="Check the group with `hagroup listgroups` in LunaCM and copy its serial; if the "
          "creating member was removed, re-create the group or update the serial.",
      bad="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567009;
             VirtualToken00Members = 1541234567001, 1541234567002;
          }""",
      good="""
          VirtualToken = {
             VirtualToken00Label = payments;
             VirtualToken00SN = 11541234567001;
             VirtualToken00Members = 1541234567001, 1541234567002;
          }""",
      tags=("ha", "correctness"), precision="medium")
def ha110(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The client derives a group's serial from the member that created it. A serial that
    matches none of the listed members usually means the creating member was removed or the
    file was edited by hand; the group may not be the one LunaCM shows."""
    for group in ha_groups(config):
        if group.sn is None or not is_ascii_digits(group.sn.value.strip(), None):
            continue
        serials = [s.text for s in group.member_serials]
        if not serials or (group.members is not None and group.members.templated_value):
            continue  # no members, or a placeholder: the comparison cannot be decided
        sn = group.sn.value.strip()
        if any(sn == "1" + s for s in serials):
            continue
        yield Problem(group.sn.span, f"group serial `{sn}` is not `1` followed by the serial "
                      f"of one of its members ({', '.join(serials)}); check it against "
                      "`hagroup listgroups`", anchor=_group_anchor(group, "SN"))


_SERVER_KEY = re.compile(r"^Server(Name|Port|Htl)([0-9]+)$", re.IGNORECASE)


def _server_key(key: str) -> tuple[str, str] | None:
    """``("Name"|"Port"|"Htl", index)`` of a ``ServerNameNN``-style key, else None; kept per
    key (every file has the same few)."""
    try:
        return _SERVER_KEYS[key]
    except KeyError:
        m = _SERVER_KEY.match(key)
        found = _SERVER_KEYS[key] = (m.group(1).capitalize(), m.group(2)) if m else None
        if len(_SERVER_KEYS) > 4096:
            _SERVER_KEYS.clear()
        return found


_SERVER_KEYS: dict[str, tuple[str, str] | None] = {}


@rule("HA111", "server-set-incomplete", Level.WARNING,
      summary="ServerNameNN, ServerPortNN and ServerHtlNN do not come in complete sets",
      reference="The vendor's configuration file summary lists `ServerNameNN`, `ServerPortNN` "
                "(1792) and `ServerHtlNN` for each appliance the client reaches.",
      cites=(sources.CONFIG_FILE_SUMMARY,),
      fix="Give each server index NN all three keys: `ServerNameNN`, `ServerPortNN` (usually "
          "1792) and `ServerHtlNN`.",
      bad="""
          LunaSA Client = {
             ServerName00 = hsm-a.example.net;
          }""",
      good="""
          LunaSA Client = {
             ServerName00 = hsm-a.example.net;
             ServerPort00 = 1792;
             ServerHtl00 = 0;
          }""",
      tags=("ha", "correctness"))
def ha111(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The client reaches each HSM appliance through a server index with a name, a port and an
    HTL flag. An incomplete set is usually a copy-paste slip, leaving a server the client
    cannot reach or reaches on an unintended port. Reported once per index, at its first
    entry."""
    if config.partial:
        return  # needs the whole file: what a partial configuration lacks is unknown
    by_index: dict[str, dict[str, Entry]] = {}
    for entry in config.entries("LunaSA Client"):
        found = _server_key(entry.key)
        if found is not None:
            by_index.setdefault(found[1], {}).setdefault(found[0], entry)
    for index, parts in by_index.items():
        missing = [p for p in ("Name", "Port", "Htl") if p not in parts]
        if not missing:
            continue
        first = min(parts.values(), key=lambda e: (e.span.line, e.span.column))
        names = ", ".join(f"`Server{p}{index}`" for p in missing)
        yield Problem(first.span, f"server index {index} has `{first.key}` but lacks {names}; "
                      "each server needs a name, a port and an HTL setting",
                      anchor=f"LunaSA Client/Server{index}")


@rule("HA112", "receive-timeout-slow", Level.NOTE,
      summary="ReceiveTimeout is above 20000 ms in a client with HA groups",
      reference="The vendor gives `ReceiveTimeout` a default of 20000 ms and notes that it "
                "may already be too slow to detect a failed HA member.",
      cites=(sources.CONFIG_FILE_SUMMARY, sources.HA_LOGGING, sources.HA_FAILOVER),
      fix="Lower `ReceiveTimeout` in `LunaSA Client` to 20000 ms or less, so a dead member is "
          "detected and failed over quickly.",
      bad="""
          LunaSA Client = {
             ReceiveTimeout = 60000;
          }""",
      good="""
          LunaSA Client = {
             ReceiveTimeout = 20000;
          }""",
      tags=("ha", "reliability"), precision="medium")
def ha112(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The receive timeout is how long the client waits for an appliance before it treats the
    member as failed. The vendor notes that even the 20000 ms default can be slow for HA; a
    longer one stalls every application call for that long before failover."""
    if not ha_groups(config):
        return
    entry = config.get("LunaSA Client", "ReceiveTimeout")
    if entry is None:
        return
    value = _int(entry.value)
    if value is not None and value > 20000:
        yield Problem(entry.span, f"`ReceiveTimeout = {value}` ms delays HA failure detection "
                      "beyond the 20000 ms default; consider 20000 or less",
                      anchor="LunaSA Client/ReceiveTimeout")
    elif value is None and _not_a_number(entry):
        yield Problem(entry.span, (
            f"`ReceiveTimeout` is `{entry.value}`, which is not a number the client reads"
            f"{_not_a_number(entry)}; HA failure detection then runs with a timeout nobody "
            "chose: write the milliseconds in ASCII digits, 20000 or less"),
            anchor="LunaSA Client/ReceiveTimeout")


@rule("HA113", "member-without-export", Level.NOTE,
      summary="The workspace has exports, but none for this member: its policies went "
              "unchecked",
      reference="The vendor's HA setup page lists the policies every member needs; lunalint "
                "checks them only in captures of `slot list` and `partition showpolicies`.",
      cites=(sources.HA_SETUP, sources.PARTITION_SHOWPOLICIES), basis=sources.INFERRED,
      basis_note="this is a coverage note about lunalint's own checks: a member without a "
                 "capture is not a fault, only unchecked",
      fix="Save a LunaCM capture of `slot list` and `partition showpolicies` for this member "
          "next to the others (for example `lunacm > member.lunacm.txt`), or remove the serial "
          "from the group if the partition no longer exists.",
      bad="""
          VirtualToken = {
             VirtualToken00Members = 1541234567001, 1541234567003;
          }
          # captures in the repository list 1541234567001 only""",
      tags=("ha", "coverage"), precision="high", security_severity=0.0, uses_workspace=True)
def ha113(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """Cross-file rules (POL, VER) can check a member only when some capture lists it or
    shows its policies. When the repository keeps captures but none mentions this member, the
    member's cloning, activation and HSM policies were not checked at all. Without any capture
    in the workspace this rule says nothing: the repository then holds only client configs.
    Reported once per group, listing every member no capture shows."""
    workspace = ctx.workspace
    if workspace is None or not workspace.project().exports:  # (any capture of the project)
        return
    for group in workspace.groups_of(config):
        assert group.definition is not None
        members_entry = group.definition.members
        if members_entry is None:
            continue
        missing = list(dict.fromkeys(m.serial for m in group.members if not m.has_export))
        if not missing:
            continue
        listing = ", ".join(missing)
        if len(missing) == 1:
            what = f"member {listing} of group `{group.label}`; its"
        else:
            what = f"{len(missing)} members of group `{group.label}` ({listing}); their"
        yield Problem(members_entry.span, (
            f"no export in the workspace shows {what} partition and HSM policies went "
            "unchecked"), anchor=_group_anchor(group.definition, "Members") + "/unexported")


# --- live HA state from `hagroup listgroups` captures ---------------------------------------

def _related_definitions(statuses, ctx: Context) -> tuple:
    """The definitions of the listed groups (``Workspace.definitions_listed_as``), sorted,
    each once (a dict, not a list scan: a label many clients share may have thousands).
    Callers ask only when they report."""
    workspace = ctx.workspace
    if workspace is None:
        return ()
    related: dict = {}
    for status in statuses:
        for where in workspace.definitions_listed_as(status):
            related.setdefault(
                (where.path, where.span, "the client configuration defines this HA group here"),
                None)
    return tuple(sorted(related, key=lambda r: (r[0], r[1])))


def _listings(export: Export) -> list[list[HaGroupStatus]]:
    """The export's listed groups, one list per `hagroup listgroups` output (the groups of
    one output share its global settings)."""
    by_output: dict = {}
    for status in export.ha_groups:
        by_output.setdefault((status.command_index, status.settings), []).append(status)
    return list(by_output.values())


def _labels(statuses) -> str:
    return ", ".join(f"`{s.label or s.serial or '(unnamed)'}`" for s in statuses)


def _groups(statuses) -> str:
    """``HA group `a``` or ``HA groups `a`, `b```."""
    return f"HA group{'s' if len(statuses) > 1 else ''} {_labels(statuses)}"


def _setting_is(f: Field | None, *values: str) -> bool:
    return f is not None and f.value.strip().casefold() in values


@rule("HA114", "live-ha-only-off", Level.WARNING, scope="export",
      summary="A `hagroup listgroups` capture shows `Only Show HA Slots: no` while HA groups "
              "exist",
      reference="The vendor recommends HA-only mode on every HA client: without it, slot "
                "numbers shift as members fail and recover, and applications can use member "
                "slots directly. The HA troubleshooting page adds that with Secure Trusted "
                "Channel a session opened on a member slot makes the HA slot fail with "
                "CKR_ACCESS_ID_ALREADY_EXISTS. `hagroup listgroups` prints the client's "
                "setting as `Only Show HA Slots`.",
      cites=(sources.HA_ONLY, sources.HA_TROUBLESHOOTING, sources.HA_REPLACE),
      fix="Set `HAOnly = 1;` in the `HAConfiguration` section of the configuration of the "
          "client that ran LunaCM, restart the applications, then capture `hagroup listgroups` "
          "again.",
      bad="""
          lunacm:>hagroup listgroups
                      Only Show HA Slots:  no
                   HA Group Label:  payments""",
      good="""
          lunacm:>hagroup listgroups
                      Only Show HA Slots:  yes
                   HA Group Label:  payments""",
      tags=("ha", "reliability", "security", "live-state"), security_severity=6.0,
      uses_workspace=True)
def ha114(export: Export, ctx: Context) -> Iterator[Problem]:
    """The live counterpart of HA101: the capture shows how the client that ran LunaCM is
    really set, whatever a configuration in the repository says. With HA groups listed and
    HA-only mode off, applications on that client also see the member partitions' slots. When
    the client uses Secure Trusted Channel (the configuration defining a listed group has a
    `Secure Trusted Channel` section, or a member's capture shows partition policy 37 = 1) this
    is an error. Reported once per listing, on its `Only Show HA Slots` line."""
    for statuses in _listings(export):
        setting = statuses[0].only_show_ha_slots_field
        if not _setting_is(setting, "no", "disabled", "0"):
            continue
        workspace = ctx.workspace
        stc = workspace is not None and any(map(workspace.listing_uses_stc, statuses))
        why = ("; this client uses Secure Trusted Channel, where member sessions break the HA "
               "slot") if stc else ""
        level = Level.ERROR if stc else None
        later = export.changed_later("ha-only", setting.span.line)
        if later is not None:  # a runbook's capture before the step that enables HA-only
            why += (f" (this listing is taken before line {later} of the same runbook enables "
                    "HA-only; it shows the state at that point, not the final one)")
            level = Level.NOTE
        yield Problem(setting.span, (
            f"`Only Show HA Slots: {setting.value}` while {_groups(statuses)} "
            f"exist{'' if len(statuses) > 1 else 's'}: applications on this client also see "
            f"member slots; set `HAOnly = 1` in `HAConfiguration`{why}"),
            anchor=f"listgroups/only-show-ha-slots@{_labels(statuses)}",
            level=level, related=_related_definitions(statuses, ctx))


@rule("HA115", "live-auto-recovery-off", Level.WARNING, scope="export",
      summary="A `hagroup listgroups` capture shows HA auto recovery disabled, or a maximum of "
              "0 retries",
      reference="The vendor's HA recovery pages: automatic recovery brings a failed member "
                "back into its group; when it is off, or its retry limit is used up, the member "
                "stays out until an operator recovers it by hand. `hagroup listgroups` prints "
                "the client's settings as `HA auto recovery` and `Maximum auto recovery retry`.",
      cites=(sources.HA_RECOVERY, sources.HA_AUTORECOVERY, sources.HA_REPLACE),
      fix="Set `reconnAtt` in `HAConfiguration` of the client that ran LunaCM to a number of "
          "attempts or `-1`, and `AutoReconnectInterval` to 60 or more, then capture "
          "`hagroup listgroups` again.",
      bad="""
          lunacm:>hagroup listgroups
                        HA auto recovery:  disabled""",
      good="""
          lunacm:>hagroup listgroups
                        HA auto recovery:  enabled
             Maximum auto recovery retry:  500""",
      tags=("ha", "reliability", "live-state"), uses_workspace=True)
def ha115(export: Export, ctx: Context) -> Iterator[Problem]:
    """The live counterpart of HA102: the capture shows that the client that ran LunaCM does
    not recover failed members by itself, so a member that fails and comes back stays out of
    its group and the group runs with less redundancy than intended. `Maximum auto recovery
    retry: 0` is reported only when auto recovery is not already shown disabled."""
    for statuses in _listings(export):
        first = statuses[0]
        auto = first.auto_recovery_field
        if _setting_is(auto, "disabled", "no", "off"):
            note, level = _later_note(export, auto.span.line, "sets automatic recovery")
            yield Problem(auto.span, (
                f"`HA auto recovery: {auto.value}` for {_groups(statuses)}: a failed member "
                "never rejoins its group by itself; set `reconnAtt` to `-1` or a number of "
                f"attempts{note}"), anchor=f"listgroups/auto-recovery@{_labels(statuses)}",
                level=level, related=_related_definitions(statuses, ctx))
            continue
        retry = first.max_retry_field
        if retry is not None and _int(retry.value) == 0:
            note, level = _later_note(export, retry.span.line, "sets automatic recovery")
            yield Problem(retry.span, (
                f"`Maximum auto recovery retry: {retry.value}` for {_groups(statuses)}: no "
                "recovery attempt will be made; set `reconnAtt` to `-1` or a number of "
                f"attempts{note}"),
                anchor=f"listgroups/max-retry@{_labels(statuses)}", level=level,
                related=_related_definitions(statuses, ctx))


def _later_note(export: Export, line: int, what: str) -> tuple[str, Level | None]:
    """For a runbook's capture taken before a later step changes the setting: the words to
    add and the level (a note: the capture shows a point in time, not the final state)."""
    later = export.changed_later("recovery", line)
    if later is None:
        return "", None
    return (f" (this listing is taken before line {later} of the same runbook {what}; it "
            "shows the state at that point, not the final one)"), Level.NOTE


@rule("HA116", "live-member-down", Level.WARNING, scope="export",
      summary="A `hagroup listgroups` capture shows a member down, or a group that needs sync",
      reference="The vendor's HA pages: a member that is down serves nothing until it is "
                "recovered, and a group whose members are out of sync may answer differently "
                "depending on the member. `hagroup listgroups` prints each member's status and "
                "the group's `Needs sync` state.",
      cites=(sources.HA_REPLACE, sources.HA_RECOVERY, sources.HA_ADD_REMOVE),
      fix="Bring the member back (fix its appliance or network; without automatic recovery, "
          "run `hagroup recover`), make sure the group synchronises its objects (`<label> = 1` "
          "in `HASynchronize`), then capture `hagroup listgroups` again.",
      bad="""
          Slot #    Member S/N                      Member Label    Status
          ======    ==========                      ============    ======
               0    1541234567001                          pay-a     alive
               -    1541235567002                          pay-b     down""",
      good="""
          Slot #    Member S/N                      Member Label    Status
          ======    ==========                      ============    ======
               0    1541234567001                          pay-a     alive
               1    1541235567002                          pay-b     alive""",
      tags=("ha", "reliability", "live-state"), uses_workspace=True)
def ha116(export: Export, ctx: Context) -> Iterator[Problem]:
    """When the capture was taken the group was running with less redundancy than it was
    built for (a member down), or its members held different objects (`Needs sync: yes`).
    Each down member is reported on its row of the member table; a group that needs sync on
    its `Needs sync` line."""
    for status in export.ha_groups:
        name = status.label or status.serial or "(unnamed)"
        found: list = []  # the related definitions, looked up only when there is a finding

        def related() -> tuple:
            if not found:
                found.append(_related_definitions((status,), ctx))
            return found[0]

        sync = status.needs_sync_field
        if _setting_is(sync, "yes", "true", "1"):
            yield Problem(sync.span, (
                f"HA group `{name}` needs sync: its members hold different objects, so "
                "answers depend on the member that serves a call; synchronise the group"),
                anchor=f"listgroups/{name}/needs-sync", related=related())
        for member in status.members:
            if member.down:
                yield Problem(member.status_span, (
                    f"member {member.serial} of HA group `{name}` is down: the group has lost "
                    "a member's redundancy; fix it and run `hagroup recover`"),
                    anchor=f"listgroups/{name}/{member.serial}/down", related=related())


@rule("HA117", "script-group-without-ha-only", Level.WARNING, scope="export",
      summary="A script creates an HA group and never enables HA-only mode",
      reference="Thales recommends enabling HA-only mode on all clients running HA groups: "
                "without it, slot numbers shift as members fail and recover, and applications "
                "can use member slots directly (with Secure Trusted Channel, a session opened "
                "on a member slot makes the HA slot fail with CKR_ACCESS_ID_ALREADY_EXISTS). A "
                "script that creates the group is where the client is set up, so it is where "
                "HA-only belongs: `hagroup haonly -enable`.",
      cites=(sources.HA_ONLY_ENABLE, sources.HA_TROUBLESHOOTING),
      fix="Add `lunacm -c \"hagroup haonly -enable\"` (older clients: `vtl haAdmin -HAOnly "
          "-enable`) after the group is created, or `configurator setValue -s HAConfiguration "
          "-e HAOnly -v 1`, or commit the client configuration with `HAOnly = 1;`.",
      bad="""
          lunacm -c "hagroup createGroup -label payments -serialNumber 1238696044 -password $PW"
          """,
      good="""
          lunacm -c "hagroup createGroup -label payments -serialNumber 1238696044 -password $PW"
          lunacm -c "hagroup haonly -enable"
          """,
      tags=("ha", "reliability", "security", "scripts"), security_severity=6.0,
      uses_workspace=True)
def ha117(export, ctx: Context) -> Iterator[Problem]:
    """The script counterpart of HA101: a script (shell, Dockerfile, Ansible task, template of
    a script, Makefile, runbook) creates an HA group (`hagroup createGroup`, `vtl haAdmin
    -newGroup`) and nothing enables HA-only: not the script (`hagroup haonly -enable`, `vtl
    haAdmin -HAOnly -enable`, `configurator setValue -s HAConfiguration -e HAOnly -v 1`, a
    heredoc or `echo` writing `HAOnly = 1`) and no client configuration in the workspace
    (`HAOnly = 1` in `HAConfiguration`). Reported at each create command. An error when the
    client uses Secure Trusted Channel (the script sets up STC, or a configuration in the
    workspace has a `Secure Trusted Channel` section)."""
    script = getattr(export, "script", None)
    if script is None or not script.creates or script.ha_only:
        return
    # (any configuration of the project, not only those this part of it links)
    project = ctx.workspace.project() if ctx.workspace is not None else None
    if project is not None and project.ha_only:
        return
    stc = script.stc or (project is not None and project.stc)
    why = ("; this client uses Secure Trusted Channel, where member sessions break the HA "
           "slot") if stc else ""
    for create in script.creates:
        label = f"`{create.label}`" if create.label else "an HA group"
        yield Problem(create.span, (
            f"this script creates HA group {label} but never enables HA-only mode, and no "
            "client configuration in the workspace sets `HAOnly = 1`; add `hagroup haonly "
            f"-enable` so applications see only the HA virtual slots{why}"),
            anchor=f"script/create:{create.label or ''}", level=Level.ERROR if stc else None)


def _hardware(slot) -> str | None:
    """"pcie" for a Luna PCIe HSM 7 partition (`Model -> Luna K7`), "network" for a Network
    HSM 7 one (`Model -> LunaSA …`, `Slot Description -> Net Token Slot`), else None."""
    if slot is None:
        return None
    model = (slot.model or "").strip().casefold()
    described = slot.field("Slot Description")
    description = described.value.casefold() if described is not None else ""
    if model.startswith("lunasa") or "net token slot" in description:
        return "network"
    if model.startswith("luna k7") or model == "k7":
        return "pcie"
    return None


@rule("HA118", "mixed-pcie-network-members", Level.ERROR, scope="workspace",
      summary="An HA group has both Luna PCIe HSM 7 and Luna Network HSM 7 members",
      reference="The vendor's HA setup page: HA groups cannot contain both Luna PCIe HSM 7s "
                "and Luna Network HSM 7s. In `slot list`, a Luna PCIe HSM 7 partition shows "
                "`Model -> Luna K7`; a Network HSM 7 partition shows `Model -> LunaSA …` and "
                "`Slot Description -> Net Token Slot`.",
      cites=(sources.HA_SETUP, sources.PCIE_74_LOCAL_PARTITION),
      fix="Build the group from one kind of HSM only: remove the PCIe members from a group of "
          "Network HSMs (or the reverse) and give them a group of their own.",
      bad="""
          Model ->                Luna K7            (member 1541234567001)
          Model ->                LunaSA 7.7.1       (member 1541235567002)""",
      good="""
          Model ->                LunaSA 7.7.1       (member 1541234567001)
          Model ->                LunaSA 7.7.1       (member 1541235567002)""",
      tags=("ha", "hardware"), security_severity=5.0)
def ha118(ws, ctx: Context) -> Iterator[Problem]:
    """The members' own `slot list` blocks tell which kind of HSM each is. Reported once per
    group, where the group is defined (its Label entry, or its `hagroup listgroups` label),
    with each member's `Model` line as a related location. Members whose slot is not captured
    are not judged."""
    for group in ws.groups:
        kinds: dict[str, list] = {}
        for member in group.members + group.standby:
            slot = member.slot
            kind = _hardware(slot)
            if kind is not None:
                kinds.setdefault(kind, []).append(member)
        if len(kinds) < 2:
            continue
        where = group.defined_at
        if where is None:
            continue
        related = []
        for kind, members in sorted(kinds.items()):
            for member in members:
                f = member.slot.field("Model") or member.slot.field("Slot Description")
                path = member.partition.path if member.partition is not None else where.path
                what = "Luna PCIe HSM 7" if kind == "pcie" else "Luna Network HSM 7"
                related.append((path, f.span if f else member.slot.span,
                                f"member {member.serial} is a {what}"))
        pcie = ", ".join(m.serial for m in kinds["pcie"])
        network = ", ".join(m.serial for m in kinds["network"])
        yield Problem(where.span, (
            f"HA group `{group.label}` mixes Luna PCIe HSM 7 members ({pcie}) with Luna Network "
            f"HSM 7 members ({network}); an HA group cannot contain both kinds"),
            anchor=f"group:{group.label}/mixed-hardware", path=where.path,
            related=tuple(related))
