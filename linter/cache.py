"""The result cache: per-file findings and facts of unchanged files, reused across runs.

**A hint, never an authority.** An entry only saves reading and checking a file: what reaches
the output or the disk is what a fresh run gives. The fix stage never takes a client
configuration's result from the cache (:attr:`Cache.fresh_configs`): the fixes it writes are
worked out from the file's text read at fix time.

**What an entry depends on.** A file's entry sits in a *slot* named by a keyed digest (HMAC) of
how the file is shown (paths appear in findings), whether it was named, the kind the
configuration file gives it, and a prefix covering the lunalint version, a fingerprint of
lunalint's own source files, the selected rules (id, level, scope and a digest of each check
function's code) and the settings rules read (``facts``, ``firmware``). The entry holds a keyed
digest of the file's content; it is used only when the content read now has that digest. A
changed file's result replaces the old one in the same slot, so the old entry is gone, not just
unreachable; entries unused for :data:`MAX_AGE_DAYS` days are removed. The link stage and
everything after it rerun, unless the whole project is unchanged: then the project's pack
(:class:`Pack`, one per prefix and project) gives the outcome of the last run at once, under
the same trust rules.

Where: ``.lunalint_cache/`` at the project root (created private, with a ``.gitignore`` that
ignores everything in it), or ``$LUNALINT_CACHE_DIR/results`` when that is set. No project root
and no ``LUNALINT_CACHE_DIR``: no cache. ``--no-cache`` or ``LUNALINT_NO_CACHE=1`` bypass it.

**Trust checks** (through :mod:`lunalint.writeout`, which also makes every write):

1. The cache root is opened without following a link (its last component; above it is the
   project or the folder the user chose) and trusted only when it is a folder owned by the
   current user that group and others cannot write. Otherwise: no cache, nothing is read or
   written.
2. Its ``key`` file (32 random bytes, mode 0600, created exclusively when the cache is made) is
   trusted only when it is a regular file of ours that nobody else may read or write. A cache
   without a trusted key (a cache of an older lunalint, a key others could read) has every
   entry removed and gets a new key.
3. Each sub-folder and entry is opened relative to the descriptor of the folder checked before
   it, with ``O_NOFOLLOW``, and trusted only under the same owner and mode rules. A sub-folder
   that is a link or that others may write is ignored; it is moved aside, removed and made anew
   before anything is written there.
4. Each entry is authenticated with HMAC-SHA256 under the key: an entry copied from another
   cache or another slot, or recomputed with a plain digest, is rejected (and rewritten). Its
   body is JSON of plain data (never pickle, never code) decoded into the expected shapes only.

**No secret on disk.** Secret values (passwords, PINs, challenges, domains: see
:mod:`lunalint.redact`) never enter an entry. The entry keeps where each of the file's secret
values stands in the file's text (offset and length), and every string of the result that
contains one is stored as pieces around references to them; on a hit the values are taken
back from the text just read (whose digest matched), so the redaction boundary gets exactly the
values a fresh run would, and the output is byte-identical. A value that is not found as such
in the text is not cacheable: that file is not cached.

Writes go to a private temporary file in the same folder that is then renamed over the entry,
so concurrent runs never read half an entry. Nothing from the cache is read before the file
itself has been read through :mod:`lunalint.confine`: the cache saves parsing and checking,
never the confinement checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import time
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint import __version__, writeout

FORMAT = "lunalint-results/5"
PACK_FORMAT = "lunalint-pack/2"
PACK_FOLDER = "pk"  # (two letters, not hex: the daily sweep covers it, no slot folder has it)
DIRNAME = ".lunalint_cache"
KEY_NAME = "key"
KEY_BYTES = 32
MAX_ENTRY_BYTES = 256 << 20
MAX_AGE_DAYS = 30
_SWEPT = ".swept"
_MAGIC = FORMAT.encode() + b" "
_SECRET = "$s"  # a string stored as pieces around references to secret values
_IGNORE = b"# Created by lunalint: its result cache, never to be committed.\n*\n"


def location(root: str | None) -> tuple[str | None, str] | None:
    """Where the cache of a run whose project root is ``root`` lives: (a folder that must be
    private itself, or None; the cache root inside it), or None for no cache."""
    if os.environ.get("LUNALINT_NO_CACHE"):
        return None
    explicit = os.environ.get("LUNALINT_CACHE_DIR")
    if explicit:
        return explicit, "results"
    if root is None:
        return None
    return None, os.path.join(root, DIRNAME)


def _open_root(where: tuple[str | None, str], create: bool) -> int | None:
    """A descriptor of the checked cache root (trust check 1), or None."""
    outer, inner = where
    if outer is None:
        if not create and not os.path.lexists(inner):
            return None
        return writeout.open_private_root(inner, create)
    parent = writeout.open_private_root(outer, create)
    if parent is None:
        return None
    try:
        return writeout.open_private_dir(parent, inner, create)
    finally:
        os.close(parent)


def _key(root_fd: int) -> bytes | None:
    """The cache's key (trust check 2), made (and every old entry removed) when there is no
    trusted one; None when none can be had."""
    for _attempt in range(3):
        found = writeout.read_private(root_fd, KEY_NAME, KEY_BYTES)
        if found is not None and len(found[0]) == KEY_BYTES and not found[1].st_mode & 0o077:
            return found[0]
        try:
            os.stat(KEY_NAME, dir_fd=root_fd, follow_symlinks=False)
            there = True
        except FileNotFoundError:
            there = False
        except OSError:
            return None
        # Missing (a new cache, or one of an older lunalint), or not a key only we can read:
        # nothing signed with it is trusted, and what the old entries hold goes away.
        _clear(root_fd)
        if there:
            try:
                writeout.discard(root_fd, KEY_NAME)
            except OSError:
                return None
        if writeout.create_private(root_fd, KEY_NAME, os.urandom(KEY_BYTES)):
            _ignore_file(root_fd)
        # (else another run made it first: read that one)
    return None


def _ignore_file(root_fd: int) -> None:
    found = writeout.read_private(root_fd, ".gitignore", 4096)
    if found is None or found[0] != _IGNORE:
        writeout.write_private(root_fd, ".gitignore", _IGNORE)


def _clear(root_fd: int) -> None:
    """Remove every entry folder of the cache root."""
    try:
        names = os.listdir(root_fd)
    except OSError:
        return
    for name in names:
        if name not in (KEY_NAME, ".gitignore"):
            try:
                writeout.discard(root_fd, name)
            except OSError:
                pass


def _sweep(root_fd: int) -> None:
    """At most once a day: remove entries unused for :data:`MAX_AGE_DAYS` days, and
    temporary files left by a run that was killed."""
    now = time.time()
    found = writeout.read_private(root_fd, _SWEPT, 64)
    if found is not None and now - found[1].st_mtime < 86400:
        return
    writeout.write_private(root_fd, _SWEPT, b"")
    try:
        names = os.listdir(root_fd)
    except OSError:
        return
    for name in names:
        if len(name) != 2:
            continue
        sub = writeout.open_private_dir(root_fd, name, create=False)
        if sub is None:
            continue
        try:
            for entry in os.listdir(sub):
                try:
                    info = os.stat(entry, dir_fd=sub, follow_symlinks=False)
                except OSError:
                    continue
                old = now - info.st_mtime
                if old > MAX_AGE_DAYS * 86400 or (entry.startswith(".") and old > 3600):
                    writeout.remove_at(sub, entry)
        except OSError:
            pass
        finally:
            os.close(sub)


class Key:
    """Which slot a file's result goes to, and the digest of the content it was made from."""

    __slots__ = ("slot", "content", "text")

    def __init__(self, slot: str, content: str, text: str) -> None:
        self.slot, self.content, self.text = slot, content, text


