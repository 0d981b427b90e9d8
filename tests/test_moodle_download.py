"""``backprop grade --id-from moodle --roster <grading worksheet>``: the files of Moodle's "Download
all submissions" zip, each on the row of the student whose participant id its folder (or flat
name) holds, through the assignment's grading worksheet.

Where the formats were read (github.com/moodle/moodle, with ``read_file`` of the source index):

- ``mod/assign/classes/downloader.php`` (Moodle 4.0+): ``get_student_prefix``: the prefix is
  ``clean_filename(str_replace('_', ' ', fullname) . '_' . get_uniqueid_for_user(id))``, the full
  name being ``get_string('participant', 'mod_assign')`` ("Participant") with anonymous submissions
  (``is_blind_marking``); ``load_submissionplugin_filelist``: in folders ``<prefix>_<subtype>_<type>``
  then ``$file->get_filepath()`` (``/`` or the student's own subfolders) and the file name; flat
  ``<prefix>_<subtype>_<type>_<file name>``. Team submissions use ``<group name>_<group id>``.
- Moodle 3.1-3.11's ``mod/assign/locallib.php`` ``download_submissions`` (the same code, as copied
  into plugins that override it; the stored moodle/moodle has 4.x's downloader.php): the folder is
  ``clean_filename($prefix . '_' . $subtype . '_' . $type . '_')``, with a trailing underscore.
- ``mod/assign/gradingtable.php``: the worksheet (``download_grades`` of
  ``mod/assign/feedback/offline/locallib.php`` downloads this table as CSV) has ``recordid``
  first, then ``fullname`` and the site's identity fields (``get_extra_user_fields``:
  ``showuseridentity``, by default the email only), or only ``recordid`` with anonymous
  submissions for a grader without ``mod/assign:viewblinddetails``; a ``team`` column
  (``submissionteam``) when students submit in groups. ``col_recordid`` writes
  ``get_string('hiddenuser', 'assign') . get_uniqueid_for_user($row->userid)``, the number in the
  download's names.
- ``mod/assign/feedback/offline/importgradeslib.php``: Moodle reads the column back by the header
  ``get_string('recordid', 'assign')`` and strips ``hiddenuser`` off the front of each cell.
- ``mod/assign/lang/en/assign.php``: ``recordid`` = 'Identifier', ``hiddenuser`` = 'Participant ',
  ``participant`` = 'Participant', ``submissionteam`` = 'Group'; and the language packs
  (projectestac/moodle-langpacks ``<lang>/assign.php``): ``recordid`` 'ID' (de), 'Identifiant' (fr),
  'Identificador' (es, ca, pt), 'Identificativo' (it), 'Identificatie' (nl).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest
from courses import right
from downloads import grade, gradebook, key_from_roster, put
from platform_files import canvas_gradebook, moodle_grades

from grader.batch.moodle_names import moodle_participant, read_worksheet
from grader.batch.run import FEW_HOOK
from grader.errors import BackpropError

#: (first, last, ID number, email) of the course, as Moodle's grade export lists them
STUDENTS = [("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu"),
            ("Max", "Roe", "s003", "max@mit.edu"), ("José", "Núñez", "s004", "jose@mit.edu"),
            ("Ann", "Poe", "s005", "ann@mit.edu")]
#: their participant ids in the assignment (Moodle's assign_user_mapping)
PARTICIPANT = {"s001": "12345", "s002": "12346", "s003": "12347", "s004": "12348", "s005": "12349"}


@pytest.mark.parametrize(("path", "participant"), [
    ("dl/Jane Doe_12345_assignsubmission_file/student01.ipynb", "12345"),  # folders, Moodle 4
    ("dl/Jane Doe_12345_assignsubmission_file_/student01.ipynb", "12345"),  # folders, Moodle 3.1-3.11
    ("dl/Jane Doe_12345_assignsubmission_file/hw/week 3/nb.ipynb", "12345"),  # the student's subfolders
    ("dl/Jane Doe_12345_assignsubmission_file_student01.ipynb", "12345"),  # flat
    ("dl/Participant_12345_assignsubmission_file/a.ipynb", "12345"),  # anonymous submissions
    ("dl/Deelnemer_12345_assignsubmission_file/a.ipynb", "12345"),  # (in Dutch)
    ("dl/Group A-Jane Doe_12345_assignsubmission_file_a.ipynb", "12345"),  # (3.x, in group mode)
    (unicodedata.normalize("NFD", "dl/José Núñez_12348_assignsubmission_file/a.ipynb"), "12348"),
    ("dl/_12345_assignsubmission_file/a.ipynb", "12345"),  # (a name Moodle could not spell)
    # a student who uploads a file (or folder) named like someone else's download cannot move it:
    # Moodle's own folder, or the front of its flat name, comes first
    ("dl/Jane Doe_12345_assignsubmission_file/Kim Lee_12346_assignsubmission_file_x.ipynb", "12345"),
    ("dl/Jane Doe_12345_assignsubmission_file_Kim Lee_12346_assignsubmission_file_x.ipynb", "12345"),
    ("dl/Jane Doe_12345_assignsubmission_file/Kim Lee_12346_assignsubmission_file/x.ipynb", "12345"),
    ("dl/s001.ipynb", None),
    ("dl/Jane_Doe_12345_assignsubmission_file/a.ipynb", None),  # (Moodle writes a name's "_" as " ")
    ("dl/Jane Doe_12345_assignfeedback_file/a.ipynb", None),
    ("dl/Jane Doe_x12345_assignsubmission_file/a.ipynb", None),
    ("dl/doejane_101_5551234_hw3.ipynb", None),  # (Canvas's)
])
def test_the_participant_id_in_a_path_moodle_gives(path, participant):
    assert moodle_participant(path) == participant


def worksheet(lines: list[tuple[str, str, str, str]], *,
              fields: tuple[str, ...] = ("ID number", "Email address"), blind: bool = False,
              team: bool = False) -> bytes:
    """The grading worksheet as Moodle downloads it (UTF-8 with a byte-order mark, commas):
    ``lines``: (participant id, full name, ID number, email); ``fields``: the identity columns the
    site shows; ``blind``: anonymous submissions, for a grader who may not see who is who."""
    head = ["Identifier"] if blind else ["Identifier", "Full name", *fields]
    head += ["Status", *(["Group"] if team else []), "Grade", "Maximum Grade", "Grade can be changed",
             "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    rows = [head]
    for participant, name, idnumber, email in lines:
        ids = {"ID number": idnumber, "Email address": email}
        who = [] if blind else [name, *(ids[f] for f in fields)]
        rows.append([f"Participant {participant}", *who, "Submitted for grading",
                     *(["Team A"] if team else []), "", "28.00", "Yes",
                     "Friday, 4 December 2026, 10:00 AM", "-", ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _lines(students=STUDENTS) -> list[tuple[str, str, str, str]]:
    return [(PARTICIPANT[idn], f"{first} {last}", idn, email) for first, last, idn, email in students]


def _course(tmp_path, roster_bytes: bytes, sheet: bytes):
    roster = tmp_path / "moodle-grades.csv"
    roster.write_bytes(roster_bytes)
    key, variants = key_from_roster(tmp_path, roster)
    sheet_path = tmp_path / "worksheet.csv"
    sheet_path.write_bytes(sheet)
    subs = tmp_path / "download"
    subs.mkdir()
    return sheet_path, key, subs, variants


@pytest.fixture
def course(tmp_path):
    return _course(tmp_path, moodle_grades(STUDENTS), worksheet(_lines()))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_moodle_download_is_graded_on_each_participant_s_row(course, tmp_path, jobs, monkeypatch):
    monkeypatch.setenv(FEW_HOOK, "2")  # (workers for these few files, with --jobs 2)
    sheet, key, subs, v = course
    put(subs, "Jane Doe_12345_assignsubmission_file/hw3.ipynb", right(v["s001"]))  # folders (Moodle 4)
    put(subs, "Kim Lee_12346_assignsubmission_file_my homework (1).ipynb", right(v["s002"]))  # flat
    # Max (12347) uploaded Jane's handout, answered: his row, a mismatch (Moodle 3's folder name)
    put(subs, "Max Roe_12347_assignsubmission_file_/s001.ipynb", right(v["s001"]))
    # José's folder as a Mac unzips it: the accents decomposed (NFD)
    put(subs, unicodedata.normalize("NFD", "José Núñez_12348_assignsubmission_file/hw/nb.ipynb"),
         right(v["s004"]))
    put(subs, "Lou Fox_99999_assignsubmission_file/x.ipynb", right(v["s003"]))  # not in the worksheet
    put(subs, "s005.ipynb", right(v["s005"]))  # added by the instructor: its name's student
    put(subs, "zed.ipynb", right(v["s002"]))  # neither Moodle's name nor a student's
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet),
                    jobs=jobs)
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s001"] == ("graded", "28") and book["s002"] == ("graded", "28")
    assert book["s004"] == ("graded", "28") and book["s005"] == ("graded", "28")
    assert book["s003"][0] == "mismatch"
    assert book["moodle-99999"][0] == "unknown" and book["zed"][0] == "unknown"
    message = {s: json.loads((out / "results" / f"{s}.json").read_text())["message"]
               for s in ("s003", "moodle-99999", "zed")}
    assert ("its Moodle participant id says 's003' but its signed metadata names 's001' (it is s001's signed "
            "handout)") in message["s003"]
    assert ("its Moodle participant id 99999 is not in the grading worksheet given with --roster; its "
            "metadata names 's003'") in message["moodle-99999"]
    assert ("its file name says 'zed', who is not on the key's roster, and it is not in a folder or a name "
            "Moodle's download gives") in message["zed"]


def test_a_file_that_cannot_be_read_is_an_error_on_its_participant_s_row(course, tmp_path):
    sheet, key, subs, v = course
    put(subs, "Kim Lee_12346_assignsubmission_file/hw3.ipynb", "{not a notebook")
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out)["s002"] == ("error", "0")


EMAILS = [email for *_, email in STUDENTS]


@pytest.mark.parametrize(("students", "fields", "key_ids"), [
    # Moodle's default: the worksheet shows the email only; the key's ids are the ID numbers
    (STUDENTS, ("Email address",), list(PARTICIPANT)),
    (STUDENTS, ("ID number",), list(PARTICIPANT)),
    # José has no ID number: the roster export's ids, and so the key's, are the email addresses
    ([*STUDENTS[:3], ("José", "Núñez", "", "jose@mit.edu"), STUDENTS[4]], ("ID number", "Email address"),
     EMAILS),
], ids=["email-only-worksheet", "idnumber-only-worksheet", "key-ids-are-emails"])
def test_a_line_is_matched_as_the_key_s_ids_were_made(tmp_path, students, fields, key_ids):
    """The worksheet column that names the key's students decides, as the ID number or email
    (the key's ids) or as the email (the key's emails)."""
    lines = [(str(12345 + n), f"{first} {last}", idn, email)
             for n, (first, last, idn, email) in enumerate(students)]
    sheet, key, subs, v = _course(tmp_path, moodle_grades(students), worksheet(lines, fields=fields))
    assert sorted(v) == sorted(key_ids)
    for (participant, name, _, _), student in zip(lines, key_ids, strict=True):
        put(subs, f"{name}_{participant}_assignsubmission_file/nb.ipynb", right(v[student]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out) == {s: ("graded", "28") for s in key_ids}


def test_anonymous_submissions_with_the_identities_in_the_worksheet(tmp_path):
    """Blind marking names every folder Participant_<id>; a grader allowed to see who is who
    (mod/assign:viewblinddetails) gets a worksheet with the names, which maps them."""
    sheet, key, subs, v = _course(tmp_path, moodle_grades(STUDENTS), worksheet(_lines()))
    for student, participant in PARTICIPANT.items():
        put(subs, f"Participant_{participant}_assignsubmission_file/nb.ipynb", right(v[student]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out) == {s: ("graded", "28") for s in PARTICIPANT}


@pytest.mark.parametrize(("header", "cell"), [
    (["ID", "Vollständiger Name", "ID-Nummer", "E-Mail-Adresse", "Status"], "Teilnehmer/in 12345"),
    (["Identifiant", "Nom complet", "Numéro d’identification", "Adresse de courriel", "Statut"],
     "Participant 12345"),
    (["Identificatie", "Volledige naam", "Nummer (ID)", "E-mailadres", "Status"], "Deelnemer12345"),
], ids=["de", "fr", "nl"])
def test_a_worksheet_in_another_language(header, cell):
    """The headers are the grader's language pack's; the word before the number is read as any."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([header, [cell, "Jane Doe", "s001", "jane@mit.edu", "x"]])
    ids = read_worksheet(buf.getvalue().encode("utf-8"), "w.csv")
    assert ids.pairs == (("12345", ("s001", "jane@mit.edu")),)
    assert ids.student("12345") == "s001"


