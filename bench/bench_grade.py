"""Benchmark of backprop grade: 1,000 generated notebooks read statically with --jobs 2, beside
the floor (a bare json.load of the same files), and seconds per notebook with --execute.

    python bench/bench_grade.py [--count 1000] [--execute-count 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.families import load_family  # noqa: E402
from grader.generator import generate_variants  # noqa: E402
from grader.key import key_document  # noqa: E402
from grader.notebooks.batch import grade_batch  # noqa: E402
from grader.notebooks.demo import _code_version, fill  # noqa: E402
from grader.notebooks.handout import notebook_handout  # noqa: E402
from grader.roster import numbered_roster  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--execute-count", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grade-"))
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
        t = time.perf_counter()
        for f in files:
            with open(f, "rb") as fh:
                json.load(fh)
        floor = time.perf_counter() - t
        from grader.notebooks.read import parse_notebook, read_answers
        from grader.solver import givens

        by_student = {v.student: v for v in variants}
        t = time.perf_counter()
        for f in files:
            v = by_student[f.stem]
            nb = parse_notebook(f.read_bytes(), str(f))
            read_answers([src for src, _ in nb.code], v.asked, givens(v.instance))
        reading = time.perf_counter() - t
        t = time.perf_counter()
        outcome = grade_batch(str(key), [str(subs)], str(work / "out"), jobs=args.jobs)
        took = time.perf_counter() - t
        assert outcome.regraded == len(files)
        print(f"static grading, --jobs {args.jobs}: {len(files)} notebooks in {took:.2f} s = "
              f"{len(files) / took:.0f} notebooks/s (outputs written: gradebook, results, feedback)")
        print(f"floor, bare json.load of the same files: {floor:.3f} s = {len(files) / floor:.0f} notebooks/s; "
              f"grading takes {took / floor:.1f}x the floor")
        print(f"reading the answers alone (parse + ast, one process): {reading:.2f} s = "
              f"{len(files) / reading:.0f} notebooks/s = {reading / floor:.1f}x the floor")
        t = time.perf_counter()
        again = grade_batch(str(key), [str(subs)], str(work / "out"), jobs=args.jobs)
        rerun = time.perf_counter() - t
        print(f"rerun with nothing changed: {rerun:.2f} s ({again.reused} reused)")
        if args.execute_count:
            ex = work / "ex"
            ex.mkdir()
            for v in variants[: args.execute_count]:
                (ex / f"{v.student}.ipynb").write_text(_code_version(notebook_handout(v), v.instance, v.asked))
            from grader.notebooks.batch import Options

            t = time.perf_counter()
            out = grade_batch(str(key), [str(ex)], str(work / "out-ex"), options=Options(execute=True), jobs=args.jobs)
            took = time.perf_counter() - t
            graded = sum(1 for r in out.rows if r.status == "graded")
            print(f"--execute, --jobs {args.jobs}: {args.execute_count} notebooks in {took:.2f} s = "
                  f"{took / args.execute_count:.2f} s per notebook ({graded} graded)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
