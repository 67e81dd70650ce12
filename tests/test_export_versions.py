"""Versions compare by their release numbers; the build suffix is kept but ignored."""

from __future__ import annotations

import pytest

from lunalint.versions import Version, parse_version


def test_client_build_suffix_is_ignored_in_comparisons():
    v = Version.parse("10.4.0-417")
    assert v.release == (10, 4, 0) and v.build == "417" and str(v) == "10.4.0"
    assert v == Version.parse("10.4.0") and v == "10.4.0"
    assert hash(v) == hash(Version.parse("10.4"))


@pytest.mark.parametrize("low, high", [("7.7.0", "7.7.1"), ("7.8.4", "7.9.0"), ("10.3.0", "10.4.0"),
                                       ("10.6.1", "10.7.0"), ("9.9.9", "10.0.0"), ("7.7", "7.7.1"),
                                       ("v7.3.0", "10.4.0-417"), ("7.8.4", "7.8.4.1")])
def test_ordering(low, high):
    a, b = Version.parse(low), Version.parse(high)
    assert a < b and b > a and a <= b and a != b
    assert a < high and not a >= high


def test_missing_parts_are_zero_and_comparison_with_strings():
    assert Version.parse("7.7") == Version.parse("7.7.0") == "7.7.0.0"
    assert Version.parse("7.7.1") >= "7.7.0"
    assert (Version.parse("7.7.1").major, Version.parse("7.7.1").minor,
            Version.parse("7.7.1").patch) == (7, 7, 1)


def test_unparseable_text_gives_none():
    assert Version.parse("N/A") is None and parse_version(None) is None
    assert parse_version("") is None
    assert Version.parse("7.7.1") != "N/A"


def test_find_a_version_inside_text():
    found, start, end = Version.find("LunaSA 7.7.1 (build 3)")
    assert found == "7.7.1" and (start, end) == (7, 12)
    assert Version.find("no digits here") is None
