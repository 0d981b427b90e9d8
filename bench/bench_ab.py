"""Two trees (or one tree with two settings) side by side: cold ``backprop grade`` runs of one class,
``--jobs 1`` and ``--jobs 2``, the variants taken in turns, round after round, medians.

    python bench/bench_ab.py [--n 1000] [--rounds 9] [--corpus DIR] [--out-root DIR] TREE[:VAR=VALUE,...] ...

Each TREE is a checkout whose ``grader`` is run (``python -m grader`` with TREE as the current
folder; its bytecode written first, as an installed package has it); ``:VAR=VALUE,...`` adds
environment variables to its runs (``/work/main:BACKPROP_TEMPLATE_CACHE=off`` against
``/work/main``: one setting measured against another in the same tree). The order of the
variants is reversed every other round, so that a slow spell of the machine (this one's disk
has pauses of its own: ``--out-root /dev/shm`` takes it out) falls on both. It prints, per
variant, the median wall time and CPU seconds (of the command and its workers) of each job count,
and their ratio. Why not one run each: on this 2-core machine two cold runs of the same command
differ by 10 to 20%; a change worth keeping shows in the medians of 9 or more rounds, and again in
a second set.

The class is ``bench/scale_class.py``'s (made once into ``--corpus``), the same as
``bench/bench_scale.py``'s.
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
sys.path[:0] = [str(ROOT / "bench")]

from scale_class import make_class  # noqa: E402


def _variant(spec: str) -> tuple[Path, dict[str, str]]:
    tree, _, extra = spec.partition(":")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # (see bench_scale.py: the bytecode as installed)
    env["PYTHONPATH"] = str(Path(tree).resolve())
    if extra:
        env.update(dict(kv.split("=", 1) for kv in extra.split(",")))
    return Path(tree).resolve(), env


def _run(tree: Path, env: dict[str, str], key: Path, subs: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (the command's and its workers') of one cold run into ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                             "--jobs", str(jobs)], stdout=subprocess.DEVNULL, cwd=tree, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: grade with {tree}")
    return took, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("variants", nargs="+", metavar="TREE[:VAR=VALUE,...]")
    ap.add_argument("--n", type=int, default=1000, help="students in the class")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "scale-corpus"),
                    help="where the class is made once and kept")
    ap.add_argument("--out-root", help="where the runs write OUT (default: the system's temporary folder)")
    args = ap.parse_args()
    key, subs = make_class(Path(args.corpus).resolve() / f"class-{args.n}", args.n)
    variants = [(spec, *_variant(spec)) for spec in args.variants]
    for _, tree, env in variants:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "grader"], cwd=tree, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    outs = Path(tempfile.mkdtemp(prefix="bench-ab-", dir=args.out_root))
    figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        for r in range(args.rounds):
            order = [(v, j) for v in variants for j in (1, 2)]
            for (spec, tree, env), jobs in (order if r % 2 == 0 else order[::-1]):
                figures.setdefault((spec, jobs), []).append(_run(tree, env, key, subs, outs / "out", jobs))
    finally:
        shutil.rmtree(outs, ignore_errors=True)
    print(f"class of {args.n}, {args.rounds} rounds, medians (wall s, CPU s)")
    for spec, _, _ in variants:
        wall = {j: statistics.median(w for w, _ in figures[(spec, j)]) for j in (1, 2)}
        cpu = {j: statistics.median(c for _, c in figures[(spec, j)]) for j in (1, 2)}
        print(f"{spec:40s} jobs 1 {wall[1]:.3f} ({cpu[1]:.2f})  jobs 2 {wall[2]:.3f} ({cpu[2]:.2f})  "
              f"ratio {wall[1] / wall[2]:.2f}", flush=True)


if __name__ == "__main__":
    main()
