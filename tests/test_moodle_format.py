"""Moodle's exports as a Moodle in another language writes them, and what we write back.

Where the format was read:

- the column headers are the strings of Moodle's language packs (``lang/<code>/moodle.php``:
  ``firstname``, ``lastname``, ``fullname``, ``idnumber``, ``email``, ``roles``,
  ``defaultcoursestudent``; ``grades.php``: ``real``, ``gradeexportcolumntype`` = ``{$a->name}
  ({$a->extra})``; ``assign.php``: ``modulename``; ``langconfig.php``: ``labelsep``), read in
  github.com/projectestac/moodle-langpacks (de/, fr/, it/, ...);
- a grade export names an activity's column ``modulename . labelsep . name (extra)``
  (``grade_export::format_column_name`` in moodle/moodle ``grade/export/lib.php``);
- the participants table's columns are ``fullname``, the identity fields, ``roles``, ``groups``
  (moodle/moodle ``user/classes/table/participants.php``);
- the CSV import reads ``-`` (or an empty cell) as no grade and maps the user by id, idnumber,
  email or username (moodle/moodle ``grade/import/csv/classes/load_data.php``).
"""

from __future__ import annotations

import csv
import io
import re

from test_platform_exports import _course

from grader.cli import cli
from grader.platforms.moodle import numerical
from grader.platforms.roster_formats import parse_roster
from grader.roster import read_roster

GERMAN = ["Vorname", "Nachname", "ID-Nummer", "Institution", "Abteilung", "E-Mail-Adresse",
          "Aufgabe: hw3 (Punkte)", "Kurs gesamt (Punkte)", "Zuletzt aus diesem Kurs heruntergeladen"]
STUDENTS = [("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu"),
            ("Max", "Roe", "s003", "max@mit.edu")]


def _csv(rows, delimiter=",", newline="\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def german_grades() -> bytes:
    """A German Moodle's grade export (Export > Textdatei), saved again by a German Excel as
    "CSV UTF-8": semicolons, a byte-order mark, Windows line endings, a decimal comma."""
    rows = [GERMAN] + [[f, la, i, "MIT", "EECS", e, "-", "12,5", "1764990000"] for f, la, i, e in STUDENTS]
    return b"\xef\xbb\xbf" + _csv(rows, ";").encode("utf-8")


def test_a_german_grade_export_is_read_as_moodles():
    roster = parse_roster(german_grades(), "noten.csv")
    assert (roster.platform, roster.delimiter, roster.id_column) == ("moodle", ";", "ID-Nummer")
    assert [(s.id, s.name, s.email) for s in roster.students] == [
        ("s001", "Jane Doe", "jane@mit.edu"), ("s002", "Kim Lee", "kim@mit.edu"),
        ("s003", "Max Roe", "max@mit.edu")]


def test_the_german_export_round_trip_keeps_its_grade_column(runner, tmp_path):
    roster, key, subs = _course(tmp_path, german_grades())
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((tmp_path / "g" / "moodle-grades.csv").read_text(encoding="utf-8"))))
    # the grade column is the export's own, so that Moodle's import maps it to the assignment
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Aufgabe: hw3 (Punkte)"]
    assert rows[1:] == [["Jane", "Doe", "s001", "jane@mit.edu", "28"],
                        ["Kim", "Lee", "s002", "kim@mit.edu", "27"],
                        ["Max", "Roe", "s003", "max@mit.edu", "-"]]


def test_a_french_participants_export_keeps_the_students():
    """Participants > Télécharger: "Nom complet" (fullname), the identity fields, "Rôles"; the
    student role is "Étudiant"; no ID number here, so the id is the email."""
    text = _csv([["Nom complet", "Adresse de courriel", "Rôles", "Groupes", "Dernier accès au cours"],
                 ["Jeanne Doe", "jeanne@ens.fr", "Étudiant", "G1", "2 jours"],
                 ["Paul Prof", "paul@ens.fr", "Enseignant", "", "1 heure"],
                 ["Kim Lee", "kim@ens.fr", "Étudiant, Tuteur", "G2", "Jamais"]])
    roster = parse_roster(text.encode("utf-8"), "participants.csv")
    assert (roster.platform, roster.id_column) == ("moodle", "Adresse de courriel")
    assert [(s.id, s.name) for s in roster.students] == [("jeanne@ens.fr", "Jeanne Doe"),
                                                         ("kim@ens.fr", "Kim Lee")]
    assert roster.skipped == ("row 3: roles Enseignant, not Étudiant",)


