"""Microseconds per ``net_svg`` call over a class of variants (default 1,000 students).

    python bench/bench_svg.py [--students 1000] [--family 2-2-1-threshold --family xor] [--repeat 5]

Variants are drawn first (not timed). The first call in the process is reported on its own
(it also loads and compiles the template). Then, per family: the first call for its net
structure with the caches cleared (cold: the layout and the SVG template are made), and the
best of ``--repeat`` passes over every variant (warm), with a sha256 of all the SVGs of one
pass, to check that a change keeps the output byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.family import load_family  # noqa: E402
from grader.generator import generate_variants  # noqa: E402
from grader.render import svg  # noqa: E402
from grader.roster import numbered_roster  # noqa: E402


def clear() -> None:
    if hasattr(svg, "clear_cache"):  # the caches (nothing to clear before there were any)
        svg.clear_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--family", action="append")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    families = args.family or ["2-2-1-threshold", "xor"]

    classes = {name: [v.instance for v in generate_variants(
        load_family(name), numbered_roster(args.students), b"bench secret", "bench", 1)] for name in families}
    t = time.perf_counter()
    svg.net_svg(classes[families[0]][-1])
    print(f"first call in the process: {1e3 * (time.perf_counter() - t):.2f} ms")
    for name, instances in classes.items():
        clear()
        t = time.perf_counter()
        svg.net_svg(instances[0])
        cold = time.perf_counter() - t
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = [svg.net_svg(inst) for inst in instances]
            best = min(best, time.perf_counter() - t)
        digest = hashlib.sha256("\0".join(out).encode()).hexdigest()[:16]
        print(f"{name}: {len(instances)} variants, cold first call {1e3 * cold:.2f} ms, "
              f"then {1e6 * best / len(instances):.1f} us per call (best of {args.repeat}); "
              f"{len(set(out))} distinct SVGs, sha256 {digest}")


if __name__ == "__main__":
    main()
