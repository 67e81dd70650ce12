"""Audit facts: what the HTML and Markdown reports show besides the findings.

:func:`collect` turns a pipeline :class:`~lunalint.pipeline.Outcome` into :class:`AuditFacts`:
plain, frozen, picklable records of the estate (HA groups, the configurations that define
them, their members with serial, label, HSM, firmware, authentication and live status, the
partition and HSM policy values of each member, client versions and the client/firmware table
row that applies, files by kind, waivers). This module is the only seam between the link stage
and the reports: reporters read these records and the findings, never a workspace or a model,
so the link stage may change shape without touching a reporter.

Which element a finding is about is decided here too (by where it points: a member's slot
block, policy listing, HSM policy listing or listing row; a group's definition or listing),
so every report colours the same element for the same finding.

Every string in the facts crossed :class:`AuditFacts.redacted` before a reporter sees it
(``lunalint.reporters.renderer`` calls it with the run's redactor).
"""

from __future__ import annotations

import dataclasses

from lunalint import record as records
import datetime as _dt
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Policies the matrix always shows, whether or not a capture prints them:
# cloning (0, 4), activation (22, 23), Key Management Functions (28), Secure Trusted Channel
# (37); HSM policies cloning (7), non-FIPS algorithms (12), network replication (16), STC (39).
ALWAYS_PARTITION = {0: "Allow private key cloning", 4: "Allow secret key cloning",
                    22: "Allow activation", 23: "Allow auto-activation",
                    28: "Allow Key Management Functions", 37: "Force Secure Trusted Channel"}
ALWAYS_HSM = {7: "Allow cloning", 12: "Allow non-FIPS algorithms",
              16: "Allow network replication", 39: "Allow Secure Trusted Channel"}

# Vendor pages the report links to (titles and addresses as the vendor publishes them).
VENDOR_DOCS = {
    "ha-setup": ("Setting Up an HA Group",
                 "https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/admin_partition/"
                 "ha/setup.htm"),
    "partition-policies": ("Partition Capabilities and Policies",
                           "https://thalesdocs.com/gphsm/luna/7.2/docs/network/Content/"
                           "configuration/partition_policies/partition_policies_ppso.htm"),
    "hsm-policies": ("HSM Capabilities and Policies",
                     "https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/admin_hsm/"
                     "policies/hsm_capabilities_and_policies.htm"),
    "firmware-ha": ("Guidelines for Updating/Converting when HA",
                    "https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/"
                    "admin_partition/ha/guidelines_for_updating-converting_when_HA.htm"),
}

LEVELS = ("error", "warning", "note")  # worst first
EXPIRY_WINDOW_DAYS = 30


def _word(default: Any = None) -> Any:
    """A field holding one of lunalint's own words (a level, a verdict, a kind), never text
    from a file: redaction leaves it alone, so a password that happens to be ``note`` cannot
    turn a level into ``****`` that no report knows."""
    return field(default=default, metadata={"own": True})


@dataclass(frozen=True)
class Place:
    """A line in a file (1-based)."""

    path: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """A finding as an element of the estate carries it (never a suppressed one)."""

    rule: str
    level: str = _word()
    message: str = ""
    path: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class PolicyValue:
    number: int
    name: str
    value: str
    place: Place | None = None


@dataclass(frozen=True)
class FirmwareRow:
    """The client/firmware table row covering a firmware: ``start`` <= firmware < ``below``."""

    start: str
    below: str
    min_client: str
    confidence: str
    source: str = ""


