"""Canvas's gradebook export as Canvas writes it, and our import file read as Canvas reads it.

Where the format was read (github.com/instructure/canvas-lms):

- ``lib/gradebook_exporter.rb`` (``GradebookExporter#csv_data``): the header ``Student, ID``,
  ``SIS User ID`` only with the permission to see SIS ids, ``SIS Login ID``, ``Root Account``
  when the account trusts others, ``Section``, each assignment as ``title_with_id``
  (``<title> (<id>)``), then the totals; a ``Muted`` (``Manual Posting``) row, the
  ``    Points Possible`` row; students listed by sortable name (``Last, First``), several
  sections joined (``to_sentence``: ``A and B``), the test student (``StudentViewEnrollment``)
  last; ``;`` as the separator in a decimal-comma locale, numbers localized (``8,5``); a UTF-8
  byte-order mark.
- ``app/models/gradebook_importer.rb`` (``GradebookImporter``): the header check
  (``row_has_student_headers?``, ``update_column_count``: the identity columns end with
  ``Section``), the non-assignment columns it drops, ``check_for_non_student_row``, and
  ``process_student``: the student is found by ``ID``, then ``SIS User ID``, ``SIS Login ID``,
  then name; ``Assignment.title_and_id`` (``app/models/assignment.rb``): ``/\\A(.*)\\s\\((\\d+)\\)\\z/``.
"""

from __future__ import annotations

import csv
import io
import re

from test_platform_exports import _course

from grader.cli import cli
from grader.platforms.exports import split_name
from grader.roster import read_platform_roster

NON_ASSIGNMENT = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                  "Final Grade", "Override Score", "Override Grade", "Override Status")


def canvas_reads(text: str) -> dict:
    """What Canvas's GradebookImporter takes from an import file (its header rules, ported):
    the assignments (title, id or None), points possible, and per student the matching keys and
    grades."""
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter)
            if not re.fullmatch(r"[;, ]*", delimiter.join(r))]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Invalid header row"
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        columns += 1
        sis_user, sis_login = None, 2
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        extra = 1 if re.search(r"Integration\s+ID", header[4]) else 0
        columns += 2 + extra
        sis_user, sis_login = 2, 3
        if re.search(r"Root\s+Account", header[4 + extra]):
            columns += 1
    else:
        sis_user = sis_login = None
    assert "Section" in header[columns - 1], "Invalid header row"
    assignments = []
    for i, h in enumerate(header[columns:], start=columns):
        if re.search("|".join(NON_ASSIGNMENT), h):
            continue
        m = re.fullmatch(r"(.*)\s\((\d+)\)", h, flags=re.S)
        assignments.append((i, m.group(1) if m else h, m.group(2) if m else None))
    points, students = {}, []
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {(t, a): row[i] for i, t, a in assignments}
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, flags=re.I) for c in row):
            continue
        students.append({"name": row[0], "id": row[1],
                         "sis_user_id": row[sis_user] if sis_user is not None else "",
                         "sis_login_id": row[sis_login] if sis_login is not None else "",
                         "grades": {(t, a): row[i].strip() for i, t, a in assignments}})
    return {"assignments": [(t, a) for _, t, a in assignments], "points": points, "students": students}


