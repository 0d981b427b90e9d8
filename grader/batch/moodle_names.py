"""Whose a file of Moodle's "Download all submissions" zip is (``backprop grade --id-from moodle``).

Moodle names every student's files after the student's full name and *participant id*
(mod/assign/classes/downloader.php; mod/assign/locallib.php ``download_submissions`` before 4.0):

- in folders ("Download submissions in folders", the default since Moodle 3.1):
  ``Jane Doe_12345_assignsubmission_file/<the path it was uploaded as>`` (``..._file_/`` before
  Moodle 4.0);
- flat: ``Jane Doe_12345_assignsubmission_file_<the name it was uploaded as>``;
- with anonymous submissions (blind marking) the name is Moodle's word for a participant:
  ``Participant_12345_assignsubmission_file/...``.

Moodle writes the underscores of a name as spaces, so the participant id is the number after the
first underscore. It is not the user's id or ID number: it is the assignment's own number for
the student (``get_uniqueid_for_user``), which the assignment's grading worksheet (View all
submissions > Download grading worksheet) writes in its ``Identifier`` column as
``Participant 12345``, on the line of the student's ``ID number`` and ``Email address`` (the
identity fields the site shows). Moodle sets the name, not the student (whatever a student
uploads comes after it), so it is as trustworthy as a folder of an LMS export.

A worksheet line is matched to the key's student the way the key's ids were made from the
roster: by the worksheet column that names the most of the key's students, the ``ID number``
or the ``Email address`` (as the key's ids, or as the key's emails: a roster whose ids are
something else), decided once for the whole worksheet (:meth:`MoodleIds.for_key`). A key's student
that two lines name (one ID number or email address for two accounts) is the row only of a file
whose signed metadata claims them (:meth:`MoodleIds.claimed`); a line the key does not have keeps
its ID number or email as its row's student when that can be a file name, else is
``moodle-<participant id>``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackpropError
from ..platforms.roster_formats import MOODLE_WORDS, decode, sniff_delimiter
from .key_match import fold, key_lookups, row_id

#: a folder or file name of Moodle's download: <full name>_<participant id>_assignsubmission_<plugin>...
PATTERN = re.compile(r"^[^_]*_(?P<participant>[0-9]+)_assignsubmission_[a-z]")
#: the worksheet's Identifier column, ``$string['recordid']`` of mod/assign's language packs
IDENTIFIER_WORDS = {"en": "Identifier", "de": "ID", "fr": "Identifiant", "es": "Identificador",
                    "it": "Identificativo", "pt": "Identificador", "nl": "Identificatie",
                    "ca": "Identificador"}
#: a cell of it: ``$string['hiddenuser']`` ("Participant ", "Deelnemer", ...), then the participant id
IDENTIFIER_CELL = re.compile(r"^(?P<word>[^0-9]*[^0-9\s])\s*(?P<participant>[0-9]+)$")
# (the word ends in a letter: a word of spaces lazily grown before spaces took time as the square of a
# long cell's length)
#: the worksheet's column of an assignment where students submit in groups, ``$string['submissionteam']``
TEAM_WORDS = ("Group", "Gruppe", "Groupe", "Groep")
#: how a worksheet line can name the key's student, in the order a tie is decided
WAYS = ("ID number", "Email address", "email")
WORKSHEET = "Moodle's grading worksheet (Assignment > View all submissions > Download grading worksheet)"


def moodle_participant(path: str) -> str | None:
    """The participant id in the path of the file at ``path``: of its outermost folder or file name
    that Moodle's download gives (a student's own folders and file names come after Moodle's, and
    cannot move the file); None when it has none."""
    for part in Path(os.path.abspath(path)).parts:
        found = PATTERN.match(part)
        if found:
            return number(found.group("participant"))
    return None


def number(digits: str) -> str:
    """A participant id as written without its leading zeros (not through ``int``: a number of
    thousands of digits, in a bad worksheet, is an error of Python's there)."""
    return digits.lstrip("0") or "0"


@dataclass(frozen=True)
class MoodleIds:
    """The students of the participant ids of one assignment, from its grading worksheet."""

    pairs: tuple[tuple[str, tuple[str, str]], ...]  # (participant id, (ID number, email address)) a line
    source: str = ""  # the worksheet's path, for messages
    resolved: tuple[tuple[str, str], ...] = ()  # (participant id, student), by for_key; () until then
    #: (participant id, the key's student) of the lines that name a student another line names too
    shared: tuple[tuple[str, str], ...] = ()
    _table: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def student(self, participant: str) -> str | None:
        """The student of a participant id (the key's id when the line names a key's student;
        else the line's ID number or email address); None: not in the worksheet."""
        if not self._table and self.pairs:
            self._table.update(self.resolved or _resolve(self.pairs, _default_way(self.pairs), {}))
        return self._table.get(participant)

    def claimed(self, participant: str, claimed: Any) -> str | None:
        """The key's student of a participant whose line names the same student as another line does
        (two accounts with one ID number, or an email address a student gave their account), when
        the file's metadata claims that student; else None (the row is ``moodle-<participant id>``:
        whose it is, the worksheet does not say, and the newest file no longer takes the row)."""
        return next((s for p, s in self.shared if p == participant and s == claimed), None)

    def for_key(self, students: Mapping[str, Any]) -> MoodleIds:
        """These ids matched to the key's ``students`` (id -> entry with ``email``) the way that
        names the most of them; none named at all is an error (another course's worksheet). A
        student several lines name is no line's (see :meth:`claimed`)."""
        ids, emails = key_lookups(students)
        lookups = {"ID number": ids, "Email address": ids, "email": emails}
        counts = {way: len({s for _, s in _resolve(self.pairs, way, lookups[way]).items() if s in students})
                  for way in WAYS}
        best = max(WAYS, key=lambda way: counts[way])  # (max keeps the first of equals)
        if not counts[best]:
            raise BackpropError(f"{self.source}: none of the grading worksheet's participants is on the "
                                "key's roster (matched by ID number and by email address); give the "
                                "worksheet of this assignment, or the key generated from its course's roster")
        resolved = _resolve(self.pairs, best, lookups[best])
        lines: dict[str, list[str]] = {}
        for participant, student in resolved.items():
            if student in students:
                lines.setdefault(student, []).append(participant)
        shared = tuple((p, s) for s, ps in lines.items() if len(ps) > 1 for p in ps)
        for p, _ in shared:
            resolved[p] = f"moodle-{p}"
        return MoodleIds(self.pairs, self.source, tuple(resolved.items()), shared)



def _default_way(pairs: Sequence[tuple[str, tuple[str, str]]]) -> str:
    """Without the key, as :mod:`grader.platforms.roster_formats` makes a Moodle roster's ids: the
    ID number when every line has one, else the email address."""
    return "ID number" if all(idnumber for _, (idnumber, _) in pairs) else "Email address"


def _resolve(pairs: Sequence[tuple[str, tuple[str, str]]], way: str,
             lookup: Mapping[str, str]) -> dict[str, str]:
    """participant id -> student, by ``way``; ``lookup``: folded ID number or email -> the key's
    student (the key's spelling). A line that names nobody that way keeps its own id, when it can name a
    row (:func:`~grader.batch.key_match.row_id`), else is ``moodle-<participant id>``."""
    table = {}
    for participant, (idnumber, email) in pairs:
        cell = idnumber if way == "ID number" else email
        student = lookup.get(fold(cell)) if cell else None
        table[participant] = student or row_id(cell, idnumber, email) or f"moodle-{participant}"
    return table


def read_worksheet(data: bytes, path: str) -> MoodleIds:
    """The :class:`MoodleIds` of a grading worksheet's bytes; a file that is not one (no
    ``Identifier`` column of participants) or that names no student is an error that says what
    to give."""
    text = decode(data, path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    except csv.Error as exc:
        raise BackpropError(f"{path}: is not a readable CSV file ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    header = [h.strip() for h in rows[0]] if rows else []
    body = [[cell.strip() for cell in r] for r in rows[1:]]
    at = _identifier_column(header, body)
    if at is None:
        raise BackpropError(f"{path}: --id-from moodle needs {WORKSHEET}, whose 'Identifier' column maps "
                            "the participant id in each downloaded file's name to the student; this file is "
                            "not one")
    if any(h.casefold() in {w.casefold() for w in TEAM_WORDS} for h in header):
        raise BackpropError(f"{path}: the assignment has students submit in groups, and Moodle's download "
                            "names each group's folder by the group's id, not a participant's; grade with "
                            "--id-from metadata")
    idnumber = _column(header, "idnumber")
    email = _column(header, "email")
    if idnumber is None and email is None:
        raise BackpropError(f"{path}: {_no_identity(header)}")
    pairs = []
    for r in body:
        found = IDENTIFIER_CELL.match(r[at]) if at < len(r) else None
        if found:
            pairs.append((number(found.group("participant")),
                          (_cell(r, idnumber), _cell(r, email))))
    if not pairs:
        raise BackpropError(f"{path}: the grading worksheet lists no participants; download it again "
                            "with the filter set to all participants")
    return MoodleIds(tuple(pairs), path)


def _identifier_column(header: Sequence[str], body: Sequence[Sequence[str]]) -> int | None:
    """The index of the Identifier column: a header of :data:`IDENTIFIER_WORDS` whose cells are
    all ``<the word for a participant> <number>``."""
    words = {w.casefold() for w in IDENTIFIER_WORDS.values()}
    for i, h in enumerate(header):
        if h.casefold() in words:
            cells = [r[i] for r in body if i < len(r) and r[i]]
            if all(IDENTIFIER_CELL.match(c) for c in cells):
                return i
    return None


def _column(header: Sequence[str], word: str) -> int | None:
    """The index of Moodle's column ``word`` (``idnumber``, ``email``), in any language of
    :data:`~grader.platforms.roster_formats.MOODLE_WORDS`."""
    spellings = {w.casefold() for words in MOODLE_WORDS.values() for w in words[word]}
    return next((i for i, h in enumerate(header) if h.casefold() in spellings), None)


def _cell(row: Sequence[str], at: int | None) -> str:
    return row[at] if at is not None and at < len(row) else ""


def _no_identity(header: Sequence[str]) -> str:
    """Why a worksheet has neither an ID number nor an email column, and what to do."""
    names = {w.casefold() for words in MOODLE_WORDS.values() for w in words["full"]}
    if not any(h.casefold() in names for h in header):
        return ("the grading worksheet names no student: with anonymous submissions, Moodle leaves the "
                "names and ids out until the identities are revealed; reveal student identities and "
                "download it again, or grade with --id-from metadata")
    return ("the grading worksheet has no 'ID number' or 'Email address' column to find the key's students "
            "by (Moodle lists the identity fields its 'Show user identity' setting names); show the email "
            "address there, or grade with --id-from metadata")


def unknown_message(path: str, student: str, ids: MoodleIds | None) -> tuple[str, str]:
    """(what to do, what is wrong) for a file that ``--id-from moodle`` finds nobody for."""
    participant = moodle_participant(path)
    if participant is None:  # (a file named otherwise is its name's student, as with --id-from name)
        return ("rename the file",
                f"its file name says {student!r}, who is not on the key's roster, and it is not in a folder "
                "or a name Moodle's download gives (<full name>_<participant id>_assignsubmission_file)")
    if ids is None or ids.student(participant) is None:
        return ("grade with the grading worksheet of this assignment",
                f"its Moodle participant id {participant} is not in the grading worksheet given with "
                "--roster")
    same = [s for p, s in ids.shared if p == participant]
    if same:
        others = ", ".join(p for p, s in ids.shared if s == same[0] and p != participant)
        return ("give each account its own ID number and email address in Moodle and download the worksheet "
                "again",
                f"its Moodle participant id {participant} is {same[0]!r} in the grading worksheet, and so is "
                f"participant {others}: which of them is {same[0]} the worksheet does not say, and the "
                "file's metadata does not claim it")
    if student == f"moodle-{participant}":  # (a line whose ids cannot name a row: see _resolve)
        return ("add the student to the key (generate --add)",
                f"its Moodle participant id {participant} is in the grading worksheet, on a line whose ID "
                "number and email address name nobody on the key's roster")
    return ("add the student to the key (generate --add)",
            f"its Moodle participant id {participant} is {student!r} in the grading worksheet, who is not on "
            "the key's roster")
