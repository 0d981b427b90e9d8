"""The Gradescope autograder (issue 14, part 3): the zip, and results.json for every case.

The fast tests grade in this process (:func:`grader.platforms.autograder.results_for`); the
slow one unpacks the zip into a root laid out as Gradescope's, runs setup.sh into a fresh
virtual environment from the bundled wheel and runs run_autograder for every case.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from gradescope_layout import course, lay_out, submissions, validate

from grader.cli import cli
from grader.platforms.autograder import CONFIG, results_for

EXPECTED = {  # case -> (score, status in extra_data, words of the output)
    "right": (28, "graded", "# Feedback for s001"),
    "misconceived": (None, "graded", "sign-flip"),
    "tampered": (0, "tampered", "The problem in your file is not the one you were given"),
    "unreadable": (0, "error",
                   "Your submission could not be graded: s004/hw3.ipynb: the notebook is cut off"),
    "unknown": (0, "unknown", "Your Gradescope account, zed@mit.edu (SID z999), is not on this assignment's "
                "roster"),
}


def _check(case: str, results: dict, variants) -> None:
    validate(results)
    score, status, words = EXPECTED[case]
    assert results["extra_data"]["status"] == status
    assert words in results["output"]
    if score is not None:
        assert results["score"] == score
    if status == "graded":
        student = results["extra_data"]["student"]
        assert [t["name"] for t in results["tests"]] == list(variants[student].asked)
    else:
        assert results["tests"] == []
    if case == "misconceived":
        failed = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
        assert failed and all(o.startswith("incorrect (sign-flip)") for o in failed.values()), failed
        assert 0 < results["score"] < 28


@pytest.fixture
def root(tmp_path):
    key, variants = course(tmp_path)
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    shutil.copy(key, root / "source" / "key.json")
    config = {"execute": False, "sandbox": "bwrap", "visibility": "after_published",
              "stdout_visibility": "hidden", "ecf_credit": None}
    (root / "source" / CONFIG).write_text(json.dumps(config))
    return root, variants


@pytest.mark.parametrize("case", list(EXPECTED))
def test_results_for_every_case(root, case):
    """Does every case give a results.json that follows the specification, with what happened?"""
    root, variants = root
    lay_out(root, *submissions(variants)[case])
    results = results_for(root)
    _check(case, results, variants)
    assert results["visibility"] == "after_published" and results["stdout_visibility"] == "hidden"


@pytest.mark.parametrize(
    "files, kind, words",
    [({}, "no-file", "No file was submitted"),
     ({"answers.pdf": "%PDF"}, "wrong-type", "You submitted answers.pdf; submit your filled-in notebook"),
     ({"a.ipynb": "{}", "b.toml": ""}, "several", "You submitted 2 answer files (a.ipynb, b.toml)"),
     ({"a.toml": "[answers]\np_A = 1\n", ".hidden.ipynb": "{}", "__MACOSX/a.ipynb": "x"}, "error",
      "Your submission could not be graded")],
    ids=["nothing", "pdf", "two-files", "hidden-files-ignored"],
)
def test_submission_files(root, files, kind, words):
    root, variants = root
    lay_out(root, "x.txt", "", {"users": [{"email": "jane@mit.edu", "sid": ""}]})
    (root / "submission" / "x.txt").unlink()
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    results = results_for(root)
    validate(results)
    if kind == "error":  # a TOML with no metadata, its answers read: graded, not refused
        assert results["extra_data"]["status"] == "graded" and results["score"] < 28
        return
    assert results["extra_data"]["status"] == kind and words in results["output"]
    assert results["score"] == 0


def test_a_classmates_answers_are_graded_and_flagged_for_the_instructor(root):
    """Jane's own handout with Kim's exact answers: graded against Jane's problem, and
    extra_data (not shown to students) says copy, naming Kim; the output does not."""
    root, variants = root
    from grader.batch.demo_class import fill
    from grader.render.notebook import notebook_handout

    kim = variants["s002"].trace()
    jane = variants["s001"]
    text = fill(notebook_handout(jane), {q: repr(kim.value(q)) for q in jane.asked})
    lay_out(root, "hw3.ipynb", text, {"users": [{"email": "jane@mit.edu", "sid": ""}]})
    results = results_for(root)
    validate(results)
    assert results["extra_data"]["status"] == "copy"
    assert results["extra_data"]["message"].startswith("its answers match s002's variant better than its own")
    assert "s002" not in results["output"] and results["score"] < 28


def test_every_new_command_has_help(runner):
    for args in (["gradescope"], ["export"], ["export", "moodle"], ["export", "prairielearn"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, args


def test_no_metadata_and_a_broken_key_are_results_too(root):
    root, variants = root
    lay_out(root, *submissions(variants)["right"])
    (root / "submission_metadata.json").unlink()
    assert results_for(root)["extra_data"]["status"] == "no-metadata"
    (root / "source" / "key.json").write_text("{")
    lay_out(root, *submissions(variants)["right"])
    results = results_for(root)
    validate(results)
    assert results["score"] == 0 and "is not a key.json" in results["output"]


def test_the_zip_has_what_gradescope_expects_at_its_root(runner, tmp_path):
    key, _ = course(tmp_path)
    wheel = tmp_path / "backprop_grader-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # (an empty zip: this test does not install it)
    out = tmp_path / "autograder.zip"
    result = runner.invoke(cli, ["gradescope", str(key), "--out", str(out), "--wheel", str(wheel),
                                 "--visibility", "after_due_date"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Wrote {out}: setup.sh, run_autograder, {wheel.name}, the key of 4 students")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert sorted(names) == sorted(["setup.sh", "run_autograder", wheel.name, "key.json", CONFIG])
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        assert modes["setup.sh"] == modes["run_autograder"] == 0o755
        assert z.read("key.json") == key.read_bytes()
        config = json.loads(z.read(CONFIG))
        setup = z.read("setup.sh").decode()
    assert config == {"execute": False, "sandbox": "bwrap", "visibility": "after_due_date",
                      "stdout_visibility": "hidden", "ecf_credit": None}
    assert f'install --quiet --disable-pip-version-check "$ROOT/source/{wheel.name}"' in setup
    assert "bubblewrap" not in setup
    assert os.stat(out).st_mode & 0o077 == 0  # it holds the key


@pytest.mark.parametrize(
    "args, message",
    [(["--wheel", "nope.whl"], "nope.whl: no such wheel; give the .whl file of backprop-grader"),
     (["--visibility", "never"], None)],
    ids=["no-wheel", "bad-visibility"],
)
def test_gradescope_usage_errors(runner, tmp_path, args, message):
    key, _ = course(tmp_path)
    result = runner.invoke(cli, ["gradescope", str(key), "--out", str(tmp_path / "a.zip"), *args])
    assert result.exit_code == 2
    if message:
        assert result.output == f"Error: {message}\n"


@pytest.mark.slow
def test_end_to_end_in_a_gradescope_root(runner, tmp_path):
    """The zip unpacked as Gradescope does, setup.sh into a fresh venv from the bundled wheel,
    run_autograder for a right, a misconceived, a tampered, an unreadable and an unknown-student
    submission; and the installed package builds an autograder of its own (its wheel packed
    again from the installed files)."""
    key, variants = course(tmp_path)
    zip_path = tmp_path / "autograder.zip"
    result = runner.invoke(cli, ["gradescope", str(key), "--out", str(zip_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # (extractall drops the modes; Gradescope keeps them)
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    env = {**os.environ, "BACKPROP_AUTOGRADER_ROOT": str(root), "BACKPROP_PYTHON": sys.executable}
    env.pop("VIRTUAL_ENV", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stderr
    venv_python = root / "backprop-venv" / "bin" / "python"
    where = subprocess.run([str(venv_python), "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert str(root / "backprop-venv") in where  # installed from the wheel, not this checkout
    for case, files in submissions(variants).items():
        lay_out(root, *files)
        run = subprocess.run([str(root / "source" / "run_autograder")], cwd=root / "source", env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        _check(case, results, variants)
    # the installed package (no checkout beside it) builds the autograder too
    again = tmp_path / "again.zip"
    built = subprocess.run([str(root / "backprop-venv" / "bin" / "backprop"), "gradescope", str(key),
                            "--out", str(again)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(again) as z:
        wheel_name = next(n for n in z.namelist() if n.endswith(".whl"))
        (tmp_path / wheel_name).write_bytes(z.read(wheel_name))
    with zipfile.ZipFile(tmp_path / wheel_name) as w:
        inside = set(w.namelist())
        assert {"grader/platforms/autograder.py", "grader/templates/gradescope_setup.sh.j2",
                "grader/problems/2-2-1-threshold.toml"} <= inside
        assert any(n.endswith(".dist-info/RECORD") for n in inside)
    # ... and a venv without the package (setup failed) still gives a results.json
    shutil.rmtree(root / "backprop-venv")
    lay_out(root, *submissions(variants)["right"])
    run = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True)
    assert run.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    assert results["score"] == 0 and "its setup failed" in results["output"]


def test_run_autograder_finds_its_root_in_the_environment():
    text = (Path(__file__).resolve().parent.parent / "templates" / "gradescope_run_autograder.j2").read_text()
    assert 'ROOT="${BACKPROP_AUTOGRADER_ROOT:-/autograder}"' in text


def test_an_autograder_built_with_execute_runs_the_notebook(root):
    """Answers computed by the student's own code: unread statically, read when the autograder
    was built with --execute (here with --sandbox none: bubblewrap may be missing)."""
    root, variants = root
    from grader.batch.demo_class import _code_version
    from grader.render.notebook import notebook_handout

    jane = variants["s001"]
    text = _code_version(notebook_handout(jane), jane.instance, jane.asked)
    lay_out(root, "hw3.ipynb", text, {"users": [{"email": "jane@mit.edu", "sid": ""}]})
    static = results_for(root)
    validate(static)
    assert static["score"] < 28
    config = json.loads((root / "source" / CONFIG).read_text())
    (root / "source" / CONFIG).write_text(json.dumps({**config, "execute": True, "sandbox": "none"}))
    executed = results_for(root)
    validate(executed)
    assert executed["extra_data"]["status"] == "graded" and executed["score"] == 28
