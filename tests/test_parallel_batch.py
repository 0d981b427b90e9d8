"""Do a batch's workers forked from the grader itself (grader.parallel's ``direct`` workers, the
default while the grader runs no other thread) give the outputs of the fork server's workers,
the plain way kept for a grader with threads, and of grading in one process?"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from courses import course, right

from grader import parallel
from grader.batch import run as batch


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the cache, by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_direct_workers_and_the_fork_servers_give_the_same_outputs(tmp_path, monkeypatch):
    key, subs, vs = course(tmp_path, 24)
    t = time.time() - 3600
    for i, (sid, v) in enumerate(sorted(vs.items())):
        path = subs / f"{sid}.ipynb"
        path.write_text(right(v) if i % 3 else "{not a notebook")
        os.utime(path, (t, t))
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "one"), jobs=1, report=True)
    deadline = time.time() + 2
    while not parallel.alone() and time.time() < deadline:
        time.sleep(0.01)
    if not parallel.alone():
        pytest.skip("this test process runs other threads")
    monkeypatch.setenv(batch.FEW_HOOK, "4")  # (workers for 24 files)
    seen = []
    context = parallel.context
    monkeypatch.setattr(parallel, "context", lambda *a, **k: seen.append(context(*a, **k)) or seen[-1])
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "direct"), jobs=2, report=True)
    assert seen and seen[-1].get_start_method() == "fork"  # forked by this process
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()  # (a thread, as a typst compiler's: no fork from here)
    try:
        batch.grade_batch(str(key), [str(subs)], str(tmp_path / "served"), jobs=2, report=True)
    finally:
        stop.set()
        other.join()
    assert seen[-1].get_start_method() == "forkserver"
    assert not multiprocessing.active_children()  # every worker gone
    one = outputs(tmp_path / "one")
    assert len([k for k in one if k.startswith("results/")]) == 24
    assert outputs(tmp_path / "direct") == one
    assert outputs(tmp_path / "served") == one


@pytest.mark.parametrize(("files", "execute", "pdf", "expected"), [
    (batch.IN_ONE_PROCESS_BELOW - 1, False, False, 1), (batch.IN_ONE_PROCESS_BELOW, False, False, 2),
    (3, True, False, 1), (4, True, False, 2), (4, False, True, 2), (1000, False, False, 2),
])
def test_a_few_static_files_stay_in_one_process(files, execute, pdf, expected):
    """Below IN_ONE_PROCESS_BELOW static files a second process costs more than it saves (a
    worker's start against 1.5 ms a file); executed notebooks and PDFs pay from 4 files."""
    assert batch._processes(files, batch.Options(execute=execute, pdf=pdf), 2) == expected
