"""Benchmark of ``backprop grade`` as the class grows: a cold run and a rerun with nothing
changed, and ``--jobs 2`` against ``--jobs 1``, at each N (issue 15, items 3 and 4).

    python bench/bench_scale.py [--sizes 100,1000,10000,100000] [--rounds 3] [--corpus DIR]
                                [--changed 10] [--out-root DIR] [--ceiling]
                                [--all [--nbgrader-venv DIR]]

For each N it generates a class of N notebooks (right and rounded answers; ``bench/scale_class.py``,
about 3 minutes for 100,000, kept in ``--corpus DIR`` for the next call), then, for each round,
and alternating the order of the two job counts from round to round, runs
``python -m grader grade KEY SUBS --out OUT --jobs J`` three times into a fresh OUT: the cold run,
the rerun with nothing changed, and a rerun after ``--changed`` files were edited (each written
again with a new modification time: a new identity, so graded again). Each run is its own process;
its wall time and its peak resident memory (``ru_maxrss`` of the process and the workers it
waited for, from ``os.wait4``) are taken. It prints the medians side by side, then for each N a
line with the rerun after the edits and the cost per notebook: the raw figure (cold seconds / N)
and the figure beyond the fixed part (the cold run of a class of one student: the interpreter,
imports, the key, the class files).

The tree's bytecode is written first (``compileall``, as ``pip install`` does) and the runs
write theirs, as an installed package does. ``--out-root /dev/shm`` puts OUT in memory (this
machine's disk has pauses of its own that blur side-by-side figures); ``--ceiling`` adds, per N,
two independent ``--jobs 1`` runs at once against one alone: what two cores give two graders.

``--all`` then runs the other benches of issue 15, each its own process, and prints their lines:
``bench/bench_execute.py`` (``grade --execute`` against nbgrader; minutes; ``--nbgrader-venv``
passed on), ``bench/bench_generate.py`` (1,000 handouts) and ``bench/bench_dask.py`` (when it exists).
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
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scale_class import make_class  # noqa: E402


def _env() -> dict[str, str]:
    """The timed commands' environment: this tree's ``grader``, its bytecode written and read
    (``PYTHONDONTWRITEBYTECODE`` in the caller's environment would make every command compile
    every module again: 30 ms or more that an installed package never spends)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def idle_line(n: int, j: int, wall: float, cpu: float, alone: float, target: float = 1.6) -> str:
    """Where a ``--jobs j`` run loses against ``j`` times as fast: its cores' idle time, ``j`` x
    wall - CPU seconds (of the command and its workers), is the time the run did one thing
    while a core waited (start-up, the class files at the end); to be ``target`` times as fast as
    the ``alone`` seconds of ``--jobs 1`` with the same CPU, it could leave at most
    ``j x alone / target - CPU`` idle."""
    allowed = j * alone / target - cpu
    return (f"{n:>7} --jobs {j}: {j} x {wall:.2f} s - {cpu:.2f} s CPU = {j * wall - cpu:.2f} s of a core "
            f"idle (serial work); {target}x as fast as --jobs 1 with this CPU leaves {max(allowed, 0):.2f} s")


def compile_tree() -> None:
    """Write the bytecode of this tree's ``grader`` now (as ``pip install`` does), so that no timed
    run compiles a module that changed since its bytecode was written."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "grader")], check=True,
                   stdout=subprocess.DEVNULL, env=_env())


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command (its own process); its CPU seconds (and
    its workers') are added to :data:`CPU`."""
    os.sync()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=_env(), cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return took, usage.ru_maxrss / 1024


def two_at_once(cmds: list[list[str]]) -> float:
    """Wall seconds of the commands started together (each its own process), until the last ends."""
    os.sync()
    t = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, env=_env(), cwd=ROOT) for c in cmds]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit(f"failed: {' '.join(cmds[0])}")
    return time.perf_counter() - t


#: the CPU seconds of every command timed, in order (a noisy machine: wall time is not enough)
CPU: list[float] = []