def canvas_export_without_sis_ids() -> bytes:
    """A teacher's export without the permission to see SIS ids, in a decimal-comma locale,
    from an account that trusts others (Root Account), with a student in two sections."""
    header = ["Student", "ID", "SIS Login ID", "Root Account", "Section", "hw3 (1234567)", "Quiz 1 (1234500)",
              "Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score",
              "Unposted Final Score"]
    rows = [header,
            ["", "", "", "", "", "Manual Posting", "", "", "", "", "", "", ""],
            ["    Points Possible", "", "", "", "", "28", "10"] + ["(read only)"] * 6,
            ["Doe, Jane", "101", "jdoe", "canvas.mit.edu", "6.034 Section 1 and 6.034 Lab", "", "8,5",
             "8,5", "8,5", "85", "85", "85", "85"],
            ["Lee, Kim", "102", "klee", "canvas.mit.edu", "6.034 Section 1", "", "9", "9", "9", "90", "90",
             "90", "90"],
            ["Roe, Max", "103", "mroe", "canvas.mit.edu", "6.034 Section 2"] + [""] * 8,
            ["Student, Test", "99999", "", "canvas.mit.edu", "6.034 Section 1"] + [""] * 8]
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def test_an_export_without_sis_ids_is_read_with_canvas_ids(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_bytes(canvas_export_without_sis_ids())
    roster = read_platform_roster(path)
    assert (roster.platform, roster.delimiter, roster.id_column) == ("canvas", ";", "ID")
    assert [(s.id, s.name) for s in roster.students] == [("101", "Doe, Jane"), ("102", "Lee, Kim"),
                                                         ("103", "Roe, Max")]


def test_what_we_write_is_what_canvas_imports(runner, tmp_path):
    roster, key, subs = _course(tmp_path, canvas_export_without_sis_ids())
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "canvas", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "g" / "canvas-import.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    read = canvas_reads(data.decode("utf-8-sig"))
    assert read["assignments"] == [("hw3", "1234567")]  # the existing assignment, by its id
    assert read["points"] == {("hw3", "1234567"): "28"}
    # every student found by Canvas's ID (the first thing the importer tries), with the sections;
    # mroe (103) handed in nothing: no row, so Canvas keeps whatever grade it has for him (an empty
    # cell would be posted as a blank grade)
    assert [(s["id"], s["sis_login_id"], s["grades"][("hw3", "1234567")]) for s in read["students"]] == [
        ("101", "jdoe", "28"), ("102", "klee", "27")]


def test_without_a_roster_canvas_makes_a_new_assignment_and_gets_the_key_ids_as_sis_ids(tmp_path, runner):
    roster, key, subs = _course(tmp_path, canvas_export_without_sis_ids())
    out = tmp_path / "g"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1",
                                 "--export", "canvas"])
    assert result.exit_code == 0, result.output
    read = canvas_reads((out / "canvas-import.csv").read_text(encoding="utf-8-sig"))
    assert read["assignments"] == [("hw3", None)] and read["points"] == {("hw3", None): "28"}
    assert [(s["id"], s["sis_user_id"]) for s in read["students"]] == [("", "101"), ("", "102")]  # 103: none


def test_canvas_names_are_last_comma_first_in_the_other_platforms_files(runner, tmp_path):
    """Canvas lists students by sortable name: "Doe, Jane" is Jane Doe for Gradescope and Moodle."""
    assert split_name("Doe, Jane") == ("Jane", "Doe")
    assert split_name("Jane Doe") == ("Jane", "Doe")
    assert split_name("van der Berg, Anna Maria") == ("Anna Maria", "van der Berg")
    roster, key, subs = _course(tmp_path, canvas_export_without_sis_ids())
    out = tmp_path / "g"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1",
                                 "--export", "gradescope", "--export", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    for name in ("gradescope-scores.csv", "moodle-grades.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"))))
        assert [r[:2] for r in rows[1:]] == [["Jane", "Doe"], ["Kim", "Lee"], ["Max", "Roe"]], name


def test_an_assignment_the_canvas_export_does_not_have_is_said_to_be_new(runner, tmp_path):
    """With a Canvas roster export that has no "<assignment> (<id>)" column, the bare name makes
    a new assignment in Canvas (GradebookImporter#parse_assignments: Assignment.new): say so."""
    data = canvas_export_without_sis_ids().replace(b"hw3 (1234567)", b"Homework 3 (1234567)")
    roster, key, subs = _course(tmp_path, data)
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "canvas", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert ("The canvas roster export has no column for assignment 'hw3' (it has 'Homework 3 (1234567)', "
            "'Quiz 1 (1234500)'): the import makes a new assignment 'hw3'; to fill an existing one instead, "
            "put its header as the export writes it in place of 'hw3' on the file's first line (next time, "
            "generate with --assignment named as Canvas names the assignment)") in result.output
    text = (tmp_path / "g" / "canvas-import.csv").read_text(encoding="utf-8-sig")
    assert canvas_reads(text)["assignments"] == [("hw3", None)]
    first, rest = text.split("\n", 1)  # what the note says to do: the importer then has the existing one
    renamed = canvas_reads(first.replace(",hw3", ",Homework 3 (1234567)") + "\n" + rest)
    assert renamed["assignments"] == [("Homework 3", "1234567")]
