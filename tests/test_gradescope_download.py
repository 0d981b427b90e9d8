"""``backprop grade --id-from gradescope``: the folders of Gradescope's "Export Submissions", each on
the row of its submitter, by the export's own ``submission_metadata.yml``.

Where the format was read (public tools that read the export, found with the source index's
``find_string "submission_metadata.yml"`` / ``":submitters"`` and ``search``):

- ucbds-infra/otter-grader ``otter/grade/metadata.py`` (``GradescopeParser``): the export is a folder
  holding ``submission_metadata.yml`` and a folder per submission named by the yml's keys; it reads
  ``yaml.safe_load`` and ``metadata[folder][":submitters"]``, each submitter's ``":name"``, one
  entry per submitter of a group submission.
- A course script renaming an export's files (source index id 9097173911):
  ``record[':submitters'][0][':sid']`` for each key of the yml.
- A homework script on Gradescope's metadata (id 31359664405): ``sub_data[':submitters']`` with
  ``':name'`` and ``':sid'``; ``sub_data[':history']``, the earlier submissions, each with
  ``':created_at'`` and ``':score'``, beside the active one's own ``':created_at'`` and ``':score'``;
  the two ``:created_at:`` are subtracted, so safe_load read them as YAML timestamps.
- A TypeScript ingester's test (id 55420268274): a yml of ``submission_<x>:`` keys with
  ``:submitters:`` ``- :name: ... :sid: '100' :email: ...`` (the SID quoted), a group's two
  submitters, the export's folders under one top folder (``assignment_9100_export/``, id 63335171623),
  and a ``__MACOSX/`` copy from a Mac zip.

Not verified (no real export in the index): whether Gradescope's yml carries Ruby tags
(``!ruby/object:...``, ``!ruby/hash:...``) or BigDecimal scores; the loader reads any unknown tag
as the plain value it tags, tested here with made-up ones. Whether the export holds older
submissions as folders of their own: the tools above read them only from ``:history:``, so a
resubmission here is the active folder plus its history in the yml (two folders of one student
would be duplicates, the newest file counting, as in every mode).
"""

from __future__ import annotations

import json
import pickle
import unicodedata

import pytest
from courses import right
from downloads import grade, gradebook, key_from_roster, put
from platform_files import gradescope_roster

from grader.batch.gradescope_names import gradescope_folder, read_metadata
from grader.batch.run import FEW_HOOK
from grader.errors import BackpropError

#: (first, last, SID, email), as Gradescope's roster export lists them
STUDENTS = [("Jane", "Doe", "s001", "jane@mit.edu"), ("Kim", "Lee", "s002", "kim@mit.edu"),
            ("Max", "Roe", "s003", "max@mit.edu"), ("José", "Núñez", "s004", "jose@mit.edu"),
            ("Ann", "Poe", "s005", "ann@mit.edu"), ("Bo", "Ash", "s006", "bo@mit.edu"),
            ("Cy", "Fry", "s007", "cy@mit.edu"), ("Dee", "Orr", "s008", "dee@mit.edu"),
            ("Eve", "Sun", "s009", "eve@mit.edu")]
BY_SID = {sid: (f"{first} {last}", sid, email) for first, last, sid, email in STUDENTS}


@pytest.mark.parametrize(("path", "found"), [
    ("export/submission_1001/hw3.ipynb", ("export", "1001")),
    ("export/submission_1001/hw/week 3/nb.ipynb", ("export", "1001")),  # the student's own folders
    # a folder named like another submission inside a student's own moves nothing: the outermost counts
    ("export/submission_1001/submission_1002/nb.ipynb", ("export", "1001")),
    ("export/submission_0042/nb.ipynb", ("export", "42")),
    ("export/hw3.ipynb", None),  # (added by the instructor)
    ("export/submission_1001.ipynb", None),  # (a file, not Gradescope's folder)
    ("export/submission_x/nb.ipynb", None),
    ("export/Submission_1001/nb.ipynb", None),
])
def test_the_submission_folder_of_a_path(tmp_path, path, found):
    where = gradescope_folder(str(tmp_path / path))
    assert where == (found and (str(tmp_path / found[0]), found[1]))


