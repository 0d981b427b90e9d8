"""The one parallel map of the package (grader/parallel.py): does imap give map's results, in
order, from worker processes, and say so in one line when a worker dies?"""

from __future__ import annotations

import os
import signal
import time

import pytest

from grader import parallel


def slow_square(x: int) -> tuple[int, int]:
    """In a worker: x * x and the worker's pid; the early items are the slow ones, so results
    come back out of order and imap must put them in order."""
    if x < 20:
        time.sleep(0.01)
    return x * x, os.getpid()


def square_or_die(x: int) -> int:
    if x == 150:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def test_imap_gives_maps_results_in_order_from_the_workers():
    got = list(parallel.imap(slow_square, list(range(300)), jobs=2))
    assert [r for r, _ in got] == [x * x for x in range(300)]
    pids = {pid for _, pid in got}
    assert os.getpid() not in pids and len(pids) == 2


def test_few_items_or_one_job_stay_in_this_process():
    assert {pid for _, pid in parallel.imap(slow_square, list(range(10)), jobs=2)} == {os.getpid()}
    assert {pid for _, pid in parallel.imap(slow_square, list(range(300)), jobs=1)} == {os.getpid()}


def test_a_worker_that_dies_twice_on_an_item_is_one_error_line():
    died = r"^a worker process died \(killed by signal 9; out of memory\?\) twice on the same work; "
    with pytest.raises(parallel.WorkerDied, match=died):
        list(parallel.imap(square_or_die, list(range(300)), jobs=2))


def test_all_cores_is_one_number():
    """--jobs not given means the cores this process may run on, everywhere."""
    assert parallel.workers(None) == parallel.all_cores() == len(os.sched_getaffinity(0))
    assert parallel.workers(3) == 3
