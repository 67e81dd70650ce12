"""Findings held by file, compactly, in report order (issue 21: flat memory).

A scope's findings pass through several stages after linking (related locations capped,
levels, suppressions, redaction, a baseline) and then to one or more reports. As lists of
objects they cost about 0.9 KB each, 11 MB on an estate of 1,200 sites, and that grew with the
estate. :class:`FindingStore` keeps them grouped by the file they were reported on, each group
as the chunks it was given in, and (when ``compact``) each chunk pickled and compressed with
the first few chunks as zlib's preset dictionary. A stage is a function from one file's
findings, in order, to that file's findings (:meth:`FindingStore.map`): it sees one group at
a time, and the store it makes holds that group's result compressed again. Reports read a
:class:`View`, which applies its functions to each group as it is read, so a report of any
size holds one file's findings at a time.

The order is the scope-wide order of :attr:`Finding.sort_key`, whose first item is the path:
groups in the order of their key, each group sorted stably in the order its findings were
given, which is exactly a stable sort of the whole list. A stage may change what the sort
key reads (a capped message, a redacted path); the store it makes keeps each group under the
key it had and says whether its groups are already in their final order (``ordered``), so the
order stays the one the findings had where the pipeline sorted them.

Only this process reads what it pickled: nothing here is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from lunalint.findings import Finding


def sort_key(f: Finding) -> tuple:
    """The scope-wide order of findings (a key function)."""
    return f.sort_key


class Findings(Sequence):
    """What :class:`FindingStore` and :class:`View` share: a read-only sequence of findings
    read one group (file) at a time. Indexing reads the whole sequence (meant for tests and
    small runs); iterating does not."""

    def keyed(self) -> Iterator[tuple[str, list]]:  # pragma: no cover - abstract
        """``(key, group)`` for each file, in order."""
        raise NotImplementedError

    def groups(self) -> Iterator[list]:
        for _key_, group in self.keyed():
            yield group

    def map(self, stage: Callable[[list], list], *, ordered: bool) -> FindingStore:
        """A store of ``stage`` applied to each group, in order (each group is read once).
        ``ordered``: the groups ``stage`` returns are in their final order (else they are
        sorted again when read)."""
        out = FindingStore(compact=self.compact, ordered=ordered)
        for key, group in self.keyed():
            result = stage(group)
            if result:
                out._add(key, list(result))
        return out

    @property
    def compact(self) -> bool:
        return False

    def __iter__(self) -> Iterator[Finding]:
        for group in self.groups():
            yield from group

    def __len__(self) -> int:
        return sum(len(group) for group in self.groups())

    def __bool__(self) -> bool:
        return any(self.groups())

    def __getitem__(self, index):
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, Findings)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def view(self, stage: Callable[[list], list]) -> View:
        """This sequence with ``stage`` applied to each group as it is read."""
        return View(self, stage)


class View(Findings):
    """A sequence read through a stage (a filter, redaction) that is applied again at each
    reading, one group at a time: nothing is kept."""

    def __init__(self, base: Findings, stage: Callable[[list], list]) -> None:
        self._base = base
        self._stage = stage

    @property
    def compact(self) -> bool:
        return self._base.compact

    def keyed(self) -> Iterator[tuple[str, list]]:
        stage = self._stage
        for key, group in self._base.keyed():
            out = stage(group)
            if out:
                yield key, out


class FindingStore(Findings):
    """Findings by file (see the module). ``compact``: chunks pickled and compressed; else
    kept as lists (a small run: no encoding).

    Compact chunks are compressed together, :data:`SEGMENT` at a time, in the order they
    come (issue 21: compressed one by one, an estate's chunks took 0.86 MB per 1,200 sites
    and 2,400 small objects; in runs of 32, 0.33 MB, in less time). A file's chunk is then a
    number: its segment and its place there. The segment being filled is kept as it is, and
    the last few segments read stay decoded: files are read in path order, which is nearly
    the order they were linted in, so a segment is seldom decoded twice; when it is, that
    costs one segment's decoding, whatever the order."""

    SEGMENT = 32  # chunks compressed together
    DECODED = 4  # segments kept decoded after reading
    HOW = (6, -15, 8)  # zlib level, window bits (32 KB, raw deflate), memory level

    def __init__(self, findings: Iterable[Finding] = (), *, compact: bool = False,
                 ordered: bool = False) -> None:
        # key -> its chunk, or a tuple of its chunks (a chunk: a list, or a number when
        # compact)
        self._chunks: dict[str, object] = {}
        self._count = 0
        self._compact = compact
        self._ordered = ordered  # each group is already in its final order
        self._segments: list[bytes] = []  # compressed, each SEGMENT chunks
        self._filling: list[list] = []  # the chunks of the next segment
        self._zdict = b""  # the end of the first segment's pickle, for the others
        self._decoded: dict[int, list[list]] = {}  # segment -> its chunks (last read last)
        self.extend(findings)

    @property
    def compact(self) -> bool:
        return self._compact

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add ``findings`` (any order): each goes to the group of its path."""
        by_path: dict[str, list] = {}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        for path, group in by_path.items():
            self._add(path, group)

    def _add(self, key: str, group: list) -> None:
        self._count += len(group)
        chunk = self._encode(group)
        held = self._chunks.get(key)
        if held is None:
            self._chunks[key] = chunk
        elif type(held) is tuple:
            self._chunks[key] = (*held, chunk)
        else:
            self._chunks[key] = (held, chunk)

    def keyed(self) -> Iterator[tuple[str, list]]:
        for key in sorted(self._chunks):
            yield key, self._group(key)

    def _group(self, key: str) -> list:
        held = self._chunks[key]
        group: list = []
        for chunk in (held if type(held) is tuple else (held,)):
            group.extend(self._decode(chunk))
        if not self._ordered:
            group.sort(key=sort_key)
        return group

    def take(self, other: Findings) -> None:
        """Add every finding of ``other``, each file's under its key."""
        for key, group in other.keyed():
            self._add(key, group)

    # --- encoding ----------------------------------------------------------------------------

    def _encode(self, group: list):
        if not self._compact:
            return group
        number = len(self._segments) * self.SEGMENT + len(self._filling)
        self._filling.append(group)
        if len(self._filling) == self.SEGMENT:
            self._close()
        return number

    def _close(self) -> None:
        import pickle

        from lunalint.facts import deflate

        data = pickle.dumps(self._filling, 5)
        self._segments.append(deflate(data, self._zdict, self.HOW))
        if not self._zdict:
            self._zdict = data[-(1 << -self.HOW[1]):]
        self._filling = []

    def _decode(self, chunk) -> list:
        if type(chunk) is not int:
            return chunk
        segment, place = divmod(chunk, self.SEGMENT)
        if segment == len(self._segments):
            return self._filling[place]
        chunks = self._decoded.pop(segment, None)
        if chunks is None:
            import pickle

            from lunalint.facts import inflate

            chunks = pickle.loads(inflate(self._segments[segment],
                                          self._zdict if segment else b"", self.HOW[1]))
            if len(self._decoded) >= self.DECODED:
                del self._decoded[next(iter(self._decoded))]
        self._decoded[segment] = chunks  # (the last read last)
        return chunks[place]


def held(findings: Iterable[Finding]) -> Findings:
    """``findings`` as a :class:`Findings` sequence (a store or view is kept as it is)."""
    if isinstance(findings, Findings):
        return findings
    return FindingStore(findings)
