"""Compact facts: what the link stage needs from one file, as plain data.

A worker reads a file, runs the per-file rules on its model and reduces the model to a
:class:`FileFacts`: the partition, policy, HSM and HA-listing records that linking joins on
serial numbers, the HA group definitions and the few configuration sections the linking rules
read, the banner version, the replica partitions (POL302), the file's secret values (for the
redaction boundary) and the masked text of the lines those records point at (for excerpts).
Everything in it is tuples, strings, integers and None: cheap to send back from a worker
process, and safe to keep in the result cache as JSON (never loaded as code).

The whole model is then dropped, so memory does not grow with what a file holds beyond what
linking needs, and the process pool can do the reading. :mod:`lunalint.workspace` joins
facts; it turns records back into model objects (``Slot``, ``PolicySet`` …) only for the group
members the rules look at.

Plain encodings (``span`` is ``(line, column, end_line, end_column)``):

- field ``(key, value, key_span, value_span)``
- slot ``(slot_id, fields, span, ha_virtual, authentication, authentication_span,
  command_index)``
- policy value ``(number, name, value, span, value_span, trailing)``; policy set
  ``(capabilities, policies, span, slot_id, slot, command_index, elided)`` (capabilities are
  left empty in facts, for policy sets and HSM policies alike: no linking rule reads them)
- HSM policy ``(code, description, value, span, value_span, destructive, trailing)``; HSM
  policies ``(tool, fields, capabilities, policies, span, slot_id, slot, command_index,
  elided)``
- HA listing ``(fields, settings, members, member_serials, standby_serials, span,
  command_index)``; member row ``(slot, serial, label, status, span, serial_span,
  status_span)``; serial ``(text, span)``
- section ``(name, header_span, name_span, entries)``; entry ``(key, value, key_span,
  value_span, span)``
- version ``(release, build, text)``
"""

from __future__ import annotations

from lunalint.record import opt, record
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.model.base import Span

# The configuration sections that linking and the rules that link files read (HA groups, the
# HA settings, Secure Trusted Channel). A per-file rule from a plugin that links files gets
# every section instead (see ``all_sections``).
LINKED_SECTIONS = frozenset({"virtualtoken", "haconfiguration", "secure trusted channel"})

POLICY_KEY_MANAGEMENT, POLICY_PRIVATE_CLONING, POLICY_SECRET_CLONING = 28, 0, 4