class Cache:
    """Per-file results in the cache at ``where`` (see :func:`location`) for runs with the same
    ``prefix`` (see :func:`open_cache`), authenticated with ``secret``.

    Plain attributes only: it travels to worker processes, which open the cache root again
    (through the same checks) and read and write entries themselves."""

    def __init__(self, where: tuple[str | None, str], prefix: str, secret: bytes,
                 fresh_configs: bool = False) -> None:
        self.where = where
        self.prefix = prefix
        self.secret = secret
        # The fix stage: a client configuration's result is always worked out afresh.
        self.fresh_configs = fresh_configs
        self._fd: int | None = None
        self._pid = 0

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_fd"], state["_pid"] = None, 0
        return state

    def _root(self) -> int | None:
        if self._pid != os.getpid():  # a new process: descriptors are not shared
            self._fd, self._pid = _open_root(self.where, create=False), os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._pid = None, os.getpid()

    def _mac(self, *parts: bytes) -> str:
        h = hmac.new(self.secret, digestmod=hashlib.sha256)
        for part in parts:
            h.update(part)
            h.update(b"\0")
        return h.hexdigest()

    def key(self, shown: str, target: Any, loaded: Any, named: bool) -> Key:
        slot = self._mac(b"slot", _enc(self.prefix), _enc(shown),
                         _enc(str(bool(target.explicit))), _enc(target.kind or ""),
                         b"named" if named else b"context")
        return Key(slot, self.content(loaded), loaded.text)

    def content(self, loaded: Any) -> str:
        """The keyed digest of what was read of a file (its text, or why it has none)."""
        if loaded.text is None:
            return self._mac(b"unread", _enc(loaded.encoding or ""), _enc(loaded.problem or ""))
        return self._mac(b"content", _enc(loaded.encoding or ""), _enc(loaded.problem or ""),
                         _enc(loaded.text))

    def _where(self, key: Key) -> tuple[str, str]:
        return key.slot[:2], key.slot[2:40] + ".json"

    def get(self, key: Key):
        """The cached per-file result for ``key``, or None (missing, stale, corrupt, not
        authentic, or a configuration in the fix stage)."""
        root = self._root()
        if root is None:
            return None
        folder, name = self._where(key)
        sub = writeout.open_private_dir(root, folder, create=False)
        if sub is None:
            return None
        try:
            found = writeout.read_private(sub, name, MAX_ENTRY_BYTES)
        finally:
            os.close(sub)
        if found is None:
            return None
        data, info = found
        try:
            result = self._decode(key, data)
        except Exception:  # corrupt, forged, truncated or from another format: not trusted
            return None
        if result is None:
            return None
        if time.time() - info.st_mtime > 86400:  # in use: keep it from the sweep
            self._touch(folder, name)
        return result

    def _touch(self, folder: str, name: str) -> None:
        root = self._root()
        sub = None if root is None else writeout.open_private_dir(root, folder, create=False)
        if sub is None:
            return
        try:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=sub)
        except OSError:
            return
        finally:
            os.close(sub)
        try:
            writeout.touch(fd)
        finally:
            os.close(fd)

    def put(self, key: Key, result) -> None:
        """Store ``result`` for ``key``; a cache that cannot be written is simply skipped, and
        so is a result whose secret values cannot be kept out of the entry."""
        root = self._root()
        if root is None:
            return
        try:
            body = self._encode(key, result)
        except Exception:  # something that has no plain, secret-free form: do not cache it
            return
        if body is None:
            return
        data = _MAGIC + self._mac(_MAGIC, body).encode() + b"\n" + body
        folder, name = self._where(key)
        sub = writeout.open_private_dir(root, folder, create=True)
        if sub is None:
            return
        try:
            writeout.write_private(sub, name, data)
        finally:
            os.close(sub)

    # --- entries ---------------------------------------------------------------------------

    def _encode(self, key: Key, result) -> bytes | None:
        text = key.text
        secrets = sorted(result[2], key=lambda v: (-len(v), v))
        where = []
        for value in secrets:
            at = text.find(value)
            if at < 0 or not value:
                return None  # not found as such in the text: it would have to be stored
            where.append([at, len(value)])
        plain = _encode(result)
        plain[2] = []
        if secrets:
            pattern = re.compile("|".join(re.escape(v) for v in secrets))
            index = {v: i for i, v in enumerate(secrets)}
            plain = _hide(plain, pattern, index)
        body = json.dumps([FORMAT, key.slot, key.content, where, plain], ensure_ascii=True,
                          separators=(",", ":")).encode("ascii")
        if secrets and any(v.encode("utf-8", "surrogatepass") in body
                           or json.dumps(v)[1:-1].encode() in body for v in secrets
                           if len(v) >= 4):
            return None  # belt and braces: never write a secret value
        return body

    def _decode(self, key: Key, data: bytes):
        if not data.startswith(_MAGIC):
            raise ValueError("not a lunalint cache entry")
        head, _, body = data[len(_MAGIC):].partition(b"\n")
        if not hmac.compare_digest(self._mac(_MAGIC, body).encode(), head):
            raise ValueError("not an entry of this cache")
        fmt, slot, content, where, plain = json.loads(body)
        if fmt != FORMAT or slot != key.slot:
            raise ValueError("an entry for another slot")
        if content != key.content:
            return None  # the file changed since
        text = key.text
        values = []
        for at, size in where:
            if not (isinstance(at, int) and isinstance(size, int) and 0 <= at
                    and 0 < size and at + size <= len(text)):
                raise ValueError("bad secret position")
            values.append(text[at:at + size])
        if values:
            plain = _show(plain, values)
        if self.fresh_configs and isinstance(plain[0], list) and plain[0][:1] == ["config"]:
            return None
        doc, findings, _none, facts = plain
        return _decode([doc, findings, values, facts])


