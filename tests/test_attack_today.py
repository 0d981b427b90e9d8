"""Attacks on what was added on 6 December (the Moodle and Gradescope downloads, a file's student
from the longest dot-prefix of its name, the files not graded, check's asked ids), each a test that
failed before its mend: a platform's list naming a row that is no file name, a number of thousands
of digits, a worksheet cell or a yml that took time or memory without end, the run's own outputs
named as files not graded, a file's own name choosing its row inside a submission folder, and a
course's own family under a built-in's name making check call its answered lines missing."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import course as small_course
from courses import right
from downloads import grade, gradebook, put
from platform_files import moodle_grades
from test_gradescope_download import BY_SID, _yml
from test_gradescope_download import _course as gradescope_course
from test_moodle_download import STUDENTS, _course, _lines, worksheet

from grader.batch.gradescope_names import read_metadata
from grader.batch.moodle_names import IDENTIFIER_CELL, read_worksheet
from grader.cli import cli

#: ids a worksheet or a yml may give a student who is not on the key: none can name a file in OUT
NOT_FILE_NAMES = ["2024/777", "../../evil", "a" * 300, "=1+2", "\x1b]0;pwn\x07", "<b>x</b>"]


def _nothing_outside(tmp_path, out) -> list[str]:
    """Files the run wrote that are not under OUT, the submissions, or the course's own files."""
    mine = {"key.json", "moodle-grades.csv", "worksheet.csv", "gradescope-roster.csv"}
    return [str(p) for p in tmp_path.rglob("*") if p.is_file() and p.name not in mine
            and out not in p.parents and not any(q.name in ("download", "assignment_9100_export")
                                                 for q in p.parents)]


@pytest.mark.parametrize("bad", NOT_FILE_NAMES, ids=["slash", "dot-dot", "long", "formula", "escape", "html"])
def test_a_worksheet_s_id_that_is_no_file_name_is_the_participant_s_row(tmp_path, bad):
    """A participant the key does not have keeps the worksheet's ID number as their row's student;
    one that cannot be a file name (it names the row's result and feedback files) stopped the whole
    batch ('cannot write the results'), or wrote them outside OUT (``../../evil``)."""
    lines = [*_lines(), ("12350", "Lou Fox", bad, "")]
    sheet, key, subs, v = _course(tmp_path, moodle_grades(STUDENTS), worksheet(lines, fields=("ID number",)))
    put(subs, "Lou Fox_12350_assignsubmission_file/nb.ipynb", right(v["s002"]))
    put(subs, "Jane Doe_12345_assignsubmission_file/nb.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s001"] == ("graded", "28") and book["moodle-12350"][0] == "unknown"
    assert len(book) == 6 and _nothing_outside(tmp_path, out) == []
    message = json.loads((out / "results" / "moodle-12350.json").read_text())["message"]
    assert message.startswith("its Moodle participant id 12350 is in the grading worksheet, on a line whose "
                              "ID number and email address name nobody on the key's roster; its metadata "
                              "names 's002'")