@record(frozen=False)
class FileFacts:
    """What linking needs from one file (see the module docstring)."""

    path: str  # as shown
    kind: str  # "config" or "export"
    lines: dict[int, str] = opt(factory=dict)  # masked text of referenced lines
    # config
    form: str = ""
    sections: tuple = ()
    # (template spans, template syntaxes, open lines, loop lines, partial): what the template
    # checks of the rules that read the workspace (HA101, HA113) look at
    template: tuple = ((), (), (), (), False)
    # export
    banner: tuple | None = None  # (version, span) of the LunaCM banner
    serials: tuple = ()  # serials of the physical slots listed (for the banner version)
    slots: tuple = ()  # (serial, slot) the last listing of each physical serial
    policy_sets: tuple = ()  # (serial, policy set) the last of each serial
    hsms: tuple = ()  # (serial, HSM policies) by HSM serial, the last of each
    slot_hsms: tuple = ()  # (partition serial, HSM policies) LunaCM, no HSM serial printed
    statuses: tuple = ()  # every `hagroup listgroups` group, in file order
    replicas: tuple = ()  # (serial or None, span of policy 28) POL302's partitions
    infos: tuple = ()  # (serial, label, model) of each LunaSH `hsm show` (audit reports)
    # (serial, firmware text, span) of every HSM or partition the capture shows with its
    # firmware (`slot list`, `hsm show`, `hsm showinfo`, `hsm showpolicies`), the last of each
    firmwares: tuple = ()
    # a script's session: (host kind, ((label, span) of each group created), (span of each
    # command enabling HA-only), uses STC)
    script: tuple | None = None
    # a runbook's capture: (setting, line) of the later steps that change what it shows
    later: tuple = ()

    def plain(self) -> dict:
        """The facts as JSON-ready data (integer line keys become pairs)."""
        return {"path": self.path, "kind": self.kind, "lines": sorted(self.lines.items()),
                "form": self.form, "sections": self.sections, "template": self.template,
                "banner": self.banner,
                "serials": self.serials, "slots": self.slots, "policy_sets": self.policy_sets,
                "hsms": self.hsms, "slot_hsms": self.slot_hsms, "statuses": self.statuses,
                "replicas": self.replicas, "infos": self.infos, "firmwares": self.firmwares,
                "script": self.script, "later": self.later}

    @classmethod
    def from_plain(cls, data: dict) -> FileFacts:
        """Facts back from :meth:`plain` data (JSON lists become tuples); raises on bad data."""
        lines = {int(n): str(t) for n, t in data["lines"]}
        return cls(str(data["path"]), str(data["kind"]), lines, str(data["form"]),
                   _tuples(data["sections"]), _tuples(data["template"]),
                   _tuples(data["banner"]), _tuples(data["serials"]),
                   _tuples(data["slots"]), _tuples(data["policy_sets"]), _tuples(data["hsms"]),
                   _tuples(data["slot_hsms"]), _tuples(data["statuses"]),
                   _tuples(data["replicas"]), _tuples(data.get("infos", ())),
                   _tuples(data.get("firmwares", ())), _tuples(data.get("script")),
                   _tuples(data.get("later", ())))


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, tuple):
        return tuple(_tuples(v) for v in value)
    raise ValueError(f"unexpected {type(value).__name__} in facts")


# --- model → plain ------------------------------------------------------------------------


def _s(span: Span | None) -> tuple | None:
    return None if span is None else (span.line, span.column, span.end_line, span.end_column)


def _field(f) -> tuple:
    return (f.key, f.value, _s(f.key_span), _s(f.value_span))


def _slot(slot) -> tuple | None:
    if slot is None:
        return None
    return (slot.slot_id, tuple(_field(f) for f in slot.fields), _s(slot.span), slot.ha_virtual,
            slot.authentication, _s(slot.authentication_span), slot.command_index)


def _pvalue(p) -> tuple:
    return (p.number, p.name, p.value, _s(p.span), _s(p.value_span), p.trailing)


def _pset(ps) -> tuple:
    return ((),  # capabilities: no linking rule reads them (kept small)
            tuple(_pvalue(p) for p in ps.policy_values), _s(ps.span), ps.slot_id,
            _slot(ps.slot), ps.command_index, ps.elided)


def _hpolicy(p) -> tuple:
    return (p.code, p.description, p.value, _s(p.span), _s(p.value_span), p.destructive,
            p.trailing)


def _hsm(hp) -> tuple:
    return (hp.tool, tuple(_field(f) for f in hp.fields),
            (),  # capabilities: no linking rule reads them
            tuple(_hpolicy(p) for p in hp.policy_values), _s(hp.span), hp.slot_id,
            _slot(hp.slot), hp.command_index, hp.elided)


def _status(g) -> tuple:
    return (tuple(_field(f) for f in g.fields), tuple(_field(f) for f in g.settings),
            tuple((m.slot, m.serial, m.label, m.status, _s(m.span), _s(m.serial_span),
                   _s(m.status_span)) for m in g.members),
            tuple((s.text, _s(s.span)) for s in g.member_serials),
            tuple((s.text, _s(s.span)) for s in g.standby_serials), _s(g.span),
            g.command_index)


def _entry(e) -> tuple:
    return (e.key, e.value, _s(e.key_span), _s(e.value_span), _s(e.span))


def _section(s) -> tuple:
    return (s.name, _s(s.header_span), _s(s.name_span), tuple(_entry(e) for e in s.entries))


def version_plain(v) -> tuple | None:
    return None if v is None else (v.release, v.build, v.text)