class Pack:
    """The whole outcome of one scope of a run, kept as one entry (issue 21): a fully warm run
    decodes one entry and skips the link stage, instead of decoding an entry per file and
    linking their facts again.

    Its slot depends only on the run's settings (the cache prefix, the project and the
    what-if versions), so a project has one pack per way of running lunalint on it, replaced
    by each run; inside, it records a keyed digest (:meth:`digest`) over every file of the
    scope (its path as shown, whether it was named, its kind, and the digest of what was read
    of it), and it is used only when the files read now give that digest. The per-file
    entries stay for runs where only some files changed.

    The same trust rules hold as for a per-file entry: authenticated with the cache key, plain
    JSON decoded into the expected shapes only, no secret value in it (each is kept as a file
    of the scope and a position in it, and read back from that file, whose digest must still
    match, on a hit), written through :mod:`lunalint.writeout`."""

    def __init__(self, cache: Cache, scope: str) -> None:
        self.cache = cache
        self.slot = cache._mac(b"pack", _enc(cache.prefix), _enc(scope))
        self.name = self.slot[:40] + ".json"

    def digest(self, files: list[tuple[str, bool, str | None, bool, str]]) -> str:
        """The digest of a scope's files: (shown path, explicit, kind, named, content)."""
        h = hmac.new(self.cache.secret, b"files\0" + self.slot.encode(), hashlib.sha256)
        for shown, explicit, kind, named, content in files:
            h.update(b"\0".join((_enc(shown), b"1" if explicit else b"0", _enc(kind or ""),
                                 b"1" if named else b"0", content.encode())) + b"\n")
        return h.hexdigest()

    def exists(self) -> bool:
        root = self.cache._root()
        if root is None:
            return False
        sub = writeout.open_private_dir(root, PACK_FOLDER, create=False)
        if sub is None:
            return False
        try:
            os.stat(self.name, dir_fd=sub, follow_symlinks=False)
            return True
        except OSError:
            return False
        finally:
            os.close(sub)

    def get(self, digest: str, text_of) -> tuple | None:
        """(findings, documents, skipped, unused, secret values) of the scope whose files give
        ``digest``, or None. ``text_of(i)`` is the text of the scope's ``i``-th file, read
        again, or None when it no longer has the digest it had."""
        root = self.cache._root()
        if root is None or self.cache.fresh_configs:
            return None
        sub = writeout.open_private_dir(root, PACK_FOLDER, create=False)
        if sub is None:
            return None
        try:
            found = writeout.read_private(sub, self.name, MAX_ENTRY_BYTES)
        finally:
            os.close(sub)
        if found is None:
            return None
        data, info = found
        try:
            result = self._decode(digest, data, text_of)
        except Exception:  # corrupt, forged, truncated or from another format: not trusted
            return None
        if result is not None and time.time() - info.st_mtime > 86400:
            self.cache._touch(PACK_FOLDER, self.name)
        return result

    def _decode(self, digest: str, data: bytes, text_of) -> tuple | None:
        magic = PACK_FORMAT.encode() + b" "
        if not data.startswith(magic):
            raise ValueError("not a lunalint pack")
        body, _, mac = data[len(magic):].rpartition(b"\n")
        if not hmac.compare_digest(self.cache._mac(magic, body).encode(), mac):
            raise ValueError("not a pack of this cache")
        # (the digest is the body's first field: a pack of other files is not decoded)
        if not body.startswith(b'["' + digest.encode() + b'",'):
            return None
        got, slot, where, plain = json.loads(body)
        if got != digest or slot != self.slot:
            return None
        values = []
        for index, at, size in where:
            if not all(isinstance(n, int) for n in (index, at, size)) or at < 0 or size <= 0:
                raise ValueError("bad secret position")
            text = text_of(index)
            if text is None or at + size > len(text):
                return None  # that file changed since the digest was taken
            values.append(text[at:at + size])
        if values:
            plain = _show(plain, values)
        findings, documents, skipped, unused = plain
        return (_findings_of(findings), [_doc_of(d) for d in documents],
                [_text(s) for s in skipped], [_text(s) for s in unused], frozenset(values))

    def put(self, digest: str, findings: list, documents: list, skipped: list, unused: list,
            secrets_of: dict[int, frozenset], text_of) -> None:
        """Keep a scope's outcome. ``secrets_of`` gives the secret values each file of the
        scope (by index) gave; ``text_of(i)`` that file's text as digested (or None). Nothing is
        kept when a value cannot be found as such in its file (it would have to be stored).

        The entry is written as it is encoded, a batch of findings at a time, with its digest
        at the end: the run never holds a second copy of its outcome."""
        root = self.cache._root()
        if root is None or self.cache.fresh_configs:
            return
        where = _positions(secrets_of, text_of)
        if where is None:
            return
        sub = writeout.open_private_dir(root, PACK_FOLDER, create=True)
        if sub is None:
            return
        try:
            writeout.write_private(sub, self.name, self._signed(
                self._pieces(digest, where, findings, documents, skipped, unused)))
        except Exception:  # something with no plain, secret-free form: nothing is kept
            pass
        finally:
            os.close(sub)

    def _signed(self, pieces):
        """``pieces`` after the format's name, then the keyed digest of all of them."""
        magic = PACK_FORMAT.encode() + b" "
        h = hmac.new(self.cache.secret, magic + b"\0", hashlib.sha256)
        size = 0
        yield magic
        for piece in pieces:
            size += len(piece)
            if size > MAX_ENTRY_BYTES:
                raise OSError("too large to keep")
            h.update(piece)
            yield piece
        h.update(b"\0")
        yield b"\n" + h.hexdigest().encode()

    def _pieces(self, digest, where, findings, documents, skipped, unused):
        values, index, _where = where
        pattern = (re.compile("|".join(re.escape(v) for v in
                                       sorted(values, key=lambda v: (-len(v), v))))
                   if values else None)
        needles = [n for v in values if len(v) >= 4
                   for n in (v.encode("utf-8", "surrogatepass"), json.dumps(v)[1:-1].encode())]

        def dump(value) -> bytes:
            if pattern is not None:
                value = _hide(value, pattern, index)
            out = json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")
            if any(n in out for n in needles):
                raise ValueError("a secret value would be written")  # belt and braces
            return out

        yield dump([digest, self.slot, where[2]])[:-1] + b",[["
        batch = 256
        first = True
        pending: list = []
        for f in _then_none(findings):
            if f is not None:
                pending.append(_finding(f))
            if pending and (f is None or len(pending) >= batch):
                # (read in order, a batch at a time: a store of findings is never unpacked)
                yield (b"" if first else b",") + dump(pending)[1:-1]
                first, pending = False, []
        yield b"],["
        for start in range(0, len(documents), batch):
            part = dump([_doc(d) for d in documents[start:start + batch]])[1:-1]
            yield (b"," if start else b"") + part
        yield b"]," + dump([list(skipped), list(unused)])[1:-1] + b"]]"