@dataclass(frozen=True)
class Member:
    serial: str
    listed_at: Place  # where the group lists the serial
    standby: bool = False
    captured: bool = False  # a slot list or policy listing shows this partition
    label: str | None = None
    model: str | None = None
    hsm_label: str | None = None
    hsm_serial: str | None = None
    hsm_model: str | None = None  # from LunaSH `hsm show`
    firmware: str | None = None
    firmware_at: Place | None = None
    authentication: str | None = None  # "PW" or "PED"
    status: str | None = None  # from `hagroup listgroups` (alive, down…)
    status_at: Place | None = None
    partition_policies: tuple[PolicyValue, ...] | None = None  # None: no capture
    hsm_policies: tuple[PolicyValue, ...] | None = None
    firmware_row: FirmwareRow | None = None
    versions: str = _word("")  # verdict of client against firmware: ok, old-client, …
    worst: str | None = _word()
    problems: tuple[Problem, ...] = ()
    intentional: tuple[Problem, ...] = ()  # findings that explain a design, not a defect

    @property
    def state(self) -> str:
        """``unknown`` without a capture, else the worst level or ``clean``."""
        if self.worst:
            return self.worst
        return "clean" if self.captured else "unknown"


@dataclass(frozen=True)
class Config:
    """A client configuration that defines a group."""

    path: str
    defined_at: Place | None
    form: str = _word("")  # brace or ini
    worst: str | None = _word()
    problems: int = 0  # unsuppressed, unintended findings in the file


@dataclass(frozen=True)
class Client:
    version: str
    origin: str = _word("banner")  # "banner" (LunaCM banner) or "facts" (settings file)
    place: Place | None = None


@dataclass(frozen=True)
class PolicyCell:
    serial: str
    value: str | None  # None: not printed (capability off) or not captured
    captured: bool
    differs: bool
    place: Place | None = None


@dataclass(frozen=True)
class PolicyRow:
    number: int
    name: str
    always: bool  # one of the policies every report shows
    cells: tuple[PolicyCell, ...]

    @property
    def differs(self) -> bool:
        return any(c.differs for c in self.cells)


@dataclass(frozen=True)
class Group:
    label: str
    serial: str | None  # the virtual (group) serial
    configs: tuple[Config, ...]
    listing: Place | None  # `HA Group Label:` of a `hagroup listgroups` capture
    listing_fields: tuple[tuple[str, str], ...]  # Synchronization, Needs sync…
    members: tuple[Member, ...]  # active members first, then standby members
    client: Client | None
    worst: str | None = _word()
    problems: tuple[Problem, ...] = ()  # findings about the group itself
    intentional: tuple[Problem, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.label}\0{self.serial or ''}"

    @property
    def state(self) -> str:
        return self.worst or "clean"

    @property
    def all_problems(self) -> tuple[Problem, ...]:
        """The group's own problems and its members', each once, worst first."""
        seen: dict[tuple, Problem] = {}
        for p in (*self.problems, *(p for m in self.members for p in m.problems)):
            seen.setdefault((p.rule, p.path, p.line, p.column, p.message), p)
        return tuple(sorted(seen.values(), key=lambda p: (LEVELS.index(p.level), p.path,
                                                         p.line, p.column, p.rule)))

    def policy_rows(self, kind: str = "partition") -> tuple[PolicyRow, ...]:
        """Members × policies: every policy any member prints plus the always-shown ones.

        A cell differs from its row when its value is not the value most captured members
        share (on a tie every captured cell differs: no side is blamed). A member whose
        capture does not print a policy shows no value (the policy is not changeable there),
        and that counts as a value of its own; a member without a capture takes no part.
        """
        always = ALWAYS_PARTITION if kind == "partition" else ALWAYS_HSM
        per_member: list[tuple[Member, dict[int, PolicyValue] | None]] = []
        names: dict[int, str] = dict(always)
        for m in self.members:
            values = m.partition_policies if kind == "partition" else m.hsm_policies
            if values is None:
                per_member.append((m, None))
                continue
            by_number = {p.number: p for p in values}
            per_member.append((m, by_number))
            for p in values:
                names.setdefault(p.number, p.name)
        if kind == "hsm" and all(v is None for _, v in per_member):
            return ()
        rows = []
        for number in sorted(names):
            raw = [(m, None if v is None else (v.get(number).value if number in v else None),
                    v is not None, v.get(number).place if v and number in v else None)
                   for m, v in per_member]
            counts = Counter(value for _, value, captured, _ in raw if captured)
            reference: object = "\0none"
            if counts:
                top = max(counts.values())
                tied = [value for value, n in counts.items() if n == top]
                reference = tied[0] if len(tied) == 1 else "\0tie"
            cells = tuple(PolicyCell(m.serial, value, captured,
                                     captured and len(counts) > 1 and value != reference, place)
                          for m, value, captured, place in raw)
            rows.append(PolicyRow(number, names[number], number in always, cells))
        return tuple(rows)


