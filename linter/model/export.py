"""Captures of LunaCM / LunaSH sessions ("exports"), as the tools print them.

Positions: every span is 1-based and refers to the file as stored in ``Export.lines`` (one
entry per physical line, line endings removed). Columns count characters of that original
line: a TAB is one column, and terminal colour codes (ANSI escape sequences), which the
reader strips before it reads a line, still occupy their columns, so a span points at the same
characters an editor shows.

All objects are frozen. Dictionaries offered for lookup (``Export.partitions``, ...) are built
on each access from the stored tuples; ``PolicySet.policies`` and ``HsmPolicies.policies``,
which rules consult once per policy number, are built once.

Numbers (slot ids, policy numbers and values, codes) are ASCII digits of bounded length
(:func:`~lunalint.model.base.ascii_int`); anything else is text.
"""

from __future__ import annotations

from lunalint.record import opt, record
from typing import Any

from lunalint.model.base import Document, Span, ascii_int
from lunalint.versions import Version


@record
class Field:
    """A ``Key -> value`` or ``Key: value`` line of tool output."""

    key: str
    value: str
    key_span: Span
    value_span: Span

    @property
    def span(self) -> Span:
        return self.key_span.merge(self.value_span)


def _find(fields: tuple[Field, ...], *names: str, index: dict | None = None) -> Field | None:
    """The last field whose key is one of ``names`` (case-insensitive).

    ``index`` is the owner's cache (an empty dict on first use): it is filled once with each
    folded key's last field and its position, so that a block of many fields costs one pass,
    not one per lookup."""
    if index is None:
        wanted = {n.casefold() for n in names}
        for f in reversed(fields):
            if f.key.casefold() in wanted:
                return f
        return None
    if not index:
        index[""] = None  # marks the index as built, even for no fields
        for i, f in enumerate(fields):
            index[f.key.casefold()] = (i, f)
    best = None
    for name in names:
        hit = index.get(name.casefold())
        if hit is not None and (best is None or hit[0] > best[0]):
            best = hit
    return best[1] if best is not None else None


def _index_field() -> Any:
    """A per-object cache for :func:`_find`, excluded from init, repr and comparison."""
    return opt(factory=dict, init=False, repr=False, compare=False)


@record
class Slot:
    """One slot block of ``slot list`` (or the LunaCM start-up list).

    A physical slot is a partition (``Partition`` is the same class); an HA virtual slot
    (``ha_virtual``) is the group's slot, its fields prefixed ``HSM`` (``HSM Serial Number``).
    The typed properties read either spelling.
    """

    slot_id: int
    fields: tuple[Field, ...]
    span: Span
    ha_virtual: bool
    authentication: str | None  # "PW" or "PED", from the Configuration text
    authentication_span: Span | None
    command_index: int | None  # the command whose output listed it; None for start-up
    _keys: dict = _index_field()

    def field(self, name: str) -> Field | None:
        """The field ``name``, or ``HSM <name>`` when the slot prints it that way."""
        return _find(self.fields, name, f"HSM {name}", index=self._keys)

    def _value(self, name: str) -> str | None:
        f = self.field(name)
        return f.value if f is not None and f.value else None

    @property
    def id_field(self) -> Field | None:
        return self.field("Slot Id")

    @property
    def label_field(self) -> Field | None:
        return self.field("Label")

    @property
    def serial_field(self) -> Field | None:
        return self.field("Serial Number")

    @property
    def firmware_field(self) -> Field | None:
        return self.field("Firmware Version")

    @property
    def configuration_field(self) -> Field | None:
        return self.field("Configuration")

    @property
    def label(self) -> str | None:
        return self._value("Label")

    @property
    def serial(self) -> str | None:
        return self._value("Serial Number")

    @property
    def model(self) -> str | None:
        return self._value("Model")

    @property
    def configuration(self) -> str | None:
        return self._value("Configuration")

    @property
    def firmware(self) -> Version | None:
        text = self._value("Firmware Version")
        return Version.parse(text) if text else None


Partition = Slot


@record
class CommandResult:
    """``Command Result : ...``: ``code`` 0 for ``No Error`` / ``0 (Success)``; ``name`` is the
    symbolic name when printed (``CKR_ACCESS_ID_ALREADY_EXISTS``, ``Success``)."""

    text: str
    code: int | None
    name: str | None
    span: Span  # the whole line
    value_span: Span  # the text after the colon

    @property
    def ok(self) -> bool | None:
        """True for success, False for a failure code or name, None when unreadable."""
        if self.code is not None:
            return self.code == 0
        if self.name is not None:
            return self.name.upper() in {"CKR_OK", "SUCCESS", "NO ERROR"}
        return None