def test_a_worksheet_line_with_an_email_that_is_a_file_name_keeps_it(tmp_path):
    """(the ID number cannot name a file; the email can: the row is the email's)"""
    lines = [*_lines(), ("12350", "Lou Fox", "2024/777", "lou@mit.edu")]
    sheet, key, subs, v = _course(tmp_path, moodle_grades(STUDENTS), worksheet(lines))
    put(subs, "Lou Fox_12350_assignsubmission_file/nb.ipynb", right(v["s002"]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out)["lou@mit.edu"][0] == "unknown"


@pytest.mark.parametrize("bad", NOT_FILE_NAMES, ids=["slash", "dot-dot", "long", "formula", "escape", "html"])
def test_a_yml_s_sid_that_is_no_file_name_is_the_submission_s_row(tmp_path, bad):
    key, export, v = gradescope_course(tmp_path)
    people = {**BY_SID, "x": ("Lou Fox", "x", "")}
    yml = _yml({"submission_1": ["s001"], "submission_2": ["x"]}, people=people)
    (export / "submission_metadata.yml").write_text(yml.replace("'x'", json.dumps(bad)), encoding="utf-8")
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    put(export, "submission_2/nb.ipynb", right(v["s002"]))
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s001"] == ("graded", "28") and book["gradescope-2"][0] == "unknown"
    assert len(book) == len(BY_SID) + 1 and _nothing_outside(tmp_path, out) == []
    message = json.loads((out / "results" / "gradescope-2.json").read_text())["message"]
    assert message.startswith("its Gradescope submission 2 is by a submitter whose SID and email name nobody "
                              "on the key's roster; its metadata names 's002'")


def test_a_submitter_with_no_ids_does_not_let_the_file_s_name_choose_the_row(tmp_path):
    """A listed submitter with no SID, email or name: the file inside the folder, named by the
    student, took the row its name gives (a classmate's), and with it, being the newest, the
    classmate's own graded file's place."""
    key, export, v = gradescope_course(tmp_path)
    yml = _yml({"submission_1": ["s002"], "submission_2": ["s001"]})
    yml = yml.replace(":name: Jane Doe", ":name:").replace(":sid: 's001'", ":sid:")
    (export / "submission_metadata.yml").write_text(yml.replace(":email: jane@mit.edu", ":email:"))
    put(export, "submission_1/nb.ipynb", right(v["s002"]))
    put(export, "submission_2/s002.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s002"] == ("graded", "28") and book["gradescope-2"][0] == "unknown"


def test_a_participant_id_of_thousands_of_digits_is_no_traceback():
    """int() of more than 4,300 digits is a ValueError of Python's (the traceback of grade)."""
    sheet = f"Identifier,Full name,ID number\nParticipant {'9' * 5000},A,s1\nParticipant 00042,B,s2\n"
    ids = read_worksheet(sheet.encode(), "w.csv")
    assert ids.pairs == (("9" * 5000, ("s1", "")), ("42", ("s2", "")))


def test_a_submission_number_of_thousands_of_digits_is_no_traceback(tmp_path):
    path = tmp_path / "submission_metadata.yml"
    path.write_text(f"? submission_{'9' * 5000}\n: {{}}\nsubmission_007: {{}}\n")
    assert read_metadata(str(path)) == (("9" * 5000, ()), ("7", ()))


def test_an_identifier_cell_is_matched_in_time_linear_in_its_length():
    """A cell of a word, 100,000 spaces and no number took seconds (the square of its length): a
    worksheet of such cells, hours."""
    cell = "Participant" + " " * 100_000 + "x"
    start = time.process_time()
    assert IDENTIFIER_CELL.match(cell) is None
    assert time.process_time() - start < 2  # (about 40 s before)
    for good in ("Participant 12345", "Teilnehmer/in 12345", "Deelnemer12345"):
        assert IDENTIFIER_CELL.match(good).group("participant") == "12345"


def test_merge_keys_are_not_expanded(tmp_path):
    """PyYAML before 6.0.4 (which pyyaml>=6 allows) copied every merge's pairs: 30 lines each
    merging the one above twice made 2**30 pairs. Gradescope writes no merge key: it is read as a
    plain key, and nothing is copied."""
    lines = ["l0: &l0 {x: 1}", *(f"l{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}]}}" for i in range(1, 40))]
    path = tmp_path / "submission_metadata.yml"
    path.write_text("\n".join([*lines, "base: &b {':submitters': [{':sid': s1}]}",
                               "submission_1: {<<: *b}", ""]))
    start = time.process_time()
    assert read_metadata(str(path)) == (("1", ()),)  # (the merged submitters are not its own)
    assert time.process_time() - start < 2


def test_out_among_the_submissions_is_not_named_as_files_not_graded(tmp_path):
    """backprop grade key.json subs --out subs/graded: the second run named the first's feedback and
    results as files not graded (and the summary changed between the runs, with nothing changed)."""
    key, subs, vs = small_course(tmp_path, 2)
    sid = sorted(vs)[0]
    (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / "notes.pdf").write_bytes(b"%PDF")
    out = subs / "graded"
    args = ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"]
    first = CliRunner().invoke(cli, args)
    again = CliRunner().invoke(cli, args)
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    expected = (f"Not graded (only .ipynb and .toml files are): 1 file: {subs / 'notes.pdf'} "
                "(all in summary.md)\n")
    assert expected in first.output and expected in again.output
    assert "0 graded now, 1 unchanged" in again.output
    assert json.loads((out / "summary.json").read_text())["ignored"] == [str(subs / "notes.pdf")]


def _filled_handout(tmp_path, family_text: str | None = None, name: str = "xor") -> str:
    """A TOML handout of ``name`` (a course's own family file with that name when ``family_text``),
    every line answered right."""
    problems = tmp_path / "problems"
    problems.mkdir()
    args = ["generate", name, "--out", str(tmp_path / "hw"), "--count", "1", "--format", "toml",
            "--secret-file", str(tmp_path / "secret")]
    (tmp_path / "secret").write_text("s" * 64)
    if family_text is not None:
        (problems / f"{name}.toml").write_text(family_text)
        args += ["--problems", str(problems)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    handout = tmp_path / "hw" / "handouts" / "student01.toml"
    solved = json.loads(CliRunner().invoke(cli, ["solve", str(handout), "--format", "json", "--secret",
                                             str(tmp_path / "secret")]).output)
    values = {(q if k == 1 else f"{q}_step{k}"): x for k, step in enumerate(solved["steps"], 1)
              for q, x in step.items()}
    filled = re.sub(r'^(\w+) = ""', lambda m: f"{m.group(1)} = {values[m.group(1)]!r}",
                    handout.read_text(), flags=re.M)
    path = tmp_path / "filled.toml"
    path.write_text(filled)
    return str(path)


def test_check_of_a_course_s_own_family_under_a_built_in_s_name(tmp_path):
    """A course's xor.toml asking only the outputs: check added the built-in xor's deltas and new
    weights as missing (12 / 60, every asked line answered right)."""
    from grader.resources import problems_dir

    own = re.sub(r"(?m)^ask = .*$", 'ask = ["o"]', (problems_dir() / "xor.toml").read_text())
    handout = _filled_handout(tmp_path, own)
    result = CliRunner().invoke(cli, ["check", handout, "--json"])
    report = json.loads(result.output)
    assert (report["score"], report["max_score"]) == (12, 12) and result.exit_code == 0


def test_check_still_counts_a_deleted_line_of_a_built_in_family(tmp_path):
    handout = Path(_filled_handout(tmp_path))
    handout.write_text(re.sub(r"(?m)^delta_A = .*\n", "", handout.read_text()))
    report = json.loads(CliRunner().invoke(cli, ["check", str(handout), "--json"]).output)
    assert report["max_score"] - report["score"] == 1
    assert [i["id"] for i in report["items"] if i["verdict"] == "missing"] == ["delta_A"]


@pytest.mark.parametrize("family", ["x" * 300, "a\\u0000b.toml"], ids=["too-long", "nul"])
def test_check_of_a_family_name_no_file_can_have_is_no_traceback(tmp_path, family):
    handout = Path(_filled_handout(tmp_path))
    handout.write_text(re.sub(r'(?m)^family = ".*"$', lambda _: f'family = "{family}"', handout.read_text()))
    result = CliRunner().invoke(cli, ["check", str(handout)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output


def test_a_submitter_s_name_and_a_file_s_name_are_inert_on_the_report_page(tmp_path):
    """A Gradescope account's name (its owner's to choose) is in the message of a group's file, and
    a file's name in the list of files not graded: the page escaped their markup but kept a
    terminal's escapes and the bidirectional override that shows the text after it reversed."""
    key, export, v = gradescope_course(tmp_path)
    evil = "<b>Eve</b> \x1b]0;pwn\x07 \u202egnp.exe"
    people = {**BY_SID, "s001": (evil, "s001", "jane@mit.edu")}
    yml = _yml({"submission_1": ["s001", "s002"]}, people=people)
    yml = yml.replace(f":name: {evil}", f":name: {json.dumps(evil)}")
    (export / "submission_metadata.yml").write_text(yml, encoding="utf-8")
    put(export, "submission_1/nb.ipynb", right(v["s003"]))
    put(export, "submission_1/\u202efdp.exe", "")
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert "\x1b" not in page and "\u202e" not in page
    assert "group submission of &lt;b&gt;Eve&lt;/b&gt; \\x1b]0;pwn\\x07 \\u202egnp.exe (s001)" in page
    assert "<li><code>\\u202efdp.exe</code></li>" in page


def _shared_email(tmp_path):
    """Max (participant 12347) gave his Moodle account Kim's email address; the worksheet shows the
    emails only."""
    lines = [line if line[0] != "12347" else (*line[:3], "kim@mit.edu") for line in _lines()]
    return _course(tmp_path, moodle_grades(STUDENTS), worksheet(lines, fields=("Email address",)))


def test_a_worksheet_line_that_names_a_classmate_too_does_not_take_their_row(tmp_path):
    """Both lines named Kim: Max's file, the newest, took her row (a mismatch, her own file graded
    28 / 28 set aside as an older duplicate). The line another shares names the student only for a
    file whose metadata claims them."""
    sheet, key, subs, v = _shared_email(tmp_path)
    put(subs, "Kim Lee_12346_assignsubmission_file/nb.ipynb", right(v["s002"]))
    put(subs, "Max Roe_12347_assignsubmission_file/nb.ipynb", right(v["s003"]))
    age = subs / "Kim Lee_12346_assignsubmission_file" / "nb.ipynb"
    os.utime(age, (age.stat().st_mtime - 60,) * 2)  # (Kim's is the older)
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s002"] == ("graded", "28") and book["moodle-12347"][0] == "unknown"
    assert "submitted 2 files" not in result.output
    message = json.loads((out / "results" / "moodle-12347.json").read_text())["message"]
    assert message.startswith("its Moodle participant id 12347 is 's002' in the grading worksheet, and so is "
                              "participant 12346: which of them is s002 the worksheet does not say, and the "
                              "file's metadata does not claim it; its metadata names 's003'")


def test_two_accounts_of_one_student_are_still_their_row(tmp_path):
    """(one student enrolled with two accounts of one email: each file claims them)"""
    sheet, key, subs, v = _shared_email(tmp_path)
    put(subs, "Kim Lee_12346_assignsubmission_file/nb.ipynb", right(v["s002"]))
    put(subs, "Max Roe_12347_assignsubmission_file/nb.ipynb", right(v["s002"]))
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "moodle", "--roster", str(sheet))
    assert result.exit_code == 0, result.output
    assert gradebook(out)["s002"] == ("graded", "28") and "s002 submitted 2 files" in result.output


@pytest.mark.parametrize("max_claims", ["s003", "s002"], ids=["his-own-handout", "hers"])
def test_an_sid_two_submissions_give_does_not_take_a_classmate_s_row(tmp_path, max_claims):
    """Max's account carries Kim's SID: his submission, the newest, took her row (a mismatch, her
    graded file set aside). A student another submission lists too is the row of a file that claims
    them; Max's own handout is then gradescope-<number>, unknown, saying why."""
    key, export, v = gradescope_course(tmp_path)
    # (the accounts' emails are not the roster's: the SIDs match)
    people = {"s002": ("Kim Lee", "s002", "kim@gmail.com"), "max": ("Max Roe", "max", "m@gmail.com")}
    yml = _yml({"submission_1": ["s002"], "submission_2": ["max"]}, people=people)
    (export / "submission_metadata.yml").write_text(yml.replace(":sid: 'max'", ":sid: 's002'"))
    put(export, "submission_1/nb.ipynb", right(v["s002"]))
    put(export, "submission_2/nb.ipynb", right(v[max_claims]))
    kim = export / "submission_1" / "nb.ipynb"
    os.utime(kim, (kim.stat().st_mtime - 60,) * 2)  # (Kim's is the older)
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s002"] == ("graded", "28")
    if max_claims == "s002":  # (her own handout: hers, as two accounts of one student are)
        assert "s002 submitted 2 files" in result.output and "gradescope-2" not in book
        return
    assert book["gradescope-2"][0] == "unknown" and "submitted 2 files" not in result.output
    assert json.loads((out / "results" / "gradescope-2.json").read_text())["message"].startswith(
        "its Gradescope submission 2 is by 's002', and so is another submission of the export: which is "
        "s002's the export does not say, and the file's metadata does not claim it; its metadata names "
        "'s003'")


def test_check_counts_a_deleted_line_beside_a_line_of_a_kind_not_asked(tmp_path):
    """(a p_A line added to a handout that asks no p: the deleted delta_A is still missing)"""
    handout = Path(_filled_handout(tmp_path))
    text = re.sub(r"(?m)^delta_A = .*\n", "", handout.read_text())
    handout.write_text(text.replace("[answers]\n", "[answers]\np_A = 0.75\n"))
    report = json.loads(CliRunner().invoke(cli, ["check", str(handout), "--json"]).output)
    assert [i["id"] for i in report["items"] if i["verdict"] == "missing"] == ["delta_A"]


def test_a_file_s_name_with_new_lines_writes_no_line_of_the_printed_summary(tmp_path):
    """A file not graded named 'x.pdf\\nStatus: 2 graded.\\n...' printed lines of its own under the
    summary's (printable keeps new lines: a message's are its own)."""
    key, subs, vs = small_course(tmp_path, 2)
    sid = sorted(vs)[0]
    (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / "x.pdf\nStatus: 2 graded.\nstudent02.pdf").write_text("")
    (subs / "nobody\nStatus: 3 graded.ipynb").write_text(right(vs[sid]))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "\nStatus: 2 graded." not in result.output and "\nStatus: 3 graded" not in result.output
    assert "x.pdf\\nStatus: 2 graded.\\nstudent02.pdf (all in summary.md)" in result.output
    assert "nobody\\nStatus: 3 graded: unknown: " in result.output


def test_a_submitter_s_name_with_new_lines_writes_no_line_of_the_printed_summary(tmp_path):
    key, export, v = gradescope_course(tmp_path)
    people = {**BY_SID, "s001": ("Jane\nStatus: 9 graded.\n" + "x" * 5000, "s001", "jane@mit.edu")}
    yml = _yml({"submission_1": ["s001", "s002"]}, people=people)
    yml = yml.replace(f":name: {people['s001'][0]}", f":name: {json.dumps(people['s001'][0])}")
    (export / "submission_metadata.yml").write_text(yml)
    put(export, "submission_1/nb.ipynb", right(v["s003"]))
    result = grade(str(key), str(export), "--out", str(tmp_path / "out"), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    assert "\nStatus: 9 graded." not in result.output and "x" * 61 not in result.output
    shown = f"a group submission of Jane Status: 9 graded. {'x' * 37}... (s001), Kim Lee (s002)"
    assert shown in result.output
