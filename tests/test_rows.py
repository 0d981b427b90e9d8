"""The typed rows of a batch and their serialisations: the gradebook CSV, the results JSON, the
journal line (a rerun must read back exactly the row a worker made)."""

from __future__ import annotations

import csv
import io
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from courses import course, right

from grader.batch import journal
from grader.batch import run as batch
from grader.batch.outputs import gradebook_csv, result_text
from grader.batch.rows import GRADED, SCORED, STATUSES, ErrorRow, GradedRow, Mark, MissingRow

ROOT = Path(__file__).resolve().parent.parent

RESULT = {
    "score": 2.5, "max_score": 4, "warnings": [],
    "items": [
        {"id": "p_A", "verdict": "correct", "points": 1, "max_points": 1, "given": 1.5, "misconception": None,
         "message": ""},
        {"id": "delta_C", "verdict": "incorrect", "points": 0, "max_points": 1, "given": -0.1,
         "misconception": "sign-flip", "message": "final-layer delta with (o - d)"},
        {"id": "delta_A", "verdict": "carried-forward", "points": 0.5, "max_points": 1, "given": 0.2,
         "misconception": None, "message": ""},
        {"id": "delta_B", "verdict": "incorrect", "points": 1, "max_points": 1, "given": 0.3,
         "misconception": "sign-flip", "message": ""},
    ],
}


def test_every_status_is_one_row_type():
    """Each status belongs to exactly one of the three row types, and the types agree with it."""
    graded = {s: GradedRow.of("s", s, RESULT, file="f.ipynb") for s in GRADED}
    assert set(GRADED) | {"error", "missing"} == set(STATUSES)
    assert ErrorRow("s", 4.0, "why", "f.ipynb").status == "error"
    assert MissingRow("s", 4.0).status == "missing"
    assert [s for s, r in graded.items() if r.scored] == list(SCORED)
    with pytest.raises(ValueError, match="not 'error'"):
        GradedRow("s", "error", 0.0, 4.0, ())


def test_a_graded_row_reads_its_result():
    row = GradedRow.of("s01", "graded", RESULT, message="", file="s01.ipynb", needs_execution=True)
    assert (row.score, row.max_score, row.needs_execution) == (2.5, 4.0, True)
    assert row.items[1] == Mark("delta_C", "incorrect", 0, 1, "sign-flip")
    assert row.points == {"p_A": 1, "delta_C": 0, "delta_A": 0.5, "delta_B": 1}
    assert row.misconceptions == ("sign-flip",)  # (once, though named on two items)


def test_error_and_missing_rows_have_every_attribute_of_a_row():
    """Code that reads rows needs no isinstance: an error or missing row has no items and no score."""
    for row in (ErrorRow("s02", 4.0, "s02.ipynb: is empty", "s02.ipynb"), MissingRow("s03", 4.0)):
        assert (row.score, row.items, row.points, row.misconceptions) == (0.0, (), {}, ())
        assert not row.needs_execution
        assert not row.scored
    assert MissingRow("s03", 4.0).message == "nothing submitted" and MissingRow("s03", 4.0).file == ""


def test_rows_are_frozen_and_survive_the_trip_from_a_worker():
    row = GradedRow.of("s01", "copy", RESULT, message="copied", file="s01.ipynb")
    with pytest.raises(AttributeError):
        row.status = "graded"  # type: ignore[misc]
    for r in (row, ErrorRow("s02", 4.0, "m", "f"), MissingRow("s03", 4.0)):
        assert pickle.loads(pickle.dumps(r)) == r


def test_the_gradebook_line_of_each_row_type():
    rows = [GradedRow.of("s01", "graded", RESULT, file="a"), ErrorRow("s02", 4.0, "m", "b"),
            MissingRow("s03", 4.0)]
    text = gradebook_csv(rows, ["p_A", "delta_C", "delta_A", "delta_B", "o_A"])
    assert list(csv.reader(io.StringIO(text))) == [
        ["student", "score", "max_score", "status", "p_A", "delta_C", "delta_A", "delta_B", "o_A"],
        ["s01", "2.5", "4", "graded", "1", "0", "0.5", "1", ""],
        ["s02", "0", "4", "error", "", "", "", "", ""],
        ["s03", "0", "4", "missing", "", "", "", "", ""],
    ]


def test_the_results_file_of_each_row_type():
    row = GradedRow.of("s01", "graded", RESULT, file="a.ipynb")
    assert json.loads(result_text(row, json.dumps(RESULT))) == {
        **RESULT, "student": "s01", "status": "graded", "message": "", "file": "a.ipynb"}
    assert json.loads(result_text(ErrorRow("s02", 28.0, "bad", "b.ipynb"))) == {
        "score": 0, "max_score": 28, "items": [], "student": "s02", "status": "error", "message": "bad",
        "file": "b.ipynb"}
    assert json.loads(result_text(MissingRow("s03", 28.0)))["message"] == "nothing submitted"
    with pytest.raises(ValueError, match="check --json object"):
        result_text(row)  # a graded row's results need its result


