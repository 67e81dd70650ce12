"""The link stage: join the facts of one project's configurations and captures into HA groups.

Every configuration and capture under the project root takes part, even when the command line
names only some files (as pre-commit does): context comes from all of them. Joins are on
partition serial numbers; an HSM owns a partition when the HSM's serial is the longest prefix
of the partition's serial.

The link stage reads :class:`lunalint.facts.FileFacts` only, never whole models: each file was
reduced to its facts in the worker that read it. Indexes are dictionaries (serial, label, group
serial, configuration path), so linking is linear in the facts. Model objects (``Slot``,
``PolicySet``, ``HsmPolicies``, ``HaGroupStatus``) are rebuilt from facts only for the records
that group members use, once each.

Rules read a :class:`Workspace`; they never open files.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint import facts as factsmod
from lunalint.facts import FileFacts
from lunalint.model.base import Span
from lunalint.model.config import ClientConfig, HaGroup, ha_groups
from lunalint.record import cached, opt, record
from lunalint.versions import Version

if TYPE_CHECKING:  # built from facts on demand; a run over configs only never imports them
    from typing import Any
    from lunalint.model.export import HaGroupStatus, HsmPolicies, PolicySet, Slot


@record
class Where:
    """A place in a file."""

    path: str
    span: Span


@record
class Sourced:
    """A model object together with the file it came from."""

    path: str
    item: object


@record
class ClientVersion:
    version: Version
    where: Where | None  # the banner, or None when it came from `facts`
    origin: str  # "banner" or "facts"


@record
class Member:
    """One member serial of a group, with everything the exports say about it."""

    serial: str
    listed: Where  # where the group lists this serial
    partition: Sourced | None = None  # Slot (physical) from a slot list
    policies: Sourced | None = None  # PolicySet attributed to this serial
    hsm: Sourced | None = None  # HsmPolicies of the owning HSM (longest serial prefix)
    # What-if (``--target-firmware``): the firmware the member is assumed to run instead.
    assumed_firmware: Version | None = None
    # What is worked out from the records (firmware, authentication) depends on the serial
    # only: the link stage gives every Member of one serial the same dict (issue 21: a serial
    # listed by many groups is worked out, and kept, once).
    _cache: dict = opt(factory=dict, init=False, repr=False, compare=False)

    @property
    def slot(self) -> Slot | None:
        return self.partition.item if self.partition else None  # type: ignore[return-value]

    @property
    def policy_set(self) -> PolicySet | None:
        return self.policies.item if self.policies else None  # type: ignore[return-value]

    @property
    def hsm_policies(self) -> HsmPolicies | None:
        return self.hsm.item if self.hsm else None  # type: ignore[return-value]

    @property
    def firmware(self) -> tuple[Version, Where] | None:
        """The member's firmware and the line that prints it (slot list, else its HSM). In a
        what-if run, the assumed firmware, on the line of the real one (else where the group
        lists the member)."""
        if self.assumed_firmware is not None:
            now = self.current_firmware
            return self.assumed_firmware, now[1] if now is not None else self.listed
        return self.current_firmware

    @cached
    def current_firmware(self) -> tuple[Version, Where] | None:
        """The firmware the captures show, what-if or not."""
        slot = self.slot
        if slot is not None:
            firmware = slot.firmware  # (parsed once here: it is a computed property)
            if firmware is not None and slot.firmware_field is not None:
                return firmware, Where(self.partition.path, slot.firmware_field.span)
        hsm = self.hsm_policies
        if hsm is not None:
            firmware = hsm.firmware
            if firmware is not None and hsm.firmware_field is not None:
                return firmware, Where(self.hsm.path, hsm.firmware_field.span)
        return None

    @cached
    def authentication(self) -> tuple[str, Where] | None:
        slot = self.slot
        if slot is not None and slot.authentication and slot.authentication_span is not None:
            return slot.authentication, Where(self.partition.path, slot.authentication_span)
        return None

    @property
    def has_export(self) -> bool:
        return any((self.partition, self.policies))


@record(eq=False)
class Group:
    """An HA group: from a client configuration, from `hagroup listgroups`, or both.

    Compared and hashed by identity: each group is one object of one workspace (hashing its
    members and records field by field made every set or dict of groups cost their size)."""

    label: str
    members: tuple[Member, ...]
    config: ClientConfig | None = None
    definition: HaGroup | None = None
    status: Sourced | None = None  # HaGroupStatus
    client: ClientVersion | None = None
    standby: tuple[Member, ...] = ()  # standby members (`VirtualTokenNNStandbyMembers`)

    @property
    def defined_at(self) -> Where | None:
        """The config entry that defines the group (its Label entry, else another of its
        keys), or the `HA Group Label:` line of a listing."""
        if self.config is not None and self.definition is not None:
            entry = self.definition.label or self.definition.anchor_entry
            if entry is not None:
                return Where(self.config.path, entry.span)
        if self.status is not None:
            status: HaGroupStatus = self.status.item  # type: ignore[assignment]
            f = status.label_field
            return Where(self.status.path, f.span if f else status.span)
        return None

    def related(self, message: str = "the HA group is defined here") -> tuple:
        """Related location for a finding about this group, as a Problem expects it."""
        where = self.defined_at
        return ((where.path, where.span, message),) if where is not None else ()


@record
class HsmShown:
    """An HSM as LunaSH `hsm show` printed it."""

    serial: str
    label: str | None
    model: str | None


@record
class ExportSummary:
    """What the workspace keeps of a capture beyond its records: its path, the client version
    its banner shows, and the replica partitions it shows (POL302: cloning allowed, Key
    Management Functions denied), as ``(serial or None, span of policy 28)``."""

    path: str
    client_version: Version | None
    replicas: tuple[tuple[str | None, Span], ...] = ()
    # Its `hagroup listgroups` groups: the very objects the workspace's groups hold (so
    # ``Workspace.groups_listed_as`` finds them). Per-file rules that read the workspace
    # (HA114-HA116) get this summary in place of the capture's model.
    ha_groups: tuple[HaGroupStatus, ...] = ()
    hsms: tuple[HsmShown, ...] = ()  # what LunaSH `hsm show` printed (for audit reports)
    # (serial, firmware text, span) of every HSM or partition shown with its firmware
    firmwares: tuple = ()
    script: Any = None  # a script's session: lunalint.model.script.Script (no credentials)
    # a runbook's capture: the later steps that change what it shows (see Export)
    later_steps: tuple[tuple[str, int], ...] = ()

    def changed_later(self, setting: str, after: int) -> int | None:
        return next((line for what, line in self.later_steps
                     if what == setting and line > after), None)

    @property
    def kind(self) -> str:
        return "export"


@record
class Workspace:
    """The linked project. ``configs`` are the configurations as linking sees them (the
    sections named in :data:`lunalint.facts.LINKED_SECTIONS`, no lines); ``exports`` are
    :class:`ExportSummary` objects, in the order the files were given."""

    root: str
    configs: tuple[ClientConfig, ...]
    exports: tuple[ExportSummary, ...]
    groups: tuple[Group, ...]
    facts: dict = opt(factory=dict, compare=False)
    by_config: dict = opt(factory=dict, compare=False, repr=False)
    # Each file's linked forms (configurations and export summaries), in file order: a host
    # file (a script or runbook embedding Luna parts) has one per part.
    forms: dict = opt(factory=dict, compare=False, repr=False)
    # The workspace of one part of the project (see :class:`Parts`): what the rules need to
    # know of the whole project; None when this workspace is the whole project.
    whole: Project | None = opt(None, compare=False, repr=False)
    ordinals: dict = opt(factory=dict, compare=False, repr=False)  # id(listing) -> its number
    _cache: dict = opt(factory=dict, init=False, repr=False, compare=False)

    def project(self) -> Project:
        """What the rules read of the whole project beyond the groups they check: whether it
        has captures, and whether some configuration enables HA-only or Secure Trusted
        Channel (the same answer for every part of a project linked part by part)."""
        if self.whole is not None:
            return self.whole
        found = self._cache.get("project")
        if found is None:
            found = self._cache["project"] = Project(
                bool(self.exports), any(map(sets_ha_only, self.configs)),
                any(map(has_stc, self.configs)), None)
        return found

    def files(self) -> LinkedFiles:
        """The files this workspace joined, without what was linked of them."""
        return LinkedFiles(self.root, tuple(Named(c.path) for c in self.configs),
                           tuple(Named(e.path) for e in self.exports))

    def groups_of(self, config: ClientConfig) -> tuple[Group, ...]:
        """The groups ``config`` defines (looked up, not scanned for): by the object when it
        is one of ``configs``, else by its path."""
        found = self.by_config.get(id(config))
        if found is None:
            found = self.by_config.get(config.path, ())
        return found

    def uses_stc(self, config: ClientConfig) -> bool:
        """Whether the client of ``config`` uses Secure Trusted Channel: a `Secure Trusted
        Channel` section, or a member of one of its groups whose capture shows partition
        policy 37 (Force STC) = 1."""
        return has_stc(config) or any(forces_stc(m.policy_set) for g in self.groups_of(config)
                                      for m in g.members)

    def definitions_listed_as(self, status: HaGroupStatus) -> tuple[Where, ...]:
        """Where each client configuration defines a group that a `hagroup listgroups` group
        is (:meth:`groups_listed_as`): in a workspace of one part of a project, those of the
        whole project."""
        if self.whole is not None:
            return self.whole.listings.definitions(self.ordinals.get(id(status)), status)
        return tuple(where for g in self.groups_listed_as(status)
                     if g.definition is not None and g.config is not None
                     for where in (g.defined_at,) if where is not None)

    def listing_uses_stc(self, status: HaGroupStatus) -> bool:
        """Whether a group that a listing is uses Secure Trusted Channel: its configuration
        does (:meth:`uses_stc`), or one of its members shows policy 37 = 1."""
        own = self.groups_listed_as(status)
        if self.whole is not None:  # the configurations' answers come from the whole project
            if self.whole.listings.uses_stc(self.ordinals.get(id(status)), status):
                return True
            own = [g for g in own if g.config is None]
        elif any(g.config is not None and self.uses_stc(g.config) for g in own):
            return True
        return any(forces_stc(m.policy_set) for g in own for m in g.members)

    def groups_listed_as(self, status: HaGroupStatus) -> tuple[Group, ...]:
        """The groups a `hagroup listgroups` group is: those defined in a client configuration
        with its label (else its group serial), then the group built from the listing itself
        when no configuration claimed it. In workspace order."""
        by_label, by_sn, by_status = self._listing_index
        found = by_label.get(status.label or "", []) or by_sn.get(status.serial or "", [])
        own = by_status.get(id(status), [])
        # by identity: hashing a Group hashes its whole configuration
        return tuple({id(g): g for g in [*found, *own]}.values())

    @cached
    def _listing_index(self) -> tuple[dict, dict, dict]:
        """Config-defined groups by label and by group serial, and groups by the listing they
        came from: built once, so joining every listing stays linear."""
        by_label: dict[str, list[Group]] = {}
        by_sn: dict[str, list[Group]] = {}
        by_status: dict[int, list[Group]] = {}
        for group in self.groups:
            d = group.definition
            if d is not None and group.config is not None:
                if d.label is not None and d.label.value.strip():
                    by_label.setdefault(d.label.value.strip(), []).append(group)
                if d.sn is not None and d.sn.value.strip():
                    by_sn.setdefault(d.sn.value.strip(), []).append(group)
            if group.status is not None:
                by_status.setdefault(id(group.status.item), []).append(group)
        return by_label, by_sn, by_status


@record
class Project:
    """What a rule may read of the whole project while it looks at one part of it."""

    exports: bool  # some capture was linked (HA113 says nothing in a project without any)
    ha_only: bool  # some configuration sets `HAOnly = 1` (HA117)
    stc: bool  # some configuration has a `Secure Trusted Channel` section (HA117)
    listings: Listings | None  # how the project's listings and definitions join (see Parts)


STC_POLICY = 37


def forces_stc(policy_set: PolicySet | None) -> bool:
    """Whether a partition's policies show policy 37 (Force STC) = 1."""
    policy = policy_set.policy(STC_POLICY) if policy_set is not None else None
    return policy is not None and policy.value == 1