@record
class Command:
    """One prompt line and what followed it up to the next prompt.

    ``name`` is the first two words, lower-cased, as typed (LunaCM accepts abbreviations; they
    are not expanded). ``slot_id`` is the current slot when the command ran (start-up list,
    ``Current Slot Id`` lines, ``slot set``, or a ``-slot N`` option on the command itself);
    ``ha_virtual`` says whether that slot was an HA virtual slot, as far as the capture shows.
    """

    index: int
    tool: str  # "lunacm" or "lunash"
    host: str | None  # the `[host]` of a LunaSH prompt
    text: str
    words: tuple[str, ...]
    span: Span  # the command text (the prompt line when the command is empty)
    line_span: Span  # the whole prompt line
    output_span: Span | None  # the lines after the prompt up to the next prompt
    slot_id: int | None
    slot: Slot | None
    result: CommandResult | None
    elided: bool  # output lines were left out (`...`, `[OUTPUT OMITTED]`)
    fields: tuple[Field, ...] = ()  # generic `Key: value` / `Key -> value` lines of the output

    @property
    def name(self) -> str:
        return " ".join(w.lower() for w in self.words[:2])

    @property
    def ha_virtual(self) -> bool:
        return self.slot is not None and self.slot.ha_virtual

    def option(self, *names: str) -> str | None:
        """The value after the first of ``names`` (e.g. ``"-slot", "-s"``), or None."""
        wanted = {n.lower() for n in names}
        for i, word in enumerate(self.words[:-1]):
            if word.lower() in wanted:
                return self.words[i + 1]
        return None


@record
class PolicyValue:
    """One ``N: name : value`` line. Rules key on ``number``, never on ``name``."""

    number: int
    name: str
    value: int
    span: Span  # the whole line (without indentation)
    value_span: Span
    trailing: str = ""  # text after the value (`-verbose` destructiveness), trimmed


@record
class PolicySet:
    """One ``partition showpolicies`` output: capabilities and policies by number.

    ``serial`` is the serial of the partition in the current slot when it ran, or None when the
    capture does not say (a saved output without a prompt or slot list).
    """

    capability_values: tuple[PolicyValue, ...]
    policy_values: tuple[PolicyValue, ...]
    span: Span
    slot_id: int | None
    slot: Slot | None
    command_index: int | None
    elided: bool = False
    _by_number: dict = opt(factory=dict, init=False, repr=False, compare=False)

    @property
    def serial(self) -> str | None:
        return self.slot.serial if self.slot is not None else None

    @property
    def ha_virtual(self) -> bool:
        return self.slot is not None and self.slot.ha_virtual

    @property
    def policies(self) -> dict[int, PolicyValue]:
        """Policy number → value; when a number repeats, the last line wins. Built once:
        treat it as read-only."""
        if "policies" not in self._by_number:
            self._by_number["policies"] = {p.number: p for p in self.policy_values}
        return self._by_number["policies"]

    @property
    def capabilities(self) -> dict[int, PolicyValue]:
        if "capabilities" not in self._by_number:
            self._by_number["capabilities"] = {p.number: p for p in self.capability_values}
        return self._by_number["capabilities"]

    partition_policies = policies
    partition_capabilities = capabilities

    def policy(self, number: int) -> PolicyValue | None:
        return self.policies.get(number)


@record
class HsmPolicy:
    """An HSM policy or capability: LunaSH table row or LunaCM ``N: name : value`` line.

    ``value`` is the printed text (``On``, ``Off``, ``True``, ``False`` or an integer);
    ``number`` maps it to an integer (On/True → 1, Off/False → 0) when it can.
    ``code`` is None for LunaSH's fixed-capability table, which prints no codes.
    """

    code: int | None
    description: str
    value: str
    span: Span
    value_span: Span
    destructive: bool | None = None
    trailing: str = ""  # LunaCM `-verbose` text after the value, trimmed

    @property
    def number(self) -> int | None:
        v = self.value.strip().lower()
        if v in {"on", "true", "yes", "enabled"}:
            return 1
        if v in {"off", "false", "no", "disabled"}:
            return 0
        return ascii_int(v, signed=True)

    @property
    def enabled(self) -> bool | None:
        n = self.number
        return None if n is None else n != 0


