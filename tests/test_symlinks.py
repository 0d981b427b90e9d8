"""A submission that is a symbolic link is not read by ``grade``: whoever made it (a student, in a
folder of theirs that a download unpacks or a hub links to) would have the grader read, with the
instructor's rights, any file the link names. A link to a classmate's notebook was graded as a
``copy`` or ``mismatch`` row whose feedback showed the classmate's answers to the linker."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from courses import blank, right
from courses import course as small_course
from downloads import gradebook

from grader.cli import cli
from grader.errors import BackpropError
from grader.files import read_bytes


def _grade(key, *args, out, jobs: str = "1") -> str:
    result = CliRunner().invoke(cli, ["grade", str(key), *map(str, args), "--out", str(out), "--jobs", jobs])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_link_to_a_classmate_s_notebook_is_an_error_row_that_shows_none_of_it(tmp_path, jobs):
    key, subs, vs = small_course(tmp_path, 6)
    for s in ("student01", "student03", "student04", "student05", "student06"):
        (subs / f"{s}.ipynb").write_text(right(vs[s]))
    os.symlink(subs / "student01.ipynb", subs / "student02.ipynb")
    out = tmp_path / "out"
    printed = _grade(key, subs, out=out, jobs=jobs)
    book = gradebook(out)
    assert book["student01"] == ("graded", "28")
    assert book["student02"] == ("error", "0"), printed
    result = json.loads((out / "results" / "student02.json").read_text())
    assert "symbolic link" in result["message"] and "cp -L" in result["message"], result["message"]
    feedback = (out / "feedback" / "student02.md").read_text()
    answer = repr(vs["student01"].trace().value(vs["student01"].asked[0]))
    assert answer not in feedback  # (student01's answers stay theirs)
    assert "student02: error:" in printed and "symbolic link" in printed
    # a rerun with nothing changed keeps the row; the file copied in the link's place is graded
    _grade(key, subs, out=out, jobs=jobs)
    assert gradebook(out)["student02"] == ("error", "0")
    os.unlink(subs / "student02.ipynb")
    shutil.copyfile(subs / "student01.ipynb", subs / "student02.ipynb")
    _grade(key, subs, out=out, jobs=jobs)
    assert gradebook(out)["student02"][0] in ("mismatch", "copy")  # (a classmate's file: flagged, as before)


def test_a_link_named_on_the_command_line_is_refused_too(tmp_path):
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(blank(vs["student01"]))
    elsewhere = tmp_path / "links"
    elsewhere.mkdir()
    os.symlink(subs / "student01.ipynb", elsewhere / "student01.ipynb")
    out = tmp_path / "out"
    _grade(key, elsewhere / "student01.ipynb", out=out)
    assert gradebook(out)["student01"] == ("error", "0")


def test_a_link_in_a_student_s_folder_to_a_file_outside_is_not_read(tmp_path):
    """``--id-from folder``: the link points out of the submissions (the instructor's key)."""
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01").mkdir()
    os.symlink(key, subs / "student01" / "hw.ipynb")
    out = tmp_path / "out"
    printed = _grade(key, subs, "--id-from", "folder", out=out)
    assert gradebook(out)["student01"] == ("error", "0")
    message = json.loads((out / "results" / "student01.json").read_text())["message"]
    assert "symbolic link" in message and "signature" not in message and "instance" not in message, printed


def test_the_submissions_folder_itself_may_be_a_link(tmp_path):
    """Only the files are refused: the folder named on the command line is followed, as before."""
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    os.symlink(subs, tmp_path / "linked")
    out = tmp_path / "out"
    _grade(key, tmp_path / "linked", out=out)
    assert gradebook(out)["student01"] == ("graded", "28")


def test_read_bytes_follows_links_unless_told_not_to(tmp_path):
    target = tmp_path / "a.toml"
    target.write_text("x = 1\n")
    os.symlink(target, tmp_path / "b.toml")
    assert read_bytes(tmp_path / "b.toml") == b"x = 1\n"  # (check of a student's own file: followed)
    with pytest.raises(BackpropError, match="is a symbolic link"):
        read_bytes(tmp_path / "b.toml", follow=False)
    assert read_bytes(target, follow=False) == b"x = 1\n"