class Listings:
    """How the `hagroup listgroups` groups of a whole project join the HA groups its client
    configurations define, worked out before the project is linked part by part (a label
    such as `payments` may be listed by every site's capture and defined by every site's
    configuration: joining parts on it would make the project one part). A listing is known
    by its number in the project (in file order). For each configuration's group: where it
    is defined and whether its configuration uses STC (:meth:`Workspace.uses_stc`)."""

    def __init__(self, by_label: dict, by_sn: dict, claimers: dict) -> None:
        # (stripped label or group serial -> definitions, listing number -> definitions that
        # claimed it); a definition is (path, span, uses STC), compared by identity
        self.by_label, self.by_sn, self.claimers = by_label, by_sn, claimers

    def _found(self, ordinal: int | None, status: HaGroupStatus) -> list:
        found = self.by_label.get(status.label or "", []) or self.by_sn.get(
            status.serial or "", [])
        own = self.claimers.get(ordinal, []) if ordinal is not None else []
        return list({id(d): d for d in [*found, *own]}.values())

    def definitions(self, ordinal: int | None, status: HaGroupStatus) -> tuple[Where, ...]:
        return tuple(Where(path, factsmod.span(at)) for path, at, _ in self._found(ordinal, status))

    def uses_stc(self, ordinal: int | None, status: HaGroupStatus) -> bool:
        return any(stc for _, _, stc in self._found(ordinal, status))