def intentional_28(pset) -> bool:
    """True when a policy set allows cloning while Key Management Functions is denied (the
    HA replica design, POL302)."""
    kmf = pset.policy(POLICY_KEY_MANAGEMENT)
    cloning = [pset.policy(n) for n in (POLICY_PRIVATE_CLONING, POLICY_SECRET_CLONING)]
    return kmf is not None and kmf.value == 0 and any(p is not None and p.value == 1
                                                      for p in cloning)


def of(doc, secrets, all_sections: bool = False, lines=None) -> FileFacts | None:
    """The facts of ``doc`` (a configuration or a capture; None for anything else).

    ``secrets`` (:class:`lunalint.redact.Secrets`) masks the lines kept for excerpts, taken
    from ``lines`` (a host's own lines, for an embedded part) or the document's.
    """
    kind = doc.kind
    wanted: set[int] = {1}
    if kind == "config":
        sections = tuple(s for s in doc.sections
                         if all_sections or s.name.casefold() in LINKED_SECTIONS)
        for s in sections:
            wanted.add(s.header_span.line)
            wanted.update(e.span.line for e in s.entries)
        facts = FileFacts(doc.path, kind, form=doc.form,
                          sections=tuple(_section(s) for s in sections),
                          template=(tuple(_s(s) for s in doc.template_spans),
                                    tuple(doc.template_syntaxes), tuple(doc.open_lines),
                                    tuple(doc.loop_lines), bool(doc.partial)))
    elif kind == "export":
        facts = _export_facts(doc, wanted)
    else:
        return None
    lines = doc.lines if lines is None else lines
    facts.lines = {n: secrets.mask_line(n, lines[n - 1]) for n in sorted(wanted)
                   if 0 < n <= len(lines)}
    return facts


def _export_facts(export, wanted: set[int]) -> FileFacts:
    slots: dict[str, Any] = {}
    serials: dict[str, None] = {}
    for slot in export.slots:
        if not slot.ha_virtual and slot.serial:
            key = slot.serial.strip()
            slots.pop(key, None)
            slots[key] = slot
            serials[key] = None
    psets: dict[str, Any] = {}
    replicas = []
    for pset in export.policy_sets:
        if pset.serial and not pset.ha_virtual:
            key = pset.serial.strip()
            psets.pop(key, None)
            psets[key] = pset
        if not pset.ha_virtual and intentional_28(pset):
            span = pset.policy(POLICY_KEY_MANAGEMENT).span
            wanted.add(span.line)
            replicas.append((pset.serial, _s(span)))
    hsms: dict[str, Any] = {}
    slot_hsms: dict[str, Any] = {}
    for hp in export.hsm_policies:
        if hp.serial:
            key = hp.serial.strip()
            hsms.pop(key, None)
            hsms[key] = hp
        elif hp.slot is not None and hp.slot.serial and not hp.slot.ha_virtual:
            key = hp.slot.serial.strip()
            slot_hsms.pop(key, None)
            slot_hsms[key] = hp
    # Lines a linking finding can point at (related locations carry no excerpt): firmware,
    # authentication, policy lines.
    for slot in slots.values():
        if slot.firmware_field is not None:
            wanted.add(slot.firmware_field.span.line)
        if slot.authentication_span is not None:
            wanted.add(slot.authentication_span.line)
    for pset in psets.values():
        wanted.update(p.span.line for p in pset.policy_values)
    for hp in (*hsms.values(), *slot_hsms.values()):
        if hp.firmware_field is not None:
            wanted.add(hp.firmware_field.span.line)
        wanted.update(p.span.line for p in hp.policy_values)
    for g in export.ha_groups:  # the live-state rules point at settings, fields, member rows
        wanted.update(f.key_span.line for f in g.fields)
        wanted.update(f.key_span.line for f in g.settings)
        wanted.update(m.span.line for m in g.members)
    banner = None
    if export.banner is not None and export.client_version is not None:
        span = export.client_version_span or export.banner.span
        banner = (version_plain(export.client_version), _s(span))
        wanted.add(span.line)
    return FileFacts(
        export.path, "export", banner=banner, serials=tuple(serials),
        slots=tuple((k, _slot(v)) for k, v in slots.items()),
        policy_sets=tuple((k, _pset(v)) for k, v in psets.items()),
        hsms=tuple((k, _hsm(v)) for k, v in hsms.items()),
        slot_hsms=tuple((k, _hsm(v)) for k, v in slot_hsms.items()),
        statuses=tuple(_status(g) for g in export.ha_groups), replicas=tuple(replicas),
        infos=tuple((i.serial, i.label, i.model) for i in getattr(export, "hsms", ())
                    if i.serial),
        firmwares=_firmwares(export, wanted), script=_script(export, wanted),
        later=tuple(getattr(export, "later_steps", ())))


