"""Fuzz LunaCM/LunaSH captures (lunalint.readers.export) end to end: decode, read, every rule, every report format.

    python fuzz/fuzz_export.py fuzz/corpus/export -runs=100000

Inputs are read as a file named ``capture.lunacm.txt``; seed the corpus from tests/fixtures/samples.
"""

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Coverage guidance where inputs are parsed; rules and reporters run uninstrumented (faster).
with atheris.instrument_imports(include=["lunalint.readers", "lunalint.source", "lunalint.model"]):
    import _harness

NAME = "capture.lunacm.txt"

try:
    import lunalint.readers.export  # noqa: F401
except ModuleNotFoundError:
    sys.exit("lunalint.readers.export is not there yet: nothing to fuzz for captures")


def test_one_input(data: bytes) -> None:
    _harness.lint_bytes(data, NAME)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
