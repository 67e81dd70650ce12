"""The client ↔ firmware table (``data/firmware.yaml``), extended or overridden by firmware rows
of the configuration file's ``facts`` (a user row replaces a shipped row with the same ``from``).
"""

from __future__ import annotations

from lunalint.record import record
from functools import cache
import os

from lunalint.versions import Version


@record
class FirmwareRow:
    start: Version
    below: Version
    min_client: Version
    confidence: str
    source: str

    def covers(self, firmware: Version) -> bool:
        return self.start <= firmware < self.below


class FirmwareTableError(ValueError):
    pass


def _row(raw: dict, where: str) -> FirmwareRow:
    try:
        start, below, client = (Version.parse(str(raw[k])) for k in ("from", "below", "min_client"))
    except KeyError as error:
        raise FirmwareTableError(f"{where}: firmware row lacks {error.args[0]!r}") from None
    if start is None or below is None or client is None:
        raise FirmwareTableError(f"{where}: firmware row has a value that is not a version")
    confidence = str(raw.get("confidence", "user"))
    return FirmwareRow(start, below, client, confidence, str(raw.get("source", "")))


@cache
def _shipped() -> tuple[FirmwareRow, ...]:
    import yaml

    # A plain path beside this module (importlib.resources costs more at start-up than the
    # whole table; lunalint ships as files, not in a zip).
    with open(os.path.join(os.path.dirname(__file__), "data", "firmware.yaml"),
              encoding="utf-8") as handle:
        text = handle.read()
    return tuple(_row(r, "data/firmware.yaml") for r in yaml.safe_load(text)["firmware"])


def table(facts: dict | None = None) -> tuple[FirmwareRow, ...]:
    user = tuple(tuple(sorted(raw.items())) for raw in (facts or {}).get("firmware", ()) or ())
    return _merged(user)


@cache
def _merged(user: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[FirmwareRow, ...]:
    rows = {r.start.key: r for r in _shipped()}
    for i, raw in enumerate(user):
        row = _row(dict(raw), f"facts.firmware[{i}]")
        rows[row.start.key] = row
    return tuple(sorted(rows.values(), key=lambda r: r.start.key))


def row_for(firmware: Version, facts: dict | None = None) -> FirmwareRow | None:
    user = tuple(tuple(sorted(raw.items())) for raw in (facts or {}).get("firmware", ()) or ())
    return _row_for(user, firmware.key)


@cache
def _row_for(user: tuple, key: tuple[int, ...]) -> FirmwareRow | None:
    """The row covering firmware ``key`` (versions compare by key), once per firmware."""
    for row in _merged(user):
        if row.start.key <= key < row.below.key:
            return row
    return None


def newer_than_known(firmware: Version, facts: dict | None = None) -> bool:
    rows = table(facts)
    return bool(rows) and firmware >= max(r.below for r in rows)
