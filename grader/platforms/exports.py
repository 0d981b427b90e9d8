"""Gradebooks the platforms import unchanged: ``backprop grade ... --export canvas|gradescope|moodle``.

The rule first:

- **Who**: with the platform's roster export (``--roster``), a row per student of that roster,
  in its order, with the platform's own id columns copied from it; a student of the key who is
  not on it cannot be matched by the platform and is listed, not written. Without one, a row
  per student of the key, identified by the key's id (and email).
- **What**: the points of every row scored against the key (``graded``, ``tampered``,
  ``mismatch``, ``copy``: the same score as ``gradebook.csv``). A student with no submission
  (``missing``), or whose file could not be graded (``error``), gets what the platform reads as
  no grade (an empty cell; ``-`` for Moodle), so that nothing is silently recorded as 0; with
  ``missing_zero`` they get 0. Canvas's file leaves such a student's row out instead: Canvas
  posts an empty cell as a blank grade, which would clear a grade entered there by hand
  (canvas-lms ``ui/features/gradebook_uploads/jquery/process_gradebook_upload.js``), and a
  student without a row keeps what Canvas has. Rows of files that name nobody on the roster
  (``unknown``) are not written.
- **Format**, each as the platform documents its import:

  - *Canvas* (Grades > Import): ``Student, ID, SIS User ID, SIS Login ID, Section`` and the
    assignment's column, ``<name> (<assignment id>)`` as the roster export spells it when it has
    that assignment (else the bare name, which makes a new assignment), after a
    ``Points Possible`` row; UTF-8 with a byte-order mark, as Canvas writes its own.
  - *Gradescope* (Assignment > Upload scores): ``First Name, Last Name, SID, Email, Total Score``,
    matched on Email or SID.
  - *Moodle* (Grades > Import > CSV file): ``First name, Last name, ID number, Email address``
    and ``Assignment: <name> (Real)`` in points (the roster export's own column of the
    assignment, in its language, when it has one); map "Identify user by" to Email address (or
    ID number) and the grade column to the assignment's grade item. Moodle reads ``-`` as no
    grade (``grade/import/csv/classes/load_data.php``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..batch.rows import Row
from ..errors import BackpropError
from .roster_formats import MOODLE_WORDS, PlatformRoster, RosterEntry, moodle_column

PLATFORMS = ("canvas", "gradescope", "moodle")
DEFAULT_NAMES = {"canvas": "canvas-import.csv", "gradescope": "gradescope-scores.csv",
                 "moodle": "moodle-grades.csv"}
SCORED = ("graded", "tampered", "mismatch", "copy")
#: the assignment columns of a Canvas export named when the key's assignment is not among them
MAX_OTHERS = 6


@dataclass(frozen=True)
class Person:
    """A student as the export writes them: the key's id, and the platform's columns."""

    student: str
    name: str
    email: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Export:
    platform: str
    text: str
    written: int  # rows with a score
    blank: tuple[str, ...]  # students given no grade (missing, error, not in the key)
    left_out: tuple[str, ...]  # students graded but not on the platform's roster
    column: str = ""  # the grade column, when the platform's roster export has none for it (new)
    others: tuple[str, ...] = ()  # then, the assignment columns the export has (Canvas: "<name> (<id>)")

    def note(self, path: str) -> str:
        parts = [f"{self.written} score{'' if self.written == 1 else 's'}"]
        if self.blank:
            kept = ": left out, so Canvas keeps any grade it has" if self.platform == "canvas" else ""
            parts.append(f"no grade for {len(self.blank)} ({', '.join(self.blank)}){kept}")
        text = f"Export ({self.platform}): {path}  [{'; '.join(parts)}]"
        if self.left_out:
            text += (f"\nNot in the {self.platform} export (not on its roster): {', '.join(self.left_out)}")
        if self.column and self.platform == "canvas":
            its = f" (it has {', '.join(map(repr, self.others))})" if self.others else ""
            text += (f"\nThe canvas roster export has no column for assignment {self.column!r}{its}: the "
                     f"import makes a new assignment {self.column!r}; to fill an existing one instead, put "
                     f"its header as the export writes it in place of {self.column!r} on the file's first "
                     "line (next time, generate with --assignment named as Canvas names the assignment)")
        elif self.column:
            text += (f"\nThe {self.platform} roster export has no column for this assignment: when you "
                     f"import the file, map its column {self.column!r} to the assignment's grade item (next "
                     f"time, generate with --assignment named as {self.platform.capitalize()} names the "
                     "assignment)")
        return text


def write_exports(specs: Sequence[tuple[str, str]], rows: Sequence[Row], key_path: str,
                  roster_path: str | None, *, missing_zero: bool = False) -> str:
    """Write each (platform, path) export of the graded rows; the lines that say what was written."""
    from ..files import write_atomic
    from ..key import load_key
    from ..roster import read_platform_roster

    key = load_key(key_path)
    roster = read_platform_roster(roster_path) if roster_path else None
    notes = []
    for platform, path in specs:
        export = build(platform, rows, key, roster, missing_zero=missing_zero)
        try:
            write_atomic(path, export.text)
        except OSError as exc:
            raise BackpropError(f"{path}: cannot write the {platform} export ({exc.strerror or exc})"
                                ) from None
        notes.append(export.note(path))
    return "\n".join(notes)


def parse_spec(spec: str, out: str) -> tuple[str, str]:
    """``canvas`` or ``canvas=PATH`` -> (platform, path); the default path is under OUT."""
    import os

    platform, _, path = spec.partition("=")
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise BackpropError(f"--export: unknown platform {platform!r}; use canvas, gradescope or moodle "
                            "(optionally =PATH)")
    return platform, path or os.path.join(out, DEFAULT_NAMES[platform])


def people(key: Any, roster: PlatformRoster | None, platform: str) -> tuple[list[Person], list[str]]:
    """Who the export has a row for, and the key's students left out (not on the roster). The
    roster's columns are copied only into the export of the platform that wrote it; for another
    platform the ids are the key's (the roster's) id and email."""
    if roster is None:
        return [Person(sid, e.name, e.email, {}) for sid, e in key.students.items()], []
    found = roster.by_id()
    left_out = [sid for sid in key.students if sid not in found]
    return [_person(e, roster.platform == platform) for e in roster.entries], left_out


def _person(e: RosterEntry, own: bool) -> Person:
    return Person(e.student.id, e.student.name, e.student.email, dict(e.fields) if own else {})


def build(platform: str, rows: Sequence[Row], key: Any, roster: PlatformRoster | None,
          *, missing_zero: bool = False) -> Export:
    """The import file of ``platform`` for the graded ``rows``."""
    who, left_out = people(key, roster, platform)
    by_student = {r.student: r for r in rows}
    max_score = max((float(len(e.asked)) for e in key.students.values()), default=0.0)
    blank_mark = "-" if platform == "moodle" else ""
    cells: list[tuple[Person, str]] = []
    blank: list[str] = []
    for p in who:
        row = by_student.get(p.student)
        if row is not None and row.status in SCORED:
            cells.append((p, _num(row.score)))
        elif missing_zero and (row is None or row.status in ("missing", "error")):
            cells.append((p, "0"))
        else:
            cells.append((p, blank_mark))
            blank.append(p.student)
    left = [s for s in left_out if s in by_student and by_student[s].status != "missing"]
    writer = {"canvas": _canvas, "gradescope": _gradescope, "moodle": _moodle}[platform]
    text = writer(cells, key.assignment, max_score, roster)
    column = next(csv.reader([text.lstrip("\ufeff").split("\n", 1)[0]]))[-1]  # the grade column
    new = (roster is not None and roster.platform == platform and platform in ("canvas", "moodle")
           and column not in roster.header)
    others = tuple(h for h in roster.header if re.fullmatch(r".*\s\(\d+\)", h, flags=re.S)) if new else ()
    return Export(platform, text, len(cells) - len(blank), tuple(blank), tuple(left), column if new else "",
                  others[:MAX_OTHERS] if platform == "canvas" else ())


def _canvas(cells: list[tuple[Person, str]], assignment: str, max_score: float,
            roster: PlatformRoster | None) -> str:
    column = _assignment_column(roster, assignment, r"(?P<name>.*) \(\d+\)") or assignment
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
            ["    Points Possible", "", "", "", "", _num(max_score)]]
    for p, score in cells:
        if score == "":  # no grade: no row (an empty cell would clear the grade Canvas has)
            continue
        f = p.fields
        sis = f.get("SIS User ID", "") if f else p.student
        rows.append([f.get("Student", p.name), f.get("ID", ""), sis, f.get("SIS Login ID", ""),
                     f.get("Section", ""), score])
    return "\ufeff" + _csv(rows)


def _gradescope(cells: list[tuple[Person, str]], assignment: str, max_score: float,
                roster: PlatformRoster | None) -> str:
    rows = [["First Name", "Last Name", "SID", "Email", "Total Score"]]
    for p, score in cells:
        f = p.fields
        first, last = f.get("First Name"), f.get("Last Name")
        if first is None and last is None:
            first, last = split_name(p.name)
        sid = f.get("SID", "" if f else p.student)
        email = f.get("Email", p.email)
        rows.append([first or "", last or "", sid, email, score])
    return _csv(rows)


def _moodle(cells: list[tuple[Person, str]], assignment: str, max_score: float,
            roster: PlatformRoster | None) -> str:
    column = _moodle_assignment_column(roster, assignment) or f"Assignment: {assignment} (Real)"
    rows = [["First name", "Last name", "ID number", "Email address", column]]
    header = roster.header if roster is not None else ()
    for p, score in cells:
        f = p.fields

        def cell(word: str, f=f) -> str | None:  # the roster's cell, in the language it was exported in
            name = moodle_column(header, word) if f else None
            return f.get(name) if name else None

        first, last = cell("first"), cell("last")
        if first is None and last is None:
            first, last = split_name(p.name)
        idnumber = cell("idnumber")
        if idnumber is None:
            idnumber = "" if f else p.student
        rows.append([first or "", last or "", idnumber, cell("email") or p.email, score])
    return _csv(rows)


def _moodle_assignment_column(roster: PlatformRoster | None, assignment: str) -> str | None:
    """The Moodle export's column of this assignment: ``<module><separator><name> (<Real>)``
    (``Assignment: hw3 (Real)``, ``Aufgabe: hw3 (Punkte)``, ``Devoir hw3 (Brut)``), in the
    export's language."""
    if roster is None:
        return None
    reals = "|".join(re.escape(r) for words in MOODLE_WORDS.values() for r in words["real"])
    pattern = rf"(?:.*[:\s])?{re.escape(assignment)} \((?:{reals})\)"
    return next((h for h in roster.header if re.fullmatch(pattern, h)), None)


def split_name(name: str) -> tuple[str, str]:
    """(first, last) of a full name: ``Last, First`` as Canvas lists students by their sortable
    name (``GradebookExporter#student_name``), else ``First Last...`` at the first space."""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.strip().partition(" ")
    return first, last


def _assignment_column(roster: PlatformRoster | None, assignment: str, pattern: str) -> str | None:
    """The roster export's column of this assignment (its own spelling, with the platform's id)."""
    if roster is None:
        return None
    for h in roster.header:
        m = re.fullmatch(pattern, h)
        if m and m.group("name").strip() == assignment:
            return h
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(round(x, 6))


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()
