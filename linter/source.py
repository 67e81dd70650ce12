"""Read a file from disk and decode it the way Luna's own tools and editors write it.

UTF-8 (with or without BOM) and UTF-16 with a BOM are decoded; anything else that is not valid
UTF-8 is decoded as Latin-1 so positions stay exact, and the reader is told. Binary content
(NUL bytes without a UTF-16 BOM) is refused with a reason instead of being parsed.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass

# Larger files are read, but a single run must not hold unbounded input in memory.
MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Loaded:
    text: str | None  # None when the file could not be read as text
    problem: str | None  # why it could not be read, or a note on how it was decoded
    encoding: str = "utf-8"


def decode(data: bytes) -> Loaded:
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", "UTF-8")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data, "utf-16", "UTF-16")
    if b"\x00" in data[:8192] or b"\x00" in data:
        return Loaded(None, "the file holds NUL bytes: it is binary, not a text configuration "
                            "or capture", "binary")
    try:
        return Loaded(data.decode("utf-8"), None)
    except UnicodeDecodeError as error:
        text = data.decode("latin-1")
        return Loaded(text, f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at "
                            f"offset {error.start}); it was read as Latin-1", "latin-1")


def _decode(data: bytes, codec: str, label: str) -> Loaded:
    try:
        return Loaded(data.decode(codec), None, codec)
    except UnicodeDecodeError as error:
        return Loaded(None, f"the file starts with a {label} byte-order mark but is not valid "
                            f"{label} (offset {error.start})", codec)


def load(path: str) -> Loaded:
    """Read and decode ``path``; never raises for an unreadable or odd file."""
    try:
        info = os.stat(path)
    except OSError as error:
        return Loaded(None, f"cannot read the file: {error.strerror or error}")
    if stat.S_ISDIR(info.st_mode):
        return Loaded(None, "this is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        return Loaded(None, "not a regular file (a FIFO, socket or device); it was not read")
    if info.st_size > MAX_BYTES:
        return Loaded(None, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                            "it was not read")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return Loaded(None, f"cannot read the file: {error.strerror or error}")
    return decode(data)