@record
class HsmPolicies:
    """``hsm showpolicies``: LunaSH (header fields, capability and policy tables) or LunaCM
    (``HSM Capabilities`` / ``HSM Policies`` headings; no serial printed, see ``slot``)."""

    tool: str
    fields: tuple[Field, ...]  # `HSM Label:`, `Serial #:`, `Firmware:` ...
    capability_values: tuple[HsmPolicy, ...]
    policy_values: tuple[HsmPolicy, ...]
    span: Span
    slot_id: int | None
    slot: Slot | None
    command_index: int | None
    elided: bool = False
    _by_code: dict = opt(factory=dict, init=False, repr=False, compare=False)
    _keys: dict = _index_field()

    @property
    def label_field(self) -> Field | None:
        return _find(self.fields, "HSM Label", "Label", index=self._keys)

    @property
    def serial_field(self) -> Field | None:
        return _find(self.fields, "Serial #", "Serial Number", "HSM Serial Number",
                     index=self._keys)

    @property
    def firmware_field(self) -> Field | None:
        return _find(self.fields, "Firmware", "Firmware Version", "HSM Firmware Version",
                     index=self._keys)

    @property
    def label(self) -> str | None:
        f = self.label_field
        return f.value or None if f else None

    @property
    def serial(self) -> str | None:
        f = self.serial_field
        return f.value or None if f else None

    @property
    def firmware(self) -> Version | None:
        f = self.firmware_field
        return Version.parse(f.value) if f and f.value else None

    @property
    def policies(self) -> dict[int, HsmPolicy]:
        """Policy code → policy (built once: treat it as read-only)."""
        if "policies" not in self._by_code:
            self._by_code["policies"] = {p.code: p for p in self.policy_values
                                         if p.code is not None}
        return self._by_code["policies"]

    @property
    def capabilities(self) -> dict[int, HsmPolicy]:
        if "capabilities" not in self._by_code:
            self._by_code["capabilities"] = {p.code: p for p in self.capability_values
                                             if p.code is not None}
        return self._by_code["capabilities"]

    def policy(self, code: int) -> HsmPolicy | None:
        return self.policies.get(code)


@record
class HsmInfo:
    """LunaSH ``hsm show``: its ``Key: value`` lines."""

    fields: tuple[Field, ...]
    span: Span
    command_index: int | None
    _keys: dict = _index_field()

    def field(self, name: str) -> Field | None:
        return _find(self.fields, name, index=self._keys)

    def _value(self, *names: str) -> str | None:
        f = _find(self.fields, *names, index=self._keys)
        return f.value if f is not None and f.value else None

    @property
    def label(self) -> str | None:
        return self._value("HSM Label")

    @property
    def serial(self) -> str | None:
        return self._value("Serial #", "Serial Number")

    @property
    def firmware(self) -> Version | None:
        text = self._value("Firmware")
        return Version.parse(text) if text else None

    @property
    def firmware_field(self) -> Field | None:
        return _find(self.fields, "Firmware", index=self._keys)

    @property
    def model(self) -> str | None:
        return self._value("HSM Model")

    @property
    def authentication(self) -> str | None:
        return self._value("Authentication Method")

    @property
    def software_version(self) -> Version | None:
        text = self._value("Software Version")
        return Version.parse(text) if text else None


@record
class SerialRef:
    """One serial in a comma-separated list (``Group Members: s1, s2``)."""

    text: str
    span: Span


@record
class HaMember:
    """A row of the ``hagroup listgroups`` member table."""

    slot: str  # as printed (a number, or `-` / `N/A` for a member that is down)
    serial: str
    label: str
    status: str  # `alive`, `down`, ...
    span: Span
    serial_span: Span
    status_span: Span

    @property
    def alive(self) -> bool:
        return self.status.lower() == "alive"

    @property
    def down(self) -> bool:
        return self.status.lower() == "down"


