"""Confinement: the one place that decides what lunalint may read, and opens it.

- **The project root** is the directory of the configuration file (``.lunalint.yaml`` or a
  ``pyproject.toml`` with ``[tool.lunalint]``), else the git work tree around the current
  directory. With neither, there is no project: what the user named is all there is (a named
  directory is its own root) — never the current directory's whole tree.
- **Scopes.** Files under the project root are linked with every configuration and capture
  under it (cross-file rules need that context). A path named outside the root is linted alone
  (or, for a directory, with what is under it): nothing else is joined to it.
- **Walking** never follows a symbolic link, to a file or a directory: each one met where a Luna
  file could be is reported as skipped. Directories are walked iteratively (a tree thousands of
  levels deep cannot exhaust the stack), in a stable order, skipping VCS and tool folders.
- **Opening.** A walked file is opened with ``O_NOFOLLOW`` and must still resolve inside the
  root it was found under (so a path swapped for a link after the walk is refused). A named
  path that the system reaches through a symbolic link (the file itself, or any folder on the
  way: ``outlink/../Chrystoki.conf`` is resolved as the system resolves it, not by dropping
  ``outlink/..``) is read only when it resolves inside the project and outside ``.git``; with
  no project, a named link is the user's own choice and is read.

Writing is the mirror image, in :mod:`lunalint.writeout`.

Readers get text from :func:`load` only; nothing else in lunalint opens an input file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from lunalint.record import opt, record

from lunalint import discover, source

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
                       "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                       ".lunalint_cache"})
CONFIG_NAMES = (".lunalint.yaml", ".lunalint.yml")


@record
class Target:
    path: str  # as given or found (OS form)
    explicit: bool  # named on the command line
    kind: str | None = None  # "config"/"export" when the configuration file's kinds say so
    root: str | None = None  # the directory it must stay inside (None: the user named it)
    # Content given in place of the file (standard input with ``--stdin-filename``): read
    # instead of ``path``, which need not exist.
    content: str | bytes | None = None


@record(frozen=False)
class Walk:
    targets: list[Target] = opt(factory=list)
    missing: list[str] = opt(factory=list)
    skipped: list[tuple[str, str]] = opt(factory=list)  # (path, why)


@record
class Scope:
    """Paths linted together, and the root whose other files give them context (None: no
    other file is read)."""

    root: str | None
    paths: tuple[str, ...]


def git_root(start: str) -> str | None:
    """The git work tree holding ``start``, or None."""
    probe = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def project_root(settings_source: str | None, cwd: str | None = None) -> str | None:
    """The directory of the configuration file, else the git work tree of ``cwd``, else None."""
    if settings_source:
        return os.path.dirname(os.path.abspath(settings_source))
    return git_root(cwd or os.getcwd())


def inside(path: str, root: str, resolve: bool = True) -> bool:
    """True when ``path`` (resolved; with ``resolve=False`` only its folder is) is ``root``
    or under it."""
    base = _REAL_ROOTS.get(root)
    if base is None:  # the project root is resolved once per run, not once per file
        base = os.path.realpath(root)
        if len(_REAL_ROOTS) < 64:
            _REAL_ROOTS[root] = base
    if resolve:
        real = _below(path, root, base) or os.path.realpath(path)
    else:
        full = os.path.abspath(path)  # `.` and `dir/` have their real last part
        real = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
    return real == base or real.startswith(os.path.join(base, ""))


_REAL_ROOTS: dict[str, str] = {}


def _below(path: str, root: str, base: str) -> str | None:
    """``os.path.realpath(path)`` for a ``path`` written under ``root`` (resolved: ``base``)
    with no `..` and no link among its parts below ``root`` (each looked at now, with lstat),
    else None. A walked file is checked so at the cost of its own parts, not of resolving
    every folder above the root again (issue 21)."""
    if ".." in path.replace(os.sep, "/").split("/"):
        return None  # after a link, `..` goes where the system says: realpath decides
    full, top = os.path.abspath(path), os.path.abspath(root)
    if not full.startswith(os.path.join(top, "")):
        return None
    rest = full[len(top):].strip(os.sep)
    here = top
    for part in rest.split(os.sep):
        here = os.path.join(here, part)
        try:
            if stat.S_ISLNK(os.lstat(here).st_mode):
                return None
        except (OSError, ValueError):
            return None
    return os.path.join(base, rest)


def scopes(paths: list[str], root: str | None) -> list[Scope]:
    """Group ``paths`` by what may be joined to them (see the module docstring)."""
    if root is None:
        return [Scope(None, tuple(paths))]
    # A named link counts where it stands (it is checked again when it is opened); so does a
    # name given to standard input, which need not exist.
    within = [p for p in paths if inside(p, root, resolve=False)]
    out = [Scope(root, tuple(within))] if within else []
    out += [Scope(None, (p,)) for p in paths if p not in within]
    return out


def walk(paths: list[str], kind_of: Callable[[str], str | None] | None = None,
         root: str | None = None, given_content: Mapping[str, str | bytes] | None = None,
         ) -> Walk:
    """Targets under ``paths`` in a stable order, the paths that do not exist, and what was
    skipped (symbolic links, unreadable directories). A path in ``given_content`` (standard
    input) is a target with that content, whether or not a file of that name exists."""
    out = Walk()
    seen: set[str] = set()
    # A file found on disk that given content stands for is not read as well.
    replaced = {os.path.realpath(p) for p in given_content or ()}
    for given in paths:
        if given_content is not None and given in given_content:
            if given not in seen:
                seen.add(given)
                out.targets.append(Target(given, True, root=root, content=given_content[given]))
            continue
        if not os.path.lexists(given):
            out.missing.append(given)
            continue
        bare = given.rstrip("/\\") or given
        if os.path.isdir(given) and not os.path.islink(bare):
            base = root if root is not None else given
            for full in _files(given, out.skipped):
                if replaced and os.path.realpath(full) in replaced:
                    continue
                if full not in seen and (_worth_reading(os.path.basename(full))
                                         or (kind_of is not None and kind_of(full))):
                    seen.add(full)
                    out.targets.append(Target(full, False, root=base))
        elif given not in seen:
            seen.add(given)
            out.targets.append(Target(given, True, root=root))
    return out


def _files(top: str, skipped: list[tuple[str, str]]) -> Iterator[str]:
    """Regular files under ``top``, depth first in sorted order, without following links."""
    stack = [top]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            skipped.append((here, f"directory not read: {error.strerror or error}"))
            continue
        dirs = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    if _worth_reading(entry.name) or entry.is_dir():
                        skipped.append((entry.path, "symbolic link not followed"))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                        dirs.append(entry.path)
                elif entry.is_file(follow_symlinks=False) or not entry.is_dir(follow_symlinks=False):
                    yield entry.path
            except OSError:
                yield entry.path  # reading it will say what is wrong
        stack.extend(reversed(dirs))


def _worth_reading(name: str) -> bool:
    if discover.CONFIG_NAME.match(name) or discover.EXPORT_NAME.search(name) \
            or discover.SNIFF_NAMES.match(name):
        return True
    return os.path.splitext(name)[1].lower() in discover.SNIFF_EXTENSIONS


# Content read instead of the file on disk, by real path (see :func:`substituted`).
_SUBSTITUTES: dict[str, bytes] = {}


@contextmanager
def substituted(contents: dict[str, bytes]) -> Iterator[None]:
    """Within the block, each file of ``contents`` (by path) reads as the bytes given instead
    of what is on disk, after the same checks: the fix stage lints edited text through the
    very same pipeline before it writes anything. Not for use from several threads."""
    saved = dict(_SUBSTITUTES)
    _SUBSTITUTES.update({os.path.realpath(p): data for p, data in contents.items()})
    try:
        yield
    finally:
        _SUBSTITUTES.clear()
        _SUBSTITUTES.update(saved)


def _read(path: str, follow: bool = True) -> source.Loaded:
    loaded = source.load(path, follow=follow)
    if _SUBSTITUTES and loaded.text is not None:
        data = _SUBSTITUTES.get(os.path.realpath(path))
        if data is not None:
            return source.decode(data)
    return loaded


def load(target: Target, project: str | None = None) -> source.Loaded:
    """The content of ``target``, if confinement allows reading it; never raises."""
    if target.content is not None:  # given, not read: decoded as a file's bytes would be
        if isinstance(target.content, str):
            return source.Loaded(target.content, None)
        if len(target.content) > source.MAX_BYTES:
            return source.Loaded(None, f"the input is larger than "
                                       f"{source.MAX_BYTES // (1024 * 1024)} MB; it was not read")
        return source.decode(target.content)
    path = target.path
    if not target.explicit:
        loaded = _read(path, follow=False)
        if loaded.text is not None and target.root is not None \
                and not inside(path, target.root):
            return source.Loaded(None, "the path leads outside the folder being linted "
                                       "(a directory was replaced by a link?); it was not read")
        return loaded
    link, real = through_link(path)
    if link:
        # (`outlink/../Chrystoki.conf` is where the system takes it: beside outlink's target)
        if project is not None and not inside(real, project):
            return source.Loaded(None, "a symbolic link (the file or a folder on its path) "
                                       "to a file outside the project; it was not read (name "
                                       "the file itself to lint it)", "refused")
        if _in_git_dir(real):
            return source.Loaded(None, "a symbolic link into a `.git` directory; it was not read",
                                 "refused")
        return _read(real)
    return _read(path)


def through_link(path: str) -> tuple[bool, str]:
    """Whether the system reaches ``path`` through a symbolic link (the file itself or any
    folder on the way, ``link/..`` included), and the real path it reaches."""
    full = path if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    try:
        real = os.path.realpath(full)
    except (OSError, ValueError):
        return True, full
    return real != os.path.normpath(full), real


# --------------------------------------------------------------------------- fixing files

def editable(path: str, project: str | None, named: list[str]) -> str | None:
    """Why ``path`` must not be rewritten by ``--fix``, or None when it may be: a regular
    file, not a symbolic link, inside the project (or, without one, a file the user named or
    one under a directory the user named)."""
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"cannot read the file: {error.strerror or error}"
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link; fixes are written only to regular files"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if _in_git_dir(os.path.realpath(path)):
        return "inside a `.git` directory"
    if project is not None:
        return None if inside(path, project) else "outside the project"
    if any(inside(path, given) for given in named):
        return None
    return "outside what was named on the command line"


def original(path: str) -> bytes | None:
    """The bytes of the regular file ``path`` (not through a link), or None. Within
    :func:`substituted`, a substituted file's given bytes (an editor's unsaved buffer)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > source.MAX_BYTES:
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        if _SUBSTITUTES:
            given = _SUBSTITUTES.get(os.path.realpath(path))
            if given is not None:
                return given
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _in_git_dir(path: str) -> bool:
    parts = os.path.normpath(path).split(os.sep)
    return ".git" in parts[:-1]


def regular_file(path: str) -> bool:
    """True when ``path`` is a regular file and not a symbolic link."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode)


def files_matching(root: str, start: str, wanted: Callable[[str], bool],
                   limit: int = 200) -> list[tuple[str, source.Loaded]]:
    """Files under ``root``/``start`` whose ``/`` path relative to ``root`` ``wanted`` accepts,
    read the way walked files are (no link followed, each must stay inside ``root``), at
    most ``limit`` of them. For files the configuration names, such as policy files."""
    top = os.path.join(root, start) if start else root
    if not os.path.isdir(top) or os.path.islink(top.rstrip("/\\")) or not inside(top, root):
        return []
    out = []
    for full in _files(top, []):
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        if wanted(rel):
            out.append((full, load(Target(full, False, root=root))))
            if len(out) >= limit:
                break
    return out
