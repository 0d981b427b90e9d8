"""The sandbox of --execute: endless loops, memory, forks and file deletion end as errors."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.notebooks.execute import ExecutionError, Limits, execute_values

pytestmark = pytest.mark.slow
LIMITS = Limits(cell_timeout=5, notebook_timeout=30, memory_mb=2048)


def notebook(tmp_path: Path, *sources: str) -> str:
    path = tmp_path / "s01.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(s) for s in sources]), str(path))
    return str(path)


def test_values_computed_in_code_are_read(tmp_path):
    path = notebook(tmp_path, "from math import exp\ndef sigmoid(p):\n    return 1/(1+exp(-p))", "o_A = sigmoid(0.0)",
                    "p_A = 'text'")
    assert execute_values(path, ["o_A", "p_A", "o_B"], LIMITS) == {"o_A": 0.5, "p_A": "'text'"}


def test_endless_loop_is_stopped(tmp_path):
    with pytest.raises(ExecutionError, match="a cell ran longer than 5 s"):
        execute_values(notebook(tmp_path, "while True:\n    pass"), ["o_A"], LIMITS)


def test_notebook_timeout(tmp_path):
    limits = Limits(cell_timeout=5, notebook_timeout=6)
    with pytest.raises(ExecutionError, match="ran longer than 6 s in all"):
        execute_values(notebook(tmp_path, "import time\ntime.sleep(4)", "time.sleep(4)"), ["o_A"], limits)


def test_memory_limit(tmp_path):
    with pytest.raises(ExecutionError, match="ran out of memory"):
        execute_values(notebook(tmp_path, "x = bytearray(20 * 1024**3)"), ["o_A"], LIMITS)


def test_fork_is_refused(tmp_path):
    with pytest.raises(ExecutionError, match="os.fork is not allowed"):
        execute_values(notebook(tmp_path, "import os\nwhile True:\n    os.fork()"), ["o_A"], LIMITS)


def test_subprocess_is_refused(tmp_path):
    with pytest.raises(ExecutionError, match="not allowed"):
        execute_values(notebook(tmp_path, "import subprocess\nsubprocess.run(['true'])"), ["o_A"], LIMITS)


def test_deleting_outside_the_scratch_folder_is_refused(tmp_path):
    victim = tmp_path / "key.json"
    victim.write_text("{}")
    source = f"import os, shutil\nos.remove({str(victim)!r})"
    with pytest.raises(ExecutionError, match="outside the scratch folder is not allowed"):
        execute_values(notebook(tmp_path, source), ["o_A"], LIMITS)
    assert victim.exists()
    with pytest.raises(ExecutionError, match="outside the scratch folder"):
        execute_values(notebook(tmp_path, f"open({str(victim)!r}, 'w').write('x')"), ["o_A"], LIMITS)
    assert victim.read_text() == "{}"


def test_environment_is_stripped(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_SECRET", "hunter2")
    path = notebook(tmp_path, "import os\no_A = float(len([k for k in os.environ if 'SECRET' in k]))",
                    "p_A = float(len(os.listdir('.')))")
    values = execute_values(path, ["o_A", "p_A"], LIMITS)
    assert values["o_A"] == 0.0
    assert values["p_A"] <= 4  # the notebook copy and the kernel's own files, nothing of ours


def test_batch_carries_on_after_a_bad_notebook(tmp_path):
    """--execute in a batch: the endless loop is an error row, the other notebook is graded."""
    from click.testing import CliRunner

    from grader.cli import cli
    from grader.families import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.notebooks.demo import _code_version
    from grader.notebooks.handout import notebook_handout
    from grader.roster import numbered_roster

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(2), b"s", "hw", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw")))
    subs = tmp_path / "subs"
    subs.mkdir()
    good, bad = variants
    (subs / f"{good.student}.ipynb").write_text(_code_version(notebook_handout(good), good.instance, good.asked))
    nb = json.loads(notebook_handout(bad))
    nb["cells"].append(dict(v4.new_code_cell("while True:\n    pass")))
    (subs / f"{bad.student}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--execute", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    good_res = json.loads((out / "results" / f"{good.student}.json").read_text())
    bad_res = json.loads((out / "results" / f"{bad.student}.json").read_text())
    assert good_res["status"] == "graded" and good_res["score"] == good_res["max_score"]
    assert bad_res["status"] == "error" and "a cell ran longer than" in bad_res["message"]


def test_check_reads_a_notebook_with_execute(tmp_path):
    """read_notebook_submission(execute=True): values computed in code count."""
    from grader.grading import grade
    from grader.notebooks.demo import _code_version
    from grader.notebooks.handout import build_notebook, notebook_text
    from grader.families import load_family
    from grader.generator import generate_variants
    from grader.notebooks.read import read_notebook_submission
    from grader.roster import numbered_roster

    (v,) = generate_variants(load_family("2-2-1-threshold"), numbered_roster(1), b"s", "a", 1)
    INSTANCE, ASKED = v.instance, v.asked

    text = notebook_text(build_notebook(INSTANCE, ASKED, assignment="a", student="s01", signature="x"))
    path = tmp_path / "s01.ipynb"
    path.write_text(_code_version(text, INSTANCE, ASKED))
    static = read_notebook_submission(path)
    assert static.answers["o_A"].error == "needs execution: calls sigmoid()"
    run = read_notebook_submission(path, execute=True)
    assert grade(INSTANCE, run.answers, asked=run.asked).all_correct
