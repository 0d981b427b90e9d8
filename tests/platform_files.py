"""Roster files as Canvas, Gradescope and Moodle export them, built in code for the tests.

Canvas's gradebook export (Grades > Export > CSV): a header row, then (older exports) a row
``Muted`` under the assignments that were muted, or ``Manual Posting`` under those posted by
hand, a ``Points Possible`` row (its first cell indented with four spaces), then a row per
student with the name as ``Last, First`` (quoted), ``ID`` (Canvas's user id), ``SIS User ID``,
``SIS Login ID``, ``Section``, a column per assignment named ``<name> (<assignment id>)``, and
Canvas's own ``Student, Test`` account. It starts with a UTF-8 byte-order mark.
"""

from __future__ import annotations

import csv
import io

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw3 (1234567)",
                 "Quiz 1 (1234500)", "Current Score", "Final Score"]


def canvas_gradebook(students: list[tuple[str, str, str, str]], *, muted: bool = True) -> bytes:
    """``students``: (``Last, First``, Canvas id, SIS User ID, SIS Login ID)."""
    rows = [CANVAS_HEADER]
    if muted:
        rows.append(["", "", "", "", "", "Manual Posting", "", "", ""])
    rows.append(["    Points Possible", "", "", "", "", "28", "10", "(read only)", "(read only)"])
    for name, cid, sis, login in students:
        rows.append([name, cid, sis, login, "6.034 Section 1", "", "8", "80", "80"])
    rows.append(["Student, Test", "99999", "", "", "6.034 Section 1", "", "", "", ""])
    return b"\xef\xbb\xbf" + _csv(rows, ",").encode("utf-8")


GRADESCOPE_HEADER = ["First Name", "Last Name", "SID", "Email", "Role", "Sections"]


def gradescope_roster(students: list[tuple[str, str, str, str]], *, staff: bool = True) -> bytes:
    """``students``: (first, last, SID, email); an instructor and a TA among them."""
    rows = [GRADESCOPE_HEADER]
    if staff:
        rows.append(["Pat", "Winston", "", "pat@mit.edu", "Instructor", ""])
    for first, last, sid, email in students:
        rows.append([first, last, sid, email, "Student", "R01"])
    if staff:
        rows.append(["Tia", "Assistant", "", "tia@mit.edu", "TA", "R01"])
    return _csv(rows, ",").encode("utf-8")


MOODLE_HEADER = ["First name", "Last name", "ID number", "Institution", "Department", "Email address",
                 "Assignment: hw3 (Real)", "Last downloaded from this course"]


def moodle_grades(students: list[tuple[str, str, str, str]], *, delimiter: str = ",",
                  encoding: str = "utf-8") -> bytes:
    """Moodle's grade export (Export > Plain text file): ``students`` (first, last, ID number, email)."""
    rows = [MOODLE_HEADER]
    for first, last, idnumber, email in students:
        rows.append([first, last, idnumber, "MIT", "EECS", email, "-", "1764990000"])
    text = _csv(rows, delimiter)
    return text.encode(encoding)


def _csv(rows: list[list[str]], delimiter: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()
