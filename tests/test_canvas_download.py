"""``backprop grade --id-from canvas --roster <gradebook export>``: the files of Canvas's Download
Submissions zip, one flat folder named ``<name>[_LATE]_<user id>_<submission id>_<uploaded name>``,
each on the row of the student whose Canvas user id its name holds (the export's ID column)."""

from __future__ import annotations

import json

import pytest
from courses import right
from downloads import grade, gradebook, key_from_roster
from platform_files import canvas_gradebook, gradescope_roster

from grader.batch.canvas_names import canvas_user
from grader.batch.run import FEW_HOOK

#: (Last, First; Canvas user id; SIS User ID, the key's id; SIS Login ID)
CANVAS = [("Doe, Jane", "101", "s001", "jdoe"), ("Lee, Kim", "102", "s002", "klee"),
          ("Roe, Max", "103", "s003", "mroe"), ("Poe, Ann", "104", "s004", "apoe")]


@pytest.mark.parametrize(("name", "user"), [
    ("doejane_101_5551234_hw3.ipynb", "101"),
    ("leekim_LATE_102_5551240_my homework (1).ipynb", "102"),
    ("roemax_late_103_5551250_s001.toml", "103"),
    ("_104_5551260_a_b_c.ipynb", "104"),  # (a name Canvas could not spell in letters)
    # a student who uploads a file named like someone else's download cannot move it: Canvas's own
    # name and user id come first, and the name has no underscore
    ("doejane_101_5551234_roemax_103_5551250_s003.ipynb", "101"),
    ("doejane_101_5551234_LATE_103_1_x.ipynb", "101"),
    ("s001.ipynb", None),
    ("doejane_101_hw3.ipynb", None),
    ("doejane_x101_5551234_hw3.ipynb", None),
])
def test_the_user_id_in_a_name_canvas_gives(name, user):
    assert canvas_user(f"subs/{name}") == user


@pytest.fixture
def course(tmp_path):
    roster = tmp_path / "canvas-grades.csv"
    roster.write_bytes(canvas_gradebook(CANVAS))
    key, variants = key_from_roster(tmp_path, roster)
    subs = tmp_path / "download"
    subs.mkdir()
    return roster, key, subs, variants


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_canvas_download_is_graded_on_each_account_s_row(course, tmp_path, jobs, monkeypatch):
    monkeypatch.setenv(FEW_HOOK, "2")  # (workers for these few files, with --jobs 2)
    roster, key, subs, v = course
    (subs / "doejane_101_5551234_hw3.ipynb").write_text(right(v["s001"]))
    (subs / "leekim_LATE_102_5551240_homework.ipynb").write_text(right(v["s002"]))
    # Max (103) uploaded Jane's handout, answered, under Jane's name: his row, a mismatch
    (subs / "roemax_103_5551250_s001.ipynb").write_text(right(v["s001"]))
    (subs / "someone_999_5551260_x.ipynb").write_text(right(v["s004"]))  # an account not in the export
    (subs / "s004.ipynb").write_text(right(v["s004"]))  # added by the instructor: its name's student
    (subs / "zed.ipynb").write_text(right(v["s004"]))  # neither Canvas's name nor a student's
    out = tmp_path / "out"
    result = grade(str(key), str(subs), "--out", str(out), "--id-from", "canvas", "--roster", str(roster),
                    jobs=jobs)
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert book["s001"] == ("graded", "28") and book["s002"] == ("graded", "28")
    assert book["s004"] == ("graded", "28")
    assert book["s003"][0] == "mismatch"
    assert book["canvas-999"][0] == "unknown" and book["zed"][0] == "unknown"
    message = {s: json.loads((out / "results" / f"{s}.json").read_text())["message"]
               for s in ("s003", "canvas-999", "zed")}
    assert "its Canvas user id says 's003' but its signed metadata names 's001'" in message["s003"]
    assert "its Canvas user id 999 is not in the gradebook export given with --roster" in message[
        "canvas-999"]
    assert ("its file name says 'zed', who is not on the key's roster, and it is not a name Canvas's "
            "download gives") in message["zed"]


def test_canvas_ids_need_the_gradebook_export(course, tmp_path):
    roster, key, subs, v = course
    (subs / "doejane_101_5551234_hw3.ipynb").write_text(right(v["s001"]))
    no_roster = grade(str(key), str(subs), "--out", str(tmp_path / "o1"), "--id-from", "canvas")
    assert no_roster.exit_code == 2
    assert no_roster.output.startswith("Error: --id-from canvas needs --roster: Canvas's gradebook export")
    other = tmp_path / "gradescope.csv"
    other.write_bytes(gradescope_roster([("Jane", "Doe", "s001", "jane@mit.edu")]))
    wrong = grade(str(key), str(subs), "--out", str(tmp_path / "o2"), "--id-from", "canvas", "--roster",
                   str(other))
    assert wrong.exit_code == 2
    assert wrong.output == (f"Error: {other}: --id-from canvas needs Canvas's gradebook export (Grades > "
                            "Export), whose 'ID' column maps the user id in each downloaded file's name to "
                            "the student; this file is not one\n")


def test_another_export_is_another_run(course, tmp_path):
    """The user ids' students are part of the run: a rerun with another export grades again."""
    roster, key, subs, v = course
    (subs / "doejane_101_5551234_hw3.ipynb").write_text(right(v["s001"]))
    out = tmp_path / "out"
    assert grade(str(key), str(subs), "--out", str(out), "--id-from", "canvas",
                  "--roster", str(roster)).exit_code == 0
    assert gradebook(out)["s001"] == ("graded", "28")
    swapped = tmp_path / "swapped.csv"  # (101 is now Kim's account)
    swapped.write_bytes(canvas_gradebook([("Doe, Jane", "201", "s001", "jdoe"),
                                          ("Lee, Kim", "101", "s002", "klee")]))
    again = grade(str(key), str(subs), "--out", str(out), "--id-from", "canvas", "--roster", str(swapped))
    assert again.exit_code == 0, again.output
    book = gradebook(out)
    assert book["s002"][0] == "mismatch" and book["s001"] == ("missing", "0")
