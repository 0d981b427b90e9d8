"""A third attack on the batch grader (6 December, afternoon), each a test that failed before its
mend: a classmate's later file under a victim's name taking the victim's row, an email id in
another case, new lines in what a flagged row's message quotes, a Gradescope yml of any size,
and what a student writes in a notebook or an answer to gain points or cost a classmate theirs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import blank, right
from courses import course as small_course
from downloads import gradebook

from grader.cli import cli


def _grade(key, *args, out) -> str:
    result = CliRunner().invoke(cli, ["grade", str(key), *map(str, args), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return result.output


def _later(path: Path, seconds: int) -> None:
    """Make ``path`` ``seconds`` newer than now (a file handed in later)."""
    t = time.time() + seconds
    os.utime(path, (t, t))


def _no_metadata(text: str) -> str:
    nb = json.loads(text)
    nb["metadata"].pop("backprop")
    return json.dumps(nb)


def _named(text: str, student: object) -> str:
    nb = json.loads(text)
    nb["metadata"]["backprop"]["student"] = student
    return json.dumps(nb)


# --------------------------------------------------------------------------- 1. newest file wins

#: what a classmate hands in later under the victim's name: their own handout, one that names
#: nobody, one with no metadata, one that cannot be read
DISPLACERS = {
    "classmate-s-handout": lambda v, w: blank(w),
    "names-nobody": lambda v, w: _named(blank(v), None),
    "no-metadata": lambda v, w: _no_metadata(blank(v)),
    "unreadable": lambda v, w: "{not a notebook",
}


@pytest.mark.parametrize("how", DISPLACERS)
@pytest.mark.parametrize("id_from", ["name", "folder"])
def test_a_later_file_that_is_not_signed_as_the_student_s_does_not_displace_theirs(tmp_path, how, id_from):
    """A classmate who drops (or emails) a later ``student01.v2.ipynb`` whose metadata names
    someone else (or no one, or that has none, or is no notebook) took student01's row as
    ``mismatch`` (or an error), and student01's own signed, graded notebook became an older
    duplicate. The file whose signed metadata is the row's student's wins, whatever the times;
    the other is still listed, as a duplicate naming both files."""
    key, subs, vs = small_course(tmp_path, 3)
    victim, attacker = vs["student01"], vs["student02"]
    where = (lambda name: subs / name) if id_from == "name" else (lambda name: subs / "student01" / name)
    (subs / "student01").mkdir()
    own = where("student01.ipynb")
    own.write_text(right(victim))
    bad = where("student01.v2.ipynb" if id_from == "name" else "hw.ipynb")
    bad.write_text(DISPLACERS[how](victim, attacker))
    _later(bad, 60)
    out = tmp_path / "out"
    printed = _grade(key, subs, "--id-from", id_from, out=out)
    assert gradebook(out)["student01"] == ("graded", "28"), printed
    summary = json.loads((out / "summary.json").read_text())
    (dup,) = summary["duplicates"]
    assert (dup["student"], dup["count"], dup["used"].endswith(own.name), len(dup["others"])) == (
        "student01", 2, True, 1)
    assert dup["others"][0].endswith(bad.name)
    assert f"student01 submitted 2 files; the one that counts: {own}" in printed
    # a rerun with nothing changed changes nothing
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    again = _grade(key, subs, "--id-from", id_from, out=out)
    assert "0 graded now, 2 unchanged" in again
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}


def test_among_files_signed_as_the_student_s_the_newest_still_counts(tmp_path):
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    later = subs / "student01.v2.ipynb"
    later.write_text(blank(vs["student01"]))
    _later(later, 60)
    out = tmp_path / "out"
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "0")


def test_the_signed_file_wins_also_when_graded_by_separate_runs(tmp_path):
    """The victim's file graded first; the classmate's added later, in a run that reuses the
    victim's entry from the journal (and a run killed before its journal was indexed)."""
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    out = tmp_path / "out"
    _grade(key, subs, out=out)
    bad = subs / "student01.v2.ipynb"
    bad.write_text(blank(vs["student02"]))
    _later(bad, 60)
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "28")
    (out / ".cache" / "journal.index").unlink()  # (as a run killed before it wrote the index leaves it)
    (out / ".cache" / "rerun.json").unlink(missing_ok=True)
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "28")
    assert json.loads((out / "results" / "student01.json").read_text())["status"] == "graded"
