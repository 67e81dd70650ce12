"""Load lark grammars from ``lunalint.grammar``, with a parser cache in the user cache dir.

Building the LALR tables of every grammar costs 50-140 ms, most of a cold start; loading them
from the cache costs about 3 ms. So the built parser is cached once per (lark version, grammar
text, start rule) in ``$XDG_CACHE_HOME/lunalint`` (or ``~/.cache/lunalint``;
``LUNALINT_CACHE_DIR`` overrides, ``LUNALINT_NO_CACHE=1`` disables).

The cache must never run code, whoever wrote it:

- It is JSON (lark's own serialised form, with dicts and tuples tagged so that they survive
  the trip), never pickle. Decoding builds only dicts, lists, tuples, strings, numbers,
  booleans and None; anything else in the file makes it invalid. lark then rebuilds its own
  classes from that data (it looks names up in a fixed table; nothing is imported or called).
- The directory is created with mode 0700. A directory (or file) that is not owned by the
  current user, or that others may write (group- or world-writable), is not trusted: nothing
  is read from it or written to it, the parser is built in memory.
- Files are opened relative to a descriptor of the checked directory, without following
  symbolic links, so the directory cannot be swapped between the check and the read; a
  file we do not own or others may write is ignored too.
- Writes go to a private temporary file in the same directory that is then renamed over the
  target, so concurrent runs never read a half-written cache; an unreadable, oversized or
  malformed cache is ignored and rebuilt.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

FORMAT = 1                 # bump when the file layout changes
MAX_CACHE_BYTES = 2 << 20  # the real files are 2-20 kB
_OPTIONS = dict(parser="lalr", lexer="contextual", maybe_placeholders=False)


# (hashlib, json and pathlib are imported only where a parser is built or loaded: a run whose
# lines all take the readers' fast paths needs none of them, issue 21)


def cache_dir() -> str | None:
    if os.environ.get("LUNALINT_NO_CACHE"):
        return None
    explicit = os.environ.get("LUNALINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "lunalint")


def _stem(name: str) -> str:
    return os.path.splitext(os.path.basename(name))[0]


def cache_filename(name: str, start: str = "start") -> str:
    """The cache file's name for grammar ``name`` and rule ``start`` (in :func:`cache_dir`)."""
    import hashlib

    import lark

    key = f"{FORMAT}\0{lark.__version__}\0{start}\0{_OPTIONS}\0{grammar_text(name)}"
    return f"{_stem(name)}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.lark.json"


def grammar_text(name: str) -> str:
    # The grammar package is a folder of files beside this module's package (importlib.resources
    # costs more at start-up than reading the file).
    import lunalint.grammar as package

    with open(os.path.join(os.path.dirname(package.__file__), name), encoding="utf-8") as handle:
        return handle.read()


def _lark_stamp() -> str:
    """Which lark is installed, without importing it (its version shapes the terminal
    regexes): the location, size and time of its package file."""
    from importlib.util import find_spec

    spec = find_spec("lark")
    origin = spec.origin if spec is not None else None
    if not origin:
        return "none"
    info = os.stat(origin)
    return f"{origin}:{info.st_size}:{info.st_mtime_ns}"


@cache
def terminals(name: str) -> dict[str, str]:
    """The regular expression of every terminal of grammar ``name``, by terminal name.

    The readers' fast paths are built from these, so a file whose lines all take the fast path
    never imports lark: the regexes are kept in the parser cache's trusted directory, as JSON
    (plain strings, validated, never code) that also holds the whole key they were made for
    (the installed lark and the grammar text), compared in full when read. The file name
    carries a CRC of that key only to keep files of different keys apart (a start-up path
    without hashlib, which costs more to import than the rest of this)."""
    text = grammar_text(name)
    folder = cache_dir()
    filename = key = None
    if folder is not None:
        from binascii import crc32

        key = f"{FORMAT}\0{_lark_stamp()}\0{text}"
        filename = f"{_stem(name)}-{crc32(key.encode()):08x}.terminals.lark.json"
        with _trusted(folder) as directory:
            blob = directory.read(filename) if directory is not None else None
        if blob is not None:
            found = _terminals_from(blob, key)
            if found is not None:
                return found
    found = {t.name: t.pattern.to_regexp() for t in load(name).terminals}
    if filename is not None:
        import json

        with _trusted(folder) as directory:
            if directory is not None:
                directory.write(filename, json.dumps(
                    {"lunalint_parser_cache": "terminals", "key": key, "terminals": found},
                    sort_keys=True).encode("utf-8"))
    return found


def _terminals_from(blob: bytes, key: str) -> dict[str, str] | None:
    """The terminals a cache file holds for ``key``, or None when it is damaged, forged or
    made for another key (then they are rebuilt)."""
    import json

    try:
        doc = json.loads(blob)
    except (ValueError, RecursionError):  # damaged (RecursionError: nesting too deep)
        return None
    if not isinstance(doc, dict) or doc.get("lunalint_parser_cache") != "terminals" \
            or doc.get("key") != key:
        return None
    data = doc.get("terminals")
    if isinstance(data, dict) and data and all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return data
    return None


