"""Wall time of one `backprop solve` beside `python -c "import numpy"` (target: under 2x).

    python bench/bench_solve.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import PY, wall

INSTANCE = """
alpha = 0.5
bias = "threshold"
inputs = ["x1", "x2"]
layers = [["A", "B"], ["C"]]
[weights]
x1_A = 1.0
x2_A = -0.5
bias_A = 0.5
x1_B = 1.5
x2_B = 1.0
bias_B = -0.5
A_C = 1.0
B_C = -1.0
bias_C = 0.5
[[samples]]
inputs = { x1 = 1.0, x2 = 0.0 }
desired = { C = 1.0 }
"""

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "net.toml"
    path.write_text(INSTANCE)
    numpy = wall([PY, "-c", "import numpy"], repeat=10)
    for fmt in ("text", "json", "md"):
        solve = wall([PY, "-m", "grader", "solve", str(path), "--format", fmt], repeat=10)
        print(f"backprop solve --format {fmt:<4}: {solve * 1000:6.1f} ms   "
              f"import numpy: {numpy * 1000:6.1f} ms   ratio {solve / numpy:4.2f}x (target < 2x)")
