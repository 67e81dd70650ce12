"""Large JSON and SARIF reports are written in pieces as they are made (issue 21), each piece
through the redaction boundary: the pieces give exactly the whole report, and a secret is
masked in every piece (including one written escaped, as JSON writes a quote)."""

from __future__ import annotations

import pytest

from lunalint.findings import Finding, Level, Location
from lunalint.model.base import Span
from lunalint.redact import Redactor
from lunalint.reporters import Report, renderer, streamer

SECRET = 'hunter2"Pin'


def big_report() -> Report:
    findings = [Finding("SYN005", Level.WARNING, f"value {SECRET} at {i}", f"site-{i}/a.conf",
                        Span(i + 1, 1, i + 1, 5), anchor=f"a/{i}", excerpt=f"Pin = {SECRET};",
                        related=(Location(f"site-{i}/b.conf", Span(2, 1, 2, 3), SECRET),))
                for i in range(3000)]
    return Report(findings, 3000, redactor=Redactor({SECRET}))


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_pieces_are_the_whole_report_and_every_one_is_masked(fmt):
    report = big_report()
    pieces = list(streamer(fmt)(report))
    assert len(pieces) > 10  # really written piece by piece
    assert all(p.endswith("\n") for p in pieces)
    assert "".join(pieces) == renderer(fmt)(report)
    assert not any("hunter2" in p for p in pieces)
    assert all("****" in p for p in pieces[1:-1])


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_an_empty_report_is_one_piece_like_before(fmt):
    report = Report([], 0)
    assert "".join(streamer(fmt)(report)) == renderer(fmt)(report)
