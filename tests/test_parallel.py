"""The one parallel map of the package (grader/parallel.py): does imap give map's results, in
order, from worker processes, and say so in one line when a worker dies?"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sessions import in_session, kill_and_expect_an_empty_session

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


ALONE = """
import json, os, threading, time
from grader import parallel

def pid_and_parent(chunk):
    return [(x, os.getpid(), os.getppid()) for x in chunk]

def others():  # another thread while the block runs
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    return stop, t

def run(direct):
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    return [r for done in parallel.run_chunks(pid_and_parent, chunks, jobs=2, died=lambda i, r: (i, 0, 0),
                                              direct=direct) for r in done]

def settle():  # (the threads of a pool just shut down may take a moment to leave the kernel's list)
    deadline = time.time() + 2
    while not parallel.alone() and time.time() < deadline:
        time.sleep(0.01)
    return parallel.alone()

if __name__ == "__main__":
    out = {"pid": os.getpid(), "alone": parallel.alone()}
    stop, t = others()
    out["alone with a thread"] = parallel.alone()
    stop.set(); t.join()
    out["alone again"] = settle()
    for direct in (True, False):
        settle()
        out[f"here {direct}"] = run(direct)
        stop, t = others()
        out[f"served {direct}"] = run(direct)
        stop.set(); t.join()
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def alone_run(tmp_path_factory) -> dict:
    """What a fresh process (one thread) found: run_chunks with and without ``direct``, alone and
    with another thread running."""
    script = tmp_path_factory.mktemp("alone") / "alone.py"
    script.write_text(ALONE)
    done = subprocess.run([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_alone_counts_the_kernels_threads(alone_run):
    assert alone_run["alone"] and not alone_run["alone with a thread"] and alone_run["alone again"]


@pytest.mark.parametrize("direct", [True, False])
def test_direct_workers_are_forked_here_only_while_this_process_is_alone(alone_run, direct):
    """With direct, an alone process forks its workers itself; with another thread running (or
    without direct) they come from the fork server, as before. The results are the same."""
    here, served, pid = alone_run[f"here {direct}"], alone_run[f"served {direct}"], alone_run["pid"]
    assert sorted(x for x, _, _ in here) == sorted(x for x, _, _ in served) == list(range(40))
    assert {parent == pid for _, _, parent in here} == {direct}
    assert {parent == pid for _, _, parent in served} == {False}  # (the fork server's children)
    assert all(1 <= len({p for _, p, _ in r}) <= 2 for r in (here, served))  # (two workers at most)


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
        kill_and_expect_an_empty_session(proc)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])
