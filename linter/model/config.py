"""Client configuration (``Chrystoki.conf`` brace form and ``crystoki.ini`` INI form)."""

from __future__ import annotations

import re
from lunalint.patterns import lazy
from lunalint.record import opt, record

from lunalint.model.base import Document, Span, split_items

_SECRET_KEY = lazy(r"pass|pin|secret", re.IGNORECASE)


@record
class Entry:
    """``Key = value;`` (brace form) or ``Key=value`` (INI form)."""

    key: str
    value: str
    key_span: Span
    value_span: Span
    span: Span
    # Template placeholders (see ``lunalint.readers.template``): the key or the value holds
    # one, so its rendered text is unknown; ``repeated``: the entry is inside a template loop,
    # so it stands for one or more entries.
    templated_key: bool = False
    templated_value: bool = False
    repeated: bool = False
    # Which branch of which template or shell conditional the entry is in
    # (:mod:`lunalint.readers.branches`); entries in exclusive branches are alternatives.
    branch: tuple[tuple[int, int], ...] = ()
    # An entry the configuration reader built (:func:`entry_at`) keeps its positions as
    # ``(line, key column, key end, value column, value end, end column)`` and makes its three
    # spans on first access: most entries of a run are never pointed at (issue 21).
    __slots__ = ("_at",)

    def __getattr__(self, name: str):  # only reached for a slot not set yet
        if name not in _LAZY_SPANS:
            raise AttributeError(f"'Entry' object has no attribute '{name}'")
        try:
            at = self._at
        except AttributeError:
            raise AttributeError(f"'Entry' object has no attribute '{name}'") from None
        if type(at) is int:
            # the six positions packed, 21 bits each: an entry the link stage keeps for the
            # whole run, whose spans are made on each read rather than kept (issue 21)
            line = at & _M21
            if name == "key_span":
                return Span(line, at >> 21 & _M21, line, at >> 42 & _M21)
            if name == "value_span":
                return Span(line, at >> 63 & _M21, line, at >> 84 & _M21)
            return Span(line, at >> 21 & _M21, line, at >> 105)
        line, kcol, kend, vcol, vend, end = at
        self.key_span = Span(line, kcol, line, kend)
        self.value_span = Span(line, vcol, line, vend)
        self.span = Span(line, kcol, line, end)
        return getattr(self, name)

    @property
    def templated(self) -> bool:
        return self.templated_key or self.templated_value

    @property
    def quoted(self) -> bool:
        v = self.value
        return len(v) >= 2 and v[0] == v[-1] and v[0] in "'\""

    @property
    def secret(self) -> bool:
        """True when the key may hold a password or PIN: its value must never be echoed."""
        return bool(_SECRET_KEY.search(self.key))


_LAZY_SPANS = frozenset({"key_span", "value_span", "span"})
_M21 = (1 << 21) - 1
_new = object.__new__


def entry_at(key: str, value: str, at: tuple[int, int, int, int, int, int],
             branch: tuple[tuple[int, int], ...] = ()) -> Entry:
    """An :class:`Entry` on one line whose spans are made when first read: ``at`` is
    ``(line, key column, key end column, value column, value end column, end column)``
    (1-based, ends one past the last character), or those six packed into one integer,
    21 bits each from the line up (its spans are then made on each read, never kept). Equal
    to the entry built with those spans."""
    entry = _new(Entry)
    entry.key = key
    entry.value = value
    entry.templated_key = entry.templated_value = entry.repeated = False
    entry.branch = branch
    entry._at = at
    return entry