def _yml(entries: dict[str, list[str]], history: dict[str, int] | None = None, people=BY_SID) -> str:
    """``submission_metadata.yml`` as Gradescope's Ruby writes it: ``entries``: folder -> the SIDs
    of its submitters; ``history``: folder -> how many earlier submissions it has."""
    lines = ["---"]
    for n, (folder, sids) in enumerate(entries.items()):
        lines += [f"{folder}:", "  :submitters:"]
        for sid in sids:
            name, _, email = people[sid]
            lines += [f"  - :name: {name}", f"    :sid: '{sid}'", f"    :email: {email}"]
        lines += [f"  :created_at: 2026-12-04 09:{10 + n}:12.345678000 -08:00", "  :score: 0.0",
                  "  :history:" + ("" if (history or {}).get(folder) else " []")]
        for k in range((history or {}).get(folder, 0)):
            lines += [f"  - :id: {900 + k}", f"    :created_at: 2026-12-03 2{k}:00:00.000000000 -08:00",
                      "    :score: 0.0"]
    return "\n".join(lines) + "\n"


def _course(tmp_path, students=STUDENTS):
    roster = tmp_path / "gradescope-roster.csv"
    roster.write_bytes(gradescope_roster(students))
    key, variants = key_from_roster(tmp_path, roster)
    export = tmp_path / "assignment_9100_export"
    export.mkdir()
    return key, export, variants


@pytest.fixture
def course(tmp_path):
    return _course(tmp_path)


