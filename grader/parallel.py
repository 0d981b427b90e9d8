"""Running a pure function over many items on several cores, results in input order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pmap(fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None, min_per_job: int = 50) -> list[R]:
    """``[fn(x) for x in items]`` on ``jobs`` processes (forked: ``fn`` and the items need not
    be importable by name, only picklable results). Small inputs stay in this process."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(items) < 2 * min_per_job or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(x) for x in items]
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, len(items) // (jobs * 8))
    with ctx.Pool(jobs) as pool:
        return pool.map(fn, items, chunksize=chunk)
