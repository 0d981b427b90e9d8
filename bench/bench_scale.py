"""Benchmark of ``backprop grade`` as the class grows: a cold run and a rerun with nothing
changed, and ``--jobs 2`` against ``--jobs 1``, at each N (issue 15, items 3 and 4).

    python bench/bench_scale.py [--sizes 100,1000,10000] [--rounds 3] [--corpus DIR]

For each N it generates a class of N notebooks (right and rounded answers), then, for each
round, and alternating the order of the two job counts from round to round, runs
``python -m grader grade KEY SUBS --out OUT --jobs J`` twice into a fresh OUT: the cold run,
then the rerun with nothing changed. Each run is its own process; its wall time and its peak
resident memory (``ru_maxrss`` of the process, from ``os.wait4``) are taken. It prints the
medians side by side. ``--corpus DIR`` keeps the generated classes there for the next call.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scale_class import make_class  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command (its own process)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    os.sync()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return took, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default="1,2", help="the job counts compared")
    ap.add_argument("--corpus", help="keep the generated classes in this folder")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    base = Path(args.corpus) if args.corpus else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    outs = Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    try:
        print(f"{'N':>7} {'jobs':>4} | {'cold s':>7} {'cold MiB':>8} | {'rerun s':>7} {'rerun MiB':>9} "
              f"| {'rerun/cold':>10}")
        for n in sizes:
            key, subs = make_class(base / f"class-{n}", n)
            figures: dict[int, dict[str, list[float]]] = {j: {} for j in jobs}
            for r in range(args.rounds):
                for j in (jobs if r % 2 == 0 else jobs[::-1]):
                    out = outs / f"out-{n}-{j}-{r}"
                    cmd = [sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                           "--jobs", str(j)]
                    for kind, (s, mib) in (("cold", timed(cmd)), ("rerun", timed(cmd))):
                        figures[j].setdefault(kind + "_s", []).append(s)
                        figures[j].setdefault(kind + "_mib", []).append(mib)
                    shutil.rmtree(out, ignore_errors=True)
            for j in jobs:
                m = {k: statistics.median(v) for k, v in figures[j].items()}
                print(f"{n:>7} {j:>4} | {m['cold_s']:>7.2f} {m['cold_mib']:>8.0f} | {m['rerun_s']:>7.2f} "
                      f"{m['rerun_mib']:>9.0f} | {m['rerun_s'] / m['cold_s']:>9.0%}", flush=True)
            if len(jobs) == 2:
                a, b = (statistics.median(figures[j]["cold_s"]) for j in jobs)
                print(f"{n:>7} cold run, --jobs {jobs[1]} against --jobs {jobs[0]}: {a / b:.2f}x as fast",
                      flush=True)
    finally:
        shutil.rmtree(outs, ignore_errors=True)
        if not args.corpus:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
