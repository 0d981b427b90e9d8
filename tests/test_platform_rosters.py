"""Rosters as the platforms export them (issue 14, part 1)."""

from __future__ import annotations

import codecs

import pytest
from platform_files import canvas_gradebook, gradescope_roster, moodle_grades

from grader.cli import cli
from grader.errors import BackpropError
from grader.generator import Student
from grader.platforms.roster_formats import parse_roster, sniff_delimiter
from grader.roster import read_platform_roster, read_roster

CANVAS = [("Doe, Jane", "101", "s001", "jdoe"), ("Lee, Kim", "102", "s002", "klee")]


def test_canvas_export_skips_its_extra_rows_and_keeps_its_ids():
    """Does a Canvas gradebook export read as its students, with SIS User ID as the id?"""
    roster = parse_roster(canvas_gradebook(CANVAS), "grades.csv")
    assert roster.platform == "canvas"
    assert roster.id_column == "SIS User ID"
    assert roster.students == (Student("s001", "Doe, Jane"), Student("s002", "Lee, Kim"))
    assert roster.skipped == ("row 2: Canvas's Manual Posting row", "row 3: Canvas's Points Possible row",
                              "row 6: Canvas's test student")
    jane = roster.by_id()["s001"]
    assert (jane.fields["ID"], jane.fields["SIS Login ID"], jane.fields["Section"]) == ("101", "jdoe",
                                                                                      "6.034 Section 1")


def test_canvas_without_sis_ids_uses_canvas_ids():
    roster = parse_roster(canvas_gradebook([("Doe, Jane", "101", "s001", ""), ("Lee, Kim", "102", "", "")]),
                          "grades.csv")
    assert roster.id_column == "ID"
    assert [s.id for s in roster.students] == ["101", "102"]


def test_gradescope_roster_skips_staff_and_falls_back_to_email():
    data = gradescope_roster([("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "", "kim@mit.edu")])
    roster = parse_roster(data, "roster.csv")
    assert roster.platform == "gradescope"
    assert roster.id_column == "Email"
    assert roster.students == (Student("jane@mit.edu", "Jane Doe", "jane@mit.edu"),
                               Student("kim@mit.edu", "Kim Lee", "kim@mit.edu"))
    assert roster.skipped == ("row 2: role Instructor, not Student", "row 5: role TA, not Student")
    with_sids = parse_roster(gradescope_roster([("Jane", "Doe", "s001", "jane@mit.edu")]), "r.csv")
    assert with_sids.id_column == "SID" and with_sids.students[0].id == "s001"


@pytest.mark.parametrize(
    "delimiter, encoding",
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-16"), ("\t", "utf-16-le"), (";", "utf-16-be")],
    ids=["comma-utf8", "semicolon-bom", "excel-unicode-text", "utf16le-no-bom", "utf16be-no-bom"],
)
def test_moodle_export_in_every_delimiter_and_encoding(delimiter, encoding):
    """Is the same Moodle export read the same whatever Excel saved it as?"""
    data = moodle_grades([("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu")],
                         delimiter=delimiter, encoding=encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    roster = parse_roster(data, "grades.csv")
    assert (roster.platform, roster.delimiter, roster.id_column) == ("moodle", delimiter, "ID number")
    assert roster.students == (Student("s001", "Jane Doe", "jane@mit.edu"),
                               Student("s002", "Kim Lee", "kim@mit.edu"))


def test_moodle_participants_keep_students_only():
    text = ("First name,Last name,Email address,Roles,Groups\n"
            "Jane,Doe,jane@mit.edu,Student,G1\nPat,Winston,pat@mit.edu,Teacher,\n")
    roster = parse_roster(text.encode(), "participants.csv")
    assert roster.id_column == "Email address"
    assert roster.students == (Student("jane@mit.edu", "Jane Doe", "jane@mit.edu"),)
    assert roster.skipped == ("row 3: roles Teacher, not Student",)


@pytest.mark.parametrize(
    "text, expected",
    [("Student ID,Name,Email\ns1,Ann A,ann@x\n", Student("s1", "Ann A", "ann@x")),
     ("SID;name\ns1;Ann\n", Student("s1", "Ann")),
     ('"id","name"\n"s1","Ann, A"\n', Student("s1", "Ann, A")),
     ("id,name,email\ns1,Ann,ann@x\n", Student("s1", "Ann", "ann@x"))],
    ids=["student-id", "sid-semicolon", "quoted", "plain"],
)
def test_plain_rosters(text, expected):
    assert parse_roster(text.encode(), "r.csv").students == (expected,)


def test_sniffing_ignores_delimiters_inside_quotes():
    assert sniff_delimiter('"Doe; Jane, A";"x";"y"\n') == ";"
    assert sniff_delimiter('"a\tb",c,d\n') == ","


@pytest.mark.parametrize(
    "data, message",
    [(canvas_gradebook([("Doe, Jane", "", "", "")]),
      "row 4: the 'ID' column is empty; every student needs an id"),
     (gradescope_roster([], staff=True), "has a header row but no students"),
     (b"\xff\xfe\x00", "is not UTF-8 or UTF-16 text (line 1, byte 2); save it as CSV UTF-8"),
     (b"id\n\xe9t\xe9\n", "is not UTF-8 or UTF-16 text (line 2, byte 3); save it as CSV UTF-8")],
    ids=["canvas-no-id", "only-staff", "broken-utf16", "latin1"],
)
def test_bad_platform_rosters(data, message):
    with pytest.raises(BackpropError) as err:
        parse_roster(data, "r.csv")
    assert err.value.message == f"r.csv: {message}"


def test_generate_from_a_canvas_export(runner, tmp_path):
    """Does generate take Canvas's own export as the roster, and name handouts by the SIS ids?"""
    roster = tmp_path / "canvas.csv"
    roster.write_bytes(canvas_gradebook(CANVAS))
    assert read_roster(roster) == (Student("s001", "Doe, Jane"), Student("s002", "Lee, Kim"))
    assert read_platform_roster(roster).platform == "canvas"
    out = tmp_path / "hw3"
    result = runner.invoke(cli, ["generate", "chain", "--roster", str(roster), "--assignment", "hw3",
                                 "--out", str(out), "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "handouts").glob("*.toml")) == ["s001.toml", "s002.toml"]


def test_a_gradescope_roster_without_a_role_column_falls_back_to_email():
    """Rosters as Gradescope's roster page takes and gives them without a Role column ("First
    Name, Last Name, Email, SID, Section", as third-party tools read the download: e.g.
    RJHannaUMich/GSI_Tools gradescope-roster-fixer.py, edubag's GradescopeRoster): a student
    without an SID is still a student, matched by email, not an error."""
    text = ("First Name,Last Name,Email,SID,Section\n"
            "Jane,Doe,jane@mit.edu,s001,R01\nKim,Lee,kim@mit.edu,,R02\n")
    roster = parse_roster(text.encode(), "gradescope.csv")
    assert (roster.platform, roster.id_column, roster.skipped) == ("gradescope", "Email", ())
    assert [(s.id, s.name) for s in roster.students] == [("jane@mit.edu", "Jane Doe"),
                                                         ("kim@mit.edu", "Kim Lee")]
    # a plain roster with its own id column stays a plain roster
    plain = parse_roster(b"id,name,email,SID\nx1,Ann,ann@x,9\n", "r.csv")
    assert (plain.platform, plain.id_column) == ("csv", "id")