def _then_none(items):
    yield from items
    yield None


def _positions(secrets_of: dict[int, frozenset], text_of):
    """(values, {value: reference}, [[file, offset, length], …]) of a scope's secret values,
    each found in the file that gave it; None when one is not there as such."""
    where: list[list[int]] = []
    placed: dict[str, int] = {}
    for index in sorted(secrets_of):
        values = sorted(secrets_of[index] - placed.keys(), key=lambda v: (-len(v), v))
        if not values:
            continue
        text = text_of(index)
        if text is None:
            return None
        for value in values:
            at = text.find(value) if value else -1
            if at < 0:
                return None
            placed[value] = len(where)
            where.append([index, at, len(value)])
    return list(placed), placed, where


def _hide(value: Any, pattern: re.Pattern, index: dict) -> Any:
    """``value`` with every string that contains a secret value stored as pieces."""
    if isinstance(value, str):
        if pattern.search(value) is None:
            return value
        pieces: list = []
        last = 0
        for m in pattern.finditer(value):
            pieces += [value[last:m.start()], index[m.group()]]
            last = m.end()
        pieces.append(value[last:])
        return {_SECRET: pieces}
    if isinstance(value, (list, tuple)):
        return [_hide(v, pattern, index) for v in value]
    if isinstance(value, dict):
        return {k: _hide(v, pattern, index) for k, v in value.items()}
    return value