@record
class Section:
    name: str
    header_span: Span
    name_span: Span
    entries: tuple[Entry, ...]
    branch: tuple[tuple[int, int], ...] = ()  # of its header, as for an entry
    _index: dict[str, tuple[Entry, ...]] = opt(factory=dict, init=False, repr=False,
                                                 compare=False)
    # The entries' keys as written, in order (rules compare whole lists with the catalog).
    keys: tuple[str, ...] = opt((), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entries = self.entries
        keys = [entry.key for entry in entries]
        index = self._index
        # Most sections repeat no key: each folded key maps to its one entry, built in one go
        # (a loop of setdefault and append per entry cost a fifth of building a Section).
        index.update(zip([key.casefold() for key in keys], zip(entries)))
        if len(index) < len(entries):  # some key repeats: gather its entries in file order
            index.clear()
            grouped: dict[str, list[Entry]] = {}
            for key, entry in zip(keys, entries):
                grouped.setdefault(key.casefold(), []).append(entry)
            index.update({k: tuple(v) for k, v in grouped.items()})
        self.keys = tuple(keys)

    def all(self, key: str) -> tuple[Entry, ...]:
        """Every entry whose key matches ``key`` case-insensitively, in file order."""
        return self._index.get(key.casefold(), ())

    def get(self, key: str) -> Entry | None:
        """The entry that takes effect for ``key`` (the last one), or None."""
        found = self._index.get(key.casefold())
        return found[-1] if found else None

    def __contains__(self, key: str) -> bool:
        return key.casefold() in self._index

    @property
    def repeats_keys(self) -> bool:
        """True when some key (case-insensitively) has more than one entry here."""
        return len(self._index) < len(self.entries)


@record
class ClientConfig(Document):
    """A client configuration file as ordered sections of ordered entries.

    ``form`` is ``"brace"`` for ``Chrystoki.conf`` syntax and ``"ini"`` for ``crystoki.ini``.
    ``comments`` holds every comment with its span, for inline suppressions.
    ``template_spans`` marks template syntax (ERB, Go, shell) the reader met.
    """

    form: str
    sections: tuple[Section, ...]
    comments: tuple[tuple[Span, str], ...] = ()
    template_spans: tuple[Span, ...] = ()
    # The template syntaxes met (names as ``lunalint.readers.template`` gives them), the lines
    # that are one placeholder alone (they may render to any entries: the file is "open"), and
    # the lines that open a template loop.
    template_syntaxes: tuple[str, ...] = ()
    open_lines: tuple[int, ...] = ()
    loop_lines: tuple[int, ...] = ()
    # A partial configuration: entries gathered from `configurator setValue` calls or another
    # host, not a whole file; checks that need the whole file (a missing key) do not run.
    partial: bool = False
    # The file's line ending (the first one met; "\n" when it has none), so that an edit
    # that adds lines writes the same ending, and the lines from a template loop's opening
    # line to its end (inclusive), where no edit may fall.
    newline: str = "\n"
    loop_regions: tuple[tuple[int, int], ...] = ()
    # Sections by folded name, built once: rules look sections up by name many times, and a
    # file may repeat a section thousands of times.
    # The HA groups (``ha_groups``), computed once: a dozen rules ask for them.
    _ha_groups: tuple | None = opt(None, init=False, repr=False, compare=False)
    _by_name: dict[str, tuple[Section, ...]] = opt(factory=dict, init=False,
                                                     repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Section]] = {}
        for section in self.sections:
            index.setdefault(section.name.casefold(), []).append(section)
        self._by_name.update({k: tuple(v) for k, v in index.items()})

    @property
    def is_template(self) -> bool:
        return bool(self.template_spans or self.template_syntaxes)

    @property
    def open(self) -> bool:
        """True when a key this file lacks might still come from a template placeholder, or
        the file is a partial configuration."""
        return bool(self.open_lines) or self.partial

    @property
    def kind(self) -> str:
        return "config"

    @property
    def repeats_sections(self) -> bool:
        """True when some section name (case-insensitively) is given more than once."""
        return len(self._by_name) < len(self.sections)

    def sections_named(self, name: str) -> tuple[Section, ...]:
        return self._by_name.get(name.casefold(), ())

    def section(self, name: str) -> Section | None:
        """The first section called ``name`` (case-insensitive), or None."""
        found = self.sections_named(name)
        return found[0] if found else None

    def entries(self, section: str) -> tuple[Entry, ...]:
        """All entries of every section called ``section``, in file order."""
        return tuple(e for s in self.sections_named(section) for e in s.entries)

    def get(self, section: str, key: str) -> Entry | None:
        """The entry that takes effect: the last ``key`` across repeats of ``section``."""
        for sec in reversed(self.sections_named(section)):
            entry = sec.get(key)
            if entry is not None:
                return entry
        return None

    def alternatives(self, section: str, key: str) -> tuple[Entry, ...]:
        """Every entry of ``key`` that may take effect, in file order: the last one, and
        before it each one that a later entry does not always override (the later ones sit
        in another branch of a template or shell conditional, or deeper in one). In a file
        without conditionals this is ``(get(section, key),)`` or ``()``."""
        found = [e for sec in self.sections_named(section) for e in sec.all(key)]
        if len(found) <= 1:
            return tuple(found)
        out: list[Entry] = []
        later: set[tuple[tuple[int, int], ...]] = set()
        for entry in reversed(found):
            path = entry.branch
            if not any(path[:k] in later for k in range(len(path) + 1)):
                out.append(entry)
            later.add(path)
        return tuple(reversed(out))


