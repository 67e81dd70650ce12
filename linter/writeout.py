"""Writing: the one place lunalint writes to disk — the mirror of :mod:`lunalint.confine`.

Fixes, reports (``--output``, ``--report FORMAT:PATH``), baselines (``--write-baseline``),
result-cache entries and parser-cache files are all written here; no other module opens a file
for writing, renames or removes one (a test greps the package for it).

- **Walking.** A target path is opened folder by folder from ``/`` (or the current folder), each
  folder relative to the descriptor of the one before, with ``O_NOFOLLOW | O_DIRECTORY``. Inside
  a *guarded* folder (the project root; without a project, the current folder or the folders
  the user named) a folder that is a symbolic link is refused; above it, the user's own route is
  followed (``/tmp`` may be a link). ``..`` goes to the real parent of the folder reached, as
  the operating system resolves it (``outlink/../x`` is where ``outlink`` points, not here).
- **Replacing.** The data goes to a new private temporary file created in that same folder
  descriptor (``O_CREAT | O_EXCL | O_NOFOLLOW``), is given its mode (and, for fixes, the old
  file's owner and group), synced, and renamed over the name inside that descriptor
  (``renameat``). A link at the name is replaced, never written through; a folder swapped for a
  link after the walk does not move the write, since the descriptor is the folder that was
  checked.
- **Outputs** (reports, baselines) are never written through a link, never over a directory,
  and never over a file read as input in the run (same device and inode). A FIFO or device is
  refused inside the guarded folder; outside it (``-o /dev/null``) it is written in place.
- **Fixes** are written only to a regular file inside the guarded folder, still holding the bytes
  that were read, not read-only (no write bit), keeping mode, owner and group.
- **Private stores** (caches): folders and files owned by the current user that group and others
  cannot write; anything else is not trusted (and a bad sub-folder is moved aside and made anew,
  never written into).

Every refusal is a :class:`Refused` whose text is one line for the user.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence


class Refused(Exception):
    """A write lunalint will not make; ``str()`` says why in one line."""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR = os.O_RDONLY | _DIRECTORY | _CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
# Descriptor-relative calls (openat, renameat, unlinkat) where the platform has them.
HAVE_DIR_FD = hasattr(os, "getuid") and os.open in os.supports_dir_fd \
    and os.rename in os.supports_dir_fd and os.unlink in os.supports_dir_fd \
    and os.stat in os.supports_dir_fd and os.mkdir in os.supports_dir_fd


def _why(error: OSError) -> str:
    return error.strerror or str(error)


def _inside(path: str, folders: Sequence[str]) -> bool:
    return any(path == g or path.startswith(os.path.join(g, "")) for g in folders)


class Folder:
    """An open folder reached by :func:`folder_of`: its descriptor and real path."""

    def __init__(self, fd: int, real: str, name: str) -> None:
        self.fd, self.real, self.name = fd, real, name

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def folder_of(path: str, guard: Iterable[str]) -> Folder:
    """The folder holding the last component of ``path``, walked as the module docstring says
    (links refused inside ``guard``); raises :class:`Refused`."""
    if not HAVE_DIR_FD:
        return _portable_folder(path)
    joined = path if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    head, name = os.path.split(joined)
    if name in ("", ".", ".."):
        raise Refused("not a file name")
    guards = [os.path.realpath(g) for g in guard]
    here = os.sep
    fd = os.open(os.sep, _DIR)
    try:
        for part in head.split(os.sep):
            if part in ("", "."):
                continue
            if part == "..":
                nfd = os.open("..", _DIR, dir_fd=fd)
                here = os.path.dirname(here)
            else:
                try:
                    nfd = os.open(part, _DIR | _NOFOLLOW, dir_fd=fd)
                    here = os.path.join(here, part)
                except OSError as error:
                    if error.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise Refused(f"cannot open the folder {part!r}: {_why(error)}") from None
                    try:
                        info = os.stat(part, dir_fd=fd, follow_symlinks=False)
                    except OSError:
                        info = None
                    if info is None or not stat.S_ISLNK(info.st_mode):
                        raise Refused(f"{part!r} on the way is not a folder") from None
                    if _inside(here, guards):
                        raise Refused(f"the folder {part!r} on its path is a symbolic link; "
                                      "lunalint never writes through a link") from None
                    try:
                        nfd = os.open(part, _DIR, dir_fd=fd)  # the user's route, outside
                    except OSError as error2:
                        raise Refused(f"cannot open the folder {part!r}: "
                                      f"{_why(error2)}") from None
                    here = os.path.realpath(os.path.join(here, part))
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return Folder(fd, here, name)


def _portable_folder(path: str) -> Folder:
    """Where descriptor-relative calls are missing (Windows): the folder by path, refused
    when any part of it is a link (checked by path, so not proof against a race)."""
    full = os.path.abspath(path)
    head, name = os.path.split(full)
    if not name:
        raise Refused("not a file name")
    if os.path.realpath(head) != os.path.normpath(head):
        raise Refused("a folder on its path is a symbolic link; lunalint never writes through "
                      "a link")
    return Folder(-1, os.path.realpath(head), name)


def _stat_at(folder: Folder, name: str) -> os.stat_result | None:
    try:
        if folder.fd < 0:
            return os.lstat(os.path.join(folder.real, name))
        return os.stat(name, dir_fd=folder.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _kind(info: os.stat_result) -> str:
    mode = info.st_mode
    return ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")


def _stream(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _chunks(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    """``data`` as pieces: a report may come streamed, one piece at a time."""
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _write_all(fd: int, data: bytes | Iterable[bytes]) -> None:
    for chunk in _chunks(data):
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]


def replace_at(dir_fd: int, name: str, data: bytes | Iterable[bytes], mode: int = 0o600,
               owner: tuple[int, int] | None = None, sync: bool = True) -> None:
    """Write ``data`` to a new temporary file in the folder ``dir_fd``, then rename it over
    ``name`` there (atomic; a link at ``name`` is replaced, not followed). Raises OSError."""
    tmp = f".{name[:64]}.lunalint-{os.getpid()}-{os.urandom(6).hex()}.tmp"
    if dir_fd < 0:
        raise OSError(errno.ENOTSUP, "this platform cannot replace files safely")
    fd = os.open(tmp, _NEW, 0o600, dir_fd=dir_fd)
    try:
        try:
            _write_all(fd, data)
            if owner is not None:
                info = os.fstat(fd)
                if (info.st_uid, info.st_gid) != owner:
                    os.fchown(fd, *owner)
            os.fchmod(fd, mode)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def _portable_replace(path: str, data: bytes | Iterable[bytes], mode: int) -> None:
    """A temporary file beside ``path`` renamed over it, by path (no descriptor calls)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".lunalint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in _chunks(data):
                handle.write(chunk)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- outputs

