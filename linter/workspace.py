"""The link stage: join client configurations and exports of one project into HA groups.

Every configuration and capture under the project root takes part, even when the command line
names only some files (as pre-commit does): context comes from all of them. Joins are on
partition serial numbers; an HSM owns a partition when the HSM's serial is the longest prefix
of the partition's serial.

Rules read a :class:`Workspace`; they never open files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from lunalint.model.base import Document, Span
from lunalint.model.config import ClientConfig, HaGroup, ha_groups
from lunalint.model.export import Export, HaGroupStatus, HsmPolicies, PolicySet, Slot
from lunalint.versions import Version


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a file."""

    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class Sourced:
    """A model object together with the file it came from."""

    path: str
    item: object


@dataclass(frozen=True, slots=True)
class ClientVersion:
    version: Version
    where: Where | None  # the banner, or None when it came from `facts`
    origin: str  # "banner" or "facts"


@dataclass(frozen=True)
class Member:
    """One member serial of a group, with everything the exports say about it."""

    serial: str
    listed: Where  # where the group lists this serial
    partition: Sourced | None = None  # Slot (physical) from a slot list
    policies: Sourced | None = None  # PolicySet attributed to this serial
    hsm: Sourced | None = None  # HsmPolicies of the owning HSM (longest serial prefix)

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
        """The member's firmware and the line that prints it (slot list, else its HSM)."""
        slot = self.slot
        if slot is not None and slot.firmware is not None and slot.firmware_field is not None:
            return slot.firmware, Where(self.partition.path, slot.firmware_field.span)
        hsm = self.hsm_policies
        if hsm is not None and hsm.firmware is not None and hsm.firmware_field is not None:
            return hsm.firmware, Where(self.hsm.path, hsm.firmware_field.span)
        return None

    @property
    def authentication(self) -> tuple[str, Where] | None:
        slot = self.slot
        if slot is not None and slot.authentication and slot.authentication_span is not None:
            return slot.authentication, Where(self.partition.path, slot.authentication_span)
        return None

    @property
    def has_export(self) -> bool:
        return any((self.partition, self.policies))


@dataclass(frozen=True)
class Group:
    """An HA group: from a client configuration, from `hagroup listgroups`, or both."""

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


@dataclass(frozen=True)
class Workspace:
    root: str
    configs: tuple[ClientConfig, ...]
    exports: tuple[Export, ...]
    groups: tuple[Group, ...]
    facts: dict = field(default_factory=dict, compare=False)
    # Groups by the identity of the config that defines them, built once: per-file rules ask
    # for each config's groups, and scanning every group each time is quadratic in the estate.
    _by_config: dict[int, tuple[Group, ...]] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[int, list[Group]] = {}
        for group in self.groups:
            if group.config is not None:
                index.setdefault(id(group.config), []).append(group)
        self._by_config.update({k: tuple(v) for k, v in index.items()})

    def groups_of(self, config: ClientConfig) -> tuple[Group, ...]:
        found = self._by_config.get(id(config), ())
        # ids are only unique among live objects: check that the group's config is this one
        return found if found and found[0].config is config else ()

    def groups_listed_as(self, status: HaGroupStatus) -> tuple[Group, ...]:
        """The groups a `hagroup listgroups` group is: those defined in a client configuration
        with its label (else its group serial), then the group built from the listing itself
        when no configuration claimed it. In workspace order."""
        by_label, by_sn, by_status = self._listing_index
        found = by_label.get(status.label or "", []) or by_sn.get(status.serial or "", [])
        own = by_status.get(id(status), [])
        # by identity: hashing a Group hashes its whole configuration
        return tuple({id(g): g for g in [*found, *own]}.values())

    @cached_property
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


def _banner_version(banners: Iterable[tuple[Version, Export]]) -> ClientVersion | None:
    """The client version when every given banner agrees on it."""
    found = list(banners)
    if not found or len({v.key for v, _ in found}) != 1:
        return None
    version, export = found[0]
    span = export.client_version_span or (export.banner.span if export.banner else None)
    return ClientVersion(version, Where(export.path, span) if span else None, "banner")


