"""Wall time of ``backprop check`` on a filled handout, beside ``python -c "import numpy"``.

Target (issue 3): under 2x the numpy import, so that a student's self-check feels instant.
``check`` imports neither numpy nor anything it does not need (commands are loaded lazily;
jinja2 is imported only to render the report).

Run: python bench/bench_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def filled_handout(folder: Path, family: str = "2-2-2-1") -> Path:
    """A generated handout of ``family`` with every answer filled in (rounded to 4 places)."""
    from grader.family import load_family
    from grader.generator import draw_variant
    from grader.render.handout import handout_toml
    from grader.solver import solve

    variant = draw_variant(load_family(family), b"bench-secret", "bench", "alice")
    exact = {q.id: q.value for q in solve(variant.instance)}
    lines = []
    for line in handout_toml(variant).splitlines():
        key = line.split("=")[0].strip()
        if key in exact and '""' in line:
            line = f"{key} = {round(exact[key], variant.instance.rounding)!r}"
        lines.append(line)
    path = folder / "alice.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def wall(cmd: list[str], runs: int) -> float:
    """Median wall time of ``cmd`` in seconds (one warm-up run first)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    subprocess.run(cmd, env=env, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = filled_handout(Path(tmp))
        check = [sys.executable, "-m", "grader", "check", str(path)]
        result = subprocess.run(check, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        numpy = wall([sys.executable, "-c", "import numpy"], args.runs)
        checked = wall(check, args.runs)
        python = wall([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass              {python * 1000:7.1f} ms")
    print(f'python -c "import numpy"    {numpy * 1000:7.1f} ms')
    print(f"backprop check (2-2-2-1)    {checked * 1000:7.1f} ms   "
          f"({checked / numpy:.2f}x numpy; target < 2x)")
    print(f"median of {args.runs} runs each, {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