def _message(out, student: str) -> str:
    return json.loads((out / "results" / f"{student}.json").read_text())["message"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_gradescope_export_is_graded_on_each_submitter_s_row(course, tmp_path, jobs, monkeypatch):
    monkeypatch.setenv(FEW_HOOK, "2")  # (workers for these few files, with --jobs 2)
    key, export, v = course
    (export / "submission_metadata.yml").write_text(_yml({
        "submission_1001": ["s001"], "submission_1002": ["s002"], "submission_1003": ["s003"],
        "submission_1004": ["s004", "s005"], "submission_1006": ["s007", "s008"], "submission_1007": ["s006"],
    }, history={"submission_1002": 2}), encoding="utf-8")
    put(export, "submission_1001/hw3.ipynb", right(v["s001"]))
    put(export, "submission_1002/my homework (final).ipynb", right(v["s002"]))  # (resubmitted twice)
    put(export, "submission_1003/hw3.ipynb", right(v["s001"]))  # Max uploaded Jane's handout
    # José and Ann submitted as a group: each uploaded their own handout (José's name as a Mac unzips it)
    put(export, unicodedata.normalize("NFD", "submission_1004/José Núñez.ipynb"), right(v["s004"]))
    put(export, "submission_1004/ann.ipynb", right(v["s005"]))
    put(export, "submission_1005/hw3.ipynb", right(v["s003"]))  # a folder the yml does not list
    put(export, "submission_1006/hw3.ipynb", right(v["s001"]))  # a group's file naming neither of them
    # Bo's own folder holds a yml of his making that gives a folder of his to Jane, and her handout in it
    put(export, "submission_1007/submission_metadata.yml", _yml({"submission_9999": ["s001"]}))
    put(export, "submission_1007/submission_9999/hw3.ipynb", right(v["s001"]))
    put(export, "s009.ipynb", right(v["s009"]))  # added by the instructor: its name's student
    put(export, "zed.ipynb", right(v["s002"]))  # neither a submission nor a student's name
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope", jobs=jobs)
    assert result.exit_code == 0, result.output
    assert "Not graded" not in result.output  # (the export's own yml is no student's file)
    book = gradebook(out)
    assert {s: book[s] for s in ("s001", "s002", "s004", "s005", "s009")} == dict.fromkeys(
        ("s001", "s002", "s004", "s005", "s009"), ("graded", "28"))
    assert book["s003"][0] == "mismatch" and book["s006"][0] == "mismatch"
    assert book["gradescope-1005"][0] == "unknown" and book["gradescope-1006"] == ("error", "0")
    assert book["s007"] == ("missing", "0") and book["s008"] == ("missing", "0")
    assert book["zed"][0] == "unknown"
    assert "gradescope-9999" not in book and len(book) == 12
    assert ("its Gradescope submission says 's003' but its signed metadata names 's001' (it is s001's "
            "signed handout)") in _message(out, "s003")
    assert ("its Gradescope submission says 's006' but its signed metadata names 's001'"
            in _message(out, "s006"))
    assert _message(out, "gradescope-1005").startswith(
        f"its Gradescope submission 1005 is not in {export / 'submission_metadata.yml'}; its metadata names "
        "'s003' (scored against s003's problem, counted for nobody")
    assert _message(out, "gradescope-1006") == (
        f"{export / 'submission_1006' / 'hw3.ipynb'}: Gradescope submission 1006 is a group submission of "
        "Cy Fry (s007), Dee Orr (s008), and the file names 's001', none of them; each member uploads their "
        "own handout (its signed metadata says whose it is), or grade it with --id-from metadata")
    assert _message(out, "zed").startswith(
        "its file name says 'zed', who is not on the key's roster, and it is not in a submission_<number> "
        "folder of Gradescope's export; its metadata names 's002'")


def test_submitters_are_matched_by_email_when_the_key_s_ids_are_emails(tmp_path):
    """A roster with no SIDs: the key's ids are the emails, and the yml's :email: names them."""
    students = [(first, last, "", email) for first, last, _, email in STUDENTS[:3]]
    key, export, v = _course(tmp_path, students)
    assert sorted(v) == ["jane@mit.edu", "kim@mit.edu", "max@mit.edu"]
    yml = _yml({"submission_1": ["s001"], "submission_2": ["s002"], "submission_3": ["s003"]})
    # (Gradescope's own SIDs, none of them the key's; an email as its owner typed it)
    (export / "submission_metadata.yml").write_text(yml.replace("'s00", "'S-00").replace("jane@", "Jane@"))
    for n, email in enumerate(["jane@mit.edu", "kim@mit.edu", "max@mit.edu"], start=1):
        put(export, f"submission_{n}/nb.ipynb", right(v[email]))
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    assert gradebook(out) == {s: ("graded", "28") for s in v}


def test_a_submitter_the_key_does_not_have_is_unknown_by_their_sid(course, tmp_path):
    key, export, v = course
    people = {**BY_SID, "s010": ("Lou Fox", "s010", "lou@mit.edu")}  # (enrolled after the handouts)
    yml = _yml({"submission_1": ["s001"], "submission_2": ["s010"]}, people=people)
    (export / "submission_metadata.yml").write_text(yml)
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    put(export, "submission_2/nb.ipynb", right(v["s002"]))  # (a classmate's handout)
    out = tmp_path / "out"
    result = grade(str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    assert gradebook(out)["s010"][0] == "unknown"
    assert _message(out, "s010").startswith(
        "its Gradescope submission 2 is by 's010' (Lou Fox), who is not on the key's roster; its metadata "
        "names 's002' (scored against s002's problem, counted for nobody: add the student to the key")


RUBY_YML = """--- !ruby/hash:ActiveSupport::HashWithIndifferentAccess
submission_7: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
  :submitters:
  - !ruby/object:Submitter
    :name: "Jos\\xE9 N\\xFA\\xF1ez"
    :sid: 4
    :email: JOSE@MIT.EDU
  :created_at: !ruby/object:ActiveSupport::TimeWithZone
    utc: 2026-12-04 17:10:12.345678000 Z
    zone: !ruby/object:ActiveSupport::TimeZone
      name: America/Los_Angeles
    time: 2026-12-04 09:10:12.345678000 Z
  :score: !ruby/object:BigDecimal 27:0.28e2
  :history: []
submission_8:
  :submitters:
  - :name: !binary |-
      QW5uIFBvZQ==
    :sid:
    :email: ann@mit.edu
  :created_at: 2026-13-45 99:99:99 -08:00
"""


def test_ruby_s_tags_and_timestamps_are_read_as_plain_values(tmp_path):
    path = tmp_path / "submission_metadata.yml"
    path.write_text(RUBY_YML)
    assert read_metadata(str(path)) == (("7", (("José Núñez", "4", "JOSE@MIT.EDU"),)),
                                        ("8", (("Ann Poe", "", "ann@mit.edu"),)))


@pytest.mark.parametrize(("text", "message", "end"), [
    # (libyaml's words for the problem; PyYAML's own parser words it otherwise)
    ("submission_1:\n  :submitters: [\n", "is not readable YAML (", " at line 3); download the export again "
     "(Assignment > Review Grades > Export Submissions)"),
    ("- a\n- b\n", "is not Gradescope's submission_metadata.yml (no submission_<number> keys); give "
     "Gradescope's export as downloaded (Assignment > Review Grades > Export Submissions, unzipped): the "
     "folder holding submission_metadata.yml and a submission_<number> folder per submission", ""),
    ("", "is not Gradescope's submission_metadata.yml (no submission_<number> keys)", "per submission"),
    ("a: &a [*a, *a]\n", "is not Gradescope's submission_metadata.yml", "per submission"),
    ("submission_1: [\xff]\n", "is not readable YAML (it is not UTF-8 text at byte 15); download the "
     "export again (Assignment > Review Grades > Export Submissions)", ""),
], ids=["broken", "a-list", "empty", "recursive", "not-utf8"])
def test_a_yml_that_cannot_be_read_is_one_error(course, tmp_path, text, message, end):
    key, export, v = course
    (export / "submission_metadata.yml").write_bytes(text.encode("latin-1"))
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    result = grade(str(key), str(export), "--out", str(tmp_path / "o"), "--id-from", "gradescope")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {export / 'submission_metadata.yml'}: {message}")
    assert result.output.endswith(f"{end}\n") and result.output.count("\n") == 1


def test_another_course_s_export_is_one_error(course, tmp_path):
    key, export, v = course
    (export / "submission_metadata.yml").write_text(_yml({"submission_1": ["s001"]}).replace("s001", "x9")
                                                    .replace("jane@mit.edu", "jane@other.edu"))
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    result = grade(str(key), str(export), "--out", str(tmp_path / "o"), "--id-from", "gradescope")
    assert result.exit_code == 2
    assert result.output == (f"Error: {export}: none of the submitters in submission_metadata.yml is on "
                             "the key's roster (matched by SID and by email); give the export of this "
                             "assignment, or the key generated from its course's roster\n")


NEEDS = ("Error: --id-from gradescope needs Gradescope's export as downloaded (Assignment > Review Grades > "
         "Export Submissions, unzipped): the folder holding submission_metadata.yml and a "
         "submission_<number> folder per submission; ")


@pytest.mark.parametrize(("layout", "said"), [
    ({"submission_1/nb.ipynb": "s001"}, "no submission_metadata.yml is above them"),
    ({"s001.ipynb": "s001", "hw/s002.ipynb": "s002"}, "no file is in a submission_<number> folder"),
    # a yml inside a student's folder is never read: it is no export's root
    ({"submission_1/submission_metadata.yml": None, "submission_1/submission_2/nb.ipynb": "s001"},
     "no submission_metadata.yml is above them"),
], ids=["no-yml", "no-submission-folders", "only-a-student-s-yml"])
def test_no_export_is_one_error_that_says_what_to_give(course, tmp_path, layout, said):
    key, export, v = course
    for relative, student in layout.items():
        put(export, relative, right(v[student]) if student else _yml({"submission_2": ["s001"]}))
    result = grade(str(key), str(export), "--out", str(tmp_path / "o"), "--id-from", "gradescope")
    assert result.exit_code == 2
    assert result.output == NEEDS + said + "\n"


def test_a_bad_key_is_reported_before_the_export(tmp_path):
    result = grade(str(tmp_path / "nokey.json"), str(tmp_path), "--out", str(tmp_path / "o"),
                    "--id-from", "gradescope")
    assert result.exit_code == 2 and "nokey.json" in result.output and "gradescope" not in result.output


def test_another_yml_is_another_run(course, tmp_path):
    """The submitters are part of the run: a rerun with the yml changed grades again."""
    key, export, v = course
    yml = export / "submission_metadata.yml"
    yml.write_text(_yml({"submission_1": ["s001"]}))
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    args = (str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    assert grade(*args).exit_code == 0
    assert gradebook(out)["s001"] == ("graded", "28")
    yml.write_text(_yml({"submission_1": ["s002"]}))  # (submission 1 is now Kim's)
    again = grade(*args)
    assert again.exit_code == 0, again.output
    book = gradebook(out)
    assert book["s002"][0] == "mismatch" and book["s001"] == ("missing", "0")


def test_the_ids_travel_to_the_workers(tmp_path):
    """The submitters are plain tuples: a worker (or a Dask worker) gets them by pickle."""
    from grader.batch.gradescope_names import read_exports

    export = tmp_path / "e"
    put(export, "submission_metadata.yml", _yml({"submission_1": ["s001"]}))
    put(export, "submission_1/nb.ipynb", "{}")
    ids = read_exports([str(export / "submission_1" / "nb.ipynb")])
    copy = pickle.loads(pickle.dumps(ids))
    assert copy == ids and copy.submitters(str(export), "1") == (("Jane Doe", "s001", "jane@mit.edu"),)


def test_a_yml_read_directly_that_is_not_there_is_an_error(tmp_path):
    with pytest.raises(BackpropError, match="submission_metadata.yml"):
        read_metadata(str(tmp_path / "submission_metadata.yml"))


def test_an_export_unzipped_on_a_mac_with_accents_in_its_path(tmp_path):
    """A Mac's unzip names the export's folder, and the files in it, with decomposed accents (NFD)."""
    key, _, v = _course(tmp_path)
    export = tmp_path / unicodedata.normalize("NFD", "Übung 3 – Réseaux_export")
    put(export, "submission_metadata.yml", _yml({"submission_5": ["s004"], "submission_6": ["s001"]}))
    put(export, unicodedata.normalize("NFD", "submission_5/Núñez, José/réponses.ipynb"), right(v["s004"]))
    put(export, "submission_6/hw3.ipynb", right(v["s001"]))
    out = tmp_path / "out"
    args = (str(key), str(export), "--out", str(out), "--id-from", "gradescope")
    result = grade(*args)
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s004"] == ("graded", "28") and book["s001"] == ("graded", "28") and len(book) == 9
    again = grade(*args)  # (a rerun with nothing changed grades nothing)
    assert again.exit_code == 0 and gradebook(out) == book
    assert "(0 graded now, 2 unchanged since the last run)" in again.output, again.output


def test_a_folder_with_no_yml_above_and_a_group_s_file_without_metadata(course, tmp_path):
    """Beside an export, a loose submission folder (its yml left behind) is nobody's; a group's answer
    file with no [meta] cannot say which submitter it is."""
    key, export, v = course
    yml = _yml({"submission_1": ["s001"], "submission_2": ["s002", "s003"]})
    (export / "submission_metadata.yml").write_text(yml)
    put(export, "submission_1/nb.ipynb", right(v["s001"]))
    put(export, "submission_2/answers.toml", "[answers]\np_A = 0.5\n")
    loose = tmp_path / "loose"
    put(loose, "submission_77/nb.ipynb", right(v["s004"]))
    out = tmp_path / "out"
    result = grade(str(key), str(export), str(loose), "--out", str(out), "--id-from", "gradescope")
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s001"] == ("graded", "28") and book["gradescope-2"] == ("error", "0")
    assert book["gradescope-77"][0] == "unknown"
    assert _message(out, "gradescope-77").startswith(
        f"its folder submission_77 is in a folder with no submission_metadata.yml ({loose}); its metadata "
        "names 's004'")
    assert _message(out, "gradescope-2").endswith(
        "Gradescope submission 2 is a group submission of Kim Lee (s002), Max Roe (s003), and the file has "
        "no backprop metadata to say which of them it is; each member uploads their own handout (its "
        "signed metadata says whose it is), or grade it with --id-from metadata")