def _show(value: Any, values: list[str]) -> Any:
    """The reverse of :func:`_hide`, with the values read from the file's text."""
    if isinstance(value, list):
        return [_show(v, values) for v in value]
    if isinstance(value, dict):
        if set(value) == {_SECRET}:
            return "".join(p if isinstance(p, str) else values[p] for p in value[_SECRET])
        return {k: _show(v, values) for k, v in value.items()}
    return value


def open_cache(root: str | None, rules: list, settings: Any,
               fresh_configs: bool = False) -> Cache | None:
    """The cache for a run over ``root`` with ``rules`` and ``settings``, or None."""
    where = location(root)
    if where is None:
        return None
    fd = _open_root(where, create=True)
    if fd is None:
        return None
    try:
        secret = _key(fd)
        if secret is None:
            return None
        _sweep(fd)
    finally:
        os.close(fd)
    h = hashlib.sha256()
    for part in (FORMAT, __version__, sys.version, _source_fingerprint(), _rules_fingerprint(rules),
                 repr(getattr(settings, "facts", ())), repr(getattr(settings, "firmware", ())),
                 str(getattr(settings, "root", "")), str(root)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return Cache(where, h.hexdigest(), secret, fresh_configs)


def _source_fingerprint() -> str:
    """Name, size and modification time of every file of lunalint itself (its rules, grammars
    and data included), so an upgrade or an edit of lunalint never reuses old results."""
    import lunalint
    import lunalint.rules

    parts = []
    for top in sorted({os.path.dirname(lunalint.__file__),
                       os.path.dirname(lunalint.rules.__file__)}):
        for here, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                try:
                    info = os.stat(os.path.join(here, name))
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(os.path.join(here, name), top)}:{info.st_size}:"
                             f"{info.st_mtime_ns}")
    return "\n".join(parts)


