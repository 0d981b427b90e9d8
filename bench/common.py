"""Shared helpers for the benchmarks: wall time of a command, best of several runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def wall(cmd: list[str], repeat: int = 5, cwd: str | Path | None = None) -> float:
    """Best wall time in seconds of ``cmd`` over ``repeat`` runs (it must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env(), cwd=cwd)
        best = min(best, time.perf_counter() - t)
    return best


PY = sys.executable