def _firmwares(export, wanted: set[int]) -> tuple:
    """Every HSM or partition the capture shows with its firmware, the last of each serial."""
    found: dict[str, tuple] = {}

    def put(serial, f) -> None:
        if serial and f is not None and f.value.strip():
            key = serial.strip()
            found.pop(key, None)
            found[key] = (key, f.value.strip(), _s(f.span))
            wanted.add(f.value_span.line)

    for slot in export.slots:
        if not slot.ha_virtual:
            put(slot.serial, slot.firmware_field)
    for info in getattr(export, "hsms", ()):
        put(info.serial, info.field("Firmware") or info.field("Firmware Version"))
    for hp in export.hsm_policies:
        put(hp.serial, hp.firmware_field)
    for command in export.commands:
        if command.name == "hsm showinfo" and command.fields:
            serial = firmware = None
            for f in command.fields:
                k = f.key.casefold()
                if k in ("serial number", "serial #", "hsm serial number", "serial"):
                    serial = f.value
                elif k in ("firmware version", "firmware", "hsm firmware version"):
                    firmware = f
            put(serial, firmware)
    return tuple(found.values())


def _script(export, wanted: set[int]) -> tuple | None:
    script = getattr(export, "script", None)
    if script is None:
        return None
    wanted.update(c.span.line for c in script.creates)
    return (script.host, tuple((c.label, _s(c.span)) for c in script.creates),
            tuple(_s(s) for s in script.ha_only), bool(script.stc))


def script_of(t) -> Any:
    """A :class:`lunalint.model.script.Script` back from facts (credentials are not kept)."""
    if t is None:
        return None
    from lunalint.model.script import GroupCreation, Script

    host, creates, ha_only, stc = t
    return Script(host, (), tuple(GroupCreation(label, span(sp)) for label, sp in creates),
                  tuple(span(sp) for sp in ha_only), bool(stc))


# --- plain → model (in the main process, only for what the rules look at) ---------------------


def span(t) -> Span:
    line, column, end_line, end_column = t
    return Span(line, column, end_line, end_column)


def _ospan(t) -> Span | None:
    return None if t is None else span(t)


def field_of(t):
    from lunalint.model.export import Field

    key, value, key_span, value_span = t
    return Field(str(key), str(value), span(key_span), span(value_span))


def slot_of(t):
    if t is None:
        return None
    slot_id, fields, sp, ha_virtual, auth, auth_span, command_index = t
    return _linked()["Slot"](slot_id, tuple(field_of(f) for f in fields), span(sp),
                             bool(ha_virtual), auth, _ospan(auth_span), command_index)


def _pvalue_of(t):
    from lunalint.model.export import PolicyValue

    number, name, value, sp, value_span, trailing = t
    return PolicyValue(int(number), str(name), int(value), span(sp), span(value_span),
                       str(trailing))


def policy_set_of(t):
    caps, pols, sp, slot_id, slot, command_index, elided = t
    return _linked()["PolicySet"](tuple(_pvalue_of(p) for p in caps),
                                  tuple(_pvalue_of(p) for p in pols), span(sp), slot_id,
                                  slot_of(slot), command_index, bool(elided))


