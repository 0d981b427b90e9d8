"""Seconds to generate 1,000 students' handouts (toml + md) with `backprop generate`
(target: under 5 s on the 2-core machine).

    python bench/bench_generate.py [FAMILY ...]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PY, env

families = sys.argv[1:] or ["2-2-1-threshold", "chain", "2-2-2-bias", "2-2-2-1", "xor"]
for family in families:
    best = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            t = time.perf_counter()
            subprocess.run([PY, "-m", "grader", "generate", family, "--count", "1000", "--format", "toml,md",
                            "--out", str(out), "--secret-file", str(Path(tmp) / "secret")],
                           check=True, stdout=subprocess.DEVNULL, env=env())
            best = min(best, time.perf_counter() - t)
            files = sum(1 for _ in out.rglob("*") if _.is_file())
            shutil.rmtree(out)
    print(f"generate {family:<16} 1,000 students (toml,md): {best:5.2f} s, {files} files (target < 5 s)")