def input_ids(paths: Iterable[str], missing: list[str] | None = None) -> set[tuple[int, int]]:
    """Device and inode of each path that exists (the files read in a run); the paths that
    cannot be looked up are added to ``missing`` when it is given."""
    out = set()
    for path in paths:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            if missing is not None:
                missing.append(path)
            continue
        out.add((info.st_dev, info.st_ino))
    return out


def check_output(path: str, guard: Iterable[str], inputs: set[tuple[int, int]],
                 what: str = "a report") -> None:
    """Raise :class:`Refused` when a report or baseline may not be written at ``path``."""
    guard = list(guard)
    try:
        with folder_of(path, guard) as folder:
            _check_target(folder, inputs, what, guard)
    except OSError as error:
        raise Refused(_why(error)) from None


def _check_target(folder: Folder, inputs: set[tuple[int, int]], what: str,
                  guard: Iterable[str] = ()) -> os.stat_result | None:
    info = _stat_at(folder, folder.name)
    if info is None:
        return None
    if _stream(info) and not _inside(folder.real, [os.path.realpath(g) for g in guard]):
        return info  # `-o /dev/null`: a device or pipe you name outside the project
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"it is {_kind(info)}; {what} is written only to a new or regular file")
    if (info.st_dev, info.st_ino) in inputs:
        raise Refused("it is a file this run read as input; lunalint never writes over its "
                      "input: write it somewhere else")
    return info


