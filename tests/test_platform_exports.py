"""Gradebooks the platforms import (issue 14, part 2): roster in, generate, grade, export, and
the export read back by a parser that checks it against the platform's documented format."""

from __future__ import annotations

import csv
import io
import json

import pytest
from courses import SECRET, right
from platform_files import canvas_gradebook, gradescope_roster, moodle_grades

from grader.batch.demo_class import fill
from grader.batch.rows import ErrorRow, GradedRow
from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document, load_key
from grader.platforms.exports import build
from grader.platforms.roster_formats import parse_roster
from grader.render.notebook import notebook_handout
from grader.roster import read_roster

CANVAS = [("Doe, Jane", "101", "s001", "jdoe"), ("Lee, Kim", "102", "s002", "klee"),
          ("Roe, Max", "103", "s003", "mroe")]


def _course(tmp_path, roster_bytes: bytes, name: str = "roster.csv"):
    """A key for the roster's students (assignment hw3), and submissions: the first right, the
    second with one slip (27 of 28), the third nothing, and a file from nobody on the roster."""
    roster = tmp_path / name
    roster.write_bytes(roster_bytes)
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, read_roster(roster), SECRET, "hw3", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw3")))
    subs = tmp_path / "subs"
    subs.mkdir()
    first, second = variants[0], variants[1]
    (subs / f"{first.student}.ipynb").write_text(right(first))
    trace = second.trace()
    answers = {q: repr(trace.value(q)) for q in second.asked}
    answers["P"] = "12.5"  # a slip in P (nothing depends on it)
    (subs / f"{second.student}.ipynb").write_text(fill(notebook_handout(second), answers))
    (subs / "zed.ipynb").write_text(right(first))
    return roster, key, subs


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_round_trip(runner, tmp_path):
    """Canvas export in, Canvas import file out, with Canvas's ids and the assignment's own column."""
    roster, key, subs = _course(tmp_path, canvas_gradebook(CANVAS))
    out = tmp_path / "graded"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1",
                                 "--export", "canvas", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert (f"Export (canvas): {out}/canvas-import.csv  [2 scores; no grade for 1 (s003): left out, so "
            "Canvas keeps any grade it has]") in result.output
    data = (out / "canvas-import.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # as Canvas writes its own
    rows = _rows(data.decode("utf-8-sig"))
    # Canvas's import: the five identity columns, then the assignment as "<name> (<id>)"
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw3 (1234567)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "28"]
    canvas = {sis: (name, cid, login) for name, cid, sis, login in CANVAS}
    scores = {}
    for student, cid, sis, login, section, score in rows[2:]:
        assert (student, cid, login) == canvas[sis]  # every id copied from the roster export
        assert section == "6.034 Section 1"
        scores[sis] = score
    # nothing submitted: no grade, not 0; no row at all, as Canvas would post an empty cell as a
    # blank grade over one entered by hand
    assert scores == {"s001": "28", "s002": "27"}
    gradebook = _rows((out / "gradebook.csv").read_text())
    assert [r[3] for r in gradebook[1:]] == ["graded", "graded", "missing", "unknown"]


def test_gradescope_round_trip_with_missing_zero(runner, tmp_path):
    students = [("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu"),
                ("Max", "Roe", "s003", "max@mit.edu")]
    roster, key, subs = _course(tmp_path, gradescope_roster(students))
    path = tmp_path / "scores.csv"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", f"gradescope={path}", "--roster", str(roster), "--missing-zero"])
    assert result.exit_code == 0, result.output
    rows = _rows(path.read_text(encoding="utf-8"))
    assert rows[0] == ["First Name", "Last Name", "SID", "Email", "Total Score"]
    # matched on Email or SID: both as the roster export has them; staff are not written
    assert rows[1:] == [["Jane", "Doe", "s001", "jane@mit.edu", "28"],
                        ["Kim", "Lee", "s002", "kim@mit.edu", "27"],
                        ["Max", "Roe", "s003", "max@mit.edu", "0"]]