def test_an_english_participants_export_with_full_names(tmp_path):
    """Moodle's participants table has one "Full name" column, not first and last names."""
    path = tmp_path / "participants.csv"
    path.write_text(_csv([["Full name", "ID number", "Email address", "Roles", "Groups"],
                          ["Jane Doe", "s001", "jane@mit.edu", "Student", ""],
                          ["Pat Winston", "", "pat@mit.edu", "Teacher", ""]]), encoding="utf-8")
    assert [(s.id, s.name, s.email) for s in read_roster(path)] == [("s001", "Jane Doe", "jane@mit.edu")]


def test_an_italian_export_and_its_grade_column(runner, tmp_path):
    header = ["Nome", "Cognome", "Codice identificativo", "Indirizzo email", "Compito: hw3 (Punteggio)"]
    text = _csv([header] + [[f, la, i, e, "-"] for f, la, i, e in STUDENTS])
    roster, key, subs = _course(tmp_path, text.encode("utf-8"))
    assert [s.name for s in read_roster(roster)] == ["Jane Doe", "Kim Lee", "Max Roe"]
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((tmp_path / "g" / "moodle-grades.csv").read_text(encoding="utf-8"))))
    assert rows[0][-1] == "Compito: hw3 (Punteggio)"
    assert [r[2] for r in rows[1:]] == ["s001", "s002", "s003"]


# Moodle's Cloze parser, ported (moodle/moodle question/type/multianswer/questiontype.php:
# ANSWER_ALTERNATIVE_* and ANSWER_REGEX, qtype_multianswer_extract_question): a feedback runs to
# the first "~" or "}" not after a backslash; it is then html_entity_decode'd, and only "\}" and
# "\#" are unescaped; the feedback is HTML. (PCRE's lookbehind (?<!\\|&|&amp;) is three here.)
_FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
_ALT = f"({_FRACTION})?({_ANSWER})(#({_FEEDBACK}))?"
_CLOZE = r"\{([0-9]*):(NUMERICAL|NM):" + f"({_ALT}(?:~{_ALT})*)" + r"\}"


def moodle_reads_cloze(text: str) -> list[tuple[str, str]]:
    """(answer, feedback as the student reads it) of each alternative, as Moodle parses them."""
    import html

    m = re.search(_CLOZE, text, re.S)
    assert m, text
    remaining, found = m.group(3), []
    while remaining:
        alt = re.match("~?" + _ALT, remaining, re.S)
        assert alt and alt.group(0), remaining
        stored = html.unescape(alt.group(5) or "").replace("\\}", "}").replace("\\#", "#")
        shown = html.unescape(re.sub(r"<[^>]*>", "", stored))  # the HTML, as text
        found.append((alt.group(3), shown))
        remaining = remaining.split(alt.group(0), 1)[1]
    return found


def test_moodle_reads_back_every_feedback_as_written():
    message = 'sign-flip: a/b ~ {c} #1 "q" \\ o_F -> N & 1 < 2. Right: d_N - o_N'
    cloze = numerical(0.5, 0.0001, [(0.25, message), (-1.5, "plain")])
    assert moodle_reads_cloze(cloze) == [("0.5:0.0001", "Right"), ("0.25:0.0001", message),
                                         ("-1.5:0.0001", "plain")]


def test_every_cloze_of_an_exported_bank_reads_back_as_moodle_parses_it(runner, tmp_path):
    import xml.etree.ElementTree as ET

    from grader.rules import MISCONCEPTIONS

    out = tmp_path / "bank.xml"
    result = runner.invoke(cli, ["export", "moodle", "2-2-1-threshold", "--count", "2", "--secret-file",
                                 str(tmp_path / "secret"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    texts = [q.findtext("questiontext/text") for q in ET.parse(out).getroot().findall("question")[1:]]
    written = {f"{m.id}: {m.mistake}. Right: {m.right}" for m in MISCONCEPTIONS.values()}
    named = 0
    for text in texts:
        for cloze in re.findall(r"\{1:NUMERICAL:.*?(?<!\\)\}", text):
            read = moodle_reads_cloze(cloze)
            assert read[0][1] == "Right"
            for _, feedback in read[1:]:
                assert feedback in written, feedback  # word for word, no stray backslash
                named += 1
    assert named > 0
