"""Safe configuration loading (issue 10, item 4): `.lunalint.yaml` and `[tool.lunalint]` are
untrusted input. Alias bombs, deep nesting, oversized files, bad globs and unquoted versions
are each a one-line error naming file and line, exit 2; globs match in linear time."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from lunalint import settings

from .conftest import run_cli, run_json

CONFIG = """HAConfiguration = {
   HAOnly = 1;
}
"""
HA_ZERO = """VirtualToken = {
   VirtualToken00Label = payments;
   VirtualToken00SN = 11541234567001;
   VirtualToken00Members = 1541234567001, 1541234567002;
}
HASynchronize = {
   payments = 1;
}
HAConfiguration = {
   HAOnly = 0;
}
"""


def _project(tmp_path: Path, config_name: str, text: str) -> Path:
    (tmp_path / "Chrystoki.conf").write_text(CONFIG)
    (tmp_path / config_name).write_text(text, encoding="utf-8")
    return tmp_path


def _one_line_error(proc: subprocess.CompletedProcess, where: str, *words: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout == ""
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err[:2000]
    assert err.startswith(f"lunalint: error: {where}"), err
    for word in words:
        assert word in err, err
    return err


def _run_bounded(*args: str, cwd: Path, memory_mb: int = 400) -> subprocess.CompletedProcess:
    """The CLI in a process that may use at most ``memory_mb`` of address space and 60 s
    of CPU: an alias bomb or a runaway glob dies there instead of eating the machine."""
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180, preexec_fn=limit)


# --------------------------------------------------------------------------- YAML

def _alias_bomb() -> str:
    """Ten levels of five aliases each: 225 bytes that stand for 5**10 (~10 million) values."""
    lines = ["a: &a [x,x,x,x,x]"]
    for prev, name in zip("abcdefghi", "bcdefghij"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 5) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_a_one_line_error_in_little_memory(tmp_path):
    bomb = _alias_bomb()
    assert len(bomb.encode()) <= 230
    project = _project(tmp_path, ".lunalint.yaml", bomb)
    proc = _run_bounded("Chrystoki.conf", cwd=project)
    _one_line_error(proc, ".lunalint.yaml:", "invalid YAML", "aliases expand to more than")


def test_an_alias_bomb_under_a_known_key_is_refused_too(tmp_path):
    bomb = _alias_bomb().replace("j: &j", "include: &j")
    project = _project(tmp_path, ".lunalint.yaml", bomb)
    _one_line_error(_run_bounded("Chrystoki.conf", cwd=project), ".lunalint.yaml:", "alias")


def test_a_recursive_alias_is_a_one_line_error(tmp_path):
    project = _project(tmp_path, ".lunalint.yaml", "include: &a [x, *a]\n")
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), ".lunalint.yaml:1: invalid YAML",
                    "refers to a node that contains it")


def test_a_few_aliases_still_work(tmp_path):
    """Aliases are bounded, not banned: sharing a reason between waivers is fine."""
    project = _project(tmp_path, ".lunalint.yaml",
                       "waivers:\n"
                       "  - {rule: HA102, path: '*.conf', reason: &why 'lab only'}\n"
                       "  - {rule: HA101, path: '*.conf', reason: *why}\n"
                       "exclude: &skip ['vendor/**']\n")
    (project / "Chrystoki.conf").write_text(HA_ZERO)
    code, doc = run_json("--include-suppressed", "Chrystoki.conf", cwd=project)
    assert [f["suppressed"]["justification"] for f in doc["findings"]
            if f["rule"] == "HA101"] == ["lab only"]


@pytest.mark.parametrize("text", [
    pytest.param("include: " + "[" * 100_000 + "]" * 100_000 + "\n", id="flow-lists"),
    pytest.param("include: " + "{a: " * 50_000 + "x" + "}" * 50_000 + "\n", id="flow-maps"),
    pytest.param("".join(" " * i + "- \n" for i in range(0, 400)), id="block-lists"),
    pytest.param("facts:\n" + "".join("  " * i + "  a:\n" for i in range(1, 300)), id="block-maps"),
])
def test_deep_yaml_nesting_is_a_one_line_error(tmp_path, text):
    project = _project(tmp_path, ".lunalint.yaml", text)
    _one_line_error(_run_bounded("Chrystoki.conf", cwd=project), ".lunalint.yaml:",
                    "nest deeper than 50 levels")


# --------------------------------------------------------------------------- TOML

@pytest.mark.parametrize("value", [
    pytest.param("[" * 100_000 + "]" * 100_000, id="arrays"),
    pytest.param("{a = " * 50_000 + "1" + "}" * 50_000, id="inline-tables"),
])
def test_deep_toml_nesting_is_a_one_line_error(tmp_path, value):
    project = _project(tmp_path, "pyproject.toml",
                       f"[project]\nname = 'x'\n\n[tool.lunalint]\ninclude = {value}\n")
    _one_line_error(_run_bounded("Chrystoki.conf", cwd=project), "pyproject.toml:5: invalid TOML",
                    "nest deeper than 50 levels")


def test_brackets_in_toml_strings_and_comments_do_not_count(tmp_path):
    deep = "[" * 200
    project = _project(tmp_path, "pyproject.toml",
                       f'[project]\nname = "x"\ndescription = "{deep}"\n'
                       f"keywords = ['{deep}']\n# {deep}\nreadme = '''\n{deep}\n'''\n"
                       f'license = """{deep}\\"{deep}"""\n'
                       "[tool.lunalint]\nignore = ['HA101']  # [[[[\n")
    code, doc = run_json("Chrystoki.conf", cwd=project)
    assert code == 0 and doc["findings"] == []


