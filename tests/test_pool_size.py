"""Default worker processes follow the input's size, not only its file count (issue 21)."""

from __future__ import annotations

import os

from lunalint import engine


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def test_small_runs_are_read_in_one_process():
    assert engine.default_jobs(500, 600_000) == 1  # 500 INI files of 0.6 MB
    assert engine.default_jobs(10, 500_000_000) == 1  # a handful of files, however big
    assert engine.default_jobs(40, None) == 1


def test_a_megabyte_of_input_uses_a_second_core():
    assert engine.default_jobs(1000, 1_200_000) == min(_cores(), 2)  # 1,000 INI files
    assert engine.default_jobs(800, 1_000_000) == min(_cores(), 2)


def test_megabytes_of_input_use_the_cores():
    assert engine.default_jobs(2400, 12_000_000) == min(_cores(), 24)
    assert engine.default_jobs(2400, None) == min(_cores(), 2400 // 16)  # size unknown
