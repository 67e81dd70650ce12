"""Model and finding types are plain slotted records (issue 21): same constructors, equality,
hash, ordering and pickling as the frozen dataclasses they replace, and dataclasses.replace /
fields still work on them for code that uses those."""

from __future__ import annotations

import dataclasses
import pickle

from lunalint.findings import Finding, Level, Location, Related, thin_related
from lunalint.model.base import Span, SyntaxProblem
from lunalint.model.config import ClientConfig, Entry, Section
from lunalint.model.export import Field
from lunalint.record import replace


def test_span_orders_compares_hashes_and_pickles_like_a_tuple_of_its_fields():
    a, b = Span(1, 2, 1, 5), Span(1, 3, 1, 4)
    assert a < b and b > a and a <= Span(1, 2, 1, 5) and sorted([b, a]) == [a, b]
    assert a == Span(1, 2, 1, 5) and a != b and hash(a) == hash((1, 2, 1, 5))
    assert a != (1, 2, 1, 5)  # a record equals only its own class
    assert pickle.loads(pickle.dumps(a)) == a
    assert repr(a) == "Span(line=1, column=2, end_line=1, end_column=5)"
    assert not hasattr(a, "__dict__")
    assert Span.on_line(3, 0, 4) == Span(3, 1, 3, 5) and a.merge(b) == Span(1, 2, 1, 4)


def test_constructors_keep_their_positional_and_keyword_arguments():
    s = Span(1, 1, 1, 4)
    e = Entry("Key", "v", s, s, s, templated_value=True)
    assert e.templated and not e.repeated and Entry("Key", "v", s, s, s) != e
    sec = Section("Luna", s, s, (e,))
    assert sec.get("key") is e and "KEY" in sec
    assert pickle.loads(pickle.dumps(sec)).get("key") == e  # indexes rebuilt
    config = ClientConfig("a.conf", ("x",), (), "brace", (sec,))
    assert config.section("luna") is sec and config.get("Luna", "Key") is e
    f = Finding("SYN001", Level.ERROR, "m", "a.conf", s, related=(Location("a.conf", s),))
    assert f == Finding("SYN001", Level.ERROR, "m", "a.conf", s, related=(Location("a.conf", s),),
                        excerpt="ignored by equality")
    assert hash(f) == hash(replace(f, excerpt="x"))
    assert Field("k", "v", s, Span(1, 6, 1, 7)).span == Span(1, 1, 1, 7)
    assert SyntaxProblem(s, "bad").follows is False


def test_dataclasses_helpers_still_work_on_records():
    s = Span(1, 1, 1, 2)
    f = Finding("X", Level.NOTE, "m", "p", s)
    assert dataclasses.is_dataclass(f)
    assert [x.name for x in dataclasses.fields(Location)] == ["path", "span", "message"]
    assert dataclasses.replace(f, message="n").message == "n"
    assert replace(f, message="n") == dataclasses.replace(f, message="n")
    assert dataclasses.asdict(Location("p", s))["span"] == {"line": 1, "column": 1,
                                                            "end_line": 1, "end_column": 2}


def test_thinned_related_locations_keep_every_possible_choice_and_the_count():
    s = Span(1, 1, 1, 2)
    items = [("a" if i % 3 else "b", s, str(i)) for i in range(100)]
    thin = thin_related(items)
    assert isinstance(thin, Related) and thin.total == 100
    assert [m for p, _, m in thin if p == "a"] == [m for p, _, m in items if p == "a"][:20]
    assert [m for p, _, m in thin if p == "b"] == [m for p, _, m in items if p == "b"][:20]
    assert pickle.loads(pickle.dumps(thin)).total == 100
    assert thin_related(items[:20]) is not None and not isinstance(thin_related(items[:20]),
                                                                    Related)


def test_an_entry_the_reader_builds_makes_its_spans_when_read_and_equals_a_built_one():
    """The configuration reader keeps an entry's positions as numbers and makes its spans on
    first access (issue 21): it compares, hashes, prints, pickles and copies as the entry
    built with those spans, in either order of access."""
    from lunalint.model.config import entry_at
    from lunalint.readers.config import read_config

    built = Entry("HAOnly", "1", Span(3, 4, 3, 10), Span(3, 13, 3, 14), Span(3, 4, 3, 15),
                  branch=((1, 0),))
    for first in ("span", "key_span", "value_span", "==", "pickle", "replace"):
        lazy = entry_at("HAOnly", "1", (3, 4, 10, 13, 14, 15), ((1, 0),))
        if first == "==":
            assert lazy == built and built == lazy and hash(lazy) == hash(built)
        elif first == "pickle":
            assert pickle.loads(pickle.dumps(lazy)) == built
        elif first == "replace":
            assert replace(lazy, value="0") == replace(built, value="0")
            assert dataclasses.replace(lazy, value="0") == replace(built, value="0")
        else:
            assert getattr(lazy, first) == getattr(built, first)
        assert repr(lazy) == repr(built) and lazy == built
    lazy = entry_at("HAOnly", "1", (3, 4, 10, 13, 14, 15))
    assert not hasattr(lazy, "nothing") and not hasattr(built, "nothing")
    config = read_config("c.conf", "HAConfiguration = {\n\n   HAOnly = 1;\n}\n", "brace")
    assert config.get("HAConfiguration", "haonly") == replace(built, branch=())
    ini = read_config("c.ini", "[HAConfiguration]\nHAOnly=\n", "ini")
    entry = ini.get("HAConfiguration", "HAOnly")
    assert (entry.span, entry.key_span, entry.value_span) == (
        Span(2, 1, 2, 8), Span(2, 1, 2, 7), Span(2, 8, 2, 8))
