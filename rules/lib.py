"""LIB: the PKCS#11 library paths of a client configuration (`Chrystoki2`, and `CkLog2` when
the CkLog call logger is on)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lunalint.findings import Level
from lunalint.model import ClientConfig
from lunalint.model.config import Entry
from lunalint.rules import sources
from lunalint.rules.base import Context, Problem, rule

# The library keys of `Chrystoki2` and `CkLog2`, one per platform.
LIBRARY_KEYS = ("LibUNIX", "LibUNIX64", "LibNT", "LibHPUX")
# The CkLog logger library: `libcklog2.so` / `.sl` / `.dylib` on UNIX, `cklog201.dll` on Windows.
_LOGGER = re.compile(r"^(?:libcklog2(?:\.[A-Za-z0-9_.]*)?|cklog201\.dll)$", re.IGNORECASE)


def _file_name(value: str) -> str:
    """The last path component of a library path, without quotes (`/` or `\\` separators)."""
    text = value.strip().strip("'\"").rstrip("/\\")
    return re.split(r"[/\\]", text)[-1] if text else ""


def is_logger(value: str) -> bool:
    """True when a library path names the CkLog logger library itself."""
    return bool(_LOGGER.match(_file_name(value)))


def _library_entries(config: ClientConfig, section: str) -> list[Entry]:
    keys = {k.casefold() for k in LIBRARY_KEYS}
    return [e for e in config.entries(section) if e.key.casefold() in keys and e.value.strip()]


_CKLOG_REFERENCE = (
    "The vendor's CKlog page: to log PKCS#11 calls, `Chrystoki2` points at the logger library "
    "(`libcklog2`, `cklog201.dll` on Windows), and the `CkLog2` section's `LibUNIX`, "
    "`LibUNIX64`, `LibNT` or `LibHPUX` entry points at the real Luna library, which the logger "
    "loads and passes every call to.")


@rule("LIB501", "cklog-loads-itself", Level.ERROR,
      summary="A CkLog2 library entry points at the CkLog logger itself instead of the real "
              "Luna library",
      reference=_CKLOG_REFERENCE, cites=(sources.CKLOG, sources.CONFIG_FILE_SUMMARY),
      fix="Point the `CkLog2` entry at the real Luna library (for example `LibUNIX64 = "
          "/usr/safenet/lunaclient/lib/libCryptoki2_64.so;`, on Windows `LibNT=C:\\Program "
          "Files\\SafeNet\\LunaClient\\cryptoki.dll`); only `Chrystoki2` names the logger.",
      bad="""
          Chrystoki2 = {
             LibUNIX64 = /usr/safenet/lunaclient/lib/libcklog2.so;
          }
          CkLog2 = {
             Enabled = 1;
             LibUNIX64 = /usr/safenet/lunaclient/lib/libcklog2.so;
          }""",
      good="""
          Chrystoki2 = {
             LibUNIX64 = /usr/safenet/lunaclient/lib/libcklog2.so;
          }
          CkLog2 = {
             Enabled = 1;
             LibUNIX64 = /usr/safenet/lunaclient/lib/libCryptoki2_64.so;
          }""",
      tags=("library", "correctness"), security_severity=5.0)
def lib501(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """The logger loads the library `CkLog2` names and passes every PKCS#11 call on to it. When
    that entry names the logger itself, the logger loads itself instead of the Luna library:
    applications get no working HSM slots at all. Usually both sections were edited with the
    same search-and-replace."""
    for entry in _library_entries(config, "CkLog2"):
        if is_logger(entry.value):
            yield Problem(entry.value_span, (
                f"`CkLog2` `{entry.key}` points at the CkLog logger "
                f"(`{_file_name(entry.value)}`), so the logger would load itself instead of "
                "the Luna library; point it at the real library (`libCryptoki2`, "
                "`cryptoki.dll`)"), anchor=f"CkLog2/{entry.key}")


@rule("LIB502", "cklog-without-real-library", Level.WARNING,
      summary="Chrystoki2 points at the CkLog logger but no CkLog2 entry names a library",
      reference=_CKLOG_REFERENCE, cites=(sources.CKLOG, sources.CONFIG_FILE_SUMMARY),
      fix="Add a `CkLog2` section whose library entry names the real Luna library, for example "
          "`CkLog2 = { Enabled = 1; LibUNIX64 = /usr/safenet/lunaclient/lib/libCryptoki2_64.so; "
          "}`; or, to stop logging, point `Chrystoki2` back at the Luna library.",
      bad="""
          Chrystoki2 = {
             LibUNIX64 = /usr/safenet/lunaclient/lib/libcklog2.so;
          }""",
      good="""
          Chrystoki2 = {
             LibUNIX64 = /usr/safenet/lunaclient/lib/libcklog2.so;
          }
          CkLog2 = {
             Enabled = 1;
             LibUNIX64 = /usr/safenet/lunaclient/lib/libCryptoki2_64.so;
          }""",
      tags=("library", "correctness"), security_severity=4.0)
def lib502(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """With `Chrystoki2` pointing at the logger, applications load the logger, which finds the
    real Luna library only through `CkLog2`. Without a `CkLog2` library entry, the logger has
    nothing to pass calls to. A `CkLog2` entry that names the logger itself is LIB501's error,
    so it is not reported a second time here."""
    if _library_entries(config, "CkLog2"):
        return  # a real library (fine), or the logger itself (LIB501's error)
    section = config.section("CkLog2")
    for entry in _library_entries(config, "Chrystoki2"):
        if not is_logger(entry.value):
            continue
        why = ("there is no `CkLog2` section" if section is None else
               "the `CkLog2` section names no library")
        yield Problem(entry.value_span, (
            f"`Chrystoki2` `{entry.key}` points at the CkLog logger "
            f"(`{_file_name(entry.value)}`) but {why}, so the logger has no Luna library to "
            f"pass calls to; add `{entry.key}` with the real library to `CkLog2`"),
            anchor=f"Chrystoki2/{entry.key}",
            related=((None, section.header_span, "the CkLog2 section"),) if section else ())
