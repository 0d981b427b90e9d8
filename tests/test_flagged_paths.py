"""Do the shared views of a class (summary.md, report.html) name the submitted files from the
folder that holds the submissions, not by the instructor's full paths, while summary.json (a
contract for outside scripts) keeps the paths as they were given?"""

from __future__ import annotations

import json
import os

import pytest
from courses import blank, course, right

from grader.batch import run as batch
from grader.batch.rows import ErrorRow, GradedRow, MissingRow
from grader.batch.summary import summarize
from grader.render.class_report import (
    flagged_view,
    report_html,
    shown_path,
    submissions_folder,
    summary_json,
    summary_md,
    summary_text,
)

HOME = "/home/teacher/course/subs"


@pytest.mark.parametrize(("paths", "folder"), [
    ([f"{HOME}/ann.ipynb", f"{HOME}/x/gus.ipynb", ""], HOME),
    ([f"{HOME}/ann.ipynb"], HOME),  # one file: its own folder
    (["subs/a/hw.ipynb", "subs/b/hw.ipynb"], "subs"),
    (["subs/a.ipynb", "subs/b.ipynb"], "subs"),
    (["a.ipynb", "b.ipynb"], ""),  # the current folder: nothing to take away
    (["a/x.ipynb", "b/y.ipynb"], ""),
    (["/srv/a.ipynb", "/home/b.ipynb"], ""),  # only the root in common
    ([f"{HOME}/a.ipynb", "subs/b.ipynb"], ""),  # absolute and relative mixed
    (["", ""], ""),
    ([], ""),
], ids=["absolute", "one-file", "lms-folders", "relative", "current-folder", "nothing-in-common", "root",
        "mixed", "empty", "none"])
def test_the_submissions_folder_is_the_common_parent(paths, folder):
    assert submissions_folder(paths) == folder
    for p in paths:  # and every path named from it leads back to the file
        if p and folder:
            assert os.path.normpath(os.path.join(folder, shown_path(p, folder))) == os.path.normpath(p)
        else:
            assert shown_path(p, folder) == p


def hand_summary():
    """Rows as a batch given absolute paths makes them: an error's message opens with its path."""
    graded = {"score": 1, "max_score": 1, "items": [{"id": "p_A", "verdict": "correct", "points": 1.0,
                                                     "max_points": 1, "given": "", "misconception": None,
                                                     "message": ""}]}
    rows = [
        GradedRow.of("ann", "graded", graded, file=f"{HOME}/ann.ipynb"),
        GradedRow.of("dan", "copy", graded, message="its answers match ann's variant",
                     file=f"{HOME}/dan.ipynb"),
        ErrorRow("eve", 1.0, f"{HOME}/late/eve.ipynb: the notebook is cut off; submit the complete file",
                 f"{HOME}/late/eve.ipynb"),
        ErrorRow("zed", 1.0, f"{HOME}/zed.ipynb: could not be graded (OSError: [Errno 5] {HOME}/zed.ipynb)",
                 f"{HOME}/zed.ipynb"),
        MissingRow("fay", 1.0),
    ]
    dup = type("Dup", (), {"student": "ann", "count": 2, "used": f"{HOME}/ann.ipynb",
                           "others": [f"{HOME}/old/ann.ipynb"]})
    return summarize(rows, columns=["p_A"], final={"C"}, files=5, duplicates=[dup])


def test_the_shared_views_name_files_from_the_submissions_folder():
    s = hand_summary()
    view = flagged_view(s)
    assert [(f.student, f.file, f.message) for f in view["flagged"]] == [
        ("dan", "dan.ipynb", "its answers match ann's variant"),
        ("eve", "late/eve.ipynb", "the notebook is cut off; submit the complete file"),
        ("zed", "zed.ipynb", "could not be graded (OSError: [Errno 5] zed.ipynb)"),
        ("fay", "", "nothing submitted"),
    ]
    (d,) = view["duplicates"]
    assert (d.used, d.others) == ("ann.ipynb", ("old/ann.ipynb",))
    page, md = report_html(s), summary_md(s)
    for shared in (page, md):
        assert "/home/teacher" not in shared
        assert "late/eve.ipynb" in shared and "old/ann.ipynb" in shared
        assert "Files are named from the folder that holds the submissions." in shared
    assert "<td><code>late/eve.ipynb</code></td>" in page
    other = flagged_view(summarize([ErrorRow("x", 1.0, "subs/x.ipynb: see my_subs/x.ipynb", "subs/x.ipynb"),
                                    ErrorRow("y", 1.0, "", "subs/y.ipynb")]))["flagged"]
    assert [(f.file, f.message) for f in other] == [("x.ipynb", "see my_subs/x.ipynb"), ("y.ipynb", "")]
    assert "| eve | error | the notebook is cut off; submit the complete file | late/eve.ipynb |" in md


def test_summary_json_and_the_printed_summary_keep_the_paths_as_given():
    """summary.json's fields mean what they meant (DESIGN section 8): ``file``, ``used``,
    ``others`` and an error's message hold the paths as given; so does the instructor's terminal."""
    s = hand_summary()
    data = json.loads(summary_json(s))
    assert {f["student"]: f["file"] for f in data["flagged"]}["eve"] == f"{HOME}/late/eve.ipynb"
    assert {f["student"]: f["message"] for f in data["flagged"]}["eve"].startswith(f"{HOME}/late/eve.ipynb: ")
    assert data["duplicates"][0]["others"] == [f"{HOME}/old/ann.ipynb"]
    assert {r["student"]: r["file"] for r in data["table"]}["ann"] == f"{HOME}/ann.ipynb"
    text = summary_text(s, regraded=4, reused=0, out="OUT")
    assert f"dan: copy: its answers match ann's variant ({HOME}/dan.ipynb)" in text


def test_a_batch_given_absolute_paths_shares_no_path(tmp_path):
    """``backprop grade`` of a folder given by its absolute path, with a broken file and a
    student who handed in twice: neither summary.md nor report.html names the folder's path."""
    key, subs, vs = course(tmp_path, 3)
    a, b, c = sorted(vs)
    (subs / f"{a}.ipynb").write_text(right(vs[a]))
    (subs / f"{b}.ipynb").write_text("{ cut off")
    (subs / "old").mkdir()
    (subs / "old" / f"{a}.ipynb").write_text(blank(vs[a]))
    os.utime(subs / "old" / f"{a}.ipynb", (1_700_000_000, 1_700_000_000))  # older: the other counts
    out = tmp_path / "out"
    outcome = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, report=True)
    data = json.loads((out / "summary.json").read_text())
    assert str(subs) in json.dumps(data)  # the contract's paths, as given
    assert {f["student"]: f["status"] for f in data["flagged"]} == {b: "error", c: "missing"}
    assert outcome.class_summary.duplicates
    for name in ("summary.md", "report.html"):
        shared = (out / name).read_text()
        assert str(tmp_path) not in shared, name
        assert f"{b}.ipynb" in shared and f"old/{a}.ipynb" in shared
