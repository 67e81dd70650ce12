"""Default worker processes follow the input's size, not only its file count (issue 21)."""

from __future__ import annotations

import os

from lunalint import engine


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def test_many_small_files_are_read_in_one_process():
    assert engine.default_jobs(1000, 1_200_000) == 1  # 1,000 INI files of 1.2 MB
    assert engine.default_jobs(10, 500_000_000) == 1  # a handful of files, however big


def test_megabytes_of_input_use_the_cores():
    assert engine.default_jobs(2400, 12_000_000) == min(_cores(), 3)
    assert engine.default_jobs(2400, None) == min(_cores(), 2400 // 16)  # size unknown
