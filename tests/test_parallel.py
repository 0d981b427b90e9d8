"""The one parallel map of the package (grader/parallel.py): does imap give map's results, in
order, from worker processes, and say so in one line when a worker dies?"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader import parallel

ROOT = Path(__file__).resolve().parent.parent


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


# --------------------------------------------------------------------------- direct workers


def pid_and_parent(chunk: list[int]) -> list[tuple[int, int, int]]:
    """In a worker: (item, its pid, its parent's pid) for each item."""
    return [(x, os.getpid(), os.getppid()) for x in chunk]


@contextlib.contextmanager
def a_thread():
    """Another thread in this process while the block runs."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()


def alone_soon() -> bool:
    """Whether this process is alone within a second (a pool's threads just joined may take a
    moment to leave the kernel's list)."""
    deadline = time.time() + 1
    while not parallel.alone() and time.time() < deadline:
        time.sleep(0.01)
    return parallel.alone()


def test_alone_counts_the_kernels_threads():
    if not alone_soon():
        pytest.skip("this test process runs other threads")
    with a_thread():
        assert not parallel.alone()
    assert alone_soon()


@pytest.mark.parametrize("direct", [True, False])
def test_direct_workers_are_forked_here_only_while_this_process_is_alone(direct):
    """With direct, an alone process forks its workers itself; with another thread running (or
    without direct) they come from the fork server, as before. The results are the same."""
    if not alone_soon():
        pytest.skip("this test process runs other threads")
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    died = lambda item, reason: (item, 0, 0)  # noqa: E731
    here = [r for done in parallel.run_chunks(pid_and_parent, chunks, jobs=2, died=died, direct=direct)
            for r in done]
    with a_thread():
        served = [r for done in parallel.run_chunks(pid_and_parent, chunks, jobs=2, died=died, direct=direct)
                  for r in done]
    assert sorted(x for x, _, _ in here) == sorted(x for x, _, _ in served) == list(range(40))
    assert {parent == os.getpid() for _, _, parent in here} == {direct}
    assert {parent == os.getpid() for _, _, parent in served} == {False}  # (the fork server's children)
    assert len({pid for _, pid, _ in here}) == len({pid for _, pid, _ in served}) == 2


SLOW = """
import os, sys, time
from grader import parallel

def slow(chunk):
    time.sleep(60)
    return chunk

if __name__ == "__main__":
    for _ in parallel.run_chunks(slow, [[1], [2]], jobs=2, died=lambda i, r: i, direct=True):
        pass
"""


def test_direct_workers_die_with_their_parent(tmp_path):
    """A worker forked from the parent holds no copy of the lifeline's writing end: ``kill -9``
    of the parent alone ends its workers."""
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    proc = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            start_new_session=True)
    try:
        deadline = time.time() + 30
        kids: list[int] = []
        while time.time() < deadline and len(kids) < 2:
            kids = [p for p in in_session(proc.pid) if p != proc.pid]
            time.sleep(0.02)
        assert len(kids) == 2, "no workers started"
        assert {ppid(k) for k in kids} == {proc.pid}  # forked by the script itself
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 15
        while time.time() < deadline and in_session(proc.pid):
            time.sleep(0.05)
        assert in_session(proc.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def in_session(sid: int) -> list[int]:
    """The processes of session ``sid`` still running (zombies aside)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found
