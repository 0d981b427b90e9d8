"""The runner's two ways of running cells give the same answers: plain ``exec`` (the fast path,
used when every cell is plain Python) and IPython's ``InteractiveShell`` (forced here with the
``ipython`` setting), on notebooks with right, rounded, computed, failing and odd cells."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.notebooks.sandbox import RUNNER, ipython_home

IDS = ["o_A", "o_B", "p_A", "dw_A"]

CASES = {
    "right": ["w_A = 0.5", "o_A = 0.1192\np_A = -2.0"],
    "computed": ["from math import exp\ndef sigmoid(p):\n    return 1 / (1 + exp(-p))",
                 "p_A = 0.5 * 2 - 3\no_A = sigmoid(p_A)\no_A"],
    "star import": ["from math import *", "o_A = e ** -2\npi"],
    "future carries over": ["from __future__ import annotations", "def f(x: Undefined) -> None: pass\n"
                            "o_A = float(len(f.__annotations__))"],
    "blank": ["o_A = ...", "p_A = None"],
    "text and nan": ["o_A = 'seven'", "p_A = float('nan')\ndw_A = [1, 2]"],
    "raises": ["o_A = 1.0", "p_A = 1 / 0", "o_B = 2.0"],
    "system exit": ["o_A = 1.0", "raise SystemExit(3)"],
    "bad value": ["class V:\n    def __float__(self):\n        raise ValueError('no')\n"
                  "    def __repr__(self):\n        return 'V()'", "o_A = V()"],
    "repr raises at the end": ["class W:\n    def __repr__(self):\n        raise RuntimeError('r')",
                               "o_A = 1.0\nW()"],
    "main module": ["import __main__\no_A = float(__main__.__name__ == '__main__')\n"
                    "p_A = float(hasattr(__main__, 'o_A'))"],
    "name": ["o_A = float(__name__ == '__main__')"],
    "syntax error": ["o_A = 1.0", "p_A = (", "o_B = 2.0"],
    "magic": ["%time o_A = 2.0", "p_A = 3.0"],
    "ipython names": ["o_A = 4.0", "o_A", "p_A = float(_ == 4.0)"],
    "numpy-free import": ["import json, fractions\no_A = float(fractions.Fraction(1, 4))"],
}


def run(tmp_path, cells: list[str], ipython: bool) -> dict:
    folder = tmp_path / ("ipython" if ipython else "plain")
    folder.mkdir()
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "notebook.ipynb").write_text(json.dumps(nb))
    cfg = {"nonce": "N0NCE", "ids": IDS, "notebook": "notebook.ipynb", "audit": False,
           "path": [ipython_home()],
           "scratch": str(folder), "cell_timeout": 20, "memory_mb": 2048, "cpu_seconds": 60, "nproc": 64,
           "fsize_mb": 16, "ipython": ipython}
    done = subprocess.run([sys.executable, "-I", "-S", "-B", str(RUNNER)], input=json.dumps(cfg).encode(),
                          cwd=folder, capture_output=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(folder),
                               "IPYTHONDIR": str(folder / ".ipython")})
    out = done.stdout.decode()
    assert out.count("N0NCE") == 2, (out, done.stderr.decode())
    return json.loads(out.split("N0NCE")[1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_exec_answers_as_ipython_does(tmp_path, name):
    plain = run(tmp_path, CASES[name], ipython=False)
    shell = run(tmp_path, CASES[name], ipython=True)
    if "error" in shell:  # the same cell, the same exception (IPython's message may name its own file)
        assert "error" in plain, plain
        assert {k: plain["error"][k] for k in ("kind", "cell", "type")} == \
            {k: shell["error"][k] for k in ("kind", "cell", "type")}
    else:
        assert plain == shell
    assert plain != {"values": {}} or name == "blank" or "error" in plain


def test_a_cell_needing_ipython_is_run_by_it(tmp_path):
    """A magic is not plain Python: the whole notebook runs in IPython's shell, and the magic works."""
    assert run(tmp_path, CASES["magic"], ipython=False) == {"values": {"o_A": 2.0, "p_A": 3.0}}