@cache
def load(name: str, start: str = "start", transformer: Any = None) -> Any:
    """The LALR parser for grammar file ``name``; ``transformer`` runs inline (no tree)."""
    import lark

    text = grammar_text(name)
    folder = cache_dir()
    if folder is None:
        return lark.Lark(text, transformer=transformer, start=start, **_OPTIONS)
    filename = cache_filename(name, start)
    with _trusted(folder) as directory:
        if directory is not None:
            blob = directory.read(filename)
            if blob is not None:
                try:
                    return _from_json(lark, blob, start, transformer)
                except Exception:  # noqa: BLE001 - malformed or from another lark: rebuild
                    pass
        parser = lark.Lark(text, start=start, **_OPTIONS)
        try:
            blob = _to_json(lark, parser)
        except TypeError:  # a lark whose tables hold other types: no cache, still lint
            return lark.Lark(text, transformer=transformer, start=start, **_OPTIONS) \
                if transformer is not None else parser
        if directory is not None:
            directory.write(filename, blob)
    if transformer is None:
        return parser
    # Lark.load() takes no options; the dict form accepts the load-time ones (transformer).
    return _from_json(lark, blob, start, transformer)


# --------------------------------------------------------------------------- the format

def _encode(value: Any) -> Any:
    """lark's serialised data as JSON: dicts (whose keys may be ints or tuples) become
    ``{"d": [[key, value], ...]}`` and tuples ``{"t": [...]}``; nothing else is allowed."""
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode_object(obj: dict) -> Any:
    if len(obj) == 1:
        if isinstance(obj.get("t"), list):
            return tuple(obj["t"])
        pairs = obj.get("d")
        if isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs):
            return dict(pairs)  # TypeError for an unhashable key: the cache is invalid
    raise ValueError("not a lunalint parser cache")


def _to_json(lark: Any, parser: Any) -> bytes:
    import json

    data, memo = parser.memo_serialize([lark.lexer.TerminalDef, lark.grammar.Rule])
    doc = {"lunalint_parser_cache": FORMAT, "lark": lark.__version__, "data": data,
           "memo": memo}
    return json.dumps(_encode(doc), separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _from_json(lark: Any, blob: bytes, start: str, transformer: Any) -> Any:
    import json

    doc = json.loads(blob.decode("ascii"), object_hook=_decode_object)
    if not isinstance(doc, dict) or doc.get("lunalint_parser_cache") != FORMAT \
            or doc.get("lark") != lark.__version__:
        raise ValueError("not a lunalint parser cache of this version")
    data, memo = doc.get("data"), doc.get("memo")
    if not isinstance(data, dict) or not isinstance(memo, dict) \
            or not isinstance(data.get("options"), dict):
        raise ValueError("not a lunalint parser cache")
    options = data["options"]
    wanted = dict(_OPTIONS, start=[start])
    if any(options.get(k) != v for k, v in wanted.items()):
        raise ValueError("a cache built with other options")
    return lark.Lark._load_from_dict(data, memo, transformer=transformer)


# --------------------------------------------------------------------------- the directory

@contextmanager
def _trusted(path: str) -> Iterator[_Dir | None]:
    """The cache directory, created private if missing, opened and checked once; ``None`` if
    it cannot be made or is not trusted (then nothing is read from or written to it)."""
    try:
        _make_private_dir(path)
    except OSError:
        yield None
        return
    if not _DIR_FD:  # e.g. Windows: per-user profile folders, no POSIX owners
        yield _Dir(path, None) if os.path.isdir(path) else None
        return
    try:  # (a symbolic link is followed: what is checked is the directory opened)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # vanished or not a directory
        yield None
        return
    try:
        info = os.fstat(fd)
        yield _Dir(path, fd) if stat.S_ISDIR(info.st_mode) and _private(info) else None
    finally:
        os.close(fd)


class _Dir:
    """A checked cache directory; with ``fd``, names are opened relative to it."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def read(self, name: str) -> bytes | None:
        """The file's bytes if it is a regular file we own, others cannot write, and small."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
            | getattr(os, "O_BINARY", 0)
        try:
            fd = self._open(name, flags)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or not _private(info) \
                    or info.st_size > MAX_CACHE_BYTES:
                return None
            chunks, size = [], 0
            while size <= MAX_CACHE_BYTES:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks) if size <= MAX_CACHE_BYTES else None
        except OSError:
            return None
        finally:
            os.close(fd)

    def write(self, name: str, blob: bytes) -> None:
        """Write to a private temporary file here, then rename it over ``name`` (atomic),
        through :mod:`lunalint.writeout`; without descriptor-relative calls nothing is kept."""
        if self.fd is not None:
            from lunalint import writeout

            writeout.write_private(self.fd, name, blob)

    def _open(self, name: str, flags: int) -> int:
        if self.fd is not None:
            return os.open(name, flags, 0o600, dir_fd=self.fd)
        return os.open(os.path.join(self.path, name), flags, 0o600)


def _make_private_dir(path: str) -> None:
    """Create ``path`` with mode 0700 (its parents with the default mode) unless it exists."""
    from lunalint import writeout

    writeout.make_private_dirs(path)


def _private(info: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# os.replace takes dir_fd arguments where renameat exists (supports_dir_fd lists it as rename)
_DIR_FD = hasattr(os, "getuid") and os.open in os.supports_dir_fd \
    and os.rename in os.supports_dir_fd and os.unlink in os.supports_dir_fd