@dataclass(frozen=True)
class Waiver:
    rule: str
    path: str
    reason: str
    anchor: str = ""
    expires: str | None = None  # ISO date
    origin: str = ""  # "settings-file:line"
    days_left: int | None = None  # negative once expired

    @property
    def expiring(self) -> bool:
        """Expires within :data:`EXPIRY_WINDOW_DAYS` days (and has not expired yet)."""
        return self.days_left is not None and 0 <= self.days_left <= EXPIRY_WINDOW_DAYS


@dataclass(frozen=True)
class File:
    path: str
    kind: str = _word("")  # config, export, unreadable…
    client: str | None = None  # the client version a capture's banner shows


@dataclass(frozen=True)
class AuditFacts:
    root: str
    paths: tuple[str, ...]  # what the run was asked to lint
    version: str  # lunalint's
    generated: str  # ISO time, UTC (SOURCE_DATE_EPOCH when set)
    settings: str | None  # the configuration file used
    files: tuple[File, ...]
    groups: tuple[Group, ...]
    firmware_table: tuple[FirmwareRow, ...]
    waivers: tuple[Waiver, ...] = ()
    today: str = ""
    vendor_docs: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(VENDOR_DOCS),
                                                    metadata={"own": True})

    def kinds(self) -> dict[str, int]:
        return dict(sorted(Counter(f.kind for f in self.files).items()))

    @property
    def clients(self) -> tuple[File, ...]:
        return tuple(f for f in self.files if f.client)

    def waiver_for(self, origin: str) -> Waiver | None:
        for w in self.waivers:
            if w.origin == origin:
                return w
        return None

    def redacted(self, scrub: Callable[[str], str]) -> AuditFacts:
        """A copy with ``scrub`` applied to every string (the redaction boundary)."""
        return _map_strings(self, scrub)


