"""A plain command line is read without argparse (issue 21, cold start): whatever the quick
reading accepts, it reads exactly as argparse does; everything else is left to argparse."""

from __future__ import annotations

import contextlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from lunalint.cli import OPTIONS, _quick_args, build_parser

from .conftest import run_cli


def _argparse(words: list[str]) -> dict | None:
    """What argparse makes of ``words``, or None when it refuses them (or prints and exits)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return vars(build_parser().parse_args(words))
        except SystemExit:
            return None


FLAGS = [flag for flags, _spec in OPTIONS for flag in flags]
VALUES = ["json", "sarif", "text", "never", "error", "HA,SYN001", "sarif:out.sarif", "x:",
          "7.9.0", "1541234=7.8.1", "=7", "0", "2", "-3", "abc", "", "-", "-q", "--quiet",
          "a=b", "Chrystoki.conf", "dir/", "auto", "always", "nope", "a b"]
WORDS = FLAGS + VALUES + ["--", "-", "-x", "--fo", "-qj2", "-j2", "-ofile", "--format=json",
                          "--format=", "--quiet=1", "--output=o.txt", "--select=HA",
                          "--jobs=x", "--no-color=1", "-o=x", "--help", "-h", "--version",
                          "-1", "-a b", "test", "server", "."]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=8))
def test_what_the_quick_reading_accepts_it_reads_as_argparse_does(words):
    quick = _quick_args(words)
    if quick is not None:
        assert vars(quick) == _argparse(words), words


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FLAGS), st.sampled_from(VALUES)), max_size=6),
       st.lists(st.sampled_from(["Chrystoki.conf", ".", "-", "dir/", "a b", "x.ini"]),
                max_size=3))
def test_options_with_values_then_paths(pairs, paths):
    words = [w for flag, value in pairs for w in (flag, value)] + paths
    quick = _quick_args(words)
    if quick is not None:
        assert vars(quick) == _argparse(words), words


def test_plain_command_lines_take_the_quick_reading():
    for words in ([], ["."], ["--no-cache", "--fail-on", "never", "Chrystoki.conf"],
                  ["--format", "sarif", "-o", "out.sarif", "--select", "HA,SYN", "."],
                  ["--skip-unrecognised", "a.conf", "b.ini", "-"],
                  ["--report", "sarif:x.sarif", "--report", "json:x.json", "-j", "2", "-q"],
                  ["--format=json", "--output-format", "github", "--no-color", "x"],
                  ["--target-firmware", "123=7.8.0", "--target-client", "10.4.0", "x"],
                  ["--stdin-filename", "Chrystoki.conf", "-"]):
        quick = _quick_args(words)
        assert quick is not None, words
        assert vars(quick) == _argparse(words), words
    # appended lists are the run's own, not the parser's defaults
    assert _quick_args([]).select == [] and _quick_args([]).select is not _quick_args([]).select


def test_what_it_leaves_to_argparse_is_reported_as_before(tmp_path):
    for words in (["--help"], ["--version"], ["--format", "nope", "x"], ["--bogus"],
                  ["a", "--quiet", "b"], ["--fail-on"], ["-j", "-3", "x"],
                  ["--report", "sarif", "x"], ["--target-firmware", "=1", "x"],
                  ["--fo", "x"], ["-qj2", "x"]):
        assert _quick_args(words) is None, words
    proc = run_cli("--format", "nope", "x", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == ("lunalint: error: argument --format/--output-format: invalid choice: "
                           "'nope' (choose from 'text', 'json', 'sarif', 'github', 'junit', "
                           "'gitlab', 'html', 'markdown')\nFor more information, try '--help'.\n")
    proc = run_cli("-j", "x", "y", cwd=tmp_path)
    assert proc.returncode == 2
    assert "argument --jobs/-j: expected a number of processes, got 'x'" in proc.stderr