@record
class SlimConfig(ClientConfig):
    """A configuration after its per-file rules ran, as the later stages need it (issue 21):
    no sections and no lines, so a run over thousands of files does not keep their text.

    ``comments`` holds only the comments that mention lunalint (inline directives and
    malformed attempts at one), ``targets`` the line each of them covers (worked out from every
    comment of the file while its lines were at hand), and ``excerpts`` the masked text of the
    lines those comments are on, ``(line, text)``, exactly as the findings about them quote it.
    ``line_count`` and ``digest`` (:func:`lines_digest`) stand for the lines: the fix stage
    checks that the file it is about to edit still reads as the one that was checked."""

    targets: tuple[int, ...] = ()
    excerpts: tuple[tuple[int, str], ...] = ()
    line_count: int = 0
    digest: str = ""

    def excerpt_at(self, line: int) -> str | None:
        for number, text in self.excerpts:
            if number == line:
                return text
        return None

    def same_lines(self, lines) -> bool:
        return len(lines) == self.line_count and lines_digest(lines) == self.digest


def lines_digest(lines) -> str:
    """A digest of a file's lines (their number and their text): BLAKE2b of 32 bytes, from
    the interpreter's own module where there is one (hashlib loads OpenSSL first, a few ms of
    every run's start-up)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # (an interpreter without it)
        from hashlib import blake2b

    h = blake2b(b"%d\n" % len(lines), digest_size=32)
    if lines:  # each line and a line end after it
        h.update("\n".join(lines).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()


def same_lines(doc: Document, lines) -> bool:
    """True when ``lines`` are the lines ``doc`` was read from (a slim configuration keeps
    only their digest)."""
    if isinstance(doc, SlimConfig):
        return doc.same_lines(lines)
    return tuple(lines) == tuple(doc.lines)


_GROUP_KEY = re.compile(r"^VirtualToken([0-9]+)(Label|SN|Members|StandbyMembers)$",
                        re.IGNORECASE)
_PART_NAMES = {"label": "Label", "sn": "SN", "members": "Members",
               "standbymembers": "StandbyMembers"}


@record
class Serial:
    """One member serial as written in a ``VirtualTokenNNMembers`` list."""

    text: str
    span: Span


@record
class HaGroup:
    """An HA group defined by the ``VirtualTokenNN*`` keys of one index ``NN``."""

    index: str
    label: Entry | None
    sn: Entry | None
    members: Entry | None
    standby: Entry | None

    @property
    def anchor_entry(self) -> Entry | None:
        return self.label or self.sn or self.members or self.standby

    @property
    def name(self) -> str:
        return self.label.value if self.label is not None else f"VirtualToken{self.index}"

    @property
    def member_serials(self) -> tuple[Serial, ...]:
        return split_serials(self.members)

    @property
    def standby_serials(self) -> tuple[Serial, ...]:
        return split_serials(self.standby)


def split_serials(entry: Entry | None) -> tuple[Serial, ...]:
    """The comma-separated items of an entry's value, each with its own span."""
    if entry is None or not entry.value:
        return ()
    return tuple(Serial(text, span) for text, span in split_items(entry.value, entry.value_span))


def ha_groups(config: ClientConfig) -> tuple[HaGroup, ...]:
    """HA groups of a client config, by index, in the order their first key appears.

    When a key repeats, the last one takes effect (as for every other key).
    """
    found = config._ha_groups
    if found is None:
        found = config._ha_groups = _ha_groups(config)
    return found


def _ha_groups(config: ClientConfig) -> tuple[HaGroup, ...]:
    parts: dict[str, dict[str, Entry]] = {}
    for entry in config.entries("VirtualToken"):
        m = _GROUP_KEY.match(entry.key)
        if m:
            parts.setdefault(m.group(1), {})[_PART_NAMES[m.group(2).lower()]] = entry
    return tuple(HaGroup(index, p.get("Label"), p.get("SN"), p.get("Members"),
                         p.get("StandbyMembers")) for index, p in parts.items())


def exclusive(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """True when branch paths ``a`` and ``b`` take different arms of one conditional: what
    is written on one is never written with the other (a key set in both is no repeat)."""
    if not a or not b:
        return False
    arms = dict(a)
    return any(cid in arms and arms[cid] != arm for cid, arm in b)