def sets_ha_only(config: ClientConfig) -> bool:
    """Whether ``config`` sets `HAOnly = 1` in `HAConfiguration` (quotes allowed)."""
    entry = config.get("HAConfiguration", "HAOnly")
    return entry is not None and entry.value.strip().strip("\"'") == "1"


def has_stc(config: ClientConfig) -> bool:
    return config.section("Secure Trusted Channel") is not None


@record
class Named:
    path: str


@record
class LinkedFiles:
    """What a run keeps of its workspace once the rules that read it ran, when no report
    needs the groups (issue 21): the configurations and captures it joined, by path."""

    root: str
    configs: tuple[Named, ...]
    exports: tuple[Named, ...]

    def files(self) -> LinkedFiles:
        return self


def _serial_key(text: str) -> str:
    return text.strip()


def _hsm_owner(serial: str, hsms: dict[str, Sourced],
               lengths: tuple[int, ...]) -> Sourced | None:
    """The HSM whose serial is the longest prefix of ``serial`` (``hsms`` is by serial;
    ``lengths`` holds the distinct lengths of its keys, longest first): one lookup per length
    an HSM serial has, not one per prefix, so a long serial costs no more than a short one."""
    for end in lengths:
        if end <= len(serial):
            found = hsms.get(serial[:end])
            if found is not None:
                return found
    return None