@record
class HaGroupStatus:
    """One group of ``hagroup listgroups``, with the listing's global settings."""

    fields: tuple[Field, ...]  # `HA Group Label:` ... `Standby Members:`
    settings: tuple[Field, ...]  # `HA auto recovery:` ... (shared by the listing's groups)
    members: tuple[HaMember, ...]
    member_serials: tuple[SerialRef, ...]  # from `Group Members:`
    standby_serials: tuple[SerialRef, ...]  # from `Standby Members:` (`<none>` → empty)
    span: Span
    command_index: int | None
    _keys: dict = _index_field()
    _setting_keys: dict = _index_field()

    def field(self, name: str) -> Field | None:
        return _find(self.fields, name, index=self._keys)

    def setting(self, name: str) -> Field | None:
        return _find(self.settings, name, index=self._setting_keys)

    @property
    def label_field(self) -> Field | None:
        return self.field("HA Group Label")

    @property
    def label(self) -> str | None:
        f = self.label_field
        return f.value or None if f else None

    @property
    def serial(self) -> str | None:
        f = self.field("HA Group Number")
        return f.value or None if f else None

    @property
    def slot_id(self) -> int | None:
        f = self.field("HA Group Slot ID")
        return ascii_int(f.value) if f is not None else None

    # The listing's global settings and the group's sync state, as LunaCM prints them.

    @property
    def needs_sync_field(self) -> Field | None:
        """``Needs sync: yes|no``."""
        return self.field("Needs sync")

    @property
    def auto_recovery_field(self) -> Field | None:
        """``HA auto recovery: enabled|disabled``."""
        return self.setting("HA auto recovery")

    @property
    def max_retry_field(self) -> Field | None:
        """``Maximum auto recovery retry: N``."""
        return self.setting("Maximum auto recovery retry")

    @property
    def only_show_ha_slots_field(self) -> Field | None:
        """``Only Show HA Slots: yes|no`` (HA-only mode of the client that ran LunaCM)."""
        return self.setting("Only Show HA Slots")


@record
class Banner:
    """The LunaCM banner line: ``LunaCM v10.4.0-417. Copyright ...``."""

    text: str
    version: Version | None
    span: Span
    version_span: Span | None


@record
class Export(Document):
    """A LunaCM / LunaSH capture: a whole session, or one command's saved output."""

    banner: Banner | None = None
    commands: tuple[Command, ...] = ()
    slots: tuple[Slot, ...] = ()  # every slot block, in file order (a slot may repeat)
    policy_sets: tuple[PolicySet, ...] = ()
    hsm_policies: tuple[HsmPolicies, ...] = ()
    hsms: tuple[HsmInfo, ...] = ()
    ha_groups: tuple[HaGroupStatus, ...] = ()
    elisions: tuple[Span, ...] = ()  # `...` / `[OUTPUT OMITTED]` lines
    fields: tuple[Field, ...] = ()  # generic fields of output before the first prompt
    # A session read from a script's command lines (no output): what else the script does
    # (lunalint.model.script.Script); None for a capture.
    script: Any = None
    # A capture shown in a runbook is a point in time: the later steps of the same runbook
    # that change what it shows, as (setting, line): "ha-only" (HA-only enabled), "recovery"
    # (automatic recovery set). Empty for a capture file.
    later_steps: tuple[tuple[str, int], ...] = ()

    def changed_later(self, setting: str, after: int) -> int | None:
        """The line of the first later runbook step after line ``after`` that changes
        ``setting``, or None."""
        return next((line for what, line in self.later_steps
                     if what == setting and line > after), None)

    @property
    def kind(self) -> str:
        return "export"

    @property
    def client_version(self) -> Version | None:
        return self.banner.version if self.banner is not None else None

    @property
    def client_version_span(self) -> Span | None:
        return self.banner.version_span if self.banner is not None else None

    @property
    def partitions(self) -> dict[str, Slot]:
        """Physical slots by serial number (the last listing of each)."""
        return {s.serial: s for s in self.slots if not s.ha_virtual and s.serial}

    @property
    def virtual_slots(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.ha_virtual)

    def slot(self, slot_id: int) -> Slot | None:
        """The last listing of slot ``slot_id``."""
        for s in reversed(self.slots):
            if s.slot_id == slot_id:
                return s
        return None

    @property
    def ha_slot_ids(self) -> frozenset[int]:
        """Slot ids known to be HA virtual slots: from slot listings and ``hagroup listgroups``
        (``HA Group Slot ID``), so a group slot is known even when its listing was elided."""
        ids = {s.slot_id for s in self.slots if s.ha_virtual}
        ids.update(g.slot_id for g in self.ha_groups if g.slot_id is not None)
        return frozenset(ids)

    def policy_sets_for(self, serial: str) -> tuple[PolicySet, ...]:
        return tuple(p for p in self.policy_sets if p.serial == serial)

    def hsm_policies_for(self, serial: str) -> tuple[HsmPolicies, ...]:
        return tuple(h for h in self.hsm_policies if h.serial == serial)
