"""Reading never raises on damaged captures: only syntax problems, each inside the file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunalint.model.base import Span
from lunalint.readers.export import SHAPES, read_export, shape

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
CAPTURES = [(EXPORTS / name).read_text(encoding="utf-8") for name in
            ("lunacm-session.txt", "lunash-hsm-showpolicies.txt", "lunash-hsm-show.txt",
             "partition-showpolicies-bare.txt")]

# Fragments that steer mutations into the reader's interesting states.
PIECES = ["lunacm:>", "[h] lunash:>", "Command Result :", " : ", ":", "->", "Slot Id ->",
          "Partition Policies", "HSM Capabilities", "Description  Value  Code", "=====",
          "Slot #  Member S/N  Member Label  Status", "HA Group Label:", "Current Slot Id:",
          "...", "[OUTPUT OMITTED]", "```", "\t", "\r", "\n", "\r\n", "\x1b[31m", "\x1b[0m",
          "\x1b", "\x1b]0;title\x07", "0x1a7 (CKR_X)", "  12: x : ", "-1", "99999999999999999999",
          "LunaCM v", "v10.", "\ufeff", "é", "\u2028", " ", "", "(PED)", "N/A", "-slot"]


def mutate(text: str, ops: list[tuple[int, int, int, str]]) -> str:
    for kind, a, b, piece in ops:
        n = len(text) + 1
        i, j = sorted((a % n, b % n))
        if kind == 0:  # insert
            text = text[:i] + piece + text[i:]
        elif kind == 1:  # delete a range
            text = text[:i] + text[j:j + 0] + text[min(j, i + 40):]
        elif kind == 2:  # replace a range
            text = text[:i] + piece + text[min(j, i + 20):]
        else:  # duplicate a range
            text = text[:j] + text[i:min(j, i + 200)] + text[j:]
    return text


def within(span: Span, lines: tuple[str, ...]) -> bool:
    if not 1 <= span.line <= span.end_line <= max(len(lines), 1):
        return False
    if not lines:
        return span.column == span.end_column == 1
    first, last = lines[span.line - 1], lines[span.end_line - 1]
    if not 1 <= span.column <= len(first) + 1 or not 1 <= span.end_column <= len(last) + 1:
        return False
    return span.line < span.end_line or span.column <= span.end_column


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(CAPTURES),
       ops=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 10_000),
                              st.one_of(st.sampled_from(PIECES), st.text(max_size=12))),
                    max_size=8))
def test_mutated_captures_give_problems_never_exceptions(base, ops):
    text = mutate(base, ops)
    doc = read_export("m.txt", text)
    assert doc.kind == "export"
    for problem in doc.problems:
        assert problem.message
        assert within(problem.span, doc.lines), (problem, len(doc.lines))
    for ps in doc.policy_sets:
        for value in ps.policy_values + ps.capability_values:
            assert within(value.span, doc.lines) and within(value.value_span, doc.lines)
    for cmd in doc.commands:
        assert within(cmd.span, doc.lines)
        if cmd.result is not None:
            assert within(cmd.result.value_span, doc.lines)
    for slot in doc.slots:
        assert within(slot.span, doc.lines)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_arbitrary_text_never_raises(text):
    doc = read_export("a.txt", text)
    for problem in doc.problems:
        assert within(problem.span, doc.lines)


def test_fast_path_and_lark_agree_on_every_line_they_both_read():
    """The regular expressions are built from the grammar's terminals: check they agree."""
    checked = 0
    for capture in CAPTURES:
        for line in capture.splitlines():
            for name in SHAPES:
                fast = shape(name).match(line)
                if fast is None:
                    continue
                slow = shape(name).parse(line)
                strip = {k: (v[0].rstrip(), v[1]) for k, v in fast.items()}
                assert strip == {k: (v[0].rstrip(), v[1]) for k, v in slow.items()}, (name, line)
                checked += 1
    assert checked > 100