def _map_strings(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _map_strings(getattr(value, f.name), scrub)
                   for f in dataclasses.fields(value) if not f.metadata.get("own")}
        return records.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_map_strings(v, scrub) for v in value)
    if isinstance(value, list):
        return [_map_strings(v, scrub) for v in value]
    if isinstance(value, dict):
        return {_map_strings(k, scrub): _map_strings(v, scrub) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- collecting

def collect(outcome: Any, *, paths: Iterable[str] = (), settings: Any = None,
            today: _dt.date | None = None) -> AuditFacts:
    """The audit facts of a pipeline outcome (its link-stage workspaces and findings).

    ``settings`` is the run's :class:`~lunalint.settings.Settings` (waivers, firmware rows);
    ``today`` decides which waivers expire soon (default: today's date).
    """
    from lunalint import __version__

    today = today or _dt.date.today()
    named = {doc.path for doc in outcome.documents}
    index = _FindingIndex([f for f in outcome.findings if f.suppression is None])
    groups: list[Group] = []
    merged: dict[str, int] = {}
    table: tuple[FirmwareRow, ...] = ()
    banners: dict[str, str] = {}
    for workspace in outcome.workspaces:
        facts = getattr(workspace, "facts", {}) or {}
        table = table or _firmware_table(facts)
        hsms: dict[str, Any] = {}  # LunaSH `hsm show` by HSM serial
        for export in workspace.exports:
            version = getattr(export, "client_version", None)
            if version is not None:
                banners[export.path] = version.text or str(version)
            for info in getattr(export, "hsms", ()):
                if info.serial:
                    hsms[info.serial.strip()] = info
        for linked in workspace.groups:
            group = _group(linked, facts, index, hsms)
            if not _touches(group, named):
                continue
            key = group.key.casefold()
            if key in merged:
                groups[merged[key]] = _merge(groups[merged[key]], group)
            else:
                merged[key] = len(groups)
                groups.append(group)
    if not table:
        table = _firmware_table(_settings_facts(settings))
    files = tuple(File(doc.path, doc.kind, banners.get(doc.path))
                  for doc in sorted(outcome.documents, key=lambda d: d.path))
    config_worst = {path: index.worst_in_file(path) for path in
                    {c.path for g in groups for c in g.configs}}
    groups = [records.replace(g, configs=tuple(
        records.replace(c, worst=config_worst[c.path][0], problems=config_worst[c.path][1])
        for c in g.configs)) for g in groups]
    return AuditFacts(
        root=outcome.root or "", paths=tuple(paths), version=__version__,
        generated=_generated(), settings=_settings_path(settings), files=files,
        groups=tuple(groups), firmware_table=table,
        waivers=_waivers(settings, today), today=today.isoformat())


def _generated() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = int(epoch) if epoch.isdigit() else int(time.time())
    return _dt.datetime.fromtimestamp(moment, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _settings_path(settings: Any) -> str | None:
    source = getattr(settings, "source", None)
    if not source:
        return None
    from lunalint.suppress import display

    return display(source)


def _settings_facts(settings: Any) -> dict:
    rows = getattr(settings, "firmware", ()) or ()
    return {"firmware": list(rows)} if rows else {}


def _firmware_table(facts: dict) -> tuple[FirmwareRow, ...]:
    from lunalint import firmware

    try:
        return tuple(_row(r) for r in firmware.table(facts))
    except firmware.FirmwareTableError:
        return ()


def _row(row: Any) -> FirmwareRow:
    return FirmwareRow(str(row.start), str(row.below), str(row.min_client), row.confidence,
                       row.source)


def _waivers(settings: Any, today: _dt.date) -> tuple[Waiver, ...]:
    out = []
    for w in getattr(settings, "waivers", ()) or ():
        days = (w.expires - today).days if w.expires is not None else None
        out.append(Waiver(w.rule, w.path, w.reason, w.anchor,
                          w.expires.isoformat() if w.expires else None, w.origin, days))
    return tuple(out)


def _touches(group: Group, named: set[str]) -> bool:
    """Whether the group involves a file the run was asked about."""
    places = [c.path for c in group.configs]
    if group.listing is not None:
        places.append(group.listing.path)
    for m in group.members:
        places += [p.path for p in (m.firmware_at, m.status_at, m.listed_at) if p is not None]
        places += [p.place.path for p in (m.partition_policies or ()) if p.place is not None]
    return any(p in named for p in places)


def _merge(a: Group, b: Group) -> Group:
    """One group defined in several configurations (same label and serial)."""
    members = {m.serial: m for m in a.members}
    for m in b.members:
        members.setdefault(m.serial, m)
    problems = tuple(dict.fromkeys((*a.problems, *b.problems)))
    explained = tuple(dict.fromkeys((*a.intentional, *b.intentional)))
    return records.replace(
        a, configs=a.configs + tuple(c for c in b.configs if c not in a.configs),
        listing=a.listing or b.listing, listing_fields=a.listing_fields or b.listing_fields,
        members=tuple(members.values()), client=a.client or b.client,
        problems=problems, intentional=explained, worst=_worst(p.level for p in problems))


def _worst(levels: Iterable[str]) -> str | None:
    found = set(levels)
    for level in LEVELS:
        if level in found:
            return level
    return None


class _FindingIndex:
    """Findings by file and line, to attribute them to the element they point at."""

    def __init__(self, findings: list) -> None:
        self.by_path: dict[str, list] = {}
        self.by_line: dict[tuple[str, int], list] = {}
        self.by_related: dict[tuple[str, int], list] = {}
        for f in findings:
            self.by_path.setdefault(f.path, []).append(f)
            self.by_line.setdefault((f.path, f.span.line), []).append(f)
            for r in {(r.path, r.span.line) for r in f.related}:
                self.by_related.setdefault(r, []).append(f)

    def within(self, path: str, span: Any) -> list:
        """Findings in ``path`` whose span starts inside ``span`` (lines, and columns on the
        first and last line)."""
        first = (span.line, span.column)
        last = (span.end_line, max(span.end_column, span.column + 1))
        out = []
        for line in range(span.line, span.end_line + 1):
            for f in self.by_line.get((path, line), ()):
                if first <= (f.span.line, f.span.column) < last:
                    out.append(f)
        return out

    def related_to(self, path: str, span: Any) -> list:
        return list(self.by_related.get((path, span.line), ()))

    def worst_in_file(self, path: str) -> tuple[str | None, int]:
        found = [f for f in self.by_path.get(path, ()) if not f.intentional]
        return _worst(f.level.label for f in found), len(found)


def _problem(f: Any) -> Problem:
    return Problem(f.rule, f.level.label, f.message, f.path, f.span.line, f.span.column)


def _problems(found: Iterable[Any], intentional: bool = False) -> tuple[Problem, ...]:
    """The problems among ``found`` (or, with ``intentional``, the explained designs), each
    once, worst first."""
    out = {(_problem(f)): None for f in found if f.intentional == intentional}
    return tuple(sorted(out, key=lambda p: (LEVELS.index(p.level), p.path, p.line, p.column,
                                            p.rule)))


def _place(path: str | None, span: Any) -> Place | None:
    if path is None or span is None:
        return None
    return Place(path, span.line, span.column)


def _group(linked: Any, facts: dict, index: _FindingIndex, hsms: dict[str, Any]) -> Group:
    """One link-stage group as audit facts, with the findings about it and its members."""
    status = linked.status.item if linked.status is not None else None
    status_path = linked.status.path if linked.status is not None else None
    rows = {r.serial.strip(): r for r in status.members} if status is not None else {}
    client = None
    if linked.client is not None:
        c = linked.client
        client = Client(c.version.text or str(c.version), c.origin,
                        _place(c.where.path, c.where.span) if c.where else None)
    members = []
    claimed: set[int] = set()
    for standby, group_members in ((False, linked.members), (True, linked.standby)):
        for m in group_members:
            member = _member(m, standby, rows.get(m.serial), status_path, client, facts, index,
                             hsms)
            members.append(member[0])
            claimed |= member[1]
    # The group's own findings: at its definition in a configuration, at its listing, or
    # related to where it is defined; not those already about one of its members.
    own: list = []
    configs: tuple[Config, ...] = ()
    serial = None
    definition = linked.definition
    if linked.config is not None and definition is not None:
        path = linked.config.path
        for entry in (definition.label, definition.sn, definition.members, definition.standby):
            if entry is not None:
                own += index.within(path, entry.span)
        where = linked.defined_at
        configs = (Config(path, _place(where.path, where.span) if where else None,
                          getattr(linked.config, "form", "")),)
        if definition.sn is not None:
            serial = definition.sn.value
    if status is not None:
        own += index.within(status_path, status.span)
        serial = serial or status.serial
    where = linked.defined_at
    if where is not None:
        own += index.related_to(where.path, where.span)
    own = [f for f in own if id(f) not in claimed]
    problems = _problems(own)
    explained = _problems(own, intentional=True)
    listing = None
    fields: tuple[tuple[str, str], ...] = ()
    if status is not None:
        f = status.label_field
        listing = _place(status_path, f.span if f is not None else status.span)
        fields = tuple((x.key, x.value) for x in status.fields
                       if x.key.casefold() not in ("ha group label", "group members"))
        fields += tuple((x.key, x.value) for x in status.settings)
    return Group(linked.label, serial, configs, listing, fields, tuple(members), client,
                 _worst(p.level for p in problems), problems, explained)


def _hsm_show(serial: str, hsms: dict[str, Any]) -> Any:
    """The `hsm show` of the HSM holding partition ``serial``: the longest serial prefix."""
    for end in range(len(serial), 0, -1):
        found = hsms.get(serial[:end])
        if found is not None:
            return found
    return None


def _member(m: Any, standby: bool, row: Any, status_path: str | None, client: Client | None,
            facts: dict, index: _FindingIndex, hsms: dict[str, Any]) -> tuple[Member, set[int]]:
    found: list = []
    slot = m.slot
    if slot is not None:
        found += index.within(m.partition.path, slot.span)
    pset = m.policy_set
    partition_policies = None
    if pset is not None:
        found += index.within(m.policies.path, pset.span)
        partition_policies = tuple(PolicyValue(p.number, p.name, str(p.value),
                                               _place(m.policies.path, p.span))
                                   for p in pset.policy_values)
    hsm = m.hsm_policies
    hsm_policies = None
    hsm_label = hsm_serial = None
    if hsm is not None:
        found += index.within(m.hsm.path, hsm.span)
        hsm_policies = tuple(PolicyValue(p.code, p.description, p.value,
                                         _place(m.hsm.path, p.span))
                             for p in hsm.policy_values if p.code is not None)
        hsm_label, hsm_serial = hsm.label, hsm.serial
    info = _hsm_show(m.serial, hsms) if hsms else None
    if info is not None:
        hsm_label, hsm_serial = hsm_label or info.label, hsm_serial or info.serial
    found += index.within(m.listed.path, m.listed.span)
    status = status_at = None
    if row is not None:
        status, status_at = row.status, _place(status_path, row.status_span)
        found += index.within(status_path, row.span)
    firmware = m.firmware
    version = firmware[0] if firmware else None
    row_facts, verdict = _versions(version, client, facts)
    auth = m.authentication
    unique = {id(f): f for f in found}
    problems = _problems(unique.values())
    return Member(
        serial=m.serial, listed_at=Place(m.listed.path, m.listed.span.line,
                                         m.listed.span.column),
        standby=standby, captured=bool(m.has_export),
        label=slot.label if slot is not None else (row.label if row is not None else None),
        model=slot.model if slot is not None else None,
        hsm_label=hsm_label, hsm_serial=hsm_serial,
        hsm_model=info.model if info is not None else None,
        firmware=(version.text or str(version)) if version else None,
        firmware_at=_place(firmware[1].path, firmware[1].span) if firmware else None,
        authentication=auth[0] if auth else None, status=status, status_at=status_at,
        partition_policies=partition_policies, hsm_policies=hsm_policies,
        firmware_row=row_facts, versions=verdict,
        worst=_worst(p.level for p in problems), problems=problems,
        intentional=_problems(unique.values(), intentional=True)), set(unique)


def _versions(version: Any, client: Client | None, facts: dict) -> tuple[FirmwareRow | None, str]:
    """The table row for a member's firmware and what it says of the group's client:
    ``ok``, ``old-client`` (older than the row's minimum), ``no-client`` (no client version
    known), ``newer-firmware`` (newer than the table knows), ``no-row`` (a gap in the table)
    or ``no-firmware`` (no capture shows it)."""
    from lunalint import firmware
    from lunalint.versions import Version

    if version is None:
        return None, "no-firmware"
    try:
        row = firmware.row_for(version, facts)
        newer = firmware.newer_than_known(version, facts)
    except firmware.FirmwareTableError:
        return None, "no-row"
    if row is None:
        return None, "newer-firmware" if newer else "no-row"
    facts_row = _row(row)
    if client is None:
        return facts_row, "no-client"
    known = Version.parse(client.version)
    if known is None:
        return facts_row, "no-client"
    return facts_row, "ok" if known >= row.min_client else "old-client"