def _client_version_from_facts(config: ClientConfig, facts: dict) -> Version | None:
    """``client-version`` from the configuration file's ``facts`` entries for this file."""
    settings = facts.get("file_facts")
    if settings is None:
        return None
    text = settings.facts_for(config.path).get("client-version")
    return Version.parse(text) if text else None


def _banner_version(banners: Iterable[tuple[Version, str, Span | None]]) -> ClientVersion | None:
    """The client version when every given banner ``(version, path, span)`` agrees on it."""
    found = list(banners)
    if not found or len({v.key for v, _, _ in found}) != 1:
        return None
    version, path, span = found[0]
    return ClientVersion(version, Where(path, span) if span else None, "banner")


class _Records:
    """Plain records by key, each turned into a ``Sourced`` model object once, on first use."""

    def __init__(self, decode) -> None:
        self.plain: dict[str, tuple[str, bytes]] = {}  # key -> (path, marshalled record)
        self.built: dict[str, Sourced] = {}
        self.decode = decode

    def put(self, key: str, path: str, record: tuple) -> None:
        self.plain[key] = (path, record)
        self.built.pop(key, None)

    def get(self, key: str) -> Sourced | None:
        found = self.built.get(key)
        if found is None:
            plain = self.plain.pop(key, None)  # decoded once; the plain form is dropped
            if plain is None:
                return None
            found = self.built[key] = Sourced(plain[0], self.decode(plain[1]))
        return found

    def __contains__(self, key: str) -> bool:
        return key in self.plain or key in self.built


def build(files: Iterable[FileFacts], root: str = ".", facts: dict | None = None) -> Workspace:
    """Link the facts of every file (in the order given: the last record of a serial wins)."""
    linker = Linker(root, facts)
    for f in files:
        linker.add(f)
    return linker.finish()