@pytest.mark.parametrize(("sheet", "message"), [
    (canvas_gradebook([("Doe, Jane", "101", "s001", "jdoe")]),
     "--id-from moodle needs Moodle's grading worksheet (Assignment > View all submissions > Download "
     "grading worksheet), whose 'Identifier' column maps the participant id in each downloaded file's name "
     "to the student; this file is not one"),
    (moodle_grades(STUDENTS),
     "--id-from moodle needs Moodle's grading worksheet (Assignment > View all submissions > Download "
     "grading worksheet), whose 'Identifier' column maps the participant id in each downloaded file's name "
     "to the student; this file is not one"),
    (worksheet(_lines(), blind=True),
     "the grading worksheet names no student: with anonymous submissions, Moodle leaves the names and ids "
     "out until the identities are revealed; reveal student identities and download it again, or grade "
     "with --id-from metadata"),
    (worksheet(_lines(), fields=()),
     "the grading worksheet has no 'ID number' or 'Email address' column to find the key's students by "
     "(Moodle lists the identity fields its 'Show user identity' setting names); show the email address "
     "there, or grade with --id-from metadata"),
    (worksheet(_lines(), team=True),
     "the assignment has students submit in groups, and Moodle's download names each group's folder by "
     "the group's id, not a participant's; grade with --id-from metadata"),
    (worksheet([("1", "Ann Poe", "x9", "ann@other.edu")]),
     "none of the grading worksheet's participants is on the key's roster (matched by ID number and by "
     "email address); give the worksheet of this assignment, or the key generated from its course's roster"),
], ids=["canvas-export", "moodle-grades-export", "anonymous", "no-identity-fields", "groups",
        "another-course"])
