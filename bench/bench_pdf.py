"""Milliseconds per handout PDF over a class (default 1,000 students), drawn by the generator.

    python bench/bench_pdf.py [--students 1000] [--family 2-2-2-1] [--jobs 2] [--combined]

Variants are drawn first (not timed with the PDFs); then every handout is typeset in a pool
of ``--jobs`` processes. ``--combined`` also times one class PDF of every handout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.family import load_family  # noqa: E402
from grader.generator import Student, generate_variants  # noqa: E402
from grader.render.pdf import class_pdf, handout_pdf  # noqa: E402


def _size(variant) -> tuple[int, float]:
    """The size of the handout and the CPU seconds it took in this worker."""
    start = time.process_time()
    size = len(handout_pdf(variant))
    return size, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--family", default="2-2-2-1")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--combined", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    roster = [Student(f"s{i:04d}", f"Student {i}") for i in range(args.students)]
    variants = generate_variants(load_family(args.family), roster, b"bench secret", "bench")
    t1 = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = pool.map(_size, variants, chunksize=max(1, len(variants) // (8 * args.jobs)))
    sizes = [r[0] for r in results]
    cpu = sum(r[1] for r in results)
    t2 = time.perf_counter()
    pdf_s = t2 - t1
    print(f"family {args.family}: {args.students} students, {args.jobs} processes")
    print(f"variants drawn in {t1 - t0:.2f} s")
    print(f"handout PDFs: {pdf_s:.2f} s in all, {1000 * pdf_s / len(variants):.2f} ms per handout "
          f"(wall clock), {sum(sizes) / len(sizes) / 1024:.0f} KiB each")
    print(f"CPU time: {1000 * cpu / len(variants):.2f} ms per handout; on {args.jobs} idle cores "
          f"{cpu / args.jobs:.1f} s for the class (the load average was {os.getloadavg()[0]:.1f})")
    if args.combined:
        t3 = time.perf_counter()
        data = class_pdf(variants)
        print(f"class PDF: {time.perf_counter() - t3:.2f} s, {len(data) / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