def _banner(export: Export) -> list[tuple[Version, Export]]:
    version = export.client_version
    return [(version, export)] if version is not None else []


def build(documents: Iterable[Document], root: str = ".", facts: dict | None = None) -> Workspace:
    facts = facts or {}
    docs = list(documents)
    configs = tuple(d for d in docs if isinstance(d, ClientConfig))
    exports = tuple(d for d in docs if isinstance(d, Export))
    partitions: dict[str, Sourced] = {}
    policies: dict[str, Sourced] = {}
    hsms: dict[str, Sourced] = {}
    slot_hsm: dict[str, Sourced] = {}
    # Per serial, one export per distinct client version its banner shows: enough to tell
    # whether the captures that list a member agree on the client, at constant size.
    banners_by_serial: dict[str, dict[tuple, tuple[Version, Export]]] = {}
    for export in exports:  # in path order, so the last capture of a serial wins
        for slot in export.slots:
            if not slot.ha_virtual and slot.serial:
                partitions[_serial_key(slot.serial)] = Sourced(export.path, slot)
                for version, owner in _banner(export):
                    banners_by_serial.setdefault(_serial_key(slot.serial), {}).setdefault(
                        version.key, (version, owner))
        for pset in export.policy_sets:
            if pset.serial and not pset.ha_virtual:
                policies[_serial_key(pset.serial)] = Sourced(export.path, pset)
        for hp in export.hsm_policies:
            if hp.serial:
                hsms[hp.serial.strip()] = Sourced(export.path, hp)
            elif hp.slot is not None and hp.slot.serial and not hp.slot.ha_virtual:
                # LunaCM prints no HSM serial: the policies are those of the HSM that holds
                # the partition in the current slot.
                slot_hsm[_serial_key(hp.slot.serial)] = Sourced(export.path, hp)

    lengths = tuple(sorted({len(s) for s in hsms if s}, reverse=True))

    def member(serial: str, listed: Where) -> Member:
        key = _serial_key(serial)
        return Member(key, listed, partitions.get(key), policies.get(key),
                      _hsm_owner(key, hsms, lengths) or slot_hsm.get(key))

    groups: list[Group] = []
    claimed: set[int] = set()
    statuses = [(e, g) for e in exports for g in e.ha_groups]
    by_label: dict[str, int] = {}
    by_sn: dict[str, int] = {}
    for i, (_, g) in enumerate(statuses):  # the first listing of a label or serial answers
        if g.label:
            by_label.setdefault(g.label, i)
        if g.serial:
            by_sn.setdefault(g.serial, i)
    for config in configs:
        for definition in ha_groups(config):
            members = tuple(member(s.text, Where(config.path, s.span))
                            for s in definition.member_serials)
            found = None
            if definition.label is not None:
                found = by_label.get(definition.label.value)
            if found is None and definition.sn is not None:
                found = by_sn.get(definition.sn.value)
            status = None
            if found is not None:
                claimed.add(found)
                status = Sourced(statuses[found][0].path, statuses[found][1])
            version = _client_version_from_facts(config, facts)
            client = ClientVersion(version, None, "facts") if version else _banner_version(
                {key: b for m in members
                 for key, b in banners_by_serial.get(m.serial, {}).items()}.values())
            standby = tuple(member(s.text, Where(config.path, s.span))
                            for s in definition.standby_serials)
            groups.append(Group(definition.name, members, config, definition, status, client,
                                standby))
    for i, (owner, g) in enumerate(statuses):
        if i in claimed:
            continue
        members = tuple(member(s.text, Where(owner.path, s.span)) for s in g.member_serials)
        standby = tuple(member(s.text, Where(owner.path, s.span)) for s in g.standby_serials)
        groups.append(Group(g.label or "(unnamed)", members, None, None,
                            Sourced(owner.path, g), _banner_version(_banner(owner)), standby))
    return Workspace(root, configs, exports, tuple(groups), facts)