def _code_digest(code, h) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _code_digest(const, h)
        else:
            h.update(repr(const).encode("utf-8", "surrogatepass"))


def _rules_fingerprint(rules: list) -> str:
    """Each selected rule's id, origin, level, scope, and a digest of its check's code and of
    the file that defines it (plugins change without lunalint changing)."""
    parts = []
    for rule in rules:
        h = hashlib.sha256()
        check = rule.check
        code = getattr(check, "__code__", None)
        if code is not None:
            _code_digest(code, h)
        module = sys.modules.get(getattr(check, "__module__", "") or "")
        path = getattr(module, "__file__", None)
        if path and rule.origin != "lunalint":
            try:
                info = os.stat(path)
                h.update(f"{path}:{info.st_size}:{info.st_mtime_ns}".encode())
            except OSError:
                pass
        policy = getattr(rule, "policy", None)
        if policy is not None:  # an organisation policy: its whole definition
            h.update(repr(policy).encode("utf-8", "surrogatepass"))
        parts.append(f"{rule.id}:{rule.origin}:{int(rule.level)}:{rule.scope}:"
                     f"{rule.uses_workspace}:{h.hexdigest()}")
    return "\n".join(parts)


# --- plain forms --------------------------------------------------------------------------


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _sp(span) -> list:
    return [span.line, span.column, span.end_line, span.end_column]


def _encode(result) -> list:
    doc, findings, secrets, file_facts = result
    return [_doc(doc), [_finding(f) for f in findings], sorted(secrets),
            [f.plain() for f in file_facts]]


def _doc(doc) -> list | None:
    from lunalint.engine import Linted, Unreadable
    from lunalint.model.base import Host
    from lunalint.model.config import SlimConfig

    if doc is None:
        return None
    problems = [[_sp(p.span), p.message, p.region, p.follows] for p in doc.problems]
    if type(doc) is SlimConfig:
        if doc.sections or doc.template_spans or doc.lines:
            raise ValueError("only slim models are cached")
        return ["config", doc.path, problems, doc.form,
                [[_sp(s), text] for s, text in doc.comments], list(doc.template_syntaxes),
                list(doc.open_lines), list(doc.loop_lines), doc.partial, doc.newline,
                [list(r) for r in doc.loop_regions], list(doc.targets),
                [[n, text] for n, text in doc.excerpts], doc.line_count, doc.digest]
    if isinstance(doc, Unreadable):
        return ["unreadable", doc.path, problems]
    if isinstance(doc, Linted):
        return ["linted", doc.path, problems, doc.of_kind]
    if type(doc) is Host and not doc.lines:
        return ["host", doc.path, problems, [_doc(part) for part in doc.parts]]
    raise ValueError("only slim models are cached")