def test_a_journal_line_reads_back_as_the_entry_that_wrote_it():
    row = GradedRow.of("s01", "tampered", RESULT, message="the signature does not match",
                       file="s\u00e9/s01.ipynb", needs_execution=True)
    mtime = 1_700_000_000_000_000_000
    entry = journal.Entry("n1", (10, mtime, 42), mtime, mtime + 10**9, "", row, pdf=True)
    back = journal.saved(json.loads(journal.line(entry, json.dumps(RESULT), "# Feedback")), lambda s: 28.0)
    assert back == journal.Saved(entry, RESULT, "# Feedback")
    failed = journal.Entry("n2", (), 5, 6, "abc", ErrorRow("s02", 28.0, "s02.ipynb: is empty", "s02.ipynb"))
    back = journal.saved(json.loads(journal.line(failed, "null", None)), lambda s: 28.0)
    assert back == journal.Saved(failed, None, None)


def test_the_journal_format_is_that_of_version_3():
    """Lines written before the rows were typed (format 3) read back as the same rows, so the
    format needed no new version for them. (Format 4 adds whether the file's signed metadata
    agrees with its row, which decides among a student's files: a rerun after that upgrade grades
    every file again once; a line without it reads back as a file that does not agree.)"""
    assert journal.VERSION == "4"
    v3 = ('{"name":"n","file":"s01.ipynb","identity":[1,2,3],"mtime":2,"graded_at":9,"sha":"",'
          '"student":"s01","status":"graded","message":"","needs_execution":false,"feedback":"# F",'
          '"pdf":false,"result":'
          + json.dumps(RESULT) + '}')
    back = journal.saved(json.loads(v3), lambda s: 28.0)
    assert back.entry.row == GradedRow.of("s01", "graded", RESULT, file="s01.ipynb")
    assert (back.entry.identity, back.entry.mtime, back.feedback) == ((1, 2, 3), 2, "# F")
    assert back.entry.agrees is False
    error = ('{"name":"n","file":"x.ipynb","identity":[],"mtime":2,"graded_at":9,"sha":"","student":"x",'
             '"status":"error","message":"x.ipynb: is empty","result":null,"needs_execution":false,'
             '"feedback":null}')
    row = journal.saved(json.loads(error), lambda s: 0.0).entry.row
    assert row == ErrorRow("x", 0.0, "x.ipynb: is empty", "x.ipynb")


def test_a_rerun_reads_back_the_rows_the_first_run_made(tmp_path):
    """The rows of a run that reuses every entry are the rows the workers made."""
    key, subs, vs = course(tmp_path, 3)
    for sid, v in list(vs.items())[:2]:
        (subs / f"{sid}.ipynb").write_text(right(v))
    (subs / "nobody.ipynb").write_text("{")
    first = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    again = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    assert again.reused == 3 and again.rows == first.rows and again.duplicates == ()
    assert [type(r) for r in first.rows] == [GradedRow, GradedRow, MissingRow, ErrorRow]


@pytest.mark.slow
def test_the_identity_corpus_covers_every_status(tmp_path):
    """bench/identity_corpus.py: one family's course graded with this tree gives every status,
    and its second run reuses every file."""
    script = [sys.executable, str(ROOT / "bench" / "identity_corpus.py")]
    build = subprocess.run([*script, "build", str(tmp_path), "--families", "chain"], capture_output=True,
                           text=True)
    assert build.returncode == 0, build.stderr
    grade = subprocess.run([*script, "grade", str(tmp_path), "--tree", str(ROOT), "--label", "here"],
                           capture_output=True, text=True)
    assert grade.returncode == 0, grade.stderr
    out = tmp_path / "graded-here" / "chain"
    with open(out / "by-name" / "gradebook.csv", newline="") as fh:
        statuses = {r["status"] for r in csv.DictReader(fh)}
    assert statuses == set(STATUSES)
    assert "(0 graded now, " in (out / "by-name" / "run2.summary.txt").read_text()
    exits = [p.read_text() for p in out.glob("*/run*.exit.txt")]
    assert len(exits) == 5 and set(exits) == {"0\n"}


def test_a_file_that_cannot_be_read_is_counted_neither_graded_nor_reused(tmp_path):
    """A symlink loop gets its error row; it was not graded now, nor is it unchanged since a
    last run (main counted it as reused, also in a first run)."""
    key, subs, vs = course(tmp_path, 2)
    sid = sorted(vs)[0]
    (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / "loop.ipynb").symlink_to("loop.ipynb")
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    assert (outcome.regraded, outcome.reused) == (1, 0)
    assert "Graded 3 students from 2 files (1 graded now, 0 unchanged since the last run)." in outcome.summary
    loop = outcome.rows[-1]
    assert isinstance(loop, ErrorRow) and loop.student == "loop" and "cannot be read" in loop.message
