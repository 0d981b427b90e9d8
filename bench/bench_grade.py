"""Benchmark of backprop grade: 1,000 generated notebooks read statically with --jobs 2, beside
the floor (a bare json.load of the same files), and seconds per notebook with --execute.

    python bench/bench_grade.py [--count 1000] [--jobs 2] [--execute-count 4] [--repeat 3]

Also printed, to show where the time goes: the least any grader writing the same files can do
(bench/skeleton.py, a second floor that includes the writing; timed in turns with the grading),
the same grading with the outputs in memory (/dev/shm, when there is one) instead of on disk,
and the time to write the outputs' bytes alone with bare open/write/rename in one process (a
floor for the writing part). Each figure is the best of ``--repeat`` runs, each into a fresh
output folder, in this process (so imports and compiled templates are warm, as in a long-lived
process; ``backprop grade`` also pays Python's start, the imports and the fork server's start, which the
figure "as a command" includes). Nothing is deleted until the
end and dirty pages are flushed (``os.sync``) before each timed run: on a disk mounted with
``discard``, as here, deleting thousands of files slows the writes that follow for seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.batch.run import Options, grade_batch  # noqa: E402

# (the rest is imported in main(): the grading workers, forked by a fork server, import this
# script again, and what it imports at the top would be paid by each worker, which the
# command, backprop grade, does not pay)


def best(fn, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        out = min(out, fn())
    return out


def main() -> None:
    import skeleton  # (bench/skeleton.py)

    from grader.batch.demo_class import _code_version, fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--execute-count", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    made: list[Path] = []  # output folders in /dev/shm, removed at the end
    try:
        family = load_family("2-2-1-threshold")
        variants = generate_variants(family, numbered_roster(args.count), b"bench", "bench", args.jobs)
        key = work / "key.json"
        key.write_text(json.dumps(key_document(variants, family, "bench")))
        subs = work / "subs"
        subs.mkdir()
        for i, v in enumerate(variants):
            trace = v.trace()
            values = {q: f"{trace.value(q):.4f}" if i % 3 else repr(trace.value(q)) for q in v.asked}
            (subs / f"{v.student}.ipynb").write_text(fill(notebook_handout(v), values))
        files = sorted(subs.glob("*.ipynb"))
        old = time.time() - 3600  # submissions downloaded an hour ago
        for f in files:
            os.utime(f, (old, old))

        def floor_run() -> float:
            t = time.perf_counter()
            for f in files:
                with open(f, "rb") as fh:
                    json.load(fh)
            return time.perf_counter() - t

        floor = best(floor_run, args.repeat)
        runs = iter(range(10**6))

        def grade_run(base: Path) -> float:
            out = base / f"bench-grade-out-{os.getpid()}-{next(runs)}"
            made.append(out)
            os.sync()
            t = time.perf_counter()
            outcome = grade_batch(str(key), [str(subs)], str(out), jobs=args.jobs)
            took = time.perf_counter() - t
            assert outcome.regraded == len(files), outcome.summary
            return took

        def least_run(base: Path) -> float:
            out = base / f"bench-least-{os.getpid()}-{next(runs)}"
            made.append(out)
            return skeleton.timed(str(key), [str(f) for f in files], str(out), args.jobs)

        def in_turns(base: Path) -> tuple[float, float]:
            """The best grading and the best least grader into ``base``, taken in turns so that
            both see the disk in the same states."""
            took = least = float("inf")
            for _ in range(args.repeat):
                took = min(took, grade_run(base))
                least = min(least, least_run(base))
            return took, least

        took, least = in_turns(work)
        print(f"static grading, --jobs {args.jobs}: {len(files)} notebooks in {took:.3f} s = "
              f"{len(files) / took:.0f} notebooks/s "
              "(outputs written: gradebook, results, feedback .md and .svg)")
        print(f"floor, bare json.load of the same files: {floor:.3f} s = "
              f"{len(files) / floor:.0f} notebooks/s; "
              f"grading takes {took / floor:.1f}x the floor")
        print("the least a grader writing the same files can do "
              "(bench/skeleton.py: json.load, a regex, compare "
              f"with the key's answers, write; --jobs {args.jobs}): "
              f"{least:.3f} s = {least / floor:.1f}x the floor; "
              f"grading takes {took / least:.1f}x that")
        if shm is not None:
            mem, mem_least = in_turns(shm)
            print(f"the same with OUT in memory (/dev/shm): {mem:.3f} s = {mem / floor:.1f}x the floor; "
                  f"the least grader {mem_least:.3f} s = {mem_least / floor:.1f}x; "
                  f"grading takes {mem / mem_least:.1f}x that")

        def command_run() -> float:
            out = work / f"cmd-{next(runs)}"
            os.sync()
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                            "--jobs", str(args.jobs)], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent)))
            return time.perf_counter() - t

        cmd = best(command_run, args.repeat)
        print(f"the same as a command (python -m grader grade: Python's start, the imports, the fork "
              f"server's start): {cmd:.3f} s")

        out = work / "out"
        grade_batch(str(key), [str(subs)], str(out), jobs=args.jobs)
        blobs = [p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and ".cache" not in p.parts]

        def write_run() -> float:
            dest = work / f"bare-{next(runs)}"
            dest.mkdir()
            os.sync()
            t = time.perf_counter()
            for i, b in enumerate(blobs):
                with open(dest / f".{i}.tmp", "wb") as fh:
                    fh.write(b)
                os.replace(dest / f".{i}.tmp", dest / str(i))
            return time.perf_counter() - t

        bare = best(write_run, args.repeat)
        print(f"writing the {len(blobs)} output files' bytes alone (open/write/rename, one process): "
              f"{bare:.3f} s = "
              f"{bare / floor:.1f}x the floor")

        from grader.notebooks.read import parse_notebook, read_answers
        from grader.solver import givens

        by_student = {v.student: v for v in variants}
        t = time.perf_counter()
        for f in files:
            v = by_student[f.stem]
            nb = parse_notebook(f.read_bytes(), str(f))
            read_answers([src for src, _ in nb.code], v.asked, givens(v.instance))
        reading = time.perf_counter() - t
        print(f"reading the answers alone (parse + answers, one process): {reading:.3f} s = "
              f"{len(files) / reading:.0f} notebooks/s = {reading / floor:.1f}x the floor")
        t = time.perf_counter()
        again = grade_batch(str(key), [str(subs)], str(out), jobs=args.jobs)
        rerun = time.perf_counter() - t
        print(f"rerun with nothing changed: {rerun:.3f} s ({again.reused} reused)")
        if args.execute_count:
            ex = work / "ex"
            ex.mkdir()
            for v in variants[: args.execute_count]:
                (ex / f"{v.student}.ipynb").write_text(
                    _code_version(notebook_handout(v), v.instance, v.asked))
            t = time.perf_counter()
            res = grade_batch(str(key), [str(ex)], str(work / "out-ex"),
                              options=Options(execute=True), jobs=args.jobs)
            took = time.perf_counter() - t
            graded = sum(1 for r in res.rows if r.status == "graded")
            print(f"--execute, --jobs {args.jobs}: {args.execute_count} notebooks in {took:.2f} s = "
                  f"{took / args.execute_count:.2f} s per notebook ({graded} graded)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for out in made:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
