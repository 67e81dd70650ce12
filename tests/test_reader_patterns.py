"""The hand-written scanners that replaced backtracking patterns (issue 19 item 4) find what
the patterns found: template placeholders, YAML block keys, `key=value` pairs of captures.
Each is compared with the pattern it replaced on random lines over the characters that
matter (the patterns stay here as the specification)."""

from __future__ import annotations

import random
import re

from lunalint import redact
from lunalint.readers import embedded, template

PLACEHOLDER = re.compile("|".join(f"(?P<s{i}>{p})" for i, (_, p) in
                                  enumerate(template._SYNTAXES)))
BLOCK_KEY = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<key>[\"']?[^:#\n]+?[\"']?)[ \t]*:"
                       r"[ \t]*[|>][+-]?\d*[ \t]*(?:#.*)?$")
PAIR = re.compile(r"([A-Za-z][\w.-]*)[ \t]*[=:][ \t]*(\"[^\"\n]*\"?|'[^'\n]*'?|[^\s;,]+)")


def _lines(seed: int, alphabet: list[str], count: int = 20000, longest: int = 14):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def test_placeholders_are_those_of_the_syntaxes():
    alphabet = list("{}%#<>$()@aZ_1.- =\n") + ["{{", "}}", "<%", "%>", "@@", "${", "#{"]
    for line in _lines(1, alphabet):
        want = []
        if template.has_template_syntax(line):
            for m in PLACEHOLDER.finditer(line):
                index = int(m.lastgroup[1:])
                if not (index == 3 and template._comment_hash(line, m.start())):
                    want.append((m.start(), m.end(), template._SYNTAXES[index][0]))
        assert template.placeholders(line) == want, repr(line)


def test_block_keys_are_those_of_the_pattern():
    alphabet = [" ", "\t", "-", ":", "|", ">", "#", "a", "1", "+", "b", "k"]
    for line in _lines(2, alphabet):
        m, found = BLOCK_KEY.match(line), embedded._block_key(line)
        want = None if m is None else (m.group("indent"), m.group("key").strip("\"' "))
        got = None if found is None else (found[0], found[1].strip("\"' "))
        if want != got:  # keys of only blanks name nothing either way
            assert not (want or got)[1].strip(" \t-"), repr(line)


def test_capture_pairs_are_those_of_the_pattern():
    alphabet = list("aZ1_.-= :\t\"';,x")
    for line in _lines(3, alphabet):
        want = [(m.group(1), m.span(1), m.span(2)) for m in PAIR.finditer(line)]
        got = [(m.group(1), m.span(1), m.span(2)) for m in redact._PAIR.finditer(line)]
        assert got == want, repr(line)