def test_moodle_round_trip_from_a_semicolon_utf16_export(runner, tmp_path):
    students = [("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu"),
                ("Max", "Roe", "s003", "max@mit.edu")]
    roster, key, subs = _course(tmp_path, moodle_grades(students, delimiter="\t", encoding="utf-16"))
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    rows = _rows((tmp_path / "g" / "moodle-grades.csv").read_text(encoding="utf-8"))
    # Moodle's CSV import: the grade column is the roster export's own ("Assignment: hw3 (Real)");
    # "-" is Moodle's "no grade"; every other cell must be a number
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Assignment: hw3 (Real)"]
    assert rows[1:] == [["Jane", "Doe", "s001", "jane@mit.edu", "28"],
                        ["Kim", "Lee", "s002", "kim@mit.edu", "27"],
                        ["Max", "Roe", "s003", "max@mit.edu", "-"]]


def test_export_without_a_roster_uses_the_key(tmp_path):
    """Without the platform's roster, the key's ids and emails identify the students."""
    roster = parse_roster(b"id,name,email\ns1,Ann Smith,ann@x.org\ns2,Bo Li,bo@x.org\n", "r.csv")
    family = load_family("chain")
    variants = generate_variants(family, roster.students, SECRET, "hw1", 1)
    (tmp_path / "key.json").write_text(json.dumps(key_document(variants, family, "hw1")))
    key = load_key(tmp_path / "key.json")
    rows = (GradedRow("s1", "tampered", 9.5, 11.0, ()), ErrorRow("s2", 11.0, "cut off", "s2.ipynb"),
            GradedRow("zed", "unknown", 0.0, 0.0, ()))
    canvas = build("canvas", rows, key, None)
    # (no row for s2, who has no grade: an empty cell would clear the grade Canvas has)
    assert _rows(canvas.text.lstrip("\ufeff"))[2:] == [["Ann Smith", "", "s1", "", "", "9.5"]]
    assert canvas.blank == ("s2",)
    assert "no grade for 1 (s2): left out, so Canvas keeps any grade it has" in canvas.note("c.csv")
    gs = build("gradescope", rows, key, None)
    assert _rows(gs.text)[1:] == [["Ann", "Smith", "s1", "ann@x.org", "9.5"],
                                  ["Bo", "Li", "s2", "bo@x.org", ""]]
    moodle = build("moodle", rows, key, roster)  # a plain roster: not Moodle's, so the key's ids
    assert _rows(moodle.text)[1:] == [["Ann", "Smith", "s1", "ann@x.org", "9.5"],
                                      ["Bo", "Li", "s2", "bo@x.org", "-"]]


def test_a_graded_student_missing_from_the_platform_roster_is_listed(tmp_path):
    roster, key, subs = _course(tmp_path, canvas_gradebook(CANVAS))
    short = parse_roster(canvas_gradebook(CANVAS[1:]), "c.csv")
    export = build("canvas", (GradedRow("s001", "graded", 28, 28, ()),), load_key(key), short)
    assert export.left_out == ("s001",)
    assert "Not in the canvas export (not on its roster): s001" in export.note("x.csv")


@pytest.mark.parametrize(
    "args, message",
    [(["--export", "blackboard"], "--export: unknown platform 'blackboard'; use canvas, gradescope or moodle "
                                  "(optionally =PATH)"),
     (["--roster", "r.csv"], "--roster and --missing-zero apply only with --export"),
     (["--export", "canvas", "--roster", "nope.csv"], "nope.csv: no such file")],
    ids=["unknown-platform", "roster-alone", "no-roster-file"],
)
def test_export_usage_errors(runner, tmp_path, args, message):
    result = runner.invoke(cli, ["grade", "key.json", "subs", "--out", str(tmp_path / "g"), *args])
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"