def _finding(f) -> list:
    if f.suppression is not None:
        raise ValueError("suppressions are decided after the cache")
    # (thinned related locations keep how many there were: the message the pipeline adds
    # when it cuts them to the shown number counts them)
    total = getattr(f.related, "total", None)
    return [f.rule, int(f.level), f.message, f.path, _sp(f.span), f.anchor,
            [[r.path, _sp(r.span), r.message] for r in f.related], f.intentional, f.help_uri,
            f.excerpt, _fix(f.fix), f.proposed, total]


def _fix(fix) -> list | None:
    if fix is None:
        return None
    return [fix.applicability, fix.description,
            [[_sp(e.span), e.replacement] for e in fix.edits]]


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _problems(items) -> tuple:
    from lunalint.facts import span
    from lunalint.model.base import SyntaxProblem

    return tuple(SyntaxProblem(span(s), _text(m), None if r is None else int(r), bool(f))
                 for s, m, r, f in items)


def _fix_of(data):
    from lunalint.facts import span
    from lunalint.findings import Edit, Fix

    if data is None:
        return None
    applicability, description, edits = data
    return Fix(_text(applicability), tuple(Edit(span(s), _text(r)) for s, r in edits),
               _text(description))


def _findings_of(items) -> list:
    from lunalint.facts import span
    from lunalint.findings import Finding, Level, Location, Related

    out = []
    for rule, level, message, path, sp, anchor, related, intentional, help_uri, excerpt, \
            fix, proposed, total in items:
        where = tuple(Location(_text(p), span(s), _text(m)) for p, s, m in related)
        if total is not None:
            where = Related(where, int(total))
        out.append(Finding(
            _text(rule), Level(level), _text(message), _text(path), span(sp), _text(anchor),
            where, bool(intentional), None, _text(help_uri),
            None if excerpt is None else _text(excerpt), fix=_fix_of(fix),
            proposed=bool(proposed)))
    return out


def _decode(plain: list):
    """A per-file result from its plain form (secret values already put back); raises on
    anything but the expected shapes."""
    from lunalint.facts import FileFacts

    doc, findings, secrets, plain_facts = plain
    return (_doc_of(doc), _findings_of(findings), frozenset(_text(s) for s in secrets),
            tuple(FileFacts.from_plain(f) for f in plain_facts))


def _doc_of(doc):
    from lunalint.engine import Linted, Unreadable
    from lunalint.facts import span
    from lunalint.model.base import Host
    from lunalint.model.config import SlimConfig

    if doc is None:
        return None
    kind = doc[0]
    if kind == "config":
        _, path, probs, form, comments, syntaxes, open_lines, loop_lines, partial, \
            newline, loop_regions, targets, excerpts, line_count, digest = doc
        comments = tuple((span(s), _text(c)) for s, c in comments)
        targets = tuple(int(n) for n in targets)
        if len(targets) != len(comments):
            raise ValueError("a target for each directive")
        return SlimConfig(_text(path), (), _problems(probs), _text(form), (), comments, (),
                          tuple(_text(x) for x in syntaxes),
                          tuple(int(n) for n in open_lines), tuple(int(n) for n in loop_lines),
                          bool(partial), _text(newline),
                          tuple((int(a), int(b)) for a, b in loop_regions), targets,
                          tuple((int(n), _text(t)) for n, t in excerpts), int(line_count),
                          _text(digest))
    if kind == "unreadable":
        _, path, probs = doc
        return Unreadable(_text(path), (), _problems(probs))
    if kind == "linted":
        _, path, probs, of_kind = doc
        return Linted(_text(path), (), _problems(probs), of_kind=_text(of_kind))
    if kind == "host":
        _, path, probs, parts = doc
        return Host(_text(path), (), _problems(probs),
                    parts=tuple(_doc_of(part) for part in parts))
    raise ValueError(f"unknown document kind {kind!r}")
