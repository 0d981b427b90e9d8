"""Static batch grading timed for two trees side by side, in turns, in one run.

    python bench/bench_trees.py --old /work/main [--new .] [--count 1000] [--jobs 2] [--rounds 5]

On a machine shared with other work a figure moves by tens of percent from one minute to the
next, so two trees measured one after the other cannot be compared. Here the same batch
(``--count`` notebooks of 2-2-1-threshold, two in three rounded by hand, as
``bench/bench_grade.py`` makes them) is graded by each tree in turns, ``--rounds`` times, the
order reversed every round (old, new, new, old, ...). Each turn is a fresh process of that
tree (``TREE/.venv/bin/python`` when there is one, with ``PYTHONPATH=TREE``) that grades the
batch once to warm up (imports, templates, the fork server) and then times
``grade_batch(..., jobs=--jobs)`` into a fresh OUT, as ``bench_grade.py`` does. It prints every
turn, the best and the median of each tree, and new / old.

Wall time on a busy machine still varies by the minute, so each turn's CPU time is measured too:
user and system seconds of the turn's every process (the grader, the fork server, the workers;
this process becomes their subreaper to collect them), for the two batches graded. That
figure moves far less with the machine's load.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: run in a process of the tree under test: warm up, then one timed batch (seconds on stdout)
TURN = """
import os, sys, time
try:
    from grader.batch.run import grade_batch
except ImportError:  # a tree from before grader/batch/ (main up to 6dbbd37)
    from grader.notebooks.batch import grade_batch
key, subs, out, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
grade_batch(key, [subs], out + "-warm", jobs=jobs)
os.sync()
t = time.perf_counter()
outcome = grade_batch(key, [subs], out, jobs=jobs)
took = time.perf_counter() - t
assert outcome.regraded == len(outcome.rows), outcome.summary
print(took)
"""


def make_batch(work: Path, count: int) -> tuple[Path, Path]:
    """The key and the folder of ``count`` notebooks (with this file's tree)."""
    sys.path.insert(0, str(ROOT))
    import time

    from grader.batch.demo_class import fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(count), b"bench", "bench", 1)
    key = work / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "bench")))
    subs = work / "subs"
    subs.mkdir()
    old = time.time() - 3600  # submissions downloaded an hour ago
    for i, v in enumerate(variants):
        trace = v.trace()
        values = {q: f"{trace.value(q):.4f}" if i % 3 else repr(trace.value(q)) for q in v.asked}
        path = subs / f"{v.student}.ipynb"
        path.write_text(fill(notebook_handout(v), values))
        os.utime(path, (old, old))
    return key, subs


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _reap() -> None:
    """Wait for every process left (a fork server outlives its grader by a moment)."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def turn(tree: Path, key: Path, subs: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds of the timed batch, CPU seconds of the whole turn)."""
    python = tree / ".venv" / "bin" / "python"
    exe = str(python) if python.exists() else sys.executable
    env = dict(os.environ, PYTHONPATH=str(tree))
    cpu = _cpu()
    try:
        proc = subprocess.run([exe, "-c", TURN, str(key), str(subs), str(out), str(jobs)], cwd=out.parent,
                              env=env, capture_output=True, text=True, check=True)
        _reap()
    finally:
        for o in (out, Path(f"{out}-warm")):
            shutil.rmtree(o, ignore_errors=True)
    return float(proc.stdout.strip().splitlines()[-1]), _cpu() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="the tree to compare with (e.g. a worktree of main)")
    ap.add_argument("--new", default=str(ROOT), help="the changed tree (default: this file's)")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    if sys.platform == "linux":  # PR_SET_CHILD_SUBREAPER: the fork servers' CPU time is counted too
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    work = Path(tempfile.mkdtemp(prefix="bench-trees-"))
    try:
        key, subs = make_batch(work, args.count)
        times: dict[str, list[float]] = {"old": [], "new": []}
        cpus: dict[str, list[float]] = {"old": [], "new": []}
        for r in range(args.rounds):
            for label in ("old", "new") if r % 2 == 0 else ("new", "old"):
                took, cpu = turn(trees[label], key, subs, work / f"out-{label}-{r}", args.jobs)
                times[label].append(took)
                cpus[label].append(cpu)
                print(f"round {r + 1}: {label} {took:.3f} s (turn's CPU {cpu:.2f} s)", flush=True)
        for label, tree in trees.items():
            ts, cs = times[label], cpus[label]
            print(f"{label} ({tree}): best {min(ts):.3f} s, median {statistics.median(ts):.3f} s "
                  f"({args.count} notebooks, --jobs {args.jobs}); CPU of a turn (two batches): "
                  f"best {min(cs):.2f} s, median {statistics.median(cs):.2f} s")
        med = statistics.median
        print(f"new / old: wall best {min(times['new']) / min(times['old']):.3f}, "
              f"median {med(times['new']) / med(times['old']):.3f}; "
              f"CPU best {min(cpus['new']) / min(cpus['old']):.3f}, "
              f"median {med(cpus['new']) / med(cpus['old']):.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
