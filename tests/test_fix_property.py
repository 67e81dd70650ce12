"""Properties of ``--fix`` (issue 15), over generated client configurations (brace and INI,
LF and CRLF, UTF-8, UTF-8 with BOM and UTF-16, with comments and TABs) and over every client
configuration among the test fixtures, through the real command line (in-process):

- ``--diff`` changes no file, and exits 1 exactly when it shows a change;
- after ``--fix --unsafe-fixes`` no finding that carried a fix is left (for generated files:
  no finding of a rule with a fix at all), no finding appears that was not there, every
  comment line is still there (TABs in it turned to spaces), the line endings, encoding and
  byte-order mark are those of the original, and a second ``--fix`` changes nothing.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunalint.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
FIXABLE = {"SYN002", "SYN006", "HA101", "HA102", "HA103", "HA105"}
CONFIG_NAME = re.compile(
    r"(?i)^(chrystoki[^/]*\.conf|crystoki[^/]*\.ini)(\.(j2|jinja2?|erb|tpl|tmpl|template|in))?$")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@contextlib.contextmanager
def inside(folder: Path):
    """Run from ``folder`` (a temporary folder outside any git work tree: no project, so the
    file named is what may be fixed)."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            inside(Path(args[-1]).parent):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def findings(path: Path) -> list[dict]:
    code, out, err = cli("--format", "json", "--exit-zero", str(path))
    assert code == 0, err
    return json.loads(out)["findings"]


def _key(f: dict) -> tuple[str, str]:
    return f["rule"], f["anchor"].casefold()


def _encoding(data: bytes) -> tuple[bytes, str]:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return bom, codec
    try:
        data.decode("utf-8")
        return b"", "utf-8"
    except UnicodeDecodeError:
        return b"", "latin-1"


def _endings(text: str) -> set[str]:
    return set(re.findall(r"\r\n|\r|\n", text))


def _comments(text: str) -> list[str]:
    return [line.strip().replace("\t", "   ") for line in re.split(r"\r\n|\r|\n", text)
            if line.strip().startswith(("#", ";", "//"))]


def check_fix_properties(path: Path, strict: bool) -> None:
    original = path.read_bytes()
    before = findings(path)

    code, diff, err = cli("--diff", "--unsafe-fixes", str(path))
    assert path.read_bytes() == original, "--diff changed the file"
    assert code in (0, 1), err
    assert (code == 1) == bool(diff.strip()), (code, diff, err)

    code, _out, err = cli("--fix", "--unsafe-fixes", "--exit-zero", str(path))
    assert code == 0, err
    assert "not fixed" not in err, err  # every fix offered verified and was made
    fixed = path.read_bytes()
    after = findings(path)

    fixed_keys = {_key(f) for f in before if f["fix"] is not None}
    left = [f for f in after if _key(f) in fixed_keys]
    assert not left, left
    if strict:
        assert not [f for f in after if f["rule"] in FIXABLE], after
    gained = Counter(_key(f) for f in after) - Counter(_key(f) for f in before)
    assert not gained, gained

    bom, codec = _encoding(original)
    assert fixed.startswith(bom) and _encoding(fixed) == (bom, codec)
    old_text, new_text = original[len(bom):].decode(codec), fixed[len(bom):].decode(codec)
    if _endings(old_text):
        assert _endings(new_text) <= _endings(old_text), (_endings(old_text), new_text)
    new_comments = Counter(_comments(new_text))
    assert not Counter(_comments(old_text)) - new_comments, "a comment line was lost"
    if fixed == original:
        assert diff == ""

    code, _out, err = cli("--fix", "--unsafe-fixes", "--exit-zero", str(path))
    assert path.read_bytes() == fixed, "a second --fix changed the file"


# --------------------------------------------------------------------------- generated

LABELS = ["payments", "signing", "pay ments", "tokens-2"]
KEYS = {"HAOnly": ["HAOnly", "haonly", "HAONLY"], "reconnAtt": ["reconnAtt", "ReconnAtt"],
        "AutoReconnectInterval": ["AutoReconnectInterval", "autoreconnectinterval"]}