class Linker:
    """The link stage, fed one file's facts at a time as workers finish them (in file order),
    so a file's facts are folded into indexes and dropped: only the last record of each serial,
    the HA listings and the linked configuration sections stay until :meth:`finish`."""

    def __init__(self, root: str = ".", facts: dict | None = None,
                 compact: bool = True) -> None:
        self.root = root
        self.facts = facts or {}
        self.configs: list[ClientConfig] = []
        self.exports: list[tuple] = []  # (path, version, replicas, listings, hsm show, …)
        # Each kind of record kept compressed (facts.Packer), until a rule reads it; not
        # ``compact`` (a small run): kept marshalled, and configurations as they are.
        self.compact = compact
        self.packers = {kind: factsmod.Packer(compact)
                        for kind in ("config", "slot", "policies", "hsm", "status")}
        self.partitions = _Records(lambda b, p=self.packers["slot"]: factsmod.slot_of(b, p))
        self.policies = _Records(
            lambda b, p=self.packers["policies"]: factsmod.policy_set_of(b, p))
        self.hsm_plain: dict[str, tuple[str, bytes]] = {}
        self.slot_hsm = _Records(lambda b, p=self.packers["hsm"]: factsmod.hsm_policies_of(b, p))
        # Per serial, one banner per distinct client version: enough to tell whether the
        # captures that list a member agree on the client, at constant size.
        self.banners_by_serial: dict[str, dict[tuple, tuple[Version, str, Span | None]]] = {}
        self.statuses: list[tuple[str, bytes]] = []  # (path, marshalled listing)
        self.status_keys: list[tuple[str | None, str | None]] = []  # (label, group serial)
        self.banner_spans: dict[str, Span | None] = {}
        self.order: list[tuple[str, str, int]] = []  # (path, kind, index) of each file's forms
        self.whole: Project | None = None  # linking one part of a project (see Parts)
        # Linking one part: the listing each configuration's groups claim in the whole
        # project (per configuration, a number per group, or None), the number of each
        # listing of the part, and the numbers of every listing claimed in the project.
        self.claims: tuple[list, list, set] | None = None

    def add(self, f: FileFacts) -> None:
        if f.kind == "config":
            self.order.append((f.path, "config", len(self.configs)))
            self.configs.append(factsmod.config_of(
                f, self.packers["config"] if self.compact else None))
            return
        if f.kind != "export":
            return
        version = span = None
        if f.banner is not None:
            version = factsmod.version_of(f.banner[0])
            span = factsmod.span(f.banner[1]) if f.banner[1] is not None else None
            self.banner_spans[f.path] = span
        first = len(self.statuses)
        self.order.append((f.path, "export", len(self.exports)))
        self.exports.append((f.path, version, tuple(
            (serial, factsmod.span(s)) for serial, s in f.replicas),
            range(first, first + len(f.statuses)),
            tuple(HsmShown(*info) for info in f.infos), f.firmwares,
            factsmod.script_of(f.script), tuple((str(w), int(n)) for w, n in f.later)))
        packers = self.packers
        for key, record in f.slots:
            self.partitions.put(key, f.path, packers["slot"].pack(record))
        if version is not None:
            for key in f.serials:
                self.banners_by_serial.setdefault(key, {}).setdefault(
                    version.key, (version, f.path, span))
        for key, record in f.policy_sets:
            self.policies.put(key, f.path, packers["policies"].pack(record))
        for key, record in f.hsms:
            self.hsm_plain[key] = (f.path, packers["hsm"].pack(record))
        for key, record in f.slot_hsms:
            self.slot_hsm.put(key, f.path, packers["hsm"].pack(record))
        for label, serial, record in f.statuses:
            self.statuses.append((f.path, packers["status"].pack(record)))
            self.status_keys.append((label, serial))

    def finish(self) -> Workspace:
        """The workspace; the linker's indexes are released (the workspace keeps what the
        group members use, already turned into model objects)."""
        try:
            return self._finish()
        finally:
            self.__dict__.clear()

    def _finish(self) -> Workspace:
        facts, configs, exports = self.facts, self.configs, self.exports
        partitions, policies, slot_hsm = self.partitions, self.policies, self.slot_hsm
        hsm_plain, statuses, packers = self.hsm_plain, self.statuses, self.packers
        banners_by_serial, banner_spans = self.banners_by_serial, self.banner_spans
        hsms: dict[str, Sourced] = {}

        lengths = tuple(sorted({len(s) for s in hsm_plain if s}, reverse=True))

        def hsm_of(key: str) -> Sourced | None:
            owner = _hsm_owner(key, hsm_plain, lengths)
            if owner is None:
                return slot_hsm.get(key)
            path, record = owner
            built = hsms.get(id(record))
            if built is None:
                built = hsms[id(record)] = Sourced(path, factsmod.hsm_policies_of(
                    record, packers["hsm"]))
            return built

        target_fw, target_client = _what_if(facts)

        worked_out: dict[str, dict] = {}  # per serial: what its members work out once

        def member(serial: str, listed: Where) -> Member:
            key = _serial_key(serial)
            assumed = target_fw.get(key, target_fw.get("*")) if target_fw else None
            found = Member(key, listed, partitions.get(key), policies.get(key), hsm_of(key),
                           assumed)
            found._cache = worked_out.setdefault(key, found._cache)
            return found

        # The first listing of a label or group serial answers; listings are decoded once.
        decoded: dict[int, HaGroupStatus] = {}

        def status_at(i: int) -> HaGroupStatus:
            found = decoded.get(i)
            if found is None:
                found = decoded[i] = factsmod.status_of(statuses[i][1], packers["status"])
            return found

        by_label: dict[str, int] = {}
        by_sn: dict[str, int] = {}
        for i, (label, serial) in enumerate(self.status_keys):
            if label:
                by_label.setdefault(label, i)
            if serial:
                by_sn.setdefault(serial, i)
        groups: list[Group] = []
        by_config: dict[str, list[Group]] = {}
        claimed: set[int] = set()
        claims = self.claims
        if claims is not None:  # one part: the whole project's claims, on this part's listings
            local = {ordinal: i for i, ordinal in enumerate(claims[1])}
            claimed.update(i for i, ordinal in enumerate(claims[1]) if ordinal in claims[2])
        for c, config in enumerate(configs):
            for d, definition in enumerate(ha_groups(config)):
                group_members = tuple(member(s.text, Where(config.path, s.span))
                                      for s in definition.member_serials)
                found = None
                if claims is not None:  # (no number: the group claims none)
                    mine = claims[0][c]
                    found = local.get(mine[d]) if d < len(mine) else None
                else:
                    found = claim(definition, by_label, by_sn)
                status = None
                if found is not None:
                    claimed.add(found)
                    status = Sourced(statuses[found][0], status_at(found))
                version = _client_version_from_facts(config, facts)
                client = ClientVersion(version, None, "facts") if version else _banner_version(
                    {key: b for m in group_members
                     for key, b in banners_by_serial.get(m.serial, {}).items()}.values())
                if target_client is not None:
                    client = ClientVersion(target_client, None, "what-if")
                standby = tuple(member(s.text, Where(config.path, s.span))
                                for s in definition.standby_serials)
                group = Group(definition.name, group_members, config, definition, status, client,
                              standby)
                groups.append(group)
                by_config.setdefault(id(config), []).append(group)
                by_config.setdefault(config.path, []).append(group)
        exports = [ExportSummary(path, version, replicas,
                                 tuple(status_at(i) for i in listed), shown, firmwares, script,
                                 later)
                   for path, version, replicas, listed, shown, firmwares, script, later
                   in exports]
        versions = {e.path: e for e in exports}
        for i, (path, _) in enumerate(statuses):
            if i in claimed:
                continue
            g = status_at(i)
            group_members = tuple(member(s.text, Where(path, s.span)) for s in g.member_serials)
            standby = tuple(member(s.text, Where(path, s.span)) for s in g.standby_serials)
            summary = versions.get(path)
            banner = None
            if summary is not None and summary.client_version is not None:
                banner = _banner_version([(summary.client_version, path, banner_spans.get(path))])
            if target_client is not None:
                banner = ClientVersion(target_client, None, "what-if")
            groups.append(Group(g.label or "(unnamed)", group_members, None, None,
                                Sourced(path, g), banner, standby))
        forms: dict[str, list] = {}
        for path, kind, index in self.order:
            forms.setdefault(path, []).append(configs[index] if kind == "config"
                                              else exports[index])
        ordinals = {} if claims is None else {id(status_at(i)): ordinal
                                              for i, ordinal in enumerate(claims[1])}
        return Workspace(self.root, tuple(configs), tuple(exports), tuple(groups), facts,
                         {k: tuple(v) for k, v in by_config.items()},
                         {k: tuple(v) for k, v in forms.items()}, whole=self.whole,
                         ordinals=ordinals)


