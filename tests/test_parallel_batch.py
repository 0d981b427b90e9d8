"""Do a batch's workers forked from the grader itself (grader.parallel's ``direct`` workers, the
default while the grader runs no other thread) give the outputs of the fork server's workers,
the plain way kept for a grader with threads, and of grading in one process?"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from courses import course, right

from grader.batch import run as batch

ROOT = Path(__file__).resolve().parent.parent


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the cache, by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


GRADE = """
import json, sys, threading, time
from grader import parallel
from grader.batch import run as batch

if __name__ == "__main__":
    key, subs, folder = sys.argv[1:]
    seen = []
    context = parallel.context
    parallel.context = lambda *a, **k: seen.append(context(*a, **k).get_start_method()) or context(*a, **k)
    batch.grade_batch(key, [subs], folder + "/one", jobs=1, report=True)
    deadline = time.time() + 2  # (a pool's threads just shut down may take a moment to leave)
    while not parallel.alone() and time.time() < deadline:
        time.sleep(0.01)
    batch.grade_batch(key, [subs], folder + "/direct", jobs=2, report=True)
    direct = seen[-1]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()  # (a thread, as a typst compiler's: no fork from here)
    batch.grade_batch(key, [subs], folder + "/served", jobs=2, report=True)
    stop.set()
    other.join()
    print(json.dumps([direct, seen[-1]]))
"""


def test_direct_workers_and_the_fork_servers_give_the_same_outputs(tmp_path):
    key, subs, vs = course(tmp_path, 24)
    t = time.time() - 3600
    for i, (sid, v) in enumerate(sorted(vs.items())):
        path = subs / f"{sid}.ipynb"
        path.write_text(right(v) if i % 3 else "{not a notebook")
        os.utime(path, (t, t))
    script = tmp_path / "grade.py"
    script.write_text(GRADE)
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{batch.FEW_HOOK: "4"})  # (workers for 24 files)
    done = subprocess.run([sys.executable, str(script), str(key), str(subs), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=300)  # (a fresh process: one thread)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["fork", "forkserver"]  # forked by the grader; by a fork server
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
