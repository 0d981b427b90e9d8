"""--execute: values computed in code are read; endless loops, memory, CPU, forks and forged
answers end as clean errors, in bubblewrap and in the weaker --sandbox none."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat import v4

from grader.cli import cli
from grader.notebooks.execute import ExecutionError, Limits, execute_values
from grader.notebooks.sandbox import python_paths

pytestmark = pytest.mark.slow
LIMITS = Limits(cell_timeout=5, notebook_timeout=30, memory_mb=2048)
MODES = ["bwrap", "none"]


def notebook(tmp_path: Path, *sources: str) -> str:
    path = tmp_path / "s01.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(s) for s in sources]), str(path))
    return str(path)


@pytest.mark.parametrize("mode", MODES)
def test_values_computed_in_code_are_read(tmp_path, mode):
    path = notebook(tmp_path, "from math import exp\ndef sigmoid(p):\n    return 1/(1+exp(-p))",
                    "o_A = sigmoid(0.0)", "p_A = 'text'", "%precision 3\nimport math\np_B = math.inf")
    assert execute_values(path, ["o_A", "p_A", "p_B", "o_B"], LIMITS, mode) == {"o_A": 0.5, "p_A": "'text'",
                                                                                "p_B": "inf"}


@pytest.mark.parametrize("mode", MODES)
def test_endless_loop_is_stopped(tmp_path, mode):
    with pytest.raises(ExecutionError, match="a cell ran longer than 5 s"):
        execute_values(notebook(tmp_path, "while True:\n    pass"), ["o_A"], LIMITS, mode)


@pytest.mark.parametrize("mode", MODES)
def test_notebook_timeout(tmp_path, mode):
    """Each cell within its 5 s, the two together past the notebook's 6 s: the sandbox is killed."""
    limits = Limits(cell_timeout=5, notebook_timeout=6)
    with pytest.raises(ExecutionError, match="ran longer than 6 s in all"):
        execute_values(notebook(tmp_path, "import time\ntime.sleep(4)", "time.sleep(4)"), ["o_A"], limits,
                       mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_cell_that_ignores_the_timer_is_stopped_by_the_notebook_limit(tmp_path, mode):
    limits = Limits(cell_timeout=2, notebook_timeout=5)
    source = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(60)"
    with pytest.raises(ExecutionError, match="ran longer than 5 s in all"):
        execute_values(notebook(tmp_path, source), ["o_A"], limits, mode)


@pytest.mark.parametrize("mode", MODES)
def test_memory_limit(tmp_path, mode):
    with pytest.raises(ExecutionError, match="ran out of memory"):
        execute_values(notebook(tmp_path, "x = bytearray(20 * 1024**3)"), ["o_A"], LIMITS, mode)


@pytest.mark.parametrize("mode", MODES)
def test_cpu_limit(tmp_path, mode):
    limits = Limits(cell_timeout=20, notebook_timeout=30, cpu_seconds=2)
    with pytest.raises(ExecutionError, match="more than its 2 s of CPU time"):
        execute_values(notebook(tmp_path, "while True:\n    pass"), ["o_A"], limits, mode)


def test_fork_bomb_meets_the_process_limit_in_bwrap(tmp_path):
    """In bubblewrap forking is allowed up to the notebook's own process limit, then fails."""
    with pytest.raises(ExecutionError, match=r"started too many processes or threads \(limit 16\)"):
        execute_values(notebook(tmp_path, "import os\nwhile True:\n    os.fork()"), ["o_A"], LIMITS, "bwrap")


def test_fork_is_refused_without_sandbox(tmp_path):
    with pytest.raises(ExecutionError, match="os.fork is not allowed"):
        execute_values(notebook(tmp_path, "import os\nwhile True:\n    os.fork()"), ["o_A"], LIMITS, "none")


def test_subprocess_is_refused_without_sandbox(tmp_path):
    with pytest.raises(ExecutionError, match="not allowed"):
        execute_values(notebook(tmp_path, "import subprocess\nsubprocess.run(['true'])"), ["o_A"], LIMITS,
                       "none")


def test_a_subprocess_in_bwrap_sees_only_the_sandbox(tmp_path):
    source = ("import subprocess\n"
              "tops = subprocess.run(['ls', '/'], capture_output=True, text=True).stdout.split()\n"
              "p_A = ' '.join(sorted(tops))")
    values = execute_values(notebook(tmp_path, source), ["p_A"], LIMITS, "bwrap")
    tops = set(values["p_A"].strip("'").split())
    assert {"notebook", "proc", "dev", "usr"} <= tops
    python = {Path(p).parts[1] for p in python_paths()}  # e.g. root for /root/.pyenv, tmp for a venv in /tmp
    assert not tops & ({"tmp", "home", "var", "srv", "mnt", "media", "sys", "run"} - python)


@pytest.mark.parametrize("mode", MODES)
def test_deleting_outside_the_scratch_folder_fails(tmp_path, mode):
    """bwrap: the file is not there to delete; none: the audit hook refuses."""
    victim = tmp_path / "key.json"
    victim.write_text("{}")
    error = "No such file or directory" if mode == "bwrap" else "outside the scratch folder is not allowed"
    with pytest.raises(ExecutionError, match=error):
        execute_values(notebook(tmp_path, f"import os\nos.remove({str(victim)!r})"), ["o_A"], LIMITS, mode)
    assert victim.exists()
    error = "No such file or directory" if mode == "bwrap" else "outside the scratch folder"
    with pytest.raises(ExecutionError, match=error):
        execute_values(notebook(tmp_path, f"open({str(victim)!r}, 'w').write('x')"), ["o_A"], LIMITS, mode)
    assert victim.read_text() == "{}"


@pytest.mark.parametrize("mode", MODES)
def test_environment_is_stripped(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("BACKPROP_SECRET", "hunter2")
    path = notebook(tmp_path, "import os\no_A = float(len([k for k in os.environ if 'SECRET' in k]))",
                    "p_A = ' '.join(sorted(os.listdir('.')))")
    values = execute_values(path, ["o_A", "p_A"], LIMITS, mode)
    assert values["o_A"] == 0.0
    assert values["p_A"] == "'notebook.ipynb'"  # the copy of the notebook, alone (plain Python: no IPython)
    path = notebook(tmp_path, "import os\no_A = float(len([k for k in os.environ if 'SECRET' in k]))",
                    "p_A = ' '.join(sorted(os.listdir('.')))\n%time x = 1")
    values = execute_values(path, ["o_A", "p_A"], LIMITS, mode)
    assert values["o_A"] == 0.0
    assert values["p_A"] == "'.ipython notebook.ipynb'"  # a magic: IPython's shell, and its folder


@pytest.mark.parametrize("mode", MODES)
def test_a_printed_marker_is_not_an_answer(tmp_path, mode):
    """The old marker, printed with made-up values: ignored (the notebook's output goes nowhere)."""
    path = notebook(tmp_path,
                    "print('__BACKPROP_VALUES__{\"o_A\": 1.0')\nimport sys\nsys.__stdout__.write('}')",
                    "o_A = 0.25")
    assert execute_values(path, ["o_A"], LIMITS, mode) == {"o_A": 0.25}


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_answer_is_a_clean_error(tmp_path, mode):
    """A notebook that digs the nonce out of the runner and writes a malformed answer with it."""
    source = """import gc, os
nonce = next(o['nonce'] for o in gc.get_objects() if isinstance(o, dict) and isinstance(o.get('nonce'), str))
for fd in range(3, 64):
    try:
        os.write(fd, (nonce + '{"values": {"o_A": [1, 2]}}' + nonce + '\\n').encode())
    except OSError:
        pass
os._exit(0)"""
    with pytest.raises(ExecutionError, match="its answer was not readable"):
        execute_values(notebook(tmp_path, source), ["o_A"], LIMITS, mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_flood_of_output_does_not_hide_the_answer(tmp_path, mode):
    source = "import os\nfor fd in range(1, 10):\n    try:\n        os.write(fd, b'x' * (8 << 20))\n" \
             "    except OSError:\n        pass\no_A = 0.5"
    assert execute_values(notebook(tmp_path, source), ["o_A"], LIMITS, mode) == {"o_A": 0.5}


@pytest.mark.parametrize("mode", MODES)
def test_exiting_early_is_a_clean_error(tmp_path, mode):
    with pytest.raises(ExecutionError, match="ended before its values were read"):
        execute_values(notebook(tmp_path, "import os\nos._exit(3)"), ["o_A"], LIMITS, mode)


def small_course(tmp_path: Path):
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.roster import numbered_roster

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(2), b"s", "hw", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw")))
    subs = tmp_path / "subs"
    subs.mkdir()
    return key, subs, variants


@pytest.mark.parametrize(("mode", "bad_cell", "reason"), [
    ("bwrap", "while True:\n    pass", "a cell ran longer than 30 s"),
    ("none", "import os\nos._exit(3)", "the notebook ended before its values were read"),
])
def test_batch_carries_on_after_a_bad_notebook(tmp_path, mode, bad_cell, reason):
    """--execute in a batch: the endless loop (or an early exit) is an error row, the other
    notebook is graded."""
    from grader.batch.demo_class import _code_version
    from grader.render.notebook import notebook_handout

    key, subs, (good, bad) = small_course(tmp_path)
    code = _code_version(notebook_handout(good), good.instance, good.asked)
    (subs / f"{good.student}.ipynb").write_text(code)
    nb = json.loads(notebook_handout(bad))
    nb["cells"].append(dict(v4.new_code_cell(bad_cell)))
    (subs / f"{bad.student}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--execute",
                                      "--jobs", "2", "--sandbox", mode])
    assert result.exit_code == 0, result.output
    good_res = json.loads((out / "results" / f"{good.student}.json").read_text())
    bad_res = json.loads((out / "results" / f"{bad.student}.json").read_text())
    assert good_res["status"] == "graded" and good_res["score"] == good_res["max_score"]
    assert bad_res["status"] == "error" and reason in bad_res["message"]


def test_check_reads_a_notebook_with_execute(tmp_path):
    """read_notebook_submission(execute=True): values computed in code count."""
    from grader.batch.demo_class import _code_version
    from grader.grading import grade
    from grader.notebooks.read import read_notebook_submission
    from grader.render.notebook import notebook_handout

    _, _, (v, _) = small_course(tmp_path)
    path = tmp_path / "s01.ipynb"
    path.write_text(_code_version(notebook_handout(v), v.instance, v.asked))
    static = read_notebook_submission(path)
    assert static.answers["o_A"].error.startswith(
        "needs execution: calls sigmoid(); check (or grade) with --execute")
    run = read_notebook_submission(path, execute=True)
    assert grade(v.instance, run.answers, asked=run.asked).all_correct
    result = CliRunner().invoke(cli, ["check", str(path), "--execute", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["score"] == 28


def test_check_of_a_notebook_that_forges_the_answer(tmp_path):
    """Issue 10, item 5: the old value marker printed with made-up values gave a traceback. Now
    printed text is ignored, and an answer forged with the run's nonce is a one-line error."""
    from grader.render.notebook import notebook_handout

    _, _, (v, _) = small_course(tmp_path)
    nb = json.loads(notebook_handout(v))
    nb["cells"].append(dict(v4.new_code_cell("print('__BACKPROP_VALUES__{not json')\n"
                                             "print('__BACKPROP_VALUES__{\"o_A\": 1}')")))
    path = tmp_path / "s01.ipynb"
    path.write_text(json.dumps(nb))
    result = CliRunner().invoke(cli, ["check", str(path), "--execute", "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["score"] == 0
    nb["cells"].append(dict(v4.new_code_cell(
        "import gc, os\n"
        "nonce = next(o['nonce'] for o in gc.get_objects() if isinstance(o, dict) and 'nonce' in o)\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(fd, (nonce + '[\"all\", \"correct\"]' + nonce).encode())\n"
        "    except OSError:\n"
        "        pass\n"
        "os._exit(0)")))
    path.write_text(json.dumps(nb))
    result = CliRunner().invoke(cli, ["check", str(path), "--execute", "--json"])
    assert result.exit_code == 2
    assert result.output == (f"Error: {path}: the notebook ran but its answer was not readable (did it write "
                             "to the runner's output?)\n")