def test_a_file_that_is_not_this_assignment_s_worksheet_is_one_error(course, tmp_path, sheet, message):
    _, key, subs, v = course
    put(subs, "Jane Doe_12345_assignsubmission_file/hw3.ipynb", right(v["s001"]))
    given = tmp_path / "given.csv"
    given.write_bytes(sheet)
    result = grade(str(key), str(subs), "--out", str(tmp_path / "o"), "--id-from", "moodle", "--roster",
                    str(given))
    assert result.exit_code == 2
    assert result.output == f"Error: {given}: {message}\n"


def test_moodle_ids_need_the_worksheet(course, tmp_path):
    _, key, subs, v = course
    put(subs, "Jane Doe_12345_assignsubmission_file/hw3.ipynb", right(v["s001"]))
    result = grade(str(key), str(subs), "--out", str(tmp_path / "o"), "--id-from", "moodle")
    assert result.exit_code == 2
    assert result.output == ("Error: --id-from moodle needs --roster: the assignment's grading worksheet "
                             "(View all submissions > Download grading worksheet), whose Identifier column "
                             "maps the participant id in each downloaded folder's name to the student\n")


def test_a_worksheet_with_no_participants_is_an_error(tmp_path):
    with pytest.raises(BackpropError, match="lists no participants"):
        read_worksheet(worksheet([]), "w.csv")