@pytest.mark.parametrize("name", [".lunalint.yaml", "pyproject.toml"])
def test_an_oversized_configuration_file_is_refused_unread(tmp_path, name):
    body = ("# padding\n" * (settings.MAX_BYTES // 10 + 1))
    if name == "pyproject.toml":
        body = "[tool.lunalint]\n" + body
    project = _project(tmp_path, name, body)
    _one_line_error(run_cli("--config", name, "Chrystoki.conf", cwd=project), f"{name}: ",
                    "larger than 4 MiB")


# --------------------------------------------------------------------------- globs

@pytest.mark.parametrize("text, line", [
    ("include: ['[z-a]']\n", 1),
    ("exclude:\n  - 'vendor/**'\n  - 'x/[9-0]*.conf'\n", 3),
    ("kinds:\n  configs: ['[z-a].tmpl']\n", 2),
    ("facts:\n  - path: '[z-a]'\n    client-version: '10.7.0'\n", 2),
    ("waivers:\n  - rule: HA101\n    reason: r\n    path: 'a/[z-a]'\n", 4),
    ("include: ['" + "*" * 2000 + "']\n", 1),
])
def test_a_bad_glob_is_a_one_line_config_error(tmp_path, text, line):
    project = _project(tmp_path, ".lunalint.yaml", text)
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), f".lunalint.yaml:{line}: bad glob")


def test_a_bad_glob_in_pyproject_names_its_line(tmp_path):
    project = _project(tmp_path, "pyproject.toml",
                       "[tool.lunalint]\nselect = ['HA']\nexclude = ['[z-a]']\n")
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), "pyproject.toml:3: bad glob",
                    "bad character range z-a")


def test_a_backtracking_glob_does_not_hang_a_run(tmp_path):
    """`**a**a**a...` used to become `.*a.*a.*a...`: exponential backtracking on a long
    path that almost matches. A linear matcher answers at once."""
    glob = "**a" * 40 + "/*.ini"
    deep = tmp_path / ("a" * 200)
    deep.mkdir()
    (tmp_path / ".lunalint.yaml").write_text(f"exclude: ['{glob}']\nkinds:\n  configs: "
                                             f"['{glob}']\nfacts:\n  - path: '{glob}'\n"
                                             "    client-version: '10.7.0'\n")
    (deep / "Chrystoki.conf").write_text(HA_ZERO)
    proc = _run_bounded("--format", "json", "--fail-on", "never", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f'"path": "{"a" * 200}/Chrystoki.conf"' in proc.stdout  # linted, not excluded


def _growth(small: tuple[str, str], large: tuple[str, str], rounds: int = 9) -> float:
    """Best time of matching ``large`` over best time of ``small`` (glob, path), measured
    alternately so that a load spike on a shared machine hits both sizes alike."""
    best = {small: float("inf"), large: float("inf")}
    for _ in range(rounds):
        for glob, path in (small, large):
            settings._prepared.cache_clear()  # each run builds its automaton from scratch
            settings._compiled.cache_clear()
            start = time.perf_counter()
            assert settings.glob_match(glob, path) is False
            best[(glob, path)] = min(best[(glob, path)], time.perf_counter() - start)
    return best[large] / best[small]


def test_glob_matching_grows_linearly_with_the_path():
    glob = "**a" * 12 + "/*.ini"
    ratio = _growth((glob, "a" * 200_000 + "/Chrystoki.conf"),
                    (glob, "a" * 400_000 + "/Chrystoki.conf"))
    assert ratio < 3.5, ratio  # linear: about 2; backtracking: astronomic


def test_glob_matching_grows_at_most_linearly_with_the_glob():
    path = "a" * 200_000 + "/Chrystoki.conf"
    ratio = _growth(("**a" * 20 + "/*.ini", path), ("**a" * 40 + "/*.ini", path))
    assert ratio < 3.5, ratio


@pytest.mark.parametrize("glob, path, hit", [
    ("[a-c]x.conf", "bx.conf", True),
    ("[!a-c]x.conf", "dx.conf", True),
    ("[!a-c]x.conf", "ax.conf", False),
    ("a[!x]b/c.conf", "a/b/c.conf", False),   # [...] never matches the separator
    ("a?b/c.conf", "a/b/c.conf", False),
    ("a**b/c.conf", "a/x/b/c.conf", True),
    ("[]]x", "]x", True),
    ("[x", "[x", True),                       # an unclosed [ is an ordinary character
    ("**/**/x.conf", "x.conf", True),
    ("a/**/b/**/c", "a/b/c", True),
    ("a/**/b/**/c", "a/x/y/b/z/c", True),
    ("a/**/b/**/c", "a/x/y/bz/c", False),
    ("***.conf", "d/e.conf", True),
    ("configs/**", "configs/a/b", True),
    ("configs/**", "config/a", False),
])
def test_glob_semantics_of_the_linear_matcher(glob, path, hit):
    assert settings.glob_match(glob, path) is hit


# --------------------------------------------------------------------------- versions

@pytest.mark.parametrize("text, line, words", [
    ("facts:\n  - path: '*'\n    client-version: 10.10\n", 3,
     'fact client-version must be a version in quotes: 10.10 reads as the number 10.1; '
     'write "10.10"'),
    ("facts:\n  - path: '*'\n    client-version: 10\n", 3,
     'fact client-version must be a version in quotes, not a number; write "10"'),
    ("facts:\n  - path: '*'\n    client-version: 10.0\n", 3, "not a number; write \"10.0\""),
    ("facts:\n  - {path: '*', client-version: 7.10}\n", 2, "7.10 reads as the number 7.1"),
    ("facts:\n  - firmware: 7.10\n    below: '7.11.0'\n    min-client: '10.9.0'\n", 2,
     'firmware fact `firmware` must be a version in quotes: 7.10 reads as the number 7.1'),
    ("facts:\n  - firmware: '7.10.0'\n    below: '7.11.0'\n    min-client: 10.90\n", 4,
     "min-client` must be a version in quotes: 10.90 reads as the number 10.9"),
    ("facts:\n  - path: '*'\n    client-version: true\n", 3,
     'must be a version like "10.7.0" (in quotes), not True'),
    ("facts:\n  - path: '*'\n    client-version: '١٠.٧'\n", 3, "must be a version like"),
])
def test_an_unquoted_version_is_a_one_line_error_that_says_to_quote_it(tmp_path, text, line,
                                                                         words):
    project = _project(tmp_path, ".lunalint.yaml", text)
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), f".lunalint.yaml:{line}: ", words)


