"""Seconds to generate 1,000 students' handouts with the whole `backprop generate` command,
wall clock and CPU (targets on the 2-core machine: toml,md under 5 s; pdf under 30 s).

    python bench/bench_generate.py [FAMILY ...] [--format toml,md] [--count 1000] [--repeat 3] [--jobs N]

Each run is timed from start to exit; its CPU seconds are those of every process it started
(the fork server and its workers too: this process adopts them as a subreaper, Linux only,
and reaps them). Wall clock: best of ``--repeat``; CPU: the median. Wall clock on a shared
machine is noisy: the load average is printed beside it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PY, env

PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants (their CPU counts in RUSAGE_CHILDREN)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap() -> None:
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env())
    wall = time.perf_counter() - t
    reap()  # (the fork server outlives the command by a moment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*",
                        default=["2-2-1-threshold", "chain", "2-2-2-bias", "2-2-2-1", "xor"])
    parser.add_argument("--format", default="toml,md")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args()
    target = 30 if "pdf" in args.format else 5
    adopt_orphans()
    for family in args.families:
        walls, cpus = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out"
                cmd = [PY, "-m", "grader", "generate", family, "--count", str(args.count),
                       "--format", args.format, "--out", str(out), "--secret-file", str(Path(tmp) / "secret")]
                wall, cpu = run(cmd + (["--jobs", str(args.jobs)] if args.jobs else []))
                walls.append(wall)
                cpus.append(cpu)
                files = sum(1 for _ in out.rglob("*") if _.is_file())
                shutil.rmtree(out)
        print(f"generate {family:<16} {args.count:,} students ({args.format}): {min(walls):6.2f} s wall "
              f"(best of {args.repeat}; target < {target} s; median {statistics.median(walls):.2f} s; runs "
              f"{', '.join(f'{w:.2f}' for w in walls)}), {statistics.median(cpus):6.2f} s CPU, "
              f"{files} files (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
