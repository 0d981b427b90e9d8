"""backprop grade and backprop demo through CliRunner: statuses, messages, reruns."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import blank, right
from courses import course as make_course
from nbformat import v4

from grader.batch import run as batch
from grader.batch import worker
from grader.cli import cli
from grader.render.notebook import notebook_handout


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def course(tmp_path: Path):
    return make_course(tmp_path, 6)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def test_every_case_gets_its_status_and_message(runner, course, tmp_path):
    """Right, tampered, metadata removed, corrupt, duplicate, missing: each on its row."""
    key, subs, vs = course
    s = sorted(vs)
    (subs / f"{s[0]}.ipynb").write_text(right(vs[s[0]]))
    nb = json.loads(right(vs[s[1]]))
    nb["metadata"]["backprop"]["instance"]["alpha"] = 5.0
    (subs / f"{s[1]}.ipynb").write_text(json.dumps(nb))
    nb = json.loads(right(vs[s[2]]))
    del nb["metadata"]["backprop"]
    (subs / "renamed").mkdir()
    (subs / "renamed" / f"{s[2]}.ipynb").write_text(json.dumps(nb))
    (subs / f"{s[3]}.ipynb").write_bytes(b"\x00\xff garbage")
    old, new = subs / "old" / f"{s[4]}.ipynb", subs / f"{s[4]}.v2.ipynb"
    old.parent.mkdir()
    old.write_text(blank(vs[s[4]]))
    new.write_text(right(vs[s[4]]))
    os.utime(old, (1_000_000, 1_000_000))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert list(book) == s
    assert [book[x]["status"] for x in s] == ["graded", "tampered", "graded", "error", "graded", "missing"]
    assert book[s[0]]["score"] == book[s[0]]["max_score"]
    assert book[s[1]]["score"] == book[s[1]]["max_score"]  # graded against the key all the same
    assert book[s[2]]["score"] == book[s[2]]["max_score"]
    assert book[s[4]]["score"] == book[s[4]]["max_score"]  # the newest file counts
    res = json.loads((out / "results" / f"{s[3]}.json").read_text())
    assert res["status"] == "error" and "is a binary file, not a notebook" in res["message"]
    changed = json.loads((out / "results" / f"{s[1]}.json").read_text())
    assert changed["message"] == "the problem (instance) was changed"
    assert json.loads((out / "results" / f"{s[5]}.json").read_text())["status"] == "missing"
    assert f"{s[4]} submitted 2 files; the one that counts" in result.output
    assert "Status: 3 graded, 1 tampered, 1 error, 1 missing." in result.output
    assert (out / "feedback" / f"{s[0]}.md").read_text().startswith("# Feedback for")
    assert not (out / "feedback" / f"{s[5]}.md").exists()


def test_corrupt_file_lands_on_its_students_row(runner, course, tmp_path):
    key, subs, vs = course
    s = sorted(vs)[0]
    text = right(vs[s])
    (subs / f"{s}.ipynb").write_text(text[: len(text) // 3])
    out = tmp_path / "out"
    assert runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"]).exit_code == 0
    assert gradebook(out)[s]["status"] == "error"
    assert "cut off" in json.loads((out / "results" / f"{s}.json").read_text())["message"]


def test_folder_ids(runner, course, tmp_path):
    key, subs, vs = course
    s = sorted(vs)[1]
    nb = json.loads(right(vs[s]))
    del nb["metadata"]["backprop"]
    (subs / s).mkdir()
    (subs / s / "homework.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out),
                        "--id-from", "folder", "--jobs", "1"])
    assert gradebook(out)[s]["status"] == "graded"


def test_rerun_regrades_only_changes_and_gives_the_same_gradebook(runner, course, tmp_path):
    key, subs, vs = course
    for sid, v in vs.items():
        (subs / f"{sid}.ipynb").write_text(right(v))
    out = tmp_path / "out"
    first = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "2"])
    book = (out / "gradebook.csv").read_text()
    assert "(6 graded now, 0 unchanged" in first.output
    second = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "2"])
    assert "(0 graded now, 6 unchanged" in second.output
    assert (out / "gradebook.csv").read_text() == book
    sid = sorted(vs)[0]
    (subs / f"{sid}.ipynb").write_text(blank(vs[sid]))
    third = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "2"])
    assert "(1 graded now, 5 unchanged" in third.output
    assert gradebook(out)[sid]["score"] == "0"
    forced = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--force", "--jobs", "2"])
    assert "(6 graded now, 0 unchanged" in forced.output


def test_kill_and_rerun_loses_nothing_and_counts_nothing_twice(course, tmp_path, monkeypatch):
    """A run killed after some files are graded: the rerun grades the rest, one row each."""
    key, subs, vs = course
    for sid, v in vs.items():
        (subs / f"{sid}.ipynb").write_text(right(v))
    out = tmp_path / "out"
    reference = tmp_path / "ref"
    batch.grade_batch(str(key), [str(subs)], str(reference), jobs=1)
    calls = {"n": 0}
    real = worker.grade_file

    def dies_after_three(task):
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the instructor pressed Ctrl-C
        calls["n"] += 1
        return real(task)

    monkeypatch.setattr(worker, "grade_file", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    monkeypatch.setattr(worker, "grade_file", real)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert (again.regraded, again.reused) == (3, 3)
    assert (out / "gradebook.csv").read_text() == (reference / "gradebook.csv").read_text()
    assert [r.status for r in again.rows] == ["graded"] * 6


def test_unreadable_key_is_one_line_error(runner, tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text("{")
    result = runner.invoke(cli, ["grade", str(bad), str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_missing_submission_path(runner, course, tmp_path):
    key, _, _ = course
    result = runner.invoke(cli, ["grade", str(key), str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_check_reads_a_notebook(runner, course, tmp_path):
    _, _, vs = course
    sid = sorted(vs)[0]
    path = tmp_path / f"{sid}.ipynb"
    path.write_text(right(vs[sid]))
    result = runner.invoke(cli, ["check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert {i["verdict"] for i in json.loads(result.output)["items"]} == {"correct"}


def test_untagged_cell_in_batch(runner, course, tmp_path):
    key, subs, vs = course
    sid = sorted(vs)[0]
    nb = json.loads(right(vs[sid]))
    for c in nb["cells"]:
        c.get("metadata", {}).pop("tags", None)
    nb["cells"].append(dict(v4.new_code_cell("o_A = sigmoid(p_A)")))
    (subs / f"{sid}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"])
    res = json.loads((out / "results" / f"{sid}.json").read_text())
    item = next(i for i in res["items"] if i["id"] == "o_A")
    assert item["verdict"] == "invalid" and "needs execution" in item["message"]
    assert "grade again with --execute" in result.output


def test_demo(runner, tmp_path):
    result = runner.invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Status: 5 graded, 1 tampered, 1 error, 1 missing." in result.output
    assert "sign-flip: 1 student" in result.output and "updated-weights: 1 student" in result.output
    assert (tmp_path / "demo" / "graded" / "gradebook.csv").exists()


def test_every_command_has_help(runner):
    for name in ("grade", "demo"):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output


def test_toml_answer_files_are_graded_too(runner, course, tmp_path):
    """A filled-in .toml handout is graded like a notebook; a broken one is an error row."""
    import re

    from grader.render.handout import handout_toml

    key, subs, vs = course
    good, broken = sorted(vs)[:2]
    trace = vs[good].trace()
    text = re.sub(r'^(\w+) = ""', lambda m: f"{m.group(1)} = {trace.value(m.group(1))!r}",
                  handout_toml(vs[good]), flags=re.M)
    (subs / f"{good}.toml").write_text(text)
    (subs / f"{broken}.toml").write_text("[answers\no_A = 1")
    out = tmp_path / "out"
    assert runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"]).exit_code == 0
    book = gradebook(out)
    assert book[good]["status"] == "graded" and book[good]["score"] == book[good]["max_score"]
    assert book[broken]["status"] == "error"
    assert "is not valid TOML" in json.loads((out / "results" / f"{broken}.json").read_text())["message"]


def test_solve_reads_a_notebook_handouts_problem(runner, course, tmp_path):
    """`backprop solve s01.ipynb` solves the problem in the notebook's metadata, the same as
    solving the instance itself."""
    key, _, vs = course
    v = vs[sorted(vs)[0]]
    nb_path = tmp_path / "hw.ipynb"
    nb_path.write_text(notebook_handout(v))
    inst_path = tmp_path / "hw.json"
    inst_path.write_text(json.dumps(v.instance.to_dict()))
    from_nb = runner.invoke(cli, ["solve", str(nb_path), "--format", "json", "--key", str(key)])
    assert from_nb.exit_code == 0, from_nb.output
    assert from_nb.output == runner.invoke(cli, ["solve", str(inst_path), "--format", "json"]).output
    nb = json.loads(nb_path.read_text())
    del nb["metadata"]["backprop"]
    nb_path.write_text(json.dumps(nb))
    bare = runner.invoke(cli, ["solve", str(nb_path)])
    assert bare.exit_code == 2
    assert bare.output == (f"Error: {nb_path}: has no problem in its metadata (metadata.backprop.instance); "
                           "solve the instance file or the .toml handout instead\n")
    nb_path.write_text("{")
    assert runner.invoke(cli, ["solve", str(nb_path)]).output.startswith(f"Error: {nb_path}: ")
