"""CPU milliseconds per student for the PDFs ``backprop generate --format pdf`` typesets for
each (the handout and the worked solution), over a class drawn by the generator.

    python bench/bench_pdf.py [--students 300] [--family 2-2-2-1] [--jobs 2] [--plain] [--combined]

Variants are drawn first (not timed); then every student's two PDFs are typeset in a pool of
``--jobs`` processes, each timing its own CPU. ``--plain`` also typesets them with
:func:`grader.render.pdf.plain_document` (the tested reference of the document template) in
turns with the template, ``--rounds`` times each, each round in a fresh pool, and prints both
medians side by side (CPU time: the machine is shared, wall clock is noisy). ``--combined``
also times one class PDF of every handout. The whole command, PDFs written: ``python
bench/bench_generate.py --format pdf``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.family import load_family  # noqa: E402
from grader.generator import Student, Variant, generate_variants  # noqa: E402
from grader.render import pdf  # noqa: E402


def _init(plain: bool) -> None:
    if plain:  # (this worker's PDFs from the reference template)
        pdf.document = pdf.plain_document  # type: ignore[assignment]


def _student(variant: Variant) -> tuple[int, float]:
    """The bytes of the student's two PDFs and the CPU seconds they took in this worker."""
    start = time.process_time()
    size = len(pdf.handout_pdf(variant))
    size += len(pdf.solution_pdf(variant.trace(), student=variant.student, assignment=variant.assignment))
    return size, time.process_time() - start


def _round(variants: tuple[Variant, ...], jobs: int, plain: bool) -> tuple[float, float, int]:
    """(CPU ms per student, wall s, bytes per student) of one round in a fresh pool."""
    t = time.perf_counter()
    with get_context("spawn").Pool(jobs, initializer=_init, initargs=(plain,)) as pool:
        results = pool.map(_student, variants, chunksize=max(1, len(variants) // (8 * jobs)))
    wall = time.perf_counter() - t
    cpu = sum(r[1] for r in results)
    return 1000 * cpu / len(variants), wall, sum(r[0] for r in results) // len(variants)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--family", default="2-2-2-1")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plain", action="store_true", help="also the reference template, in turns")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--combined", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    roster = [Student(f"s{i:04d}", f"Student {i}") for i in range(args.students)]
    variants = generate_variants(load_family(args.family), roster, b"bench secret", "bench")
    print(f"family {args.family}: {args.students} students, {args.jobs} processes; "
          f"variants drawn in {time.perf_counter() - t0:.2f} s")
    kinds = ("template", "plain") if args.plain else ("template",)
    runs: dict[str, list[tuple[float, float, int]]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            runs[kind].append(_round(variants, args.jobs, kind == "plain"))
    for kind in kinds:
        cpu = statistics.median(r[0] for r in runs[kind])
        wall = statistics.median(r[1] for r in runs[kind])
        print(f"{kind:>8}: handout + worked solution {cpu:6.1f} ms CPU per student (median of "
              f"{args.rounds}; {wall:.1f} s wall for the class), {runs[kind][0][2] / 1024:.0f} KiB")
    if args.plain:
        plain, template = (statistics.median(r[0] for r in runs[k]) for k in ("plain", "template"))
        ratio = plain / template
        print(f"the template against the plain reference: {ratio:.2f}x less CPU")
    print(f"(load average {os.getloadavg()[0]:.1f})")
    if args.combined:
        t3 = time.perf_counter()
        data = pdf.class_pdf(variants)
        print(f"class PDF: {time.perf_counter() - t3:.2f} s, {len(data) / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