def test_another_worksheet_is_another_run(course, tmp_path):
    """The participant ids' students are part of the run: a rerun with another worksheet grades again."""
    sheet, key, subs, v = course
    put(subs, "Jane Doe_12345_assignsubmission_file/hw3.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    assert grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle",
                  "--roster", str(sheet)).exit_code == 0
    assert gradebook(out)["s001"] == ("graded", "28")
    swapped = tmp_path / "swapped.csv"  # (12345 is now Kim's participant id)
    swapped.write_bytes(worksheet([("22222", "Jane Doe", "s001", "jane@mit.edu"),
                                   ("12345", "Kim Lee", "s002", "kim@mit.edu")]))
    again = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(swapped))
    assert again.exit_code == 0, again.output
    book = gradebook(out)
    assert book["s002"][0] == "mismatch" and book["s001"] == ("missing", "0")


def test_export_lists_the_key_s_students_not_the_worksheet(tmp_path):
    """The worksheet maps participant ids; it is not a roster export: --export moodle writes the
    key's students (their ids and emails, from the roster the key was made from)."""
    sheet_bytes = worksheet(_lines(), fields=("Email address",))
    sheet, key, subs, v = _course(tmp_path, moodle_grades(STUDENTS), sheet_bytes)
    put(subs, "Jane Doe_12345_assignsubmission_file/hw3.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet),
                    "--export", "moodle")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((out / "moodle-grades.csv").read_text())))
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Assignment: hw3 (Real)"]
    assert rows[1] == ["Jane", "Doe", "s001", "jane@mit.edu", "28"]
    assert [r[2:] for r in rows[2:]] == [[s, e, "-"] for _, _, s, e in STUDENTS[1:]]


def test_a_participant_the_key_does_not_have_is_unknown_by_the_worksheet_s_id(tmp_path):
    """A student enrolled after the handouts were generated: the worksheet names them, the key not."""
    lines = [*_lines(), ("12350", "Lou Fox", "s009", "lou@mit.edu")]
    sheet, key, subs, v = _course(tmp_path, moodle_grades(STUDENTS), worksheet(lines))
    put(subs, "Lou Fox_12350_assignsubmission_file/nb.ipynb", right(v["s002"]))  # (a classmate's handout)
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out)["s009"][0] == "unknown"
    message = json.loads((out / "results" / "s009.json").read_text())["message"]
    assert message.startswith("its Moodle participant id 12350 is 's009' in the grading worksheet, who is "
                              "not on the key's roster; its metadata names 's002' (scored against s002's "
                              "problem, counted for nobody: add the student to the key (generate --add)")


def test_a_file_you_add_is_its_name_s_student_and_says_so(course, tmp_path):
    sheet, key, subs, v = course
    put(subs, "s002.ipynb", right(v["s001"]))  # (Jane's handout, under Kim's name)
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out)["s002"][0] == "mismatch"
    message = json.loads((out / "results" / "s002.json").read_text())["message"]
    assert message.startswith("its file name says 's002' but its signed metadata names 's001'")
