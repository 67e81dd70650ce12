"""Read a file from disk and decode it the way Luna's own tools and editors write it.

UTF-8 (with or without BOM) and UTF-16 LE/BE with a BOM are decoded; anything else that is not
valid UTF-8 is decoded as Latin-1 so positions stay exact, and the reader is told. Binary
content (NUL bytes without a UTF-16 BOM, or a UTF-32 BOM) is refused with a reason instead of
being parsed.

Reading never blocks and never raises: the file is opened with ``O_NONBLOCK`` and checked with
``fstat`` on the open descriptor, so a FIFO, socket or device (even one swapped in after a
``stat``) is refused instead of waited on, and every OS error becomes a plain-words reason.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from lunalint.record import record

# Larger files are not read: a single run must not hold unbounded input in memory.
MAX_BYTES = 256 * 1024 * 1024

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_REASONS = {
    errno.ENOENT: "the file does not exist (or is a broken symbolic link)",
    errno.EACCES: "permission denied: this user may not read the file",
    errno.EPERM: "permission denied: this user may not read the file",
    errno.ELOOP: "too many levels of symbolic links (a symbolic link loop?)",
    errno.EISDIR: "this is a directory, not a file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENAMETOOLONG: "the path is too long",
}


@record
class Loaded:
    text: str | None  # None when the file could not be read as text
    problem: str | None  # why it could not be read, or a note on how it was decoded
    encoding: str = "utf-8"


def decode(data: bytes) -> Loaded:
    """Decode file content; never raises."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", "UTF-8")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Loaded(None, "the file starts with a UTF-32 byte-order mark; save it as UTF-8 "
                            "(or UTF-16) to have it checked", "binary")
    if data.startswith(codecs.BOM_UTF16_LE):
        return _decode(data[2:], "utf-16-le", "UTF-16 LE")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data[2:], "utf-16-be", "UTF-16 BE")
    nul = data.find(b"\x00")
    if nul >= 0:
        return Loaded(None, f"the file holds NUL bytes (first at offset {nul}): it is binary, "
                            "not a text configuration or capture", "binary")
    try:
        return Loaded(data.decode("utf-8"), None)
    except UnicodeDecodeError as error:
        text = data.decode("latin-1")
        return Loaded(text, f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at "
                            f"offset {error.start}); it was read as Latin-1", "latin-1")


def _decode(data: bytes, codec: str, label: str) -> Loaded:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        return Loaded(None, f"the file starts with a {label} byte-order mark but is not valid "
                            f"{label} (offset {error.start})", codec)
    if "\x00" in text:
        return Loaded(None, f"the file is {label} but holds NUL characters: it is binary, "
                            "not a text configuration or capture", "binary")
    return Loaded(text, None, codec)


def reason(error: OSError) -> str:
    """A plain-words reason for an OS error met while reading a file."""
    text = _REASONS.get(error.errno or -1)
    if text is None:
        text = error.strerror or str(error) or type(error).__name__
    return f"cannot read the file: {text}"


def load(path: str, follow: bool = True) -> Loaded:
    """Read and decode ``path``; never raises and never blocks for an unreadable or odd file.

    With ``follow=False`` a symbolic link as the last part of ``path`` is refused, not read.
    Only :mod:`lunalint.confine` calls this: it decides what may be read."""
    flags = os.O_RDONLY | _NONBLOCK | _NOCTTY | _BINARY
    if not follow:
        flags |= _NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if not follow and error.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            return Loaded(None, "a symbolic link; links met while walking are not followed",
                          "refused")
        if error.errno == errno.EISDIR or os.path.isdir(path):
            return Loaded(None, "this is a directory, not a file")
        return Loaded(None, reason(error))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return Loaded(None, "this is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            return Loaded(None, "not a regular file (a FIFO, socket or device); it was not read")
        if info.st_size > MAX_BYTES:
            return Loaded(None, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                                "it was not read")
        data = _read_all(fd, info.st_size)
    except OSError as error:
        return Loaded(None, reason(error))
    finally:
        os.close(fd)
    if data is None:
        return Loaded(None, f"the file grew past {MAX_BYTES // (1024 * 1024)} MB while it was "
                            "read; it was not read")
    return decode(data)


def _read_all(fd: int, size: int) -> bytes | None:
    """All bytes of the regular file ``fd``; None when it exceeds ``MAX_BYTES``."""
    chunks = []
    total = 0
    want = max(size, 0) + 1  # one more byte tells whether it grew
    while True:
        chunk = os.read(fd, min(max(want, 65536), MAX_BYTES + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            return None
        want = 65536
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]
