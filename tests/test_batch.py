"""The batch's bookkeeping: the journal, reruns, duplicates across runs, a killed pool, the key."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import blank, course, right

from grader import parallel
from grader.batch import journal, worker
from grader.batch import run as batch
from grader.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the journal, by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def age(path: Path, seconds: float = 3600) -> None:
    """Date a file back, as a submission downloaded earlier would be."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def submit(subs: Path, vs: dict, blank_every: int = 0) -> None:
    """Every student's notebook, downloaded an hour ago: filled in right, but left blank for
    every ``blank_every``-th student in order (the first included)."""
    for i, (sid, v) in enumerate(sorted(vs.items())):
        path = subs / f"{sid}.ipynb"
        path.write_text(blank(v) if blank_every and i % blank_every == 0 else right(v))
        age(path)


def test_rerun_reuses_and_outputs_stay_identical(tmp_path):
    key, subs, vs = course(tmp_path, 5)
    submit(subs, vs)
    out = tmp_path / "out"
    first = batch.grade_batch(str(key), [str(subs)], str(out), jobs=2)
    before = outputs(out)
    assert first.regraded == 5
    assert set(before) >= {f"feedback/{s}.md" for s in vs} | {f"results/{s}.json" for s in vs}
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=2)
    assert (again.regraded, again.reused) == (0, 5)
    assert outputs(out) == before
    # outputs deleted by hand come back from the journal without regrading
    (out / "feedback" / f"{sorted(vs)[0]}.md").unlink()
    (out / "feedback" / f"{sorted(vs)[0]}.svg").unlink()
    third = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert third.regraded == 0 and outputs(out) == before



def test_duplicates_whose_winner_lost_its_journal_line_are_graded_again(tmp_path, monkeypatch):
    """The parent rewrites a duplicate winner's outputs from the journal; when the winner's
    line is not there (damaged meanwhile), the winner is graded again instead."""
    key, subs, vs = course(tmp_path, 2)
    sid = sorted(vs)[0]
    old, new = subs / f"{sid}.v2.ipynb", subs / f"{sid}.ipynb"  # both graded: the parent rewrites the winner
    new.write_text(right(vs[sid]))
    old.write_text(blank(vs[sid]))
    age(new, 3600)
    age(old, 7200)
    out = tmp_path / "out"
    monkeypatch.setattr(journal.Journal, "load", lambda self, max_score: {})
    graded = []
    grade_file = worker.grade_file
    monkeypatch.setattr(worker, "grade_file", lambda task: graded.append(task.path) or grade_file(task))
    outcome = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert sorted(graded) == sorted([str(old), str(new), str(new)])
    res = json.loads((out / "results" / f"{sid}.json").read_text())
    assert res["file"] == str(new) and res["score"] == res["max_score"]
    row = next(r for r in outcome.rows if r.student == sid)
    assert row.file == str(new) and row.score == row.max_score
    assert outcome.duplicates == (batch.Duplicate(sid, str(new), (str(old),)),)


def test_a_first_run_killed_while_writing_feedback_in_place_is_repaired(tmp_path):
    """A first run into OUT writes feedback in place, then the result atomically, then the
    journal line: a kill in between leaves a partial feedback file with no result beside it
    and no journal line, and the next run rewrites it."""
    import shutil

    key, subs, vs = course(tmp_path, 3)
    submit(subs, vs)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    reference = outputs(out)
    sid = sorted(vs)[1]
    md = out / "feedback" / f"{sid}.md"
    md.write_bytes(md.read_bytes()[:40])  # cut off by the kill
    (out / "results" / f"{sid}.json").unlink()
    shutil.rmtree(out / ".cache")  # (no journal line for it, nor, here, for the others)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert again.regraded == 3
    assert outputs(out) == reference