def claim(definition: HaGroup, by_label: dict, by_sn: dict) -> Any:
    """The listing a configuration's group is (its status): the first listing with the
    group's label, else the first with its group serial (``by_label``, ``by_sn``: each
    label and serial's first listing), or None."""
    return claim_by(definition.label.value if definition.label is not None else None,
                    definition.sn.value if definition.sn is not None else None, by_label, by_sn)


def _what_if(facts: dict) -> tuple[dict[str, Version], Version | None]:
    """The what-if versions of the run (``--target-firmware``, ``--target-client``): firmware
    by member serial (``*`` for every member) and the client version, or nothing."""
    wanted = facts.get("what_if") or {}
    firmware = {_serial_key(k) if k != "*" else k: Version.parse(v)
                for k, v in (wanted.get("firmware") or {}).items()}
    client = wanted.get("client")
    return ({k: v for k, v in firmware.items() if v is not None},
            Version.parse(client) if client else None)


class Parts:
    """The link stage of a large run, part by part (issue 21, memory): the files of a project
    fall into independent parts, two files being in one part when linking joins records of
    theirs (a path: the parts of one host file; a member or partition serial; an HSM serial
    and the serials it owns by longest prefix). Each file's facts are kept marshalled and
    compressed with the few keys it joins on; :meth:`link` then links one part at a time (a
    :class:`Linker` over its files, in the order they were given), so only one part's groups,
    members and records are objects at once.

    What joins beyond records is worked out for the whole project first, from a little of
    each file kept on the way: which listing each configuration's group claims, and for each
    listing the definitions it is and whether their clients use STC (:class:`Listings`), and
    what HA113 and HA117 read of the whole project (:class:`Project`). Joining on a key that
    links nothing only makes a part larger, never wrong; tests compare each rule's findings
    with those on the whole project."""

    def __init__(self, root: str = ".", facts: dict | None = None) -> None:
        self.root = root
        self.facts = facts or {}
        self._kept: list = []  # per file: its facts, marshalled and compressed (or as given)
        self._paths: list[str] = []
        self._kinds = bytearray()  # 1 config, 2 export
        self._packers = {"config": factsmod.FilePacker(), "export": factsmod.FilePacker(),
                         "defined": factsmod.FilePacker()}
        self._up: list[int] = []  # union-find over files: each file's parent
        # key -> the first file holding it
        self._serials: dict[str, int] = {}
        self._hsms: dict[str, int] = {}
        self._by_path: dict[str, int] = {}
        self._broken: dict[int, Exception] = {}  # files whose keys could not be read
        self.exports = self.ha_only = self.stc = False
        # listings: the first of each label and group serial (as Linker._finish), and the
        # number of each file's first listing
        self._first_label: dict[str, int] = {}
        self._first_sn: dict[str, int] = {}
        self._listings = 0
        self._listed: dict[int, int] = {}
        # per configuration file: (its groups as (label, group serial, path, span of the
        # definition), has an STC section, its groups' member serials)
        self._defined: dict[int, tuple] = {}
        self._stc_serials: set[str] = set()  # serials whose last policy set forces STC
        self._unnamed: list[int] = []  # files showing a replica partition without a serial

    def add(self, f: FileFacts) -> None:
        if f.kind not in ("config", "export"):
            return
        i = len(self._up)
        self._up.append(i)
        self._paths.append(f.path)
        self._kinds.append(1 if f.kind == "config" else 2)
        self._join(i, f.path, self._by_path)
        try:
            self._keys(i, f)
        except Exception as error:  # linking this file's part says so (Linker.add raises)
            self._broken[i] = error
        kept = (f.path, f.kind, f.form, f.sections, f.template, f.banner, f.serials, f.slots,
                f.policy_sets, f.hsms, f.slot_hsms, f.statuses, f.replicas, f.infos,
                f.firmwares, f.script, f.later)
        try:
            kept = self._packers[f.kind].pack(marshal.dumps(kept))
        except ValueError:  # (something marshal cannot write: kept as given)
            kept = f
        self._kept.append(kept)

    def _keys(self, i: int, f: FileFacts) -> None:
        serials = self._serials
        if f.kind == "config":
            definitions, ha_only, stc = plain_groups(f.sections)
            groups = []
            members: list[str] = []
            for label, sn, at, listed, standby in definitions:
                for key in (*listed, *standby):
                    self._join(i, key, serials)
                members += listed
                groups.append((label, sn, at))
            self.ha_only = self.ha_only or ha_only
            self.stc = self.stc or stc
            if groups:  # (marshalled and compressed: a fiftieth of the tuples' size)
                self._defined[i] = self._packers["defined"].pack(marshal.dumps(
                    (tuple(groups), stc, tuple(members))))
            return
        self.exports = True
        for key in f.serials:
            self._join(i, key, serials)
        for records in (f.slots, f.policy_sets, f.slot_hsms):
            for key, _ in records:
                self._join(i, key, serials)
        for key, record in f.policy_sets:  # (the last of a serial wins, as in Linker)
            if _forces_stc_plain(marshal.loads(record)):
                self._stc_serials.add(key)
            else:
                self._stc_serials.discard(key)
        for key, _ in f.hsms:
            self._join(i, key, self._hsms)
        for serial, _ in f.replicas:  # POL302 relates a replica to the groups listing it
            if serial:
                self._join(i, serial, serials)
            else:  # (joined at the end to a member without a serial, if there is one)
                self._unnamed.append(i)
        first = self._listings
        if f.statuses:
            self._listed[i] = first
            self._listings += len(f.statuses)
        for n, (label, serial, record) in enumerate(f.statuses, first):
            if label:
                self._first_label.setdefault(label, n)
            if serial:
                self._first_sn.setdefault(serial, n)
            plain = marshal.loads(record)
            for text, _ in (*plain[3], *plain[4]):  # member and standby serials
                self._join(i, _serial_key(text), serials)

    def _join(self, i: int, key: str, index: dict[str, int]) -> None:
        first = index.setdefault(key, i)
        if first != i:
            self._union(first, i)

    def _find(self, i: int) -> int:
        up = self._up
        while up[i] != i:
            up[i] = up[up[i]]
            i = up[i]
        return i

    def _union(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a != b:
            self._up[max(a, b)] = min(a, b)

    def parts(self) -> list[list[int]]:
        """The parts, each the indexes of its files in order, ordered by their first file
        (once every file was added: the whole project's joins are worked out here)."""
        blank = self._serials.get("")
        if blank is not None:
            for i in self._unnamed:
                self._union(blank, i)
        hsms = self._hsms
        lengths = tuple(sorted({len(s) for s in hsms if s}, reverse=True))
        if lengths:
            for serial, i in self._serials.items():
                owner = _hsm_owner(serial, hsms, lengths)
                if owner is not None:
                    self._union(owner, i)
        self._project()
        out: dict[int, list[int]] = {}
        for i in range(len(self._up)):
            out.setdefault(self._find(i), []).append(i)
        return list(out.values())

    def _project(self) -> None:
        """What every part's workspace is told of the whole project (see the class)."""
        by_label: dict[str, list] = {}
        by_sn: dict[str, list] = {}
        claimers: dict[int, list] = {}
        self._claims: dict[int, tuple] = {}
        stc_serials = self._stc_serials
        unpack = self._packers["defined"].unpack
        for i, defined in self._defined.items():
            groups, stc, members = marshal.loads(unpack(defined))
            path = self._paths[i]
            stc = stc or any(s in stc_serials for s in members)
            claims = []
            for label, sn, at in groups:
                found = claim_by(label, sn, self._first_label, self._first_sn)
                claims.append(found)
                # (kept only where a listing will look: its label or group serial)
                label = label.strip() if label is not None else ""
                sn = sn.strip() if sn is not None else ""
                listed = label in self._first_label, sn in self._first_sn
                if found is None and not any(listed):
                    continue
                defined = (path, at, stc)
                if label and listed[0]:
                    by_label.setdefault(label, []).append(defined)
                if sn and listed[1]:
                    by_sn.setdefault(sn, []).append(defined)
                if found is not None:
                    claimers.setdefault(found, []).append(defined)
            if any(c is not None for c in claims):
                self._claims[i] = tuple(claims)
        self._defined = {}
        self._claimed = set(claimers)
        self._whole = Project(self.exports, self.ha_only, self.stc,
                              Listings(by_label, by_sn, claimers))

    def files(self) -> LinkedFiles:
        """The files linked, as :meth:`Workspace.files` gives them for the whole project."""
        kinds, paths = self._kinds, self._paths
        return LinkedFiles(self.root, tuple(Named(paths[i]) for i in range(len(paths))
                                            if kinds[i] == 1),
                           tuple(Named(paths[i]) for i in range(len(paths)) if kinds[i] == 2))

    def paths_of(self, part: list[int]) -> list[str]:
        return list(dict.fromkeys(self._paths[i] for i in part))

    def link(self, part: list[int]) -> Workspace:
        """The workspace of one part (its files' facts are let go: each part is linked once)."""
        for i in part:
            if i in self._broken:
                raise self._broken[i]
        linker = Linker(self.root, self.facts)
        linker.whole = self._whole
        configs: list = []
        listings: list[int] = []
        for i in part:
            kept, self._kept[i] = self._kept[i], None
            if not isinstance(kept, FileFacts):
                packer = self._packers["config" if self._kinds[i] == 1 else "export"]
                path, kind, *rest = marshal.loads(packer.unpack(kept))
                kept = FileFacts(path, kind, {}, *rest)
            if kept.kind == "config":
                configs.append(self._claims.get(i, ()))
            elif kept.statuses:
                first = self._listed[i]
                listings += range(first, first + len(kept.statuses))
            linker.add(kept)
        linker.claims = (configs, listings, self._claimed)
        return linker.finish()


def plain_groups(sections: tuple) -> tuple[list, bool, bool]:
    """What linking the whole project needs of a configuration, read from its facts'
    sections (see :mod:`lunalint.facts`) without building it: its HA groups as
    :func:`lunalint.model.config.ha_groups` finds them, each ``(label, group serial, span of
    the entry that defines it, member serials, standby serials)`` (values as written, serials
    as the link stage keys them), whether it sets HA-only (:func:`sets_ha_only`) and whether
    it has a Secure Trusted Channel section (:func:`has_stc`)."""
    from lunalint.model.base import split_items
    from lunalint.model.config import _GROUP_KEY, _PART_NAMES

    parts: dict[str, dict[str, tuple]] = {}
    ha_only = None
    stc = False
    for name, _header, _name_span, entries in sections:
        folded = name.casefold()
        if folded == "virtualtoken":
            for entry in entries:
                m = _GROUP_KEY.match(entry[0])
                if m:
                    parts.setdefault(m.group(1), {})[_PART_NAMES[m.group(2).lower()]] = entry
        elif folded == "haconfiguration":
            for entry in entries:
                if entry[0].casefold() == "haonly":
                    ha_only = entry
        elif folded == "secure trusted channel":
            stc = True

    def serials(entry: tuple | None) -> list[str]:
        if entry is None or not entry[1]:
            return []
        return [_serial_key(text) for text, _ in split_items(entry[1], factsmod.span(entry[3]))]

    groups = []
    for p in parts.values():
        label, sn, members, standby = (p.get(k) for k in ("Label", "SN", "Members",
                                                          "StandbyMembers"))
        anchor = label or sn or members or standby
        groups.append((label[1] if label is not None else None,
                       sn[1] if sn is not None else None, anchor[4],
                       serials(members), serials(standby)))
    return groups, ha_only is not None and ha_only[1].strip().strip("\"'") == "1", stc


def _forces_stc_plain(plain: tuple) -> bool:
    """:func:`forces_stc` of a policy set's facts record (see :mod:`lunalint.facts`), read
    without building the policy set: the last value of policy 37 is the one that counts."""
    found = None
    for p in plain[1]:
        if int(p[0]) == STC_POLICY:
            found = p
    return found is not None and int(found[2]) == 1


def claim_by(label: str | None, sn: str | None, by_label: dict, by_sn: dict) -> int | None:
    """:func:`claim` from a definition's label and group serial values."""
    found = None
    if label is not None:
        found = by_label.get(label)
    if found is None and sn is not None:
        found = by_sn.get(sn)
    return found