def _hpolicy_of(t):
    from lunalint.model.export import HsmPolicy

    code, description, value, sp, value_span, destructive, trailing = t
    return HsmPolicy(code, str(description), str(value), span(sp), span(value_span),
                     destructive, str(trailing))


def hsm_policies_of(t):
    tool, fields, caps, pols, sp, slot_id, slot, command_index, elided = t
    return _linked()["HsmPolicies"](str(tool), tuple(field_of(f) for f in fields),
                                    tuple(_hpolicy_of(p) for p in caps),
                                    tuple(_hpolicy_of(p) for p in pols), span(sp), slot_id,
                                    slot_of(slot), command_index, bool(elided))


def status_of(t):
    from lunalint.model.export import HaGroupStatus, HaMember, SerialRef

    fields, settings, members, member_serials, standby_serials, sp, command_index = t
    return HaGroupStatus(
        tuple(field_of(f) for f in fields), tuple(field_of(f) for f in settings),
        tuple(HaMember(str(a), str(b), str(c), str(d), span(e), span(f), span(g))
              for a, b, c, d, e, f, g in members),
        tuple(SerialRef(str(text), span(s)) for text, s in member_serials),
        tuple(SerialRef(str(text), span(s)) for text, s in standby_serials), span(sp),
        command_index)


def version_of(t):
    from lunalint.versions import Version

    if t is None:
        return None
    release, build, text = t
    return Version(tuple(int(x) for x in release), build, str(text))


def config_of(facts: FileFacts):
    """The configuration as linking sees it: the linked sections only, no lines."""
    from lunalint.model.config import ClientConfig, Entry, Section

    sections = tuple(
        Section(str(name), span(header), span(name_span),
                tuple(Entry(str(k), str(v), span(ks), span(vs), span(es))
                      for k, v, ks, vs, es in entries))
        for name, header, name_span, entries in facts.sections)
    spans, syntaxes, open_lines, loop_lines, partial = facts.template
    return ClientConfig(facts.path, (), (), facts.form, sections, (),
                        tuple(span(s) for s in spans), tuple(str(x) for x in syntaxes),
                        tuple(int(n) for n in open_lines), tuple(int(n) for n in loop_lines),
                        bool(partial))


_LINKED: dict = {}


def _linked() -> dict:
    """Model classes for linked records, with their lookups indexed once (the model builds a
    dict or scans the fields on every access; the workspace rules ask thousands of times)."""
    if _LINKED:
        return _LINKED
    from lunalint.model.export import HsmPolicies, PolicySet, Slot

    class LinkedSlot(Slot):
        __slots__ = ("_fields",)

        def field(self, name):
            index = getattr(self, "_fields", None)
            if index is None:
                index = {}
                for f in self.fields:
                    index[f.key.casefold()] = f  # the last of a name wins, as in the model
                object.__setattr__(self, "_fields", index)
            folded = name.casefold()
            found = index.get(folded)
            other = index.get("hsm " + folded)
            if found is None or other is None:
                return found or other
            # both spellings printed: the later line wins, as the model's reverse scan does
            return max((found, other), key=lambda f: self.fields.index(f))

    class LinkedPolicySet(PolicySet):
        __slots__ = ("_policies",)

        @property
        def policies(self):
            index = getattr(self, "_policies", None)
            if index is None:
                index = {p.number: p for p in self.policy_values}
                object.__setattr__(self, "_policies", index)
            return index

        def policy(self, number):
            return self.policies.get(number)

    class LinkedHsmPolicies(HsmPolicies):
        __slots__ = ("_policies",)

        @property
        def policies(self):
            index = getattr(self, "_policies", None)
            if index is None:
                index = {p.code: p for p in self.policy_values if p.code is not None}
                object.__setattr__(self, "_policies", index)
            return index

        def policy(self, code):
            return self.policies.get(code)

    _LINKED.update(Slot=LinkedSlot, PolicySet=LinkedPolicySet, HsmPolicies=LinkedHsmPolicies)
    return _LINKED