@st.composite
def configs(draw) -> tuple[str, str, str, str]:
    """(text with `\\n` endings, form, newline, encoding)."""
    form = draw(st.sampled_from(["brace", "ini"]))
    indent = draw(st.sampled_from(["   ", "\t", "  \t", "    "])) if form == "brace" else \
        draw(st.sampled_from(["", "\t"]))
    comment = "#" if form == "brace" else ";"
    lines: list[str] = []

    def maybe_comment() -> None:
        if draw(st.booleans()):
            lead = draw(st.sampled_from(["", indent, "\t"]))
            lines.append(f"{lead}{comment} {draw(st.sampled_from(['kept', 'note:', 'x = 1']))}")

    def section(name: str, entries: list[tuple[str, str]]) -> None:
        maybe_comment()
        lines.append(f"{name} = {{" if form == "brace" else f"[{name}]")
        for key, value in entries:
            sep = draw(st.sampled_from([" = ", "=", " =\t"]))
            text = f"{key}{sep}{value};" if form == "brace" else f"{key}{sep.strip(' ')}{value}"
            if draw(st.booleans()):
                text += f" {comment} why" if form == "brace" else ""
            lines.append(indent + text)
            maybe_comment()
        if form == "brace":
            lines.append("}")
        if draw(st.booleans()):
            lines.append("")

    groups = draw(st.lists(st.sampled_from(LABELS), min_size=0, max_size=2, unique=True))
    vt = []
    for n, label in enumerate(groups):
        vt += [(f"VirtualToken{n:02d}Label", label), (f"VirtualToken{n:02d}SN", f"1154123456700{n}"),
               (f"VirtualToken{n:02d}Members", f"15412345670{n}1, 15412345670{n}2")]
    if vt:
        section("VirtualToken", vt)
    ha = []
    for key, spellings in KEYS.items():
        value = draw(st.sampled_from([None, "0", "1", "-1", "30", "60", "abc"]))
        if value is not None:
            ha.append((draw(st.sampled_from(spellings)), value))
    if ha or draw(st.booleans()):
        section("HAConfiguration", ha)
    if groups and draw(st.booleans()):
        sync = [(label, draw(st.sampled_from(["0", "1"])))
                for label in groups if draw(st.booleans())]
        section("HASynchronize", sync)
    if draw(st.booleans()):
        section("Luna", [("DefaultTimeOut", "500000")])
    maybe_comment()
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return "\n".join(lines) + ("\n" if draw(st.booleans()) else ""), form, newline, encoding


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs())
def test_fix_properties_on_generated_configs(case):
    text, form, newline, encoding = case
    name = "Chrystoki.conf" if form == "brace" else "crystoki.ini"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(text.replace("\n", newline).encode(encoding))
        check_fix_properties(path, strict=True)


# --------------------------------------------------------------------------- fixtures

def _fixture_configs() -> list[Path]:
    return sorted(p for folder in (FIXTURES, EXAMPLES) for p in folder.rglob("*")
                  if p.is_file() and CONFIG_NAME.match(p.name))


@pytest.mark.parametrize("fixture", _fixture_configs(),
                         ids=lambda p: "/".join(p.parts[-3:]))
def test_fix_properties_on_fixture_configs(fixture, tmp_path):
    target = tmp_path / fixture.name
    shutil.copyfile(fixture, target)
    os.chmod(target, 0o644)
    check_fix_properties(target, strict=False)


def test_generated_cases_do_get_fixes():
    """The property has teeth: a typical generated file really is changed by --fix."""
    text = ("VirtualToken = {\n\tVirtualToken00Label = payments;\n"
            "   VirtualToken00Members = 1, 2;\n}\nHAConfiguration = {\n   haonly = 0;\n}\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Chrystoki.conf"
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
        before = {f["rule"] for f in findings(path) if f["fix"]}
        assert before == {"SYN002", "SYN006", "HA101", "HA102", "HA105"}
        check_fix_properties(path, strict=True)
        fixed = path.read_bytes().decode("utf-16")
        assert "\r\n   HAOnly = 1;\r\n   reconnAtt = -1;\r\n}" in fixed
        assert fixed.endswith("}\r\n\r\nHASynchronize = {\r\n   payments = 1;\r\n}\r\n")