def test_an_edit_that_keeps_size_and_time_is_still_seen(tmp_path):
    """Like git's racy-clean check: an identity taken just after the file was written is
    confirmed by the bytes' hash."""
    key, subs, vs = course(tmp_path, 2)
    sid = sorted(vs)[0]
    path = subs / f"{sid}.ipynb"
    text = right(vs[sid])
    path.write_text(text)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    st = path.stat()
    # the same length, one answer wrong: 0.1 -> 0.9 style edit of a digit
    i = text.index("p_A = ") + len("p_A = ")
    edited = text[:i] + ("9" if text[i] != "9" else "8") + text[i + 1:]
    with open(path, "r+") as fh:  # in place: the same inode
        fh.write(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert journal.identity(path.stat()) == journal.identity(st)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert again.regraded == 1
    res = json.loads((out / "results" / f"{sid}.json").read_text())
    assert next(i for i in res["items"] if i["id"] == "p_A")["verdict"] != "correct"


def test_duplicate_regraded_later_does_not_take_over_the_outputs(tmp_path):
    """An older file of a student, changed and regraded, must not replace the newest file's
    feedback, although its worker wrote last."""
    key, subs, vs = course(tmp_path, 2)
    sid = sorted(vs)[0]
    old, new = subs / f"{sid}.ipynb", subs / f"{sid}.v2.ipynb"
    old.write_text(blank(vs[sid]))
    new.write_text(right(vs[sid]))
    age(old, 7200)
    age(new, 3600)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    reference = outputs(out)
    assert json.loads(reference[f"results/{sid}.json"])["file"] == str(new)
    old.write_text(blank(vs[sid]) + " ")  # changed, still older
    age(old, 7000)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert again.regraded == 1
    assert outputs(out) == reference
    assert f"{sid} submitted 2 files; the one that counts: {new}" in again.summary


def test_damaged_journal_line_regrades_only_that_file(tmp_path):
    key, subs, vs = course(tmp_path, 4)
    submit(subs, vs)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    book = (out / "gradebook.csv").read_text()
    [seg] = sorted((out / ".cache").glob("journal-*.jsonl"))
    data = seg.read_bytes()
    seg.write_bytes(data[: len(data) - 40])  # the last line cut off, as by a kill
    debris = out / "feedback" / f".{sorted(vs)[0]}.md.999-1.tmp"  # a write the kill interrupted
    debris.write_text("half")
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert (again.regraded, again.reused) == (1, 3)
    assert (out / "gradebook.csv").read_text() == book
    assert not debris.exists()


def test_journal_is_compacted(tmp_path):
    key, subs, vs = course(tmp_path, 2)
    out = tmp_path / "out"
    for n in range(12):
        for sid, v in vs.items():
            (subs / f"{sid}.ipynb").write_text(right(v) + " " * n)
        batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
        assert len(list((out / ".cache").glob("journal-*.jsonl"))) <= 9
    lines = journal.Journal(out / ".cache")
    assert len(lines.load(lambda student: 28.0)) == 2 and lines.lines <= 2 * 2 + 16


def test_a_broken_student_entry_in_the_key_is_that_students_error_row(tmp_path):
    key, subs, vs = course(tmp_path, 3)
    bad, good = sorted(vs)[:2]
    doc = json.loads(key.read_text())
    doc["students"][bad]["instance"]["alpha"] = "fast"
    key.write_text(json.dumps(doc))
    for sid in (bad, good):
        (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    rows = {r.student: r for r in batch.grade_batch(str(key), [str(subs)], str(out), jobs=1).rows}
    assert rows[good].status == "graded"
    assert rows[bad].status == "error" and f"students.{bad}.instance" in rows[bad].message
    assert "alpha" in rows[bad].message


def test_key_json_is_private(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "chain", "--count", "2", "--out", str(tmp_path / "hw"),
                                      "--secret-file", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "hw" / "key.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "hw" / "handouts" / "student01.md").stat().st_mode) & 0o044


@pytest.mark.slow
def test_killing_a_pool_halfway_loses_nothing_and_counts_nothing_twice(tmp_path):
    """A real `backprop grade --jobs 2` killed with SIGKILL (workers and all) midway; the
    rerun grades only the rest and ends with the outputs of an uninterrupted run."""
    n = 160
    key, subs, vs = course(tmp_path, n)
    submit(subs, vs, blank_every=4)
    reference = tmp_path / "ref"
    batch.grade_batch(str(key), [str(subs)], str(reference), jobs=2)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                             "--jobs", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and proc.poll() is None:
        segs = list((out / ".cache").glob("journal-*.jsonl")) if (out / ".cache").exists() else []
        done = sum(s.read_bytes().count(b"\n") for s in segs)
        if done >= 20:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 20 <= done < n, "the run was not caught halfway; make the corpus bigger"
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=2)
    assert again.regraded + again.reused == n and again.regraded < n
    assert len(again.rows) == n
    assert outputs(out) == outputs(reference)
    third = batch.grade_batch(str(key), [str(subs)], str(out), jobs=2)
    assert (third.regraded, third.reused) == (0, n)


def test_a_link_looping_back_to_the_folder_is_not_followed(tmp_path):
    key, subs, vs = course(tmp_path, 2)
    sid = sorted(vs)[0]
    (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / "again").symlink_to(subs, target_is_directory=True)
    assert batch.find_submissions([str(subs)]) == [subs / f"{sid}.ipynb"]
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    assert [r.status for r in outcome.rows] == ["graded", "missing"]


def test_spawned_workers_give_the_outputs_of_one_process(tmp_path, monkeypatch):
    """Where there is no fork server (Windows), the workers are spawned and get the batch's
    state passed: the outputs are those of grading in one process."""
    key, subs, vs = course(tmp_path, 6)
    submit(subs, vs, blank_every=2)
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "one"), jobs=1)
    methods = []
    context = parallel.context
    monkeypatch.setenv(batch.FEW_HOOK, "4")  # (workers for 6 files)
    monkeypatch.setattr(parallel.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(parallel, "context",
                        lambda preload=(), **kw: methods.append(context(preload, **kw)) or methods[-1])
    spawned = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "two"), jobs=2)
    assert spawned.regraded == 6
    assert methods and {m.get_start_method() for m in methods} == {"spawn"}
    assert outputs(tmp_path / "two") == outputs(tmp_path / "one")
