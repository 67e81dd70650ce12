"""Known sections and keys of the client configuration, in canonical spelling.

From the vendor's configuration file summary, HA logging, CKlog and RSA mechanism remap pages
(see :mod:`lunalint.rules.sources`); `haLogToStdout` is seen in real files only."""

from __future__ import annotations

import re
from functools import cache

SECTIONS: dict[str, tuple[str, ...]] = {
    "Chrystoki2": ("LibUNIX", "LibUNIX64", "LibNT", "LibHPUX"),
    "Luna": ("DefaultTimeOut", "PEDTimeout1", "PEDTimeout2", "PEDTimeout3",
             "KeypairGenTimeOut", "CloningCommandTimeOut", "CommandTimeOutPedSet"),
    "CardReader": ("RemoteCommand", "LunaG5Slots", "LunaG7Slots"),
    "Misc": ("PE1746Enabled", "ToolsDir", "PartitionPolicyTemplatePath",
             "ProtectedAuthenticationPathFlagStatus", "LoginAllowedOnFMEnabledHSMs",
             "ValidateHost", "MutexFolder", "PluginModuleDir", "MaxUserIDCount",
             "RSAKeyGenMechRemap", "RSAPre1863KeyGenMechRemap"),
    "LunaSA Client": ("ReceiveTimeout", "SSLConfigFile", "ClientPrivKeyFile", "ClientCertFile",
                      "ServerCAFile", "NetClient", "TCPKeepAlive", "HtlDir", "EnableTLS1_2",
                      "ProbeTimeout"),
    "Secure Trusted Channel": ("ClientTokenLib", "SoftTokenDir", "ClientIdentitiesDir",
                               "PartitionIdentitiesDir"),
    "VirtualToken": ("VirtualTokenActiveRecovery",),
    "HAConfiguration": ("HAOnly", "reconnAtt", "AutoReconnectInterval", "haLogStatus",
                        "haLogPath", "haLogToStdout", "logLen", "failover_on_deactivation"),
    "CkLog2": ("Enabled", "LibUNIX", "LibUNIX64", "LibNT", "LibHPUX", "LoggingMask",
               "LogToStreams", "NewFormat", "File", "Error", "FileSize"),
}

# Keys with a two-digit index, per section: the canonical pattern and its spelling template.
INDEXED: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "LunaSA Client": tuple((re.compile(rf"^Server{part}([0-9]+)$", re.IGNORECASE), f"Server{part}")
                           for part in ("Name", "Port", "Htl")),
    "VirtualToken": tuple((re.compile(rf"^VirtualToken([0-9]+){part}$", re.IGNORECASE),
                           f"VirtualToken{{}}{part}")
                          for part in ("Label", "SN", "Members", "StandbyMembers")),
}

# Sections whose keys are free-form (group labels) or not catalogued.
FREE_FORM = ("HASynchronize", "HARecovery", "REST", "XTC", "Presentation", "RBS", "Toolkit",
             "GemEngine")

ALL_SECTIONS = tuple(SECTIONS) + FREE_FORM
_SECTION_BY_FOLD = {name.casefold(): name for name in ALL_SECTIONS}


def canonical_section(name: str) -> str | None:
    return _SECTION_BY_FOLD.get(name.casefold())


def canonical_key(section: str, key: str) -> str | None:
    """The canonical spelling of ``key`` in ``section``, or None when it is not catalogued."""
    found = _CANONICAL.get((section, key), _UNSEEN)
    if found is _UNSEEN:
        found = _canonical_key(section, key)
        if len(_CANONICAL) >= 65536:  # (bounded: a hostile file may spell keys endlessly)
            _CANONICAL.clear()
        _CANONICAL[(section, key)] = found
    return found


# Keys repeat across files (every config has the same few dozen): looked up once each.
_CANONICAL: dict[tuple[str, str], str | None] = {}


def canonical_keys(section: str, keys: tuple[str, ...]) -> tuple[str | None, ...]:
    """:func:`canonical_key` of each of ``keys``: a section's keys are mostly the same list
    from file to file, so the answer for the whole list is kept (issue 21)."""
    found = _CANONICAL_LISTS.get((section, keys))
    if found is None:
        found = tuple(canonical_key(section, key) for key in keys)
        if len(_CANONICAL_LISTS) >= 1024:  # (bounded, as above)
            _CANONICAL_LISTS.clear()
        _CANONICAL_LISTS[(section, keys)] = found
    return found


_CANONICAL_LISTS: dict[tuple[str, tuple[str, ...]], tuple[str | None, ...]] = {}
_UNSEEN = object()


def _canonical_key(section: str, key: str) -> str | None:
    for known in SECTIONS.get(section, ()):
        if known.casefold() == key.casefold():
            return known
    for pattern, template in INDEXED.get(section, ()):
        m = pattern.match(key)
        if m:
            if "{}" in template:
                return template.format(m.group(1))
            return template + m.group(1)
    return None


def closest(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    folded = {c.casefold(): c for c in candidates}
    import difflib  # (only for an unknown name)

    match = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def key_suggestions(section: str) -> list[str]:
    names = list(SECTIONS.get(section, ()))
    for _pattern, template in INDEXED.get(section, ()):
        names.append(template.format("00") if "{}" in template else template + "00")
    return names


# Misspellings an edit-distance guess cannot fix (no close neighbour, or a wrong one: difflib
# offers `ServerHtl00` for `ServerHost00`), per section: the key as typed, matched without
# regard to case, and the key meant. `{}` stands for a two-digit index. Sources: the typos
# named in issue 11 and the vendor HA configuration pages, and LunaCM's own labels for the
# same settings
# (`hagroup listgroups`: "HA auto recovery", "Maximum auto recovery retry",
# "Auto recovery poll interval", "HA logging", "Only Show HA Slots") written as one word.
TYPOS: dict[str, dict[str, str]] = {
    "HAConfiguration": {
        "HAAutoRecover": "reconnAtt",  # auto-recovery is on when reconnAtt is not 0
        "HAAutoRecovery": "reconnAtt",
        "AutoRecovery": "reconnAtt",
        "MaxAutoRecoveryRetry": "reconnAtt",
        "HARecoveryInterval": "AutoReconnectInterval",
        "AutoRecoveryPollInterval": "AutoReconnectInterval",
        "HALogging": "haLogStatus",
        "HALogFile": "haLogPath",
        "OnlyShowHASlots": "HAOnly",
    },
    "LunaSA Client": {
        "ServerTimeout": "ReceiveTimeout",
        "ServerHost{}": "ServerName{}",  # ServerNameNN holds the appliance's host name or IP
        "ServerIP{}": "ServerName{}",
        "ServerAddress{}": "ServerName{}",
    },
}


@cache
def _typo_patterns() -> dict[str, tuple[tuple[re.Pattern[str], str], ...]]:
    """Compiled on the first unknown key (most runs meet none)."""
    return {section: tuple(
        (re.compile("^" + re.escape(typo).replace(r"\{\}", r"(\d+)") + "$", re.IGNORECASE),
         meant) for typo, meant in table.items())
        for section, table in TYPOS.items()}


def suggest_key(section: str, key: str) -> str | None:
    """The key probably meant by unknown ``key`` in ``section`` (canonical name): a known
    misspelling first, else the closest known key, else None."""
    for pattern, meant in _typo_patterns().get(section, ()):
        m = pattern.match(key)
        if m:
            return meant.format(*m.groups())
    return closest(key, key_suggestions(section))