def test_an_unquoted_version_in_pyproject_says_to_quote_it(tmp_path):
    project = _project(tmp_path, "pyproject.toml",
                       "[tool.lunalint]\n\n[[tool.lunalint.facts]]\npath = '*'\n"
                       "client-version = 10.10  # the client\n")
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), "pyproject.toml:5: ",
                    '10.10 reads as the number 10.1; write "10.10"')
    (project / "pyproject.toml").write_text(
        "[tool.lunalint]\nfacts = [{path = '*', client-version = 10.10}]\n")
    _one_line_error(run_cli("Chrystoki.conf", cwd=project), "pyproject.toml:2: ",
                    "not the number 10.1", "quote it")


def test_quoted_versions_are_kept_exactly(tmp_path):
    path = tmp_path / ".lunalint.yaml"
    path.write_text("facts:\n  - path: '*'\n    client-version: '10.10'\n"
                    "  - firmware: '7.10.0'\n    below: '7.11.0'\n    min-client: '10.10.0'\n")
    cfg = settings.load(str(path), [])
    assert cfg.facts_for(str(tmp_path / "Chrystoki.conf")) == {"client-version": "10.10"}
    assert cfg.firmware[0]["min_client"] == "10.10.0"


def test_long_values_are_cut_in_messages(tmp_path):
    project = _project(tmp_path, ".lunalint.yaml", "fail-on: '" + "x" * 5000 + "'\n")
    err = _one_line_error(run_cli("Chrystoki.conf", cwd=project), ".lunalint.yaml:1: ")
    assert len(err) < 300



def _reference_regex(glob: str) -> "re.Pattern[str]":
    """The documented semantics as a backtracking regex (fine for tiny inputs)."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            while glob.startswith("*", i):
                i += 1
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob.startswith("[!", i):
            end = glob.index("]", i + 3)
            out.append(f"[^/{re.escape(glob[i + 2:end])}]")
            i = end + 1
        elif glob[i] == "[":
            end = glob.index("]", i + 2)
            out.append(f"(?!/)[{re.escape(glob[i + 1:end])}]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.S)


@settings_hypothesis(max_examples=400, deadline=None)
@given(glob=st.lists(st.sampled_from(["a", "b", "/", "*", "**", "**/", "?", "[ab]", "[!a]"]),
                     min_size=1, max_size=7).map("".join),
       path=st.text(alphabet="ab/", max_size=10))
def test_the_linear_matcher_agrees_with_the_documented_semantics(glob, path):
    matcher = settings.compile_glob(glob)
    assert matcher.match(path) is bool(_reference_regex(glob).match(path)), (glob, path)