def edit(subs: Path, count: int, round_: int) -> None:
    """Write ``count`` of the class's notebooks again, spread over the class (a new identity each).

    Their modification time is then set 10 s back: a file modified within 3 s of being graded is
    racy (its bytes are hashed, and a rerun cannot take the shortcut of nothing changed), which
    would slow the next job count's rerun, run moments later, for the bench's sake only."""
    files = sorted(subs.iterdir())
    back = time.time_ns() - 10 * 10**9
    for f in files[round_ % max(1, len(files) // max(1, count))::max(1, len(files) // max(1, count))][:count]:
        f.write_bytes(f.read_bytes())
        os.utime(f, ns=(back, back))


def others(nbgrader_venv: str | None) -> None:
    """The other benches of issue 15, each its own process, their lines as they come."""
    here = ROOT / "bench"
    runs: list[tuple[str, Sequence[str]]] = [
        ("bench_execute.py", ["--nbgrader-venv", nbgrader_venv] if nbgrader_venv else []),
        ("bench_generate.py", ["xor"]),  # the two generate targets: 1,000 xor toml+md,
        ("bench_generate.py", ["2-2-2-1", "--format", "pdf"]),  # and 1,000 students' PDFs
        ("bench_dask.py", []),
    ]
    for name, extra in runs:
        script = here / name
        if not script.exists():
            print(f"\n== {name}: not in this tree (skipped)", flush=True)
            continue
        print(f"\n== {name} {' '.join(extra)}", flush=True)
        done = subprocess.run([sys.executable, str(script), *extra], cwd=str(ROOT),
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        if done.returncode != 0:
            print(f"== {name} failed (exit {done.returncode})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default="1,2", help="the job counts compared")
    ap.add_argument("--corpus", help="keep the generated classes in this folder")
    ap.add_argument("--changed", type=int, default=10, help="files edited before the third run")
    ap.add_argument("--all", action="store_true", help="then run the other benches of issue 15")
    ap.add_argument("--nbgrader-venv", help="passed on to bench_execute.py (with --all)")
    ap.add_argument("--out-root", help="where the runs write OUT (default: the system's temporary "
                                       "folder; /dev/shm takes the disk out of the figures)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also time two independent --jobs 1 runs started at once, against one alone: "
                         "how much of two cores this machine gives two grading processes")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    base = Path(args.corpus).resolve() if args.corpus else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    outs = Path(tempfile.mkdtemp(prefix="bench-scale-out-", dir=args.out_root)).resolve()
    compile_tree()
    try:
        print(f"{'N':>7} {'jobs':>4} | {'cold s':>7} {'cold MiB':>8} | {'rerun s':>7} {'rerun MiB':>9} "
              f"| {'rerun/cold':>10}")
        def grade(key: Path, subs: Path, out: Path, j: int) -> list[str]:
            return [sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                    "--jobs", str(j)]

        key1, subs1 = make_class(base / "class-1", 1)
        fixed = {}
        for j in jobs:
            fixed[j] = statistics.median(timed(grade(key1, subs1, outs / f"one-{j}-{r}", j))[0]
                                         for r in range(max(3, args.rounds)))
        extra: list[str] = []
        for n in sizes:
            key, subs = make_class(base / f"class-{n}", n)
            figures: dict[int, dict[str, list[float]]] = {j: {} for j in jobs}
            for r in range(args.rounds):
                for j in (jobs if r % 2 == 0 else jobs[::-1]):
                    out = outs / f"out-{n}-{j}-{r}"
                    cmd = grade(key, subs, out, j)
                    for kind in ("cold", "rerun", "changed"):
                        if kind == "changed":
                            edit(subs, args.changed, r)
                        s, mib = timed(cmd)
                        figures[j].setdefault(kind + "_cpu", []).append(CPU[-1])
                        figures[j].setdefault(kind + "_s", []).append(s)
                        figures[j].setdefault(kind + "_mib", []).append(mib)
                    shutil.rmtree(out, ignore_errors=True)
            for j in jobs:
                m = {k: statistics.median(v) for k, v in figures[j].items()}
                print(f"{n:>7} {j:>4} | {m['cold_s']:>7.2f} {m['cold_mib']:>8.0f} | {m['rerun_s']:>7.2f} "
                      f"{m['rerun_mib']:>9.0f} | {m['rerun_s'] / m['cold_s']:>9.0%}", flush=True)
                beyond = max(0.0, m["cold_s"] - fixed[j]) / n * 1000
                raw = m["cold_s"] / n * 1000
                extra.append(f"{n:>7} {j:>4} | rerun, {args.changed} files changed: {m['changed_s']:6.2f} s "
                             f"{m['changed_mib']:5.0f} MiB | per notebook: {raw:7.3f} ms raw, "
                             f"{beyond:6.3f} ms beyond the fixed {fixed[j]:.2f} s | CPU s: cold "
                             f"{m['cold_cpu']:.2f}, rerun {m['rerun_cpu']:.2f}, "
                             f"changed {m['changed_cpu']:.2f}")
            if len(jobs) == 2:
                a, b = (statistics.median(figures[j]["cold_s"]) for j in jobs)
                print(f"{n:>7} cold run, --jobs {jobs[1]} against --jobs {jobs[0]}: {a / b:.2f}x as fast",
                      flush=True)
                cpu = statistics.median(figures[jobs[1]]["cold_cpu"])
                print(idle_line(n, jobs[1], b, cpu, a), flush=True)
            if args.ceiling:
                alone, pair = [], []
                for r in range(args.rounds):
                    alone.append(timed(grade(key, subs, outs / f"alone-{r}", 1))[0])
                    pair.append(two_at_once([grade(key, subs, outs / f"pair-{r}-{k}", 1) for k in (1, 2)]))
                a, p = statistics.median(alone), statistics.median(pair)
                print(f"{n:>7} ceiling: two independent --jobs 1 runs at once {p:.2f} s against one alone "
                      f"{a:.2f} s: each {p / a:.2f}x as long (the machine's two cores, for two graders)",
                      flush=True)
        print("\n".join(extra), flush=True)
    finally:
        shutil.rmtree(outs, ignore_errors=True)
        if not args.corpus:
            shutil.rmtree(base, ignore_errors=True)
    if args.all:
        others(args.nbgrader_venv)


if __name__ == "__main__":
    main()
