"""Compact facts: what the link stage needs from one file, as plain data.

A worker reads a file, runs the per-file rules on its model and reduces the model to a
:class:`FileFacts`: the partition, policy, HSM and HA-listing records that linking joins on
serial numbers, the HA group definitions and the few configuration sections the linking rules
read, the banner version, the replica partitions (POL302), the file's secret values (for the
redaction boundary) and the masked text of the lines those records point at (for excerpts).
Everything in it is tuples, strings, integers, None and bytes: cheap to send back from a
worker process, and safe to keep in the result cache as JSON (never loaded as code).

The whole model is then dropped, so memory does not grow with what a file holds beyond what
linking needs, and the process pool can do the reading. The records linking joins on serials
(slots, policy sets, HSM policies, HA listings) travel and stay marshalled (``marshal`` bytes
of their plain tuples, made by the worker, read only by this process; the result cache keeps
the plain tuples as JSON and marshals them again): :mod:`lunalint.workspace` joins facts, and
a linked record (``Slot``, ``PolicySet`` …, see :func:`_linked`) builds its fields, policies
and spans only when a rule reads them, keeping them only while it is among the records read
last (issue 21: a project's records stay about as small as its captures' text).

Plain encodings (``span`` is one number, see :func:`_s`, or ``(line, column, end_line,
end_column)``):

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

import marshal
import sys

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
    # (records marshalled: see the module docstring)
    slots: tuple = ()  # (serial, slot) the last listing of each physical serial
    policy_sets: tuple = ()  # (serial, policy set) the last of each serial
    hsms: tuple = ()  # (serial, HSM policies) by HSM serial, the last of each
    slot_hsms: tuple = ()  # (partition serial, HSM policies) LunaCM, no HSM serial printed
    # (label, group serial, listing) of every `hagroup listgroups` group, in file order
    statuses: tuple = ()
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
        """The facts as JSON-ready data (integer line keys become pairs; marshalled records
        are given as their plain tuples)."""
        return {"path": self.path, "kind": self.kind, "lines": sorted(self.lines.items()),
                "form": self.form, "sections": self.sections, "template": self.template,
                "banner": self.banner,
                "serials": self.serials, "slots": _unblobbed(self.slots),
                "policy_sets": _unblobbed(self.policy_sets), "hsms": _unblobbed(self.hsms),
                "slot_hsms": _unblobbed(self.slot_hsms),
                "statuses": [marshal.loads(blob) for _l, _s, blob in self.statuses],
                "replicas": self.replicas, "infos": self.infos, "firmwares": self.firmwares,
                "script": self.script, "later": self.later}

    @classmethod
    def from_plain(cls, data: dict) -> FileFacts:
        """Facts back from :meth:`plain` data (JSON lists become tuples); raises on bad data."""
        lines = {int(n): str(t) for n, t in data["lines"]}
        return cls(str(data["path"]), str(data["kind"]), lines, str(data["form"]),
                   _tuples(data["sections"]), _tuples(data["template"]),
                   _tuples(data["banner"]), _tuples(data["serials"]),
                   _blobbed(data["slots"]), _blobbed(data["policy_sets"]),
                   _blobbed(data["hsms"]), _blobbed(data["slot_hsms"]),
                   tuple(_keyed_status(_tuples(r)) for r in data["statuses"]),
                   _tuples(data["replicas"]), _tuples(data.get("infos", ())),
                   _tuples(data.get("firmwares", ())), _tuples(data.get("script")),
                   _tuples(data.get("later", ())))


def _unblobbed(keyed: tuple) -> list:
    return [(key, marshal.loads(blob)) for key, blob in keyed]


def _blobbed(keyed: list) -> tuple:
    return tuple((str(key), _blob(_tuples(record))) for key, record in keyed)


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, tuple):
        return tuple(_tuples(v) for v in value)
    raise ValueError(f"unexpected {type(value).__name__} in facts")


# --- model → plain ------------------------------------------------------------------------


# A span in facts is one integer, ``line | column << 21 | end_line << 42 | end_column << 63``,
# when every position is below 2**21 (about 36 bytes, against about 90 for a tuple of four),
# else the tuple ``(line, column, end_line, end_column)``. :func:`span` reads either.
_BITS = 21
_MASK = (1 << _BITS) - 1


def _s(span: Span | None) -> int | tuple | None:
    if span is None:
        return None
    line, column, end_line, end_column = span.line, span.column, span.end_line, span.end_column
    if type(line) is type(column) is type(end_line) is type(end_column) is int \
            and (line | column | end_line | end_column) >> _BITS == 0:
        return line | column << 21 | end_line << 42 | end_column << 63
    return (line, column, end_line, end_column)


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


def _blob(record: tuple) -> bytes:
    """A record as the link stage keeps it until a rule looks at it: marshalled (issue 21)."""
    return marshal.dumps(record)


def _keyed_status(record: tuple) -> tuple:
    """``(label, group serial, blob)`` of a plain listing: the link stage joins on the first
    two and decodes the listing only where it is used."""
    return (*status_keys(record), _blob(record))


def status_keys(record: tuple) -> tuple[str | None, str | None]:
    """The label and group serial of a plain listing (the last field of each name wins)."""
    label = serial = None
    for key, value, _, _ in record[0]:
        k = key.casefold()
        if k == "ha group label":
            label = value or None
        elif k == "ha group number":
            serial = value or None
    return label, serial


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
        slots=tuple((k, _blob(_slot(v))) for k, v in slots.items()),
        policy_sets=tuple((k, _blob(_pset(v))) for k, v in psets.items()),
        hsms=tuple((k, _blob(_hsm(v))) for k, v in hsms.items()),
        slot_hsms=tuple((k, _blob(_hsm(v))) for k, v in slot_hsms.items()),
        statuses=tuple(_keyed_status(_status(g)) for g in export.ha_groups),
        replicas=tuple(replicas),
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
    if type(t) is int:
        return Span(t & _MASK, t >> 21 & _MASK, t >> 42 & _MASK, t >> 63)
    line, column, end_line, end_column = t
    return Span(line, column, end_line, end_column)


def _ospan(t) -> Span | None:
    return None if t is None else span(t)


def field_of(t):
    """A field from its facts: its spans are made when first read (most never are)."""
    key, value, key_span, value_span = t
    f = _new(_linked()["Field"])
    f.key, f.value, f._at = str(key), str(value), (key_span, value_span)
    return f


_new = object.__new__


def slot_of(t, packer: Packer | None = None):
    """A slot from its facts: a marshalled record (the link stage, compressed by ``packer``
    when given), or its plain tuple."""
    if t is None:
        return None
    if isinstance(t, bytes):
        return _linked()["Slot"].of(t, packer=packer)
    return _linked()["Slot"].of(marshal.dumps(t), t)


def _pvalue_of(t):
    number, name, value, sp, value_span, trailing = t
    p = _new(_linked()["PolicyValue"])
    p.number, p.name, p.value, p.trailing = int(number), str(name), int(value), str(trailing)
    p._at = (sp, value_span)
    return p


def policy_set_of(blob: bytes, packer: Packer | None = None):
    return _linked()["PolicySet"].of(blob, packer)


def _hpolicy_of(t):
    from lunalint.model.export import HsmPolicy

    code, description, value, sp, value_span, destructive, trailing = t
    return HsmPolicy(code, str(description), str(value), span(sp), span(value_span),
                     destructive, str(trailing))


def hsm_policies_of(blob: bytes, packer: Packer | None = None):
    return _linked()["HsmPolicies"].of(blob, packer)


def status_of(blob: bytes, packer: Packer | None = None):
    return _linked()["HaGroupStatus"].of(blob, packer)


def _members_of(members) -> tuple:
    from lunalint.model.export import HaMember

    return tuple(HaMember(str(a), str(b), str(c), str(d), span(e), span(f), span(g))
                 for a, b, c, d, e, f, g in members)


def _serials_of(serials) -> tuple:
    from lunalint.model.export import SerialRef

    return tuple(SerialRef(str(text), span(s)) for text, s in serials)


def version_of(t):
    from lunalint.versions import Version

    if t is None:
        return None
    release, build, text = t
    return Version(tuple(int(x) for x in release), build, str(text))


def config_of(facts: FileFacts, packer: Packer | None = None):
    """The configuration as linking sees it: the linked sections only, no lines. With
    ``packer`` (the link stage), its sections stay marshalled and compressed until read
    (:func:`_linked_config`)."""
    from lunalint.model.config import ClientConfig

    spans, syntaxes, open_lines, loop_lines, partial = facts.template
    parts = (facts.path, (), (), facts.form)
    rest = ((), tuple(span(s) for s in spans), tuple(str(x) for x in syntaxes),
            tuple(int(n) for n in open_lines), tuple(int(n) for n in loop_lines), bool(partial))
    if packer is None:
        return ClientConfig(*parts, _sections_of(facts.sections), *rest)
    return _linked_config().of(parts, rest, packer.pack(marshal.dumps(facts.sections)), packer)


def _sections_of(plain) -> tuple:
    from lunalint.model.config import Entry, Section

    return tuple(
        _shared_keys(Section(_intern(str(name)), span(header), span(name_span),
                             tuple(_entry_of(Entry, k, v, ks, vs, es)
                                   for k, v, ks, vs, es in entries)))
        for name, header, name_span, entries in plain)


# A linked configuration's sections, once read, are kept while it is among the last
# :data:`_CONFIGS_KEPT` configurations read (rules read one file's configuration many times in
# a row, then the next file's).
_CONFIGS_KEPT = 64
_CONFIGS: dict = {}  # id(config) -> config holding its sections; oldest first
_LINKED_CONFIG: list = []


def _linked_config():
    """The class of a linked configuration (issue 21, memory): what linking needs of a
    configuration file for the whole link stage is its path, form and template facts; its
    sections and entries (about 6 KB a file as objects) are kept marshalled and compressed,
    and built when a rule reads them. The HA groups worked out from them are kept (the groups
    of the workspace hold their entries)."""
    if _LINKED_CONFIG:
        return _LINKED_CONFIG[0]
    from lunalint.model.config import ClientConfig

    def held(self) -> tuple:
        found = self._held
        if found is not None:
            return found
        sections = _sections_of(marshal.loads(self._packer.unpack(self._blob)))
        index: dict = {}
        for section in sections:
            index.setdefault(section.name.casefold(), []).append(section)
        found = self._held = (sections, {k: tuple(v) for k, v in index.items()})
        _hold(_CONFIGS, _CONFIGS_KEPT, self)
        return found

    class LinkedConfig(ClientConfig):
        __slots__ = ("_held", "_packer", "_blob")

        def __new__(cls, *args, **kwargs):  # a copy (records.replace, pickling) is plain
            return ClientConfig(*args, **kwargs)

        @classmethod
        def of(cls, parts: tuple, rest: tuple, blob: bytes, packer: Packer):
            self = object.__new__(cls)
            (self.path, self.lines, self.problems, self.form, self.comments,
             self.template_spans, self.template_syntaxes, self.open_lines, self.loop_lines,
             self.partial) = (*parts, *rest)
            self.newline, self.loop_regions, self._ha_groups = "\n", (), None
            self._held, self._packer, self._blob = None, packer, blob
            return self

        sections = property(lambda self: held(self)[0])
        _by_name = property(lambda self: held(self)[1])

        def __reduce__(self):  # (pickled as the plain configuration it reads as)
            return (ClientConfig, (self.path, self.lines, self.problems, self.form,
                                   self.sections, self.comments, self.template_spans,
                                   self.template_syntaxes, self.open_lines, self.loop_lines,
                                   self.partial, self.newline, self.loop_regions))

    _LINKED_CONFIG.append(LinkedConfig)
    return LinkedConfig


def _shared_keys(section):
    """``section`` with the folded keys of its index shared with every other linked
    configuration's (issue 21: the same few keys repeat in each of an estate's files, and
    folding makes a new string each time)."""
    index = section._index
    folded = [_intern(k) for k in index]
    values = list(index.values())
    index.clear()
    index.update(zip(folded, values))
    return section


def _entry_of(cls, key, value, ks, vs, es):
    """An entry from its facts. On one line (as nearly every entry is), its spans are made
    when first read from one packed number (see ``model.config.entry_at``); keys are shared
    (the same few keys repeat in every configuration)."""
    from lunalint.model.config import entry_at

    key, value = _intern(str(key)), _intern(str(value))  # (values repeat across files too)
    if type(ks) is type(vs) is type(es) is int:
        line = ks & _MASK
        if (ks >> 42 & _MASK) == line and (vs & _MASK) == line == (vs >> 42 & _MASK) \
                and (es & _MASK) == line == (es >> 42 & _MASK) \
                and (es >> 21 & _MASK) == (ks >> 21 & _MASK):
            return entry_at(key, value, line | (ks >> 21 & _MASK) << 21
                            | (ks >> 63) << 42 | (vs >> 21 & _MASK) << 63
                            | (vs >> 63) << 84 | (es >> 63) << 105)
    return cls(key, value, span(ks), span(vs), span(es))


_intern = sys.intern


_LINKED: dict = {}

# The records the link stage keeps stay marshalled (issue 21): a linked Slot, PolicySet,
# HsmPolicies or HaGroupStatus holds its few scalar fields and the bytes of its facts record,
# and builds its fields, policies, members and spans when a rule reads them. What was built is
# kept for the records looked at last (a rule reads one member's records several times in a
# row), not for all of them: a project's records are read a few times each, by a few rules.
_KEPT = 256
_STATES: dict = {}  # id(record) -> record holding what was built of it; oldest first
_VERSIONS: dict = {}  # firmware text -> Version (versions are immutable; members share them)


# How what the link stage keeps compressed in memory is compressed (facts.Packer, engine's
# excerpts): raw deflate (no header or checksum: the bytes never leave this process) with a
# window of 8 KB and a small hash table, level 1. A compressor is made for each record, and
# with zlib's defaults making one cost about 60 us (it sets up 256 KB), with these 8-10 us.
_WBITS = -13
_MEM_LEVEL = 4
ZDICT_SIZE = 1 << 13  # (a longer preset dictionary would be cut to the window anyway)


def deflate(data: bytes, zdict: bytes, how: tuple[int, int, int] = (1, _WBITS, _MEM_LEVEL)
            ) -> bytes:
    """``data`` compressed with the preset dictionary ``zdict``; ``how`` is (level, window
    bits, memory level)."""
    import zlib

    level, wbits, mem_level = how
    pack = zlib.compressobj(level, zlib.DEFLATED, wbits, mem_level, zdict=zdict)
    return pack.compress(data) + pack.flush()


def inflate(data: bytes, zdict: bytes, wbits: int = _WBITS) -> bytes:
    import zlib

    unpack = zlib.decompressobj(wbits, zdict=zdict)
    return unpack.decompress(data) + unpack.flush()


class Packer:
    """Compresses the marshalled records of one kind that the link stage keeps (issue 21):
    the records of an estate's captures repeat their keys, names and most values, so with
    the first few as zlib's preset dictionary each of the others shrinks to a tenth or less.
    The first :data:`SAMPLES` are kept as they are; a compressed record starts with 0xff (no
    marshalled value does)."""

    SAMPLES = 4
    HOW = (1, _WBITS, _MEM_LEVEL)  # (level, window bits, memory level)

    def __init__(self, compress: bool = True) -> None:
        self.zdict: bytes | None = None
        self._samples: list[bytes] = []
        self._compress = compress  # (False: records kept marshalled as they are)

    def pack(self, blob: bytes) -> bytes:
        if not self._compress:
            return blob
        if self.zdict is None:
            self._samples.append(blob)
            if len(self._samples) >= self.SAMPLES:
                self.zdict = b"".join(self._samples)[-(1 << -self.HOW[1]):]
                self._samples = []
            return blob
        return b"\xff" + deflate(blob, self.zdict, self.HOW)

    def unpack(self, data: bytes) -> bytes:
        if data[:1] != b"\xff":
            return data
        return inflate(data[1:], self.zdict, self.HOW[1])


class FilePacker(Packer):
    """Compresses whole files' facts, kept from the time they are read until their part of
    the project is linked (:class:`lunalint.workspace.Parts`): a few times larger than one
    record, and similar to each other in many more places, so a 32 KB window, a dictionary of
    the first 16 files and level 6 pay (on an estate: a third of the size for about 2% more
    CPU than level 1 with an 8 KB window)."""

    SAMPLES = 16
    HOW = (6, -15, 6)


def _loads(view) -> tuple:
    data = view._blob
    return marshal.loads(view._packer.unpack(data) if view._packer is not None else data)


def _state(view) -> dict:
    """The parts built so far of a linked record (``plain``: its facts record, decoded). A
    record holds them while it is among the last :data:`_KEPT` records decoded."""
    held = view._held
    if held is not None:
        return held
    held = view._held = {"plain": _loads(view)}
    _hold(_STATES, _KEPT, view)
    return held


def _hold(kept: dict, most: int, view) -> None:
    """Count ``view`` among the last ``most`` records in ``kept`` that hold what was built of
    them; the oldest let theirs go."""
    while len(kept) >= most:
        try:
            old = kept.pop(next(iter(kept)))
        except (KeyError, StopIteration, RuntimeError):  # (another thread got there)
            break
        old._held = None
    kept[id(view)] = view


def _part(view, name: str, build):
    state = _state(view)
    found = state.get(name)
    if found is None:
        found = state[name] = build(state["plain"])
    return found


def _field_at(view, names: tuple[str, ...], at: int):
    """The last field of ``view`` (its facts record's item ``at``) whose key is one of
    ``names``, case-insensitively, as :func:`lunalint.model.export._find` finds it; only that
    field is built."""
    state = _state(view)
    key = ("keys", at)
    index = state.get(key)
    if index is None:
        index = state[key] = {}
        for i, f in enumerate(state["plain"][at]):
            index[f[0].casefold()] = i
    best = -1
    for name in names:
        i = index.get(name.casefold(), -1)
        if i > best:
            best = i
    if best < 0:
        return None
    built = state.get(("field", at, best))
    if built is None:
        built = state[("field", at, best)] = field_of(state["plain"][at][best])
    return built


def _version(text: str):
    from lunalint.versions import Version

    try:
        return _VERSIONS[text]
    except KeyError:
        if len(_VERSIONS) >= 4096:
            _VERSIONS.clear()
        found = _VERSIONS[text] = Version.parse(text)
        return found


def _linked() -> dict:
    """Model classes for linked records: built from marshalled facts, their parts decoded when
    read, and their lookups indexed (the model builds a dict or scans the fields on every
    access; the workspace rules ask thousands of times)."""
    if _LINKED:
        return _LINKED
    from lunalint.model.export import (Field, HaGroupStatus, HsmPolicies, PolicySet,
                                       PolicyValue, Slot)

    class SpansOnRead:
        """A model record whose two spans (named in ``_SPANS``) are made from its facts
        (``_at``) when first read."""

        __slots__ = ()
        _SPANS: tuple[str, str] = ("", "")

        def __getattr__(self, name: str):  # only reached for a span not made yet
            spans = type(self)._SPANS
            if name not in spans:
                raise AttributeError(
                    f"'{type(self).__mro__[2].__name__}' object has no attribute '{name}'")
            made = span(self._at[spans.index(name)])
            setattr(self, name, made)
            return made

    class LinkedField(SpansOnRead, Field):
        __slots__ = ("_at",)
        _SPANS = ("key_span", "value_span")

        def __reduce__(self):
            return (Field, (self.key, self.value, self.key_span, self.value_span))

    class LinkedPolicyValue(SpansOnRead, PolicyValue):
        __slots__ = ("_at",)
        _SPANS = ("span", "value_span")

        def __reduce__(self):
            return (PolicyValue, (self.number, self.name, self.value, self.span,
                                  self.value_span, self.trailing))

    def view_fields(view) -> tuple:
        return _part(view, "fields", lambda t: tuple(field_of(f) for f in t[view._FIELDS]))

    def nested_slot(view):
        return _part(view, "slot", lambda t: slot_of(t[view._SLOT]))

    class LinkedSlot(Slot):
        __slots__ = ("_held", "_packer", "_blob", "_sp", "_asp")
        _FIELDS = 1

        @classmethod
        def of(cls, blob: bytes, plain: tuple | None = None,
               packer: Packer | None = None) -> LinkedSlot:
            slot_id, _f, sp, ha_virtual, auth, auth_span, command_index = \
                plain if plain is not None else \
                marshal.loads(packer.unpack(blob) if packer is not None else blob)
            self = object.__new__(cls)
            self._packer = packer
            self._held = None
            self.slot_id, self.ha_virtual, self.command_index = slot_id, bool(ha_virtual), \
                command_index
            self.authentication = sys.intern(auth) if type(auth) is str else auth
            self._sp, self._asp, self._blob = sp, auth_span, blob
            return self

        fields = property(view_fields)
        span = property(lambda self: span(self._sp))
        authentication_span = property(lambda self: _ospan(self._asp))

        def field(self, name):
            return _field_at(self, (name, f"HSM {name}"), 1)

        @property
        def firmware(self):
            text = self._value("Firmware Version")
            return _version(text) if text else None

        def __reduce__(self):
            return (Slot, (self.slot_id, self.fields, self.span, self.ha_virtual,
                           self.authentication, self.authentication_span, self.command_index))

    class LinkedPolicySet(PolicySet):
        __slots__ = ("_held", "_packer", "_blob", "_sp")
        _SLOT = 4

        @classmethod
        def of(cls, blob: bytes, packer: Packer | None = None) -> LinkedPolicySet:
            _c, _p, sp, slot_id, _s, command_index, elided = \
                marshal.loads(packer.unpack(blob) if packer else blob)
            self = object.__new__(cls)
            self._packer = packer
            self._held = None
            self.slot_id, self.command_index, self.elided = slot_id, command_index, bool(elided)
            self._sp, self._blob = sp, blob
            return self

        capability_values = property(lambda self: _part(
            self, "caps", lambda t: tuple(_pvalue_of(p) for p in t[0])))
        policy_values = property(lambda self: _part(
            self, "pols", lambda t: tuple(_pvalue_of(p) for p in t[1])))
        span = property(lambda self: span(self._sp))
        slot = property(nested_slot)

        @property
        def policies(self):
            return _part(self, "policies", lambda t: {p.number: p for p in self.policy_values})

        @property
        def capabilities(self):
            return _part(self, "capabilities",
                         lambda t: {p.number: p for p in self.capability_values})

        partition_policies = policies
        partition_capabilities = capabilities

        def policy(self, number):
            state = self._held or _state(self)
            found = state.get("policies")
            if found is None:
                found = state["policies"] = {p.number: p for p in self.policy_values}
            return found.get(number)

        def __reduce__(self):
            return (PolicySet, (self.capability_values, self.policy_values, self.span,
                                self.slot_id, self.slot, self.command_index, self.elided))

    class LinkedHsmPolicies(HsmPolicies):
        __slots__ = ("_held", "_packer", "_blob", "_sp")
        _FIELDS = 1
        _SLOT = 6

        @classmethod
        def of(cls, blob: bytes, packer: Packer | None = None) -> LinkedHsmPolicies:
            tool, _f, _c, _p, sp, slot_id, _s, command_index, elided = \
                marshal.loads(packer.unpack(blob) if packer else blob)
            self = object.__new__(cls)
            self._packer = packer
            self._held = None
            self.tool, self.slot_id, self.command_index = str(tool), slot_id, command_index
            self.elided, self._sp, self._blob = bool(elided), sp, blob
            return self

        fields = property(view_fields)
        capability_values = property(lambda self: _part(
            self, "caps", lambda t: tuple(_hpolicy_of(p) for p in t[2])))
        policy_values = property(lambda self: _part(
            self, "pols", lambda t: tuple(_hpolicy_of(p) for p in t[3])))
        span = property(lambda self: span(self._sp))
        slot = property(nested_slot)

        @property
        def label_field(self):
            return _field_at(self, ("HSM Label", "Label"), 1)

        @property
        def serial_field(self):
            return _field_at(self, ("Serial #", "Serial Number", "HSM Serial Number"), 1)

        @property
        def firmware_field(self):
            return _field_at(self, ("Firmware", "Firmware Version", "HSM Firmware Version"), 1)

        @property
        def firmware(self):
            f = self.firmware_field
            return _version(f.value) if f and f.value else None

        @property
        def policies(self):
            return _part(self, "policies", lambda t: {p.code: p for p in self.policy_values
                                                       if p.code is not None})

        @property
        def capabilities(self):
            return _part(self, "capabilities", lambda t: {
                p.code: p for p in self.capability_values if p.code is not None})

        def policy(self, code):
            return self.policies.get(code)

        def __reduce__(self):
            return (HsmPolicies, (self.tool, self.fields, self.capability_values,
                                  self.policy_values, self.span, self.slot_id, self.slot,
                                  self.command_index, self.elided))

    class LinkedHaGroupStatus(HaGroupStatus):
        __slots__ = ("_held", "_packer", "_blob", "_sp")
        _FIELDS = 0

        @classmethod
        def of(cls, blob: bytes, packer: Packer | None = None) -> LinkedHaGroupStatus:
            plain = marshal.loads(packer.unpack(blob) if packer else blob)
            self = object.__new__(cls)
            self._packer = packer
            self._held = None
            self.command_index, self._sp, self._blob = plain[6], plain[5], blob
            return self

        fields = property(view_fields)
        settings = property(lambda self: _part(
            self, "settings", lambda t: tuple(field_of(f) for f in t[1])))
        members = property(lambda self: _part(self, "members", lambda t: _members_of(t[2])))
        member_serials = property(lambda self: _part(
            self, "member_serials", lambda t: _serials_of(t[3])))
        standby_serials = property(lambda self: _part(
            self, "standby_serials", lambda t: _serials_of(t[4])))
        span = property(lambda self: span(self._sp))

        def field(self, name):
            return _field_at(self, (name,), 0)

        def setting(self, name):
            return _field_at(self, (name,), 1)

        def __reduce__(self):
            return (HaGroupStatus, (self.fields, self.settings, self.members,
                                    self.member_serials, self.standby_serials, self.span,
                                    self.command_index))

    _LINKED.update(Field=LinkedField, PolicyValue=LinkedPolicyValue, Slot=LinkedSlot, PolicySet=LinkedPolicySet, HsmPolicies=LinkedHsmPolicies,
                   HaGroupStatus=LinkedHaGroupStatus)
    return _LINKED
