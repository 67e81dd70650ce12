"""Fuzz the decoder alone: any bytes give text or a reason, never an exception.

    python fuzz/fuzz_source.py -runs=100000
"""

import sys

import atheris

with atheris.instrument_imports():
    from lunalint import source


def test_one_input(data: bytes) -> None:
    loaded = source.decode(data)
    assert loaded.text is not None or loaded.problem, loaded


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
