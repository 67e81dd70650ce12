"""Property tests over every reader (issue 7, "Fuzzing"): random text, random bytes, mutated
samples and grammar-shaped inputs. Whatever the input:

- no exception escapes (a crashing rule would show as LUNALINT-INTERNAL, which also fails),
- every finding's span lies within the file,
- every report format renders, JSON and SARIF parse, and SARIF validates against the schema.

The same pipeline runs longer under atheris: see ``fuzz/README.md``.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunalint import engine, source
from lunalint.registry import load_registry
from lunalint.reporters import FORMATS, Report, renderer
from lunalint.rules.base import Context

from .conftest import SAMPLES

HERE = Path(__file__).parent
SCHEMA_PATH = HERE / "schemas" / "sarif-schema-2.1.0.json"
HAVE_EXPORT = importlib.util.find_spec("lunalint.readers.export") is not None
RULES = load_registry(plugins=False).sorted()

# Each reader, with the file name that selects it and a sample to mutate.
READERS = [
    pytest.param("Chrystoki.conf", "Chrystoki.conf", id="brace"),
    pytest.param("crystoki.ini", "crystoki.ini", id="ini"),
    pytest.param("capture.lunacm.txt", "lunacm-session.txt", id="export-lunacm",
                 marks=pytest.mark.skipif(not HAVE_EXPORT, reason="lunalint.readers.export "
                                          "is not there yet (issue 3)")),
    pytest.param("hsm.lunash.txt", "lunash-hsm-showpolicies.txt", id="export-lunash",
                 marks=pytest.mark.skipif(not HAVE_EXPORT, reason="lunalint.readers.export "
                                          "is not there yet (issue 3)")),
]
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@cache
def validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def check(data: bytes, name: str, *, sarif_schema: bool = False) -> None:
    doc = engine.document_from(source.decode(data), name, name, True)
    if doc is None:
        return
    findings = [f for rule in RULES if engine._applies(rule, doc)
                for f in engine._run_one(rule, doc, doc.path, Context())]
    lines = doc.lines
    for f in findings:
        assert f.rule != engine.INTERNAL_RULE, f.message
        s = f.span
        assert 1 <= s.line <= s.end_line <= max(1, len(lines)), (f, len(lines))
        assert s.column >= 1 and (s.end_line > s.line or s.end_column >= s.column), f
        if lines:
            assert s.column <= len(lines[s.line - 1]) + 1, (f, lines[s.line - 1])
            assert s.end_column <= len(lines[s.end_line - 1]) + 1, (f, lines[s.end_line - 1])
    findings = sorted(engine.attach_excerpts(findings, [doc]), key=lambda f: f.sort_key)
    report = Report(findings, 1, rules=RULES)
    for fmt in FORMATS:
        out = renderer(fmt)(report)
        if fmt == "json":
            json.loads(out)
        if fmt == "sarif":
            log = json.loads(out)
            if sarif_schema:
                errors = list(validator().iter_errors(log))
                assert not errors, [e.message for e in errors[:3]]


# --- strategies -----------------------------------------------------------------------------

NAMES = st.sampled_from(["Luna", "Misc", "VirtualToken", "HAConfiguration", "HASynchronize",
                         "LunaSA Client", "Chrystoki2", "CkLog2", "Secure Trusted Channel",
                         "Lunna", ""])
KEYS = st.sampled_from(["HAOnly", "reconnAtt", "DefaultTimeOut", "VirtualToken00Label",
                        "VirtualToken00Members", "VirtualToken00SN", "ServerName00",
                        "ServerPort00", "ClientPassword", "haLogPath", "payments", "Key With Space",
                        "", "=", "{", "}"])
VALUES = st.one_of(st.sampled_from(["1", "0", "-1", "500000", "payments", "1541234567001, 15412",
                                    "/var/log", "{{ .Values.x }}", "${X}", '"q"', "", ";", "}"]),
                   st.text(max_size=12))
BLANK = st.sampled_from(["", " ", "\t", "   ", "\r", "\ufeff"])
COMMENT = st.sampled_from(["", "# c", "// note", "; semi", "#"])


@st.composite
def brace_text(draw) -> str:
    out = []
    for _ in range(draw(st.integers(0, 25))):
        shape = draw(st.integers(0, 4))
        lead, trail, note = draw(BLANK), draw(BLANK), draw(COMMENT)
        if shape == 0:
            out.append(f"{lead}{draw(NAMES)} = {{{trail}{note}")
        elif shape == 1:
            out.append(f"{lead}}}{trail}{note}")
        elif shape == 2:
            semi = draw(st.sampled_from([";", "", ";;", " ;"]))
            out.append(f"{lead}{draw(KEYS)}{draw(BLANK)}={draw(BLANK)}{draw(VALUES)}{semi}{trail}"
                       f"{note}")
        elif shape == 3:
            out.append(f"{lead}{draw(NAMES)} = {{ {draw(KEYS)} = {draw(VALUES)}; }}")
        else:
            out.append(note)
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(out)


@st.composite
def ini_text(draw) -> str:
    out = []
    for _ in range(draw(st.integers(0, 25))):
        shape = draw(st.integers(0, 3))
        if shape == 0:
            close = draw(st.sampled_from(["]", "", "]]", "] x"]))
            out.append(f"{draw(BLANK)}[{draw(NAMES)}{close}{draw(COMMENT)}")
        elif shape == 1:
            out.append(f"{draw(BLANK)}{draw(KEYS)}{draw(BLANK)}={draw(VALUES)}")
        elif shape == 2:
            out.append(draw(COMMENT))
        else:
            out.append(draw(st.text(max_size=20)))
    return "\n".join(out)


COMMANDS = st.sampled_from([
    "partition showpolicies", "hagroup listgroups", "slot set -slot 5", "slot list",
    "partition changepolicy -policy 22 -value 1", "partition login -password pw123",
    "hsm showpolicies", "partition changepw -oldpw a -newpw b", "role login -name co",
    "", "   ", "hagroup addmember -group g -serial 1"])
OUTPUT = st.sampled_from([
    "Command Result : No Error", "Command Result : 0x5 (CKR_ACCESS_ID_ALREADY_EXISTS)",
    "        Partition Policies", "        Partition Capabilities",
    "                 0: Allow private key cloning : 1", "                37: Force STC : 0",
    "        Slot Id ->              5", "        HSM Label ->            payments",
    "        HSM Status ->           N/A - HA Group", "        Current Slot Id: 5",
    "         HA Group Label:  payments", "          Group Members:  1541234567001, 15",
    "     0    1541234567001      pay-a     alive", "Slot #    Member S/N  Member Label",
    "   Description                              Value        Code      Destructive",
    "   Allow masking                            On           6         Yes",
    "LunaCM v10.4.0-417. Copyright (c) 2021 SafeNet.", "...", "[OUTPUT OMITTED]", ""])


@st.composite
def capture_text(draw) -> str:
    out = []
    for _ in range(draw(st.integers(0, 30))):
        if draw(st.booleans()):
            prompt = draw(st.sampled_from(["lunacm:>", "[hsm-a] lunash:>", "lunash:>",
                                           "lunacm:> "]))
            out.append(prompt + draw(COMMANDS))
        else:
            out.append(draw(OUTPUT) + draw(st.sampled_from(["", " ", "x", ":"])))
    return "\n".join(out)


SHAPED = {"Chrystoki.conf": brace_text(), "crystoki.ini": ini_text(),
          "capture.lunacm.txt": capture_text(), "hsm.lunash.txt": capture_text()}


@st.composite
def mutated(draw, sample: str) -> str:
    lines = sample.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 4))
        if not lines:
            lines = [""]
        at = draw(st.integers(0, len(lines) - 1))
        if op == 0:
            del lines[at]
        elif op == 1:
            lines.insert(at, lines[draw(st.integers(0, len(lines) - 1))])
        elif op == 2:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.text(max_size=4)) + line[cut:]
        elif op == 3:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    return "".join(lines)


# --- properties -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,sample", READERS)
@SETTINGS
@given(data=st.data())
def test_random_text(name, sample, data):
    check(data.draw(st.text(max_size=400)).encode("utf-8", "surrogatepass"), name)


@pytest.mark.parametrize("name,sample", READERS)
@SETTINGS
@given(data=st.data())
def test_random_bytes(name, sample, data):
    check(data.draw(st.binary(max_size=400)), name)


@pytest.mark.parametrize("name,sample", READERS)
@SETTINGS
@given(data=st.data())
def test_mutated_samples(name, sample, data):
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    check(data.draw(mutated(text)).encode("utf-8", "surrogatepass"), name)


@pytest.mark.parametrize("name,sample", READERS)
@SETTINGS
@given(data=st.data())
def test_grammar_shaped(name, sample, data):
    check(data.draw(SHAPED[name]).encode("utf-8", "surrogatepass"), name)


@pytest.mark.skipif(not SCHEMA_PATH.exists(), reason="tests/schemas/sarif-schema-2.1.0.json is "
                    "not there yet (issue 6)")
@pytest.mark.parametrize("name,sample", READERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sarif_for_any_input_matches_the_schema(name, sample, data):
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    strategy = st.one_of(SHAPED[name], mutated(text), st.text(max_size=200))
    check(data.draw(strategy).encode("utf-8", "surrogatepass"), name, sarif_schema=True)