def output(path: str, data: bytes | Iterable[bytes], guard: Iterable[str],
           inputs: set[tuple[int, int]] = frozenset(), what: str = "a report") -> None:
    """Write a report or baseline atomically (see the module docstring); raises
    :class:`Refused` (a refusal or an OS error, as one line)."""
    guard = list(guard)
    try:
        with folder_of(path, guard) as folder:
            info = _check_target(folder, inputs, what, guard)
            if info is not None and _stream(info):  # written in place, never replaced
                fd = os.open(folder.name, os.O_WRONLY | _NOFOLLOW | _CLOEXEC
                             | getattr(os, "O_NONBLOCK", 0), dir_fd=folder.fd)
                try:
                    _write_all(fd, data)
                finally:
                    os.close(fd)
                return
            mode = stat.S_IMODE(info.st_mode) if info else 0o666 & ~_umask()
            if folder.fd < 0:
                _portable_replace(os.path.join(folder.real, folder.name), data, mode)
            else:
                replace_at(folder.fd, folder.name, data, mode)
    except OSError as error:
        raise Refused(_why(error)) from None


# --------------------------------------------------------------------------- fixes

def rewrite(path: str, expected: bytes, data: bytes, guard: Iterable[str]) -> str | None:
    """Replace the client configuration ``path`` by ``data`` if it is still the regular file
    holding ``expected`` inside ``guard`` (see the module docstring); the reason when not."""
    guard = list(guard)
    try:
        folder = folder_of(path, guard)
    except Refused as why:
        return str(why)
    except OSError as error:
        return f"cannot reach its folder: {_why(error)}"
    with folder:
        if folder.fd < 0:
            return "this platform cannot replace files safely (no descriptor-relative calls)"
        if not _inside(folder.real, [os.path.realpath(g) for g in guard]):
            return "its folder is outside the project (reached through a link?)"
        try:
            fd = os.open(folder.name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _BINARY
                         | getattr(os, "O_NONBLOCK", 0), dir_fd=folder.fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                return "a symbolic link; fixes are written only to regular files"
            return f"cannot read the file again: {_why(error)}"
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return "not a regular file"
            chunks, size = [], 0
            while size <= len(expected):
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if b"".join(chunks) != expected:
                return "the file changed while lunalint was checking it"
        except OSError as error:
            return f"cannot read the file again: {_why(error)}"
        finally:
            os.close(fd)
        mode = stat.S_IMODE(info.st_mode)
        if not mode & 0o222:
            return "the file is read-only (no write permission); lunalint does not replace it"
        if not os.access(folder.name, os.W_OK, dir_fd=folder.fd, follow_symlinks=False):
            return "you may not write the file"
        try:
            replace_at(folder.fd, folder.name, data, mode, owner=(info.st_uid, info.st_gid))
        except PermissionError as error:
            return f"cannot write it keeping its owner, group and mode: {_why(error)}"
        except OSError as error:
            return f"cannot write the file: {_why(error)}"
    return None


# --------------------------------------------------------------------------- private stores

def private(info: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def make_private_dirs(path: str) -> None:
    """Create the folder ``path`` with mode 0700 (its missing parents with the default mode)
    unless something is there already; raises OSError."""
    if os.path.lexists(path):
        return
    parent = os.path.dirname(os.path.abspath(path))
    if parent and not os.path.lexists(parent):
        os.makedirs(parent, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:  # another run made it first; it is checked like any other
        pass


def open_private_root(path: str, create: bool) -> int | None:
    """A descriptor of the private folder ``path`` (its last component not a link), created
    with mode 0700 when missing and ``create``; None when missing or not trusted."""
    if not HAVE_DIR_FD:
        return None
    if create:
        try:
            make_private_dirs(path)
        except OSError:
            return None
    try:
        fd = os.open(path, _DIR | _NOFOLLOW)
    except OSError:
        return None
    return _kept_if_private(fd)


def _kept_if_private(fd: int) -> int | None:
    """``fd`` when the folder it opens is private (see :func:`private`), else closed: None."""
    try:
        if private(os.fstat(fd)):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def open_private_dir(parent: int, name: str, create: bool) -> int | None:
    """A descriptor of the private folder ``name`` in the trusted folder ``parent``. A folder
    that is missing is made (with ``create``); one that is a link, not ours, or that others may
    write is not trusted: with ``create`` it is moved aside and removed, and made anew."""
    try:
        fd = os.open(name, _DIR | _NOFOLLOW, dir_fd=parent)
    except FileNotFoundError:
        fd = None
    except OSError:
        fd = -1  # a link, or not a folder
    if fd is not None and fd >= 0 and _kept_if_private(fd) is not None:
        return fd
    if not create:
        return None
    try:
        if fd is not None:
            discard(parent, name)
        os.mkdir(name, 0o700, dir_fd=parent)
    except FileExistsError:
        pass  # made meanwhile by another run: checked below like any other
    except OSError:
        return None
    try:
        fd = os.open(name, _DIR | _NOFOLLOW, dir_fd=parent)
    except OSError:
        return None
    return _kept_if_private(fd)


def discard(parent: int, name: str) -> None:
    """Remove ``name`` from the folder ``parent``: a file or link is unlinked; a folder is
    renamed aside first (so nothing can be written into it under its name any more), then
    removed without following any link inside it. Raises OSError."""
    info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=parent)
        return
    aside = f".discard-{os.getpid()}-{os.urandom(6).hex()}"
    os.rename(name, aside, src_dir_fd=parent, dst_dir_fd=parent)
    import shutil

    shutil.rmtree(aside, dir_fd=parent, ignore_errors=True)


def read_private(dir_fd: int, name: str, limit: int) -> tuple[bytes, os.stat_result] | None:
    """The bytes of ``name`` in the folder ``dir_fd`` if it is a regular file (not a link) of
    ours that others cannot write and at most ``limit`` bytes long; else None."""
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _BINARY
                     | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not private(info) or info.st_size > limit:
            return None
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return (b"".join(chunks), info) if size <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(dir_fd: int, name: str, data: bytes | Iterable[bytes]) -> bool:
    """Write ``name`` (mode 0600) in the private folder ``dir_fd`` atomically; False when it
    could not be written (a read-only or full disk must not stop linting)."""
    try:
        replace_at(dir_fd, name, data, 0o600, sync=False)
        return True
    except OSError:
        return False


def create_private(dir_fd: int, name: str, data: bytes) -> bool:
    """Create ``name`` (mode 0600) holding ``data`` in the folder ``dir_fd`` only if nothing
    has that name: the data goes to a new file made with ``O_EXCL``, which is then hard-linked
    to ``name`` (refused when ``name`` exists), so no reader ever sees it half written. False
    when something was there or it could not be made."""
    tmp = f".new-{os.getpid()}-{os.urandom(6).hex()}"
    try:
        fd = os.open(tmp, _NEW, 0o600, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        try:
            os.write(fd, data)
            os.fchmod(fd, 0o600)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        return True
    except OSError:
        return False
    finally:
        remove_at(dir_fd, tmp)


def touch(fd: int) -> None:
    """Mark the open file ``fd`` as used now (the cache removes entries long unused)."""
    try:
        os.utime(fd)
    except OSError:
        pass


def remove_at(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
